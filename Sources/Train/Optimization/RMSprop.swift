/// RMSprop (Tieleman & Hinton, 2012), as used for unitary RNNs on the copy and adding tasks:
/// v ← ρv + (1−ρ)g², θ ← θ − lr·g/(√v + ε).
public struct RMSprop: Optimizer {
    public var learningRate: Double
    public var decay: Double
    public var epsilon: Double
    private var meanSquare: [Double] = []
    public private(set) var stepCount = 0

    public init(learningRate: Double = 1e-3, decay: Double = 0.9, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.decay = decay
        self.epsilon = epsilon
    }

    public mutating func update(_ parameters: inout [Double], gradient: [Double]) {
        precondition(parameters.count == gradient.count,
                     "\(gradient.count) gradient values for \(parameters.count) parameters")
        if meanSquare.count != parameters.count { meanSquare = [Double](repeating: 0, count: parameters.count) }
        stepCount += 1
        let (rho, lr, eps) = (decay, learningRate, epsilon)
        meanSquare.withUnsafeMutableBufferPointer { v in
            parameters.withUnsafeMutableBufferPointer { theta in
                gradient.withUnsafeBufferPointer { g in
                    for i in 0..<g.count {
                        v[i] = rho * v[i] + (1 - rho) * g[i] * g[i]
                        theta[i] -= lr * g[i] / (v[i].squareRoot() + eps)
                    }
                }
            }
        }
    }

    public var state: OptimizerState { OptimizerState(stepCount: stepCount, buffers: ["mean_square": meanSquare]) }

    public mutating func restore(_ state: OptimizerState, parameterCount: Int) throws(OptimizerStateError) {
        meanSquare = try state.buffer("mean_square", count: parameterCount)
        stepCount = state.stepCount
    }
}
