// One instruction-set variant of the dense products (variants.c includes this once per variant, after defining
// KRU_V, KRU_TARGET, the tile shapes KRU_GEMV_ROWS, KRU_GEMM_ROWS, KRU_THREE_ROW_PAIR_TILES and
// KRU_FOUR_STREAM_TILES, the row block KRU_BLOCK_FLOATS, and KRU_HARDWARE_HALF). The row-wise products are compiled
// three times per variant from dense_rows_variant.h: for float weights, and for bfloat16 and binary16 weights that
// stay 16-bit in memory and are widened in registers (a dense recurrent matrix streams from L3 or memory every step,
// so reading half the bytes is what makes it faster).
//
// Each dot product d = Σ_k W[r, k]·x[k] is summed exactly as docs/ENGINE.md defines it: sixteen partial sums,
// partial sum j taking the products k ≡ j (mod 16) of the first ⌊K/16⌋·16 columns in ascending k; then
// s_j = partial_j + partial_{j+8} for j < 8; then ((s_0 + s_1) + …) + s_7; then the remaining products in
// ascending k. Every product and every sum rounds separately (no FMA). A 16-lane vector holds the partial sums
// of one dot product, so that order falls out of plain vector code; what the variants change is only how many
// rows and streams share a pass over the columns (register blocking) and how the last sums are gathered (eight
// dot products are finished together by transposing their s vectors).

#pragma clang fp contract(off)

/// Row blocks are a multiple of the rows of the variant's largest group (twelve with 3 × 2 tiles, else eight).
#define KRU_BLOCK_ROWS (KRU_THREE_ROW_PAIR_TILES ? 12 : 8)

/// s_j = partial_j + partial_{j+8}.
static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(halves)(kru_f16 partial) {
    const kru_f8 low = __builtin_shufflevector(partial, partial, 0, 1, 2, 3, 4, 5, 6, 7);
    const kru_f8 high = __builtin_shufflevector(partial, partial, 8, 9, 10, 11, 12, 13, 14, 15);
    return low + high;
}

/// For eight dot products at once: lane i of the result is ((s_i[0] + s_i[1]) + …) + s_i[7]. The s vectors are
/// transposed (lane j of column j holds s_i[j] for every i) so that the eight ordered sums run side by side.
static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(ordered_sums)(const kru_f8 s[8]) {
    kru_f8 pairs[8], quads[8];
    for (int i = 0; i < 8; i += 2) {
        pairs[i] = __builtin_shufflevector(s[i], s[i + 1], 0, 8, 1, 9, 2, 10, 3, 11);
        pairs[i + 1] = __builtin_shufflevector(s[i], s[i + 1], 4, 12, 5, 13, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        for (int h = 0; h < 2; h++) {
            quads[i + 2 * h] = __builtin_shufflevector(pairs[i + h], pairs[i + 2 + h], 0, 1, 8, 9, 2, 3, 10, 11);
            quads[i + 2 * h + 1] = __builtin_shufflevector(pairs[i + h], pairs[i + 2 + h], 4, 5, 12, 13, 6, 7, 14, 15);
        }
    }
    // quads[0..3] hold s_0…s_3 at j = 0,1 | 2,3 | 4,5 | 6,7; quads[4..7] the same for s_4…s_7.
    kru_f8 sum = __builtin_shufflevector(quads[0], quads[4], 0, 1, 2, 3, 8, 9, 10, 11);
    for (int j = 1; j < 8; j++) {
        const kru_f8 a = quads[j / 2], b = quads[4 + j / 2];
        const kru_f8 column = (j & 1) ? __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15)
                                      : __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11);
        sum = sum + column;
    }
    return sum;
}

/// Finishes dot products that have no tail columns: y = sums, or y + sums when accumulating, lane by lane, as
/// finishing them one at a time stores them, in one vector store instead of a loop through memory.
static KRU_TARGET inline __attribute__((always_inline)) void KRU_V(store_sums8)(float *y, kru_f8 sums, int accumulate) {
    kru_store8(y, accumulate ? kru_load8(y) + sums : sums);
}

