import Foundation
import Testing
@testable import KRUConvert

/// The strict `.npy` header parser, dtype handling, Fortran order, and the atomic `.npy` writer.
struct CheckpointNumPyTests {
    /// A `.npy` file with `header` (padded as NumPy does) and `data`.
    private func npy(_ header: String, _ data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        var text = Array(header.utf8)
        let preamble = major == 1 ? 10 : 12
        text += [UInt8](repeating: 0x20, count: (64 - (preamble + text.count + 1) % 64) % 64) + [0x0a]
        let length = major == 1 ? TestZip.le(text.count, 2) : TestZip.le(text.count, 4)
        return [0x93] + Array("NUMPY".utf8) + [major, 0] + length + text + data
    }

    private func header(_ descr: String, _ shape: String, fortran: Bool = false) -> String {
        "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    }

    @Test(arguments: [UInt8(1), 2, 3])
    func versions(major: UInt8) throws {
        let array = try NumPyArray.decode(npy(header("<f4", "(2,)"), floatBytes([1, 2]), major: major))
        #expect(array.values == .float([1, 2]))
        #expect(array.shape == [2])
    }

    @Test func headerVariantsNumPyWrites() throws {
        let data = floatBytes([1, 2, 3, 4, 5, 6])
        for text in ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                     "{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
                     "{\"shape\": (2, 3,), \"fortran_order\": False, \"descr\": \"<f4\"}",
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"] {
            let array = try NumPyArray.decode(npy(text, data))
            #expect(array.shape == [2, 3], "\(text)")
        }
    }

    @Test func fortranOrderIsTransposedToRowMajor() throws {
        // Column-major [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
        let array = try NumPyArray.decode(npy(header("<f4", "(2, 3)", fortran: true), floatBytes([1, 4, 2, 5, 3, 6])))
        #expect(array.values == .float([1, 2, 3, 4, 5, 6]))
    }

    @Test func bigEndianAndIntegerTypes() throws {
        let big = try NumPyArray.decode(npy(header(">i4", "(2,)"), [0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]))
        #expect(big.values == .integer([258, -2]))
        #expect(big.dtype == .int32)
        let bools = try NumPyArray.decode(npy(header("|b1", "(3,)"), [0, 1, 7]))
        #expect(bools.values == .integer([0, 1, 1]))
        let bytes = try NumPyArray.decode(npy(header("|u1", "()"), [200]))
        #expect(bytes.values == .integer([200]))
        #expect(bytes.shape == [])
        let doubles = try NumPyArray.decode(npy(header("<f8", "(1,)"), TestZip.le((0.1 as Double).bitPattern, 8)))
        #expect(doubles.values == .double([0.1]))
        let halves = try NumPyArray.decode(npy(header("<f2", "(2,)"), [0x00, 0x3c, 0x01, 0x00]))
        #expect(halves.values == .float([1, 0x1p-24]))
    }

    @Test(arguments: [
        "{'descr': __import__('os').system('ls'), 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f4', 'shape': (1,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} + 1",
        "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (1,)}",
        "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,)}",
        "['descr', '<f4']",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
    ])
    func headersThatAreNotTheLiteralAreRefused(text: String) throws {
        let error = expectCheckpointError { try NumPyArray.decode(npy(text, floatBytes([1]))) }
        #expect(error?.kind == .npyBadHeader, "\(text)")
    }

    @Test(arguments: ["<c8", "|O", "=f4", "|f4", "<U4", "<M8"])
    func unsupportedDTypes(descr: String) throws {
        let error = expectCheckpointError { try NumPyArray.decode(npy(header(descr, "(1,)"), floatBytes([1, 2]))) }
        #expect(error?.kind == .unsupportedDType(descr))
    }

