import CInferenceKernels
import Foundation
import Testing
@testable import KRUInference

/// The cells' elementwise kernels. tanh and sigmoid against libm's Double functions rounded to Float (an
/// independent implementation): equal except in rare near-halfway cases, never more than 1 ulp apart, and the
/// same bits on every variant. The fused cells and activations against plain Swift transcriptions of their
/// equations (spec/MODEL.md §4) that call the same scalar nonlinearity: bit for bit.
@Suite struct CellKernelTests {
    /// Inputs that reach every branch: zeros, subnormals, the series/exponential boundary at 1/16, the range where
    /// tanh saturates, infinities and NaN, plus a dense sweep.
    static let inputs: [Float] = {
        var values: [Float] = [0, -0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e-30, 1e-8, 0.0625,
                               Float(0.0625).nextDown, Float(0.0625).nextUp, -0.0625, 0.5, 1, 9, 9.1, 10,
                               20, 44, 88, 89, 100,
                               .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity]
        var rng = SplitMix64(seed: 77)
        for _ in 0..<20_000 { values.append(Float(rng.nextDouble() * 40 - 20)) }
        for _ in 0..<5_000 { values.append(Float(rng.nextDouble() * 0.2 - 0.1)) }
        return values
    }()

    static func apply(_ kernel: (Int32, Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void,
                      _ x: [Float], variant: KernelVariant) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { kernel(variant.rawValue, x.count, xp.baseAddress, $0.baseAddress) }
        }
        return y
    }

    static func ulps(_ a: Float, _ b: Float) -> Int {
        func key(_ v: Float) -> Int { v.sign == .minus ? -Int(v.magnitude.bitPattern) : Int(v.bitPattern) }
        return abs(key(a) - key(b))
    }

    @Test(arguments: ["tanh", "sigmoid"])
    func nonlinearitiesAreCorrectlyRoundedAlmostEverywhere(name: String) {
        let kernel = name == "tanh" ? kru_tanh : kru_sigmoid
        let reference: (Double) -> Double = name == "tanh" ? { tanh($0) } : { 1 / (1 + exp(-$0)) }
        let results = KernelVariant.supported.map { Self.apply(kernel, Self.inputs, variant: $0) }
        for other in results.dropFirst() { #expect(other.map(\.bitPattern) == results[0].map(\.bitPattern)) }
        var differing = 0
        for (x, y) in zip(Self.inputs, results[0]) {
            let want = Float(reference(Double(x)))
            if y.bitPattern != want.bitPattern {
                differing += 1
                #expect(Self.ulps(y, want) <= 1, "\(name)(\(x)) = \(y), libm in Double says \(want)")
            }
        }
        #expect(differing <= Self.inputs.count / 1000, "\(differing) of \(Self.inputs.count) differ by one ulp")
        let nan = Self.apply(kernel, [.nan], variant: .widest)
        #expect(nan[0].isNaN)
    }

    static func scalar(_ kernel: (Int32, Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void,
                       _ x: Float) -> Float {
        apply(kernel, [x], variant: .portable)[0]
    }

    @Test(arguments: KernelVariant.supported)
    func fusedCellsMatchTheirEquations(variant: KernelVariant) {
        var rng = SplitMix64(seed: 5)
        let sigmoid = { Self.scalar(kru_sigmoid, $0) }, tanh = { Self.scalar(kru_tanh, $0) }
        for n in [1, 7, 8, 13, 32, 45] {  // 45: the LSTM's groups of 32 units, then a tail
            let batch = 3
            for (gates, cell) in [(4, "lstm"), (3, "gru"), (1, "tanh"), (1, "relu")] {
                let stride = gates * n + 5
                let gi = rng.floats(batch * stride).map { $0 * 4 }, gh = rng.floats(batch * stride).map { $0 * 4 }
                let h0 = rng.floats(batch * n), c0 = rng.floats(batch * n)
                var (h, c) = (h0, c0)
                // Stream b's input gates are row batch − 1 − b: the cell must follow its pointers, not a stride.
                func inputRow(_ b: Int) -> Int { (batch - 1 - b) * stride }
                gi.withUnsafeBufferPointer { gib in
                    let rows = (0..<batch).map { Optional(UnsafePointer(gib.baseAddress! + inputRow($0))) }
                    rows.withUnsafeBufferPointer { i in
                        gh.withUnsafeBufferPointer { s in
                            h.withUnsafeMutableBufferPointer { hp in
                                c.withUnsafeMutableBufferPointer { cp in
                                    let v = variant.rawValue, (ip, sp) = (i.baseAddress, s.baseAddress)
                                    let (hq, cq) = (hp.baseAddress, cp.baseAddress)
                                    switch cell {
                                    case "lstm": kru_lstm_cell(v, n, batch, ip, sp, stride, hq, cq)
                                    case "gru": kru_gru_cell(v, n, batch, ip, sp, stride, hq)
                                    case "tanh": kru_rnn_tanh_cell(v, n, batch, ip, sp, stride, hq)
                                    default: kru_rnn_relu_cell(v, n, batch, ip, sp, stride, hq)
                                    }
                                }
                            }
                        }
                    }
                }
                for b in 0..<batch {
                    for k in 0..<n {
                        func pre(_ g: Int) -> Float { gi[inputRow(b) + g * n + k] + gh[b * stride + g * n + k] }
                        let (oldH, oldC) = (h0[b * n + k], c0[b * n + k])
                        var wantH: Float, wantC = oldC
                        switch cell {
                        case "lstm":
                            wantC = sigmoid(pre(1)) * oldC + sigmoid(pre(0)) * tanh(pre(2))
                            wantH = sigmoid(pre(3)) * tanh(wantC)
                        case "gru":
                            let r = sigmoid(pre(0)), z = sigmoid(pre(1))
                            let candidate = tanh(gi[inputRow(b) + 2 * n + k] + r * gh[b * stride + 2 * n + k])
                            wantH = (1 - z) * candidate + z * oldH
                        case "tanh": wantH = tanh(pre(0))
                        default: wantH = max(pre(0), 0)
                        }
                        #expect(h[b * n + k].bitPattern == wantH.bitPattern, "\(cell) n \(n) stream \(b) unit \(k)")
                        #expect(c[b * n + k].bitPattern == wantC.bitPattern, "\(cell) n \(n) stream \(b) unit \(k)")
                    }
                }
            }
        }
    }

    @Test(arguments: KernelVariant.supported)
    func complexActivationsMatchTheirEquations(variant: KernelVariant) {
        var rng = SplitMix64(seed: 6)
        for n in [1, 9, 16, 21] {
            let batch = 2
            var zr = rng.floats(batch * n), zi = rng.floats(batch * n)
            zr[0] = 0; zi[0] = 0  // |z| = 0: modReLU gives 0
            let beta = rng.floats(n).map { $0 - 0.3 }
            for (code, name) in [(KRU_ACTIVATION_MODRELU, "modReLU"), (KRU_ACTIVATION_SPLIT_RELU, "splitReLU"),
                                 (KRU_ACTIVATION_SPLIT_TANH, "splitTanh")] {
                var hr = [Float](repeating: .nan, count: batch * n), hi = hr
                var out = [Float](repeating: .nan, count: batch * 2 * n)
                kru_complex_activation(variant.rawValue, Int32(code), n, batch, zr, zi, beta, &hr, &hi, &out)
                for b in 0..<batch {
                    for k in 0..<n {
                        let (re, im) = (zr[b * n + k], zi[b * n + k])
                        let want: (Float, Float)
                        switch name {
                        case "modReLU":
                            let magnitude = (re * re + im * im).squareRoot()
                            let shifted = magnitude + beta[k]
                            want = shifted > 0 && magnitude > 0
                                ? (re * (shifted / magnitude), im * (shifted / magnitude)) : (0, 0)
                        case "splitReLU": want = (max(re, 0), max(im, 0))
                        default: want = (Self.scalar(kru_tanh, re), Self.scalar(kru_tanh, im))
                        }
                        #expect(hr[b * n + k].bitPattern == want.0.bitPattern
                                    && hi[b * n + k].bitPattern == want.1.bitPattern,
                                "\(name) n \(n) stream \(b) unit \(k)")
                        #expect(out[b * 2 * n + k].bitPattern == want.0.bitPattern
                                    && out[b * 2 * n + n + k].bitPattern == want.1.bitPattern)
                    }
                }
            }
        }
    }

    /// The sampler's weights (spec/SAMPLING.md §5.3) and the exponential they use, against the scalar Swift
    /// transcription of §5.1 (`portableExp`, itself checked against the spec's bit patterns): bit for bit.
    @Test(arguments: KernelVariant.supported)
    func samplingWeightsMatchTheSpecTranscription(variant: KernelVariant) {
        var rng = SplitMix64(seed: 8)
        var xs: [Double] = [0, -0.0, -1e-300, -0.5, -1, -2.5, -10, -100, -700, -708, -708.0000001, -745.2, -.infinity]
        for _ in 0..<5000 { xs.append(-rng.nextDouble() * 720) }
        var ys = [Double](repeating: .nan, count: xs.count)
        kru_portable_exp(variant.rawValue, xs.count, xs, &ys)
        #expect(zip(xs, ys).allSatisfy { portableExp($0).bitPattern == $1.bitPattern })
        for count in [1, 5, 8, 63, 64, 70] {
            var logits = rng.floats(count).map { $0 * 9 }
            if count > 4 { logits[1] = .nan; logits[3] = -.infinity }
            let top = logits.filter { !$0.isNaN }.max()!
            for temperature in [0.3, 1, 2.5, .infinity] {
                var w = [Double](repeating: .nan, count: count)
                kru_softmax_weights(variant.rawValue, count, logits, Double(top), temperature, &w)
                for (x, weight) in zip(logits, w) {
                    let want = x.isNaN || x == -.infinity ? 0 : portableExp((Double(x) - Double(top)) / temperature)
                    #expect(weight.bitPattern == want.bitPattern, "x \(x), T \(temperature)")
                }
            }
        }
    }
}
