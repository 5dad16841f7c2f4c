import Foundation
import Testing
@testable import KRUInference

/// Scores against closed forms: a model whose logits are a constant vector b predicts every token with
/// probability softmax(b), so the mean NLL is the average of −log softmax(b)[token].
struct ScoringTests {
    @Test func constantModelScoreHasItsClosedForm() throws {
        let bias: [Float] = [0.5, -1, 2]
        let model = try TinyModels.constant(vocabulary: "abc", bias: bias)
        let tokens = try model.tokenizer!.encode("abcacbbca")
        let score = try model.score(tokens: tokens)
        let logZ = log(bias.map { exp(Double($0)) }.reduce(0, +))
        let nll = tokens.dropFirst().map { logZ - Double(bias[$0]) }
        let mean = nll.reduce(0, +) / Double(nll.count)
        let sd = (nll.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(nll.count - 1)).squareRoot()
        #expect(score.tokenCount == 8)
        #expect(abs(score.meanNLL - mean) < 1e-6)
        #expect(abs(score.standardError - sd / Double(nll.count).squareRoot()) < 1e-6)
        #expect(abs(score.bitsPerToken - mean / log(2)) < 1e-6)
        #expect(abs(score.perplexity - exp(mean)) < 1e-5)
        // Argmax is always "c" (logit 2): accuracy is the share of "c" among the predicted tokens.
        #expect(score.accuracy == Double(tokens.dropFirst().filter { $0 == 2 }.count) / 8)
    }

    @Test func comparisonWithItselfIsZeroKLAndFullAgreement() throws {
        let model = try TinyModels.constant(vocabulary: "xyz", bias: [1, 2, 3])
        let comparison = try model.compare(with: model, tokens: [0, 1, 2, 2, 1])
        #expect(comparison.meanKL == 0)
        #expect(comparison.topOneAgreement == 1)
    }

    @Test func comparisonOfTwoConstantModelsIsTheirKL() throws {
        let p: [Float] = [1, 2, 3], q: [Float] = [3, 2, 1]
        let reference = try TinyModels.constant(vocabulary: "xyz", bias: p)
        let model = try TinyModels.constant(vocabulary: "xyz", bias: q)
        let comparison = try model.compare(with: reference, tokens: [0, 1, 2])
        let zp = p.map { exp(Double($0)) }.reduce(0, +), zq = q.map { exp(Double($0)) }.reduce(0, +)
        let kl = (0..<3).map { i in
            exp(Double(p[i])) / zp * ((Double(p[i]) - log(zp)) - (Double(q[i]) - log(zq)))
        }.reduce(0, +)
        #expect(abs(comparison.meanKL - kl) < 1e-9)
        #expect(comparison.topOneAgreement == 0)
    }

    @Test func unknownCharactersAreNamedOrSkipped() throws {
        let tokenizer = Tokenizer(vocabulary: Array("ab".unicodeScalars))
        let error = #expect(throws: UnknownCharactersError.self) { try tokenizer.encode("abxaé") }
        #expect(error?.description.contains("\"x\"") == true)
        #expect(error?.description.contains("U+E9") == true)
        #expect(try tokenizer.encode("abxaé", unknown: .skip) == [0, 1, 0])
        #expect(tokenizer.decode([1, 0]) == "ba")
    }
}

/// Scores of labelled data against hand-computed values.
struct DataScoringTests {
    @Test func categoricalLossAndAccuracy() throws {
        let model = try TinyModels.constant(vocabulary: "abc", bias: [0, 0, 0])
        // Two predictions over three classes: logits chosen by hand, targets 2 and 0.
        let outputs: [Float] = [1, 2, 3, 5, 0, 0]
        let score = try model.score(outputs: outputs, targets: [2, 0])
        let first = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3, second = log(exp(5.0) + 2) - 5
        #expect(abs(score.meanLoss - (first + second) / 2) < 1e-12)
        #expect(score.accuracy == 1)
        #expect(throws: ModelInputError.self) { try model.score(outputs: outputs, targets: [3, 0]) }
    }
}

