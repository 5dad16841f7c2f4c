// Times the trainer's complex 2 × 2 chain kernels on a KRU's shape — a step of SinglePrecisionChain's forward
// (F mode products) and backward (F factors' gradients and x̄) for C interleaved streams — and prints nanoseconds of
// thread CPU time per step (best of 31 samples of 200 steps), with a hash of the outputs so that two revisions of
// the kernels can be checked for identical results as well as compared for speed (docs/BENCHMARKS.md quotes it).
// Built straight from the kernel sources at -O2, as SwiftPM builds them:
//   clang -O2 -I Sources/CTrainKernels/include -o /tmp/chain_bench tools/chain_bench.c \
//       Sources/CTrainKernels/train_kernels.c
//   /tmp/chain_bench VARIANT FACTORS COLUMNS
// VARIANT: 0 portable, 1 AVX2, 2 AVX-512; FACTORS: nine for N = 512; COLUMNS: a worker's streams (8 in kru-bench).

#include "train_kernels.h"
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

static uint32_t fnv(uint32_t hash, const float *values, ptrdiff_t count) {
    const unsigned char *bytes = (const unsigned char *)values;
    for (ptrdiff_t i = 0; i < count * (ptrdiff_t)sizeof(float); i++) hash = (hash ^ bytes[i]) * 16777619u;
    return hash;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s VARIANT FACTORS COLUMNS\n", argv[0]);
        return 2;
    }
    const int variant = atoi(argv[1]), factors = atoi(argv[2]), columns = atoi(argv[3]);
    const kt_kernel_table *kernels = kt_kernels(variant);
    if (!kernels || factors < 1 || factors > 16 || columns < 8 || columns % 8 != 0) {
        fprintf(stderr, "the variant must run on this CPU, FACTORS in 1…16, COLUMNS a positive multiple of 8\n");
        return 2;
    }
    const ptrdiff_t length = ((ptrdiff_t)1 << factors) * columns;  // floats per plane of a state
    // Planes: x, the F − 1 intermediates, y, the upstream gradient, two scratch gradients and x̄.
    float *planes = malloc((size_t)(2 * length * (factors + 5)) * sizeof(float));
    float *weights = malloc((size_t)(8 * factors) * sizeof(float)), *gradients = calloc(8 * (size_t)factors, 4);
    if (!planes || !weights || !gradients) return 1;
#define PLANE(i) (planes + 2 * length * (i))
    float *x = PLANE(0), *y = PLANE(factors), *gy = PLANE(factors + 1), *gx = PLANE(factors + 4);
    uint64_t seed = 1;
    for (ptrdiff_t i = 0; i < 2 * length; i++) x[i] = next_input(&seed, 1), gy[i] = next_input(&seed, 1);
    for (int i = 0; i < 8 * factors; i++) weights[i] = next_input(&seed, 0.7f);

    const int steps = 200;
    double forward = 1e30, backward = 1e30;
    for (int sample = 0; sample < 31; sample++) {
        double start = thread_seconds();
        for (int step = 0; step < steps; step++) {
            for (int k = 0; k < factors; k++) {
                const float *in = PLANE(k);
                float *out = k == factors - 1 ? y : PLANE(k + 1);
                kernels->complex_mode_product(weights + 8 * k, weights + 8 * k + 4, 2, 2, (ptrdiff_t)1 << k,
                                              (length >> (k + 1)), in, in + length, out, out + length, 0);
            }
        }
        double seconds = thread_seconds() - start;
        if (seconds < forward) forward = seconds;
        start = thread_seconds();
        for (int step = 0; step < steps; step++) {
            const float *delta = gy;
            for (int k = factors - 1; k >= 0; k--) {
                float *target = k == 0 ? gx : PLANE(factors + 2 + k % 2);
                kernels->complex_mode_backward_2x2(weights + 8 * k, weights + 8 * k + 4, (ptrdiff_t)1 << k,
                                                   (length >> (k + 1)), delta, delta + length, PLANE(k),
                                                   PLANE(k) + length, gradients + 8 * k, gradients + 8 * k + 4,
                                                   target, target + length, k == 0);
                delta = target;
            }
        }
        seconds = thread_seconds() - start;
        if (seconds < backward) backward = seconds;
    }
    uint32_t hash = fnv(2166136261u, y, 2 * length);
    hash = fnv(hash, gx, 2 * length);
    hash = fnv(hash, gradients, 8 * factors);
    printf("variant %d, %d factors, %d columns: forward %.0f ns, backward %.0f ns per step; hash %08x\n", variant,
           factors, columns, 1e9 * forward / steps, 1e9 * backward / steps, hash);
    return 0;
}
