/// Decimal text of a little-endian two's-complement integer of any width (for LONG1/LONG4 values).
enum BigIntegerText {
    static func decimal(_ raw: [UInt8]) -> String {
        guard let last = raw.last else { return "0" }
        // The conversion is quadratic; LONG4 allows megabytes. Beyond 128 bytes (~308 digits) say how big it is.
        guard raw.count <= 128 else { return "(an integer of \(raw.count) bytes)" }
        let negative = last & 0x80 != 0
        // Magnitude as little-endian bytes (two's complement negated if needed).
        var magnitude = raw
        if negative {
            var carry = 1
            for i in magnitude.indices {
                let v = Int(~magnitude[i] & 0xff) + carry
                magnitude[i] = UInt8(v & 0xff)
                carry = v >> 8
            }
        }
        // Repeated division by 10 over big-endian digits; at most 255 bytes (LONG1) or the string cap (LONG4).
        var digits: [UInt8] = []
        var number = Array(magnitude.reversed().drop { $0 == 0 })
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            for byte in number {
                let v = remainder * 256 + Int(byte)
                let q = v / 10
                remainder = v % 10
                if !(quotient.isEmpty && q == 0) { quotient.append(UInt8(q)) }
            }
            digits.append(UInt8(remainder) + 0x30)
            number = quotient
        }
        if digits.isEmpty { return "0" }
        return (negative ? "-" : "") + String(decoding: digits.reversed(), as: UTF8.self)
    }
}
