// Compiles every kernel once per instruction set and dispatches to the variant the caller names.
//
// SwiftPM builds C for the platform's baseline (x86-64: SSE2, no FMA), so on x86-64 the kernels are compiled three
// times: for the baseline and, with `target` attributes, for AVX2+FMA(+F16C) and for AVX-512.
// kru_kernel_is_supported asks the CPU at run time which of them may run. On other architectures only the portable
// variant exists (NEON on arm64, where it is the baseline). No intrinsics and no third-party code: plain C with
// compiler vector extensions.

#include "inference_kernels.h"
#include "kernel_vectors.h"

// The helpers that take or return vectors wider than a variant's registers are static and always inlined, so no
// calling convention is involved; clang's warning about one would be noise.
#pragma clang diagnostic ignored "-Wpsabi"

#define KRU_LANE_INDEX_4(m) 0 ^ (m), 1 ^ (m), 2 ^ (m), 3 ^ (m)
#define KRU_LANE_INDEX_8(m) KRU_LANE_INDEX_4(m), 4 ^ (m), 5 ^ (m), 6 ^ (m), 7 ^ (m)
#define KRU_LANE_INDEX_16(m) \
    KRU_LANE_INDEX_8(m), 8 ^ (m), 9 ^ (m), 10 ^ (m), 11 ^ (m), 12 ^ (m), 13 ^ (m), 14 ^ (m), 15 ^ (m)

/// One variant's entry points.
typedef struct {
    void (*chain)(int, const float *, const float *, ptrdiff_t, const float *, const float *, float *, float *);
    void (*dense)(ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, const float *, ptrdiff_t, float *, ptrdiff_t, int);
    void (*denseBF16)(ptrdiff_t, ptrdiff_t, const uint16_t *, ptrdiff_t, const float *, ptrdiff_t, float *, ptrdiff_t,
                      int);
    void (*denseF16)(ptrdiff_t, ptrdiff_t, const uint16_t *, ptrdiff_t, const float *, ptrdiff_t, float *, ptrdiff_t,
                     int);
    void (*add)(ptrdiff_t, float *, const float *);
    void (*realChain)(int, const kru_mode_pass *, const float *, const float *, ptrdiff_t, const float *, float *,
                      ptrdiff_t, int, float *, float *);
    void (*kroneckerSum)(int, int, int, const kru_mode_pass *, const float *, const float *, ptrdiff_t, ptrdiff_t,
                         const float *, float *, ptrdiff_t, float *, float *);
    void (*complexChain)(int, const kru_mode_pass *, const float *, const float *, const float *, const float *,
                         ptrdiff_t, const float *, const float *, float *, float *, ptrdiff_t, int, float *const[4]);
    void (*tanh)(ptrdiff_t, const float *, float *);
    void (*sigmoid)(ptrdiff_t, const float *, float *);
    void (*rnnTanh)(ptrdiff_t, ptrdiff_t, const float *const *, const float *, ptrdiff_t, float *);
    void (*rnnReLU)(ptrdiff_t, ptrdiff_t, const float *const *, const float *, ptrdiff_t, float *);
    void (*lstm)(ptrdiff_t, ptrdiff_t, const float *const *, const float *, ptrdiff_t, float *, float *);
    void (*gru)(ptrdiff_t, ptrdiff_t, const float *const *, const float *, ptrdiff_t, float *);
    void (*complexActivation)(int, ptrdiff_t, ptrdiff_t, const float *, const float *, const float *, float *,
                              float *, float *);
    void (*portableExp)(ptrdiff_t, const double *, double *);
    void (*softmaxWeights)(ptrdiff_t, const float *, double, double, double *);
    void (*packed)(ptrdiff_t, ptrdiff_t, const float *, const float *, float *, int);
} kru_kernel_table;

