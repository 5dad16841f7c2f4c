import KRUInference

/// What a trainable model is made of: its input, a stack of recurrent layers (complex `kru` cells or PyTorch's real
/// RNN, LSTM and GRU cells, see ``LayerArchitecture``) and a readout head — the structure of a spec/MODEL.md model,
/// checked when it is built.
///
/// ```swift
/// let architecture = try KRUArchitecture(
///     input: .tokens(vocabulary: Array("_12345678:".unicodeScalars)),
///     layers: [LayerArchitecture(squareFactors: [2, 2, 2, 2, 2, 2, 2], activation: .modReLU)],
///     output: .init(kind: .categorical, width: 10, steps: .every))
/// ```
public struct KRUArchitecture: Hashable, Sendable {
    /// Layer 0's input (spec/MODEL.md §4.1).
    public enum Input: Hashable, Sendable {
        /// Token ids; with an `embeddingWidth` the input is a learned row of `input.embedding`, otherwise the
        /// one-hot vector of the token (never formed: the layer adds column `token` of U).
        case tokens(vocabulary: [Unicode.Scalar], embeddingWidth: Int? = nil)
        /// Real vectors of a fixed width.
        case vectors(width: Int)
    }

    /// The readout y_t = V [Re h_t; Im h_t] + c of the top layer and how it is read (spec/MODEL.md §5).
    public struct Output: Hashable, Sendable {
        public var kind: ModelDescription.OutputKind
        /// K, the number of logits (or predictions).
        public var width: Int
        /// An output at every step, or only after the last one.
        public var steps: ModelDescription.OutputSteps

        public init(kind: ModelDescription.OutputKind, width: Int, steps: ModelDescription.OutputSteps) {
            self.kind = kind
            self.width = width
            self.steps = steps
        }
    }

    public let input: Input
    public let layers: [LayerArchitecture]
    public let output: Output

    /// Checks the architecture against the schema's rules (spec/MODEL.md §6).
    /// - Throws: ``ArchitectureError`` naming the offending part.
    public init(input: Input, layers: [LayerArchitecture], output: Output) throws(ArchitectureError) {
        let limit = ModelLimits.maxSize
        switch input {
        case .tokens(let vocabulary, let embeddingWidth):
            guard (1...limit).contains(vocabulary.count) else {
                throw ArchitectureError("the vocabulary needs 1…2^24 tokens")
            }
            guard Set(vocabulary).count == vocabulary.count else {
                throw ArchitectureError("the vocabulary has duplicate tokens")
            }
            if let width = embeddingWidth, !(1...limit).contains(width) {
                throw ArchitectureError("embedding width \(width) is outside 1…2^24")
            }
            if output.kind == .categorical, output.steps == .every, output.width != vocabulary.count {
                throw ArchitectureError(
                    "a token model with categorical outputs at every step predicts tokens: "
                        + "width \(output.width) ≠ vocabulary size \(vocabulary.count)")
            }
        case .vectors(let width):
            guard (1...limit).contains(width) else { throw ArchitectureError("input width \(width) is outside 1…2^24") }
        }
        guard (1...ModelLimits.maxLayers).contains(layers.count) else {
            throw ArchitectureError("\(layers.count) layers; 1…\(ModelLimits.maxLayers) are allowed")
        }
        for (l, layer) in layers.enumerated() { try layer.validate(layer: l) }
        guard (1...limit).contains(output.width) else {
            throw ArchitectureError("output width \(output.width) is outside 1…2^24")
        }
        self.input = input
        self.layers = layers
        self.output = output
    }

    /// D_0, the width of layer 0's input: the embedding width, the vocabulary size (one-hot) or the vector width.
    public var inputWidth: Int {
        switch input {
        case .tokens(let vocabulary, let embeddingWidth): embeddingWidth ?? vocabulary.count
        case .vectors(let width): width
        }
    }

    /// D_l, the width of layer `l`'s input.
    public func inputWidth(ofLayer l: Int) -> Int { l == 0 ? inputWidth : layers[l - 1].outputSize }

    /// The vocabulary of a token model, else nil.
    public var vocabulary: [Unicode.Scalar]? {
        if case .tokens(let vocabulary, _) = input { vocabulary } else { nil }
    }
}
