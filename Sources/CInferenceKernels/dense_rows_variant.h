// The row-wise dense product for one instruction-set variant and one stored weight type. dense_variant.h includes
// this once per weight type, after defining
//   KRU_DENSE(name)         the function's name for this variant and weight type,
//   KRU_WEIGHT              the stored element type (float, or uint16_t holding bfloat16 or binary16 bits),
//   KRU_LOAD_WEIGHTS(p)     sixteen consecutive weights at p, widened to a kru_f16,
//   KRU_LOAD_WEIGHTS8(p)    eight, widened to a kru_f8 (used by the 3 × 2 tile only),
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
        if (body == columns) {
            KRU_V(store_sums8)(y + r, sums, accumulate);
            continue;
        }
        for (int i = 0; i < 8; i++)
            KRU_DENSE(finish)(sums[i], body, columns, w + (r + i) * columns, x, y + r + i, accumulate);
    }
    for (; r < last; r++) KRU_DENSE(single)(body, columns, w + r * columns, x, y + r, accumulate);
}

/// Finishes the eight dot products of four rows × two streams (s[i]: row `row` + i / 2 against stream i % 2).
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_DENSE(finish4x2)(const kru_f8 s[8], ptrdiff_t row, ptrdiff_t body, ptrdiff_t columns, const KRU_WEIGHT *w,
                     const float *const x[2], float *const y[2], int accumulate) {
    const kru_f8 sums = KRU_V(ordered_sums)(s);
    if (body == columns) {  // lanes alternate between the two streams
        KRU_V(store_sums4)(y[0] + row, __builtin_shufflevector(sums, sums, 0, 2, 4, 6), accumulate);
        KRU_V(store_sums4)(y[1] + row, __builtin_shufflevector(sums, sums, 1, 3, 5, 7), accumulate);
        return;
    }
    for (int i = 0; i < 8; i++) {
        const ptrdiff_t r = row + i / 2;
        KRU_DENSE(finish)(sums[i], body, columns, w + r * columns, x[i % 2], y[i % 2] + r, accumulate);
    }
}

#if KRU_THREE_ROW_PAIR_TILES
/// The partial sums of 3 rows × 2 streams of dot products, as KRU_DENSE(tile)(3, 2, …) would compute them, for
/// sixteen vector registers of eight lanes: a partial sum takes two registers, so the generic tile's six
/// accumulators and its operands would not fit. This one runs the low eight lanes of every product, then the high
/// eight; each lane is a sum of its own, so their order changes nothing. Twelve registers accumulate, two hold x
/// and one a row of W: each x vector loaded serves three rows, where the 2 × 2 tile's serves two.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_DENSE(tile3x2)(ptrdiff_t body, const KRU_WEIGHT *w, ptrdiff_t columns, const float *const x[2], kru_f8 s[6]) {
    const float *const x0 = x[0], *const x1 = x[1];
    const KRU_WEIGHT *const w0 = w, *const w1 = w + columns, *const w2 = w + 2 * columns;
    kru_f8 l00 = {0}, l01 = {0}, l10 = {0}, l11 = {0}, l20 = {0}, l21 = {0};
    kru_f8 h00 = {0}, h01 = {0}, h10 = {0}, h11 = {0}, h20 = {0}, h21 = {0};
    for (ptrdiff_t k = 0; k < body; k += 16) {
        kru_f8 a0 = kru_load8(x0 + k), a1 = kru_load8(x1 + k);
        kru_f8 v = KRU_LOAD_WEIGHTS8(w0 + k);
        l00 = l00 + v * a0, l01 = l01 + v * a1;
        v = KRU_LOAD_WEIGHTS8(w1 + k);
        l10 = l10 + v * a0, l11 = l11 + v * a1;
        v = KRU_LOAD_WEIGHTS8(w2 + k);
        l20 = l20 + v * a0, l21 = l21 + v * a1;
        a0 = kru_load8(x0 + k + 8), a1 = kru_load8(x1 + k + 8);
        v = KRU_LOAD_WEIGHTS8(w0 + k + 8);
        h00 = h00 + v * a0, h01 = h01 + v * a1;
        v = KRU_LOAD_WEIGHTS8(w1 + k + 8);
        h10 = h10 + v * a0, h11 = h11 + v * a1;
        v = KRU_LOAD_WEIGHTS8(w2 + k + 8);
        h20 = h20 + v * a0, h21 = h21 + v * a1;
    }
    // s_j = partial_j + partial_{j+8}, as KRU_V(halves) forms it.
    s[0] = l00 + h00, s[1] = l01 + h01, s[2] = l10 + h10, s[3] = l11 + h11, s[4] = l20 + h20, s[5] = l21 + h21;
}
#endif

