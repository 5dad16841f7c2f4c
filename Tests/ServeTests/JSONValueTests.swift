import Foundation
import Testing
@testable import KRUServe

/// The server's JSON writer against Foundation's parser: every string survives the round trip, whatever it holds.
struct JSONValueTests {
    @Test func stringsRoundTripThroughFoundationsParser() throws {
        var samples = ["", "plain", "quote \" backslash \\ slash /", "tab\tnewline\nreturn\r", "\u{0}\u{1}\u{1F}\u{7F}",
                       "line separators \u{2028}\u{2029}", "ünïcödé ☃ 𝄞 👩‍👩‍👧",
                       "\\u0041 is not escaped here"]
        samples += (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        for sample in samples {
            let document = JSONValue.object([("s", .string(sample)), ("list", .array([.string(sample), .null]))])
            let parsed = try #require(
                try JSONSerialization.jsonObject(with: Data(document.text.utf8)) as? [String: Any])
            #expect(parsed["s"] as? String == sample, "\(sample.debugDescription)")
            #expect((parsed["list"] as? [Any])?.first as? String == sample)
            // Control characters and the JavaScript line separators are written escaped, never raw.
            let raw = document.text.unicodeScalars.filter { $0.value < 0x20 || (0x2028...0x2029).contains($0.value) }
            #expect(raw.isEmpty, "\(sample.debugDescription)")
        }
    }

    @Test func numbersAreValidJSONAndNonFiniteBecomesNull() throws {
        let values: [Double] = [0, -0.0, 1, -2.5, 1e-7, 6.02e23, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let document = JSONValue.array(values.map(JSONValue.double) + [.double(.nan), .double(.infinity),
                                                                       .uint(.max), .int(.min), .bool(true)])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.text.utf8)) as? [Any])
        for (i, value) in values.enumerated() { #expect((parsed[i] as? Double) == value, "\(value)") }
        #expect(parsed[values.count] is NSNull && parsed[values.count + 1] is NSNull)
        #expect(document.text.contains("18446744073709551615") && document.text.contains("-9223372036854775808"))
    }
}
