import Foundation
import KRUInference
import Testing
@testable import KRUTrain

/// The loss, the unitary penalty and the column sums run on the trainer's workers; a run's bytes must still not
/// depend on `--threads`. Each case compares several thread counts with one thread bit for bit, and one thread with
/// an independent sum (rows or factors added in order by the test itself).
struct ParallelReductionTests {
    static let threadCounts = [2, 3, 7]

    /// Categorical rows, some steps unscored and one sequence shorter than the batch: the summed loss is the
    /// rows' −log softmax added in row order, and the gradient (softmax − one-hot) / count; every thread count
    /// gives the same bits.
    @Test func categoricalLossIsTheSameForEveryThreadCount() {
        let (length, batchSize, k) = (9, 4, 6)
        var random = KRURandom(seed: 5101)
        let rows = length * batchSize
        let logits = (0..<rows * k).map { _ in 3 * random.nextStandardNormalPair().0 }
        let classes = (0..<rows).map { _ in random.nextIndex(below: k) }
        let scored = (0..<length).map { $0 % 3 != 1 }
        let batch = SequenceBatch(length: length, batchSize: batchSize, inputs: .tokens(Array(repeating: 0,
                                  count: rows)), targets: .classes(classes), scoredSteps: scored,
                                  lengths: [9, 5, 9, 7])
        var expected = 0.0, count = 0
        for t in 0..<length where scored[t] {
            for b in 0..<batchSize where batch.isScored(step: t, sequence: b) {
                let row = t * batchSize + b
                expected += SequenceLoss.crossEntropy(logits[row * k..<(row + 1) * k], target: classes[row])
                count += 1
            }
        }
        let (reference, referenceGradient) = evaluate(.categorical, logits, k, batch, teacher: nil, threads: 1)
        #expect(reference.sum == expected && reference.count == count)
        for row in 0..<rows {
            let t = row / batchSize, y = logits[row * k..<(row + 1) * k]
            guard batch.isScored(step: t, sequence: row % batchSize) else {
                #expect(referenceGradient[row * k..<(row + 1) * k].allSatisfy { $0 == 0 }, "unscored row \(row)")
                continue
            }
            let top = y.max()!, total = y.reduce(0) { $0 + exp($1 - top) }
            for i in 0..<k {
                let softmax = exp(y[y.startIndex + i] - top) / total
                let oneHot = i == classes[row] ? 1.0 : 0.0
                #expect(abs(referenceGradient[row * k + i] - (softmax - oneHot) / Double(count)) < 1e-15)
            }
        }
        for threads in Self.threadCounts {
            let (result, gradient) = evaluate(.categorical, logits, k, batch, teacher: nil, threads: threads)
            #expect(result.sum == reference.sum && result.count == reference.count, "\(threads) threads")
            #expect(gradient == referenceGradient, "\(threads) threads")
        }
    }

    /// Bernoulli and regression heads and a distilled categorical head: one thread against several.
    @Test func otherHeadsAreTheSameForEveryThreadCount() {
        let (length, batchSize, k) = (7, 3, 4)
        var random = KRURandom(seed: 5102)
        let rows = length * batchSize
        let logits = (0..<rows * k).map { _ in 2 * random.nextStandardNormalPair().0 }
        let inputs = SequenceBatch.Inputs.tokens(Array(repeating: 0, count: rows))
        let bernoulli = SequenceBatch(length: length, batchSize: batchSize, inputs: inputs,
                                      targets: .values((0..<rows * k).map { _ in Double(random.nextIndex(below: 2)) }),
                                      steps: .every)
        let regression = SequenceBatch(length: length, batchSize: batchSize, inputs: inputs,
                                       targets: .values((0..<rows * k).map { _ in random.nextStandardNormalPair().0 }),
                                       steps: .every)
        let categorical = SequenceBatch(length: length, batchSize: batchSize, inputs: inputs,
                                        targets: .classes((0..<rows).map { _ in random.nextIndex(below: k) }),
                                        steps: .every)
        let teacher = SoftTargets(logits: (0..<rows * k).map { _ in random.nextStandardNormalPair().0 },
                                  distillation: Distillation())
        let cases: [(ModelDescription.OutputKind, SequenceBatch, SoftTargets?)] = [
            (.bernoulli, bernoulli, nil), (.regression, regression, nil), (.categorical, categorical, teacher),
        ]
        for (kind, batch, soft) in cases {
            let (reference, referenceGradient) = evaluate(kind, logits, k, batch, teacher: soft, threads: 1)
            #expect(reference.sum.isFinite && reference.sum > 0 && reference.count == rows)
            #expect(referenceGradient.contains { $0 != 0 })
            if soft != nil { #expect(reference.divergence > 0) }
            for threads in Self.threadCounts {
                let (result, gradient) = evaluate(kind, logits, k, batch, teacher: soft, threads: threads)
                #expect(result.sum == reference.sum && result.divergence == reference.divergence,
                        "\(kind), \(threads) threads")
                #expect(gradient == referenceGradient, "\(kind), \(threads) threads")
            }
        }
    }

