import CTrainKernels
import KRUInference

/// The single-precision kernels of `Sources/CTrainKernels` in the widest instruction set the CPU runs (AVX-512,
/// AVX2+FMA or portable vector code): mode products of Kronecker chains and their factor gradients, the
/// small-batch dense product of a recurrence, the fused element-wise cell steps and transposes.
struct TrainingKernels: @unchecked Sendable {
    enum Variant: Int32, CaseIterable, Sendable {
        case portable = 0, avx2FMA = 1, avx512 = 2
    }

    let variant: Variant
    private let table: kt_kernel_table

    /// The kernels of `variant`, or nil when this build or CPU cannot run it.
    init?(_ variant: Variant) {
        guard let table = kt_kernels(variant.rawValue) else { return nil }
        self.variant = variant
        self.table = table.pointee
    }

    /// The widest variant this CPU runs.
    static let preferred = TrainingKernels(Variant(rawValue: kt_preferred_variant()) ?? .portable)!

    /// y (=, or += when `accumulate`) W ×_mode x for W of `shape` (P × Q) on tensors [outer][Q][inner] →
    /// [outer][P][inner]; complex when the planes have imaginary parts.
    func modeProduct(_ w: ConstantPlanes, _ shape: KroneckerFactorShape, outer: Int, inner: Int, x: Planes, y: Planes,
                     accumulate: Bool) {
        if let wi = w.im, let xi = x.im, let yi = y.im {
            table.complex_mode_product(w.re, wi, Int32(shape.rows), Int32(shape.columns), outer, inner, x.re, xi, y.re,
                                       yi, accumulate ? 1 : 0)
        } else {
            table.real_mode_product(w.re, Int32(shape.rows), Int32(shape.columns), outer, inner, x.re, y.re,
                                    accumulate ? 1 : 0)
        }
    }

    /// Partial sums per entry in which the real factor gradients accumulate.
    static let gradientLanes = 8

    /// W̄ += Σ ȳ·conj(x) over the mode-`shape` unfoldings of ȳ and x. For a real factor `gw` holds
    /// ``gradientLanes`` partial sums per entry (a chain's many calls reduce them once, with ``reduceLanes``); for a
    /// complex one, the entries themselves.
    func modeGradient(_ shape: KroneckerFactorShape, outer: Int, inner: Int, gradOutput gy: Planes, input x: Planes,
                      into gw: Planes) {
        if let gyi = gy.im, let xi = x.im, let gwi = gw.im {
            table.complex_mode_gradient(Int32(shape.rows), Int32(shape.columns), outer, inner, gy.re, gyi, x.re, xi,
                                        gw.re, gwi)
        } else {
            table.real_mode_gradient(Int32(shape.rows), Int32(shape.columns), outer, inner, gy.re, x.re, gw.re)
        }
    }

    /// Both halves of the backward pass of a complex 2 × 2 mode in one call: W̄ += Σ ȳ·conj(x) and, when given,
    /// x̄ (=, or +=) Wᴴ ×_mode ȳ. Nil when the factor is not complex 2 × 2 or the runs are not whole registers.
    func fusedModeBackward(_ w: ConstantPlanes, _ shape: KroneckerFactorShape, outer: Int, inner: Int,
                           gradOutput gy: Planes, input x: Planes, into gw: Planes, gradInput gx: Planes?,
                           accumulate: Bool) -> Bool {
        guard shape.rows == 2, shape.columns == 2, inner % 8 == 0, let wi = w.im, let gyi = gy.im, let xi = x.im,
              let gwi = gw.im else { return false }
        table.complex_mode_backward_2x2(w.re, wi, outer, inner, gy.re, gyi, x.re, xi, gw.re, gwi, gx?.re, gx?.im,
                                        accumulate ? 1 : 0)
        return true
    }

    /// sums[i] += the ``gradientLanes`` partial sums of entry i, for `count` entries; the partial sums are zeroed.
    func reduceLanes(count: Int, lanes: UnsafeMutablePointer<Float>, into sums: UnsafeMutablePointer<Float>) {
        kt_reduce_lanes(count, lanes, sums)
    }

