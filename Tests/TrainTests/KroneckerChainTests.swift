import KRUInference
import Testing
@testable import KRUTrain

/// The Double Kronecker chain against an explicit dense Kronecker product built from the entry formula
/// K[i, j] = ∏_f W_f[p_f(i), q_f(j)] (numpy.kron order), with rectangular pairwise-distinct factors.
struct KroneckerChainTests {
    typealias Complex = (re: Double, im: Double)

    struct Factors {
        let shapes: [KroneckerFactorShape]
        let re: [[Double]]
        let im: [[Double]]
        /// The same values in buffers the kernels can point into.
        let buffers: [SplitBuffer]

        init(_ shapes: [KroneckerFactorShape], random: inout KRURandom) {
            self.shapes = shapes
            re = shapes.map { s in (0..<s.entryCount).map { _ in random.nextStandardNormalPair().0 } }
            im = shapes.map { s in (0..<s.entryCount).map { _ in random.nextStandardNormalPair().0 } }
            buffers = zip(re, im).map { SplitBuffer(re: DoubleBuffer($0), im: DoubleBuffer($1)) }
        }

        /// Digits of `index` over `sizes`, factor 0 most significant.
        static func digits(_ index: Int, _ sizes: [Int]) -> [Int] {
            var rest = index
            var out = [Int](repeating: 0, count: sizes.count)
            for f in stride(from: sizes.count - 1, through: 0, by: -1) {
                out[f] = rest % sizes[f]
                rest /= sizes[f]
            }
            return out
        }

        /// ∏_{f ∉ skip} W_f[p_f, q_f].
        func entry(_ i: Int, _ j: Int, skipping skip: Int? = nil) -> Complex {
            let p = Self.digits(i, shapes.map(\.rows)), q = Self.digits(j, shapes.map(\.columns))
            var value: Complex = (1, 0)
            for f in shapes.indices where f != skip {
                let k = p[f] * shapes[f].columns + q[f]
                value = (value.re * re[f][k] - value.im * im[f][k], value.re * im[f][k] + value.im * re[f][k])
            }
            return value
        }

        var pointers: [SplitPointer] { buffers.map { $0.pointer() } }
    }

    static let shapeSets: [[KroneckerFactorShape]] = [
        [KroneckerFactorShape(rows: 2, columns: 3), KroneckerFactorShape(rows: 3, columns: 4),
         KroneckerFactorShape(rows: 4, columns: 2)],
        [KroneckerFactorShape(rows: 3, columns: 2), KroneckerFactorShape(rows: 2, columns: 5),
         KroneckerFactorShape(rows: 5, columns: 3)],
        [KroneckerFactorShape(rows: 6, columns: 6)],
        [KroneckerFactorShape(rows: 1, columns: 2), KroneckerFactorShape(rows: 4, columns: 2)],
        // Nine rows: AVX-512's 8-row register tiles and a row left over; AVX2's 4-row and 2-row tiles twice.
        [KroneckerFactorShape(rows: 9, columns: 5), KroneckerFactorShape(rows: 2, columns: 3)],
        // A KRU's chain of 2 × 2 factors: complex, the single-precision backward pass takes its own 2 × 2 kernel.
        [KroneckerFactorShape(square: 2), KroneckerFactorShape(square: 2), KroneckerFactorShape(square: 2)],
    ]

