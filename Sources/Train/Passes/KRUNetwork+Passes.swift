import Foundation

/// The loss of a network on a batch and its gradient with respect to every parameter.
public struct LossAndGradient: Sendable {
    /// The mean loss over the scored (step, sequence) pairs (0 if none is scored); nats for the categorical and
    /// Bernoulli losses.
    public let loss: Double
    /// The number of scored (step, sequence) pairs the mean is over.
    public let scoredCount: Int
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

extension KRUNetwork {
    /// The default worker count: every active core.
    public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Runs the network over `batch` from `state` (zero if nil) and returns the head's outputs at every step.
    public func outputs(for batch: SequenceBatch, from state: RecurrentState? = nil,
                        threads: Int = KRUNetwork.defaultThreads) -> NetworkOutputs {
        let pass = NetworkPass(network: self, batch: batch, initialState: state, workers: threads, pool: BufferPool())
        pass.forward()
        return NetworkOutputs(values: pass.logits.array, finalState: pass.finalState())
    }

    /// The mean loss over the scored steps of `batch`, without a gradient.
    public func loss(on batch: SequenceBatch, from state: RecurrentState? = nil,
                     threads: Int = KRUNetwork.defaultThreads) -> Double {
        loss(on: batch, from: state, threads: threads, pool: BufferPool())
    }

    func loss(on batch: SequenceBatch, from state: RecurrentState?, threads: Int, pool: BufferPool) -> Double {
        defer { pool.reclaim() }
        let pass = NetworkPass(network: self, batch: batch, initialState: state, workers: threads, pool: pool)
        pass.forward()
        checkTargets(batch)
        let (sum, count) = SequenceLoss.evaluate(architecture.output.kind, logits: pass.logits.base,
                                                 width: architecture.output.width, batch: batch, gradient: nil)
        return count > 0 ? sum / Double(count) : 0
    }

    /// Forward and backward through `batch` from `state` (zero if nil): the mean loss over the scored steps and its
    /// gradient (backpropagation through time over the whole batch; for truncated BPTT pass one chunk at a time,
    /// carrying ``LossAndGradient/finalState``). The unitary penalty is not included (see ``UnitaryPenalty``).
    ///
    /// - Parameter threads: worker threads for the recurrence (each takes a share of the sequences).
    public func lossAndGradient(on batch: SequenceBatch, from state: RecurrentState? = nil,
                                threads: Int = KRUNetwork.defaultThreads) -> LossAndGradient {
        lossAndGradient(on: batch, from: state, threads: threads, pool: BufferPool())
    }

    /// The same with the large buffers taken from (and returned to) `pool`, reused across training steps.
    func lossAndGradient(on batch: SequenceBatch, from state: RecurrentState?, threads: Int, pool: BufferPool) -> LossAndGradient {
        defer { pool.reclaim() }
        let pass = NetworkPass(network: self, batch: batch, initialState: state, workers: threads, pool: pool)
        pass.forward()
        checkTargets(batch)
        let logitGradient = pool.buffer(pass.logits.count, zeroed: false)  // SequenceLoss writes every element
        let (sum, count) = SequenceLoss.evaluate(architecture.output.kind, logits: pass.logits.base,
                                                 width: architecture.output.width, batch: batch,
                                                 gradient: logitGradient.base)
        // With nothing scored the gradient is exactly zero; skip the backward pass.
        let gradient = count > 0 ? pass.backward(logitGradient: logitGradient).array : [Double](repeating: 0, count: parameterCount)
        return LossAndGradient(loss: count > 0 ? sum / Double(count) : 0, scoredCount: count, gradient: gradient,
                               finalState: pass.finalState())
    }

    private func checkTargets(_ batch: SequenceBatch) {
        if case .values(let values) = batch.targets {
            precondition(values.count == batch.length * batch.batchSize * architecture.output.width,
                         "\(values.count) target values; the head needs \(architecture.output.width) per row")
        }
    }
}