    @Test func structuredDTypeIsRefused() throws {
        let error = expectCheckpointError {
            try NumPyArray.decode(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                                      floatBytes([1])))
        }
        #expect(error?.kind == .unsupportedDType("structured"))
    }

    @Test func dataMustMatchTheShapeExactly() throws {
        let short = expectCheckpointError { try NumPyArray.decode(npy(header("<f4", "(3,)"), floatBytes([1, 2]))) }
        #expect(short?.kind == .dataSizeMismatch)
        let long = expectCheckpointError { try NumPyArray.decode(npy(header("<f4", "(1,)"), floatBytes([1, 2]))) }
        #expect(long?.kind == .dataSizeMismatch)
        let absurd = expectCheckpointError { try NumPyArray.decode(npy(header("<f8", "(4294967296, 4294967296)"), [])) }
        #expect(absurd?.kind == .limitExceeded(.tensorElements))
    }

    @Test func preambleErrors() throws {
        #expect(expectCheckpointError { try NumPyArray.decode([0x93, 0x4e]) }?.kind == .truncated)
        var bad = npy(header("<f4", "(1,)"), floatBytes([1]))
        bad[6] = 4
        #expect(expectCheckpointError { try NumPyArray.decode(bad) }?.kind == .npyUnsupportedVersion)
        var long = npy(header("<f4", "(1,)"), floatBytes([1]))
        long[8] = 0xff; long[9] = 0xff
        #expect(expectCheckpointError { try NumPyArray.decode(long) }?.kind == .truncated)
        var limits = CheckpointLimits()
        limits.maxNpyHeaderBytes = 32
        #expect(expectCheckpointError {
            try NumPyArray.decode(npy(header("<f4", "(1,)"), floatBytes([1])), limits: limits)
        }?.kind == .limitExceeded(.npyHeaderBytes))
    }

    // MARK: - Writer

    @Test func writerHeaderIsNumPyVersion1AlignedTo64() throws {
        let bytes = try NumPyArray(shape: [2, 3], values: .float([1, 2, 3, 4, 5, 6])).encoded()
        #expect(Array(bytes[0..<8]) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(header.hasSuffix(" \n"))
        #expect(bytes.count == 10 + headerLength + 24)
        #expect(Array(bytes[(10 + headerLength)...]) == floatBytes([1, 2, 3, 4, 5, 6]))
    }

    @Test func writerShapes() throws {
        for (shape, text) in [([Int](), "()"), ([4], "(4,)"), ([1, 2, 2], "(1, 2, 2)")] {
            let count = shape.reduce(1, *)
            let bytes = try NumPyArray(shape: shape, values: .double((0..<count).map(Double.init))).encoded()
            #expect(String(decoding: bytes[10..<bytes.count], as: UTF8.self).contains("'shape': \(text), }"))
            let back = try NumPyArray.decode(bytes)
            #expect(back.shape == shape)
            #expect(back.dtype == .float64)
        }
    }

    @Test(arguments: [CheckpointDType.int64, .int32, .int16, .int8, .uint8, .uint16, .uint32, .bool])
    func writerRoundTripsIntegers(dtype: CheckpointDType) throws {
        let values: [Int64] = dtype == .bool ? [0, 1, 1, 0] : [0, 1, 100, 127]
        let array = NumPyArray(shape: [2, 2], values: .integer(values), dtype: dtype)
        #expect(try NumPyArray.decode(array.encoded()) == array)
    }

    @Test func writerRefusesValuesThatDoNotFit() throws {
        #expect(expectCheckpointError {
            try NumPyArray(shape: [1], values: .integer([300]), dtype: .uint8).encoded()
        }?.kind == .dataSizeMismatch)
        #expect(expectCheckpointError {
            try NumPyArray(shape: [3], values: .float([1])).encoded()
        }?.kind == .dataSizeMismatch)
        #expect(expectCheckpointError {
            try NumPyArray(shape: [1], values: .float([1]), dtype: .int32).encoded()
        }?.kind == .unsupportedDType("int32"))
        #expect(expectCheckpointError {
            try NumPyArray(shape: [1], values: .float([1]), dtype: .bfloat16).encoded()
        }?.kind == .unsupportedDType("bfloat16"))
    }

    @Test func writeIsAtomicAndReadsBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kru-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("logits.npy").path
        let array = NumPyArray(shape: [2, 2], values: .float([0.5, -1, .infinity, 3]))
        try array.write(toPath: path)
        try NumPyArray(shape: [1], values: .float([9])).write(toPath: path)  // replaces it whole
        #expect(try NumPyArray.read(path: path) == NumPyArray(shape: [1], values: .float([9])))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["logits.npy"])
        // Checkpoint.read names a lone array after its file.
        #expect(try Checkpoint.read(path: path).tensors.map(\.name) == ["logits"])
        let missing = expectCheckpointError {
            try array.write(toPath: directory.appendingPathComponent("no/such/dir.npy").path)
        }
        #expect(missing?.kind == .io)
    }
}
