/// Gradient-norm clipping (Pascanu et al., 2013): rescale the whole gradient when its L2 norm exceeds a threshold.
public enum GradientClipping {
    /// The L2 norm of `gradient` over all parameters.
    public static func norm(_ gradient: [Double]) -> Double {
        gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    /// Scales `gradient` to norm `maxNorm` if it is longer; returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradient: inout [Double], maxNorm: Double) -> Double {
        precondition(maxNorm > 0, "the clipping threshold must be positive")
        let length = norm(gradient)
        if length > maxNorm {
            let scale = maxNorm / length
            for i in gradient.indices { gradient[i] *= scale }
        }
        return length
    }
}
