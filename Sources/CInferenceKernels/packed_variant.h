// One instruction-set variant of the column-packed product (variants.c includes this once per variant, after
// defining KRU_V and KRU_TARGET).
//
// It computes what dense_variant.h computes for one stream — every dot product summed in the order of
// docs/ENGINE.md — but walks W by columns (packed by kru_pack_columns) and skips the columns whose x[k] is zero.
// Skipping them changes no bit: a partial sum starts at +0 and can never become −0 (in round-to-nearest, a sum
// is −0 only if both terms are), and s + (±0) = s for every s that is not −0; W[r, k]·0 is ±0 when W is finite,
// which the caller guarantees. It pays where the input is a layer output with many exact zeros (a modReLU or ReLU
// state): the product is bound by reading W from the cache, and a zero column is not read at all.
//
// The sixteen partial sums s_j of a row take the columns k ≡ j (mod 16) in ascending order; a row block of up to
// 64 rows keeps s_j of all its rows in four vectors and adds one column at a time (a scalar x[k] times a
// column of W), visiting j's columns in ascending k. The columns with x[k] ≠ 0 are found 512 at a time as bit
// masks: lane j of `masks`, bit m, is set when x[512c + 16m + j] ≠ 0 (NaN counts as nonzero).

#pragma clang fp contract(off)

/// Bit m of lane j set when x[16m + j] ≠ 0, for m < groups (≤ 32).
static KRU_TARGET inline __attribute__((always_inline)) kru_i16 KRU_V(nonzero_masks)(const float *x,
                                                                                   ptrdiff_t groups) {
    kru_i16 masks = {0};
    for (ptrdiff_t m = 0; m < groups; m++)
        masks |= (kru_i16)(kru_load16(x + 16 * m) != 0.0f) & (int32_t)(1u << m);
    return masks;
}

/// The partial sums of one row block (`vectors` × 16 rows, starting at `block`, a pointer into the packed columns
/// at the block's first row) over the body columns: partial[j][v] for residue j and row vector v.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(packed_partials)(const int vectors, ptrdiff_t groups, ptrdiff_t paddedRows, const float *block,
                       const float *x, kru_f16 partial[16][4]) {
    // Always at least one round, so that every partial sum is written (+0 when there are no body columns).
    for (ptrdiff_t first = 0; first == 0 || first < groups; first += 32) {
        const ptrdiff_t count = groups - first < 32 ? groups - first : 32;
        const kru_i16 masks = KRU_V(nonzero_masks)(x + 16 * first, count);
        for (int j = 0; j < 16; j++) {
            kru_f16 sums[4];
            for (int v = 0; v < vectors; v++) sums[v] = first == 0 ? (kru_f16){0} : partial[j][v];
            const float *columns = block + (j * groups + first) * paddedRows;
            const float *xj = x + 16 * first + j;
            for (uint32_t bits = (uint32_t)masks[j]; bits != 0; bits &= bits - 1) {
                const int m = __builtin_ctz(bits);
                const float scale = xj[16 * m];
                const float *column = columns + m * paddedRows;
                for (int v = 0; v < vectors; v++) sums[v] = sums[v] + kru_load16(column + 16 * v) * scale;
            }
            for (int v = 0; v < vectors; v++) partial[j][v] = sums[v];
        }
    }
}

/// Finishes the dot products of one row block: the halves and their ordered sum, the tail columns, the store.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(packed_finish)(const int vectors, ptrdiff_t first, ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t paddedRows,
                     const float *packed, const float *x, kru_f16 partial[16][4], float *y, int accumulate) {
    const ptrdiff_t body = columns & ~(ptrdiff_t)15;
    for (int v = 0; v < vectors; v++) {
        kru_f16 d = partial[0][v] + partial[8][v];
        for (int j = 1; j < 8; j++) d = d + (partial[j][v] + partial[j + 8][v]);
        for (ptrdiff_t k = body; k < columns; k++) d = d + kru_load16(packed + k * paddedRows + first + 16 * v) * x[k];
        const ptrdiff_t row = first + 16 * v, width = rows - row < 16 ? rows - row : 16;
        float lanes[16];
        kru_store16(lanes, d);
        for (ptrdiff_t i = 0; i < width; i++) y[row + i] = accumulate ? y[row + i] + lanes[i] : lanes[i];
    }
}

/// See kru_packed_multiply.
static KRU_TARGET void KRU_V(packed_multiply)(ptrdiff_t rows, ptrdiff_t columns, const float *packed,
                                              const float *x, float *y, int accumulate) {
    const ptrdiff_t paddedRows = (rows + 15) & ~(ptrdiff_t)15, groups = columns / 16;
    for (ptrdiff_t first = 0; first < paddedRows; first += 64) {
        kru_f16 partial[16][4];
        const float *block = packed + first;
        // Constant vector counts, so each case keeps its sums in registers.
        switch ((paddedRows - first) / 16) {
        case 1:
            KRU_V(packed_partials)(1, groups, paddedRows, block, x, partial);
            KRU_V(packed_finish)(1, first, rows, columns, paddedRows, packed, x, partial, y, accumulate);
            break;
        case 2:
            KRU_V(packed_partials)(2, groups, paddedRows, block, x, partial);
            KRU_V(packed_finish)(2, first, rows, columns, paddedRows, packed, x, partial, y, accumulate);
            break;
        case 3:
            KRU_V(packed_partials)(3, groups, paddedRows, block, x, partial);
            KRU_V(packed_finish)(3, first, rows, columns, paddedRows, packed, x, partial, y, accumulate);
            break;
        default:
            KRU_V(packed_partials)(4, groups, paddedRows, block, x, partial);
            KRU_V(packed_finish)(4, first, rows, columns, paddedRows, packed, x, partial, y, accumulate);
            break;
        }
    }
}

#pragma clang fp contract(on)
