/// How an EURNN's unitary matrix is laid out as layers of 2×2 rotations (Jing et al. 2017, §3–4).
public enum EURNNLayout: Sendable, Hashable {
    /// FFT style: log2 N layers of N/2 rotations each, pairing units 2^j apart like the FFT butterflies.
    /// N must be a power of two. The default here: it is the paper's O(N log N) variant and needs no
    /// capacity choice.
    case fft
    /// Tunable style with capacity L: L layers alternating between N/2 rotations (pairs 2i, 2i+1) and
    /// N/2 − 1 rotations (pairs 2i+1, 2i+2). L = N spans all of U(N). N and L must be even, 2 ≤ L ≤ N.
    case tunable(capacity: Int)

    /// The name a table shows.
    public var displayName: String {
        switch self {
        case .fft: "FFT"
        case .tunable(let capacity): "tunable, L=\(capacity)"
        }
    }
}

extension ParameterCounts {
    /// Parameters of the efficient unitary RNN of Jing, Shen, Dubček, Peurifoy, Skirlo, LeCun, Tegmark &
    /// Soljačić, "Tunable Efficient Unitary Neural Networks (EUNN) and their application to RNNs", ICML 2017.
    ///
    /// W = D · ∏ (rotation layers). Each 2×2 rotation has an angle θ and, in the complex version, a phase φ;
    /// the complex version ends with a diagonal of N phases ω. So, for the complex (unitary) cell:
    /// - recurrent, FFT style: **N·log2 N + N** (log2 N layers × N/2 rotations × (θ, φ), plus ω);
    /// - recurrent, tunable style with (even) capacity L: L/2 layers of N/2 rotations and L/2 layers of
    ///   N/2 − 1, so **2·(L/2)·(N − 1) + N = L(N − 1) + N** ("about N·L"); L = N gives N², all of U(N);
    /// - input: **2ND** (complex U), cell biases: **N** (modReLU bias), readout: **K·N + K**.
    ///
    /// For the real (orthogonal) cell: θ only and no ω, so recurrent **(N/2)·log2 N** (FFT) or
    /// **L(N − 1)/2** (tunable; L = N gives N(N − 1)/2, all of SO(N)), input ND, cell biases N, readout K·N + K.
    ///
    /// Convention: we follow the authors' reference code (`jingli9111/EUNN-tensorflow`: `eunn.py` variables
    /// theta, phi, omega, U_re, U_im, modReLUBias; `mnist_task.py` reads out **Re h** through an N×K matrix),
    /// so unlike the uRNN family the readout has K·N weights, not K·2N, and no h_0 is trained.
    ///
    /// - Throws: ``ParameterCountError`` for sizes out of range, N not a power of two (FFT style), N odd or
    ///   L not even in 2 ... N (tunable style).
    public static func eurnn(
        hiddenSize n: Int, inputWidth d: Int, outputWidth k: Int, layout: EURNNLayout = .fft, complex: Bool = true
    ) throws(ParameterCountError) -> ParameterBreakdown {
        try ParameterCountLimits.check(hiddenSize: n, inputWidth: d, outputWidth: k)
        let rotations: Int
        switch layout {
        case .fft:
            guard n >= 2, n & (n - 1) == 0 else { throw .eurnnFFTNeedsPowerOfTwo(hiddenSize: n) }
            rotations = n.trailingZeroBitCount * (n / 2)
        case .tunable(let capacity):
            guard n % 2 == 0 else { throw .eurnnTunableNeedsEvenHiddenSize(hiddenSize: n) }
            guard capacity >= 2, capacity <= n, capacity % 2 == 0 else {
                throw .eurnnCapacityOutOfRange(capacity: capacity, hiddenSize: n)
            }
            let layersA = capacity / 2
            let layersB = capacity - layersA
            rotations = layersA * (n / 2) + layersB * (n / 2 - 1)
        }
        let recurrent = complex ? 2 * rotations + n : rotations
        return ParameterBreakdown(
            recurrent: recurrent, input: (complex ? 2 : 1) * n * d, cellBiases: n, readout: k * n + k)
    }
}