    @Test(arguments: shapeSets)
    func forwardAdjointAndFactorGradientMatchTheDenseProduct(_ shapes: [KroneckerFactorShape]) {
        var random = KRURandom(seed: 81)
        let factors = Factors(shapes, random: &random)
        let chain = KroneckerChain(shapes: shapes)
        let rows = shapes.reduce(1) { $0 * $1.rows }, columns = shapes.reduce(1) { $0 * $1.columns }
        let batch = 3
        let x = SplitBuffer(count: batch * columns), yBar = SplitBuffer(count: batch * rows)
        for i in 0..<x.count { (x.re[i], x.im[i]) = random.nextStandardNormalPair() }
        for i in 0..<yBar.count { (yBar.re[i], yBar.im[i]) = random.nextStandardNormalPair() }
        let scratch = (SplitBuffer(count: batch * chain.maxLength), SplitBuffer(count: batch * chain.maxLength))
        let w = factors.pointers

        // Forward: y = K x.
        let y = SplitBuffer(count: batch * rows)
        chain.apply(factors: w, x: x.pointer(), y: y.pointer(), batch: batch,
                    scratch: (scratch.0.pointer(), scratch.1.pointer()),
                    accumulate: false)
        var worst = 0.0
        for b in 0..<batch {
            for i in 0..<rows {
                var s: Complex = (0, 0)
                for j in 0..<columns {
                    let k = factors.entry(i, j), v: Complex = (x.re[b * columns + j], x.im[b * columns + j])
                    s = (s.re + k.re * v.re - k.im * v.im, s.im + k.re * v.im + k.im * v.re)
                }
                worst = max(worst, abs(s.re - y.re[b * rows + i]), abs(s.im - y.im[b * rows + i]))
            }
        }
        #expect(worst < 1e-12, "forward")

        // Backward: x̄ = Kᴴ ȳ and W̄_f = Σ_{i,j} (ȳ xᴴ)[i, j] · conj(∏_{g≠f} W_g) over the entries where factor f
        // contributes W_f[p, q].
        let xBar = SplitBuffer(count: batch * columns)
        let gradients = shapes.map { SplitBuffer(count: $0.entryCount) }
        let intermediates = (0..<max(shapes.count - 1, 0)).map { _ in SplitBuffer(count: batch * chain.maxLength) }
        chain.backward(factors: w, factorGradients: gradients.map { $0.pointer() }, x: x.pointer(),
                       gradOutput: yBar.pointer(),
                       gradInput: xBar.pointer(), batch: batch, intermediates: intermediates.map { $0.pointer() },
                       deltas: (scratch.0.pointer(), scratch.1.pointer()))
        worst = 0
        for b in 0..<batch {
            for j in 0..<columns {
                var s: Complex = (0, 0)
                for i in 0..<rows {
                    let k = factors.entry(i, j), g: Complex = (yBar.re[b * rows + i], yBar.im[b * rows + i])
                    s = (s.re + k.re * g.re + k.im * g.im, s.im + k.re * g.im - k.im * g.re)  // conj(k)·g
                }
                worst = max(worst, abs(s.re - xBar.re[b * columns + j]), abs(s.im - xBar.im[b * columns + j]))
            }
        }
        #expect(worst < 1e-12, "adjoint")

        worst = 0
        for (f, shape) in shapes.enumerated() {
            var expected = [Complex](repeating: (0, 0), count: shape.entryCount)
            for i in 0..<rows {
                for j in 0..<columns {
                    // (ȳ xᴴ)[i, j] summed over the batch.
                    var a: Complex = (0, 0)
                    for b in 0..<batch {
                        let (gr, gi, xr, xi) = (yBar.re[b * rows + i], yBar.im[b * rows + i],
                                                x.re[b * columns + j], x.im[b * columns + j])
                        a = (a.re + gr * xr + gi * xi, a.im + gi * xr - gr * xi)
                    }
                    let other = factors.entry(i, j, skipping: f)
                    let p = Factors.digits(i, shapes.map(\.rows))[f], q = Factors.digits(j, shapes.map(\.columns))[f]
                    let k = p * shape.columns + q
                    expected[k] = (expected[k].re + a.re * other.re + a.im * other.im,
                                   expected[k].im + a.im * other.re - a.re * other.im)
                }
            }
            for k in 0..<shape.entryCount {
                worst = max(worst, abs(expected[k].re - gradients[f].re[k]), abs(expected[k].im - gradients[f].im[k]))
            }
        }
        #expect(worst < 1e-11, "factor gradients")
        // The kernels saw these buffers only through raw pointers: keep them alive until here.
        withExtendedLifetime((factors, x, yBar, y, xBar, scratch, gradients, intermediates)) {}
    }
}