/// Rows [first, last) of W against two streams: each row of W loaded once serves both streams. Groups of four
/// rows (tiles of KRU_GEMM_ROWS rows), or first of twelve in 3 × 2 tiles where the variant has them.
static KRU_TARGET void KRU_DENSE(gemm2_rows)(ptrdiff_t first, ptrdiff_t last, ptrdiff_t columns,
                                             const KRU_WEIGHT *w, const float *const x[2], float *const y[2],
                                             int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    ptrdiff_t r = first;
#if KRU_THREE_ROW_PAIR_TILES
    for (; r + 12 <= last; r += 12) {
        kru_f8 s[24];
        for (int t = 0; t < 12; t += 3) KRU_DENSE(tile3x2)(body, w + (r + t) * columns, columns, x, s + 2 * t);
        for (int q = 0; q < 12; q += 4) KRU_DENSE(finish4x2)(s + 2 * q, r + q, body, columns, w, x, y, accumulate);
    }
#endif
    for (; r + 4 <= last; r += 4) {
        kru_f8 s[8];
        for (int t = 0; t < 4; t += KRU_GEMM_ROWS)
            KRU_DENSE(tile)(KRU_GEMM_ROWS, 2, body, w + (r + t) * columns, columns, x, s + 2 * t);
        KRU_DENSE(finish4x2)(s, r, body, columns, w, x, y, accumulate);
    }
    for (; r < last; r++)
        for (int t = 0; t < 2; t++) KRU_DENSE(single)(body, columns, w + r * columns, x[t], y[t] + r, accumulate);
}

#if KRU_FOUR_STREAM_TILES
/// The partial sums of 4 rows × 4 streams of dot products, as KRU_DENSE(tile)(4, 4, …) would compute them, written
/// out with named accumulators from the first load to the last reduction: compiled at -O2 (SwiftPM's release level
/// for C), the generic loops keep an accumulator in memory across iterations, and so does this tile if its
/// accumulators pass through an array at the end; either way it runs at about 29 instead of 42 G multiply-adds/s.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_DENSE(tile4x4)(ptrdiff_t body, const KRU_WEIGHT *w, ptrdiff_t columns, const float *const x[4], kru_f8 s[16]) {
    const float *const x0 = x[0], *const x1 = x[1], *const x2 = x[2], *const x3 = x[3];
    const KRU_WEIGHT *const w0 = w, *const w1 = w + columns, *const w2 = w + 2 * columns, *const w3 = w + 3 * columns;
    kru_f16 p00 = {0}, p01 = {0}, p02 = {0}, p03 = {0}, p10 = {0}, p11 = {0}, p12 = {0}, p13 = {0};
    kru_f16 p20 = {0}, p21 = {0}, p22 = {0}, p23 = {0}, p30 = {0}, p31 = {0}, p32 = {0}, p33 = {0};
    for (ptrdiff_t k = 0; k < body; k += 16) {
        const kru_f16 a0 = kru_load16(x0 + k), a1 = kru_load16(x1 + k), a2 = kru_load16(x2 + k),
                      a3 = kru_load16(x3 + k);
        kru_f16 v = KRU_LOAD_WEIGHTS(w0 + k);
        p00 = p00 + v * a0, p01 = p01 + v * a1, p02 = p02 + v * a2, p03 = p03 + v * a3;
        v = KRU_LOAD_WEIGHTS(w1 + k);
        p10 = p10 + v * a0, p11 = p11 + v * a1, p12 = p12 + v * a2, p13 = p13 + v * a3;
        v = KRU_LOAD_WEIGHTS(w2 + k);
        p20 = p20 + v * a0, p21 = p21 + v * a1, p22 = p22 + v * a2, p23 = p23 + v * a3;
        v = KRU_LOAD_WEIGHTS(w3 + k);
        p30 = p30 + v * a0, p31 = p31 + v * a1, p32 = p32 + v * a2, p33 = p33 + v * a3;
    }
    s[0] = KRU_V(halves)(p00), s[1] = KRU_V(halves)(p01), s[2] = KRU_V(halves)(p02), s[3] = KRU_V(halves)(p03);
    s[4] = KRU_V(halves)(p10), s[5] = KRU_V(halves)(p11), s[6] = KRU_V(halves)(p12), s[7] = KRU_V(halves)(p13);
    s[8] = KRU_V(halves)(p20), s[9] = KRU_V(halves)(p21), s[10] = KRU_V(halves)(p22), s[11] = KRU_V(halves)(p23);
    s[12] = KRU_V(halves)(p30), s[13] = KRU_V(halves)(p31), s[14] = KRU_V(halves)(p32), s[15] = KRU_V(halves)(p33);
}

