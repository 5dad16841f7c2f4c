/// A JSON value from ``StrictJSONParser``: objects keep their key order, numbers keep their text so that
/// integers up to 2^64 − 1 are exact.
indirect enum JSONValue: Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let x), .array(let y)): x == y
        case (.string(let x), .string(let y)), (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        default: false
        }
    }

    /// The value as a non-negative integer that fits in `UInt64`, or nil (fractions, exponents, signs, overflow).
    var unsignedInteger: UInt64? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return UInt64(text)
    }
}

/// Why a document is not strict JSON, and the byte where the parser found out.
public struct StrictJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Offset of the offending byte (from the start of the document, or from the `base` the caller gave).
    public let offset: UInt64
    public let message: String
    public var description: String { "byte \(offset): \(message)" }
}

/// Strict JSON checking for readers outside the checkpoint code.
public enum StrictJSON {
    /// Checks that `bytes` hold exactly one JSON value by the rules of the safetensors header reader: RFC 8259, no
    /// duplicate keys, valid UTF-8 and escapes, nesting at most `maxDepth` deep. For documents that are then decoded
    /// by Foundation, which would silently keep one of two duplicate keys.
    public static func validate(_ bytes: [UInt8], maxDepth: Int = 64) throws(StrictJSONError) {
        _ = try StrictJSONParser.parse(bytes, base: 0, maxDepth: maxDepth)
    }
}

/// RFC 8259 JSON, strictly: no duplicate keys (safetensors forbids them; Python and Rust parsers disagree on
/// which one wins), no comments, no trailing commas, valid UTF-8 and escapes, and a depth limit.
struct StrictJSONParser {
    private let bytes: [UInt8]
    private let base: UInt64
    private let maxDepth: Int
    private var i = 0

    /// Parses all of `bytes` (surrounding whitespace allowed); `base` is the file offset of `bytes[0]`.
    static func parse(_ bytes: [UInt8], base: UInt64, maxDepth: Int = 64) throws(StrictJSONError) -> JSONValue {
        var parser = StrictJSONParser(bytes: bytes, base: base, maxDepth: maxDepth)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == bytes.count else { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    /// ``parse(_:base:maxDepth:)`` for a checkpoint's JSON header: failures are `CheckpointError`s in `context`.
    static func parse(_ bytes: [UInt8], base: UInt64, context: CheckpointContext,
                      maxDepth: Int = 64) throws -> JSONValue {
        do {
            return try parse(bytes, base: base, maxDepth: maxDepth)
        } catch {
            throw context.error(.safetensorsBadHeader, at: error.offset, "invalid JSON header: \(error.message)")
        }
    }

    private init(bytes: [UInt8], base: UInt64, maxDepth: Int) {
        self.bytes = bytes
        self.base = base
        self.maxDepth = maxDepth
    }

    private func fail(_ message: String, at position: Int? = nil) -> StrictJSONError {
        StrictJSONError(offset: base + UInt64(position ?? i), message: message)
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0a || bytes[i] == 0x0d { i += 1 }
    }

    private mutating func value(depth: Int) throws(StrictJSONError) -> JSONValue {
        guard depth < maxDepth else { throw fail("nested deeper than \(maxDepth) levels") }
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case 0x7b: return try object(depth: depth)
        case 0x5b: return try array(depth: depth)
        case 0x22: return .string(try string())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6e: try literal("null"); return .null
        case 0x2d, 0x30...0x39: return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: String) throws(StrictJSONError) {
        guard bytes[i...].starts(with: word.utf8) else { throw fail("unexpected character") }
        i += word.utf8.count
    }

    private mutating func object(depth: Int) throws(StrictJSONError) -> JSONValue {
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7d { i += 1; return .object(members) }
        while true {
            skipSpace()
            let keyAt = i
            guard i < bytes.count, bytes[i] == 0x22 else { throw fail("expected a string key") }
            let key = try string()
            guard seen.insert(key).inserted else { throw fail("duplicate key \(quotedForMessage(key))", at: keyAt) }
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x3a else { throw fail("expected ':'") }
            i += 1
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end in an object") }
            if bytes[i] == 0x2c { i += 1; continue }
            if bytes[i] == 0x7d { i += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws(StrictJSONError) -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == 0x5d { i += 1; return .array(items) }
        while true {
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end in an array") }
            if bytes[i] == 0x2c { i += 1; continue }
            if bytes[i] == 0x5d { i += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func number() throws(StrictJSONError) -> String {
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - s
        }
        if bytes[i] == 0x2d { i += 1 }
        let intStart = i
        guard digits() > 0 else { throw fail("a number needs digits", at: start) }
        guard bytes[intStart] != 0x30 || i - intStart == 1 else { throw fail("leading zero in a number", at: start) }
        if i < bytes.count, bytes[i] == 0x2e {
            i += 1
            guard digits() > 0 else { throw fail("a fraction needs digits", at: start) }
        }
        if i < bytes.count, bytes[i] | 0x20 == 0x65 {
            i += 1
            if i < bytes.count, bytes[i] == 0x2b || bytes[i] == 0x2d { i += 1 }
            guard digits() > 0 else { throw fail("an exponent needs digits", at: start) }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func string() throws(StrictJSONError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string", at: start) }
            let b = bytes[i]
            switch b {
            case 0x22:
                i += 1
                guard let text = strictUTF8String(out) else { throw fail("a string is not valid UTF-8", at: start) }
                return text
            case 0x5c:
                guard i + 1 < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case 0x22, 0x5c, 0x2f: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0c)
                case 0x6e: out.append(0x0a)
                case 0x72: out.append(0x0d)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xd800..<0xdc00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard i + 1 < bytes.count, bytes[i] == 0x5c, bytes[i + 1] == 0x75 else {
                            throw fail("unpaired surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xdc00..<0xe000).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    } else if (0xdc00..<0xe000).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw fail("invalid escape")
                }
            case 0x00..<0x20:
                throw fail("control character in a string")
            default:
                out.append(b)
                i += 1
            }
        }
    }

    private mutating func hex4() throws(StrictJSONError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i] | 0x20
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}
