import KRUInference

/// A trainable recurrent model — complex KRU layers and PyTorch's real cells, dense or Kronecker: a
/// ``KRUArchitecture`` and all its parameters in one flat `[Double]` (see ``ParameterLayout`` for where each
/// tensor sits).
///
/// A value type: copying a network copies its parameters. Compute losses and gradients with
/// ``lossAndGradient(on:from:threads:)``, run it with ``outputs(for:from:threads:)``, train it with
/// ``KRUTrainer`` and write it with ``write(toPath:precision:metadata:)``.
public struct KRUNetwork: Sendable {
    public let architecture: KRUArchitecture
    public let layout: ParameterLayout
    /// Every parameter, in layout order. Complex tensors hold their real plane, then their imaginary plane.
    public var parameters: [Double]

    /// A network with the given parameters.
    /// - Precondition: `parameters.count` equals the layout's ``ParameterLayout/scalarCount``.
    public init(architecture: KRUArchitecture, parameters: [Double]) {
        let layout = ParameterLayout(architecture: architecture)
        precondition(parameters.count == layout.scalarCount,
                     "\(parameters.count) parameters for a layout of \(layout.scalarCount)")
        self.architecture = architecture
        self.layout = layout
        self.parameters = parameters
    }

    /// A freshly initialised network; draws come from `random` in layout order, so a seed reproduces it.
    public init(architecture: KRUArchitecture, initialization: KRUInitialization = .init(), random: inout KRURandom) {
        let layout = ParameterLayout(architecture: architecture)
        var values = [Double](repeating: 0, count: layout.scalarCount)
        func gaussian(_ range: Range<Int>, _ deviation: Double) {
            var i = range.lowerBound
            while i < range.upperBound {
                let (a, b) = random.nextStandardNormalPair()
                values[i] = deviation * a
                if i + 1 < range.upperBound { values[i + 1] = deviation * b }
                i += 2
            }
        }
        func uniform(_ range: Range<Int>, _ bound: Double) {
            for i in range { values[i] = bound * (2 * random.nextDouble() - 1) }
        }
        for tensor in layout.tensors {
            switch tensor.role {
            case .embedding:
                gaussian(tensor.range, initialization.embeddingScale)
            case .inputWeight(let l) where architecture.layers[l].isComplex:
                let n = architecture.layers[l].hiddenSize
                gaussian(tensor.range, initialization.inputScale ?? (1 / Double(2 * n)).squareRoot())
            case .inputWeight(let l), .inputBias(let l), .recurrentBias(let l), .recurrentWeight(let l):
                // PyTorch's default for its RNN, LSTM and GRU: U(−1/√N, 1/√N).
                uniform(tensor.range, 1 / Double(architecture.layers[l].hiddenSize).squareRoot())
            case .bias:
                break
            case .modReLUBias:
                for i in tensor.range { values[i] = initialization.modReLUBias }
            case .recurrentFactor(let l, _, _, let f):
                let layer = architecture.layers[l], shape = layer.factorShapes[f]
                let rank = Double(layer.rank)
                let (re, im): ([Double], [Double])
                var scale = 1.0
                switch initialization.factors {
                case .randomUnitary:
                    (re, im) = RandomUnitary.make(rows: shape.rows, columns: shape.columns, real: !layer.isComplex,
                                                  random: &random)
                    // r independent unitary terms add like random vectors: 1/√r keeps the sum near-norm-preserving.
                    scale = f == 0 ? 1 / rank.squareRoot() : 1
                case .identity:
                    re = (0..<shape.entryCount).map { $0 / shape.columns == $0 % shape.columns ? 1 : 0 }
                    im = [Double](repeating: 0, count: shape.entryCount)
                    // r identical identity terms: 1/r makes their sum the identity.
                    scale = f == 0 ? 1 / rank : 1
                }
                for k in 0..<tensor.elementCount {
                    values[tensor.realOffset + k] = scale * re[k]
                    if tensor.isComplex { values[tensor.imaginaryOffset + k] = scale * im[k] }
                }
            case .readoutWeight:
                gaussian(tensor.range, initialization.readoutScale ?? (1 / Double(tensor.shape[1])).squareRoot())
            case .readoutBias:
                break
            }
        }
        self.architecture = architecture
        self.layout = layout
        self.parameters = values
    }

    /// Real parameters in the model.
    public var parameterCount: Int { layout.scalarCount }

    /// The values of a real tensor, or the (real, imaginary) planes of a complex one, row-major.
    public func values(of tensor: ParameterTensor) -> (real: [Double], imaginary: [Double]?) {
        let n = tensor.elementCount
        let re = Array(parameters[tensor.realOffset..<tensor.realOffset + n])
        return tensor.isComplex ? (re, Array(parameters[tensor.imaginaryOffset..<tensor.imaginaryOffset + n]))
                                : (re, nil)
    }
}
