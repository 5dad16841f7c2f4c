import Foundation
import KRUFormat
import Testing
@testable import KRUInference

/// The engine against independent oracles: Tests/Fixtures/models holds models whose expected outputs come from
/// real PyTorch (`torch_*`, dense RNN/LSTM/GRU) or from a NumPy implementation of spec/MODEL.md that forms every
/// Kronecker product explicitly (`kru_*`); see tools/make_model_fixtures.py.
struct ModelFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/models")

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") && $0 != "manifest.json" }.map { String($0.dropLast(5)) }.sorted()
    }()

    @Test func fixturesOfBothOriginsExist() {
        #expect(Self.names.filter { $0.hasPrefix("torch_") }.count >= 8)
        #expect(Self.names.filter { $0.hasPrefix("kru_") }.count >= 6)
    }

    @Test(arguments: names)
    func engineMatchesTheOracle(name: String) throws {
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.directory.appendingPathComponent(name + ".json")))
        let fixture = try #require(json as? [String: Any])
        let modelName = try #require(fixture["model"] as? String)
        let model = try KRUModel(path: Self.directory.appendingPathComponent(modelName).path)
        let inputs = try #require(fixture["inputs"] as? [Any])
        let expectedOutputs = try #require(fixture["outputs"] as? [Any])
        let expectedStates = try #require(fixture["final_states"] as? [Any])  // layer × batch × width
        let expectedCells = fixture["cell_states"] as? [Any]
        let lastOnly = model.description.outputSteps == .last
        var worst: Float = 0
        for (b, sequence) in inputs.enumerated() {
            let session = model.session()
            let steps = sequence as! [Any]
            var produced: [[Float]] = []
            for step in steps {
                if let token = step as? Int, model.description.vocabulary != nil {
                    try session.feed(token: token)
                } else {
                    try session.feed(vector: (step as! [NSNumber]).map(\.floatValue))
                }
                produced.append(session.outputValues())
            }
            // With steps "last" the fixture holds one output per sequence, else one per step.
            let expected = lastOnly ? [floats1D(expectedOutputs[b])] : floats2D(expectedOutputs[b])
            let compared = lastOnly ? [produced.last!] : produced
            #expect(compared.count == expected.count, "\(name): step count")
            for (got, want) in zip(compared, expected) { worst = max(worst, maxRelativeError(got, want)) }
            for l in 0..<model.description.layers.count {
                let want = floats1D((expectedStates[l] as! [Any])[b])
                worst = max(worst, maxRelativeError(session.hiddenState(layer: l), want))
                if let cells = expectedCells, let got = session.cellState(layer: l) {
                    worst = max(worst, maxRelativeError(got, floats1D((cells[l] as! [Any])[b])))
                }
            }
        }
        #expect(worst < 2e-5, "\(name): worst error \(worst)")
    }

    /// All sequences at once through one batched session give the single-stream results.
    @Test(arguments: names)
    func batchedSessionMatchesSingleStreams(name: String) throws {
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.directory.appendingPathComponent(name + ".json")))
        let fixture = try #require(json as? [String: Any])
        let model = try KRUModel(
            path: Self.directory.appendingPathComponent(try #require(fixture["model"] as? String)).path)
        let inputs = try #require(fixture["inputs"] as? [Any])
        let steps = try #require(inputs.first as? [Any]).count
        let batched = model.session(batchSize: inputs.count)
        for t in 0..<steps { try feedBatch(batched, inputs, step: t) }
        let k = model.description.outputWidth
        for b in inputs.indices {
            let single = model.session()
            for t in 0..<steps { try feedBatch(single, [inputs[b]], step: t) }
            #expect(maxRelativeError(Array(batched.outputValues()[b * k..<(b + 1) * k]), single.outputValues()) < 1e-6)
            for l in model.description.layers.indices {
                #expect(maxRelativeError(batched.hiddenState(layer: l, stream: b), single.hiddenState(layer: l)) < 1e-6)
            }
        }
    }
}

/// Feeds step `t` of every sequence in `inputs` to a session of `inputs.count` streams.
func feedBatch(_ session: KRUSession, _ inputs: [Any], step t: Int) throws {
    if session.model.description.vocabulary != nil {
        try session.feed(tokens: inputs.map { ($0 as! [Any])[t] as! Int })
    } else {
        try session.feed(vectors: inputs.flatMap { (($0 as! [Any])[t] as! [NSNumber]).map(\.floatValue) })
    }
}

/// max |a − b| / max(1, |b|): absolute for small values, relative for large ones.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "lengths \(a.count) and \(b.count) differ")
    return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
}

func floats1D(_ any: Any) -> [Float] { (any as! [NSNumber]).map(\.floatValue) }
func floats2D(_ any: Any) -> [[Float]] { (any as! [Any]).map(floats1D) }
