/// A model family in a parameter comparison, with the convention its count follows.
public enum ComparisonModel: Sendable, Hashable {
    /// The KRU being compared (its ``KRUCellTerms`` are given to the comparison).
    case kru
    /// A dense RNN, LSTM or GRU.
    case dense(DenseCellKind, BiasConvention)
    /// Arjovsky et al. 2016's unitary RNN (restricted capacity).
    case uRNN
    /// Wisdom et al. 2016's full-capacity unitary RNN.
    case fullCapacityURNN
    /// Jing et al. 2017's efficient unitary RNN.
    case eurnn(EURNNLayout, complex: Bool)
    /// Helfrich et al. 2018's scaled-Cayley orthogonal RNN.
    case scoRNN

    /// The name a table shows, e.g. "LSTM", "EURNN (FFT)".
    public var displayName: String {
        switch self {
        case .kru: "KRU"
        case .dense(let kind, _): kind.displayName
        case .uRNN: "uRNN"
        case .fullCapacityURNN: "FC uRNN"
        case let .eurnn(layout, complex): "EURNN (\(layout.displayName)\(complex ? "" : ", real"))"
        case .scoRNN: "scoRNN"
        }
    }

    /// Where the parameterisation comes from.
    public var citation: String {
        switch self {
        case .kru: "Jose, Cissé & Fleuret, ICML 2018"
        case .dense(.rnn, let biases): "Elman 1990; \(biases.citationNote)"
        case .dense(.lstm, let biases): "Hochreiter & Schmidhuber 1997; \(biases.citationNote)"
        case .dense(.gru, let biases): "Cho et al. 2014; \(biases.citationNote)"
        case .uRNN: "Arjovsky, Shah & Bengio, ICML 2016"
        case .fullCapacityURNN: "Wisdom et al., NIPS 2016"
        case .eurnn: "Jing et al., ICML 2017"
        case .scoRNN: "Helfrich, Willmott & Ye, ICML 2018"
        }
    }

    /// The count of this family at hidden size `hiddenSize` with the architecture's D and K (the KRU keeps
    /// its own N and factors), or nil where the family is not defined for that N (FFT-style EURNN needs a
    /// power of two, tunable-style an even N ≥ L).
    func counts(hiddenSize n: Int, architecture: RecurrentArchitecture, kruTerms: KRUCellTerms) -> ParameterBreakdown? {
        let d = architecture.inputWidth
        let k = architecture.outputWidth
        switch self {
        case .kru: return ParameterCounts.kru(architecture, terms: kruTerms)
        case let .dense(kind, biases):
            return try? ParameterCounts.dense(kind, hiddenSize: n, inputWidth: d, outputWidth: k, biases: biases)
        case .uRNN: return try? ParameterCounts.uRNN(hiddenSize: n, inputWidth: d, outputWidth: k)
        case .fullCapacityURNN:
            return try? ParameterCounts.fullCapacityURNN(hiddenSize: n, inputWidth: d, outputWidth: k)
        case let .eurnn(layout, complex):
            return try? ParameterCounts.eurnn(hiddenSize: n, inputWidth: d, outputWidth: k,
                                              layout: layout, complex: complex)
        case .scoRNN: return try? ParameterCounts.scoRNN(hiddenSize: n, inputWidth: d, outputWidth: k)
        }
    }
}

extension BiasConvention {
    var citationNote: String { self == .pyTorch ? "PyTorch, two biases" : "one bias per gate" }
}
