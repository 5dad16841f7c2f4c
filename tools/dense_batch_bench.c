// Times the engine's batched dense product, kru_dense_multiply (and its bf16/f16 forms), on one matrix for several
// batch sizes, and prints billions of multiply-adds per second of thread CPU time (median and best of 31 samples;
// CPU time, not wall time, so that a shared machine's other processes deflate the figures less).
//
// Built straight from the kernel sources, outside SwiftPM, so that two revisions of the kernels can be compared
// side by side (docs/ENGINE.md quotes it); the kernels are a separate translation unit, as in the package build,
// and at -O2, the level SwiftPM compiles C at in release (tile code can be fast at -O3 and slow at -O2):
//   K=Sources/CInferenceKernels; clang -O2 -I $K/include -o /tmp/dense_batch_bench tools/dense_batch_bench.c \
//       $K/variants.c $K/worker_team.c $K/packed_columns.c -lpthread
//   /tmp/dense_batch_bench VARIANT WEIGHTS ROWS COLUMNS BATCHES
// VARIANT: 0 portable, 1 AVX2, 2 AVX-512; WEIGHTS: 0 float, 1 bfloat16, 2 binary16; BATCHES: e.g. 1,2,4,16.

#include "inference_kernels.h"
#include "thread_clock.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *aligned_buffer(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

static int ascending(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s VARIANT WEIGHTS ROWS COLUMNS BATCHES\n", argv[0]);
        return 2;
    }
    const int variant = atoi(argv[1]), weights = atoi(argv[2]);
    const ptrdiff_t rows = atol(argv[3]), columns = atol(argv[4]);
    if (!kru_kernel_is_supported(variant) || weights < 0 || weights > 2 || rows < 1 || columns < 1) {
        fprintf(stderr, "unsupported variant or bad shape\n");
        return 2;
    }
    enum { maxBatch = 256, samples = 31 };
    // Cache-line aligned, so that figures do not depend on where malloc happened to put a buffer (a misaligned W
    // cost the 4-row × 2-stream tiles about 10 %).
    float *w = aligned_buffer((size_t)(rows * columns) * sizeof(float));
    uint16_t *narrow = aligned_buffer((size_t)(rows * columns) * sizeof(uint16_t));
    float *x = aligned_buffer((size_t)(maxBatch * columns) * sizeof(float));
    float *y = aligned_buffer((size_t)(maxBatch * rows) * sizeof(float));
    if (!w || !narrow || !x || !y) return 1;
    srand(1);
    // Values in [−1, 1]; the 16-bit weights are binary16 in [1, 2) or bfloat16 near 1.875 (both finite).
    for (ptrdiff_t i = 0; i < rows * columns; i++) {
        w[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
        narrow[i] = (uint16_t)(0x3C00 ^ (rand() & 0x3FF));
    }
    for (ptrdiff_t i = 0; i < maxBatch * columns; i++) x[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
    printf("variant %d, weights %d, %td x %td:", variant, weights, rows, columns);
    for (char *item = strtok(argv[5], ","); item; item = strtok(NULL, ",")) {
        const ptrdiff_t batch = atol(item);
        if (batch < 1 || batch > maxBatch) continue;
        const double work = (double)(rows * columns * batch);
        const int repeats = (int)(2e8 / work) + 1;
        double seconds[samples];
        for (int s = 0; s < samples; s++) {
            const double start = thread_seconds();
            // Accumulating onto y, as the engine adds every product to a bias.
            for (int r = 0; r < repeats; r++) {
                if (weights == 0) kru_dense_multiply(variant, rows, columns, w, batch, x, columns, y, rows, 1);
                if (weights == 1)
                    kru_dense_multiply_bf16(variant, rows, columns, narrow, batch, x, columns, y, rows, 1);
                if (weights == 2)
                    kru_dense_multiply_f16(variant, rows, columns, narrow, batch, x, columns, y, rows, 1);
            }
            seconds[s] = (thread_seconds() - start) / repeats;
        }
        qsort(seconds, samples, sizeof seconds[0], ascending);
        printf("  b%td %.1f/%.1f", batch, work / seconds[samples / 2] * 1e-9, work / seconds[0] * 1e-9);
    }
    printf("  (G multiply-adds/s, median/best)\n");
    return 0;
}
