extension ParameterCounts {
    /// Parameters of a KRU layer with its readout (Jose, Cissé & Fleuret, "Kronecker Recurrent Units",
    /// ICML 2018, arXiv 1705.10142).
    ///
    /// With complex factors (the paper's cell; r = Kronecker rank, 1 in the paper):
    /// - recurrent: **r · 2 · Σ_f P_f·Q_f** — W = W_0 ⊗ … ⊗ W_{F−1}, W_f ∈ ℂ^{P_f×Q_f} (paper eq. 4), one real
    ///   and one imaginary part per entry. For log2 N factors of 2×2 this is **8·log2 N** (the paper's
    ///   "8 log2 N"); one N×N factor gives 2N², a full complex recurrent matrix;
    /// - input: **2ND** for complex U (**ND** if ``KRUCellTerms/complexInputWeights`` is false);
    /// - cell biases: **2N** for a complex b, **N** for a real one, **0** for none; **+N** for a modReLU bias;
    /// - readout: **K·2N + K** — V reads [Re h; Im h] (2N reals) and c has K entries;
    /// - initial state: **2N** if trained, else 0.
    ///
    /// With real factors the whole cell is real (real state, U, b), so every term counts one real per entry:
    /// recurrent r·Σ_f P_f·Q_f, input ND, bias N (``KRUCellTerms/HiddenBias/real`` and
    /// ``KRUCellTerms/HiddenBias/complex`` alike) plus N for modReLU, readout K·N + K, initial state N.
    ///
    /// The paper's own totals count fewer terms than this project's cell; ``KRUCellTerms/paperPixelMNIST``
    /// explains which and reproduces its pixel-MNIST "≈11k".
    public static func kru(
        _ architecture: RecurrentArchitecture, terms: KRUCellTerms = KRUCellTerms()
    ) -> ParameterBreakdown {
        let n = architecture.hiddenSize
        let d = architecture.inputWidth
        let k = architecture.outputWidth
        // Real numbers per complex entry: 2 for the complex cell, 1 for the real one.
        let c = architecture.complexFactors ? 2 : 1
        let recurrent = architecture.kroneckerRank * c * architecture.factorEntryCount
        let input = (terms.complexInputWeights ? c : 1) * n * d
        let hiddenBias: Int
        switch terms.hiddenBias {
        case .none: hiddenBias = 0
        case .real: hiddenBias = n
        case .complex: hiddenBias = c * n
        }
        let modReLUBias = terms.modReLUBias ? n : 0
        return ParameterBreakdown(
            recurrent: recurrent,
            input: input,
            cellBiases: hiddenBias + modReLUBias,
            readout: k * c * n + k,
            initialState: terms.learnedInitialState ? c * n : 0)
    }
}
