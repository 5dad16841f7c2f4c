/// The slots of one KRU layer in the flat parameter vector.
struct LayerSlots: Sendable {
    let inputWeight: ParameterTensor
    let bias: ParameterTensor
    let modReLUBias: ParameterTensor?
    /// `factors[term][factor]`.
    let factors: [[ParameterTensor]]
}

/// The order and position of every tensor of a ``KRUArchitecture`` in the flat parameter vector: embedding,
/// then per layer U, b, β, the Kronecker factors (term-major), then the readout V and c.
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
            embedding = add("input.embedding", .embedding, [vocabulary.count, width], complex: false)
        } else {
            embedding = nil
        }
        var layers: [LayerSlots] = []
        for (l, layer) in architecture.layers.enumerated() {
            let n = layer.hiddenSize
            let u = add("layer.\(l).weight_ih", .inputWeight(layer: l), [n, architecture.inputWidth(ofLayer: l)], complex: true)
            let b = add("layer.\(l).bias", .bias(layer: l), [n], complex: true)
            let beta = layer.activation == .modReLU ? add("layer.\(l).modrelu_bias", .modReLUBias(layer: l), [n], complex: false) : nil
            let factors = (0..<layer.rank).map { t in
                layer.factorShapes.enumerated().map { f, shape in
                    add("layer.\(l).weight_hh.0.\(t).\(f)", .recurrentFactor(layer: l, term: t, factor: f),
                        [shape.rows, shape.columns], complex: true)
                }
            }
            layers.append(LayerSlots(inputWeight: u, bias: b, modReLUBias: beta, factors: factors))
        }
        let top = architecture.layers.last!.outputSize
        readoutWeight = add("readout.weight", .readoutWeight, [architecture.output.width, top], complex: false)
        readoutBias = add("readout.bias", .readoutBias, [architecture.output.width], complex: false)
        self.tensors = tensors
        self.scalarCount = offset
        self.layers = layers
    }

    /// The tensor named `name` (a `.kru` tensor name), if the model has one.
    public func tensor(named name: String) -> ParameterTensor? { tensors.first { $0.name == name } }

    /// The tensor playing `role`, if the model has one.
    public func tensor(for role: ParameterRole) -> ParameterTensor? { tensors.first { $0.role == role } }
}
