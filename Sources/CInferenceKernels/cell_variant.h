// One instruction-set variant of the cells' elementwise work and of the sampler's exponential (variants.c includes
// this once per variant, after defining KRU_V and KRU_TARGET).
//
// tanh and the logistic sigmoid are computed in Double from the exponential of spec/SAMPLING.md §5.1 and rounded
// once to Float (docs/ENGINE.md): basic IEEE operations only, no FMA, no libm, so every platform and variant gets
// the same bits, and the Float result is the correctly rounded value except when the true value lies within about
// 1e-15 (relative) of a halfway point. Eight values go through at a time; array tails are padded with zeros.

#pragma clang fp contract(off)

/// The exponential of spec/SAMPLING.md §5.1 for x ≤ 0: Cody–Waite reduction with fdlibm's split of ln 2, the
/// degree-13 Taylor polynomial by Horner, an exact scaling by 2^k; x < −708 (and −∞) give 0. k = round-to-even of
/// x/ln 2 comes from adding and subtracting 1.5·2^52 (exact for |x/ln 2| < 2^51), which also leaves k in the low
/// bits of the sum for building 2^k. A −0 for k, where Swift's rounding gives −0 and this gives +0, changes only
/// the sign of a zero r, which the polynomial's first addition erases.
static KRU_TARGET inline __attribute__((always_inline)) kru_d8 KRU_V(exp_le0)(kru_d8 x) {
    const double invLn2 = 0x1.71547652b82fep+0, ln2Hi = 0x1.62e42fee00000p-1, ln2Lo = 0x1.a39ef35793c76p-33;
    const double magic = 0x1.8p52;
    const kru_l8 under = x < -708.0;
    const kru_d8 safe = (kru_d8)((kru_l8)x & ~under);
    const kru_d8 biased = safe * invLn2 + magic;
    const kru_d8 k = biased - magic;
    const kru_d8 r = (safe - k * ln2Hi) - k * ln2Lo;
    kru_d8 p = r * 0x1.6124613a86d09p-33 + 0x1.1eed8eff8d898p-29;
    p = p * r + 0x1.ae64567f544e4p-26;
    p = p * r + 0x1.27e4fb7789f5cp-22;
    p = p * r + 0x1.71de3a556c734p-19;
    p = p * r + 0x1.a01a01a01a01ap-16;
    p = p * r + 0x1.a01a01a01a01ap-13;
    p = p * r + 0x1.6c16c16c16c17p-10;
    p = p * r + 0x1.1111111111111p-7;
    p = p * r + 0x1.5555555555555p-5;
    p = p * r + 0x1.5555555555555p-3;
    p = p * r + 0x1.0000000000000p-1;
    p = p * r + 0x1.0000000000000p+0;
    p = p * r + 0x1.0000000000000p+0;
    // Unsigned arithmetic: lanes masked out below may hold anything, and must not overflow a signed type.
    const kru_u8 exponent = ((kru_u8)biased - (kru_u8)((kru_d8){0} + magic) + 1023) << 52;
    const kru_d8 result = p * (kru_d8)exponent;
    return (kru_d8)((kru_l8)result & ~under);
}

static KRU_TARGET inline __attribute__((always_inline)) kru_d8 KRU_V(abs_d)(kru_d8 x) {
    return (kru_d8)((kru_l8)x & INT64_MAX);
}

/// tanh in Double: |x| < 1/16 by its Taylor series to x⁹ (truncation below 1e-14 relative), otherwise
/// (1 − e)/(1 + e) with e = exp(−2|x|); the sign of x is put back last. NaN stays NaN.
static KRU_TARGET inline __attribute__((always_inline)) kru_d8 KRU_V(tanh_d)(kru_d8 x) {
    const kru_d8 a = KRU_V(abs_d)(x);
    const kru_d8 e = KRU_V(exp_le0)(-2.0 * a);
    const kru_d8 large = (1.0 - e) / (1.0 + e);
    const kru_d8 s = a * a;
    const kru_d8 series = a + a * (s * (-1.0 / 3 + s * (2.0 / 15 + s * (-17.0 / 315 + s * (62.0 / 2835)))));
    const kru_l8 small = a < 0.0625;
    const kru_l8 magnitude = ((kru_l8)series & small) | ((kru_l8)large & ~small);
    return (kru_d8)(magnitude | ((kru_l8)x & INT64_MIN));
}

