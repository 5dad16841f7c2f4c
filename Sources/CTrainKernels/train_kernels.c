// The training kernels' variants and their run-time choice. SwiftPM compiles C for the platform baseline
// (x86-64: SSE2, no FMA), so train_variant.h is compiled three times: for the baseline and, with `target`
// attributes, for AVX2+FMA and AVX-512; kt_kernels hands out a variant only where the CPU (and the operating
// system) support it. Multiply-adds are written as expressions the compiler fuses where FMA exists.

#include "train_kernels.h"

#include <stdint.h>
#include <string.h>

// MARK: Scalar mode products (runs whose length is not a multiple of 8, e.g. tests of odd batch sizes)

static void kt_scalar_real_mode_product(const float *w, int p0, int q0, ptrdiff_t outer, ptrdiff_t inner,
                                        const float *x, float *y, int accumulate) {
    for (ptrdiff_t a = 0; a < outer; a++) {
        for (int p = 0; p < p0; p++) {
            for (ptrdiff_t r = 0; r < inner; r++) {
                float s = accumulate ? y[(a * p0 + p) * inner + r] : 0;
                for (int q = 0; q < q0; q++) s += w[p * q0 + q] * x[(a * q0 + q) * inner + r];
                y[(a * p0 + p) * inner + r] = s;
            }
        }
    }
}

static void kt_scalar_complex_mode_product(const float *wr, const float *wi, int p0, int q0, ptrdiff_t outer,
                                           ptrdiff_t inner, const float *xr, const float *xi, float *yr, float *yi,
                                           int accumulate) {
    for (ptrdiff_t a = 0; a < outer; a++) {
        for (int p = 0; p < p0; p++) {
            for (ptrdiff_t r = 0; r < inner; r++) {
                ptrdiff_t o = (a * p0 + p) * inner + r;
                float sr = accumulate ? yr[o] : 0, si = accumulate ? yi[o] : 0;
                for (int q = 0; q < q0; q++) {
                    ptrdiff_t i = (a * q0 + q) * inner + r;
                    sr += wr[p * q0 + q] * xr[i] - wi[p * q0 + q] * xi[i];
                    si += wr[p * q0 + q] * xi[i] + wi[p * q0 + q] * xr[i];
                }
                yr[o] = sr;
                yi[o] = si;
            }
        }
    }
}

static void kt_scalar_real_mode_gradient(int p0, int q0, ptrdiff_t outer, ptrdiff_t inner, const float *gy,
                                         const float *x, float *gw) {
    for (int p = 0; p < p0; p++) {
        for (int q = 0; q < q0; q++) {
            float s = 0;
            for (ptrdiff_t a = 0; a < outer; a++) {
                for (ptrdiff_t r = 0; r < inner; r++) s += gy[(a * p0 + p) * inner + r] * x[(a * q0 + q) * inner + r];
            }
            gw[(p * q0 + q) * 8] += s;  // lane 0 of the entry's partial sums
        }
    }
}

static void kt_scalar_complex_mode_gradient(int p0, int q0, ptrdiff_t outer, ptrdiff_t inner, const float *gyr,
                                            const float *gyi, const float *xr, const float *xi, float *gwr,
                                            float *gwi) {
    for (int p = 0; p < p0; p++) {
        for (int q = 0; q < q0; q++) {
            float sr = 0, si = 0;
            for (ptrdiff_t a = 0; a < outer; a++) {
                for (ptrdiff_t r = 0; r < inner; r++) {
                    ptrdiff_t g = (a * p0 + p) * inner + r, c = (a * q0 + q) * inner + r;
                    sr += gyr[g] * xr[c] + gyi[g] * xi[c];
                    si += gyi[g] * xr[c] - gyr[g] * xi[c];
                }
            }
            gwr[p * q0 + q] += sr;
            gwi[p * q0 + q] += si;
        }
    }
}

// MARK: Variants

// Portable: 4-lane registers for the dense product (SSE2 / NEON), 4 rows of C in registers. Its 8-float vectors
// are two SSE registers; they only pass between always-inline helpers, so the ABI note about them is moot.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#define KT_V(name) kt_portable_##name
#define KT_TARGET
#define KT_LANES 4
#define KT_ROWS 4
#define KT_MODE_ROWS 8
#define KT_GRADIENT_ROWS 4
#include "train_variant.h"
#undef KT_V
#undef KT_TARGET
#undef KT_LANES
#undef KT_ROWS
#undef KT_MODE_ROWS
#undef KT_GRADIENT_ROWS
#pragma clang diagnostic pop

#if defined(__x86_64__) && defined(__clang__)
#define KT_HAS_X86_VARIANTS 1

// AVX2 + FMA: 16 YMM registers; 6 rows × 2 registers of C leave room for B and a broadcast.
#define KT_V(name) kt_avx2_##name
#define KT_TARGET __attribute__((target("avx2,fma")))
#define KT_LANES 8
#define KT_ROWS 6
#define KT_MODE_ROWS 4
#define KT_GRADIENT_ROWS 2
#include "train_variant.h"
#undef KT_V
#undef KT_TARGET
#undef KT_LANES
#undef KT_ROWS
#undef KT_MODE_ROWS
#undef KT_GRADIENT_ROWS

// AVX-512: 32 ZMM registers; 8 rows × 2 registers of 16 floats.
#define KT_V(name) kt_avx512_##name
#define KT_TARGET __attribute__((target("avx512f,avx512vl,fma")))
#define KT_LANES 16
#define KT_ROWS 8
#define KT_MODE_ROWS 8
#define KT_GRADIENT_ROWS 4
#include "train_variant.h"
#undef KT_V
#undef KT_TARGET
#undef KT_LANES
#undef KT_ROWS
#undef KT_MODE_ROWS
#undef KT_GRADIENT_ROWS
#endif

const kt_kernel_table *kt_kernels(int variant) {
    switch (variant) {
    case KT_VARIANT_PORTABLE:
        return &kt_portable_table;
#ifdef KT_HAS_X86_VARIANTS
    // __builtin_cpu_supports also checks that the operating system saves the wider registers.
    case KT_VARIANT_AVX2_FMA:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &kt_avx2_table : NULL;
    case KT_VARIANT_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                       __builtin_cpu_supports("fma")
                   ? &kt_avx512_table
                   : NULL;
#endif
    default:
        return NULL;
    }
}

void kt_reduce_lanes(ptrdiff_t count, float *lanes, float *sums) {
    for (ptrdiff_t i = 0; i < count; i++) {
        float *l = lanes + 8 * i;
        sums[i] += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        memset(l, 0, 8 * sizeof(float));
    }
}

int kt_preferred_variant(void) {
    for (int variant = KT_VARIANT_COUNT - 1; variant > 0; variant--) {
        if (kt_kernels(variant)) return variant;
    }
    return KT_VARIANT_PORTABLE;
}
