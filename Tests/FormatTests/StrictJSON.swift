/// A minimal JSON parser for the test vectors that keeps numbers as their source text, so they can be
/// converted with Swift's correctly rounded `Double(_:)`/`Int64(_:)`. (Foundation's JSONSerialization on Linux
/// rounds some doubles wrongly — 2^100 comes back one ulp off — which would make exact comparisons lie.)
indirect enum JSON: Equatable {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func parse(_ bytes: [UInt8]) throws -> JSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.position == bytes.count else { throw Parser.Failure(position: parser.position) }
        return value
    }

    subscript(key: String) -> JSON? { if case .object(let o) = self { o[key] } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int64: Int64? { if case .number(let n) = self { Int64(n) } else { nil } }
    var double: Double? { if case .number(let n) = self { Double(n) } else { nil } }
    var array: [JSON]? { if case .array(let a) = self { a } else { nil } }

    private struct Parser {
        struct Failure: Error { let position: Int }
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard position < bytes.count, bytes[position] == byte else { throw Failure(position: position) }
                position += 1
            }
        }

        mutating func value() throws -> JSON {
            skipSpace()
            guard position < bytes.count else { throw Failure(position: position) }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var object: [String: JSON] = [:]
                skipSpace()
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try value() else { throw Failure(position: position) }
                    skipSpace()
                    try expect(":")
                    object[key] = try value()
                    skipSpace()
                    if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(object) }
                    try expect(",")
                }
            case UInt8(ascii: "["):
                position += 1
                var array: [JSON] = []
                skipSpace()
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(array) }
                while true {
                    array.append(try value())
                    skipSpace()
                    if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(array) }
                    try expect(",")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default:
                let start = position
                while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
                guard position > start else { throw Failure(position: position) }
                return .number(String(decoding: bytes[start..<position], as: UTF8.self))
            }
        }

        mutating func string() throws -> String {
            position += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw = [] }
            var pendingHigh: UInt32?
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\"") { flush(); return String(scalars) }
                guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
                flush()
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
                        throw Failure(position: position)
                    }
                    position += 4
                    if (0xD800..<0xDC00).contains(code) { pendingHigh = code; continue }
                    if (0xDC00..<0xE000).contains(code), let high = pendingHigh {
                        scalars.append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))!)
                        pendingHigh = nil
                        continue
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw Failure(position: position) }
                    scalars.append(scalar)
                default: scalars.append(Unicode.Scalar(escape))
                }
            }
            throw Failure(position: position)
        }
    }
}
