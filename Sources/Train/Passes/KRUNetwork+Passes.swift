import Foundation

/// The loss of a network on a batch and its gradient with respect to every parameter.
public struct LossAndGradient: Sendable {
    /// The mean loss over the scored (step, sequence) pairs (0 if none is scored); nats for the categorical and
    /// Bernoulli losses.
    public let loss: Double
    /// The number of scored (step, sequence) pairs the mean is over.
    public let scoredCount: Int
    /// When distilling: the mean KL divergence from the teacher's softened outputs to the network's, in nats (the
    /// gradient is that of the mixed loss; ``loss`` stays the data's).
    public let divergence: Double?
    /// ∂loss/∂parameters in the network's flat layout: for a complex tensor, ∂/∂Re in its real plane and ∂/∂Im in
    /// its imaginary plane (the complex number ∂/∂Re + i·∂/∂Im per entry).
    public let gradient: [Double]
    /// The state after the last step, to carry into the next chunk.
    public let finalState: RecurrentState
}

/// What a network outputs over a batch.
public struct NetworkOutputs: Sendable {
    /// The head's outputs for every step, row `t·B + b`, K values each (logits, or predictions for regression).
    public let values: [Double]
    /// The state after the last step.
    public let finalState: RecurrentState
}

/// The arithmetic of the forward and backward passes.
public enum TrainingPrecision: String, Sendable, CaseIterable {
    /// Float passes on the C kernels of `Sources/CTrainKernels` and single-precision BLAS (the fast path);
    /// parameters, gradients and the optimizer stay in Double.
    case single
    /// The Double passes: the reference that gradient checks use and the single-precision path is tested against.
    case double
}

/// The buffers passes reuse from one step to the next (one pool per precision).
final class PassScratch {
    let double = BufferPool<Double>()
    let single = BufferPool<Float>()

    func reclaim() {
        double.reclaim()
        single.reclaim()
    }

    /// Fills every free buffer with NaN (tests: a pass that reads what it did not write shows it).
    func poisonFreeBuffers() {
        double.poisonFreeBuffers()
        single.poisonFreeBuffers()
    }
}

extension KRUNetwork {
    /// The default worker count: every active core.
    public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Runs the network over `batch` from `state` (zero if nil) and returns the head's outputs at every step.
    public func outputs(for batch: SequenceBatch, from state: RecurrentState? = nil,
                        threads: Int = KRUNetwork.defaultThreads,
                        precision: TrainingPrecision = .double) -> NetworkOutputs {
        outputs(for: batch, from: state, threads: threads, precision: precision, scratch: PassScratch())
    }

    /// The same with the buffers taken from (and returned to) `scratch`: evaluation loops over many chunks reuse them.
    func outputs(for batch: SequenceBatch, from state: RecurrentState?, threads: Int, precision: TrainingPrecision,
                 scratch: PassScratch) -> NetworkOutputs {
        defer { scratch.reclaim() }
        let (logits, final) = forward(batch, from: state, threads: threads, precision: precision, dropout: nil,
                                      scratch: scratch)
        return NetworkOutputs(values: logits, finalState: final)
    }

    /// The mean loss over the scored steps of `batch`, without a gradient.
    public func loss(on batch: SequenceBatch, from state: RecurrentState? = nil,
                     threads: Int = KRUNetwork.defaultThreads, precision: TrainingPrecision = .double) -> Double {
        loss(on: batch, from: state, threads: threads, precision: precision, scratch: PassScratch())
    }

    func loss(on batch: SequenceBatch, from state: RecurrentState?, threads: Int, precision: TrainingPrecision,
              scratch: PassScratch) -> Double {
        defer { scratch.reclaim() }
        let (logits, _) = forward(batch, from: state, threads: threads, precision: precision, dropout: nil,
                                  scratch: scratch)
        checkTargets(batch)
        let (sum, count, _) = logits.withUnsafeBufferPointer {
            SequenceLoss.evaluate(architecture.output.kind, logits: $0.baseAddress!, width: architecture.output.width,
                                  batch: batch, gradient: nil, threads: threads)
        }
        return count > 0 ? sum / Double(count) : 0
    }