extension DataScoringTests {
    static func fixture(_ name: String) throws -> (KRUModel, [Float], Int, Int) {
        let directory = ModelFixtureTests.directory
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent(name + ".json")))
        let inputs = try #require((json as? [String: Any])?["inputs"] as? [[[NSNumber]]])
        let model = try KRUModel(path: directory.appendingPathComponent(name + ".kru").path)
        let steps = inputs[0].count
        let outputs = try model.outputs(vectors: inputs.flatMap { $0.flatMap { $0.map(\.floatValue) } },
                                        batch: inputs.count, steps: steps)
        return (model, outputs, inputs.count, steps)
    }

    @Test func bernoulliLossIsTheTextbookBinaryCrossEntropy() throws {
        let (model, outputs, _, _) = try Self.fixture("kru_single_factor_bernoulli")
        let targets = outputs.indices.map { Double($0 % 3 == 0 ? 1 : 0) }
        let score = try model.score(outputs: outputs, targets: targets)
        let expected = zip(outputs, targets).map { y, t -> Double in
            let p = 1 / (1 + exp(-Double(y)))
            return -(t * log(p) + (1 - t) * log(1 - p))
        }
        #expect(abs(score.meanLoss - expected.reduce(0, +) / Double(expected.count)) < 1e-9)
        let right = zip(outputs, targets).filter { ($0 > 0) == ($1 == 1) }.count
        #expect(score.accuracy == Double(right) / Double(outputs.count))
    }

    @Test func regressionLossIsTheMeanSquaredError() throws {
        let (model, outputs, _, _) = try Self.fixture("kru_rect_2x3_3x2_2x2_vectors_regression")
        let targets = outputs.map { Double($0) + 0.5 }
        let score = try model.score(outputs: outputs, targets: targets)
        #expect(abs(score.meanLoss - 0.25) < 1e-9)
        #expect(score.accuracy == nil)
    }

    /// With lengths, each padded sequence counts only its first steps: the same as scoring the truncated rows,
    /// and the per-step NLL of a Bernoulli head is Σ_k of its outputs' binary cross-entropies.
    @Test func lengthsScoreOnlyEachSequencesOwnSteps() throws {
        let (model, outputs, batch, steps) = try Self.fixture("kru_single_factor_bernoulli")
        let k = model.description.outputWidth
        #expect(batch >= 2 && steps >= 3)
        let targets = outputs.indices.map { Double(($0 / 2) % 2) }
        let lengths = (0..<batch).map { b in b == 0 ? steps : 1 + b % (steps - 1) }
        let score = try model.score(outputs: outputs, targets: targets, lengths: lengths)
        var kept: [Float] = [], keptTargets: [Double] = []
        var perStep: [Double] = []
        for b in 0..<batch {
            for t in 0..<lengths[b] {
                let row = (b * steps + t) * k
                kept += outputs[row..<row + k]
                keptTargets += targets[row..<row + k]
                perStep.append((row..<row + k).map { i -> Double in
                    let p = 1 / (1 + exp(-Double(outputs[i])))
                    return targets[i] == 1 ? -log(p) : -log(1 - p)
                }.reduce(0, +))
            }
        }
        let truncated = try model.score(outputs: kept, targets: keptTargets)
        #expect(score.count == truncated.count)
        #expect(abs(score.meanLoss - truncated.meanLoss) < 1e-12)
        #expect(score.accuracy == truncated.accuracy)
        #expect(abs(score.meanStepLoss! - perStep.reduce(0, +) / Double(perStep.count)) < 1e-9)
        #expect(throws: ModelInputError.self) {
            try model.score(outputs: outputs, targets: targets, lengths: [steps + 1] + lengths.dropFirst())
        }
    }
}
