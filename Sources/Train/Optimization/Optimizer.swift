/// A first-order optimizer over the flat parameter vector of a ``KRUNetwork``. Complex parameters are two real
/// planes there, so adaptive optimizers scale real and imaginary parts separately.
public protocol Optimizer: Sendable {
    /// Updates `parameters` in place from `gradient` (same length) and advances the optimizer's state.
    mutating func update(_ parameters: inout [Double], gradient: [Double])
    /// The same update with the parameters shared among `threads` workers. The optimizers here work entry by entry,
    /// so the result is the same, bit for bit, for every thread count; the default implementation ignores `threads`.
    mutating func update(_ parameters: inout [Double], gradient: [Double], threads: Int)
    /// The step size.
    var learningRate: Double { get set }
    /// Updates made so far.
    var stepCount: Int { get }
    /// The state carried between updates (for checkpoints).
    var state: OptimizerState { get }
    /// Continues from a saved state.
    /// - Throws: ``OptimizerStateError`` when a buffer is missing or does not fit the parameter count.
    mutating func restore(_ state: OptimizerState, parameterCount: Int) throws(OptimizerStateError)
}

extension Optimizer {
    public mutating func update(_ parameters: inout [Double], gradient: [Double], threads: Int) {
        update(&parameters, gradient: gradient)
    }
}
