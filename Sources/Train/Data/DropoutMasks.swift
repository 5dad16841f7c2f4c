import KRUInference

/// Inverted dropout on the outputs of a model's layers — between layers and before the readout — for one pass
/// over a chunk: each output value is kept with probability 1 − p and then scaled by 1/(1 − p), or set to zero,
/// so the expected input of the next layer is unchanged and a trained model runs without dropout (the engine
/// never sees it).
///
/// Masks are drawn from a ``KRURandom``, so a seed reproduces them; gradient checks pass fixed masks to both the
/// loss and its finite differences.
public struct DropoutMasks: Sendable, Equatable {
    /// p, the probability of dropping a value.
    public let probability: Double
    /// For each layer, its output rows × width (row `t·B + b`, as the passes lay them out): 1 keeps, 0 drops.
    public let keep: [[UInt8]]

    /// - Precondition: 0 ≤ p < 1.
    public init(probability: Double, keep: [[UInt8]]) {
        precondition(probability >= 0 && probability < 1, "a dropout probability lies in [0, 1)")
        self.probability = probability
        self.keep = keep
    }

    /// 1/(1 − p), the factor a kept value is multiplied by.
    public var scale: Double { 1 / (1 - probability) }

    /// Fresh masks for `rows` rows of every layer of `architecture`. Each value takes 32 random bits (kept when they
    /// are at least p·2³²), so p is honoured to 2⁻³².
    public static func draw(probability: Double, architecture: KRUArchitecture, rows: Int,
                            random: inout KRURandom) -> DropoutMasks {
        let threshold = UInt64((probability * 4_294_967_296).rounded(.up))
        let keep = architecture.layers.map { layer -> [UInt8] in
            var flags = [UInt8](repeating: 0, count: rows * layer.outputSize)
            var i = 0
            while i < flags.count {
                let word = random.next()
                flags[i] = word & 0xFFFF_FFFF >= threshold ? 1 : 0
                if i + 1 < flags.count { flags[i + 1] = word >> 32 >= threshold ? 1 : 0 }
                i += 2
            }
            return flags
        }
        return DropoutMasks(probability: probability, keep: keep)
    }

    /// values[i] ← values[i]·mask[i] over layer `l`'s `count` values (also the backward pass: the gradient of a
    /// masked value is masked the same way).
    func apply<Scalar: BinaryFloatingPoint>(layer l: Int, to values: UnsafeMutablePointer<Scalar>, count: Int) {
        let flags = keep[l], kept = Scalar(scale)
        precondition(flags.count == count, "a dropout mask of \(flags.count) values for \(count) outputs")
        flags.withUnsafeBufferPointer { f in
            for i in 0..<count { values[i] = f[i] != 0 ? values[i] * kept : 0 }
        }
    }
}
