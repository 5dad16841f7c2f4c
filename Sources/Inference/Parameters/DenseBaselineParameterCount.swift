/// The real-valued dense recurrent cells compared against a KRU.
public enum DenseCellKind: String, Sendable, Hashable, CaseIterable {
    /// Elman RNN, h_t = σ(W h_{t−1} + U x_t + b): one gate.
    case rnn
    /// LSTM: four gates (PyTorch order i, f, g, o).
    case lstm
    /// GRU: three gates (PyTorch order r, z, n).
    case gru

    /// Blocks of (W_h, U, biases) per cell.
    public var gateCount: Int {
        switch self {
        case .rnn: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    /// The name a table shows.
    public var displayName: String {
        switch self {
        case .rnn: "RNN"
        case .lstm: "LSTM"
        case .gru: "GRU"
        }
    }
}

/// How many bias vectors a dense cell has per gate.
public enum BiasConvention: String, Sendable, Hashable, CaseIterable {
    /// PyTorch `nn.RNN`, `nn.LSTM`, `nn.GRU`: two bias vectors per gate, `bias_ih` and `bias_hh` (the GRU
    /// needs both because b_hn sits inside r ⊙ (W_hn h + b_hn)). The default here, since converted models
    /// come from PyTorch.
    case pyTorch
    /// One bias vector per gate: TensorFlow `BasicLSTMCell`, Keras `SimpleRNN`/`LSTM`,
    /// `GRU(reset_after: false)`, and the baseline counts of the unitary-RNN papers (e.g. the LSTM
    /// "≈1058k" for N = 512 in Helfrich et al. 2018).
    case single

    /// Bias vectors of length N per gate.
    public var vectorsPerGate: Int { self == .pyTorch ? 2 : 1 }
}

extension ParameterCounts {
    /// Parameters of a dense RNN, LSTM or GRU layer with a real readout, for g gates and β bias vectors
    /// per gate (β = 2 for PyTorch, 1 for a single bias):
    ///
    /// - recurrent **g·N²**, input **g·N·D**, cell biases **g·β·N**, readout **K·N + K**:
    /// - dense RNN (g = 1): **N² + ND + 2N + KN + K** (PyTorch), N² + ND + N + KN + K (single bias);
    /// - LSTM (g = 4): **4(N² + ND + 2N) + KN + K** (PyTorch), 4(N² + ND + N) + KN + K (single bias)
    ///   (Hochreiter & Schmidhuber 1997, without peepholes; PyTorch `nn.LSTM` documentation);
    /// - GRU (g = 3): **3(N² + ND + 2N) + KN + K** (PyTorch), 3(N² + ND + N) + KN + K (single bias)
    ///   (Cho et al. 2014; PyTorch `nn.GRU` documentation).
    ///
    /// Check: the pixel-MNIST LSTM (N = 128, D = 1, K = 10) has 4(16,384 + 128 + 256) + 1,290 = **68,362**
    /// parameters with PyTorch's two biases and 67,850 with one — both round to the "≈68k" of the
    /// pixel-MNIST comparison tables (Wisdom et al. 2016; Chang et al. 2019, Table 1, which lists it beside
    /// the KRU).
    public static func dense(
        _ kind: DenseCellKind, hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int,
        biases: BiasConvention = .pyTorch
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try ParameterCountLimits.check(hiddenSize: n, inputWidth: d, outputWidth: k)
        return denseUnchecked(kind, hiddenSize: n, inputWidth: d, outputWidth: k, biases: biases)
    }

    /// Dense RNN: N² + ND + βN + KN + K. See ``dense(_:hiddenSize:inputWidth:outputWidth:biases:)``.
    public static func denseRNN(
        hiddenSize: Int, inputWidth: Int, outputWidth: Int, biases: BiasConvention = .pyTorch
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try dense(.rnn, hiddenSize: hiddenSize, inputWidth: inputWidth, outputWidth: outputWidth, biases: biases)
    }

    /// LSTM: 4(N² + ND + βN) + KN + K. See ``dense(_:hiddenSize:inputWidth:outputWidth:biases:)``.
    public static func lstm(
        hiddenSize: Int, inputWidth: Int, outputWidth: Int, biases: BiasConvention = .pyTorch
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try dense(.lstm, hiddenSize: hiddenSize, inputWidth: inputWidth, outputWidth: outputWidth, biases: biases)
    }

    /// GRU: 3(N² + ND + βN) + KN + K. See ``dense(_:hiddenSize:inputWidth:outputWidth:biases:)``.
    public static func gru(
        hiddenSize: Int, inputWidth: Int, outputWidth: Int, biases: BiasConvention = .pyTorch
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try dense(.gru, hiddenSize: hiddenSize, inputWidth: inputWidth, outputWidth: outputWidth, biases: biases)
    }

    /// The formula without the range checks; callers guarantee 0 ≤ N, D, K ≤ 2^24.
    static func denseUnchecked(
        _ kind: DenseCellKind, hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int, biases: BiasConvention
    ) -> ParameterBreakdown {
        let g = kind.gateCount
        return ParameterBreakdown(
            recurrent: g * n * n,
            input: g * n * d,
            cellBiases: g * biases.vectorsPerGate * n,
            readout: k * n + k)
    }
}
