import Foundation
import Testing
@testable import KRUInference

/// `reset(stream:)` and `copyStream(_:of:to:)`: a sequence that joins a running batch late, or moves between
/// batches of different sizes, must produce exactly the outputs it produces alone in a single-stream session
/// (which ModelFixtureTests checks against PyTorch and the NumPy reference).
struct SessionStreamTests {
    /// Every token model among the fixtures: KRU (one and two layers, several activations), RNN, LSTM, GRU.
    static let tokenModels: [String] = {
        let directory = ModelFixtureTests.directory
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".kru") }.sorted().filter { name in
            guard let model = try? KRUModel(path: directory.appendingPathComponent(name).path) else { return false }
            return model.description.vocabulary != nil && model.description.outputSteps == .every
        }
    }()

    static func load(_ name: String) throws -> KRUModel {
        try KRUModel(path: ModelFixtureTests.directory.appendingPathComponent(name).path)
    }

    /// The outputs after each token of `tokens`, fed alone from the zero state.
    static func alone(_ model: KRUModel, _ tokens: [Int]) throws -> [[Float]] {
        let session = model.session()
        return try tokens.map { token in
            try session.feed(token: token)
            return session.outputValues()
        }
    }

    /// A deterministic token sequence for stream `seed`.
    static func sequence(_ seed: Int, length: Int, vocabulary: Int) -> [Int] {
        (0..<length).map { (seed * 7 + $0 * 3 + $0 * $0) % vocabulary }
    }

    @Test func fixturesIncludeSeveralTokenModels() {
        #expect(Self.tokenModels.count >= 4)
    }

    /// Three streams in a batch of three: stream 1 starts over (reset) at step 4 with a new sequence, while
    /// streams 0 and 2 run on undisturbed.
    @Test(arguments: tokenModels)
    func resetStartsOneStreamAfresh(name: String) throws {
        let model = try Self.load(name)
        let v = model.description.vocabulary!.count
        let k = model.description.outputWidth
        let streams = (0..<3).map { Self.sequence($0, length: 10, vocabulary: v) }
        let late = Self.sequence(9, length: 6, vocabulary: v)
        let expected = try streams.map { try Self.alone(model, $0) }
        let expectedLate = try Self.alone(model, late)
        let session = model.session(batchSize: 3)
        for t in 0..<10 {
            if t == 4 { session.reset(stream: 1) }
            let column = [streams[0][t], t < 4 ? streams[1][t] : late[t - 4], streams[2][t]]
            try session.feed(tokens: column)
            let out = session.outputValues()
            #expect(Array(out[0..<k]) == expected[0][t], "stream 0, step \(t)")
            #expect(Array(out[k..<2 * k]) == (t < 4 ? expected[1][t] : expectedLate[t - 4]), "stream 1, step \(t)")
            #expect(Array(out[2 * k..<3 * k]) == expected[2][t], "stream 2, step \(t)")
        }
    }

    /// Two streams start in a batch of two, move to a batch of three (in swapped order, beside a fresh
    /// stream), and finally one of them moves alone into a single-stream session.
    @Test(arguments: tokenModels)
    func copiedStreamsContinueExactly(name: String) throws {
        let model = try Self.load(name)
        let v = model.description.vocabulary!.count
        let k = model.description.outputWidth
        let a = Self.sequence(1, length: 9, vocabulary: v), b = Self.sequence(2, length: 9, vocabulary: v)
        let c = Self.sequence(3, length: 4, vocabulary: v)
        let (expectedA, expectedB, expectedC) = (try Self.alone(model, a), try Self.alone(model, b),
                                                 try Self.alone(model, c))

        let pair = model.session(batchSize: 2)
        for t in 0..<3 { try pair.feed(tokens: [a[t], b[t]]) }
        let triple = model.session(batchSize: 3)
        try triple.feed(tokens: [0, 0, 0])  // leave something to overwrite
        triple.copyStream(1, of: pair, to: 0)
        triple.copyStream(0, of: pair, to: 2)
        triple.reset(stream: 1)
        #expect(Array(triple.outputValues()[0..<k]) == expectedB[2], "outputs are copied with the state")
        for t in 3..<7 {
            try triple.feed(tokens: [b[t], c[t - 3], a[t]])
            let out = triple.outputValues()
            #expect(Array(out[0..<k]) == expectedB[t], "b, step \(t)")
            #expect(Array(out[k..<2 * k]) == expectedC[t - 3], "c, step \(t - 3)")
            #expect(Array(out[2 * k..<3 * k]) == expectedA[t], "a, step \(t)")
        }
        let single = model.session()
        single.copyStream(2, of: triple, to: 0)
        triple.copyStream(2, of: triple, to: 1)  // within one session
        for t in 7..<9 {
            try single.feed(token: a[t])
            try triple.feed(tokens: [b[t], a[t], a[t]])
            #expect(single.outputValues() == expectedA[t], "a alone, step \(t)")
            #expect(Array(triple.outputValues()[k..<2 * k]) == expectedA[t], "a copied within the session, step \(t)")
        }
    }

    /// A session of five slots run on its leading streams only, as a server runs one: three sequences start, the
    /// batch grows to five, then the middle one leaves and the last moves into its slot (a copy within the
    /// session) while only four slots run, and last slot 0 runs alone (the single-stream readout); every running
    /// sequence matches its single-stream run, and the slots beyond the leading ones keep their outputs untouched.
    @Test(arguments: tokenModels)
    func leadingStreamsRunAsABatchOfTheirOwn(name: String) throws {
        let model = try Self.load(name)
        let v = model.description.vocabulary!.count
        let k = model.description.outputWidth
        let sequences = (0..<5).map { Self.sequence(10 + $0, length: 9, vocabulary: v) }
        let expected = try sequences.map { try Self.alone(model, $0) }
        let session = model.session(batchSize: 5)
        var slots = [0, 1, 2]  // slots[b]: the sequence stream b runs
        for t in 0..<9 {
            if t == 2 {
                for slot in 3..<5 { session.reset(stream: slot) }
                slots += [3, 4]
            }
            if t == 5 {
                session.copyStream(4, of: session, to: 2)
                slots = [0, 1, 4, 3]
            }
            if t == 8 { slots = [0] }
            let step = { (sequence: Int) in sequence >= 3 ? t - 2 : t }  // sequences 3 and 4 start at t = 2
            let before = session.outputValues()
            try session.feed(leadingStreams: slots.map { sequences[$0][step($0)] })
            let out = session.outputValues()
            for (b, sequence) in slots.enumerated() {
                #expect(Array(out[b * k..<(b + 1) * k]) == expected[sequence][step(sequence)], "slot \(b), step \(t)")
            }
            let idle = slots.count * k
            #expect(Array(out[idle...]) == Array(before[idle...]), "idle slots, step \(t)")
        }
        #expect(throws: ModelInputError.self) { try session.feed(leadingStreams: []) }
        #expect(throws: ModelInputError.self) { try session.feed(leadingStreams: [Int](repeating: 0, count: 6)) }
    }
}
