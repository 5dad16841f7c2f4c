// One instruction-set variant of the complex 2 × 2 chain kernel. variants.c includes this file once
// per variant after defining:
//   KRU_V(name)       appends the variant's suffix to a name
//   KRU_TARGET        the function attribute that selects the instruction set (empty for the portable one)
//   KRU_LOG2_LANES    floats per vector register, log2 (SIMD width: 16 for AVX-512, 8 for AVX2, 4 otherwise)
//   KRU_LOG2_BLOCK    vectors per plane held in registers at once, log2
//   KRU_LANE_INDEX(m) the lane indices 0…LANES−1, each XORed with m (a shuffle pattern)
//
// The vector N = 2^F is viewed as N / LANES vectors of LANES floats per plane. Index digit f (factor f) is
// either a *lane digit* (the last log2 LANES factors: partners sit in the same register) or a *vector digit*
// (partners are different registers). A 2 × 2 factor on a vector digit is y_u = w00·u + w01·v,
// y_v = w10·u + w11·v on whole registers; on a lane digit it is y = A·x + B·swap(x), where swap exchanges
// the partner lanes and A, B pick w00/w01 or w11/w10 per lane. The same number of multiply-adds as the
// per-pass loops, but F passes over memory become 1 + ⌈(F − LOG2_LANES − LOG2_BLOCK) / LOG2_BLOCK⌉
// sweeps over register blocks, and the short runs of the last factors no longer run scalar.

#define KRU_LANES (1 << KRU_LOG2_LANES)
#define KRU_BLOCK (1 << KRU_LOG2_BLOCK)
#define VF KRU_V(vf)
#define VI KRU_V(vi)

typedef float VF __attribute__((vector_size(4 * KRU_LANES)));
typedef int32_t VI __attribute__((vector_size(4 * KRU_LANES)));

/// Complex 2 × 2 weights of one factor, as scalars (vector digits) or per-lane vectors (lane digits).
typedef struct { float r00, r01, r10, r11, i00, i01, i10, i11; } KRU_V(scalar_weights);
typedef struct { VF ar, ai, br, bi; } KRU_V(lane_weights);

static KRU_TARGET inline __attribute__((always_inline)) VF KRU_V(load)(const float *p) {
    VF v;
    memcpy(&v, p, sizeof v);
    return v;
}

static KRU_TARGET inline __attribute__((always_inline)) void KRU_V(store)(float *p, VF v) {
    memcpy(p, &v, sizeof v);
}

/// The vector with every lane equal to s (s − 0 keeps the sign of a zero weight).
static KRU_TARGET inline __attribute__((always_inline)) VF KRU_V(splat)(float s) {
    return s - (VF){0};
}

/// Lanes whose index has bit `bit` set take `set`, the others `clear` (bitwise select: exact).
static KRU_TARGET inline __attribute__((always_inline)) VF KRU_V(select)(int bit, float set, float clear) {
    const VI lane = {KRU_LANE_INDEX(0)};
    const VI mask = -((lane >> bit) & 1);
    return (VF)(((VI)KRU_V(splat)(set) & mask) | ((VI)KRU_V(splat)(clear) & ~mask));
}

/// x with each lane exchanged for the lane whose index differs in bit `bit` (a constant after unrolling).
static KRU_TARGET inline __attribute__((always_inline)) VF KRU_V(swap)(VF x, int bit) {
    switch (bit) {
    case 0: return __builtin_shufflevector(x, x, KRU_LANE_INDEX(1));
    case 1: return __builtin_shufflevector(x, x, KRU_LANE_INDEX(2));
#if KRU_LOG2_LANES > 2
    case 2: return __builtin_shufflevector(x, x, KRU_LANE_INDEX(4));
#endif
#if KRU_LOG2_LANES > 3
    case 3: return __builtin_shufflevector(x, x, KRU_LANE_INDEX(8));
#endif
    default: return x;  // unreachable: bit < KRU_LOG2_LANES
    }
}

static inline KRU_V(scalar_weights) KRU_V(scalar_weights_of)(const float *wr, const float *wi, int factor) {
    const float *r = wr + 4 * factor, *i = wi + 4 * factor;
    return (KRU_V(scalar_weights)){r[0], r[1], r[2], r[3], i[0], i[1], i[2], i[3]};
}

/// Lane digit `bit`: a lane with the bit clear holds u (y_u = w00·u + w01·v), one with it set holds v
/// (y_v = w11·v + w10·u), so A = w00 | w11 and B = w01 | w10.
static KRU_TARGET inline __attribute__((always_inline)) KRU_V(lane_weights)
KRU_V(lane_weights_of)(const float *wr, const float *wi, int factor, int bit) {
    const float *r = wr + 4 * factor, *i = wi + 4 * factor;
    return (KRU_V(lane_weights)){
        KRU_V(select)(bit, r[3], r[0]), KRU_V(select)(bit, i[3], i[0]),
        KRU_V(select)(bit, r[2], r[1]), KRU_V(select)(bit, i[2], i[1])};
}

/// The 2 × 2 factor of vector digit `bit` (of the block index t) on a block of `count` registers per plane.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(vertical)(VF *re, VF *im, int count, int bit, KRU_V(scalar_weights) w) {
    for (int t = 0; t < count; t++) {
        if (t & (1 << bit)) continue;
        const int s = t | (1 << bit);
        const VF ur = re[t], ui = im[t], vr = re[s], vi = im[s];
        re[t] = w.r00 * ur - w.i00 * ui + w.r01 * vr - w.i01 * vi;
        im[t] = w.r00 * ui + w.i00 * ur + w.r01 * vi + w.i01 * vr;
        re[s] = w.r10 * ur - w.i10 * ui + w.r11 * vr - w.i11 * vi;
        im[s] = w.r10 * ui + w.i10 * ur + w.r11 * vi + w.i11 * vr;
    }
}

