import ArgumentParser
import Foundation
import KRUFormat

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a .kru file's version, metadata and tensors, and verify its checksums.",
        discussion: "Checks every tensor's compression and CRC-32 in constant memory. A file that is damaged or not "
            + "a .kru file gives a one-line error and exit status 65 (after the table, if the header and directory "
            + "could be read); a missing file or one that is not a regular file gives 66."
    )

    @Argument(help: "The .kru file: a path, or a model name in the models directory.",
              completion: .file(extensions: ["kru"]))
    var file: String
    @Flag(help: "Print JSON instead of tables.") var json = false
    @Flag(help: "Skip decoding the tensors (no checksum verification).") var noVerify = false
    @OptionGroup var lookup: ModelsOption

    func run() throws {
        let file = try lookup.path(of: file)
        try requireRegularFile(file)
        let kru = try reporting(file) { try KRUFile(path: file) }
        let statuses = kru.tensors.map { info in
            noVerify ? TensorStatus.unchecked : TensorStatus(verifying: info, in: kru)
        }
        let report = InspectReport(path: file, file: kru, statuses: statuses)
        print(json ? report.json() : report.text())
        if let failure = statuses.lazy.compactMap(\.failure).first {
            throw CLIError(failure, path: file)
        }
    }
}

/// The outcome of decoding one tensor.
enum TensorStatus {
    case ok, unchecked, damaged(KRUFormatError)

    init(verifying info: KRUTensorInfo, in file: KRUFile) {
        do {
            try file.verify(info)
            self = .ok
        } catch let error as KRUFormatError {
            self = .damaged(error)
        } catch {
            self = .damaged(KRUFormatError(.io, at: info.offset, "\(error)"))
        }
    }

    var label: String {
        switch self {
        case .ok: "ok"
        case .unchecked: "unchecked"
        case .damaged(let error): error.code.rawValue
        }
    }

    var failure: KRUFormatError? { if case .damaged(let error) = self { error } else { nil } }
}

/// What `kru inspect` prints, as text or JSON.
struct InspectReport {
    let path: String
    let file: KRUFile
    let statuses: [TensorStatus]

    func text() -> String {
        var lines = ["\(terminalSafe(path)): .kru v\(file.version), \(file.source.size) bytes"]
        lines.append("metadata (\(file.metadata.count)):")
        let keyWidth = file.metadata.map(\.key.count).max() ?? 0
        for entry in file.metadata {
            let value = terminalSafe(abbreviated(entry.value.description))
            lines.append("  \(entry.key.padded(to: keyWidth))  \(entry.value.typeName.padded(to: 6))  \(value)")
        }
        lines.append("tensors (\(file.tensors.count)):")
        var table = [["name", "dtype", "shape", "compression", "stored", "raw", "ratio", "crc32", "status"]]
        for (info, status) in zip(file.tensors, statuses) {
            let ratio = info.storedLength == 0
                ? "-" : String(format: "%.2f", Double(info.rawLength) / Double(info.storedLength))
            table.append([info.name, info.dtype.name, "[" + info.shape.map(String.init).joined(separator: ", ") + "]",
                          info.compression.description, "\(info.storedLength)", "\(info.rawLength)", ratio,
                          String(format: "%08x", info.crc32), status.label])
        }
        lines += formatTable(table).map { "  " + $0 }
        let stored = file.tensors.reduce(0) { $0 + $1.storedLength }
        let raw = file.tensors.reduce(0) { $0 + $1.rawLength }
        lines.append("total: \(stored) bytes stored for \(raw) raw bytes")
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        let document: [String: Any] = [
            "path": path,
            "size": file.source.size,
            "version": [file.version.major, file.version.minor],
            "metadata": file.metadata.map { ["key": $0.key, "type": $0.value.typeName, "value": jsonValue($0.value)] },
            "tensors": zip(file.tensors, statuses).map { info, status in
                [
                    "name": info.name, "dtype": info.dtype.name, "shape": info.shape,
                    "compression": info.compression.description, "offset": info.offset,
                    "stored_length": info.storedLength, "raw_length": info.rawLength, "crc32": info.crc32,
                    "status": status.label,
                ] as [String: Any]
            },
        ]
        return jsonString(document)
    }

    private func abbreviated(_ text: String) -> String {
        text.count <= 100 ? text : String(text.prefix(97)) + "..."
    }
}
