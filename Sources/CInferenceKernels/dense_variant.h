// One instruction-set variant of the dense products (variants.c includes this once per variant, after defining
// KRU_V, KRU_TARGET, KRU_GEMV_ROWS and KRU_GEMM_ROWS).
//
// Each dot product d = Σ_k W[r, k]·x[k] is summed exactly as docs/ENGINE.md defines it: sixteen partial sums,
// partial sum j taking the products k ≡ j (mod 16) of the first ⌊K/16⌋·16 columns in ascending k; then
// s_j = partial_j + partial_{j+8} for j < 8; then ((s_0 + s_1) + …) + s_7; then the remaining products in
// ascending k. Every product and every sum rounds separately (no FMA). A 16-lane vector holds the partial sums
// of one dot product, so that order falls out of plain vector code; what the variants change is only how many
// rows and streams share a pass over the columns (register blocking) and how the last sums are gathered (eight
// dot products are finished together by transposing their s vectors).

#pragma clang fp contract(off)

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

/// The partial sums of `rows` × `streams` dot products (rows r of W from `w`, streams s from x[s]) over the first
/// `body` columns, reduced to s vectors in r-major order. Constant arguments after inlining: the loops unroll
/// and the accumulators stay in registers.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(tile)(int rows, int streams, ptrdiff_t body, const float *w, ptrdiff_t columns, const float *const *x,
            kru_f8 *s) {
    kru_f16 partial[8];
    for (int i = 0; i < rows * streams; i++) partial[i] = (kru_f16){0};
    for (ptrdiff_t k = 0; k < body; k += 16) {
        kru_f16 xv[2];
        for (int t = 0; t < streams; t++) xv[t] = kru_load16(x[t] + k);
        for (int r = 0; r < rows; r++) {
            const kru_f16 wv = kru_load16(w + r * columns + k);
            for (int t = 0; t < streams; t++) partial[r * streams + t] = partial[r * streams + t] + wv * xv[t];
        }
    }
    for (int i = 0; i < rows * streams; i++) s[i] = KRU_V(halves)(partial[i]);
}

/// Finishes one dot product from its ordered sum of s: the tail columns, then the store.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(finish)(float sum, ptrdiff_t body, ptrdiff_t columns, const float *w, const float *x, float *y,
              int accumulate) {
    for (ptrdiff_t k = body; k < columns; k++) sum = sum + w[k] * x[k];
    *y = accumulate ? *y + sum : sum;
}

/// One dot product on its own (rows left over when fewer than a group remain).
static KRU_TARGET void KRU_V(single)(ptrdiff_t body, ptrdiff_t columns, const float *w, const float *x, float *y,
                                     int accumulate) {
    kru_f8 s;
    KRU_V(tile)(1, 1, body, w, columns, &x, &s);
    float sum = s[0];
    for (int j = 1; j < 8; j++) sum = sum + s[j];
    KRU_V(finish)(sum, body, columns, w, x, y, accumulate);
}

/// Rows [first, last) of W against one stream, eight rows per group.
static KRU_TARGET void KRU_V(gemv_rows)(ptrdiff_t first, ptrdiff_t last, ptrdiff_t columns, const float *w,
                                        const float *x, float *y, int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    ptrdiff_t r = first;
    for (; r + 8 <= last; r += 8) {
        kru_f8 s[8];
        for (int t = 0; t < 8; t += KRU_GEMV_ROWS)
            KRU_V(tile)(KRU_GEMV_ROWS, 1, body, w + (r + t) * columns, columns, &x, s + t);
        const kru_f8 sums = KRU_V(ordered_sums)(s);
        for (int i = 0; i < 8; i++)
            KRU_V(finish)(sums[i], body, columns, w + (r + i) * columns, x, y + r + i, accumulate);
    }
    for (; r < last; r++) KRU_V(single)(body, columns, w + r * columns, x, y + r, accumulate);
}

/// Rows [first, last) of W against two streams, four rows × two streams per group: each row of W loaded once
/// serves both streams.
static KRU_TARGET void KRU_V(gemm2_rows)(ptrdiff_t first, ptrdiff_t last, ptrdiff_t columns, const float *w,
                                         const float *const x[2], float *const y[2], int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    ptrdiff_t r = first;
    for (; r + 4 <= last; r += 4) {
        kru_f8 s[8];
        for (int t = 0; t < 4; t += KRU_GEMM_ROWS)
            KRU_V(tile)(KRU_GEMM_ROWS, 2, body, w + (r + t) * columns, columns, x, s + 2 * t);
        const kru_f8 sums = KRU_V(ordered_sums)(s);
        for (int i = 0; i < 8; i++) {
            const ptrdiff_t row = r + i / 2;
            KRU_V(finish)(sums[i], body, columns, w + row * columns, x[i % 2], y[i % 2] + row, accumulate);
        }
    }
    for (; r < last; r++)
        for (int t = 0; t < 2; t++) KRU_V(single)(body, columns, w + r * columns, x[t], y[t] + r, accumulate);
}

/// See kru_dense_multiply. Rows are taken in blocks of about 64 KB of W, and every stream runs over a block before
/// the next, so a matrix larger than the caches is read from memory once per call, not once per stream.
static KRU_TARGET void KRU_V(dense_multiply)(ptrdiff_t rows, ptrdiff_t columns, const float *w, ptrdiff_t batch,
                                             const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride,
                                             int accumulate) {
    ptrdiff_t block = batch == 1 ? rows : (16384 / (columns > 0 ? columns : 1)) & ~(ptrdiff_t)7;
    if (block < 8) block = 8;
    for (ptrdiff_t first = 0; first < rows; first += block) {
        const ptrdiff_t last = first + block < rows ? first + block : rows;
        ptrdiff_t b = 0;
        for (; b + 2 <= batch; b += 2) {
            const float *const xs[2] = {x + b * xStride, x + (b + 1) * xStride};
            float *const ys[2] = {y + b * yStride, y + (b + 1) * yStride};
            KRU_V(gemm2_rows)(first, last, columns, w, xs, ys, accumulate);
        }
        if (b < batch) KRU_V(gemv_rows)(first, last, columns, w, x + b * xStride, y + b * yStride, accumulate);
    }
}

static KRU_TARGET void KRU_V(add)(ptrdiff_t count, float *y, const float *x) {
    ptrdiff_t i = 0;
    for (; i + 16 <= count; i += 16) kru_store16(y + i, kru_load16(y + i) + kru_load16(x + i));
    for (; i < count; i++) y[i] = y[i] + x[i];
}

#pragma clang fp contract(on)