#define KRU_VARIANT_TABLE                                                                                     \
    {KRU_V(chain), KRU_V(dense_multiply), KRU_V(dense_bf16), KRU_V(dense_f16), KRU_V(add),                   \
     KRU_V(real_chain), KRU_V(real_kronecker_sum), KRU_V(complex_chain), KRU_V(tanh),                           \
     KRU_V(sigmoid), KRU_V(rnn_tanh_cell), KRU_V(rnn_relu_cell), KRU_V(lstm_cell), KRU_V(gru_cell),             \
     KRU_V(complex_activation), KRU_V(portable_exp), KRU_V(softmax_weights), KRU_V(packed_multiply)}


// Portable: 4 lanes for the chain, blocks of 4 registers per plane (8 of the 16 SSE registers hold data); dense
// tiles of 2 rows (one stream) or 1 row × 2 streams, 8 accumulator registers either way; row blocks of 64 KB.
#define KRU_V(name) kru_portable_##name
#define KRU_TARGET
#define KRU_LOG2_LANES 2
#define KRU_LOG2_BLOCK 2
#define KRU_LANE_INDEX(m) KRU_LANE_INDEX_4(m)
#define KRU_GEMV_ROWS 2
#define KRU_GEMM_ROWS 1
#define KRU_THREE_ROW_PAIR_TILES 0
#define KRU_FOUR_STREAM_TILES 0
#define KRU_BLOCK_FLOATS 16384
#if defined(__aarch64__)
#define KRU_HARDWARE_HALF 1  // binary16 conversion is part of the arm64 baseline
#else
#define KRU_HARDWARE_HALF 0  // SSE2 has no binary16 conversion (F16C came with AVX)
#endif
#include "chain_variant.h"
#include "dense_variant.h"
#include "packed_variant.h"
#include "mode_variant.h"
#include "cell_variant.h"
static const kru_kernel_table kru_portable_table = KRU_VARIANT_TABLE;
#undef KRU_V
#undef KRU_TARGET
#undef KRU_LOG2_LANES
#undef KRU_LOG2_BLOCK
#undef KRU_LANE_INDEX
#undef KRU_GEMV_ROWS
#undef KRU_GEMM_ROWS
#undef KRU_THREE_ROW_PAIR_TILES
#undef KRU_FOUR_STREAM_TILES
#undef KRU_BLOCK_FLOATS
#undef KRU_HARDWARE_HALF

#if defined(__x86_64__) && defined(__clang__)
#define KRU_HAS_X86_VARIANTS 1

// AVX2 + FMA (and F16C, which every AVX2 CPU has, for binary16 weights): 8 lanes, chain blocks of 4 registers per
// plane; dense tiles of 4 rows for one stream; for pairs of streams, 3 rows × 2 streams (12 of the 16 YMM registers
// accumulate), then 2 × 2 for rows left over, on blocks of 12 rows of at most 24 KB, which stay in a 32 KB
// first-level cache (docs/ENGINE.md has the figures: 2048 × 512 at batch 32 went from 26.1 to 30.3 G
// multiply-adds/s on Zen 3).
#define KRU_V(name) kru_avx2_##name
#define KRU_TARGET __attribute__((target("avx2,fma,f16c")))
#define KRU_LOG2_LANES 3
#define KRU_LOG2_BLOCK 2
#define KRU_LANE_INDEX(m) KRU_LANE_INDEX_8(m)
#define KRU_GEMV_ROWS 4
#define KRU_GEMM_ROWS 2
#define KRU_THREE_ROW_PAIR_TILES 1
#define KRU_FOUR_STREAM_TILES 0
#define KRU_BLOCK_FLOATS 6144
#define KRU_HARDWARE_HALF 1
#include "chain_variant.h"
#include "dense_variant.h"
#include "packed_variant.h"
#include "mode_variant.h"
#include "cell_variant.h"
static const kru_kernel_table kru_avx2_table = KRU_VARIANT_TABLE;
#undef KRU_V
#undef KRU_TARGET
#undef KRU_LOG2_LANES
#undef KRU_LOG2_BLOCK
#undef KRU_LANE_INDEX
#undef KRU_GEMV_ROWS
#undef KRU_GEMM_ROWS
#undef KRU_THREE_ROW_PAIR_TILES
#undef KRU_FOUR_STREAM_TILES
#undef KRU_BLOCK_FLOATS
#undef KRU_HARDWARE_HALF

