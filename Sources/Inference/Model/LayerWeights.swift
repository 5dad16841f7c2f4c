/// The weights of one recurrent layer, loaded and checked.
enum LayerWeights: Sendable {
    case kru(KRULayerWeights)
    case real(RealLayerWeights)

    var recurrence: Recurrence {
        switch self {
        case .kru(let w): w.recurrent
        case .real(let w): w.recurrent
        }
    }

    /// Multiply-adds per stream of the input matrix (W_ih, or the kru cell's complex U counted once).
    var inputMultiplyAdds: Int {
        switch self {
        case .kru(let w): w.input.rows * w.input.columns
        case .real(let w): w.input.rows * w.input.columns
        }
    }

    /// Floats of W_ih x + b_ih per stream: G·N for real cells, 2N (real plane, then imaginary) for kru.
    var inputProjectionWidth: Int {
        switch self {
        case .kru(let w): 2 * w.hiddenSize
        case .real(let w): w.input.rows
        }
    }
}

// The layers' weights are immutable classes rather than structs: a step binds a layer's weights from the model's
// enum, and binding a struct would copy it, retaining each of its arrays (about twenty atomic operations a token
// for a kru layer); binding a class reference retains one object.

/// The complex KRU cell: h_t = act(R h_{t−1} + U x_t + b) (spec/MODEL.md §4).
final class KRULayerWeights: Sendable {
    let hiddenSize: Int
    let activation: ModelDescription.Activation
    let input: ComplexDenseMatrix  // U, N × D
    let biasReal: [Float]
    let biasImaginary: [Float]
    let modReLUBias: [Float]?  // β, present for modReLU only
    let recurrent: Recurrence

    init(hiddenSize: Int, activation: ModelDescription.Activation, input: ComplexDenseMatrix, biasReal: [Float],
         biasImaginary: [Float], modReLUBias: [Float]?, recurrent: Recurrence) {
        self.hiddenSize = hiddenSize
        self.activation = activation
        self.input = input
        self.biasReal = biasReal
        self.biasImaginary = biasImaginary
        self.modReLUBias = modReLUBias
        self.recurrent = recurrent
    }
}

/// PyTorch's RNN, LSTM and GRU cells with stacked gate blocks (spec/MODEL.md §4).
final class RealLayerWeights: Sendable {
    let cell: ModelDescription.Cell
    let hiddenSize: Int
    let input: DenseMatrix  // W_ih, G·N × D
    let inputBias: [Float]?  // b_ih, G·N
    let recurrentBias: [Float]?  // b_hh, G·N
    let recurrent: Recurrence

    init(cell: ModelDescription.Cell, hiddenSize: Int, input: DenseMatrix, inputBias: [Float]?,
         recurrentBias: [Float]?, recurrent: Recurrence) {
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.input = input
        self.inputBias = inputBias
        self.recurrentBias = recurrentBias
        self.recurrent = recurrent
    }
}

extension WeightLoader {
    mutating func layerWeights(_ l: Int, _ layer: ModelDescription.Layer) throws -> LayerWeights {
        let n = layer.hiddenSize, d = layer.inputSize, g = layer.cell.gateCount
        let recurrence = try recurrence(layer: l, layer)
        if layer.cell == .kru {
            let (br, bi) = try complex(ModelTensorName.kruBias(layer: l), shape: [n])
            let activation = layer.activation!
            let beta = activation == .modReLU ? try real(ModelTensorName.modReLUBias(layer: l), shape: [n]) : nil
            return .kru(KRULayerWeights(
                hiddenSize: n, activation: activation,
                input: try complexMatrix(ModelTensorName.inputWeight(layer: l), rows: n, columns: d),
                biasReal: br, biasImaginary: bi, modReLUBias: beta, recurrent: recurrence))
        }
        let hasBiases = has(ModelTensorName.inputBias(layer: l)) || has(ModelTensorName.recurrentBias(layer: l))
        return .real(RealLayerWeights(
            cell: layer.cell, hiddenSize: n,
            input: try matrix(ModelTensorName.inputWeight(layer: l), rows: g * n, columns: d),
            inputBias: hasBiases ? try real(ModelTensorName.inputBias(layer: l), shape: [g * n]) : nil,
            recurrentBias: hasBiases ? try real(ModelTensorName.recurrentBias(layer: l), shape: [g * n]) : nil,
            recurrent: recurrence))
    }
}
