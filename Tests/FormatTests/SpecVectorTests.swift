import Foundation
import Testing
@testable import KRUFormat
@testable import KRUConvert

/// spec/vectors: every valid file decodes to its JSON, every invalid file fails with its documented code and
/// offset. The vectors are made by tools/make_vectors.py, an encoder independent of this reader.
struct SpecVectorTests {
    static let vectors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("spec/vectors")

    static func names(_ kind: String) -> [String] {
        let directory = vectors.appendingPathComponent(kind).path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".kru") }.map { String($0.dropLast(4)) }.sorted()
    }

    static func load(_ kind: String, _ name: String) throws -> (bytes: [UInt8], expected: JSONValue) {
        let base = vectors.appendingPathComponent(kind).appendingPathComponent(name)
        let bytes = [UInt8](try Data(contentsOf: base.appendingPathExtension("kru")))
        // The converter's strict parser keeps numbers as text, so they convert with Swift's correctly rounded
        // Double(_:)/Int64(_:) (Foundation's JSONSerialization on Linux reads 2^100 one ulp off).
        let json = [UInt8](try Data(contentsOf: base.appendingPathExtension("json")))
        return (bytes, try StrictJSONParser.parse(json, base: 0, context: CheckpointContext(file: name)))
    }

    @Test func thereAreVectorsOfBothKinds() {
        #expect(Self.names("valid").count >= 5)
        #expect(Self.names("invalid").count >= KRUFormatError.Code.allCases.count - 1)  // every code but io
    }

    @Test(arguments: names("valid"))
    func validVectorDecodesToItsJSON(name: String) throws {
        let (bytes, expected) = try Self.load("valid", name)
        let file = try KRUFile(bytes: bytes)
        let difference = jsonDifference(try decodedDocument(file), expected, path: name)
        #expect(difference == nil, "\(difference ?? "")")
    }

    @Test(arguments: names("invalid"))
    func invalidVectorFailsWithItsError(name: String) throws {
        let (bytes, expected) = try Self.load("invalid", name)
        let error = #expect(throws: KRUFormatError.self) { try KRUFile(bytes: bytes).verifyAllTensors() }
        #expect(error?.code.rawValue == expected["error"]?.string, "\(name): \(error.map { "\($0)" } ?? "")")
        #expect(error.map { Int64($0.offset) } == expected["offset"]?.int64, "\(name): \(error.map { "\($0)" } ?? "")")
    }

    @Test func everyErrorCodeHasAnInvalidVector() throws {
        let covered = Set(try Self.names("invalid").map { try Self.load("invalid", $0).expected["error"]?.string })
        for code in KRUFormatError.Code.allCases where code != .io {
            #expect(covered.contains(code.rawValue), "no vector for \(code.rawValue)")
        }
    }
}

/// The spec §7 document of a file, with Swift types that ``jsonDifference`` compares against parsed JSON.
func decodedDocument(_ file: KRUFile) throws -> [String: Any] {
    func number(_ x: Double) -> Any {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return x
    }
    func value(_ v: KRUMetadataValue) -> Any {
        switch v {
        case .bool(let b): b
        case .int(let i): i
        case .float(let x): number(x)
        case .string(let s): s
        case .boolArray(let a): a
        case .intArray(let a): a
        case .floatArray(let a): a.map(number)
        case .stringArray(let a): a
        }
    }
    return [
        "version": [Int64(file.version.major), Int64(file.version.minor)],
        "metadata": file.metadata.map {
            ["key": $0.key, "type": $0.value.typeName, "value": value($0.value)] as [String: Any]
        },
        "tensors": try file.tensors.map { info -> [String: Any] in
            let tensor = try file.tensor(info)
            let data: [Any]
            if info.dtype.isComplex {
                let (re, im) = try tensor.complexDoubles()
                data = zip(re, im).map { [number($0), number($1)] }
            } else if [.u8, .i8, .i32, .i64].contains(info.dtype) {
                data = try tensor.int64s()
            } else {
                data = try tensor.doubles().map(number)
            }
            return ["name": info.name, "dtype": info.dtype.name, "shape": info.shape.map { Int64($0) },
                    "compression": info.compression.description, "stored_length": Int64(info.storedLength),
                    "raw_length": Int64(info.rawLength), "crc32": Int64(info.crc32), "data": data]
        },
    ]
}

/// nil when `actual` (Swift values) equals `expected` exactly, else where they first differ.
func jsonDifference(_ actual: Any, _ expected: JSONValue, path: String) -> String? {
    switch actual {
    case let a as [String: Any]:
        guard case .object(let pairs) = expected else { return "\(path): expected \(expected), got an object" }
        let e = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard Set(a.keys) == Set(e.keys) else { return "\(path): keys \(a.keys.sorted()) vs \(e.keys.sorted())" }
        for key in a.keys.sorted() {
            if let d = jsonDifference(a[key]!, e[key]!, path: "\(path).\(key)") { return d }
        }
        return nil
    case let a as [Any]:
        guard case .array(let e) = expected, e.count == a.count else {
            return "\(path): expected \(expected), got \(a)"
        }
        for (i, (x, y)) in zip(a, e).enumerated() {
            if let d = jsonDifference(x, y, path: "\(path)[\(i)]") { return d }
        }
        return nil
    case let a as String:
        return expected == .string(a) ? nil : "\(path): expected \(expected), got \(a)"
    case let a as Bool:
        return expected == .bool(a) ? nil : "\(path): expected \(expected), got \(a)"
    case let a as Int64:
        return expected.int64 == a ? nil : "\(path): expected \(expected), got \(a)"
    case let a as Double:
        return expected.double?.bitPattern == a.bitPattern ? nil : "\(path): expected \(expected), got \(a)"
    default:
        return "\(path): unexpected value \(actual)"
    }
}

/// Typed reads of parsed JSON for the comparisons above.
extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let pairs) = self { pairs.first { $0.key == key }?.value } else { nil }
    }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int64: Int64? { if case .number(let n) = self { Int64(n) } else { nil } }
    var double: Double? { if case .number(let n) = self { Double(n) } else { nil } }
}