// AVX-512: 16 lanes, chain blocks of 8 registers per plane; dense tiles of 4 rows or 4 rows × 2 streams (8 of the
// 32 ZMM registers accumulate). Eight rows per tile would fit too, but four stream from cache faster: 2.6 against
// 3.0 µs for a 63 × 1024 readout, the same for a 2048 × 512 matrix from memory. From four streams, 4 rows × 4
// streams (16 accumulators) on row blocks of 16 KB, which stay in the first-level cache: tools/dense_batch_bench.c
// at batch 32 measured 42.7 against 37.8 G multiply-adds/s on a 2048 × 512 matrix and 45 against 34 on 63 × 1024.
#define KRU_V(name) kru_avx512_##name
#define KRU_TARGET __attribute__((target("avx512f,fma")))
#define KRU_LOG2_LANES 4
#define KRU_LOG2_BLOCK 3
#define KRU_LANE_INDEX(m) KRU_LANE_INDEX_16(m)
#define KRU_GEMV_ROWS 4
#define KRU_GEMM_ROWS 4
#define KRU_THREE_ROW_PAIR_TILES 0
#define KRU_FOUR_STREAM_TILES 1
#define KRU_BLOCK_FLOATS 4096
#define KRU_HARDWARE_HALF 1
#include "chain_variant.h"
#include "dense_variant.h"
#include "packed_variant.h"
#include "mode_variant.h"
#include "cell_variant.h"
static const kru_kernel_table kru_avx512_table = KRU_VARIANT_TABLE;
#undef KRU_V
#undef KRU_TARGET
#undef KRU_LOG2_LANES
#undef KRU_LOG2_BLOCK
#undef KRU_LANE_INDEX
#undef KRU_GEMV_ROWS
#undef KRU_GEMM_ROWS
#undef KRU_THREE_ROW_PAIR_TILES
#undef KRU_FOUR_STREAM_TILES
#undef KRU_BLOCK_FLOATS
#undef KRU_HARDWARE_HALF
#endif

