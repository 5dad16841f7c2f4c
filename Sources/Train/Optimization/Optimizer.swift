/// A first-order optimizer over the flat parameter vector of a ``KRUNetwork``. Complex parameters are two real
/// planes there, so adaptive optimizers scale real and imaginary parts separately.
public protocol Optimizer: Sendable {
    /// Updates `parameters` in place from `gradient` (same length) and advances the optimizer's state.
    mutating func update(_ parameters: inout [Double], gradient: [Double])
    /// The step size.
    var learningRate: Double { get set }
}
