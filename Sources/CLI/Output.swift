import ArgumentParser
import Foundation
import KRUFormat

/// Writes one line to standard error, prefixed "kru: error: ", with control characters escaped so that a
/// name read from a file can neither break the line nor drive the terminal, and cut at ``errorLineLimit``
/// characters so that a megabyte-long name cannot flood it either.
func printError(_ message: String) {
    var line = terminalSafe(message)
    if line.count > errorLineLimit {
        line = String(line.prefix(errorLineLimit)) + "… (\(line.count) characters in all)"
    }
    FileHandle.standardError.write(Data("kru: error: \(line)\n".utf8))
}

/// The longest error line printed in full.
let errorLineLimit = 2000

/// `text` with every character that could change what a terminal shows escaped as `\u{…}` (or `\n`, `\t`,
/// `\r`): C0 and C1 controls, DEL, and the invisible bidirectional and zero-width formatting characters
/// (which can make a name read as another). Everything kru prints from a file goes through here.
func terminalSafe(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x0A: out.append(contentsOf: "\\n".unicodeScalars)
        case 0x09: out.append(contentsOf: "\\t".unicodeScalars)
        case 0x0D: out.append(contentsOf: "\\r".unicodeScalars)
        case 0x00...0x1F, 0x7F...0x9F, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF:
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
        default:
            out.append(scalar)
        }
    }
    return String(out)
}

/// Left-aligned columns separated by two spaces.
func formatTable(_ rows: [[String]]) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        let cells: [String] = row.enumerated().map { index, cell in cell.padded(to: widths[index]) }
        return cells.joined(separator: "  ").trimmingTrailingSpaces()
    }
}

extension String {
    func padded(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// A metadata value as JSON (non-finite floats as the strings "nan", "inf", "-inf", as in spec/FORMAT.md §7).
func jsonValue(_ value: KRUMetadataValue) -> Any {
    func number(_ x: Double) -> Any {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return x
    }
    switch value {
    case .bool(let v): return v
    case .int(let v): return v
    case .float(let v): return number(v)
    case .string(let v): return v
    case .boolArray(let v): return v
    case .intArray(let v): return v
    case .floatArray(let v): return v.map(number)
    case .stringArray(let v): return v
    }
}

/// `document` with every non-finite Double (alone or in a [Double]) written as text ("nan", "inf"): JSON has no
/// such numbers, and a diverged training run must still be able to report.
func jsonSafe(_ document: [String: Any]) -> [String: Any] {
    document.mapValues { value -> Any in
        if let x = value as? Double, !x.isFinite { return "\(x)" }
        if let xs = value as? [Double] { return xs.map { $0.isFinite ? $0 as Any : "\($0)" as Any } }
        return value
    }
}

/// Key-sorted JSON text: pretty, or on one line when `compact` (for line-per-record logs).
func jsonString(_ object: Any, compact: Bool = false) -> String {
    let options: JSONSerialization.WritingOptions = compact ? [.sortedKeys, .withoutEscapingSlashes]
        : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try! JSONSerialization.data(withJSONObject: object, options: options)
    return String(decoding: data, as: UTF8.self)
}

/// 93087 -> "93,087".
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}
