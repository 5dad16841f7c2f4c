import Foundation
import KRUInference

/// One step of PyTorch's real cells (spec/MODEL.md §4) for one stream, and its backward pass.
///
/// The pre-activation of gate g is split as `inputPart[g] + recurrent[g]`: the input side (W_ih x + biases, made for
/// all rows at once by a GEMM) and R_g h_{t−1}. With σ the logistic function:
///
/// - RNN: h = act(a_0).
/// - LSTM (i, f, g, o): c = σ(a_f) ⊙ c_{t−1} + σ(a_i) ⊙ tanh(a_g), h = σ(a_o) ⊙ tanh(c).
/// - GRU (r, z, n): r = σ(a_r), z = σ(a_z), m = R_2 h_{t−1} + b_hh[2], n = tanh(inputPart[n] + r ⊙ m),
///   h = (1 − z) ⊙ n + z ⊙ h_{t−1}.
///
/// Backward, with h̄ the gradient reaching h_t: the chain rule through these formulas, using σ' = σ(1 − σ) and
/// tanh' = 1 − tanh² of the stored activations. It returns the gradient of the input side (x̄-part) and of the
/// recurrent products R_g h (h-part) separately: they differ only in the GRU's n gate, where the recurrent side
/// is multiplied by r.
enum RealCell {
    @inline(__always) static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// The forward step. `gates` (G·N) and `extra` (N: c for LSTM, m for GRU) are written for LSTM and GRU only.
    static func forward(_ cell: ModelDescription.Cell, units n: Int, inputPart a: UnsafePointer<Double>,
                        recurrent r: UnsafePointer<Double>, gruRecurrentBias: UnsafePointer<Double>?,
                        previousH: UnsafePointer<Double>, previousC: UnsafePointer<Double>?,
                        gates: UnsafeMutablePointer<Double>, extra: UnsafeMutablePointer<Double>,
                        h: UnsafeMutablePointer<Double>) {
        switch cell {
        case .rnnTanh:
            for k in 0..<n { h[k] = tanh(a[k] + r[k]) }
        case .rnnReLU:
            for k in 0..<n { h[k] = max(a[k] + r[k], 0) }
        case .lstm:
            let c0 = previousC!
            for k in 0..<n {
                let i = sigmoid(a[k] + r[k]), f = sigmoid(a[n + k] + r[n + k])
                let g = tanh(a[2 * n + k] + r[2 * n + k]), o = sigmoid(a[3 * n + k] + r[3 * n + k])
                (gates[k], gates[n + k], gates[2 * n + k], gates[3 * n + k]) = (i, f, g, o)
                let c = f * c0[k] + i * g
                extra[k] = c
                h[k] = o * tanh(c)
            }
        case .gru:
            for k in 0..<n {
                let reset = sigmoid(a[k] + r[k]), update = sigmoid(a[n + k] + r[n + k])
                let m = r[2 * n + k] + (gruRecurrentBias?[k] ?? 0)
                let candidate = tanh(a[2 * n + k] + reset * m)
                (gates[k], gates[n + k], gates[2 * n + k]) = (reset, update, candidate)
                extra[k] = m
                h[k] = (1 - update) * candidate + update * previousH[k]
            }
        case .kru:
            preconditionFailure("kru layers are complex")
        }
    }

    /// The backward step. Writes ā of the input side (G·N) to `inputGradient` and of the recurrent products to
    /// `recurrentGradient` (the same pointer is allowed except for GRU), and sets `hCarry` (N) to the part of
    /// h̄_{t−1} that does not pass through R (GRU: z ⊙ h̄; zero otherwise). For an LSTM `cCarry` (N) holds c̄ from
    /// step t + 1 on entry and c̄_t ⊙ f on exit.
    static func backward(_ cell: ModelDescription.Cell, units n: Int, gradH hBar: UnsafePointer<Double>,
                         gates: UnsafePointer<Double>, extra: UnsafePointer<Double>, h: UnsafePointer<Double>,
                         previousH: UnsafePointer<Double>, previousC: UnsafePointer<Double>?,
                         cCarry: UnsafeMutablePointer<Double>?, hCarry: UnsafeMutablePointer<Double>,
                         inputGradient ax: UnsafeMutablePointer<Double>,
                         recurrentGradient ah: UnsafeMutablePointer<Double>) {
        switch cell {
        case .rnnTanh:
            for k in 0..<n {
                ax[k] = hBar[k] * (1 - h[k] * h[k])
                ah[k] = ax[k]
                hCarry[k] = 0
            }
        case .rnnReLU:
            for k in 0..<n {
                ax[k] = h[k] > 0 ? hBar[k] : 0
                ah[k] = ax[k]
                hCarry[k] = 0
            }
        case .lstm:
            let c0 = previousC!, cBar = cCarry!
            for k in 0..<n {
                let (i, f, g, o) = (gates[k], gates[n + k], gates[2 * n + k], gates[3 * n + k])
                let tc = tanh(extra[k])
                let dc = hBar[k] * o * (1 - tc * tc) + cBar[k]
                let gi = dc * g * i * (1 - i), gf = dc * c0[k] * f * (1 - f)
                let gg = dc * i * (1 - g * g), go = hBar[k] * tc * o * (1 - o)
                (ax[k], ax[n + k], ax[2 * n + k], ax[3 * n + k]) = (gi, gf, gg, go)
                (ah[k], ah[n + k], ah[2 * n + k], ah[3 * n + k]) = (gi, gf, gg, go)
                cBar[k] = dc * f
                hCarry[k] = 0
            }
        case .gru:
            for k in 0..<n {
                let (reset, update, candidate, m) = (gates[k], gates[n + k], gates[2 * n + k], extra[k])
                let dn = hBar[k] * (1 - update) * (1 - candidate * candidate)
                let dz = hBar[k] * (previousH[k] - candidate) * update * (1 - update)
                let dr = dn * m * reset * (1 - reset)
                (ax[k], ax[n + k], ax[2 * n + k]) = (dr, dz, dn)
                (ah[k], ah[n + k], ah[2 * n + k]) = (dr, dz, dn * reset)
                hCarry[k] = hBar[k] * update
            }
        case .kru:
            preconditionFailure("kru layers are complex")
        }
    }
}
