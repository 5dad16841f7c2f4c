import Foundation
import KRUInference

/// The KRU cell's activations (spec/MODEL.md §4) and their backward passes, element-wise on split planes.
///
/// Gradients follow the module's convention h̄ = ∂L/∂Re h + i·∂L/∂Im h. For modReLU, with r = |z| and
/// h = (r + β)·z/r = z·(1 + β/r) where r + β > 0:
///
///     dh = (1 + β/r)·dz − (β/r³)·z·Re(conj(z)·dz)      (dr = Re(conj(z)·dz)/r)
///     dL = Re(conj(h̄)·dh) = (1 + β/r)·Re(conj(h̄)·dz) − (β/r³)·Re(conj(h̄)·z)·Re(conj(z)·dz)
///  ⇒  z̄ = (1 + β/r)·h̄ − (β/r³)·Re(conj(h̄)·z)·z,      β̄ = Re(conj(h̄)·z)/r      (∂h/∂β = z/r)
///
/// and everything is 0 where r + β ≤ 0 or r = 0 (the engine's convention at z = 0).
enum ComplexActivation {
    /// h = act(z) for `batch` vectors of `units` elements; `beta` (one per unit) for modReLU only.
    static func forward(_ activation: ModelDescription.Activation, z: SplitPointer, h: SplitPointer, batch: Int,
                        units: Int, beta: UnsafePointer<Double>?) {
        let count = batch * units
        switch activation {
        case .modReLU:
            let beta = beta!
            for v in 0..<batch {
                for k in 0..<units {
                    let i = v * units + k
                    let (re, im) = (z.re[i], z.im[i])
                    let r = (re * re + im * im).squareRoot()
                    let shifted = r + beta[k]
                    if shifted > 0, r > 0 {
                        let scale = shifted / r
                        h.re[i] = re * scale
                        h.im[i] = im * scale
                    } else {
                        h.re[i] = 0
                        h.im[i] = 0
                    }
                }
            }
        case .splitReLU:
            for i in 0..<count {
                h.re[i] = max(z.re[i], 0)
                h.im[i] = max(z.im[i], 0)
            }
        case .splitTanh:
            for i in 0..<count {
                h.re[i] = tanh(z.re[i])
                h.im[i] = tanh(z.im[i])
            }
        }
    }

    /// z̄ = act'(z)ᴴ h̄ for `batch` vectors of `units` elements (`gradZ` may alias `gradH`); adds β̄ to
    /// `gradBeta` for modReLU.
    static func backward(_ activation: ModelDescription.Activation, z: SplitPointer, h: SplitPointer,
                         gradH: SplitPointer, gradZ: SplitPointer, batch: Int, units: Int,
                         beta: UnsafePointer<Double>?, gradBeta: UnsafeMutablePointer<Double>?) {
        let count = batch * units
        switch activation {
        case .modReLU:
            let beta = beta!, gradBeta = gradBeta!
            for v in 0..<batch {
                for k in 0..<units {
                    let i = v * units + k
                    let (zr, zi, gr, gi) = (z.re[i], z.im[i], gradH.re[i], gradH.im[i])
                    let r = (zr * zr + zi * zi).squareRoot()
                    let b = beta[k]
                    guard r + b > 0, r > 0 else {
                        gradZ.re[i] = 0
                        gradZ.im[i] = 0
                        continue
                    }
                    // The same as (1 + β/r)·h̄ − (β/r³)·Re(conj(h̄)·z)·z, written with u = z/r as
                    // h̄ + (β/r)·(h̄ − Re(conj(h̄)·u)·u): only the part of h̄ across u is scaled by β/r. The
                    // direct form underflows r³ to 0 for tiny r (a finite gradient becomes ∞, the update NaN) and
                    // cancels two huge terms.
                    let ur = zr / r, ui = zi / r, ratio = b / r
                    let along = gr * ur + gi * ui  // Re(conj(h̄)·u) = β̄'s term
                    gradZ.re[i] = gr + ratio * (gr - along * ur)
                    gradZ.im[i] = gi + ratio * (gi - along * ui)
                    gradBeta[k] += along
                }
            }
        case .splitReLU:
            for i in 0..<count {
                gradZ.re[i] = z.re[i] > 0 ? gradH.re[i] : 0
                gradZ.im[i] = z.im[i] > 0 ? gradH.im[i] : 0
            }
        case .splitTanh:
            for i in 0..<count {
                gradZ.re[i] = gradH.re[i] * (1 - h.re[i] * h.re[i])
                gradZ.im[i] = gradH.im[i] * (1 - h.im[i] * h.im[i])
            }
        }
    }
}
