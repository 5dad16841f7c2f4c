// Complex Kronecker chain kernels in plain C with compiler vector extensions (no intrinsics, no third-party
// code). SwiftPM builds for the baseline of the platform (x86-64: SSE2, no FMA), so on x86-64 the same
// source is compiled three times, for the baseline and with `target` attributes for AVX2+FMA and AVX-512;
// kru_kernel_is_supported asks the CPU at run time which of them may run. Multiply-adds are written
// as expressions the compiler contracts into FMA instructions where the instruction set has them.

#include "kronecker_kernels.h"

#include <stdint.h>
#include <string.h>

#define KRU_LANE_INDEX_4(m) 0 ^ (m), 1 ^ (m), 2 ^ (m), 3 ^ (m)
#define KRU_LANE_INDEX_8(m) KRU_LANE_INDEX_4(m), 4 ^ (m), 5 ^ (m), 6 ^ (m), 7 ^ (m)
#define KRU_LANE_INDEX_16(m) \
    KRU_LANE_INDEX_8(m), 8 ^ (m), 9 ^ (m), 10 ^ (m), 11 ^ (m), 12 ^ (m), 13 ^ (m), 14 ^ (m), 15 ^ (m)

// Portable: 4 lanes, blocks of 4 registers per plane (8 of the 16 SSE registers hold data).
#define KRU_V(name) kru_portable_##name
#define KRU_TARGET
#define KRU_LOG2_LANES 2
#define KRU_LOG2_BLOCK 2
#define KRU_LANE_INDEX(m) KRU_LANE_INDEX_4(m)
#include "chain_variant.h"
#undef KRU_V
#undef KRU_TARGET
#undef KRU_LOG2_LANES
#undef KRU_LOG2_BLOCK
#undef KRU_LANE_INDEX

#if defined(__x86_64__) && defined(__clang__)
#define KRU_HAS_X86_VARIANTS 1

// AVX2 + FMA: 8 lanes, blocks of 4 registers per plane (8 of 16 YMM registers hold data).
#define KRU_V(name) kru_avx2_##name
#define KRU_TARGET __attribute__((target("avx2,fma")))
#define KRU_LOG2_LANES 3
#define KRU_LOG2_BLOCK 2
#define KRU_LANE_INDEX(m) KRU_LANE_INDEX_8(m)
#include "chain_variant.h"
#undef KRU_V
#undef KRU_TARGET
#undef KRU_LOG2_LANES
#undef KRU_LOG2_BLOCK
#undef KRU_LANE_INDEX

// AVX-512: 16 lanes, blocks of 8 registers per plane (16 of 32 ZMM registers hold data).
#define KRU_V(name) kru_avx512_##name
#define KRU_TARGET __attribute__((target("avx512f,fma")))
#define KRU_LOG2_LANES 4
#define KRU_LOG2_BLOCK 3
#define KRU_LANE_INDEX(m) KRU_LANE_INDEX_16(m)
#include "chain_variant.h"
#undef KRU_V
#undef KRU_TARGET
#undef KRU_LOG2_LANES
#undef KRU_LOG2_BLOCK
#undef KRU_LANE_INDEX
#endif

int kru_kernel_is_supported(int variant) {
    switch (variant) {
    case KRU_KERNEL_PORTABLE:
        return 1;
#ifdef KRU_HAS_X86_VARIANTS
    // __builtin_cpu_supports also checks that the operating system saves the wider registers.
    case KRU_KERNEL_AVX2_FMA:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case KRU_KERNEL_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

int kru_complex_chain2x2_preferred_variant(void) {
#ifdef KRU_HAS_X86_VARIANTS
    if (kru_kernel_is_supported(KRU_KERNEL_AVX512)) return KRU_KERNEL_AVX512;
    if (kru_kernel_is_supported(KRU_KERNEL_AVX2_FMA)) return KRU_KERNEL_AVX2_FMA;
    return -1;
#else
    return KRU_KERNEL_PORTABLE;
#endif
}

int kru_complex_chain2x2_min_factors(int variant) {
    switch (variant) {
    case KRU_KERNEL_AVX2_FMA: return 3 + 2;
    case KRU_KERNEL_AVX512: return 4 + 3;
    default: return 2 + 2;
    }
}

void kru_complex_chain2x2(
    int variant, int factorCount, const float *weightsReal, const float *weightsImaginary, ptrdiff_t batchSize,
    const float *inputReal, const float *inputImaginary, float *outputReal, float *outputImaginary) {
    switch (variant) {
#ifdef KRU_HAS_X86_VARIANTS
    case KRU_KERNEL_AVX512:
        kru_avx512_chain(factorCount, weightsReal, weightsImaginary, batchSize, inputReal, inputImaginary,
                         outputReal, outputImaginary);
        return;
    case KRU_KERNEL_AVX2_FMA:
        kru_avx2_chain(factorCount, weightsReal, weightsImaginary, batchSize, inputReal, inputImaginary,
                       outputReal, outputImaginary);
        return;
#endif
    default:
        kru_portable_chain(factorCount, weightsReal, weightsImaginary, batchSize, inputReal, inputImaginary,
                           outputReal, outputImaginary);
        return;
    }
}
