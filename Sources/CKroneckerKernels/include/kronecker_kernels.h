#ifndef KRU_KRONECKER_KERNELS_H
#define KRU_KRONECKER_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set variants of the chain kernel. Every build has the portable one (plain C vector code the
/// compiler lowers to SSE2 on x86-64 and to NEON on arm64); x86-64 builds also carry AVX2+FMA and AVX-512
/// variants, chosen at run time only on CPUs (and operating systems) that support them.
enum {
    KRU_KERNEL_PORTABLE = 0,
    KRU_KERNEL_AVX2_FMA = 1,
    KRU_KERNEL_AVX512 = 2,
    KRU_KERNEL_VARIANT_COUNT = 3
};

/// 1 if `variant` is compiled into this build and this CPU can run it, else 0.
int kru_kernel_is_supported(int variant);

/// The variant to use by default, or −1 where the per-pass loops of the caller are as fast: the widest
/// supported x86-64 variant; on x86-64 without AVX2 the portable one is no faster than those loops (both run
/// 4 lanes without FMA and are bound by arithmetic), so −1; on other architectures the portable one.
int kru_complex_chain2x2_preferred_variant(void);

/// The smallest factor count (log2 N) the chain kernel's `variant` handles: a vector must fill at least one
/// register block. Shorter chains use the per-pass loops.
int kru_complex_chain2x2_min_factors(int variant);

/// y = (W_0 ⊗ W_1 ⊗ … ⊗ W_{F−1}) x for `batchSize` batch-major complex vectors of length N = 2^F in split
/// planes, every W_f a complex 2 × 2 matrix (factor 0 = most significant index digit, numpy.kron order).
///
/// `weightsReal`/`weightsImaginary` hold the factors row-major, concatenated in factor order (4 floats per
/// factor per plane). Input planes hold batchSize·N floats each and are only read; output planes receive
/// batchSize·N floats and must not overlap the inputs or each other. No scratch and no allocation: the
/// first sweep reads the input and writes the output, later sweeps work in place on the output.
///
/// Preconditions (the caller checks): `variant` is supported, `factorCount` is between
/// kru_complex_chain2x2_min_factors(variant) and 30, `batchSize` ≥ 0.
void kru_complex_chain2x2(
    int variant, int factorCount, const float *weightsReal, const float *weightsImaginary, ptrdiff_t batchSize,
    const float *inputReal, const float *inputImaginary, float *outputReal, float *outputImaginary);

#ifdef __cplusplus
}
#endif

#endif
