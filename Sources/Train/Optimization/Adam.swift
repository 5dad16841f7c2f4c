import Foundation

/// Adam (Kingma & Ba, 2015) with bias-corrected moment estimates:
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
public struct Adam: Optimizer {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Updates made so far (t).
    public private(set) var stepCount = 0
    private var firstMoment: [Double] = []
    private var secondMoment: [Double] = []

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public mutating func update(_ parameters: inout [Double], gradient: [Double]) {
        update(&parameters, gradient: gradient, threads: 1)
    }

    /// Eight entries at a time as SIMD vectors, with the scalar loop's operations in its order (so the same bits),
    /// and blocks of entries on `threads` workers: serial scalar Adam took a sixth of a dense LSTM-512's update.
    public mutating func update(_ parameters: inout [Double], gradient: [Double], threads: Int) {
        precondition(parameters.count == gradient.count,
                     "\(gradient.count) gradient values for \(parameters.count) parameters")
        if firstMoment.count != parameters.count {
            firstMoment = [Double](repeating: 0, count: parameters.count)
            secondMoment = firstMoment
            stepCount = 0
        }
        stepCount += 1
        let correction1 = 1 - pow(beta1, Double(stepCount)), correction2 = 1 - pow(beta2, Double(stepCount))
        let (b1, b2, lr, eps, count) = (beta1, beta2, learningRate, epsilon, gradient.count)
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                parameters.withUnsafeMutableBufferPointer { theta in
                    gradient.withUnsafeBufferPointer { g in
                        let (m, v, theta, g) = (m.baseAddress!, v.baseAddress!, theta.baseAddress!, g.baseAddress!)
                        BatchPartition(batchSize: count, workers: threads).run { _, entries in
                            let vectorEnd = entries.lowerBound + entries.count / 8 * 8
                            for i in stride(from: entries.lowerBound, to: vectorEnd, by: 8) {
                                let gi = SIMD8<Double>.load(g + i)
                                let mi = b1 * SIMD8<Double>.load(m + i) + (1 - b1) * gi
                                let vi = b2 * SIMD8<Double>.load(v + i) + (1 - b2) * gi * gi
                                let step = lr * (mi / correction1) / ((vi / correction2).squareRoot() + eps)
                                mi.store(to: m + i)
                                vi.store(to: v + i)
                                (SIMD8<Double>.load(theta + i) - step).store(to: theta + i)
                            }
                            for i in vectorEnd..<entries.upperBound {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                theta[i] -= lr * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    public var state: OptimizerState {
        OptimizerState(stepCount: stepCount, buffers: ["m": firstMoment, "v": secondMoment])
    }

    public mutating func restore(_ state: OptimizerState, parameterCount: Int) throws(OptimizerStateError) {
        let (m, v) = (try state.buffer("m", count: parameterCount), try state.buffer("v", count: parameterCount))
        guard m.count == v.count, state.stepCount >= 0 else { throw OptimizerStateError("inconsistent Adam state") }
        (firstMoment, secondMoment, stepCount) = (m, v, m.isEmpty ? 0 : state.stepCount)
    }
}
