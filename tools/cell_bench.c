// Times the engine's fused cells (kru_lstm_cell, kru_gru_cell, kru_rnn_tanh_cell) and prints nanoseconds of thread
// CPU time per unit (best of 31 samples of 50 calls), with a hash of the outputs so that two revisions of the
// kernels can be checked for identical results as well as compared for speed (docs/ENGINE.md quotes it).
// Built straight from the kernel sources at -O2, as tools/dense_batch_bench.c is:
//   K=Sources/CInferenceKernels; clang -O2 -I $K/include -o /tmp/cell_bench tools/cell_bench.c \
//       $K/variants.c $K/worker_team.c $K/packed_columns.c -lpthread
//   /tmp/cell_bench VARIANT CELL N BATCH
// VARIANT: 0 portable, 1 AVX2, 2 AVX-512; CELL: lstm, gru or tanh.

#include "inference_kernels.h"
#include "thread_clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Uniform in [-scale, scale) from a fixed linear congruential sequence: the same inputs on every run.
static float next_input(uint64_t *state, float scale) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return scale * ((float)(*state >> 40) / (float)(1 << 24) * 2.0f - 1.0f);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s VARIANT CELL N BATCH\n", argv[0]);
        return 2;
    }
    const int variant = atoi(argv[1]);
    const char *cell = argv[2];
    const ptrdiff_t n = atol(argv[3]), batch = atol(argv[4]);
    const ptrdiff_t gates = strcmp(cell, "lstm") == 0 ? 4 : strcmp(cell, "gru") == 0 ? 3 : 1;
    if (n < 1 || batch < 1 || (gates == 1 && strcmp(cell, "tanh") != 0)) {
        fprintf(stderr, "N and BATCH must be positive; CELL is lstm, gru or tanh\n");
        return 2;
    }
    const ptrdiff_t stride = gates * n;
    float *input = malloc((size_t)(stride * batch) * sizeof(float));
    float *state = malloc((size_t)(stride * batch) * sizeof(float));
    float *h = malloc((size_t)(n * batch) * sizeof(float)), *c = malloc((size_t)(n * batch) * sizeof(float));
    const float **rows = malloc((size_t)batch * sizeof *rows);  // each stream's input gates
    if (!input || !state || !h || !c || !rows) return 1;
    for (ptrdiff_t b = 0; b < batch; b++) rows[b] = input + b * stride;
    uint64_t seed = 1;
    for (ptrdiff_t i = 0; i < stride * batch; i++) input[i] = next_input(&seed, 3), state[i] = next_input(&seed, 1);
    for (ptrdiff_t i = 0; i < n * batch; i++) h[i] = next_input(&seed, 1), c[i] = next_input(&seed, 1);

    const int calls = 50;
    double best = 1e30;
    for (int sample = 0; sample < 31; sample++) {
        const double start = thread_seconds();
        for (int call = 0; call < calls; call++) {
            if (gates == 4) kru_lstm_cell(variant, n, batch, rows, state, stride, h, c);
            else if (gates == 3) kru_gru_cell(variant, n, batch, rows, state, stride, h);
            else kru_rnn_tanh_cell(variant, n, batch, rows, state, stride, h);
        }
        const double seconds = thread_seconds() - start;
        if (seconds < best) best = seconds;
    }
    uint32_t hash = 2166136261u;  // FNV-1a over the bytes of h and c after every call
    const float *outputs[2] = {h, c};
    for (int o = 0; o < 2; o++) {
        const unsigned char *bytes = (const unsigned char *)outputs[o];
        for (size_t i = 0; i < (size_t)(n * batch) * sizeof(float); i++) hash = (hash ^ bytes[i]) * 16777619u;
    }
    printf("variant %d, %s, N %td, batch %td: %.2f ns per unit (outputs %08x)\n", variant, cell, n, batch,
           1e9 * best / calls / (double)(n * batch), hash);
    free(input), free(state), free(h), free(c), free(rows);
    return 0;
}
