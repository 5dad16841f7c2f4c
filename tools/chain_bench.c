// Times the trainer's Kronecker chain kernels (Sources/CTrainKernels) on one term of a model's recurrence — a step
// of SinglePrecisionChain's forward (one mode product per factor) and backward (per factor its gradient and the
// adjoint's product, or the fused complex 2 × 2 kernel) for C interleaved streams — and prints nanoseconds and
// G multiply-adds/s of thread CPU time per step (best of 31 samples of 200 steps), with a hash of the outputs so
// that two revisions of the kernels can be checked for identical results as well as compared for speed
// (docs/BENCHMARKS.md quotes it). Built straight from the kernel sources at -O2, as SwiftPM builds them:
//   clang -O2 -I Sources/CTrainKernels/include -o /tmp/chain_bench tools/chain_bench.c \
//       Sources/CTrainKernels/train_kernels.c
//   /tmp/chain_bench VARIANT complex|real SHAPES COLUMNS [TERMS [TAPE]]
// VARIANT: 0 portable, 1 AVX2, 2 AVX-512. SHAPES: the factors P×Q, first to last, e.g. 9*2x2 (the KRU-512's nine
// complex 2 × 2) or 16x16,32x32 (a gate block of the Kronecker LSTM-512). COLUMNS: a worker's streams, a multiple
// of 8 (8 in kru-bench). TERMS (default 1): terms stepped one after the other, each with its own weights and
// gradients, as a layer's gate blocks are (8 for the Kronecker LSTM-512: four gates of rank 2); times are then per
// term. TAPE (default 1): inputs cycled through step by step, as the trainer reads h_{t−1} from its tape (100 for
// BPTT 100). With both at 1 the hash is the one earlier revisions printed.

#include "train_kernels.h"
#include "thread_clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FACTORS = 16 };

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

/// Reads "16x16,32x32" or "9*2x2" into rows[] and columns[]; returns the factor count, 0 if malformed.
static int parse_shapes(const char *text, int rows[], int columns[]) {
    int count = 0;
    while (*text) {
        int repeat = 1, p, q, used;
        if (sscanf(text, "%d*%dx%d%n", &repeat, &p, &q, &used) != 3) {
            repeat = 1;
            if (sscanf(text, "%dx%d%n", &p, &q, &used) != 2) return 0;
        }
        if (repeat < 1 || p < 1 || q < 1 || p > 256 || q > 256 || count + repeat > MAX_FACTORS) return 0;
        for (int i = 0; i < repeat; i++) rows[count] = p, columns[count] = q, count++;
        text += used;
        if (*text == ',') text++;
        else if (*text) return 0;
    }
    return count;
}