/// Finishes the sixteen dot products of a 4 × 4 tile (s[i]: row `row` + i / 4 against stream i % 4), eight at a
/// time by ordered_sums. Kept out of line: inlined, the shuffle constants of ordered_sums would take registers
/// that the tile's accumulators need.
static KRU_TARGET __attribute__((noinline)) void
KRU_DENSE(finish4x4)(const kru_f8 s[16], ptrdiff_t row, ptrdiff_t body, ptrdiff_t columns, const KRU_WEIGHT *w,
                     const float *const x[4], float *const y[4], int accumulate) {
    if (body == columns) {
        // No tail columns: each stream's four sums are y's next four entries, stored as one vector; the per-sum loop
        // through memory cost about a sixth of the tile's time.
        const kru_f8 upper = KRU_V(ordered_sums)(s), lower = KRU_V(ordered_sums)(s + 8);
        KRU_V(store_sums4)(y[0] + row, __builtin_shufflevector(upper, lower, 0, 4, 8, 12), accumulate);
        KRU_V(store_sums4)(y[1] + row, __builtin_shufflevector(upper, lower, 1, 5, 9, 13), accumulate);
        KRU_V(store_sums4)(y[2] + row, __builtin_shufflevector(upper, lower, 2, 6, 10, 14), accumulate);
        KRU_V(store_sums4)(y[3] + row, __builtin_shufflevector(upper, lower, 3, 7, 11, 15), accumulate);
        return;
    }
    for (int eight = 0; eight < 16; eight += 8) {
        const kru_f8 sums = KRU_V(ordered_sums)(s + eight);
        for (int i = 0; i < 8; i++) {
            const ptrdiff_t r = row + (eight + i) / 4;
            const int t = i % 4;
            KRU_DENSE(finish)(sums[i], body, columns, w + r * columns, x[t], y[t] + r, accumulate);
        }
    }
}

/// Rows [first, last) of W against four streams in 4 × 4 tiles: each row of W loaded once serves four streams and
/// each x vector loaded once serves four rows. Rows left over are finished one dot product at a time.
static KRU_TARGET void KRU_DENSE(gemm4_rows)(ptrdiff_t first, ptrdiff_t last, ptrdiff_t columns,
                                             const KRU_WEIGHT *w, const float *const x[4], float *const y[4],
                                             int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    ptrdiff_t r = first;
    for (; r + 4 <= last; r += 4) {
        kru_f8 s[16];
        KRU_DENSE(tile4x4)(body, w + r * columns, columns, x, s);
        KRU_DENSE(finish4x4)(s, r, body, columns, w, x, y, accumulate);
    }
    for (; r < last; r++)
        for (int t = 0; t < 4; t++) KRU_DENSE(single)(body, columns, w + r * columns, x[t], y[t] + r, accumulate);
}
#endif

/// See kru_dense_multiply. Rows are taken in blocks of KRU_BLOCK_FLOATS / columns rows (of float or 16-bit W),
/// rounded down to a multiple of KRU_BLOCK_ROWS (dense_variant.h) and at least that many,
/// and every stream runs over a block before the next, so a matrix larger than the caches is read from memory once per
/// call, not once per stream. With 4 × 4 tiles the block fits the first-level cache, from which every tile after
/// the first reads it; streams then go four at a time, and those left over in pairs, then alone.
static KRU_TARGET void KRU_DENSE(dense_multiply)(ptrdiff_t rows, ptrdiff_t columns, const KRU_WEIGHT *w,
                                                 ptrdiff_t batch, const float *x, ptrdiff_t xStride, float *y,
                                                 ptrdiff_t yStride, int accumulate) {
    const ptrdiff_t fitting = KRU_BLOCK_FLOATS / (columns > 0 ? columns : 1);
    ptrdiff_t block = batch == 1 ? rows : fitting / KRU_BLOCK_ROWS * KRU_BLOCK_ROWS;
    if (block < KRU_BLOCK_ROWS) block = KRU_BLOCK_ROWS;
    for (ptrdiff_t first = 0; first < rows; first += block) {
        const ptrdiff_t last = first + block < rows ? first + block : rows;
        ptrdiff_t b = 0;
#if KRU_FOUR_STREAM_TILES
        for (; b + 4 <= batch; b += 4) {
            const float *const xs[4] = {x + b * xStride, x + (b + 1) * xStride, x + (b + 2) * xStride,
                                        x + (b + 3) * xStride};
            float *const ys[4] = {y + b * yStride, y + (b + 1) * yStride, y + (b + 2) * yStride, y + (b + 3) * yStride};
            KRU_DENSE(gemm4_rows)(first, last, columns, w, xs, ys, accumulate);
        }
#endif
        for (; b + 2 <= batch; b += 2) {
            const float *const xs[2] = {x + b * xStride, x + (b + 1) * xStride};
            float *const ys[2] = {y + b * yStride, y + (b + 1) * yStride};
            KRU_DENSE(gemm2_rows)(first, last, columns, w, xs, ys, accumulate);
        }
        if (b < batch) KRU_DENSE(gemv_rows)(first, last, columns, w, x + b * xStride, y + b * yStride, accumulate);
    }
}
