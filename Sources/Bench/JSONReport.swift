import Foundation

/// The --json form: the report's fields in snake_case, keys sorted, non-finite numbers as "inf"/"nan"
/// strings (as spec/FORMAT.md §7 does for metadata), so every consumer gets valid JSON.
enum JSONReport {
    static func text(_ report: BenchReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
