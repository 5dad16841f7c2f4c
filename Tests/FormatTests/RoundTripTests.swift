import Testing
@testable import KRUFormat

/// Writer → reader round trips, determinism and the writer's own refusals.
struct RoundTripTests {
    /// A tensor of every dtype, filled from a seeded generator with every byte pattern allowed, so the round
    /// trip must be bit-exact (NaN payloads, -0, subnormals included).
    static func everyDType(seed: UInt64) -> [KRUTensor] {
        var generator = SplitMix64(seed: seed)
        return KRUDType.allCases.enumerated().map { index, dtype in
            let shape = [[3, 5], [2], [], [4, 1, 3], [0, 7]][index % 5]
            let count = shape.reduce(1, *) * dtype.size
            return KRUTensor(name: "t\(index).\(dtype.name)", dtype: dtype, shape: shape,
                             bytes: (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        }
    }

    static let metadata: [KRUMetadataEntry] = [
        KRUMetadataEntry("general.name", .string("round trip — ünïcode ✓")),
        KRUMetadataEntry("general.flag", .bool(true)),
        KRUMetadataEntry("kru.int_min", .int(.min)),
        KRUMetadataEntry("kru.int_max", .int(.max)),
        KRUMetadataEntry("kru.nan", .float(Double(bitPattern: 0x7FF8_0000_DEAD_BEEF))),
        KRUMetadataEntry("kru.negative_zero", .float(-0.0)),
        KRUMetadataEntry("kru.bools", .boolArray([true, false, true])),
        KRUMetadataEntry("kru.ints", .intArray([-1, 0, 1 << 62])),
        KRUMetadataEntry("kru.floats", .floatArray([1.5, -.infinity, .leastNonzeroMagnitude])),
        KRUMetadataEntry("kru.strings", .stringArray(["a", "", "é\n"])),
        KRUMetadataEntry("kru.empty", .stringArray([])),
    ]

    @Test(arguments: [KRUWriter.CompressionPolicy.automatic, .never, .always])
    func everyDTypeAndValueRoundTripsBitExactly(policy: KRUWriter.CompressionPolicy) throws {
        let tensors = Self.everyDType(seed: 7)
        let bytes = try KRUWriter(metadata: Self.metadata, tensors: tensors, compression: policy).encode()
        let file = try KRUFile(bytes: bytes)
        #expect(file.version == KRUVersion(major: 1, minor: 0))
        #expect(file.metadata == Self.metadata)
        #expect(file.tensors.map(\.name) == tensors.map(\.name))
        for tensor in tensors {
            #expect(try file.tensor(named: tensor.name) == tensor)
        }
    }

    @Test func encodingIsDeterministic() throws {
        let writer = KRUWriter(metadata: Self.metadata, tensors: Self.everyDType(seed: 3))
        #expect(try writer.encode() == writer.encode())
    }

    @Test func compressibleTensorsAreCompressedAndOthersNot() throws {
        let zeros = KRUTensor(name: "zeros", shape: [1000], floats: [Float](repeating: 0, count: 1000))
        var generator = SplitMix64(seed: 1)
        let noise = KRUTensor(name: "noise", dtype: .u8, shape: [256],
                              bytes: (0..<256).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let file = try KRUFile(bytes: KRUWriter(tensors: [zeros, noise]).encode())
        #expect(file.tensorInfo(named: "zeros")?.compression == .zlib)
        #expect(file.tensorInfo(named: "noise")?.compression == KRUCompression.none)
        #expect(try file.tensor(named: "zeros").floats() == [Float](repeating: 0, count: 1000))
    }

    @Test func typedAccessorsDecodeKnownValues() throws {
        // f16 0x3C00 = 1, 0xC000 = -2, 0x0001 = 2^-24 (smallest subnormal), 0x7BFF = 65504 (largest finite);
        // bf16 0x3F80 = 1, 0x4049 = 3.140625.
        let half = KRUTensor(name: "h", dtype: .f16, shape: [4],
                             bytes: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0xFF, 0x7B])
        #expect(try half.doubles() == [1, -2, 0x1p-24, 65504])
        let brain = KRUTensor(name: "b", dtype: .bf16, shape: [2], bytes: [0x80, 0x3F, 0x49, 0x40])
        #expect(try brain.floats() == [1, 3.140625])
        let complex = KRUTensor(name: "c", shape: [2], real: [1, -3], imaginary: [2, 0.5])
        #expect(try complex.complexFloats().real == [1, -3])
        #expect(try complex.complexFloats().imaginary == [2, 0.5])
        #expect(try KRUTensor(name: "i", shape: [2], int32s: [-5, 7]).int64s() == [-5, 7])
        #expect(throws: KRUTensorTypeError.self) { try complex.floats() }
    }

    @Test(arguments: [
        [KRUMetadataEntry("nodot", .int(1))],
        [KRUMetadataEntry("Upper.case", .int(1))],
        [KRUMetadataEntry("general.name", .int(1)), KRUMetadataEntry("general.name", .int(2))],
    ])
    func writerRefusesMetadataReadersWouldRefuse(metadata: [KRUMetadataEntry]) {
        #expect(throws: KRUWriterError.self) { try KRUWriter(metadata: metadata).encode() }
    }

    @Test func writerRefusesBadTensorNames() {
        let a = KRUTensor(name: "a b", shape: [1], floats: [1])
        let b = KRUTensor(name: "same", shape: [1], floats: [1])
        #expect(throws: KRUWriterError.self) { try KRUWriter(tensors: [a]).encode() }
        #expect(throws: KRUWriterError.self) { try KRUWriter(tensors: [b, b]).encode() }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func readerLimitOnTensorSizeIsEnforcedBeforeReading() throws {
        let big = KRUTensor(name: "big", shape: [1024], floats: [Float](repeating: 1, count: 1024))
        var options = KRUFile.Options()
        options.maximumTensorBytes = 1000
        let error = #expect(throws: KRUFormatError.self) {
            try KRUFile(bytes: KRUWriter(tensors: [big]).encode(), options: options)
        }
        #expect(error?.code == .tensorTooLarge)
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny seeded generator for test data.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
