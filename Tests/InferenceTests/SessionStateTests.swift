import Foundation
import Testing
@testable import KRUInference

/// Session states: a state written to a file and read back restores the same outputs; a state is refused by
/// another model; a stream can be moved into and out of a batched session without touching the other streams
/// (the oracle for each stream is a single-stream session fed the same tokens).
struct SessionStateTests {
    static func model(_ name: String = "torch_gru_h8_l3.kru") throws -> KRUModel {
        try KRUModel(path: ModelFixtureTests.directory.appendingPathComponent(name).path)
    }

    @Test func aStateFileRoundTripsAndBelongsToItsModel() throws {
        let model = try Self.model()
        let session = model.session()
        for token in [0, 3, 1, 2] { try session.feed(token: token) }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-state-\(UUID().uuidString).kru").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try session.snapshot().write(toPath: path)
        let restored = model.session()
        try restored.restore(try KRUSessionState(path: path, model: model))
        #expect(restored.outputValues() == session.outputValues() && restored.stepCount == 4)
        try session.feed(token: 1)
        try restored.feed(token: 1)
        #expect(restored.outputValues() == session.outputValues())
        #expect(throws: ModelInputError.self) {
            try KRUSessionState(path: path, model: try Self.model("torch_gru_l1.kru"))
        }
        #expect(throws: ModelInputError.self) {
            try model.session(batchSize: 2).restore(try KRUSessionState(path: path, model: model))
        }
    }

    @Test func streamsMoveInAndOutOfABatchedSession() throws {
        let model = try Self.model()
        let batched = model.session(batchSize: 3)
        let inputs = [[0, 1, 2], [3, 3, 0], [2, 0, 1]]  // per step, one token per stream
        for column in inputs { try batched.feed(tokens: column) }
        let k = model.description.outputWidth
        // Stream 1 alone, fed its own tokens, is the oracle for stream 1 of the batch.
        let single = model.session()
        for column in inputs { try single.feed(token: column[1]) }
        let out = try batched.snapshot(stream: 1)
        #expect(Array(batched.outputValues()[k..<2 * k]) == single.outputValues())
        // Put stream 1's state into stream 2 of a fresh batch; stream 0 stays at zero.
        let other = model.session(batchSize: 3)
        try other.restore(out, stream: 2)
        try other.feed(tokens: [1, 1, 1])
        try single.feed(token: 1)
        #expect(Array(other.outputValues()[2 * k..<3 * k]) == single.outputValues())
        let fresh = model.session()
        try fresh.feed(token: 1)
        #expect(Array(other.outputValues()[0..<k]) == fresh.outputValues())
        // Resetting one stream returns it to the zero state only.
        other.reset(stream: 2)
        try other.feed(tokens: [1, 1, 1])
        try fresh.feed(token: 1)
        #expect(Array(other.outputValues()[0..<k]) == fresh.outputValues())
        let restarted = model.session()
        try restarted.feed(token: 1)
        #expect(Array(other.outputValues()[2 * k..<3 * k]) == restarted.outputValues())
        #expect(throws: ModelInputError.self) { try other.restore(out, stream: -1) }
    }
}
