import CInferenceKernels

/// The C kernel for complex operators whose factors are all 2 × 2 (N = 2^F), the shape of a KRU's recurrent
/// matrix: it applies the whole chain W_0 ⊗ … ⊗ W_{F−1} in a few sweeps over register blocks instead of F
/// passes over memory (see Sources/CInferenceKernels/chain_variant.h).
///
/// The arithmetic is that of the per-pass mode products (two complex multiply-adds per element per factor), but
/// multiply-adds are fused where the instruction set has FMA and grouped differently, so results differ from
/// the per-pass products, and between variants, by rounding (norm-wise ~1e-7 at N = 1024).
struct ComplexChainKernel: Sendable, Equatable {
    /// Which kernel an operator of all-2 × 2 factors uses.
    enum Selection: Sendable, Equatable {
        /// The preferred variant when it handles the factor count, otherwise the per-pass products.
        case automatic
        /// Always the per-pass products.
        case perPass
        /// This variant when supported and it handles the factor count, otherwise the per-pass products
        /// (tests use it to run every variant the machine has).
        case variant(KernelVariant)
    }

    /// The variant used by default, or nil where the per-pass products are as fast (x86-64 without AVX2).
    static var preferred: KernelVariant? { KernelVariant(rawValue: kru_complex_chain2x2_preferred_variant()) }

    /// Smallest F `variant` handles (one register block); shorter chains use the per-pass products.
    static func minimumFactorCount(_ variant: KernelVariant) -> Int {
        Int(kru_complex_chain2x2_min_factors(variant.rawValue))
    }

    let variant: KernelVariant
    let factorCount: Int

    /// The kernel for `shape` under `selection`, or nil when the per-pass products apply (a factor that is not
    /// 2 × 2, F below the variant's minimum, or no preferred variant).
    init?(shape: KroneckerShape, selection: Selection) {
        let allTwoByTwo = shape.rows.allSatisfy { $0 == 2 } && shape.columns.allSatisfy { $0 == 2 }
        let chosen: KernelVariant?
        switch selection {
        case .automatic: chosen = Self.preferred
        case .perPass: chosen = nil
        case .variant(let v): chosen = v.isSupported ? v : nil
        }
        // KroneckerLimits.maxVectorLength keeps 2^F far below the C kernel's limit of 2^30.
        guard allTwoByTwo, let chosen, shape.factorCount >= Self.minimumFactorCount(chosen) else { return nil }
        variant = chosen
        factorCount = shape.factorCount
    }

    /// y = (⊗W_f)·x for `batchSize` batch-major vectors; `weights` are the factors' 2 × 2 entries in factor
    /// order. The caller has checked sizes and that outputs overlap neither inputs nor each other.
    func apply(
        weights: SplitComplexSource, batchSize: Int, source: SplitComplexSource,
        destination: SplitComplexDestination
    ) {
        kru_complex_chain2x2(
            variant.rawValue, Int32(factorCount), weights.real, weights.imaginary, batchSize, source.real,
            source.imaginary, destination.real, destination.imaginary)
    }
}
