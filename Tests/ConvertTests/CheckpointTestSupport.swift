import Foundation
import KRUFormat
import Testing
@testable import KRUConvert

/// Paths and helpers shared by the checkpoint reader tests.
enum CheckpointFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let torch = root.appendingPathComponent("torch")
    static let hostile = root.appendingPathComponent("hostile")

    static func torchPath(_ name: String) -> String { torch.appendingPathComponent(name).path }
    static func hostilePath(_ name: String) -> String { hostile.appendingPathComponent(name).path }
    static func memoryPath(_ name: String) -> String {
        root.appendingPathComponent("memory").appendingPathComponent(name).path
    }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Tests/Fixtures/torch/manifest.json.
    static var manifest: [String: Any] {
        let data = try! Data(contentsOf: torch.appendingPathComponent("manifest.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Each model's state-dict parameter names (in PyTorch's order) and shapes, from the manifest.
    static func parameters(of model: String) -> [(name: String, shape: [Int])] {
        let models = manifest["models"] as! [[String: Any]]
        let entry = models.first { $0["name"] as? String == model }!
        // JSONSerialization loses key order; the manifest lists parameters in state-dict order, so re-read it.
        let names = orderedParameterNames(model)
        let shapes = entry["parameters"] as! [String: [Int]]
        return names.map { ($0, shapes[$0]!) }
    }

    /// Parameter names in file order, taken from the raw manifest text.
    private static func orderedParameterNames(_ model: String) -> [String] {
        let text = try! String(contentsOf: torch.appendingPathComponent("manifest.json"), encoding: .utf8)
        let modelStart = text.range(of: "\"name\": \"\(model)\"")!
        let params = text.range(of: "\"parameters\": {", range: modelStart.upperBound..<text.endIndex)!
        let end = text.range(of: "}", range: params.upperBound..<text.endIndex)!
        let body = text[params.upperBound..<end.lowerBound]
        return body.components(separatedBy: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            .filter { !$0.isEmpty && !$0.hasPrefix("[") }
    }

    /// Checkpoint entries of the manifest.
    static var checkpoints: [[String: Any]] { manifest["checkpoints"] as! [[String: Any]] }

    /// The reference state dict of `model`: `NAME.npz` without the run outputs.
    static func reference(_ model: String) throws -> [String: CheckpointTensor] {
        let npz = try Checkpoint.read(path: torchPath("\(model).npz"))
        var result: [String: CheckpointTensor] = [:]
        for t in npz.tensors { result[t.name] = t }
        return result
    }
}

/// float32 → bfloat16 → float32 with round-to-nearest-even (the fixtures hold no NaN).
func roundedToBFloat16(_ x: Float) -> Float {
    let bits = x.bitPattern
    let rounded = (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000
    return Float(bitPattern: rounded)
}

/// float32 → float16 → float32 with round-to-nearest-even, using the standard library's Float16.
func roundedToFloat16(_ x: Float) -> Float {
    #if !(os(macOS) && arch(x86_64))
    return Float(Float16(x))
    #else
    fatalError("Float16 is unavailable on Intel Macs")
    #endif
}

/// Bit patterns, so that -0 vs 0 and NaN payloads count as differences.
func bitPatterns(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Runs `body` and returns the CheckpointError it throws; records an issue if it throws something else or nothing.
func expectCheckpointError(_ body: () throws -> Any,
                           sourceLocation: SourceLocation = #_sourceLocation) -> CheckpointError? {
    do {
        _ = try body()
        Issue.record("expected a CheckpointError, but reading succeeded", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("expected a CheckpointError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Writes small STORED ZIP archives field by field, for tests that need a container around crafted content.
enum TestZip {
    static func stored(_ entries: [(name: String, data: [UInt8])], comment: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in entries {
            let crc = CRC32.checksum(data)
            let offset = out.count
            out += le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4)
                + le(data.count, 4) + le(data.count, 4) + le(name.utf8.count, 2) + le(0, 2) + Array(name.utf8) + data
            central += le(0x0201_4b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4)
                + le(data.count, 4) + le(data.count, 4) + le(name.utf8.count, 2) + le(0, 2) + le(0, 2) + le(0, 2)
                + le(0, 2) + le(0, 4) + le(offset, 4) + Array(name.utf8)
        }
        return out + central + le(0x0605_4b50, 4) + le(0, 2) + le(0, 2) + le(entries.count, 2) + le(entries.count, 2)
            + le(central.count, 4) + le(out.count, 4) + le(comment.count, 2) + comment
    }

    /// A torch.save-like archive: archive/data.pkl, archive/byteorder, archive/data/<key>.
    static func torch(pickle: [UInt8], storages: [(String, [UInt8])], byteOrder: String = "little") -> [UInt8] {
        stored([("archive/data.pkl", pickle), ("archive/byteorder", Array(byteOrder.utf8))]
               + storages.map { ("archive/data/\($0.0)", $0.1) })
    }

    static func le<T: BinaryInteger>(_ value: T, _ count: Int) -> [UInt8] {
        let v = UInt64(truncatingIfNeeded: value)
        return (0..<count).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }
}

/// Pickle opcodes as bytes, for hand-written test pickles.
enum P {
    static let proto2: [UInt8] = [0x80, 2]
    static let mark: [UInt8] = Array("(".utf8), tuple = Array("t".utf8), reduce = Array("R".utf8),
               stop = Array(".".utf8)
    static let emptyDict: [UInt8] = Array("}".utf8), emptyList: [UInt8] = Array("]".utf8),
               emptyTuple: [UInt8] = Array(")".utf8)
    static let setitem: [UInt8] = Array("s".utf8), setitems: [UInt8] = Array("u".utf8),
               append: [UInt8] = Array("a".utf8)
    static let appends: [UInt8] = Array("e".utf8), build: [UInt8] = Array("b".utf8), none: [UInt8] = Array("N".utf8)
    static let newTrue: [UInt8] = [0x88], newFalse: [UInt8] = [0x89], persid: [UInt8] = Array("Q".utf8)

    static func str(_ s: String) -> [UInt8] { [0x58] + TestZip.le(s.utf8.count, 4) + Array(s.utf8) }
    static func int(_ n: Int) -> [UInt8] { (0..<256).contains(n) ? [0x4b, UInt8(n)] : [0x4a] + TestZip.le(Int32(n), 4) }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func ints(_ values: [Int]) -> [UInt8] { mark + values.flatMap(int) + tuple }
    static let orderedDict: [UInt8] = global("collections", "OrderedDict") + emptyTuple + reduce

    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
    static func tensor(key: String, numel: Int, size: [Int], stride: [Int], offset: Int = 0,
                       type: String = "FloatStorage") -> [UInt8] {
        let pid = mark + str("storage") + global("torch", type) + str(key) + str("cpu") + int(numel) + tuple
        return global("torch._utils", "_rebuild_tensor_v2") + mark + pid + persid + int(offset) + ints(size)
            + ints(stride) + newFalse + orderedDict + tuple + reduce
    }

    /// An OrderedDict state dict of `entries`, as a complete protocol-2 pickle.
    static func stateDict(_ entries: [(String, [UInt8])]) -> [UInt8] {
        proto2 + orderedDict + mark + entries.flatMap { str($0.0) + $0.1 } + setitems + stop
    }
}

func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { TestZip.le($0.bitPattern, 4) } }
