import ArgumentParser
import Foundation
import KRUFormat
import KRUInference

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a copy of a model with some weight tensors stored at 16-bit precision (f16 or bf16).",
        discussion: "The embedding and the readout are most of a Kronecker model's file; stored as f16 they take "
            + "half the bytes. In a dense model the recurrent matrices are most of the file and what each step "
            + "reads from memory: the engine keeps a 16-bit dense recurrent matrix 16-bit and widens it inside its "
            + "kernel, so narrowing them (--tensors recurrent) also makes sampling and scoring faster; every other "
            + "weight is widened to 32-bit floats when the model loads. Either way the copy computes exactly what "
            + "the original computes with those tensors rounded (to nearest, ties to even). Every other tensor and "
            + "every metadata entry is copied as it is; the narrowed tensors are listed under kru.quantize.tensors "
            + "(with their earlier types in kru.quantize.from). Check what it costs with "
            + "'kru score COPY TEXT --compare MODEL'. "
            + "--tensors takes embedding (input.embedding), input (layer.0.weight_ih, real cells only), readout "
            + "(readout.weight), recurrent (layer.L.weight_hh of every layer with a dense RNN, LSTM or GRU "
            + "recurrence; Kronecker factors are not touched) or any real tensor name that 'kru inspect' lists. "
            + "Examples: 'kru quantize models/kjv-kru512.kru --tensors embedding,readout --to f16 -o small.kru', "
            + "'kru quantize models/kjv-lstm512.kru --tensors recurrent --to bf16 -o fast.kru'."
    )

    /// The 16-bit types, as the flag spells them.
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case f16, bf16
        var dtype: KRUDType { self == .f16 ? .f16 : .bf16 }
    }

    @Argument(help: "The model to copy: a path or a zoo model's name.", completion: .file(extensions: ["kru"]))
    var model: String
    @OptionGroup var lookup: ModelsOption
    @Option(help: "Comma-separated tensors to narrow: embedding, input, readout, recurrent or tensor names.")
    var tensors = "embedding,readout"
    @Option(help: "The type to store them as: f16 (IEEE half) or bf16 (bfloat16).") var to: Target
    @Option(name: .shortAndLong, help: "The .kru file to write (atomically).", completion: .file(extensions: ["kru"]))
    var output: String
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard tensorNames.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("--tensors must be a comma-separated list of names, got \"\(tensors)\"")
        }
    }

    private var tensorNames: [String] {
        tensors.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    func run() throws {
        let model = try lookup.path(of: model)
        try checkOutput(output, notOverwriting: [model])
        _ = try loadModel(model)  // a damaged or invalid model gets the same message as in every other command
        let file = try reporting(model) { try KRUFile(path: model) }
        let narrowing: ModelNarrowing
        do {
            narrowing = try ModelNarrowing(file: file, tensors: tensorNames, to: to.dtype)
        } catch let error as ModelNarrowingError {
            throw usage("--tensors: \(error)")
        } catch {
            throw CLIError(error, path: model)
        }
        try reporting(output) { try narrowing.writer.write(toPath: output) }
        let written = try reporting(output) { try KRUFile(path: output) }
        let report = QuantizeReport(output: output, bytesBefore: file.source.size, bytes: written.source.size,
                                    changes: narrowing.changes)
        print(json ? report.json() : report.text())
    }
}

/// What `kru quantize` prints, as text or JSON.
private struct QuantizeReport {
    let output: String
    let bytesBefore: UInt64
    let bytes: UInt64
    let changes: [ModelNarrowing.Change]

    func text() -> String {
        var table = [["tensor", "from", "to", "raw bytes", "largest error"]]
        for change in changes {
            table.append([change.tensor, change.from.name, change.to.name,
                          "\(change.bytesBefore) -> \(change.bytesAfter)", String(format: "%.3g", change.largestError)])
        }
        let head = "\(terminalSafe(output)): \(bytesBefore) -> \(bytes) bytes"
        return ([head] + formatTable(table).map { "  " + $0 }).joined(separator: "\n")
    }

    func json() -> String {
        let document: [String: Any] = [
            "output": output, "bytes_before": bytesBefore, "bytes": bytes,
            "tensors": changes.map { change in
                ["name": change.tensor, "from": change.from.name, "to": change.to.name,
                 "raw_bytes_before": change.bytesBefore, "raw_bytes": change.bytesAfter,
                 "largest_error": change.largestError] as [String: Any]
            },
        ]
        return jsonString(document)
    }
}
