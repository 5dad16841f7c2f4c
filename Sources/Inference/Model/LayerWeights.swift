/// The weights of one recurrent layer, loaded and checked.
enum LayerWeights: Sendable {
    case kru(KRULayerWeights)
    case real(RealLayerWeights)

    var recurrentBlocks: [RecurrentBlock] {
        switch self {
        case .kru(let w): [w.recurrent]
        case .real(let w): w.recurrent
        }
    }
}

/// The complex KRU cell: h_t = act(R h_{t−1} + U x_t + b) (spec/MODEL.md §4).
struct KRULayerWeights: Sendable {
    let hiddenSize: Int
    let activation: ModelDescription.Activation
    let input: ComplexDenseMatrix  // U, N × D
    let biasReal: [Float]
    let biasImaginary: [Float]
    let modReLUBias: [Float]?  // β, present for modReLU only
    let recurrent: RecurrentBlock
}

/// PyTorch's RNN, LSTM and GRU cells with stacked gate blocks (spec/MODEL.md §4).
struct RealLayerWeights: Sendable {
    let cell: ModelDescription.Cell
    let hiddenSize: Int
    let input: DenseMatrix  // W_ih, G·N × D
    let inputBias: [Float]?  // b_ih, G·N
    let recurrentBias: [Float]?  // b_hh, G·N
    let recurrent: [RecurrentBlock]  // R_g, one per gate
}

extension WeightLoader {
    mutating func layerWeights(_ l: Int, _ layer: ModelDescription.Layer) throws -> LayerWeights {
        let n = layer.hiddenSize, d = layer.inputSize, g = layer.cell.gateCount
        let blocks = try recurrentBlocks(layer: l, layer)
        if layer.cell == .kru {
            let (br, bi) = try complex("layer.\(l).bias", shape: [n])
            let activation = layer.activation!
            let beta = activation == .modReLU ? try real("layer.\(l).modrelu_bias", shape: [n]) : nil
            return .kru(KRULayerWeights(
                hiddenSize: n, activation: activation, input: try complexMatrix("layer.\(l).weight_ih", rows: n, columns: d),
                biasReal: br, biasImaginary: bi, modReLUBias: beta, recurrent: blocks[0]))
        }
        let hasBiases = has("layer.\(l).bias_ih") || has("layer.\(l).bias_hh")
        return .real(RealLayerWeights(
            cell: layer.cell, hiddenSize: n, input: try matrix("layer.\(l).weight_ih", rows: g * n, columns: d),
            inputBias: hasBiases ? try real("layer.\(l).bias_ih", shape: [g * n]) : nil,
            recurrentBias: hasBiases ? try real("layer.\(l).bias_hh", shape: [g * n]) : nil,
            recurrent: blocks))
    }
}
