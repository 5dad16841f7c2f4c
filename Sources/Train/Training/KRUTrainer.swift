import KRUInference

/// What one ``KRUTrainer/train(on:from:teacher:)`` call did.
public struct TrainingReport: Sendable {
    /// The mean loss over all scored steps of the batch, measured before each chunk's update (nats for
    /// categorical and Bernoulli heads).
    public let loss: Double
    /// When distilling: the mean KL divergence from the teacher's softened outputs, in nats, measured as ``loss``.
    public let divergence: Double?
    /// λ·R, the unitary penalty after the last update.
    public let penalty: Double
    /// The largest gradient norm (loss + penalty, before clipping) over the chunks.
    public let gradientNorm: Double
    /// Parameter updates made (one per chunk with a scored step).
    public let updates: Int
    /// The state after the batch's last step, to continue a stream with.
    public let finalState: RecurrentState
}

/// Trains a ``KRUNetwork`` with (truncated) backpropagation through time, the soft unitary penalty, gradient
/// clipping and an ``Optimizer``. Not thread-safe (it reuses scratch between steps); the passes inside a step use
/// ``TrainingConfiguration/threads`` workers.
///
/// ```swift
/// var random = KRURandom(seed: 1)
/// let task = CopyMemoryTask(delay: 100)
/// let layer = LayerArchitecture(squareFactors: [2, 2, 2, 2, 2, 2, 2], activation: .modReLU)
/// let network = KRUNetwork(architecture: try task.architecture(layers: [layer]), random: &random)
/// let trainer = KRUTrainer(network: network, optimizer: Adam(learningRate: 1e-3),
///                          configuration: .init(unitaryPenalty: 1e-3, clipNorm: 1))
/// for _ in 0..<1000 { trainer.train(on: task.batch(size: 32, random: &random)) }
/// ```
public final class KRUTrainer {
    public var network: KRUNetwork
    public var optimizer: any Optimizer
    public var configuration: TrainingConfiguration
    /// Scratch reused from step to step.
    private let scratch = PassScratch()

    public init(network: KRUNetwork, optimizer: any Optimizer, configuration: TrainingConfiguration = .init()) {
        self.network = network
        self.optimizer = optimizer
        self.configuration = configuration
    }

    /// One pass over `batch` from `state` (zero if nil): per chunk, the gradient of loss + λ·R, clipping, one
    /// update; the state moves on to the next chunk without a gradient path (truncated BPTT). With `teacher` (its
    /// logits for every row of `batch`), the loss trained on is the distillation loss (``Distillation``).
    @discardableResult
    public func train(on batch: SequenceBatch, from state: RecurrentState? = nil,
                      teacher: SoftTargets? = nil) -> TrainingReport {
        let window = configuration.chunkLength ?? batch.length
        let k = network.architecture.output.width
        var carried = state
        var lossSum = 0.0, divergenceSum = 0.0, scored = 0, largestNorm = 0.0, updates = 0
        for start in stride(from: 0, to: batch.length, by: window) {
            let whole = window >= batch.length
            let steps = start..<min(start + window, batch.length)
            let chunk = whole ? batch : batch.steps(steps)
            let soft = whole ? teacher
                : teacher?.rows(steps.lowerBound * batch.batchSize..<steps.upperBound * batch.batchSize, width: k)
            let result = network.lossAndGradient(on: chunk, from: carried, threads: configuration.threads,
                                                 precision: configuration.precision, dropout: dropoutMasks(chunk),
                                                 teacher: soft, scratch: scratch)
            carried = result.finalState
            guard result.scoredCount > 0 else { continue }
            lossSum += result.loss * Double(result.scoredCount)
            divergenceSum += (result.divergence ?? 0) * Double(result.scoredCount)
            scored += result.scoredCount
            var gradient = result.gradient
            UnitaryPenalty.addGradient(of: network, strength: configuration.unitaryPenalty, to: &gradient,
                                       threads: configuration.threads)
            let norm = configuration.clipNorm.map { GradientClipping.clip(&gradient, maxNorm: $0) }
                ?? GradientClipping.norm(gradient)
            largestNorm = max(largestNorm, norm)
            let adjusted = configuration.recurrentLearningRateScale != 1 || configuration.weightDecay > 0
            let before = adjusted ? network.parameters : nil
            optimizer.update(&network.parameters, gradient: gradient, threads: configuration.threads)
            if let before {
                scaleRecurrentSteps(from: before)
                decayWeights(from: before)
            }
            updates += 1
        }
        let penalty = configuration.unitaryPenalty
            * UnitaryPenalty.value(of: network, threads: configuration.threads)
        return TrainingReport(loss: scored > 0 ? lossSum / Double(scored) : 0,
                              divergence: teacher.map { _ in scored > 0 ? divergenceSum / Double(scored) : 0 },
                              penalty: penalty,
                              gradientNorm: largestNorm, updates: updates,
                              finalState: carried ?? .zero(network.architecture, batchSize: batch.batchSize))
    }

    /// Shrinks the last update of every recurrent tensor by the configured scale. Adam's and RMSprop's steps are
    /// proportional to the learning rate, so this is exactly a per-tensor learning rate.
    private func scaleRecurrentSteps(from before: [Double]) {
        let scale = configuration.recurrentLearningRateScale
        // Not a no-op at 1: before + (θ − before) need not round back to θ (this runs when only weight decay is on).
        guard scale != 1 else { return }
        for tensor in network.layout.tensors {
            switch tensor.role {
            case .recurrentFactor, .recurrentWeight:
                for i in tensor.range {
                    network.parameters[i] = before[i] + scale * (network.parameters[i] - before[i])
                }
            default:
                continue
            }
        }
    }

    /// Decoupled weight decay: θ ← θ − lr·wd·θ_before on every weight matrix (not on biases or Kronecker factors).
    private func decayWeights(from before: [Double]) {
        let shrink = optimizer.learningRate * configuration.weightDecay
        guard shrink > 0 else { return }
        for tensor in network.layout.tensors {
            switch tensor.role {
            case .embedding, .inputWeight, .recurrentWeight, .readoutWeight:
                for i in tensor.range { network.parameters[i] -= shrink * before[i] }
            default:
                continue
            }
        }
    }

    /// The mean loss of the current network on `batch` (no update).
    public func evaluate(_ batch: SequenceBatch, from state: RecurrentState? = nil) -> Double {
        network.loss(on: batch, from: state, threads: configuration.threads, precision: configuration.precision,
                     scratch: scratch)
    }

    /// The dropout masks of the next update, drawn from the configured seed and the update's number (nil without
    /// dropout).
    private func dropoutMasks(_ chunk: SequenceBatch) -> DropoutMasks? {
        guard configuration.dropout > 0 else { return nil }
        var random = KRURandom(seed: configuration.dropoutSeed ^ (UInt64(optimizer.stepCount) &* 0x9E37_79B9_7F4A_7C15))
        return DropoutMasks.draw(probability: configuration.dropout, architecture: network.architecture,
                                 rows: chunk.length * chunk.batchSize, random: &random)
    }
}