/// The 2 × 2 factor of lane digit `bit` on one register pair.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(lane)(VF *re, VF *im, int bit, const KRU_V(lane_weights) *w) {
    const VF xr = *re, xi = *im, pr = KRU_V(swap)(xr, bit), pi = KRU_V(swap)(xi, bit);
    *re = w->ar * xr - w->ai * xi + w->br * pr - w->bi * pi;
    *im = w->ar * xi + w->ai * xr + w->br * pi + w->bi * pr;
}

/// Sweep over register blocks of 2^k registers per plane at a stride of `stride` registers, applying the
/// factors of vector digits g … g + k − 1 (block bit i belongs to factor g + k − 1 − i), in place on y.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(vertical_sweep)(int k, int g, ptrdiff_t stride, ptrdiff_t groups, const float *wr, const float *wi,
                      float *yr, float *yi) {
    enum { MAX = KRU_BLOCK };
    const int count = 1 << k;
    KRU_V(scalar_weights) w[KRU_LOG2_BLOCK];
    for (int i = 0; i < k; i++) w[i] = KRU_V(scalar_weights_of)(wr, wi, g + k - 1 - i);
    for (ptrdiff_t hi = 0; hi < groups; hi++) {
        for (ptrdiff_t lo = 0; lo < stride; lo++) {
            const ptrdiff_t base = (hi * count * stride + lo) * KRU_LANES;
            VF re[MAX], im[MAX];
            for (int t = 0; t < count; t++) {
                re[t] = KRU_V(load)(yr + base + t * stride * KRU_LANES);
                im[t] = KRU_V(load)(yi + base + t * stride * KRU_LANES);
            }
            for (int i = 0; i < k; i++) KRU_V(vertical)(re, im, count, i, w[i]);
            for (int t = 0; t < count; t++) {
                KRU_V(store)(yr + base + t * stride * KRU_LANES, re[t]);
                KRU_V(store)(yi + base + t * stride * KRU_LANES, im[t]);
            }
        }
    }
}

static KRU_TARGET void KRU_V(chain)(
    int factorCount, const float *wr, const float *wi, ptrdiff_t batchSize, const float *xr, const float *xi,
    float *yr, float *yi) {
    const ptrdiff_t length = (ptrdiff_t)1 << factorCount;
    const int vectorDigits = factorCount - KRU_LOG2_LANES;
    // Vector digits left after the first sweep: factors 0 … remaining − 1.
    const int remaining = vectorDigits - KRU_LOG2_BLOCK;
    KRU_V(lane_weights) lanes[KRU_LOG2_LANES];
    for (int bit = 0; bit < KRU_LOG2_LANES; bit++)
        lanes[bit] = KRU_V(lane_weights_of)(wr, wi, factorCount - 1 - bit, bit);
    KRU_V(scalar_weights) low[KRU_LOG2_BLOCK];
    for (int bit = 0; bit < KRU_LOG2_BLOCK; bit++)
        low[bit] = KRU_V(scalar_weights_of)(wr, wi, vectorDigits - 1 - bit);

    for (ptrdiff_t v = 0; v < batchSize; v++) {
        const float *sr = xr + v * length, *si = xi + v * length;
        float *dr = yr + v * length, *di = yi + v * length;
        // Sweep 1: contiguous blocks; the lane factors and the lowest vector-digit factors.
        for (ptrdiff_t base = 0; base < length; base += KRU_BLOCK * KRU_LANES) {
            VF re[KRU_BLOCK], im[KRU_BLOCK];
            for (int t = 0; t < KRU_BLOCK; t++) {
                re[t] = KRU_V(load)(sr + base + t * KRU_LANES);
                im[t] = KRU_V(load)(si + base + t * KRU_LANES);
            }
            for (int t = 0; t < KRU_BLOCK; t++)
                for (int bit = 0; bit < KRU_LOG2_LANES; bit++) KRU_V(lane)(&re[t], &im[t], bit, &lanes[bit]);
            for (int bit = 0; bit < KRU_LOG2_BLOCK; bit++) KRU_V(vertical)(re, im, KRU_BLOCK, bit, low[bit]);
            for (int t = 0; t < KRU_BLOCK; t++) {
                KRU_V(store)(dr + base + t * KRU_LANES, re[t]);
                KRU_V(store)(di + base + t * KRU_LANES, im[t]);
            }
        }
        // Later sweeps, in place: the remaining vector digits, up to KRU_LOG2_BLOCK of them per sweep,
        // lowest first. Each case is a separate copy with a constant block size, so the block stays in registers.
        for (int end = remaining; end > 0;) {
            const int k = end < KRU_LOG2_BLOCK ? end : KRU_LOG2_BLOCK, g = end - k;
            const ptrdiff_t stride = (ptrdiff_t)1 << (vectorDigits - end), groups = (ptrdiff_t)1 << g;
            switch (k) {
            case 1: KRU_V(vertical_sweep)(1, g, stride, groups, wr, wi, dr, di); break;
            case 2: KRU_V(vertical_sweep)(2, g, stride, groups, wr, wi, dr, di); break;
#if KRU_LOG2_BLOCK > 2
            case 3: KRU_V(vertical_sweep)(3, g, stride, groups, wr, wi, dr, di); break;
#endif
            default: break;  // unreachable: k ≤ KRU_LOG2_BLOCK
            }
            end = g;
        }
    }
}

#undef VF
#undef VI
#undef KRU_LANES
#undef KRU_BLOCK
