import KRUInference
import Testing
@testable import KRUTrain

/// The single-precision chain (every kernel variant this CPU runs, stream-interleaved layout with padding streams)
/// against the Double chain, which KroneckerChainTests check against an explicit Kronecker product.
struct SinglePrecisionChainTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let variant: TrainingKernels.Variant
        let shapes: [KroneckerFactorShape]
        let complex: Bool
        var testDescription: String {
            "\(variant) \(complex ? "complex" : "real") \(shapes.map(\.description).joined(separator: " ⊗ "))"
        }
    }

    static let variants = TrainingKernels.Variant.allCases.filter { TrainingKernels($0) != nil }
    static let cases: [Case] = variants.flatMap { variant in
        KroneckerChainTests.shapeSets.flatMap { shapes in
            [true, false].map { Case(variant: variant, shapes: shapes, complex: $0) }
        }
    }

    @Test(arguments: cases)
    func matchesTheDoubleChain(_ c: Case) {
        let kernels = TrainingKernels(c.variant)!
        var random = KRURandom(seed: 91)
        let factors = KroneckerChainTests.Factors(c.shapes, random: &random)
        let reference = KroneckerChain(shapes: c.shapes), chain = SinglePrecisionChain(shapes: c.shapes)
        let rows = c.shapes.reduce(1) { $0 * $1.rows }, columns = c.shapes.reduce(1) { $0 * $1.columns }
        let streams = 5, padded = 8  // three padding streams
        func draw(_ count: Int) -> SplitBuffer {
            let buffer = SplitBuffer(count: count)
            for i in 0..<count { (buffer.re[i], buffer.im[i]) = random.nextStandardNormalPair() }
            if !c.complex { buffer.im.zero() }
            return buffer
        }
        let x = draw(streams * columns), yBar = draw(streams * rows)
        let weights = factors.buffers.map { buffer -> SplitBuffer in
            if !c.complex { buffer.im.zero() }
            return buffer
        }

        // The Double reference: y = K x, x̄ = Kᴴ ȳ, W̄_f.
        let scratch = (SplitBuffer(count: streams * reference.maxLength),
                       SplitBuffer(count: streams * reference.maxLength))
        let y = SplitBuffer(count: streams * rows), xBar = SplitBuffer(count: streams * columns)
        let gradients = c.shapes.map { SplitBuffer(count: $0.entryCount) }
        let intermediates = (0..<max(c.shapes.count - 1, 0)).map { _ in
            SplitBuffer(count: streams * reference.maxLength)
        }
        reference.apply(factors: weights.map { $0.pointer() }, x: x.pointer(), y: y.pointer(), batch: streams,
                        scratch: (scratch.0.pointer(), scratch.1.pointer()), accumulate: false)
        reference.backward(factors: weights.map { $0.pointer() }, factorGradients: gradients.map { $0.pointer() },
                           x: x.pointer(), gradOutput: yBar.pointer(), gradInput: xBar.pointer(), batch: streams,
                           intermediates: intermediates.map { $0.pointer() }, deltas: (scratch.0.pointer(),
                               scratch.1.pointer()))

        // The same in Float, interleaved: element i of stream v at i·C + v.
        func interleaved(_ source: SplitBuffer, length: Int) -> SplitPlanes<Float> {
            let out = SplitPlanes<Float>(count: length * padded)
            for v in 0..<streams {
                for i in 0..<length {
                    out.re[i * padded + v] = Float(source.re[v * length + i])
                    out.im[i * padded + v] = Float(source.im[v * length + i])
                }
            }
            return out
        }
        func planes(_ split: SplitPlanes<Float>) -> Planes {
            Planes(re: split.re.base, im: c.complex ? split.im.base : nil)
        }
        let storage = weights.enumerated().map { f, w -> (SplitPlanes<Float>, SplitPlanes<Float>) in
            let shape = c.shapes[f]
            let forward = SplitPlanes<Float>(count: shape.entryCount)
            let adjoint = SplitPlanes<Float>(count: shape.entryCount)
            for p in 0..<shape.rows {
                for q in 0..<shape.columns {
                    forward.re[p * shape.columns + q] = Float(w.re[p * shape.columns + q])
                    forward.im[p * shape.columns + q] = Float(w.im[p * shape.columns + q])
                    adjoint.re[q * shape.rows + p] = Float(w.re[p * shape.columns + q])
                    adjoint.im[q * shape.rows + p] = -Float(w.im[p * shape.columns + q])
                }
            }
            return (forward, adjoint)
        }
        let term = storage.enumerated().map { f, pair in
            FactorWeights(
                shape: c.shapes[f],
                weights: ConstantPlanes(re: pair.0.re.base, im: c.complex ? UnsafePointer(pair.0.im.base) : nil),
                adjoint: ConstantPlanes(re: pair.1.re.base, im: c.complex ? UnsafePointer(pair.1.im.base) : nil))
        }
        let xs = interleaved(x, length: columns), yBars = interleaved(yBar, length: rows)
        let ys = SplitPlanes<Float>(count: rows * padded), xBars = SplitPlanes<Float>(count: columns * padded)
        let tape = SplitPlanes<Float>(count: max(chain.intermediateLength, 1) * padded)
        let buffers = (SplitPlanes<Float>(count: chain.maxLength * padded),
                       SplitPlanes<Float>(count: chain.maxLength * padded))
        // Real factor gradients accumulate in partial sums per entry, reduced after the chain.
        let lanes = c.complex ? 1 : TrainingKernels.gradientLanes
        let singleGradients = c.shapes.map { SplitPlanes<Float>(count: $0.entryCount * lanes) }
        chain.forward(term, kernels: kernels, x: planes(xs), intermediates: planes(tape), y: planes(ys),
                      columns: padded,
                      accumulate: false)
        chain.backward(term, kernels: kernels, gradients: singleGradients.map(planes), x: planes(xs),
                       intermediates: planes(tape), gradOutput: planes(yBars), scratch: (planes(buffers.0),
                           planes(buffers.1)),
                       gradInput: planes(xBars), columns: padded)

        if !c.complex {
            for (f, shape) in c.shapes.enumerated() {
                let sums = FloatBuffer(count: shape.entryCount)
                kernels.reduceLanes(count: shape.entryCount, lanes: singleGradients[f].re.base, into: sums.base)
                singleGradients[f].re.base.update(from: sums.base, count: shape.entryCount)
            }
        }
        func relativeError(_ single: (Int) -> (Float, Float), _ double: (Int) -> (Double, Double),
                           count: Int) -> Double {
            var difference = 0.0, scale = 0.0
            for i in 0..<count {
                let (a, b) = single(i), (e, f) = double(i)
                difference = max(difference, abs(Double(a) - e), abs(Double(b) - f))
                scale = max(scale, abs(e), abs(f))
            }
            return difference / scale
        }
        let forwardError = relativeError({ i in (ys.re[(i % rows) * padded + i / rows],
                                                 ys.im[(i % rows) * padded + i / rows]) },
                                         { i in (y.re[i], c.complex ? y.im[i] : 0) }, count: streams * rows)
        let adjointError = relativeError({ i in (xBars.re[(i % columns) * padded + i / columns],
                                                 xBars.im[(i % columns) * padded + i / columns]) },
                                         { i in (xBar.re[i], c.complex ? xBar.im[i] : 0) }, count: streams * columns)
        #expect(forwardError < 1e-5, "forward: \(forwardError)")
        #expect(adjointError < 1e-5, "adjoint: \(adjointError)")
        for (f, shape) in c.shapes.enumerated() {
            let error = relativeError({ k in (singleGradients[f].re[k], c.complex ? singleGradients[f].im[k] : 0) },
                                      { k in (gradients[f].re[k],
                                              c.complex ? gradients[f].im[k] : 0) }, count: shape.entryCount)
            #expect(error < 1e-5, "factor \(f) gradient: \(error)")
        }
        withExtendedLifetime((storage, xs, yBars, ys, xBars, tape, buffers, singleGradients, scratch, intermediates)) {}
    }
}
