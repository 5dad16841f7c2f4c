import CKroneckerKernels

/// The C kernel for complex operators whose factors are all 2 × 2 (N = 2^F), the shape of a KRU's recurrent
/// matrix: it applies the whole chain W_0 ⊗ … ⊗ W_{F−1} in a few sweeps over register blocks instead of F
/// passes over memory, in SIMD registers as wide as the CPU offers (see Sources/CKroneckerKernels).
///
/// Swift compiles for the platform baseline (x86-64: SSE2, no FMA); the C target carries AVX2+FMA and AVX-512
/// variants and picks one at run time, so the same binary runs on any x86-64 and on arm64. The arithmetic
/// is that of the per-pass loops (two complex multiply-adds per element per factor), but multiply-adds are
/// fused where the instruction set has FMA and the factors are applied in a different order, so results
/// differ from the per-pass loops by rounding (norm-wise ~1e-7 at N = 1024).
struct ComplexChainKernel: Sendable, Equatable {
    /// The instruction-set variants compiled into the C target.
    enum Variant: Int32, CaseIterable, Sendable {
        /// Plain C vector code (SSE2 on x86-64, NEON on arm64).
        case portable = 0
        /// x86-64 with AVX2 and FMA.
        case avx2FMA = 1
        /// x86-64 with AVX-512F.
        case avx512 = 2

        /// Compiled in and runnable on this CPU.
        var isSupported: Bool { kru_kernel_is_supported(rawValue) != 0 }

        /// Smallest F the variant handles (one register block); shorter chains use the per-pass loops.
        var minimumFactorCount: Int { Int(kru_complex_chain2x2_min_factors(rawValue)) }

        /// The widest supported variant, or nil where the per-pass loops are as fast (x86-64 without AVX2).
        static var preferred: Variant? { Variant(rawValue: kru_complex_chain2x2_preferred_variant()) }
    }

    /// Which kernel an operator of all-2 × 2 factors uses.
    enum Selection: Sendable, Equatable {
        /// ``Variant/preferred`` when it handles the factor count, otherwise the per-pass loops.
        case automatic
        /// Always the per-pass loops.
        case perPass
        /// This variant when supported and it handles the factor count, otherwise the per-pass loops
        /// (tests use it to run every variant the machine has).
        case variant(Variant)
    }

    let variant: Variant
    let factorCount: Int

    /// The kernel for `shape` under `selection`, or nil when the per-pass loops apply (a factor that is not
    /// 2 × 2, F below the variant's minimum, or no preferred variant).
    init?(shape: KroneckerShape, selection: Selection) {
        let allTwoByTwo = shape.rows.allSatisfy { $0 == 2 } && shape.columns.allSatisfy { $0 == 2 }
        let chosen: Variant?
        switch selection {
        case .automatic: chosen = Variant.preferred
        case .perPass: chosen = nil
        case .variant(let v): chosen = v.isSupported ? v : nil
        }
        // KroneckerLimits.maxVectorLength keeps 2^F far below the C kernel's limit of 2^30.
        guard allTwoByTwo, let chosen, shape.factorCount >= chosen.minimumFactorCount else { return nil }
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