/// The logistic sigmoid in Double: 1/(1 + e) for x ≥ 0 and e/(1 + e) below, with e = exp(−|x|), so the
/// exponential never overflows. NaN stays NaN.
static KRU_TARGET inline __attribute__((always_inline)) kru_d8 KRU_V(sigmoid_d)(kru_d8 x) {
    const kru_d8 e = KRU_V(exp_le0)(-KRU_V(abs_d)(x));
    const kru_d8 denominator = 1.0 + e;
    const kru_l8 nonnegative = x >= 0.0;
    const kru_d8 one = (kru_d8){0} + 1.0;
    const kru_d8 numerator = (kru_d8)(((kru_l8)e & ~nonnegative) | ((kru_l8)one & nonnegative));
    return numerator / denominator;
}

static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(tanh8)(kru_f8 x) {
    return __builtin_convertvector(KRU_V(tanh_d)(__builtin_convertvector(x, kru_d8)), kru_f8);
}

static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(sigmoid8)(kru_f8 x) {
    return __builtin_convertvector(KRU_V(sigmoid_d)(__builtin_convertvector(x, kru_d8)), kru_f8);
}

/// max(x, 0) as Swift's `max` defines it (`0 >= x ? 0 : x`): NaN stays NaN, −0 becomes +0.
static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(relu8)(kru_f8 x) {
    const kru_i8 zero = (kru_f8){0} >= x;
    return (kru_f8)((kru_i8)x & ~zero);
}

static KRU_TARGET void KRU_V(tanh)(ptrdiff_t count, const float *x, float *y) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) kru_store8(y + i, KRU_V(tanh8)(kru_load8(x + i)));
    if (i < count) kru_store8_partial(y + i, KRU_V(tanh8)(kru_load8_partial(x + i, count - i)), count - i);
}

static KRU_TARGET void KRU_V(sigmoid)(ptrdiff_t count, const float *x, float *y) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) kru_store8(y + i, KRU_V(sigmoid8)(kru_load8(x + i)));
    if (i < count) kru_store8_partial(y + i, KRU_V(sigmoid8)(kru_load8_partial(x + i, count - i)), count - i);
}

/// The first `width` (1…8) floats at p, the other lanes zero.
static KRU_TARGET inline __attribute__((always_inline)) kru_f8 KRU_V(load_width)(const float *p, ptrdiff_t width) {
    return width == 8 ? kru_load8(p) : kru_load8_partial(p, width);
}

static KRU_TARGET inline __attribute__((always_inline)) void KRU_V(store_width)(float *p, kru_f8 v, ptrdiff_t width) {
    if (width == 8) kru_store8(p, v);
    else kru_store8_partial(p, v, width);
}

/// Runs the statements given over k = 0, 8, 16, … < n with width = min(8, n − k): the loop every cell shares. The
/// body loads with KRU_LOAD and stores with KRU_STORE, which handle a short last chunk.
#define KRU_FOR_CHUNKS(n, ...)                                                                      \
    for (ptrdiff_t k = 0; k < (n); k += 8) {                                                        \
        const ptrdiff_t width = (n) - k < 8 ? (n) - k : 8;                                          \
        __VA_ARGS__                                                                                 \
    }
#define KRU_LOAD(p) KRU_V(load_width)((p), width)
#define KRU_STORE(p, v) KRU_V(store_width)((p), (v), width)

static KRU_TARGET void KRU_V(rnn_tanh_cell)(ptrdiff_t n, ptrdiff_t batch, const float *const *gi, const float *gh,
                                            ptrdiff_t stride, float *h) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *i0 = gi[b], *h0 = gh + b * stride;
        float *hb = h + b * n;
        KRU_FOR_CHUNKS(n, { KRU_STORE(hb + k, KRU_V(tanh8)(KRU_LOAD(i0 + k) + KRU_LOAD(h0 + k))); })
    }
}