    /// The penalty of real (Kronecker LSTM, rank 2) and complex (KRU) factors: the value matches ‖WᴴW − I‖²
    /// summed over the factors by the test's own loops, and value and gradient are the same for every thread count.
    @Test func unitaryPenaltyIsTheSameForEveryThreadCount() throws {
        let layers = [
            LayerArchitecture(cell: .lstm, hiddenSize: 24,
                              recurrence: .kronecker(factorShapes: TestNetworks.rectangularShapes, rank: 2)),
            LayerArchitecture(hiddenSize: 24, activation: .modReLU, factorShapes: TestNetworks.rectangularShapes,
                              rank: 2),
        ]
        for layer in layers {
            let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
            let network = TestNetworks.randomNetwork(architecture, seed: 5103)
            let w = network.parameters
            var expected = 0.0
            for tensor in network.layout.tensors {
                guard case .recurrentFactor = tensor.role else { continue }
                let (p, q) = (tensor.shape[0], tensor.shape[1])
                func entry(_ r: Int, _ c: Int) -> (Double, Double) {
                    (w[tensor.realOffset + r * q + c], tensor.isComplex ? w[tensor.imaginaryOffset + r * q + c] : 0)
                }
                for i in 0..<q {
                    for j in 0..<q {
                        var (re, im) = (i == j ? -1.0 : 0.0, 0.0)
                        for r in 0..<p {
                            let (a, b) = (entry(r, i), entry(r, j))  // conj(a)·b
                            re += a.0 * b.0 + a.1 * b.1
                            im += a.0 * b.1 - a.1 * b.0
                        }
                        expected += re * re + im * im
                    }
                }
            }
            #expect(abs(UnitaryPenalty.value(of: network) - expected) < 1e-12 * expected, "\(layer.cell)")
            var referenceGradient = [Double](repeating: 0, count: network.parameterCount)
            let reference = UnitaryPenalty.addGradient(of: network, strength: 0.3, to: &referenceGradient)
            #expect(referenceGradient.contains { $0 != 0 })
            for threads in Self.threadCounts {
                var gradient = [Double](repeating: 0, count: network.parameterCount)
                let value = UnitaryPenalty.addGradient(of: network, strength: 0.3, to: &gradient, threads: threads)
                #expect(value == reference && gradient == referenceGradient, "\(layer.cell), \(threads) threads")
                #expect(UnitaryPenalty.value(of: network, threads: threads) == UnitaryPenalty.value(of: network))
            }
        }
    }

    /// Column sums split by columns and worker gradients added in worker order, against the plain loops.
    @Test func columnSumsAndWorkerSumsAreTheSameForEveryThreadCount() {
        var random = KRURandom(seed: 5104)
        let (rows, width) = (37, 29)
        func draw(_ count: Int) -> FloatBuffer {
            FloatBuffer((0..<count).map { _ in Float(random.nextStandardNormalPair().0) })
        }
        let values = draw(rows * width), workers = (0..<3).map { _ in draw(width) }
        var columnSums = [Float](repeating: 0.5, count: width), workerSums = columnSums
        for row in 0..<rows { for k in 0..<width { columnSums[k] += values[row * width + k] } }
        for worker in workers { for k in 0..<width { workerSums[k] += worker[k] } }
        for threads in [1] + Self.threadCounts {
            let sums = FloatBuffer(count: width), total = FloatBuffer(count: width)
            for k in 0..<width { (sums[k], total[k]) = (0.5, 0.5) }
            PassArithmetic.addColumnSums(values.base, rows: rows, width: width, into: sums.base, threads: threads)
            PassArithmetic.addInOrder(workers, into: total, threads: threads)
            #expect((0..<width).map { sums[$0] } == columnSums, "\(threads) threads")
            #expect((0..<width).map { total[$0] } == workerSums, "\(threads) threads")
        }
    }

    private func evaluate(_ kind: ModelDescription.OutputKind, _ logits: [Double], _ k: Int, _ batch: SequenceBatch,
                          teacher: SoftTargets?, threads: Int)
        -> (result: (sum: Double, count: Int, divergence: Double), gradient: [Double]) {
        var gradient = [Double](repeating: .nan, count: logits.count)
        let result = logits.withUnsafeBufferPointer { y in
            gradient.withUnsafeMutableBufferPointer { g in
                SequenceLoss.evaluate(kind, logits: y.baseAddress!, width: k, batch: batch, teacher: teacher,
                                      gradient: g.baseAddress!, threads: threads)
            }
        }
        return (result, gradient)
    }
}
