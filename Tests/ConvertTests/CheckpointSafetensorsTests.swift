import Testing
@testable import KRUConvert

/// safetensors checks one by one (reference §2.2), on files built in memory.
struct CheckpointSafetensorsTests {
    private func file(_ header: String, _ buffer: [UInt8], length: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        return TestZip.le(length ?? UInt64(json.count), 8) + json + buffer
    }

    private func kind(_ bytes: [UInt8]) -> CheckpointError.Kind? {
        expectCheckpointError { try Checkpoint.read(bytes: bytes, format: .safetensors) }?.kind
    }

    @Test func readsTensorsInHeaderOrderWithMetadata() throws {
        let header = #"{"__metadata__":{"format":"pt","note":"\u00e9"},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"#
            + #""a":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#
        let checkpoint = try Checkpoint.read(bytes: file(header, TestZip.le(Int64(-3), 8) + floatBytes([1, 2])))
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.tensors.map(\.name) == ["b", "a"])
        #expect(try checkpoint["a"]?.values() == .integer([-3]))
        #expect(try checkpoint["b"]?.values() == .float([1, 2]))
        #expect(checkpoint.metadata == [CheckpointMetadataEntry(key: "format", value: .string("pt")),
                                        CheckpointMetadataEntry(key: "note", value: .string("é"))])
    }

    @Test func paddingWhitespaceAndEmptyTensorsAreAllowed() throws {
        let header = #"  {"e":{"dtype":"BF16","shape":[0,3],"data_offsets":[0,0]},"#
            + #""x":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}    "#
        let checkpoint = try Checkpoint.read(bytes: file(header, [0x80, 0x3f]))
        #expect(try checkpoint["x"]?.values() == .float([1]))
        #expect(checkpoint["e"]?.shape == [0, 3])
    }

    @Test func offsetChecks() {
        // A hole, an overlap, offsets running backwards, and a size that disagrees with the shape.
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, floatBytes([1, 2])))
            == .safetensorsBadOffsets)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                              + #""b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, floatBytes([1, 2])))
            == .safetensorsBadOffsets)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, floatBytes([1])))
            == .safetensorsBadOffsets)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, floatBytes([1, 2])))
            == .safetensorsBadHeader)
    }

    @Test func bufferMustEndExactly() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(kind(file(header, floatBytes([1]) + [0])) == .safetensorsIncompleteBuffer)
        #expect(kind(file(header, [0, 0])) == .safetensorsIncompleteBuffer)
    }

    @Test func headerChecks() {
        #expect(kind([1, 2, 3]) == .safetensorsBadHeader)
        #expect(kind(file("{}", [], length: 1 << 60)) == .limitExceeded(.safetensorsHeaderBytes))
        #expect(kind(file("{}", [], length: 100)) == .safetensorsBadHeader)
        #expect(kind(TestZip.le(2, 8) + [0x7b, 0xff]) == .safetensorsBadHeader)  // not UTF-8
        #expect(kind(file(#"{"a":1,"a":2}"#, [])) == .safetensorsBadHeader)  // duplicate key
        #expect(kind(file(#"[]"#, [])) == .safetensorsBadHeader)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],}}"#, floatBytes([1])))
            == .safetensorsBadHeader)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}"#, floatBytes([1])))
            == .safetensorsBadHeader)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, floatBytes([1])))
            == .safetensorsBadHeader)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, floatBytes([1])))
            == .safetensorsBadHeader)
        #expect(kind(file(#"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, floatBytes([1, 2])))
            == .unsupportedDType("C64"))
        #expect(kind(file(#"{"__metadata__":{"n":1}}"#, [])) == .safetensorsBadHeader)
        #expect(kind(file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#,
                          floatBytes([1]))) == .limitExceeded(.tensorElements))
        #expect(kind(file(String(repeating: "[", count: 100) + String(repeating: "]", count: 100), []))
            == .safetensorsBadHeader)
    }

    @Test func strictJSONParser() throws {
        let value = try StrictJSONParser.parse(
            Array(#" {"a": [1, -2.5e3, true, null, "x\ny\ud83d\ude00"], "b": {}} "#.utf8),
            base: 0, context: CheckpointContext(file: "t"))
        #expect(value == .object([
            ("a", .array([.number("1"), .number("-2.5e3"), .bool(true), .null, .string("x\ny😀")])),
            ("b", .object([]))]))
        for bad in ["{", "[1,]", "01", "\"\\x\"", "\"\u{01}\"", "\"\\ud800\"", "{} x", "nul", "1.", "-", "{\"a\" 1}"] {
            #expect(throws: CheckpointError.self, "\(bad)") {
                try StrictJSONParser.parse(Array(bad.utf8), base: 0, context: CheckpointContext(file: "t"))
            }
        }
    }
}