static KRU_TARGET void KRU_V(rnn_relu_cell)(ptrdiff_t n, ptrdiff_t batch, const float *const *gi, const float *gh,
                                            ptrdiff_t stride, float *h) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *i0 = gi[b], *h0 = gh + b * stride;
        float *hb = h + b * n;
        KRU_FOR_CHUNKS(n, { KRU_STORE(hb + k, KRU_V(relu8)(KRU_LOAD(i0 + k) + KRU_LOAD(h0 + k))); })
    }
}

/// Units k ..< k + 8·chunks of one stream's LSTM cell (the last chunk `width` wide), each gate computed for all
/// chunks side by side. A gate's Double exponential is a long chain of dependent operations; written one chunk
/// after another, the chains left the floating-point units waiting, and interleaving four took the cell from 10.1
/// to 8.7 ns per unit (N = 512, batch 32). Every unit's operations are unchanged.
static KRU_TARGET inline __attribute__((always_inline)) void
KRU_V(lstm_units)(int chunks, ptrdiff_t width, ptrdiff_t n, ptrdiff_t k, const float *gi, const float *gh, float *h,
                  float *c) {
    kru_f8 input[4], forget[4], candidate[4], output[4], cell[4];
    ptrdiff_t widths[4];
    for (int j = 0; j < chunks; j++) widths[j] = j == chunks - 1 ? width : 8;
#define KRU_GATE(g, j) (KRU_V(load_width)(gi + (g) * n + k + 8 * (j), widths[j]) \
                        + KRU_V(load_width)(gh + (g) * n + k + 8 * (j), widths[j]))
    for (int j = 0; j < chunks; j++) input[j] = KRU_V(sigmoid8)(KRU_GATE(0, j));
    for (int j = 0; j < chunks; j++) forget[j] = KRU_V(sigmoid8)(KRU_GATE(1, j));
    for (int j = 0; j < chunks; j++) candidate[j] = KRU_V(tanh8)(KRU_GATE(2, j));
    for (int j = 0; j < chunks; j++) output[j] = KRU_V(sigmoid8)(KRU_GATE(3, j));
#undef KRU_GATE
    for (int j = 0; j < chunks; j++) {
        cell[j] = forget[j] * KRU_V(load_width)(c + k + 8 * j, widths[j]) + input[j] * candidate[j];
        KRU_V(store_width)(c + k + 8 * j, cell[j], widths[j]);
    }
    for (int j = 0; j < chunks; j++) KRU_V(store_width)(h + k + 8 * j, output[j] * KRU_V(tanh8)(cell[j]), widths[j]);
}

/// PyTorch's LSTM, gates i, f, g, o: c' = f·c + i·g, h' = o·tanh(c').
static KRU_TARGET void KRU_V(lstm_cell)(ptrdiff_t n, ptrdiff_t batch, const float *const *gi, const float *gh,
                                        ptrdiff_t stride, float *h, float *c) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *gib = gi[b], *ghb = gh + b * stride;
        float *hb = h + b * n, *cb = c + b * n;
        ptrdiff_t k = 0;
        for (; k + 32 <= n; k += 32) KRU_V(lstm_units)(4, 8, n, k, gib, ghb, hb, cb);
        for (; k < n; k += 8) KRU_V(lstm_units)(1, n - k < 8 ? n - k : 8, n, k, gib, ghb, hb, cb);
    }
}

/// PyTorch's GRU, gates r, z, n: n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
static KRU_TARGET void KRU_V(gru_cell)(ptrdiff_t n, ptrdiff_t batch, const float *const *gi, const float *gh,
                                       ptrdiff_t stride, float *h) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *i0 = gi[b], *h0 = gh + b * stride;
        float *hb = h + b * n;
        KRU_FOR_CHUNKS(n, {
            const kru_f8 reset = KRU_V(sigmoid8)(KRU_LOAD(i0 + k) + KRU_LOAD(h0 + k));
            const kru_f8 update = KRU_V(sigmoid8)(KRU_LOAD(i0 + n + k) + KRU_LOAD(h0 + n + k));
            const kru_f8 candidate = KRU_V(tanh8)(KRU_LOAD(i0 + 2 * n + k) + reset * KRU_LOAD(h0 + 2 * n + k));
            KRU_STORE(hb + k, (1.0f - update) * candidate + update * KRU_LOAD(hb + k));
        })
    }
}