static KRU_TARGET inline __attribute__((always_inline)) void KRU_V(store_sums4)(float *y, kru_f4 sums, int accumulate) {
    kru_store4(y, accumulate ? kru_load4(y) + sums : sums);
}

/// Sixteen bfloat16 values at p as floats: a bfloat16 is the high half of the float of the same value, so each is
/// zero-extended to 32 bits and shifted into place (exact, NaN payloads included).
static KRU_TARGET inline __attribute__((always_inline)) kru_f16 KRU_V(widen_bf16)(const uint16_t *p) {
    const kru_w16 bits = __builtin_convertvector(KRU_LOAD_AS(kru_h16, p), kru_w16) << 16;
    return (kru_f16)bits;
}

/// Sixteen IEEE binary16 values at p as floats, exactly: by the conversion instruction where the variant has one
/// (F16C's vcvtph2ps with AVX2 and AVX-512, fcvtl on arm64), else by kru_half_bits_to_float's integer steps.
static KRU_TARGET inline __attribute__((always_inline)) kru_f16 KRU_V(widen_f16)(const uint16_t *p) {
#if KRU_HARDWARE_HALF
    return __builtin_convertvector(KRU_LOAD_AS(kru_hf16, p), kru_f16);
#else
    const kru_w16 half = __builtin_convertvector(KRU_LOAD_AS(kru_h16, p), kru_w16);
    const kru_w16 magnitude = (half & 0x7FFF) << 13, sign = (half & 0x8000) << 16;
    // Finite values: the half's exponent and mantissa placed in a float's are the value times 2^-112 (a subnormal
    // half becomes a subnormal float), so one exact multiplication rebiases them. Infinities and NaNs: all-ones
    // exponent, mantissa (payload) kept.
    const kru_w16 finite = (kru_w16)((kru_f16)magnitude * 0x1p112f);
    const kru_w16 special = (kru_w16)(magnitude >= (0x7C00 << 13));
    return (kru_f16)(((finite & ~special) | ((magnitude | 0x7F800000) & special)) | sign);
#endif
}

#if KRU_THREE_ROW_PAIR_TILES
/// Eight bfloat16 or binary16 values at p as floats, as widen_bf16 and widen_f16 widen sixteen (the 3 × 2 tile
/// takes eight lanes at a time; variants with it have the binary16 conversion instruction).
#if !KRU_HARDWARE_HALF
#error "3 x 2 tiles widen binary16 weights by the conversion instruction"
#endif
static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(widen8_bf16)(const uint16_t *p) {
    return (kru_f8)(__builtin_convertvector(KRU_LOAD_AS(kru_h8, p), kru_w8) << 16);
}

static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(widen8_f16)(const uint16_t *p) {
    return __builtin_convertvector(KRU_LOAD_AS(kru_hf8, p), kru_f8);
}
#endif

#define KRU_DENSE(name) KRU_V(name)
#define KRU_WEIGHT float
#define KRU_LOAD_WEIGHTS(p) kru_load16(p)
#define KRU_LOAD_WEIGHTS8(p) kru_load8(p)
#define KRU_WEIGHT_VALUE(v) (v)
#include "dense_rows_variant.h"
#undef KRU_DENSE
#undef KRU_WEIGHT
#undef KRU_LOAD_WEIGHTS
#undef KRU_LOAD_WEIGHTS8
#undef KRU_WEIGHT_VALUE

#define KRU_DENSE(name) KRU_V(name##_bf16)
#define KRU_WEIGHT uint16_t
#define KRU_LOAD_WEIGHTS(p) KRU_V(widen_bf16)(p)
#define KRU_LOAD_WEIGHTS8(p) KRU_V(widen8_bf16)(p)
#define KRU_WEIGHT_VALUE(v) kru_bfloat16_bits_to_float(v)
#include "dense_rows_variant.h"
#undef KRU_DENSE
#undef KRU_LOAD_WEIGHTS
#undef KRU_LOAD_WEIGHTS8
#undef KRU_WEIGHT_VALUE

