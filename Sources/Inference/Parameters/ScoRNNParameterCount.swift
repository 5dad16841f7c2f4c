extension ParameterCounts {
    /// Parameters of the scaled-Cayley orthogonal RNN of Helfrich, Willmott & Ye, "Orthogonal Recurrent
    /// Neural Networks with Scaled Cayley Transform", ICML 2018.
    ///
    /// W = (I + A)⁻¹(I − A)D with A skew-symmetric and D a fixed diagonal of ±1 (a hyperparameter), so
    /// - recurrent: **N(N−1)/2** — the free entries of A; D and W are not trained on their own;
    /// - input: **ND** — real input matrix;
    /// - cell biases: **N** — the modReLU bias;
    /// - readout: **K·N + K** — a real dense layer on h.
    ///
    /// This follows the reference code (`SpartinStuff/scoRNN`, `scoRNNCell`: variables A, W, b, U; a dense
    /// readout). Check (pixel MNIST, D = 1, K = 10): N = 170, 360, 512 → 16,415, 68,950, 136,970, the
    /// paper's "≈16k", "≈69k", "≈137k".
    public static func scoRNN(
        hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try ParameterCountLimits.check(hiddenSize: n, inputWidth: d, outputWidth: k)
        return ParameterBreakdown(recurrent: n * (n - 1) / 2, input: n * d, cellBiases: n, readout: k * n + k)
    }
}
