// Measures one core's peak rate of single-precision multiply-adds with AVX2+FMA: twelve independent 8-lane FMA
// chains (enough to cover the instruction's latency on both FMA pipes), 200 million rounds, wall time. The figure
// bounds what any kernel on this machine can reach; docs/BENCHMARKS.md compares the trainer's rates with it.
//   clang -O2 -mavx2 -mfma -o /tmp/fma_peak tools/fma_peak.c && /tmp/fma_peak
// Run two at once (`/tmp/fma_peak & /tmp/fma_peak; wait`) for both cores.

#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { CHAINS = 12 };

int main(void) {
    __m256 sums[CHAINS];
    const __m256 scale = _mm256_set1_ps(0.999999f), offset = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) sums[i] = _mm256_set1_ps((float)i);
    const long rounds = 200000000;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long round = 0; round < rounds; round++) {
        for (int i = 0; i < CHAINS; i++) sums[i] = _mm256_fmadd_ps(sums[i], scale, offset);
        // Keeps the compiler from collapsing the rounds into a closed form.
        __asm__ volatile("" : "+x"(sums[0]), "+x"(sums[1]), "+x"(sums[2]), "+x"(sums[3]));
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    const double seconds = (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
    float check = 0;
    for (int i = 0; i < CHAINS; i++) check += sums[i][0];
    printf("%.1f G multiply-adds/s on one core (%d chains of 8 lanes; checksum %g)\n",
           (double)rounds * CHAINS * 8 / seconds / 1e9, CHAINS, check);
    return 0;
}
