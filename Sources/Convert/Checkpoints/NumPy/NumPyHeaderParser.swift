/// The three fields of a `.npy` header.
struct NumPyHeader: Equatable {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int64]
}

/// Parses a `.npy` header with a strict grammar that accepts only what NumPy writes:
/// `{'descr': <str>, 'fortran_order': True|False, 'shape': (<int>, ...)}` (any key order, optional trailing
/// commas, spaces and a final newline). NumPy itself feeds this text to `ast.literal_eval`; here nothing is
/// evaluated: any other token (a name, a call, an operator) is an error at its byte offset.
struct NumPyHeaderParser {
    private let text: [UInt8]
    private let base: UInt64
    private let context: CheckpointContext
    private var i = 0

    /// `base` is the file offset of the header's first byte, for error positions.
    static func parse(_ text: [UInt8], base: UInt64, context: CheckpointContext) throws -> NumPyHeader {
        var parser = NumPyHeaderParser(text: text, base: base, context: context)
        return try parser.header()
    }

    private init(text: [UInt8], base: UInt64, context: CheckpointContext) {
        self.text = text
        self.base = base
        self.context = context
    }

    private func fail(_ message: String, at position: Int? = nil) -> CheckpointError {
        context.error(.npyBadHeader, at: base + UInt64(position ?? i), "\(message) in the .npy header")
    }

    private mutating func skipSpace() {
        while i < text.count, text[i] == 0x20 || text[i] == 0x09 || text[i] == 0x0a || text[i] == 0x0d { i += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard i < text.count, text[i] == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))' but found \(describeHere())")
        }
        i += 1
    }

    /// Tries to consume `byte` after optional spaces.
    private mutating func accept(_ byte: UInt8) -> Bool {
        skipSpace()
        if i < text.count, text[i] == byte { i += 1; return true }
        return false
    }

    /// What is at the current position, for messages: a word, a character or the end.
    private func describeHere() -> String {
        guard i < text.count else { return "the end of the header" }
        var j = i
        while j < text.count, j - i < 40, text[j] == 0x5f || (text[j] >= 0x30 && text[j] <= 0x39) ||
            (text[j] | 0x20 >= 0x61 && text[j] | 0x20 <= 0x7a) { j += 1 }
        let token = j > i ? String(decoding: text[i..<j], as: UTF8.self) : String(decoding: text[i...i], as: UTF8.self)
        return quotedForMessage(token)
    }

    private mutating func header() throws -> NumPyHeader {
        try expect(0x7b)  // {
        var descr: String? = nil, fortran: Bool? = nil, shape: [Int64]? = nil
        while !accept(0x7d) {  // }
            let keyAt = i
            let key = try string()
            try expect(0x3a)  // :
            switch key {
            case "descr":
                guard descr == nil else { throw fail("duplicate key 'descr'", at: keyAt) }
                skipSpace()
                if i < text.count, text[i] == 0x5b {  // [
                    throw context.error(.unsupportedDType("structured"), at: base + UInt64(i),
                                        "structured (record) dtypes are not supported")
                }
                descr = try string()
            case "fortran_order":
                guard fortran == nil else { throw fail("duplicate key 'fortran_order'", at: keyAt) }
                fortran = try boolean()
            case "shape":
                guard shape == nil else { throw fail("duplicate key 'shape'", at: keyAt) }
                shape = try tuple()
            default:
                throw fail("unexpected key \(quotedForMessage(key))", at: keyAt)
            }
            if !accept(0x2c) {  // , — or the closing brace must follow
                try expect(0x7d)
                break
            }
        }
        skipSpace()
        guard i == text.count else { throw fail("unexpected \(describeHere()) after the closing brace") }
        guard let descr, let fortran, let shape else {
            throw fail("missing \(descr == nil ? "'descr'" : fortran == nil ? "'fortran_order'" : "'shape'")", at: 0)
        }
        return NumPyHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// A quoted string without escapes (NumPy's dtype strings never need them).
    private mutating func string() throws -> String {
        skipSpace()
        guard i < text.count, text[i] == 0x27 || text[i] == 0x22 else {
            throw fail("expected a quoted string but found \(describeHere())")
        }
        let quote = text[i]
        let start = i + 1
        var j = start
        while j < text.count, text[j] != quote {
            guard text[j] != 0x5c, text[j] >= 0x20, text[j] < 0x7f else {
                throw fail("unsupported character in a string", at: j)
            }
            j += 1
        }
        guard j < text.count, j - start <= 64 else { throw fail("unterminated or over-long string", at: i) }
        i = j + 1
        return String(decoding: text[start..<j], as: UTF8.self)
    }

    private mutating func boolean() throws -> Bool {
        skipSpace()
        for (word, value) in [("True", true), ("False", false)] where text[i...].starts(with: word.utf8) {
            let end = i + word.utf8.count
            if end == text.count || !isWordByte(text[end]) { i = end; return value }
        }
        throw fail("expected True or False but found \(describeHere())")
    }

    /// `(d0, d1, ...)`: a one-element tuple needs its trailing comma, as in Python.
    private mutating func tuple() throws -> [Int64] {
        try expect(0x28)  // (
        var values: [Int64] = []
        var sawComma = false
        while !accept(0x29) {  // )
            values.append(try integer())
            guard values.count <= 64 else { throw fail("more than 64 dimensions") }
            sawComma = accept(0x2c)
            if !sawComma {
                try expect(0x29)
                break
            }
        }
        guard values.count != 1 || sawComma else { throw fail("'shape' must be a tuple: write (n,) for one dimension") }
        return values
    }

    /// A non-negative decimal integer, optionally with Python 2's `L` suffix.
    private mutating func integer() throws -> Int64 {
        skipSpace()
        let start = i
        var value: Int64 = 0
        while i < text.count, text[i] >= 0x30, text[i] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(text[i] - 0x30))
            guard !o1, !o2 else { throw fail("dimension too large", at: start) }
            value = sum
            i += 1
        }
        guard i > start else { throw fail("expected a dimension (a non-negative integer) but found \(describeHere())") }
        if i < text.count, text[i] == 0x4c { i += 1 }  // L
        guard i == text.count || !isWordByte(text[i]) else {
            throw fail("expected a dimension but found \(describeHere())", at: start)
        }
        return value
    }

    private func isWordByte(_ b: UInt8) -> Bool {
        b == 0x5f || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7a)
    }
}