int kru_kernel_is_supported(int variant) {
    switch (variant) {
    case KRU_KERNEL_PORTABLE:
        return 1;
#ifdef KRU_HAS_X86_VARIANTS
    // __builtin_cpu_supports also checks that the operating system saves the wider registers.
    case KRU_KERNEL_AVX2_FMA:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case KRU_KERNEL_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

int kru_kernel_widest_variant(void) {
    if (kru_kernel_is_supported(KRU_KERNEL_AVX512)) return KRU_KERNEL_AVX512;
    if (kru_kernel_is_supported(KRU_KERNEL_AVX2_FMA)) return KRU_KERNEL_AVX2_FMA;
    return KRU_KERNEL_PORTABLE;
}

/// The table of `variant`; callers pass only supported variants (the Swift side checks).
static const kru_kernel_table *kru_table(int variant) {
    switch (variant) {
#ifdef KRU_HAS_X86_VARIANTS
    case KRU_KERNEL_AVX512: return &kru_avx512_table;
    case KRU_KERNEL_AVX2_FMA: return &kru_avx2_table;
#endif
    default: return &kru_portable_table;
    }
}

int kru_complex_chain2x2_preferred_variant(void) {
#ifdef KRU_HAS_X86_VARIANTS
    const int widest = kru_kernel_widest_variant();
    return widest == KRU_KERNEL_PORTABLE ? -1 : widest;
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
    kru_table(variant)->chain(factorCount, weightsReal, weightsImaginary, batchSize, inputReal, inputImaginary,
                              outputReal, outputImaginary);
}

void kru_dense_multiply(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const float *weights, ptrdiff_t batch, const float *x,
    ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate) {
    kru_table(variant)->dense(rows, columns, weights, batch, x, xStride, y, yStride, accumulate);
}

void kru_dense_multiply_bf16(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const uint16_t *weights, ptrdiff_t batch, const float *x,
    ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate) {
    kru_table(variant)->denseBF16(rows, columns, weights, batch, x, xStride, y, yStride, accumulate);
}

void kru_dense_multiply_f16(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const uint16_t *weights, ptrdiff_t batch, const float *x,
    ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate) {
    kru_table(variant)->denseF16(rows, columns, weights, batch, x, xStride, y, yStride, accumulate);
}

void kru_packed_multiply(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const float *packed, const float *x, float *y, int accumulate) {
    kru_table(variant)->packed(rows, columns, packed, x, y, accumulate);
}

void kru_add(int variant, ptrdiff_t count, float *y, const float *x) { kru_table(variant)->add(count, y, x); }

void kru_real_mode_chain(
    int variant, int passCount, const kru_mode_pass *passes, const float *weights, const float *transposed,
    ptrdiff_t batch, const float *x, float *y, ptrdiff_t yStride, int accumulate, float *scratch0,
    float *scratch1) {
    kru_table(variant)->realChain(passCount, passes, weights, transposed, batch, x, y, yStride, accumulate,
                                  scratch0, scratch1);
}

void kru_real_kronecker_sum(
    int variant, int gateCount, int termCount, int passCount, const kru_mode_pass *passes, const float *weights,
    const float *transposed, ptrdiff_t n, ptrdiff_t batch, const float *x, float *y, ptrdiff_t yStride,
    float *scratch0, float *scratch1) {
    kru_table(variant)->kroneckerSum(gateCount, termCount, passCount, passes, weights, transposed, n, batch, x, y,
                                     yStride, scratch0, scratch1);
}

void kru_complex_mode_chain(
    int variant, int passCount, const kru_mode_pass *passes, const float *weightsReal,
    const float *weightsImaginary, const float *transposedReal, const float *transposedImaginary,
    ptrdiff_t batch, const float *xReal, const float *xImaginary, float *yReal, float *yImaginary,
    ptrdiff_t yStride, int accumulate, float *const scratch[4]) {
    kru_table(variant)->complexChain(passCount, passes, weightsReal, weightsImaginary, transposedReal,
                                     transposedImaginary, batch, xReal, xImaginary, yReal, yImaginary, yStride,
                                     accumulate, scratch);
}

void kru_tanh(int variant, ptrdiff_t count, const float *x, float *y) { kru_table(variant)->tanh(count, x, y); }

void kru_sigmoid(int variant, ptrdiff_t count, const float *x, float *y) {
    kru_table(variant)->sigmoid(count, x, y);
}

void kru_rnn_tanh_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h) {
    kru_table(variant)->rnnTanh(n, batch, inputGates, stateGates, gateStride, h);
}

void kru_rnn_relu_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h) {
    kru_table(variant)->rnnReLU(n, batch, inputGates, stateGates, gateStride, h);
}

void kru_lstm_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h, float *c) {
    kru_table(variant)->lstm(n, batch, inputGates, stateGates, gateStride, h, c);
}

void kru_gru_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h) {
    kru_table(variant)->gru(n, batch, inputGates, stateGates, gateStride, h);
}

void kru_complex_activation(
    int variant, int activation, ptrdiff_t n, ptrdiff_t batch, const float *zReal, const float *zImaginary,
    const float *modReLUBias, float *hReal, float *hImaginary, float *output) {
    kru_table(variant)->complexActivation(activation, n, batch, zReal, zImaginary, modReLUBias, hReal, hImaginary,
                                          output);
}

void kru_portable_exp(int variant, ptrdiff_t count, const double *x, double *y) {
    kru_table(variant)->portableExp(count, x, y);
}

void kru_softmax_weights(
    int variant, ptrdiff_t count, const float *logits, double top, double temperature, double *weights) {
    kru_table(variant)->softmaxWeights(count, logits, top, temperature, weights);
}