    /// Forward and backward through `batch` from `state` (zero if nil): the mean loss over the scored steps and its
    /// gradient (backpropagation through time over the whole batch; for truncated BPTT pass one chunk at a time,
    /// carrying ``LossAndGradient/finalState``). The unitary penalty is not included (see ``UnitaryPenalty``).
    ///
    /// - Parameters:
    ///   - threads: worker threads for the recurrence (each takes a share of the sequences).
    ///   - precision: the passes' arithmetic (the gradient is returned in Double either way).
    ///   - dropout: masks for the layers' outputs (training only; nil: no dropout).
    ///   - teacher: a teacher's logits for every row to distil (categorical heads; see ``Distillation``): the
    ///     gradient is then that of the mixed loss.
    public func lossAndGradient(on batch: SequenceBatch, from state: RecurrentState? = nil,
                                threads: Int = KRUNetwork.defaultThreads, precision: TrainingPrecision = .double,
                                dropout: DropoutMasks? = nil, teacher: SoftTargets? = nil) -> LossAndGradient {
        lossAndGradient(on: batch, from: state, threads: threads, precision: precision, dropout: dropout,
                        teacher: teacher, scratch: PassScratch())
    }

    /// The same with the large buffers taken from (and returned to) `scratch`, reused across training steps.
    func lossAndGradient(on batch: SequenceBatch, from state: RecurrentState?, threads: Int,
                         precision: TrainingPrecision, dropout: DropoutMasks?, teacher: SoftTargets? = nil,
                         scratch: PassScratch) -> LossAndGradient {
        defer { scratch.reclaim() }
        checkTargets(batch)
        let k = architecture.output.width
        switch precision {
        case .double:
            let pass = NetworkPass(network: self, batch: batch, initialState: state, workers: threads, dropout: dropout,
                                   pool: scratch.double)
            pass.forward()
            let logitGradient = scratch.double.buffer(pass.logits.count, zeroed: false)  // SequenceLoss writes all
            let (sum, count, divergence) = SequenceLoss.evaluate(architecture.output.kind, logits: pass.logits.base,
                                                                 width: k, batch: batch, teacher: teacher,
                                                                 gradient: logitGradient.base, threads: threads)
            // With nothing scored the gradient is exactly zero; skip the backward pass.
            let gradient = count > 0 ? pass.backward(logitGradient: logitGradient).array
                : [Double](repeating: 0, count: parameterCount)
            return LossAndGradient(loss: mean(sum, count), scoredCount: count,
                                   divergence: teacher.map { _ in mean(divergence, count) }, gradient: gradient,
                                   finalState: pass.finalState())
        case .single:
            let pass = SinglePrecisionPass(network: self, batch: batch, initialState: state, workers: threads,
                                           dropout: dropout, pool: scratch.single)
            pass.forward()
            // The losses are computed in Double for both paths, in pooled buffers (fresh ones would fault in every
            // page on every update).
            let logits = scratch.double.buffer(pass.logits.count, zeroed: false)
            let logitGradient = scratch.double.buffer(pass.logits.count, zeroed: false)  // SequenceLoss writes all
            let entries = BatchPartition(batchSize: logits.count, workers: threads)
            entries.run { _, range in for i in range { logits[i] = Double(pass.logits[i]) } }
            let (sum, count, divergence) = SequenceLoss.evaluate(architecture.output.kind, logits: logits.base,
                                                                 width: k, batch: batch, teacher: teacher,
                                                                 gradient: logitGradient.base, threads: threads)
            let gradient: [Double]
            if count > 0 {
                let single = scratch.single.buffer(logitGradient.count, zeroed: false)
                entries.run { _, range in for i in range { single[i] = Float(logitGradient[i]) } }
                gradient = pass.backward(logitGradient: single)
            } else {
                gradient = [Double](repeating: 0, count: parameterCount)
            }
            return LossAndGradient(loss: mean(sum, count), scoredCount: count,
                                   divergence: teacher.map { _ in mean(divergence, count) }, gradient: gradient,
                                   finalState: pass.finalState())
        }
    }

    /// The forward pass alone: the logits (in Double) and the final state.
    private func forward(_ batch: SequenceBatch, from state: RecurrentState?, threads: Int,
                         precision: TrainingPrecision,
                         dropout: DropoutMasks?, scratch: PassScratch) -> ([Double], RecurrentState) {
        switch precision {
        case .double:
            let pass = NetworkPass(network: self, batch: batch, initialState: state, workers: threads, dropout: dropout,
                                   pool: scratch.double)
            pass.forward()
            return (pass.logits.array, pass.finalState())
        case .single:
            let pass = SinglePrecisionPass(network: self, batch: batch, initialState: state, workers: threads,
                                           dropout: dropout, pool: scratch.single)
            pass.forward()
            return (pass.doubleLogits(), pass.finalState())
        }
    }

    private func mean(_ sum: Double, _ count: Int) -> Double { count > 0 ? sum / Double(count) : 0 }

    private func checkTargets(_ batch: SequenceBatch) {
        if case .values(let values) = batch.targets {
            precondition(values.count == batch.length * batch.batchSize * architecture.output.width,
                         "\(values.count) target values; the head needs \(architecture.output.width) per row")
        }
    }
}
