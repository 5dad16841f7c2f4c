/// Which part of the model a parameter tensor is.
public enum ParameterRole: Hashable, Sendable {
    /// `input.embedding`, real V × E.
    case embedding
    /// `layer.{l}.weight_ih`: U, complex N × D, of a `kru` layer; W_ih, real G·N × D, of a real cell.
    case inputWeight(layer: Int)
    /// b = `layer.{l}.bias`, complex N (`kru` layers).
    case bias(layer: Int)
    /// β = `layer.{l}.modrelu_bias`, real N (`kru` layers with modReLU).
    case modReLUBias(layer: Int)
    /// `layer.{l}.bias_ih`, real G·N (real cells with biases).
    case inputBias(layer: Int)
    /// `layer.{l}.bias_hh`, real G·N (real cells with biases).
    case recurrentBias(layer: Int)
    /// `layer.{l}.weight_hh`, real G·N × N: a dense recurrence.
    case recurrentWeight(layer: Int)
    /// W_{gate,term,factor} = `layer.{l}.weight_hh.{gate}.{term}.{factor}`, P × Q: complex for `kru`, else real.
    case recurrentFactor(layer: Int, gate: Int, term: Int, factor: Int)
    /// V = `readout.weight`, real K × D_out.
    case readoutWeight
    /// c = `readout.bias`, real K.
    case readoutBias
}

/// Where one named tensor lives in the flat parameter vector of a ``KRUNetwork``.
///
/// Everything trainable sits in one `[Double]` so optimizers, clipping and finite-difference checks treat the
/// model as a single real vector. A complex tensor of `elementCount` entries takes `2 · elementCount` reals: its
/// real plane at `offset ..< offset + elementCount`, then its imaginary plane (row-major, the layout the Kronecker
/// kernels read). So Adam and RMSprop act on real and imaginary parts separately, and a gradient slot holds
/// ∂L/∂Re in the real plane and ∂L/∂Im in the imaginary plane — the convention G = ∂L/∂Re + i·∂L/∂Im.
public struct ParameterTensor: Hashable, Sendable {
    /// The tensor's name in a `.kru` file (spec/MODEL.md).
    public let name: String
    public let role: ParameterRole
    /// Row-major shape.
    public let shape: [Int]
    public let isComplex: Bool
    /// Index of the first real number in the flat vector.
    public let offset: Int

    /// Entries (complex entries count once).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Real numbers taken in the flat vector.
    public var scalarCount: Int { isComplex ? 2 * elementCount : elementCount }
    /// Offset of the real plane (equal to ``offset``).
    public var realOffset: Int { offset }
    /// Offset of the imaginary plane of a complex tensor.
    public var imaginaryOffset: Int { offset + elementCount }
    /// The flat-vector range of the whole tensor.
    public var range: Range<Int> { offset..<offset + scalarCount }
}
