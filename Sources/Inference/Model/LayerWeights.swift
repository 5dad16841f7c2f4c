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
            let (br, bi) = try complex(ModelTensorName.kruBias(layer: l), shape: [n])
            let activation = layer.activation!
            let beta = activation == .modReLU ? try real(ModelTensorName.modReLUBias(layer: l), shape: [n]) : nil
            return .kru(KRULayerWeights(
                hiddenSize: n, activation: activation, input: try complexMatrix(ModelTensorName.inputWeight(layer: l), rows: n, columns: d),
                biasReal: br, biasImaginary: bi, modReLUBias: beta, recurrent: blocks[0]))
        }
        let hasBiases = has(ModelTensorName.inputBias(layer: l)) || has(ModelTensorName.recurrentBias(layer: l))
        return .real(RealLayerWeights(
            cell: layer.cell, hiddenSize: n, input: try matrix(ModelTensorName.inputWeight(layer: l), rows: g * n, columns: d),
            inputBias: hasBiases ? try real(ModelTensorName.inputBias(layer: l), shape: [g * n]) : nil,
            recurrentBias: hasBiases ? try real(ModelTensorName.recurrentBias(layer: l), shape: [g * n]) : nil,
            recurrent: blocks))
    }
}
