import KRUInference
@testable import KRUTrain

/// Small networks and batches for the gradient and export checks: rectangular, pairwise-distinct factor shapes
/// (square or equal shapes hide transposition bugs), rank 2, several steps.
enum TestNetworks {
    /// N = 24 = (2×3)(3×4)(4×2): ∏P = 2·3·4, ∏Q = 3·4·2, every P and Q distinct within its factor.
    static let rectangularShapes = [KroneckerFactorShape(rows: 2, columns: 3),
                                    KroneckerFactorShape(rows: 3, columns: 4),
                                    KroneckerFactorShape(rows: 4, columns: 2)]
    /// N = 6 = (3×2)(2×3).
    static let smallShapes = [KroneckerFactorShape(rows: 3, columns: 2), KroneckerFactorShape(rows: 2, columns: 3)]

    enum InputKind: CaseIterable, Sendable { case oneHot, embedding, vectors }

    static let vocabulary: [Unicode.Scalar] = Array("abcde".unicodeScalars)

    static func architecture(input: InputKind, layers: [LayerArchitecture], output kind: ModelDescription.OutputKind,
                             steps: ModelDescription.OutputSteps = .every) throws -> KRUArchitecture {
        let inputSpec: KRUArchitecture.Input
        switch input {
        case .oneHot: inputSpec = .tokens(vocabulary: vocabulary)
        case .embedding: inputSpec = .tokens(vocabulary: vocabulary, embeddingWidth: 3)
        case .vectors: inputSpec = .vectors(width: 4)
        }
        // Token models with categorical outputs at every step predict tokens: K = vocabulary size.
        let width = kind == .categorical && input != .vectors ? vocabulary.count : 3
        return try KRUArchitecture(input: inputSpec, layers: layers,
                                   output: .init(kind: kind, width: width, steps: steps))
    }

    /// A network with every parameter drawn at random (not at its initial values: zero biases or exactly unitary
    /// factors would hide terms of the gradient).
    static func randomNetwork(_ architecture: KRUArchitecture, seed: UInt64) -> KRUNetwork {
        var random = KRURandom(seed: seed)
        var network = KRUNetwork(architecture: architecture, random: &random)
        for tensor in network.layout.tensors {
            let scale: Double
            switch tensor.role {
            case .recurrentFactor: scale = 0.15
            case .modReLUBias: scale = 0.2
            default: scale = 0.4
            }
            for i in tensor.range { network.parameters[i] += scale * random.nextStandardNormalPair().0 }
        }
        return network
    }

    static func batch(_ architecture: KRUArchitecture, length: Int, batchSize: Int, seed: UInt64) -> SequenceBatch {
        var random = KRURandom(seed: seed)
        let rows = length * batchSize
        let inputs: SequenceBatch.Inputs
        switch architecture.input {
        case .tokens(let vocabulary, _):
            inputs = .tokens((0..<rows).map { _ in random.nextIndex(below: vocabulary.count) })
        case .vectors(let width):
            inputs = .vectors((0..<rows * width).map { _ in random.nextStandardNormalPair().0 }, width: width)
        }
        let k = architecture.output.width
        let targets: SequenceBatch.Targets
        switch architecture.output.kind {
        case .categorical: targets = .classes((0..<rows).map { _ in random.nextIndex(below: k) })
        case .bernoulli: targets = .values((0..<rows * k).map { _ in random.nextIndex(below: 2) == 0 ? 0 : 1 })
        case .regression: targets = .values((0..<rows * k).map { _ in random.nextStandardNormalPair().0 })
        }
        return SequenceBatch(length: length, batchSize: batchSize, inputs: inputs, targets: targets,
                             steps: architecture.output.steps)
    }

    /// A nonzero state to start a chunk from, as truncated BPTT carries one (with an LSTM's cell state).
    static func randomState(_ architecture: KRUArchitecture, batchSize: Int, seed: UInt64) -> RecurrentState {
        var random = KRURandom(seed: seed)
        return RecurrentState(batchSize: batchSize, layers: architecture.layers.map { layer in
            let count = batchSize * layer.hiddenSize
            func draw(_ wanted: Bool) -> [Double] {
                wanted ? (0..<count).map { _ in 0.5 * random.nextStandardNormalPair().0 } : []
            }
            return RecurrentState.Layer(real: draw(true), imaginary: draw(layer.isComplex),
                                        cell: draw(layer.cell == .lstm))
        })
    }

    /// The real cells, each with a dense and a rank-2 rectangular Kronecker recurrence (N = 24).
    static let realLayers: [LayerArchitecture] =
        [ModelDescription.Cell.rnnTanh, .rnnReLU, .lstm, .gru].flatMap { cell in
        [LayerArchitecture(cell: cell, hiddenSize: 24, recurrence: .dense),
         LayerArchitecture(cell: cell, hiddenSize: 24,
                           recurrence: .kronecker(factorShapes: rectangularShapes, rank: 2))]
    }
}
