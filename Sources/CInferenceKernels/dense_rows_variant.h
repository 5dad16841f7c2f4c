// The row-wise dense product for one instruction-set variant and one stored weight type. dense_variant.h includes
// this once per weight type, after defining
//   KRU_DENSE(name)         the function's name for this variant and weight type,
//   KRU_WEIGHT              the stored element type (float, or uint16_t holding bfloat16 or binary16 bits),
//   KRU_LOAD_WEIGHTS(p)     sixteen consecutive weights at p, widened to a kru_f16,
//   KRU_WEIGHT_VALUE(v)     one stored weight widened to float.
// Widening is exact (every bfloat16 and binary16 value is a float), so the products and sums below are the same
// operations on the same floats whatever the stored type: a 16-bit matrix gives bit for bit what the matrix widened
// to float gives, while reading half the bytes.

/// The partial sums of `rows` × `streams` dot products (rows r of W from `w`, streams s from x[s]) over the first
/// `body` columns, reduced to s vectors in r-major order. Constant arguments after inlining: the loops unroll
/// and the accumulators stay in registers.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_DENSE(tile)(int rows, int streams, ptrdiff_t body, const KRU_WEIGHT *w, ptrdiff_t columns,
                const float *const *x, kru_f8 *s) {
    kru_f16 partial[8];
    for (int i = 0; i < rows * streams; i++) partial[i] = (kru_f16){0};
    for (ptrdiff_t k = 0; k < body; k += 16) {
        kru_f16 xv[2];
        for (int t = 0; t < streams; t++) xv[t] = kru_load16(x[t] + k);
        for (int r = 0; r < rows; r++) {
            const kru_f16 wv = KRU_LOAD_WEIGHTS(w + r * columns + k);
            for (int t = 0; t < streams; t++) partial[r * streams + t] = partial[r * streams + t] + wv * xv[t];
        }
    }
    for (int i = 0; i < rows * streams; i++) s[i] = KRU_V(halves)(partial[i]);
}

/// Finishes one dot product from its ordered sum of s: the tail columns, then the store.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_DENSE(finish)(float sum, ptrdiff_t body, ptrdiff_t columns, const KRU_WEIGHT *w, const float *x,
                  float *y, int accumulate) {
    for (ptrdiff_t k = body; k < columns; k++) sum = sum + KRU_WEIGHT_VALUE(w[k]) * x[k];
    *y = accumulate ? *y + sum : sum;
}

/// One dot product on its own (rows left over when fewer than a group remain).
static KRU_TARGET void KRU_DENSE(single)(ptrdiff_t body, ptrdiff_t columns, const KRU_WEIGHT *w,
                                         const float *x, float *y, int accumulate) {
    kru_f8 s;
    KRU_DENSE(tile)(1, 1, body, w, columns, &x, &s);
    float sum = s[0];
    for (int j = 1; j < 8; j++) sum = sum + s[j];
    KRU_DENSE(finish)(sum, body, columns, w, x, y, accumulate);
}

/// Rows [first, last) of W against one stream, eight rows per group.
static KRU_TARGET void KRU_DENSE(gemv_rows)(ptrdiff_t first, ptrdiff_t last, ptrdiff_t columns,
                                            const KRU_WEIGHT *w, const float *x, float *y, int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    ptrdiff_t r = first;
    for (; r + 8 <= last; r += 8) {
        kru_f8 s[8];
        for (int t = 0; t < 8; t += KRU_GEMV_ROWS)
            KRU_DENSE(tile)(KRU_GEMV_ROWS, 1, body, w + (r + t) * columns, columns, &x, s + t);
        const kru_f8 sums = KRU_V(ordered_sums)(s);
        for (int i = 0; i < 8; i++)
            KRU_DENSE(finish)(sums[i], body, columns, w + (r + i) * columns, x, y + r + i, accumulate);
    }
    for (; r < last; r++) KRU_DENSE(single)(body, columns, w + r * columns, x, y + r, accumulate);
}

/// Rows [first, last) of W against two streams, four rows × two streams per group: each row of W loaded once
/// serves both streams.
static KRU_TARGET void KRU_DENSE(gemm2_rows)(ptrdiff_t first, ptrdiff_t last, ptrdiff_t columns,
                                             const KRU_WEIGHT *w, const float *const x[2], float *const y[2],
                                             int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    ptrdiff_t r = first;
    for (; r + 4 <= last; r += 4) {
        kru_f8 s[8];
        for (int t = 0; t < 4; t += KRU_GEMM_ROWS)
            KRU_DENSE(tile)(KRU_GEMM_ROWS, 2, body, w + (r + t) * columns, columns, x, s + 2 * t);
        const kru_f8 sums = KRU_V(ordered_sums)(s);
        for (int i = 0; i < 8; i++) {
            const ptrdiff_t row = r + i / 2;
            KRU_DENSE(finish)(sums[i], body, columns, w + row * columns, x[i % 2], y[i % 2] + row, accumulate);
        }
    }
    for (; r < last; r++)
        for (int t = 0; t < 2; t++) KRU_DENSE(single)(body, columns, w + r * columns, x[t], y[t] + r, accumulate);
}

/// See kru_dense_multiply. Rows are taken in blocks of 16384 / columns rows (64 KB of float W, 32 KB of 16-bit W),
/// and every stream runs over a block before the next, so a matrix larger than the caches is read from memory once
/// per call, not once per stream.
static KRU_TARGET void KRU_DENSE(dense_multiply)(ptrdiff_t rows, ptrdiff_t columns, const KRU_WEIGHT *w,
                                                 ptrdiff_t batch, const float *x, ptrdiff_t xStride, float *y,
                                                 ptrdiff_t yStride, int accumulate) {
    ptrdiff_t block = batch == 1 ? rows : (16384 / (columns > 0 ? columns : 1)) & ~(ptrdiff_t)7;
    if (block < 8) block = 8;
    for (ptrdiff_t first = 0; first < rows; first += block) {
        const ptrdiff_t last = first + block < rows ? first + block : rows;
        ptrdiff_t b = 0;
        for (; b + 2 <= batch; b += 2) {
            const float *const xs[2] = {x + b * xStride, x + (b + 1) * xStride};
            float *const ys[2] = {y + b * yStride, y + (b + 1) * yStride};
            KRU_DENSE(gemm2_rows)(first, last, columns, w, xs, ys, accumulate);
        }
        if (b < batch) KRU_DENSE(gemv_rows)(first, last, columns, w, x + b * xStride, y + b * yStride, accumulate);
    }
}