    /// C (m × n) (=, or +=) A (m × k) · B (k × n), A and C row-major, B packed by ``pack(_:rows:columns:into:)``.
    func smallGemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed b: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        table.small_gemm(Int32(m), Int32(n), Int32(k), a, lda, b, c, ldc, accumulate ? 1 : 0)
    }

    /// Floats a packed `rows` × `columns` matrix takes (columns rounded up to whole panels).
    func packedCount(rows: Int, columns: Int) -> Int {
        let width = Int(table.panel_width)
        return rows * ((columns + width - 1) / width) * width
    }

    /// B (`rows` × `columns`, row-major) in the panel layout ``smallGemm(m:n:k:a:lda:packed:c:ldc:accumulate:)``
    /// streams; `destination` holds ``packedCount(rows:columns:)`` floats.
    func pack(_ b: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        table.pack(Int32(rows), Int32(columns), b, columns, destination)
    }

    /// One forward step of a real cell for `rows` streams (see ``RealCell``); `input[v]` is row v's input half.
    func cellForward(_ cell: ModelDescription.Cell, rows: Int, units n: Int,
                     input: UnsafePointer<UnsafePointer<Float>?>, recurrent: UnsafePointer<Float>,
                     recurrentBias: UnsafePointer<Float>?,
                     previousH: UnsafePointer<Float>, previousC: UnsafePointer<Float>?,
                     gates: UnsafeMutablePointer<Float>, extra: UnsafeMutablePointer<Float>,
                     h: UnsafeMutablePointer<Float>) {
        table.cell_forward(Self.code(cell), rows, Int32(n), input, recurrent, recurrentBias, previousH, previousC,
                           gates, extra, h)
    }

    /// One backward step of a real cell (see ``RealCell/backward``).
    func cellBackward(_ cell: ModelDescription.Cell, rows: Int, units n: Int, gradH: UnsafePointer<Float>,
                      gates: UnsafePointer<Float>, extra: UnsafePointer<Float>, h: UnsafePointer<Float>,
                      previousH: UnsafePointer<Float>, previousC: UnsafePointer<Float>?,
                      cCarry: UnsafeMutablePointer<Float>?, hCarry: UnsafeMutablePointer<Float>,
                      inputGradient: UnsafeMutablePointer<Float>, recurrentGradient: UnsafeMutablePointer<Float>) {
        table.cell_backward(Self.code(cell), rows, Int32(n), gradH, gates, extra, h, previousH, previousC, cCarry,
                            hCarry, inputGradient, recurrentGradient)
    }

    /// h = act(z) for `rows` vectors of `units` complex units (split planes), and each row's output [Re h; Im h];
    /// β (units) for modReLU.
    func activationForward(_ activation: ModelDescription.Activation, rows: Int, units: Int,
                           z: SplitPlanesPointer<Float>, beta: UnsafePointer<Float>?, h: SplitPlanesPointer<Float>,
                           output: UnsafeMutablePointer<Float>) {
        table.complex_activation_forward(Self.code(activation), rows, Int32(units), z.re, z.im, beta, h.re, h.im,
                                         output)
    }

    /// z̄ = act'(z)ᴴ h̄ with h̄ the gradient of the output rows plus the carry from the next step (if any); β̄
    /// accumulates in `gradBeta` for modReLU.
    func activationBackward(_ activation: ModelDescription.Activation, rows: Int, units: Int,
                            z: SplitPlanesPointer<Float>, h: SplitPlanesPointer<Float>, beta: UnsafePointer<Float>?,
                            outputGradient: UnsafePointer<Float>, carry: SplitPlanesPointer<Float>?,
                            gradZ: SplitPlanesPointer<Float>, gradBeta: UnsafeMutablePointer<Float>?) {
        table.complex_activation_backward(Self.code(activation), rows, Int32(units), z.re, z.im, h.re, h.im, beta,
                                          outputGradient, carry?.re, carry?.im, gradZ.re, gradZ.im, gradBeta)
    }

    /// dst[c·ldd + r] (=, or += when `accumulate`) src[r·lds + c] for a rows × columns block.
    func transpose(rows: Int, columns: Int, _ source: UnsafePointer<Float>, lds: Int,
                   into destination: UnsafeMutablePointer<Float>, ldd: Int, accumulate: Bool = false) {
        table.transpose(rows, columns, source, lds, destination, ldd, accumulate ? 1 : 0)
    }

    /// Batch-major rows (`count` × `units`, row stride `lds`) → the stream-interleaved layout (units × `columns`),
    /// the padding streams count..<columns set to zero (a chain keeps zeros zero, and the gradient kernels sum
    /// over every column).
    func interleave(_ rows: UnsafePointer<Float>, count: Int, units: Int, lds: Int,
                    into destination: UnsafeMutablePointer<Float>, columns: Int) {
        transpose(rows: count, columns: units, rows, lds: lds, into: destination, ldd: columns)
        guard columns > count else { return }
        for i in 0..<units { (destination + i * columns + count).update(repeating: 0, count: columns - count) }
    }

    /// The stream-interleaved layout (units × `columns`) → batch-major rows (`count` × `units`, row stride `ldd`),
    /// overwriting or adding.
    func deinterleave(_ source: UnsafePointer<Float>, count: Int, units: Int, columns: Int,
                      into rows: UnsafeMutablePointer<Float>, ldd: Int, accumulate: Bool) {
        transpose(rows: units, columns: count, source, lds: columns, into: rows, ldd: ldd, accumulate: accumulate)
    }

    private static func code(_ cell: ModelDescription.Cell) -> Int32 {
        switch cell {
        case .rnnTanh: Int32(KT_CELL_RNN_TANH)
        case .rnnReLU: Int32(KT_CELL_RNN_RELU)
        case .lstm: Int32(KT_CELL_LSTM)
        case .gru: Int32(KT_CELL_GRU)
        case .kru: preconditionFailure("kru layers are complex")
        }
    }

    private static func code(_ activation: ModelDescription.Activation) -> Int32 {
        switch activation {
        case .modReLU: Int32(KT_ACTIVATION_MODRELU)
        case .splitReLU: Int32(KT_ACTIVATION_SPLIT_RELU)
        case .splitTanh: Int32(KT_ACTIVATION_SPLIT_TANH)
        }
    }
}

/// Single-precision planes of a real (`im` nil) or complex tensor that a kernel writes.
struct Planes: @unchecked Sendable {
    var re: UnsafeMutablePointer<Float>
    var im: UnsafeMutablePointer<Float>?

    func advanced(by n: Int) -> Planes { Planes(re: re + n, im: im.map { $0 + n }) }
}

/// Planes a kernel only reads (weights).
struct ConstantPlanes: @unchecked Sendable {
    var re: UnsafePointer<Float>
    var im: UnsafePointer<Float>?
}
