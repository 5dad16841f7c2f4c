import Testing
@testable import KRUTrain

/// modReLU's backward pass where |z| is tiny but the unit is live (β > 0). There h = z·(1 + β/|z|), and on the
/// real axis (z = ρ > 0, h̄ = (1, 0)) the closed form is z̄ = (1, 0) and β̄ = 1: Re h = ρ + β moves one for one
/// with ρ. The direct formula's β/r³ underflowed r³ to 0 below r ≈ 1e-15 (Float) and turned this finite gradient
/// into ∞ − ∞, a NaN update.
struct ModReLUGradientTests {
    static let beta = 0.5
    static let moduli: [Double] = [1e-3, 1e-12, 1e-16, 1e-18]

    /// The Float kernels of every variant this CPU runs: z̄ equals the closed form and β̄ is 1.
    @Test(arguments: TrainingKernels.Variant.allCases.filter { TrainingKernels($0) != nil })
    func floatKernelsStayFiniteNearZero(variant: TrainingKernels.Variant) {
        let kernels = TrainingKernels(variant)!
        let n = Self.moduli.count
        let z = SplitPlanes<Float>(count: n), h = SplitPlanes<Float>(count: n), gradZ = SplitPlanes<Float>(count: n)
        let beta = FloatBuffer(count: n), gradBeta = FloatBuffer(count: n)
        let gradient = FloatBuffer(count: 2 * n)  // the output rows: [Re h̄; Im h̄]
        let output = FloatBuffer(count: 2 * n)  // the forward's output rows (unused here)
        for k in 0..<n {
            z.re[k] = Float(Self.moduli[k])
            beta[k] = Float(Self.beta)
            gradient[k] = 1
        }
        kernels.activationForward(.modReLU, rows: 1, units: n, z: z.pointer(), beta: beta.base, h: h.pointer(),
                                  output: output.base)
        kernels.activationBackward(.modReLU, rows: 1, units: n, z: z.pointer(), h: h.pointer(), beta: beta.base,
                                   outputGradient: gradient.base, carry: nil, gradZ: gradZ.pointer(),
                                   gradBeta: gradBeta.base)
        for k in 0..<n {
            #expect(abs(h.re[k] - Float(Self.moduli[k] + Self.beta)) <= 1e-6, "h at |z| = \(Self.moduli[k])")
            #expect(abs(gradZ.re[k] - 1) <= 1e-5 && gradZ.im[k] == 0,
                    "z̄ = (\(gradZ.re[k]), \(gradZ.im[k])) at |z| = \(Self.moduli[k])")
            #expect(abs(gradBeta[k] - 1) <= 1e-6, "β̄ = \(gradBeta[k]) at |z| = \(Self.moduli[k])")
        }
    }

    /// The Double pass: the same closed form, down to moduli whose cube underflows Double too.
    @Test func doublePassStaysFiniteNearZero() {
        let moduli = Self.moduli + [1e-110, 1e-150]
        let n = moduli.count
        let z = SplitBuffer(count: n), h = SplitBuffer(count: n), gradH = SplitBuffer(count: n)
        let gradZ = SplitBuffer(count: n)
        let beta = [Double](repeating: Self.beta, count: n)
        var gradBeta = [Double](repeating: 0, count: n)
        for k in 0..<n {
            z.re[k] = moduli[k]
            z.im[k] = 0
            gradH.re[k] = 1
            gradH.im[k] = 0
        }
        beta.withUnsafeBufferPointer { beta in
            ComplexActivation.forward(.modReLU, z: z.pointer(at: 0), h: h.pointer(at: 0), batch: 1, units: n,
                                      beta: beta.baseAddress)
            ComplexActivation.backward(.modReLU, z: z.pointer(at: 0), h: h.pointer(at: 0), gradH: gradH.pointer(at: 0),
                                       gradZ: gradZ.pointer(at: 0), batch: 1, units: n, beta: beta.baseAddress,
                                       gradBeta: &gradBeta)
        }
        for k in 0..<n {
            #expect(abs(gradZ.re[k] - 1) <= 1e-12 && gradZ.im[k] == 0,
                    "z̄ = (\(gradZ.re[k]), \(gradZ.im[k])) at |z| = \(moduli[k])")
            #expect(abs(gradBeta[k] - 1) <= 1e-12, "β̄ = \(gradBeta[k]) at |z| = \(moduli[k])")
        }
    }
}