#define KRU_DENSE(name) KRU_V(name##_f16)
#define KRU_LOAD_WEIGHTS(p) KRU_V(widen_f16)(p)
#define KRU_LOAD_WEIGHTS8(p) KRU_V(widen8_f16)(p)
#define KRU_WEIGHT_VALUE(v) kru_half_bits_to_float(v)
#include "dense_rows_variant.h"
#undef KRU_DENSE
#undef KRU_WEIGHT
#undef KRU_LOAD_WEIGHTS
#undef KRU_LOAD_WEIGHTS8
#undef KRU_WEIGHT_VALUE

/// `count` 16-bit weights at w widened to floats at out (binary16 when `half`, else bfloat16).
static KRU_TARGET inline __attribute__((always_inline)) void KRU_V(widen)(int half, const uint16_t *w,
                                                                          ptrdiff_t count, float *out) {
    ptrdiff_t i = 0;
    for (; i + 16 <= count; i += 16) kru_store16(out + i, half ? KRU_V(widen_f16)(w + i) : KRU_V(widen_bf16)(w + i));
    for (; i < count; i++) out[i] = half ? kru_half_bits_to_float(w[i]) : kru_bfloat16_bits_to_float(w[i]);
}

/// kru_dense_multiply_bf16 / _f16. Up to seven streams widen the weights in registers as they stream past (each
/// weight is widened once per tile of streams). With more, widening every weight again for each pair costs more
/// than widening each block of rows once into 32 KB of float scratch on the stack, which the float kernel then runs
/// for every stream while it sits in the first-level cache (16 streams of a 2048 × 512 matrix: about 540 against
/// 590 µs for bf16, 700 for f16; with 3 streams the scratch was slower). Both give the floats of the float kernel
/// on the widened matrix.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(sixteen_bit_multiply)(int half, ptrdiff_t rows, ptrdiff_t columns, const uint16_t *w, ptrdiff_t batch,
                            const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate) {
    enum { scratchFloats = 8192 };
    const ptrdiff_t block = scratchFloats / (columns > 0 ? columns : 1) / KRU_BLOCK_ROWS * KRU_BLOCK_ROWS;
    if (batch < 8 || block < KRU_BLOCK_ROWS) {
        (half ? KRU_V(dense_multiply_f16) : KRU_V(dense_multiply_bf16))(rows, columns, w, batch, x, xStride, y,
                                                                        yStride, accumulate);
        return;
    }
    float scratch[scratchFloats];
    for (ptrdiff_t first = 0; first < rows; first += block) {
        const ptrdiff_t count = first + block < rows ? block : rows - first;
        KRU_V(widen)(half, w + first * columns, count * columns, scratch);
        KRU_V(dense_multiply)(count, columns, scratch, batch, x, xStride, y + first, yStride, accumulate);
    }
}

static KRU_TARGET void KRU_V(dense_bf16)(ptrdiff_t rows, ptrdiff_t columns, const uint16_t *w, ptrdiff_t batch,
                                         const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride,
                                         int accumulate) {
    KRU_V(sixteen_bit_multiply)(0, rows, columns, w, batch, x, xStride, y, yStride, accumulate);
}

static KRU_TARGET void KRU_V(dense_f16)(ptrdiff_t rows, ptrdiff_t columns, const uint16_t *w, ptrdiff_t batch,
                                        const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride,
                                        int accumulate) {
    KRU_V(sixteen_bit_multiply)(1, rows, columns, w, batch, x, xStride, y, yStride, accumulate);
}

static KRU_TARGET void KRU_V(add)(ptrdiff_t count, float *y, const float *x) {
    ptrdiff_t i = 0;
    for (; i + 16 <= count; i += 16) kru_store16(y + i, kru_load16(y + i) + kru_load16(x + i));
    for (; i < count; i++) y[i] = y[i] + x[i];
}

#undef KRU_BLOCK_ROWS

#pragma clang fp contract(on)