/// The complex cell's activation; modReLU: h = z·(|z| + β)/|z| where |z| + β > 0 and |z| > 0, else 0.
static KRU_TARGET void KRU_V(complex_activation)(int activation, ptrdiff_t n, ptrdiff_t batch, const float *zr,
                                                 const float *zi, const float *beta, float *hr, float *hi,
                                                 float *output) {
    for (ptrdiff_t b = 0; b < batch; b++) {
        const float *re0 = zr + b * n, *im0 = zi + b * n;
        float *hr0 = hr + b * n, *hi0 = hi + b * n, *out = output + b * 2 * n;
        KRU_FOR_CHUNKS(n, {
            const kru_f8 re = KRU_LOAD(re0 + k), im = KRU_LOAD(im0 + k);
            kru_f8 newRe, newIm;
            switch (activation) {
            case KRU_ACTIVATION_MODRELU: {
                const kru_f8 magnitude = __builtin_elementwise_sqrt(re * re + im * im);
                const kru_f8 shifted = magnitude + KRU_LOAD(beta + k);
                const kru_i8 keep = (shifted > 0.0f) & (magnitude > 0.0f);
                const kru_f8 scale = shifted / magnitude;
                newRe = (kru_f8)((kru_i8)(re * scale) & keep);
                newIm = (kru_f8)((kru_i8)(im * scale) & keep);
                break;
            }
            case KRU_ACTIVATION_SPLIT_RELU:
                newRe = KRU_V(relu8)(re);
                newIm = KRU_V(relu8)(im);
                break;
            default:
                newRe = KRU_V(tanh8)(re);
                newIm = KRU_V(tanh8)(im);
                break;
            }
            KRU_STORE(hr0 + k, newRe);
            KRU_STORE(hi0 + k, newIm);
            KRU_STORE(out + k, newRe);
            KRU_STORE(out + n + k, newIm);
        })
    }
}

#undef KRU_FOR_CHUNKS
#undef KRU_LOAD
#undef KRU_STORE

static KRU_TARGET void KRU_V(portable_exp)(ptrdiff_t count, const double *x, double *y) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) kru_store8d(y + i, KRU_V(exp_le0)(kru_load8d(x + i)));
    for (; i < count; i++) {
        double lanes[8] = {0};
        lanes[0] = x[i];
        y[i] = KRU_V(exp_le0)(kru_load8d(lanes))[0];
    }
}

/// w = exp((Double(x) − top) / T), or 0 for a NaN or −∞ logit (spec/SAMPLING.md §5.3).
static KRU_TARGET void KRU_V(softmax_weights)(ptrdiff_t count, const float *logits, double top,
                                              double temperature, double *w) {
    for (ptrdiff_t i = 0; i < count; i += 8) {
        const ptrdiff_t width = count - i < 8 ? count - i : 8;
        const kru_f8 x = width == 8 ? kru_load8(logits + i) : kru_load8_partial(logits + i, width);
        const kru_d8 scaled = (__builtin_convertvector(x, kru_d8) - top) / temperature;
        const kru_i8 excluded = (x != x) | (x == -__builtin_inff());
        const kru_l8 excluded64 = __builtin_convertvector(excluded, kru_l8);
        const kru_d8 weight = (kru_d8)((kru_l8)KRU_V(exp_le0)(scaled) & ~excluded64);
        if (width == 8) {
            kru_store8d(w + i, weight);
        } else {
            double lanes[8];
            kru_store8d(lanes, weight);
            memcpy(w + i, lanes, (size_t)width * sizeof(double));
        }
    }
}

#pragma clang fp contract(on)
