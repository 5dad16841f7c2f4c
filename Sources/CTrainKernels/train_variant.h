// One instruction-set variant of the training kernels. train_kernels.c includes this file once per variant after
// defining:
//   KT_V(name)   appends the variant's suffix to a name
//   KT_TARGET    the function attribute selecting the instruction set (empty for the portable variant)
//   KT_LANES     floats per register of the dense product (`small_gemm`): 16, 8 or 4
//   KT_ROWS      rows of C that `small_gemm` keeps in registers at once (bounded by the register count)
//   KT_MODE_ROWS rows of a real mode product's register tile, 8 or 4 (8 × 2 registers of sums need more than 16)
//   KT_GRADIENT_ROWS  rows of a real mode gradient's register tile (× 4 columns), 4 or 2, likewise
//
// The chain and element-wise kernels work on vectors of 8 floats whatever the variant (two SSE registers on the
// portable one): the stream-interleaved layout of the chain makes every mode's innermost run a multiple of 8
// (the trainer pads a worker's streams to a multiple of 8), and 8 lanes keep AVX-512 and AVX2 equally busy on
// the short runs of the last factors.

#define VF KT_V(vf)
#define VI KT_V(vi)
#define VW KT_V(vw)
#define KT_INLINE static KT_TARGET inline __attribute__((always_inline))

typedef float VF __attribute__((vector_size(32)));
typedef int32_t VI __attribute__((vector_size(32)));
typedef float VW __attribute__((vector_size(4 * KT_LANES)));

KT_INLINE VF KT_V(load)(const float *p) {
    VF v;
    memcpy(&v, p, sizeof v);
    return v;
}

KT_INLINE void KT_V(store)(float *p, VF v) { memcpy(p, &v, sizeof v); }

/// The first `count` (1…8) floats at p, the other lanes zero.
KT_INLINE VF KT_V(load_part)(const float *p, int count) {
    if (count == 8) return KT_V(load)(p);
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(lanes, p, (size_t)count * sizeof(float));
    return KT_V(load)(lanes);
}

/// Stores the first `count` lanes of v at p.
KT_INLINE void KT_V(store_part)(float *p, VF v, int count) {
    if (count == 8) {
        KT_V(store)(p, v);
        return;
    }
    float lanes[8];
    KT_V(store)(lanes, v);
    memcpy(p, lanes, (size_t)count * sizeof(float));
}

KT_INLINE VF KT_V(splat)(float s) { return s - (VF){0}; }

/// mask ? a : b, lane by lane (mask lanes are all ones or all zeros, as vector comparisons give).
KT_INLINE VF KT_V(select)(VI mask, VF a, VF b) { return (VF)(((VI)a & mask) | ((VI)b & ~mask)); }

KT_INLINE VF KT_V(max)(VF a, VF b) { return KT_V(select)(a > b, a, b); }
KT_INLINE VF KT_V(min)(VF a, VF b) { return KT_V(select)(a < b, a, b); }

