extension ParameterCounts {
    /// Parameters of the unitary RNN of Arjovsky, Shah & Bengio, "Unitary Evolution Recurrent Neural
    /// Networks", ICML 2016 (the "restricted-capacity uRNN" of Wisdom et al. 2016).
    ///
    /// W = D_3 R_2 F⁻¹ D_2 Π R_1 F D_1 (paper eq. 6), so
    /// - recurrent: **7N** — three diagonal phase matrices D_j (N angles each, 3N) and two complex reflection
    ///   vectors R_j (2N reals each, 4N); the FFT F, its inverse and the permutation Π are fixed (0);
    /// - input: **2ND** — complex input matrix (the reference code stores it as D × 2N);
    /// - cell biases: **N** — the modReLU bias (the only bias of the cell);
    /// - readout: **K·2N + K** — a real matrix reading [Re h; Im h], plus its bias;
    /// - initial state: **2N** — the reference implementation (Arjovsky's `complex_RNN`, reused by Wisdom et
    ///   al.'s `urnn` code, parameters `V, U, hidden_bias, reflection, out_bias, theta, h_0`) trains h_0.
    ///
    /// Convention: we count h_0 because Wisdom et al. 2016 do — their pixel-MNIST table gives the N = 512
    /// uRNN "≈16k", and 3,584 + 1,024 + 512 + 10,250 + 1,024 = 16,394 only reaches it with h_0 (15,370 without).
    public static func uRNN(
        hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try ParameterCountLimits.check(hiddenSize: n, inputWidth: d, outputWidth: k)
        return unitaryCell(recurrent: 7 * n, hiddenSize: n, inputWidth: d, outputWidth: k)
    }

    /// Parameters of the full-capacity unitary RNN of Wisdom, Powers, Hershey, Le Roux & Atlas,
    /// "Full-Capacity Unitary Recurrent Neural Networks", NIPS 2016.
    ///
    /// W is any N×N unitary matrix, optimised on the Stiefel manifold:
    /// - recurrent: **N²** — the real dimension of the unitary group U(N). (The implementation stores W as a
    ///   2N×2N real matrix, 4N² numbers, but only N² are free; the paper's totals count N².)
    /// - input **2ND**, cell biases **N** (modReLU), readout **K·2N + K**, initial state **2N**: the same
    ///   cell and code as ``uRNN(hiddenSize:inputWidth:outputWidth:)``.
    ///
    /// Check (pixel MNIST, D = 1, K = 10): N = 116 → 16,366 ("≈16k"), N = 512 → 274,954 ("≈270k" at two
    /// significant digits), as in the paper's MNIST table.
    public static func fullCapacityURNN(
        hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try ParameterCountLimits.check(hiddenSize: n, inputWidth: d, outputWidth: k)
        return unitaryCell(recurrent: n * n, hiddenSize: n, inputWidth: d, outputWidth: k)
    }

    /// The complex cell shared by the uRNN family: complex U, modReLU bias, readout over [Re h; Im h],
    /// trained h_0.
    private static func unitaryCell(
        recurrent: Int, hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int
    ) -> ParameterBreakdown {
        ParameterBreakdown(recurrent: recurrent, input: 2 * n * d, cellBiases: n, readout: k * 2 * n + k,
                           initialState: 2 * n)
    }
}
