/// One row of the `kru params` comparison table, as plain data (the command line tool formats it).
public struct ParameterComparisonRow: Sendable, Hashable {
    /// How the row's hidden size was chosen.
    public enum Sizing: String, Sendable, Hashable {
        /// The KRU itself.
        case reference
        /// The same hidden size N as the KRU.
        case sameHiddenSize
        /// The largest hidden size whose total does not exceed the KRU's total.
        case equalParameters
    }

    /// The table's name for the model, e.g. "LSTM".
    public var name: String { model.displayName }
    public let model: ComparisonModel
    public let sizing: Sizing
    public let hiddenSize: Int
    /// The count split into pieces.
    public let counts: ParameterBreakdown
    /// This row's recurrent parameters divided by the KRU's.
    public let recurrentRatioToKRU: Double
    /// This row's total divided by the KRU's.
    public let totalRatioToKRU: Double

    /// Recurrent-matrix parameters (``ParameterBreakdown/recurrent``).
    public var recurrentParameters: Int { counts.recurrent }
    /// All parameters (``ParameterBreakdown/total``).
    public var totalParameters: Int { counts.total }
}

/// Builds the rows of the parameter comparison between a KRU and the dense and unitary baselines.
public enum ParameterComparison {
    /// The baselines compared at the KRU's own hidden size: dense RNN, LSTM, GRU, uRNN, FC uRNN,
    /// EURNN (FFT style, complex) and scoRNN.
    public static func sameSizeModels(biases: BiasConvention) -> [ComparisonModel] {
        DenseCellKind.allCases.map { .dense($0, biases) }
            + [.uRNN, .fullCapacityURNN, .eurnn(.fft, complex: true), .scoRNN]
    }

    /// The rows, in this order:
    /// 1. the KRU (``ParameterComparisonRow/Sizing/reference``);
    /// 2. each model of ``sameSizeModels(biases:)`` at the KRU's hidden size N — a model not defined for
    ///    that N (FFT-style EURNN when N is not a power of two) is left out;
    /// 3. dense RNN, LSTM and GRU at the largest hidden size whose total does not exceed the KRU's total
    ///    (``ParameterCounts/largestHiddenSize(_:withinBudget:inputWidth:outputWidth:biases:)``) — left out
    ///    when even N = 1 is over that budget.
    ///
    /// Ratios are this row's count over the KRU's; the recurrent ratio is what the paper's "three orders of
    /// magnitude" is about. The KRU's counts are at least 1 (every factor is at least 1×1), so the ratios
    /// are finite.
    public static func rows(
        for architecture: RecurrentArchitecture, kruTerms: KRUCellTerms = KRUCellTerms(),
        biases: BiasConvention = .pyTorch
    ) -> [ParameterComparisonRow] {
        let kru = ParameterCounts.kru(architecture, terms: kruTerms)
        func row(
            _ model: ComparisonModel, _ sizing: ParameterComparisonRow.Sizing, _ n: Int
        ) -> ParameterComparisonRow? {
            guard let counts = model.counts(hiddenSize: n, architecture: architecture, kruTerms: kruTerms) else {
                return nil
            }
            return ParameterComparisonRow(
                model: model, sizing: sizing, hiddenSize: n, counts: counts,
                recurrentRatioToKRU: Double(counts.recurrent) / Double(kru.recurrent),
                totalRatioToKRU: Double(counts.total) / Double(kru.total))
        }
        var rows = [
            ParameterComparisonRow(
                model: .kru, sizing: .reference, hiddenSize: architecture.hiddenSize, counts: kru,
                recurrentRatioToKRU: 1, totalRatioToKRU: 1)
        ]
        rows += sameSizeModels(biases: biases).compactMap { row($0, .sameHiddenSize, architecture.hiddenSize) }
        for kind in DenseCellKind.allCases {
            // D and K were checked with the architecture, so this cannot throw; nil means nothing fits.
            if let n = try? ParameterCounts.largestHiddenSize(
                kind, withinBudget: kru.total, inputWidth: architecture.inputWidth,
                outputWidth: architecture.outputWidth, biases: biases),
                let equal = row(.dense(kind, biases), .equalParameters, n)
            {
                rows.append(equal)
            }
        }
        return rows
    }
}
