/// The parameters a loaded model stores, counted from its tensors layer by layer and part by part, beside the same
/// model with every recurrence dense — what `kru params` reports for a model file.
///
/// Counts are real numbers (a complex value counts two; ``ParameterBreakdown`` states the rules). Everything except
/// the dense counterpart's recurrence is the element count of a tensor the file holds, so the figures agree with
/// `kru inspect` by construction of the file, not by a formula.
public struct StoredParameters: Sendable, Hashable {
    /// One recurrent layer.
    public struct Layer: Sendable, Hashable {
        /// One gate block of the recurrence: R_g (LSTM i, f, g, o; GRU r, z, n; the single block of RNN and kru).
        public struct GateBlock: Sendable, Hashable {
            /// The gate's letter in PyTorch's order (`i`, `f`, `g`, `o`; `r`, `z`, `n`), or `W` for a one-block cell.
            public let name: String
            /// Parameters the block stores: N² (2N² complex) when dense, its factors' entries when Kronecker.
            public let stored: Int
            /// For a Kronecker block, the factor shapes of each of its terms (term-major); empty when dense.
            public let terms: [[KroneckerFactorShape]]
        }

        /// The layer's cell kind.
        public let cell: ModelDescription.Cell
        /// N, the layer's hidden size (complex units for a kru cell).
        public let hiddenSize: Int
        /// D_l, the width of the vector the layer reads (the embedding, the input, or the layer below's output).
        public let inputWidth: Int
        /// The recurrence's gate blocks, in the order the schema stacks them.
        public let gates: [GateBlock]
        /// W_ih (U for a kru cell, complex): every gate's input weights.
        public let input: Int
        /// The layer's bias vectors: `bias_ih` and `bias_hh` of a real cell; the complex bias and the modReLU bias
        /// of a kru cell.
        public let biases: Int

        /// What one gate block of the dense cell of the same kind and N stores: N² real numbers, or 2N² for the
        /// complex kru cell.
        public var denseGateBlock: Int { (cell == .kru ? 2 : 1) * hiddenSize * hiddenSize }
        /// The recurrence over all gate blocks.
        public var recurrent: Int { gates.reduce(0) { $0 + $1.stored } }
        /// The recurrence of the dense cell of the same kind and N.
        public var denseRecurrent: Int { gates.count * denseGateBlock }
        /// Input weights, biases and recurrence.
        public var total: Int { input + biases + recurrent }
    }

    /// The input embedding table (vocabulary × width), 0 for a model without one.
    public let embedding: Int
    /// The recurrent layers, first (reading the input) to last.
    public let layers: [Layer]
    /// The readout weight (0 when it is tied to the embedding) and bias.
    public let readout: Int

    /// Every layer's input weights.
    public var inputProjections: Int { layers.reduce(0) { $0 + $1.input } }
    /// Every layer's biases.
    public var cellBiases: Int { layers.reduce(0) { $0 + $1.biases } }
    /// Every layer's recurrence: what Kronecker factorization shrinks.
    public var recurrent: Int { layers.reduce(0) { $0 + $1.recurrent } }
    /// Every parameter of the model.
    public var total: Int { embedding + inputProjections + cellBiases + recurrent + readout }
    /// The recurrence if every layer's were dense.
    public var denseRecurrent: Int { layers.reduce(0) { $0 + $1.denseRecurrent } }
    /// The whole model if every layer's recurrence were dense, all else unchanged.
    public var denseTotal: Int { total - recurrent + denseRecurrent }
}

extension KRUModel {
    /// The parameters this model stores, layer by layer and part by part (see ``StoredParameters``).
    public var storedParameters: StoredParameters {
        StoredParameters(
            embedding: embedding?.values.count ?? 0,
            layers: zip(layers, description.layers).map { weights, layer in StoredParameters.Layer(weights, layer) },
            readout: (description.tiedReadout ? 0 : readout.values.count) + readoutBias.count)
    }
}

extension StoredParameters.Layer {
    init(_ weights: LayerWeights, _ layer: ModelDescription.Layer) {
        cell = layer.cell
        hiddenSize = layer.hiddenSize
        inputWidth = layer.inputSize
        switch weights {
        case .kru(let w):
            input = 2 * w.input.real.values.count
            biases = w.biasReal.count + w.biasImaginary.count + (w.modReLUBias?.count ?? 0)
        case .real(let w):
            input = w.input.values.count
            biases = (w.inputBias?.count ?? 0) + (w.recurrentBias?.count ?? 0)
        }
        let names = Self.gateNames(layer.cell)
        switch weights.recurrence {
        case .dense(let matrix):
            // W_hh stacks the G blocks of N rows each.
            gates = names.map { GateBlock(name: $0, stored: matrix.values.count / names.count, terms: []) }
        case .sixteenBitDense(let matrix):
            gates = names.map { GateBlock(name: $0, stored: matrix.bits.count / names.count, terms: []) }
        case .complexDense(let matrix):
            gates = [GateBlock(name: names[0], stored: 2 * matrix.real.values.count, terms: [])]
        case .kronecker(let blocks):
            gates = zip(names, blocks.operators).map { name, terms in
                GateBlock(name: name, stored: terms.reduce(0) { $0 + $1.factors.reduce(0) { $0 + $1.values.count } },
                          terms: terms.map { $0.factors.map { Self.shape($0.rows, $0.columns) } })
            }
        case .complexKronecker(let terms):
            gates = [GateBlock(
                name: names[0], stored: terms.reduce(0) { $0 + $1.factors.reduce(0) { $0 + 2 * $1.real.count } },
                terms: terms.map { $0.factors.map { Self.shape($0.rows, $0.columns) } })]
        }
    }

    private static func shape(_ rows: Int, _ columns: Int) -> KroneckerFactorShape {
        KroneckerFactorShape(rows: rows, columns: columns)
    }

    /// The gate blocks' letters in the order the schema stacks them (PyTorch's).
    static func gateNames(_ cell: ModelDescription.Cell) -> [String] {
        switch cell {
        case .lstm: ["i", "f", "g", "o"]
        case .gru: ["r", "z", "n"]
        case .kru, .rnnTanh, .rnnReLU: ["W"]
        }
    }
}