/// The lanes summed in a fixed order (results must not depend on anything but the inputs).
KT_INLINE float KT_V(sum)(VF v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

/// e^x to about 2 ulp (Cody–Waite range reduction by ln 2 and a degree-6 polynomial, the constants of Cephes'
/// expf), with x clamped to [−87.3, 88.3] so neither overflow nor denormals occur.
KT_INLINE VF KT_V(exp)(VF x) {
    x = KT_V(min)(KT_V(max)(x, KT_V(splat)(-87.33654475f)), KT_V(splat)(88.37626266f));
    VF fx = x * 1.44269504088896341f + 0.5f;
    VF n = __builtin_convertvector(__builtin_convertvector(fx, VI), VF);  // truncation …
    n = n - (VF)((VI)KT_V(splat)(1.0f) & (n > fx));                        // … corrected to floor
    VF r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    VF p = 1.9875691500e-4f * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    VF y = p * (r * r) + r + 1.0f;
    VI bits = (__builtin_convertvector(n, VI) + 127) << 23;
    return y * (VF)bits;
}

KT_INLINE VF KT_V(sigmoid)(VF x) { return 1.0f / (1.0f + KT_V(exp)(-x)); }

/// tanh x = 1 − 2/(e^{2x} + 1): exact limits ±1, absolute error of a few 1e-8.
KT_INLINE VF KT_V(tanh)(VF x) { return 1.0f - 2.0f / (KT_V(exp)(x + x) + 1.0f); }

// MARK: Mode products

/// PB output rows × RB registers of a real mode product, for one `a`: y[p0 + i, r…] (=|+=) Σ_q W[p0 + i, q]·x[q, r…].
/// Every x register loaded serves PB multiply-adds, every broadcast weight RB.
#define KT_REAL_ROWS(PB, RB)                                                                                      \
    KT_INLINE void KT_V(real_rows_##PB##_##RB)(const float *w, int q0, ptrdiff_t inner, ptrdiff_t r0,             \
                                               const float *xa, float *ya, int accumulate) {                      \
        VF s[PB][RB];                                                                                              \
        for (int i = 0; i < PB; i++) {                                                                             \
            for (int j = 0; j < RB; j++) s[i][j] = accumulate ? KT_V(load)(ya + i * inner + r0 + 8 * j) : (VF){0}; \
        }                                                                                                          \
        for (int q = 0; q < q0; q++) {                                                                             \
            VF xv[RB];                                                                                             \
            for (int j = 0; j < RB; j++) xv[j] = KT_V(load)(xa + q * inner + r0 + 8 * j);                          \
            for (int i = 0; i < PB; i++) {                                                                         \
                float wv = w[i * q0 + q];                                                                          \
                for (int j = 0; j < RB; j++) s[i][j] = s[i][j] + wv * xv[j];                                       \
            }                                                                                                      \
        }                                                                                                          \
        for (int i = 0; i < PB; i++) {                                                                             \
            for (int j = 0; j < RB; j++) KT_V(store)(ya + i * inner + r0 + 8 * j, s[i][j]);                        \
        }                                                                                                          \
    }
#if KT_MODE_ROWS == 8
KT_REAL_ROWS(8, 2)
KT_REAL_ROWS(8, 1)
#endif
KT_REAL_ROWS(4, 2)
KT_REAL_ROWS(4, 1)
KT_REAL_ROWS(1, 2)
KT_REAL_ROWS(1, 1)

/// PB output rows for two consecutive `a` when the runs are one register long (the last modes of a chain): every
/// broadcast weight then serves two registers, as RB = 2 does for longer runs.
#define KT_REAL_ROWS_PAIR(PB)                                                                                     \
    KT_INLINE void KT_V(real_rows_pair_##PB)(const float *w, int q0, int p0, const float *xa, float *ya,           \
                                             int accumulate) {                                                     \
        VF s[PB][2];                                                                                               \
        for (int i = 0; i < PB; i++) {                                                                             \
            for (int j = 0; j < 2; j++) s[i][j] = accumulate ? KT_V(load)(ya + (j * p0 + i) * 8) : (VF){0};        \
        }                                                                                                          \
        for (int q = 0; q < q0; q++) {                                                                             \
            VF x0 = KT_V(load)(xa + q * 8), x1 = KT_V(load)(xa + (q0 + q) * 8);                                    \
            for (int i = 0; i < PB; i++) {                                                                         \
                float wv = w[i * q0 + q];                                                                          \
                s[i][0] = s[i][0] + wv * x0;                                                                       \
                s[i][1] = s[i][1] + wv * x1;                                                                       \
            }                                                                                                      \
        }                                                                                                          \
        for (int i = 0; i < PB; i++) {                                                                             \
            for (int j = 0; j < 2; j++) KT_V(store)(ya + (j * p0 + i) * 8, s[i][j]);                               \
        }                                                                                                          \
    }
#if KT_MODE_ROWS == 8
KT_REAL_ROWS_PAIR(8)
#endif
KT_REAL_ROWS_PAIR(4)
KT_REAL_ROWS_PAIR(1)

/// Rows p … p + PB − 1 of one `a`, over all of `inner` (two registers at a time, then one).
#define KT_REAL_ROW_SWEEP(PB)                                                                                     \
    for (; p + PB <= p0; p += PB) {                                                                                \
        ptrdiff_t r = 0;                                                                                           \
        for (; r + 16 <= inner; r += 16) {                                                                         \
            KT_V(real_rows_##PB##_2)(w + p * q0, q0, inner, r, xa, ya + p * inner, accumulate);                    \
        }                                                                                                          \
        for (; r < inner; r += 8) KT_V(real_rows_##PB##_1)(w + p * q0, q0, inner, r, xa, ya + p * inner, accumulate); \
    }

static KT_TARGET void KT_V(real_mode_product)(const float *w, int p0, int q0, ptrdiff_t outer, ptrdiff_t inner,
                                              const float *x, float *y, int accumulate) {
    if (inner % 8 != 0) {
        kt_scalar_real_mode_product(w, p0, q0, outer, inner, x, y, accumulate);
        return;
    }
    ptrdiff_t a = 0;
    if (inner == 8) {
        for (; a + 2 <= outer; a += 2) {
            const float *xa = x + a * q0 * 8;
            float *ya = y + a * p0 * 8;
            int p = 0;
#if KT_MODE_ROWS == 8
            for (; p + 8 <= p0; p += 8) KT_V(real_rows_pair_8)(w + p * q0, q0, p0, xa, ya + p * 8, accumulate);
#endif
            for (; p + 4 <= p0; p += 4) KT_V(real_rows_pair_4)(w + p * q0, q0, p0, xa, ya + p * 8, accumulate);
            for (; p < p0; p++) KT_V(real_rows_pair_1)(w + p * q0, q0, p0, xa, ya + p * 8, accumulate);
        }
    }
    for (; a < outer; a++) {
        const float *xa = x + a * q0 * inner;
        float *ya = y + a * p0 * inner;
        int p = 0;
#if KT_MODE_ROWS == 8
        KT_REAL_ROW_SWEEP(8)
#endif
        KT_REAL_ROW_SWEEP(4)
        KT_REAL_ROW_SWEEP(1)
    }
}

#define KT_COMPLEX_ROWS(PB)                                                                                       \
    KT_INLINE void KT_V(complex_rows_##PB)(const float *wr, const float *wi, int q0, ptrdiff_t inner,             \
                                           const float *xr, const float *xi, float *yr, float *yi,                 \
                                           int accumulate) {                                                       \
        for (ptrdiff_t r = 0; r < inner; r += 8) {                                                                 \
            VF sr[PB], si[PB];                                                                                     \
            for (int i = 0; i < PB; i++) {                                                                         \
                sr[i] = accumulate ? KT_V(load)(yr + i * inner + r) : (VF){0};                                     \
                si[i] = accumulate ? KT_V(load)(yi + i * inner + r) : (VF){0};                                     \
            }                                                                                                      \
            for (int q = 0; q < q0; q++) {                                                                         \
                VF ar = KT_V(load)(xr + q * inner + r), ai = KT_V(load)(xi + q * inner + r);                       \
                for (int i = 0; i < PB; i++) {                                                                     \
                    float br = wr[i * q0 + q], bi = wi[i * q0 + q];                                                \
                    sr[i] = sr[i] + br * ar - bi * ai;                                                             \
                    si[i] = si[i] + br * ai + bi * ar;                                                             \
                }                                                                                                  \
            }                                                                                                      \
            for (int i = 0; i < PB; i++) {                                                                         \
                KT_V(store)(yr + i * inner + r, sr[i]);                                                            \
                KT_V(store)(yi + i * inner + r, si[i]);                                                            \
            }                                                                                                      \
        }                                                                                                          \
    }
KT_COMPLEX_ROWS(2)
KT_COMPLEX_ROWS(1)

/// y = W x for one complex 2 × 2 mode, the weights in registers.
KT_INLINE void KT_V(complex_2x2)(const float *wr, const float *wi, ptrdiff_t outer, ptrdiff_t inner, const float *xr,
                                 const float *xi, float *yr, float *yi, int accumulate) {
    const float a = wr[0], b = wr[1], c = wr[2], d = wr[3], e = wi[0], f = wi[1], g = wi[2], h = wi[3];
    for (ptrdiff_t o = 0; o < outer; o++) {
        ptrdiff_t base = 2 * o * inner;
        for (ptrdiff_t r = 0; r < inner; r += 8) {
            ptrdiff_t i0 = base + r, i1 = base + inner + r;
            VF x0r = KT_V(load)(xr + i0), x0i = KT_V(load)(xi + i0);
            VF x1r = KT_V(load)(xr + i1), x1i = KT_V(load)(xi + i1);
            VF y0r = a * x0r - e * x0i + b * x1r - f * x1i, y0i = a * x0i + e * x0r + b * x1i + f * x1r;
            VF y1r = c * x0r - g * x0i + d * x1r - h * x1i, y1i = c * x0i + g * x0r + d * x1i + h * x1r;
            if (accumulate) {
                y0r = y0r + KT_V(load)(yr + i0), y0i = y0i + KT_V(load)(yi + i0);
                y1r = y1r + KT_V(load)(yr + i1), y1i = y1i + KT_V(load)(yi + i1);
            }
            KT_V(store)(yr + i0, y0r), KT_V(store)(yi + i0, y0i), KT_V(store)(yr + i1, y1r), KT_V(store)(yi + i1, y1i);
        }
    }
}

static KT_TARGET void KT_V(complex_mode_product)(const float *wr, const float *wi, int p0, int q0, ptrdiff_t outer,
                                                 ptrdiff_t inner, const float *xr, const float *xi, float *yr,
                                                 float *yi, int accumulate) {
    if (inner % 8 != 0) {
        kt_scalar_complex_mode_product(wr, wi, p0, q0, outer, inner, xr, xi, yr, yi, accumulate);
        return;
    }
    if (p0 == 2 && q0 == 2) {
        KT_V(complex_2x2)(wr, wi, outer, inner, xr, xi, yr, yi, accumulate);
        return;
    }
    for (ptrdiff_t a = 0; a < outer; a++) {
        ptrdiff_t in = a * q0 * inner, out = a * p0 * inner;
        int p = 0;
        for (; p + 2 <= p0; p += 2) {
            KT_V(complex_rows_2)(wr + p * q0, wi + p * q0, q0, inner, xr + in, xi + in, yr + out + p * inner,
                                 yi + out + p * inner, accumulate);
        }
        for (; p < p0; p++) {
            KT_V(complex_rows_1)(wr + p * q0, wi + p * q0, q0, inner, xr + in, xi + in, yr + out + p * inner,
                                 yi + out + p * inner, accumulate);
        }
    }
}

/// A PT × QT tile of W̄ += Σ_{a,r} ȳ[a, p, r]·x[a, q, r]: PT + QT loads feed PT·QT multiply-adds.
#define KT_REAL_GRADIENT_TILE(PT, QT)                                                                             \
    KT_INLINE void KT_V(real_gradient_##PT##_##QT)(int p, int q, int p0, int q0, ptrdiff_t outer, ptrdiff_t inner, \
                                                   const float *gy, const float *x, float *gw) {                   \
        VF s[PT][QT];                                                                                              \
        for (int i = 0; i < PT; i++) {                                                                             \
            for (int j = 0; j < QT; j++) s[i][j] = (VF){0};                                                        \
        }                                                                                                          \
        for (ptrdiff_t a = 0; a < outer; a++) {                                                                    \
            const float *g = gy + (a * p0 + p) * inner, *xs = x + (a * q0 + q) * inner;                            \
            for (ptrdiff_t r = 0; r < inner; r += 8) {                                                             \
                VF gv[PT], xv[QT];                                                                                 \
                for (int i = 0; i < PT; i++) gv[i] = KT_V(load)(g + i * inner + r);                                \
                for (int j = 0; j < QT; j++) xv[j] = KT_V(load)(xs + j * inner + r);                               \
                for (int i = 0; i < PT; i++) {                                                                     \
                    for (int j = 0; j < QT; j++) s[i][j] = s[i][j] + gv[i] * xv[j];                                \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
        for (int i = 0; i < PT; i++) {                                                                             \
            for (int j = 0; j < QT; j++) {                                                                         \
                float *lanes = gw + ((p + i) * q0 + q + j) * 8;                                                    \
                KT_V(store)(lanes, KT_V(load)(lanes) + s[i][j]);                                                   \
            }                                                                                                      \
        }                                                                                                          \
    }
#define KT_REAL_GRADIENT_TILE_EXPANDED(PT, QT) KT_REAL_GRADIENT_TILE(PT, QT)
KT_REAL_GRADIENT_TILE_EXPANDED(KT_GRADIENT_ROWS, 4)
KT_REAL_GRADIENT_TILE_EXPANDED(KT_GRADIENT_ROWS, 1)
#define KT_REAL_GRADIENT_NAME_(PT, QT) KT_V(real_gradient_##PT##_##QT)
#define KT_REAL_GRADIENT_NAME(PT, QT) KT_REAL_GRADIENT_NAME_(PT, QT)
KT_REAL_GRADIENT_TILE(1, 4)
KT_REAL_GRADIENT_TILE(1, 1)

static KT_TARGET void KT_V(real_mode_gradient)(int p0, int q0, ptrdiff_t outer, ptrdiff_t inner, const float *gy,
                                               const float *x, float *gw) {
    if (inner % 8 != 0) {
        kt_scalar_real_mode_gradient(p0, q0, outer, inner, gy, x, gw);
        return;
    }
    // For the first factor x is the chain's input, which the forward pass stored on the tape many steps ago (out of
    // cache), read in short runs with a large stride when the mode is a late one; asking for all its lines at once
    // overlaps their misses (measured while the intermediates were stored too: a Kronecker LSTM's 32 × 32 mode
    // gradient 15 % faster). The other factors read intermediates just recomputed, in cache, where the prefetches
    // find their lines present. Only for inputs that fit L2 comfortably.
    const ptrdiff_t x_bytes = outer * q0 * inner * (ptrdiff_t)sizeof(float);
    if (x_bytes <= 32768) {
        for (ptrdiff_t o = 0; o < x_bytes; o += 64) __builtin_prefetch((const char *)x + o, 0, 2);
    }
    int p = 0;
    for (; p + KT_GRADIENT_ROWS <= p0; p += KT_GRADIENT_ROWS) {
        int q = 0;
        for (; q + 4 <= q0; q += 4) KT_REAL_GRADIENT_NAME(KT_GRADIENT_ROWS, 4)(p, q, p0, q0, outer, inner, gy, x, gw);
        for (; q < q0; q++) KT_REAL_GRADIENT_NAME(KT_GRADIENT_ROWS, 1)(p, q, p0, q0, outer, inner, gy, x, gw);
    }
    for (; p < p0; p++) {
        int q = 0;
        for (; q + 4 <= q0; q += 4) KT_V(real_gradient_1_4)(p, q, p0, q0, outer, inner, gy, x, gw);
        for (; q < q0; q++) KT_V(real_gradient_1_1)(p, q, p0, q0, outer, inner, gy, x, gw);
    }
}

static KT_TARGET void KT_V(complex_mode_gradient)(int p0, int q0, ptrdiff_t outer, ptrdiff_t inner,
                                                  const float *gyr, const float *gyi, const float *xr,
                                                  const float *xi, float *gwr, float *gwi) {
    if (inner % 8 != 0) {
        kt_scalar_complex_mode_gradient(p0, q0, outer, inner, gyr, gyi, xr, xi, gwr, gwi);
        return;
    }
    for (int p = 0; p < p0; p++) {
        for (int q = 0; q < q0; q++) {
            VF sr = {0}, si = {0};
            for (ptrdiff_t a = 0; a < outer; a++) {
                ptrdiff_t g = (a * p0 + p) * inner, c = (a * q0 + q) * inner;
                for (ptrdiff_t r = 0; r < inner; r += 8) {
                    // ȳ·conj(x) = (br + i·bi)(cr − i·ci)
                    VF br = KT_V(load)(gyr + g + r), bi = KT_V(load)(gyi + g + r);
                    VF cr = KT_V(load)(xr + c + r), ci = KT_V(load)(xi + c + r);
                    sr = sr + br * cr + bi * ci;
                    si = si + bi * cr - br * ci;
                }
            }
            gwr[p * q0 + q] += KT_V(sum)(sr);
            gwi[p * q0 + q] += KT_V(sum)(si);
        }
    }
}

static KT_TARGET void KT_V(complex_mode_backward_2x2)(const float *wr, const float *wi, ptrdiff_t outer,
                                                      ptrdiff_t inner, const float *gyr, const float *gyi,
                                                      const float *xr, const float *xi, float *gwr, float *gwi,
                                                      float *gxr, float *gxi, int accumulate) {
    // Two sweeps, so that each keeps its operands in sixteen registers (AVX2): the gradient's eight partial sums
    // with the four vectors of ȳ and two of x, then x̄ with the weights. Fused into one, the sweep needed 24 and
    // kept six sums on the stack.
    VF sr[4] = {{0}, {0}, {0}, {0}}, si[4] = {{0}, {0}, {0}, {0}};
    for (ptrdiff_t o = 0; o < outer; o++) {
        ptrdiff_t base = 2 * o * inner;
        for (ptrdiff_t r = 0; r < inner; r += 8) {
            ptrdiff_t i0 = base + r, i1 = base + inner + r;
            VF g0r = KT_V(load)(gyr + i0), g0i = KT_V(load)(gyi + i0);
            VF g1r = KT_V(load)(gyr + i1), g1i = KT_V(load)(gyi + i1);
            // W̄[p, q] += ȳ[p]·conj(x[q])
            VF x0r = KT_V(load)(xr + i0), x0i = KT_V(load)(xi + i0);
            sr[0] = sr[0] + g0r * x0r + g0i * x0i, si[0] = si[0] + g0i * x0r - g0r * x0i;
            sr[2] = sr[2] + g1r * x0r + g1i * x0i, si[2] = si[2] + g1i * x0r - g1r * x0i;
            VF x1r = KT_V(load)(xr + i1), x1i = KT_V(load)(xi + i1);
            sr[1] = sr[1] + g0r * x1r + g0i * x1i, si[1] = si[1] + g0i * x1r - g0r * x1i;
            sr[3] = sr[3] + g1r * x1r + g1i * x1i, si[3] = si[3] + g1i * x1r - g1r * x1i;
        }
    }
    for (int k = 0; k < 4; k++) {
        gwr[k] += KT_V(sum)(sr[k]);
        gwi[k] += KT_V(sum)(si[k]);
    }
    if (!gxr) return;
    // x̄[q] = Σ_p conj(W[p, q])·ȳ[p]: the forward product with the adjoint's weights (Wᵀ, imaginary part
    // negated).
    const float adjoint_re[4] = {wr[0], wr[2], wr[1], wr[3]}, adjoint_im[4] = {-wi[0], -wi[2], -wi[1], -wi[3]};
    KT_V(complex_2x2)(adjoint_re, adjoint_im, outer, inner, gyr, gyi, gxr, gxi, accumulate);
}

// MARK: Dense product for a worker's streams

KT_INLINE VW KT_V(load_w)(const float *p) {
    VW v;
    memcpy(&v, p, sizeof v);
    return v;
}

KT_INLINE void KT_V(store_w)(float *p, VW v) { memcpy(p, &v, sizeof v); }

/// B (k × n, row-major) in panels of two registers' worth of columns: panel j holds columns j·NR ..< (j + 1)·NR,
/// row after row (k rows of NR floats, zero beyond column n), so the product streams each panel contiguously.
static KT_TARGET void KT_V(pack)(int k, int n, const float *b, ptrdiff_t ldb, float *packed) {
    const int nr = 2 * KT_LANES;
    for (int j0 = 0; j0 < n; j0 += nr) {
        int width = n - j0 < nr ? n - j0 : nr;
        float *panel = packed + (ptrdiff_t)j0 * k;
        for (int kk = 0; kk < k; kk++) {
            memcpy(panel + (ptrdiff_t)kk * nr, b + kk * ldb + j0, (size_t)width * sizeof(float));
            for (int j = width; j < nr; j++) panel[(ptrdiff_t)kk * nr + j] = 0;
        }
    }
}

/// MR rows of C = (or +=) A·B for one panel of B: MR × two registers of sums, A's entries broadcast. `width` columns
/// of C are stored (fewer than NR in the last panel).
#define KT_GEMM_ROWS(MR)                                                                                          \
    KT_INLINE void KT_V(gemm_rows_##MR)(int width, int k, const float *a, ptrdiff_t lda, const float *panel,       \
                                        float *c, ptrdiff_t ldc, int accumulate) {                                 \
        VW s0[MR], s1[MR];                                                                                         \
        for (int i = 0; i < MR; i++) s0[i] = s1[i] = (VW){0};                                                      \
        for (int kk = 0; kk < k; kk++) {                                                                           \
            VW b0 = KT_V(load_w)(panel + kk * 2 * KT_LANES), b1 = KT_V(load_w)(panel + kk * 2 * KT_LANES + KT_LANES); \
            for (int i = 0; i < MR; i++) {                                                                         \
                float s = a[i * lda + kk];                                                                         \
                s0[i] = s0[i] + s * b0;                                                                            \
                s1[i] = s1[i] + s * b1;                                                                            \
            }                                                                                                      \
        }                                                                                                          \
        for (int i = 0; i < MR; i++) {                                                                             \
            float sums[2 * KT_LANES];                                                                              \
            KT_V(store_w)(sums, s0[i]);                                                                            \
            KT_V(store_w)(sums + KT_LANES, s1[i]);                                                                 \
            float *row = c + i * ldc;                                                                              \
            if (accumulate) {                                                                                      \
                for (int j = 0; j < width; j++) row[j] += sums[j];                                                 \
            } else {                                                                                               \
                memcpy(row, sums, (size_t)width * sizeof(float));                                                  \
            }                                                                                                      \
        }                                                                                                          \
    }
#define KT_GEMM_ROWS_EXPANDED(MR) KT_GEMM_ROWS(MR)
KT_GEMM_ROWS_EXPANDED(KT_ROWS)
#if KT_ROWS != 4
KT_GEMM_ROWS(4)
#endif
KT_GEMM_ROWS(2)
KT_GEMM_ROWS(1)

#define KT_GEMM_ROWS_NAME_(MR) KT_V(gemm_rows_##MR)
#define KT_GEMM_ROWS_NAME(MR) KT_GEMM_ROWS_NAME_(MR)

static KT_TARGET void KT_V(small_gemm)(int m, int n, int k, const float *a, ptrdiff_t lda, const float *packed,
                                       float *c,
                                       ptrdiff_t ldc, int accumulate) {
    const int nr = 2 * KT_LANES;
    for (int j0 = 0; j0 < n; j0 += nr) {
        int width = n - j0 < nr ? n - j0 : nr;
        const float *panel = packed + (ptrdiff_t)j0 * k;
        int i = 0;
        for (; i + KT_ROWS <= m; i += KT_ROWS) {
            KT_GEMM_ROWS_NAME(KT_ROWS)(width, k, a + i * lda, lda, panel, c + i * ldc + j0, ldc, accumulate);
        }
        for (; i + 4 <= m; i += 4) {
            KT_V(gemm_rows_4)(width, k, a + i * lda, lda, panel, c + i * ldc + j0, ldc, accumulate);
        }
        for (; i + 2 <= m; i += 2) {
            KT_V(gemm_rows_2)(width, k, a + i * lda, lda, panel, c + i * ldc + j0, ldc, accumulate);
        }
        for (; i < m; i++) KT_V(gemm_rows_1)(width, k, a + i * lda, lda, panel, c + i * ldc + j0, ldc, accumulate);
    }
}

// MARK: Cells (see Sources/Train/Layers/RealCell.swift for the formulas and their derivation)

/// Units k ..< k + len of row v. Always inlined with a constant `cell`, and with len = 8 for whole registers, so
/// neither the cell's switch nor the partial loads remain in the loops.
KT_INLINE void KT_V(cell_forward_chunk)(int cell, int n, ptrdiff_t v, int k, int len, const float *const *input,
                                        const float *recurrent, const float *recurrent_bias, const float *previous_h,
                                        const float *previous_c, float *gates, float *extra, float *h) {
    int g = cell == KT_CELL_LSTM ? 4 : cell == KT_CELL_GRU ? 3 : 1;
    const float *a = input[v], *r = recurrent + v * g * n;
    float *gv = gates + v * g * n, *hv = h + v * n;
#define KT_PAIR(i) (KT_V(load_part)(a + (i) * n + k, len) + KT_V(load_part)(r + (i) * n + k, len))
    switch (cell) {
    case KT_CELL_RNN_TANH:
        KT_V(store_part)(hv + k, KT_V(tanh)(KT_PAIR(0)), len);
        break;
    case KT_CELL_RNN_RELU:
        KT_V(store_part)(hv + k, KT_V(max)(KT_PAIR(0), (VF){0}), len);
        break;
    case KT_CELL_LSTM: {
        VF i = KT_V(sigmoid)(KT_PAIR(0)), f = KT_V(sigmoid)(KT_PAIR(1));
        VF gg = KT_V(tanh)(KT_PAIR(2)), o = KT_V(sigmoid)(KT_PAIR(3));
        VF c = f * KT_V(load_part)(previous_c + v * n + k, len) + i * gg;
        KT_V(store_part)(gv + k, i, len);
        KT_V(store_part)(gv + n + k, f, len);
        KT_V(store_part)(gv + 2 * n + k, gg, len);
        KT_V(store_part)(gv + 3 * n + k, o, len);
        KT_V(store_part)(extra + v * n + k, c, len);
        KT_V(store_part)(hv + k, o * KT_V(tanh)(c), len);
        break;
    }
    case KT_CELL_GRU: {
        VF reset = KT_V(sigmoid)(KT_PAIR(0)), update = KT_V(sigmoid)(KT_PAIR(1));
        VF m = KT_V(load_part)(r + 2 * n + k, len);
        if (recurrent_bias) m = m + KT_V(load_part)(recurrent_bias + k, len);
        VF candidate = KT_V(tanh)(KT_V(load_part)(a + 2 * n + k, len) + reset * m);
        VF previous = KT_V(load_part)(previous_h + v * n + k, len);
        KT_V(store_part)(gv + k, reset, len);
        KT_V(store_part)(gv + n + k, update, len);
        KT_V(store_part)(gv + 2 * n + k, candidate, len);
        KT_V(store_part)(extra + v * n + k, m, len);
        KT_V(store_part)(hv + k, (1.0f - update) * candidate + update * previous, len);
        break;
    }
    }
#undef KT_PAIR
}

/// Every row, every unit: whole registers first, then the last partial one.
KT_INLINE void KT_V(cell_forward_rows)(int cell, ptrdiff_t rows, int n, const float *const *input,
                                       const float *recurrent,
                                       const float *recurrent_bias, const float *previous_h, const float *previous_c,
                                       float *gates, float *extra, float *h) {
    for (ptrdiff_t v = 0; v < rows; v++) {
        int k = 0;
        for (; k + 8 <= n; k += 8) {
            KT_V(cell_forward_chunk)(cell, n, v, k, 8, input, recurrent, recurrent_bias, previous_h, previous_c, gates,
                                     extra, h);
        }
        if (k < n) {
            KT_V(cell_forward_chunk)(cell, n, v, k, n - k, input, recurrent, recurrent_bias, previous_h, previous_c,
                                     gates, extra, h);
        }
    }
}

static KT_TARGET void KT_V(cell_forward)(int cell, ptrdiff_t rows, int n, const float *const *input,
                                         const float *recurrent,
                                         const float *recurrent_bias, const float *previous_h,
                                         const float *previous_c, float *gates, float *extra, float *h) {
    switch (cell) {
#define KT_CELL_CASE(CELL)                                                                                        \
    case CELL:                                                                                                     \
        KT_V(cell_forward_rows)(CELL, rows, n, input, recurrent, recurrent_bias, previous_h, previous_c, gates,    \
                                extra, h);                                                                         \
        break;
        KT_CELL_CASE(KT_CELL_RNN_TANH)
        KT_CELL_CASE(KT_CELL_RNN_RELU)
        KT_CELL_CASE(KT_CELL_LSTM)
        KT_CELL_CASE(KT_CELL_GRU)
#undef KT_CELL_CASE
    }
}

/// Units k ..< k + len of row v (inlined with a constant `cell` and, for whole registers, len = 8).
KT_INLINE void KT_V(cell_backward_chunk)(int cell, int n, ptrdiff_t v, int k, int len, const float *grad_h,
                                         const float *gates, const float *extra, const float *h,
                                         const float *previous_h, const float *previous_c, float *c_carry,
                                         float *h_carry, float *grad_input, float *grad_recurrent) {
    int g = cell == KT_CELL_LSTM ? 4 : cell == KT_CELL_GRU ? 3 : 1;
    const float *gv = gates + v * g * n;
    float *ax = grad_input + v * g * n, *ah = grad_recurrent + v * g * n;
    VF hbar = KT_V(load_part)(grad_h + v * n + k, len);
    VF carry = {0};
    switch (cell) {
    case KT_CELL_RNN_TANH: {
        VF hv = KT_V(load_part)(h + v * n + k, len);
        VF d = hbar * (1.0f - hv * hv);
        KT_V(store_part)(ax + k, d, len);
        KT_V(store_part)(ah + k, d, len);
        break;
    }
    case KT_CELL_RNN_RELU: {
        VF hv = KT_V(load_part)(h + v * n + k, len);
        VF d = KT_V(select)(hv > (VF){0}, hbar, (VF){0});
        KT_V(store_part)(ax + k, d, len);
        KT_V(store_part)(ah + k, d, len);
        break;
    }
    case KT_CELL_LSTM: {
        VF i = KT_V(load_part)(gv + k, len), f = KT_V(load_part)(gv + n + k, len);
        VF gg = KT_V(load_part)(gv + 2 * n + k, len), o = KT_V(load_part)(gv + 3 * n + k, len);
        VF tc = KT_V(tanh)(KT_V(load_part)(extra + v * n + k, len));
        VF dc = hbar * o * (1.0f - tc * tc) + KT_V(load_part)(c_carry + v * n + k, len);
        VF c0 = KT_V(load_part)(previous_c + v * n + k, len);
        VF di = dc * gg * i * (1.0f - i), df = dc * c0 * f * (1.0f - f);
        VF dg = dc * i * (1.0f - gg * gg), dout = hbar * tc * o * (1.0f - o);
        VF parts[4] = {di, df, dg, dout};
        for (int p = 0; p < 4; p++) {
            KT_V(store_part)(ax + p * n + k, parts[p], len);
            if (ah != ax) KT_V(store_part)(ah + p * n + k, parts[p], len);
        }
        KT_V(store_part)(c_carry + v * n + k, dc * f, len);
        break;
    }
    case KT_CELL_GRU: {
        VF reset = KT_V(load_part)(gv + k, len), update = KT_V(load_part)(gv + n + k, len);
        VF candidate = KT_V(load_part)(gv + 2 * n + k, len), m = KT_V(load_part)(extra + v * n + k, len);
        VF previous = KT_V(load_part)(previous_h + v * n + k, len);
        VF dn = hbar * (1.0f - update) * (1.0f - candidate * candidate);
        VF dz = hbar * (previous - candidate) * update * (1.0f - update);
        VF dr = dn * m * reset * (1.0f - reset);
        KT_V(store_part)(ax + k, dr, len);
        KT_V(store_part)(ax + n + k, dz, len);
        KT_V(store_part)(ax + 2 * n + k, dn, len);
        KT_V(store_part)(ah + k, dr, len);
        KT_V(store_part)(ah + n + k, dz, len);
        KT_V(store_part)(ah + 2 * n + k, dn * reset, len);
        carry = hbar * update;
        break;
    }
    }
    KT_V(store_part)(h_carry + v * n + k, carry, len);
}

static KT_TARGET void KT_V(cell_backward)(int cell, ptrdiff_t rows, int n, const float *grad_h, const float *gates,
                                          const float *extra, const float *h, const float *previous_h,
                                          const float *previous_c, float *c_carry, float *h_carry,
                                          float *grad_input, float *grad_recurrent) {
#define KT_CELL_ROWS(CELL)                                                                                        \
    for (ptrdiff_t v = 0; v < rows; v++) {                                                                         \
        int k = 0;                                                                                                 \
        for (; k + 8 <= n; k += 8) {                                                                               \
            KT_V(cell_backward_chunk)(CELL, n, v, k, 8, grad_h, gates, extra, h, previous_h, previous_c, c_carry,  \
                                      h_carry, grad_input, grad_recurrent);                                        \
        }                                                                                                          \
        if (k < n) {                                                                                               \
            KT_V(cell_backward_chunk)(CELL, n, v, k, n - k, grad_h, gates, extra, h, previous_h, previous_c,       \
                                      c_carry, h_carry, grad_input, grad_recurrent);                               \
        }                                                                                                          \
    }
    switch (cell) {
    case KT_CELL_RNN_TANH: KT_CELL_ROWS(KT_CELL_RNN_TANH) break;
    case KT_CELL_RNN_RELU: KT_CELL_ROWS(KT_CELL_RNN_RELU) break;
    case KT_CELL_LSTM: KT_CELL_ROWS(KT_CELL_LSTM) break;
    case KT_CELL_GRU: KT_CELL_ROWS(KT_CELL_GRU) break;
    }
#undef KT_CELL_ROWS
}

static KT_TARGET void KT_V(complex_activation_forward)(int activation, ptrdiff_t rows, int n, const float *zr,
                                                       const float *zi, const float *beta, float *hr, float *hi,
                                                       float *output) {
    for (ptrdiff_t v = 0; v < rows; v++) {
        ptrdiff_t o = v * n;
        for (int k = 0; k < n; k += 8) {
            int len = n - k < 8 ? n - k : 8;
            VF re = KT_V(load_part)(zr + o + k, len), im = KT_V(load_part)(zi + o + k, len);
            switch (activation) {
            case KT_ACTIVATION_MODRELU: {
                VF r = __builtin_elementwise_sqrt(re * re + im * im);
                VF shifted = r + KT_V(load_part)(beta + k, len);
                VI live = (shifted > (VF){0}) & (r > (VF){0});
                VF scale = KT_V(select)(live, shifted / KT_V(select)(live, r, KT_V(splat)(1.0f)), (VF){0});
                re = re * scale;
                im = im * scale;
                break;
            }
            case KT_ACTIVATION_SPLIT_RELU:
                re = KT_V(max)(re, (VF){0});
                im = KT_V(max)(im, (VF){0});
                break;
            case KT_ACTIVATION_SPLIT_TANH:
                re = KT_V(tanh)(re);
                im = KT_V(tanh)(im);
                break;
            }
            KT_V(store_part)(hr + o + k, re, len);
            KT_V(store_part)(hi + o + k, im, len);
            if (output) {
                KT_V(store_part)(output + 2 * o + k, re, len);
                KT_V(store_part)(output + 2 * o + n + k, im, len);
            }
        }
    }
}

static KT_TARGET void KT_V(complex_activation_backward)(int activation, ptrdiff_t rows, int n, const float *zr,
                                                        const float *zi, const float *hr, const float *hi,
                                                        const float *beta, const float *grad_output,
                                                        const float *carry_r, const float *carry_i, float *gzr,
                                                        float *gzi, float *grad_beta) {
    for (ptrdiff_t v = 0; v < rows; v++) {
        ptrdiff_t o = v * n;
        for (int k = 0; k < n; k += 8) {
            int len = n - k < 8 ? n - k : 8;
            VF gr = KT_V(load_part)(grad_output + 2 * o + k, len), gi = KT_V(load_part)(grad_output + 2 * o + n + k,
                len);
            if (carry_r) {
                gr = gr + KT_V(load_part)(carry_r + o + k, len);
                gi = gi + KT_V(load_part)(carry_i + o + k, len);
            }
            switch (activation) {
            case KT_ACTIVATION_MODRELU: {
                VF re = KT_V(load_part)(zr + o + k, len), im = KT_V(load_part)(zi + o + k, len);
                VF b = KT_V(load_part)(beta + k, len);
                VF r = __builtin_elementwise_sqrt(re * re + im * im);
                VI live = ((r + b) > (VF){0}) & (r > (VF){0});
                VF safe = KT_V(select)(live, r, KT_V(splat)(1.0f));
                // (1 + β/r)·h̄ − (β/r³)·Re(conj(h̄)·z)·z written with u = z/r as
                // h̄ + (β/r)·(h̄ − Re(conj(h̄)·u)·u): the direct form underflows r³ to 0 for r below ~1e-15
                // (a finite gradient becomes ∞, the update NaN after clipping) and cancels two huge terms.
                VF ur = re / safe, ui = im / safe, ratio = b / safe;
                VF along = gr * ur + gi * ui;  // Re(conj(h̄)·u), β̄'s term
                VF gb = KT_V(select)(live, along, (VF){0});
                gr = KT_V(select)(live, gr + ratio * (gr - along * ur), (VF){0});
                gi = KT_V(select)(live, gi + ratio * (gi - along * ui), (VF){0});
                KT_V(store_part)(grad_beta + k, KT_V(load_part)(grad_beta + k, len) + gb, len);
                break;
            }
            case KT_ACTIVATION_SPLIT_RELU:
                gr = KT_V(select)(KT_V(load_part)(zr + o + k, len) > (VF){0}, gr, (VF){0});
                gi = KT_V(select)(KT_V(load_part)(zi + o + k, len) > (VF){0}, gi, (VF){0});
                break;
            case KT_ACTIVATION_SPLIT_TANH: {
                VF a = KT_V(load_part)(hr + o + k, len), b = KT_V(load_part)(hi + o + k, len);
                gr = gr * (1.0f - a * a);
                gi = gi * (1.0f - b * b);
                break;
            }
            }
            KT_V(store_part)(gzr + o + k, gr, len);
            KT_V(store_part)(gzi + o + k, gi, len);
        }
    }
}

// MARK: Transpose

/// Eight rows of eight floats → their eight columns (three rounds of lane shuffles).
KT_INLINE void KT_V(transpose8)(const VF r[8], VF out[8]) {
    VF t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        s[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        s[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        s[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int i = 0; i < 4; i++) {
        out[i] = __builtin_shufflevector(s[i], s[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        out[i + 4] = __builtin_shufflevector(s[i], s[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

static KT_TARGET void KT_V(transpose)(ptrdiff_t rows, ptrdiff_t columns, const float *src, ptrdiff_t lds, float *dst,
                                      ptrdiff_t ldd, int accumulate) {
    ptrdiff_t r0 = 0;
    for (; r0 + 8 <= rows; r0 += 8) {
        ptrdiff_t c0 = 0;
        for (; c0 + 8 <= columns; c0 += 8) {
            VF in[8], out[8];
            for (int i = 0; i < 8; i++) in[i] = KT_V(load)(src + (r0 + i) * lds + c0);
            KT_V(transpose8)(in, out);
            for (int i = 0; i < 8; i++) {
                float *d = dst + (c0 + i) * ldd + r0;
                KT_V(store)(d, accumulate ? KT_V(load)(d) + out[i] : out[i]);
            }
        }
        for (ptrdiff_t r = r0; r < r0 + 8; r++) {
            for (ptrdiff_t c = c0; c < columns; c++) {
                dst[c * ldd + r] = (accumulate ? dst[c * ldd + r] : 0) + src[r * lds + c];
            }
        }
    }
    for (ptrdiff_t r = r0; r < rows; r++) {
        for (ptrdiff_t c = 0; c < columns; c++) {
            dst[c * ldd + r] = (accumulate ? dst[c * ldd + r] : 0) + src[r * lds + c];
        }
    }
}

static const kt_kernel_table KT_V(table) = {
    .transpose = KT_V(transpose),
    .real_mode_product = KT_V(real_mode_product),
    .complex_mode_product = KT_V(complex_mode_product),
    .real_mode_gradient = KT_V(real_mode_gradient),
    .complex_mode_gradient = KT_V(complex_mode_gradient),
    .complex_mode_backward_2x2 = KT_V(complex_mode_backward_2x2),
    .small_gemm = KT_V(small_gemm),
    .pack = KT_V(pack),
    .panel_width = 2 * KT_LANES,
    .cell_forward = KT_V(cell_forward),
    .cell_backward = KT_V(cell_backward),
    .complex_activation_forward = KT_V(complex_activation_forward),
    .complex_activation_backward = KT_V(complex_activation_backward),
};

#undef VF
#undef VI
#undef VW
#undef KT_INLINE
#undef KT_GEMM_ROWS_NAME
#undef KT_GEMM_ROWS_EXPANDED
#undef KT_GEMM_ROWS_NAME_
