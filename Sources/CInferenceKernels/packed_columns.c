// The layout kru_packed_multiply reads (packed_variant.h): W's columns, each padded to a multiple of 16 rows,
// the first ⌊columns/16⌋·16 of them ordered by residue (column k = 16m + j at position j·⌊columns/16⌋ + m), so
// the columns one partial sum takes lie next to each other; the remaining columns follow in order.

#include "inference_kernels.h"

ptrdiff_t kru_packed_padded_rows(ptrdiff_t rows) { return (rows + 15) & ~(ptrdiff_t)15; }

void kru_pack_columns(ptrdiff_t rows, ptrdiff_t columns, const float *weights, float *packed) {
    const ptrdiff_t paddedRows = kru_packed_padded_rows(rows), groups = columns / 16;
    for (ptrdiff_t k = 0; k < columns; k++) {
        const ptrdiff_t position = k < 16 * groups ? (k % 16) * groups + k / 16 : k;
        float *column = packed + position * paddedRows;
        for (ptrdiff_t r = 0; r < paddedRows; r++) column[r] = r < rows ? weights[r * columns + k] : 0.0f;
    }
}