int main(int argc, char **argv) {
    int rows[MAX_FACTORS], cols[MAX_FACTORS];
    const int valid_count = argc >= 5 && argc <= 7;
    const int factors = valid_count ? parse_shapes(argv[3], rows, cols) : 0;
    const int variant = valid_count ? atoi(argv[1]) : -1, columns = valid_count ? atoi(argv[4]) : 0;
    const int terms = argc >= 6 ? atoi(argv[5]) : 1, tape_length = argc == 7 ? atoi(argv[6]) : 1;
    const int complex = valid_count && strcmp(argv[2], "complex") == 0;
    const kt_kernel_table *kernels = variant >= 0 ? kt_kernels(variant) : NULL;
    if (!kernels || factors == 0 || columns < 8 || columns % 8 != 0 || (!complex && strcmp(argv[2], "real") != 0) ||
        terms < 1 || terms > 64 || tape_length < 1 || tape_length > 1000) {
        fprintf(stderr, "usage: %s VARIANT complex|real SHAPES COLUMNS [TERMS [TAPE]] (e.g. 1 complex 9*2x2 8); the "
                        "variant must run on this CPU, COLUMNS a positive multiple of 8, TERMS 1…64, TAPE 1…1000\n",
                argv[0]);
        return 2;
    }
    // x_k has Π_{g<k} P_g · Π_{g≥k} Q_g values per stream; mode k is a product over [outer][Q_k][inner].
    ptrdiff_t length[MAX_FACTORS + 1], outer[MAX_FACTORS], inner[MAX_FACTORS], longest = 0, multiply_adds = 0;
    for (int k = 0; k <= factors; k++) {
        length[k] = columns;
        for (int g = 0; g < factors; g++) {
            length[k] *= g < k ? rows[g] : cols[g];
            if (length[k] > (1 << 24)) {  // also keeps the products below from overflowing
                fprintf(stderr, "a vector of more than 2^24 values per plane: choose smaller shapes\n");
                return 2;
            }
        }
        if (length[k] > longest) longest = length[k];
    }
    const int planes = complex ? 2 : 1;
    // Factor k's weights W and adjoint Wᴴ (Q × P) at weight_offset[k], its gradient at gradient_offset[k] (a real
    // factor's kernel keeps 8 partial sums per entry).
    ptrdiff_t weight_offset[MAX_FACTORS + 1] = {0}, gradient_offset[MAX_FACTORS + 1] = {0};
    for (int k = 0; k < factors; k++) {
        outer[k] = 1, inner[k] = columns;
        for (int g = 0; g < k; g++) outer[k] *= rows[g];
        for (int g = k + 1; g < factors; g++) inner[k] *= cols[g];
        multiply_adds += outer[k] * rows[k] * cols[k] * inner[k] * (complex ? 4 : 1);
        weight_offset[k + 1] = weight_offset[k] + 2 * planes * rows[k] * cols[k];
        gradient_offset[k + 1] = gradient_offset[k] + planes * rows[k] * cols[k] * (complex ? 1 : 8);
    }
    // Per plane: x_0 … x_F, the upstream gradient, two scratch gradients and x̄, each `longest` long; the tape of
    // inputs (copies of x_0); every term's weights and gradients.
    const ptrdiff_t vector = planes * longest;
    float *data = malloc((size_t)(vector * (factors + 5)) * sizeof(float));
    float *tape = malloc((size_t)(vector * tape_length) * sizeof(float));
    float *all_weights = malloc((size_t)(weight_offset[factors] * terms) * sizeof(float));
    float *all_gradients = calloc((size_t)(gradient_offset[factors] * terms), sizeof(float));
    if (!data || !tape || !all_weights || !all_gradients) {
        fprintf(stderr, "cannot allocate the vectors: choose smaller shapes, TERMS or TAPE\n");
        return 1;
    }
    float *weights = all_weights, *gradients = all_gradients;
#define VECTOR(i) (data + vector * (i))
#define WEIGHTS(k) (weights + weight_offset[k])
#define GRADIENT(k) (gradients + gradient_offset[k])
#define INPUT(step) (tape + vector * ((step) % tape_length))
#define SELECT_TERM(t) (weights = all_weights + weight_offset[factors] * (t), \
                        gradients = all_gradients + gradient_offset[factors] * (t))
    float *gy = VECTOR(factors + 1), *gx = VECTOR(factors + 4);
    uint64_t seed = 1;
    for (ptrdiff_t i = 0; i < planes * longest; i++) VECTOR(0)[i] = next_input(&seed, 1), gy[i] = next_input(&seed, 1);
    for (int k = 0; k < factors; k++) {
        const int p = rows[k], q = cols[k], n = p * q;
        float *w = WEIGHTS(k), *adjoint = w + planes * n;
        for (int i = 0; i < planes * n; i++) w[i] = next_input(&seed, 0.7f);
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < q; j++) {
                adjoint[j * p + i] = w[i * q + j];
                if (complex) adjoint[n + j * p + i] = -w[n + i * q + j];
            }
        }
    }

    for (int t = 1; t < terms; t++) {
        memcpy(all_weights + weight_offset[factors] * t, all_weights, (size_t)weight_offset[factors] * sizeof(float));
    }
    for (int s = 0; s < tape_length; s++) memcpy(INPUT(s), VECTOR(0), (size_t)vector * sizeof(float));

    const int steps = 200;
    double forward = 1e30, backward = 1e30;
    for (int sample = 0; sample < 31; sample++) {
        double start = thread_seconds();
        for (int step = 0; step < steps * terms; step++) {
            SELECT_TERM(step % terms);
            for (int k = 0; k < factors; k++) {
                const float *in = k == 0 ? INPUT(step / terms) : VECTOR(k), *w = WEIGHTS(k);
                float *out = VECTOR(k + 1);
                const ptrdiff_t n = rows[k] * cols[k];
                if (complex) {
                    kernels->complex_mode_product(w, w + n, rows[k], cols[k], outer[k], inner[k], in,
                                                  in + longest, out, out + longest, 0);
                } else {
                    kernels->real_mode_product(w, rows[k], cols[k], outer[k], inner[k], in, out, 0);
                }
            }
        }
        double seconds = thread_seconds() - start;
        if (seconds < forward) forward = seconds;
        start = thread_seconds();
        for (int step = 0; step < steps * terms; step++) {
            SELECT_TERM(step % terms);
            const float *delta = gy;
            for (int k = factors - 1; k >= 0; k--) {
                float *target = k == 0 ? gx : VECTOR(factors + 2 + k % 2), *g = GRADIENT(k);
                const float *x = k == 0 ? INPUT(step / terms) : VECTOR(k), *w = WEIGHTS(k);
                const ptrdiff_t n = rows[k] * cols[k];
                if (complex && rows[k] == 2 && cols[k] == 2) {
                    kernels->complex_mode_backward_2x2(w, w + n, outer[k], inner[k], delta, delta + longest, x,
                                                       x + longest, g, g + n, target, target + longest, k == 0);
                } else if (complex) {
                    kernels->complex_mode_gradient(rows[k], cols[k], outer[k], inner[k], delta, delta + longest, x,
                                                   x + longest, g, g + n);
                    kernels->complex_mode_product(w + 2 * n, w + 3 * n, cols[k], rows[k], outer[k], inner[k], delta,
                                                  delta + longest, target, target + longest, k == 0);
                } else {
                    kernels->real_mode_gradient(rows[k], cols[k], outer[k], inner[k], delta, x, g);
                    kernels->real_mode_product(w + n, cols[k], rows[k], outer[k], inner[k], delta, target, k == 0);
                }
                delta = target;
            }
        }
        seconds = thread_seconds() - start;
        if (seconds < backward) backward = seconds;
    }
    uint32_t hash = fnv(2166136261u, VECTOR(factors), planes * length[factors]);
    hash = fnv(hash, gx, planes * length[0]);
    hash = fnv(hash, all_gradients, gradient_offset[factors] * terms);
    const double term_steps = (double)steps * terms;
    printf("variant %d, %s %s, %d columns, %d term%s, tape %d: forward %.0f ns (%.1f G multiply-adds/s), backward "
           "%.0f ns (%.1f G/s) per step%s; hash %08x\n", variant, argv[2], argv[3], columns, terms,
           terms == 1 ? "" : "s", tape_length, 1e9 * forward / term_steps, multiply_adds * term_steps / forward / 1e9,
           1e9 * backward / term_steps, 2 * multiply_adds * term_steps / backward / 1e9,
           terms == 1 ? "" : " and term", hash);
    return 0;
}
