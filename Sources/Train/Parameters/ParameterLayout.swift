import KRUInference

/// The slots of one complex `kru` layer in the flat parameter vector.
struct ComplexLayerSlots: Sendable {
    let inputWeight: ParameterTensor
    let bias: ParameterTensor
    let modReLUBias: ParameterTensor?
    /// `factors[term][factor]`.
    let factors: [[ParameterTensor]]
}

/// The slots of one real cell (RNN, LSTM, GRU) in the flat parameter vector.
struct RealLayerSlots: Sendable {
    /// W_ih, G·N × D.
    let inputWeight: ParameterTensor
    /// b_ih and b_hh (G·N each), both or neither.
    let biases: (input: ParameterTensor, recurrent: ParameterTensor)?
    /// The dense G·N × N recurrent matrix, or nil for a Kronecker one.
    let denseRecurrent: ParameterTensor?
    /// `factors[gate][term][factor]` of a Kronecker recurrence (empty when dense).
    let factors: [[[ParameterTensor]]]
}

/// Where one layer's tensors are.
enum LayerSlots: Sendable {
    case complex(ComplexLayerSlots)
    case real(RealLayerSlots)
}

/// The order and position of every tensor of a ``KRUArchitecture`` in the flat parameter vector: the embedding,
/// then each layer's tensors (`kru`: U, b, β, the Kronecker factors term-major; real cells: W_ih, b_ih, b_hh, then
/// the dense W_hh or the factors gate-, then term-major), then the readout V and c.
public struct ParameterLayout: Sendable {
    /// All tensors in flat-vector order.
    public let tensors: [ParameterTensor]
    /// Length of the flat vector.
    public let scalarCount: Int
    let embedding: ParameterTensor?
    let layers: [LayerSlots]
    let readoutWeight: ParameterTensor
    let readoutBias: ParameterTensor

    init(architecture: KRUArchitecture) {
        var tensors: [ParameterTensor] = []
        var offset = 0
        func add(_ name: String, _ role: ParameterRole, _ shape: [Int], complex: Bool) -> ParameterTensor {
            let tensor = ParameterTensor(name: name, role: role, shape: shape, isComplex: complex, offset: offset)
            tensors.append(tensor)
            offset += tensor.scalarCount
            return tensor
        }
        if case .tokens(let vocabulary, let width?) = architecture.input {
            embedding = add(ModelTensorName.embedding, .embedding, [vocabulary.count, width], complex: false)
        } else {
            embedding = nil
        }
        var layers: [LayerSlots] = []
        for (l, layer) in architecture.layers.enumerated() {
            let n = layer.hiddenSize, d = architecture.inputWidth(ofLayer: l), complex = layer.isComplex
            let gates = layer.gateCount
            /// `weight_hh.{g}.{t}.{f}` for every gate g < `gateCount`, term t and factor f.
            func factorTensors(gateCount: Int) -> [[[ParameterTensor]]] {
                (0..<gateCount).map { g in
                    (0..<layer.rank).map { t in
                        layer.factorShapes.enumerated().map { f, shape in
                            add(ModelTensorName.recurrentFactor(layer: l, gate: g, term: t, factor: f),
                                .recurrentFactor(layer: l, gate: g, term: t, factor: f),
                                [shape.rows, shape.columns], complex: complex)
                        }
                    }
                }
            }
            if complex {
                let u = add(ModelTensorName.inputWeight(layer: l), .inputWeight(layer: l), [n, d], complex: true)
                let b = add(ModelTensorName.kruBias(layer: l), .bias(layer: l), [n], complex: true)
                let beta = layer.activation == .modReLU
                    ? add(ModelTensorName.modReLUBias(layer: l), .modReLUBias(layer: l), [n], complex: false) : nil
                layers.append(.complex(ComplexLayerSlots(inputWeight: u, bias: b, modReLUBias: beta,
                                                         factors: factorTensors(gateCount: 1)[0])))
            } else {
                let w = add(ModelTensorName.inputWeight(layer: l), .inputWeight(layer: l), [gates * n, d],
                            complex: false)
                let biases = layer.hasBias
                    ? (add(ModelTensorName.inputBias(layer: l), .inputBias(layer: l), [gates * n], complex: false),
                       add(ModelTensorName.recurrentBias(layer: l), .recurrentBias(layer: l), [gates * n],
                           complex: false))
                    : nil
                let dense = layer.recurrence == .dense
                    ? add(ModelTensorName.recurrentWeight(layer: l), .recurrentWeight(layer: l), [gates * n, n],
                          complex: false) : nil
                let factors = dense == nil ? factorTensors(gateCount: gates) : []
                layers.append(.real(RealLayerSlots(inputWeight: w, biases: biases, denseRecurrent: dense,
                                                   factors: factors)))
            }
        }
        let top = architecture.layers.last!.outputSize
        readoutWeight = add(ModelTensorName.readoutWeight, .readoutWeight, [architecture.output.width, top],
                            complex: false)
        readoutBias = add(ModelTensorName.readoutBias, .readoutBias, [architecture.output.width], complex: false)
        self.tensors = tensors
        self.scalarCount = offset
        self.layers = layers
    }

    /// The tensor named `name` (a `.kru` tensor name), if the model has one.
    public func tensor(named name: String) -> ParameterTensor? { tensors.first { $0.name == name } }

    /// The tensor playing `role`, if the model has one.
    public func tensor(for role: ParameterRole) -> ParameterTensor? { tensors.first { $0.role == role } }
}
