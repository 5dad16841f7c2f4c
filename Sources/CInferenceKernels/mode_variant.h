// One instruction-set variant of the Kronecker mode products for factors of any shape (variants.c includes this
// once per variant, after defining KRU_V and KRU_TARGET).
//
// A pass computes y[a, p, b] = Σ_q W[p, q]·x[a, q, b] starting from the q = 0 product and adding the others in
// ascending q, each product and each sum rounded separately (complex: each term is (w_r·x_r − w_i·x_i) and
// (w_r·x_i + w_i·x_r) before it is added). Outputs are independent, so the vector lanes run over them: over b when
// runs are long (the usual case), over p with the transposed factor when the run length R is 1 (the last mode).
// Lanes never change what one output computes, so every variant gives the same bits.

#pragma clang fp contract(off)

/// Every lane equal to `value` (value − 0 keeps the sign of a zero weight; 0 + value would not).
#define KRU_SPLAT(type, value) ((value) - (type){0})

/// A real pass over `outer` blocks (the batch already folded in), storing or adding into y. Four outputs that
/// share their input loads (four blocks a over the last mode, four rows p otherwise) run side by side, so four
/// independent sums hide the latency of each addition.
static KRU_TARGET void KRU_V(real_pass)(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t outer, ptrdiff_t inner,
                                       const float *w, const float *wt, const float *x, float *y, int accumulate) {
#define KRU_OVER_P(type, width, load, store, count)                                                \
    for (; p + (width) <= rows; p += (width)) {                                                    \
        type sum[4];                                                                               \
        const type w0 = load(wt + p);                                                              \
        for (int i = 0; i < (count); i++) sum[i] = w0 * KRU_SPLAT(type, xa[i * columns]);          \
        for (ptrdiff_t q = 1; q < columns; q++) {                                                  \
            const type wq = load(wt + q * rows + p);                                               \
            for (int i = 0; i < (count); i++) sum[i] = sum[i] + wq * KRU_SPLAT(type, xa[i * columns + q]); \
        }                                                                                          \
        for (int i = 0; i < (count); i++)                                                          \
            store(ya + i * rows + p, accumulate ? load(ya + i * rows + p) + sum[i] : sum[i]);      \
    }
#define KRU_OVER_B(type, width, load, store, count)                                                \
    for (; b + (width) <= inner; b += (width)) {                                                   \
        type sum[4];                                                                               \
        const type x0 = load(xa + b);                                                              \
        for (int i = 0; i < (count); i++) sum[i] = KRU_SPLAT(type, wp[i * columns]) * x0;          \
        for (ptrdiff_t q = 1; q < columns; q++) {                                                  \
            const type xq = load(xa + q * inner + b);                                              \
            for (int i = 0; i < (count); i++) sum[i] = sum[i] + KRU_SPLAT(type, wp[i * columns + q]) * xq; \
        }                                                                                          \
        for (int i = 0; i < (count); i++)                                                          \
            store(yp + i * inner + b, accumulate ? load(yp + i * inner + b) + sum[i] : sum[i]);    \
    }
    if (inner == 1) {
        ptrdiff_t a = 0;
        for (; a + 4 <= outer; a += 4) {
            const float *xa = x + a * columns;
            float *ya = y + a * rows;
            ptrdiff_t p = 0;
            KRU_OVER_P(kru_f16, 16, kru_load16, kru_store16, 4)
            KRU_OVER_P(kru_f8, 8, kru_load8, kru_store8, 4)
            KRU_OVER_P(kru_f4, 4, kru_load4, kru_store4, 4)
            for (; p < rows; p++) {
                for (int i = 0; i < 4; i++) {
                    float sum = wt[p] * xa[i * columns];
                    for (ptrdiff_t q = 1; q < columns; q++) sum = sum + wt[q * rows + p] * xa[i * columns + q];
                    ya[i * rows + p] = accumulate ? ya[i * rows + p] + sum : sum;
                }
            }
        }
        for (; a < outer; a++) {
            const float *xa = x + a * columns;
            float *ya = y + a * rows;
            ptrdiff_t p = 0;
            KRU_OVER_P(kru_f16, 16, kru_load16, kru_store16, 1)
            KRU_OVER_P(kru_f8, 8, kru_load8, kru_store8, 1)
            KRU_OVER_P(kru_f4, 4, kru_load4, kru_store4, 1)
            for (; p < rows; p++) {
                float sum = wt[p] * xa[0];
                for (ptrdiff_t q = 1; q < columns; q++) sum = sum + wt[q * rows + p] * xa[q];
                ya[p] = accumulate ? ya[p] + sum : sum;
            }
        }
        return;
    }
    for (ptrdiff_t a = 0; a < outer; a++) {
        const float *xa = x + a * columns * inner;
        ptrdiff_t p0 = 0;
        for (; p0 + 4 <= rows; p0 += 4) {
            const float *wp = w + p0 * columns;
            float *yp = y + (a * rows + p0) * inner;
            ptrdiff_t b = 0;
            KRU_OVER_B(kru_f16, 16, kru_load16, kru_store16, 4)
            KRU_OVER_B(kru_f8, 8, kru_load8, kru_store8, 4)
            KRU_OVER_B(kru_f4, 4, kru_load4, kru_store4, 4)
            for (; b < inner; b++) {
                for (int i = 0; i < 4; i++) {
                    float sum = wp[i * columns] * xa[b];
                    for (ptrdiff_t q = 1; q < columns; q++) sum = sum + wp[i * columns + q] * xa[q * inner + b];
                    yp[i * inner + b] = accumulate ? yp[i * inner + b] + sum : sum;
                }
            }
        }
        for (ptrdiff_t p = p0; p < rows; p++) {
            const float *wp = w + p * columns;
            float *yp = y + (a * rows + p) * inner;
            ptrdiff_t b = 0;
            KRU_OVER_B(kru_f16, 16, kru_load16, kru_store16, 1)
            KRU_OVER_B(kru_f8, 8, kru_load8, kru_store8, 1)
            KRU_OVER_B(kru_f4, 4, kru_load4, kru_store4, 1)
            for (; b < inner; b++) {
                float sum = wp[0] * xa[b];
                for (ptrdiff_t q = 1; q < columns; q++) sum = sum + wp[q] * xa[q * inner + b];
                yp[b] = accumulate ? yp[b] + sum : sum;
            }
        }
    }
#undef KRU_OVER_B
#undef KRU_OVER_P
}

/// The complex pass on split planes.
static KRU_TARGET void KRU_V(complex_pass)(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t outer, ptrdiff_t inner,
                                          const float *wr, const float *wi, const float *wtr, const float *wti,
                                          const float *xr, const float *xi, float *yr, float *yi, int accumulate) {
#define KRU_RUN_OVER_B(type, width, load, store)                                                   \
    for (; b + (width) <= inner; b += (width)) {                                                   \
        type ur = load(ar + b), ui = load(ai + b);                                                 \
        type cr = KRU_SPLAT(type, wpr[0]), ci = KRU_SPLAT(type, wpi[0]);                           \
        type sr = cr * ur - ci * ui, si = cr * ui + ci * ur;                                       \
        for (ptrdiff_t q = 1; q < columns; q++) {                                                  \
            ur = load(ar + q * inner + b);                                                         \
            ui = load(ai + q * inner + b);                                                         \
            cr = KRU_SPLAT(type, wpr[q]);                                                          \
            ci = KRU_SPLAT(type, wpi[q]);                                                          \
            sr = sr + (cr * ur - ci * ui);                                                         \
            si = si + (cr * ui + ci * ur);                                                         \
        }                                                                                          \
        store(ypr + b, accumulate ? load(ypr + b) + sr : sr);                                      \
        store(ypi + b, accumulate ? load(ypi + b) + si : si);                                      \
    }
#define KRU_RUN_OVER_P(type, width, load, store)                                                   \
    for (; p + (width) <= rows; p += (width)) {                                                    \
        type ur = KRU_SPLAT(type, ar[0]), ui = KRU_SPLAT(type, ai[0]);                             \
        type cr = load(wtr + p), ci = load(wti + p);                                               \
        type sr = cr * ur - ci * ui, si = cr * ui + ci * ur;                                       \
        for (ptrdiff_t q = 1; q < columns; q++) {                                                  \
            ur = KRU_SPLAT(type, ar[q]);                                                           \
            ui = KRU_SPLAT(type, ai[q]);                                                           \
            cr = load(wtr + q * rows + p);                                                         \
            ci = load(wti + q * rows + p);                                                         \
            sr = sr + (cr * ur - ci * ui);                                                         \
            si = si + (cr * ui + ci * ur);                                                         \
        }                                                                                          \
        store(yar + p, accumulate ? load(yar + p) + sr : sr);                                      \
        store(yai + p, accumulate ? load(yai + p) + si : si);                                      \
    }
    if (inner == 1) {
        for (ptrdiff_t a = 0; a < outer; a++) {
            const float *ar = xr + a * columns, *ai = xi + a * columns;
            float *yar = yr + a * rows, *yai = yi + a * rows;
            ptrdiff_t p = 0;
            KRU_RUN_OVER_P(kru_f16, 16, kru_load16, kru_store16)
            KRU_RUN_OVER_P(kru_f8, 8, kru_load8, kru_store8)
            KRU_RUN_OVER_P(kru_f4, 4, kru_load4, kru_store4)
            for (; p < rows; p++) {
                float sr = wtr[p] * ar[0] - wti[p] * ai[0], si = wtr[p] * ai[0] + wti[p] * ar[0];
                for (ptrdiff_t q = 1; q < columns; q++) {
                    const float cr = wtr[q * rows + p], ci = wti[q * rows + p];
                    sr = sr + (cr * ar[q] - ci * ai[q]);
                    si = si + (cr * ai[q] + ci * ar[q]);
                }
                yar[p] = accumulate ? yar[p] + sr : sr;
                yai[p] = accumulate ? yai[p] + si : si;
            }
        }
        return;
    }
    for (ptrdiff_t a = 0; a < outer; a++) {
        const float *ar = xr + a * columns * inner, *ai = xi + a * columns * inner;
        for (ptrdiff_t p = 0; p < rows; p++) {
            const float *wpr = wr + p * columns, *wpi = wi + p * columns;
            float *ypr = yr + (a * rows + p) * inner, *ypi = yi + (a * rows + p) * inner;
            ptrdiff_t b = 0;
            KRU_RUN_OVER_B(kru_f16, 16, kru_load16, kru_store16)
            KRU_RUN_OVER_B(kru_f8, 8, kru_load8, kru_store8)
            KRU_RUN_OVER_B(kru_f4, 4, kru_load4, kru_store4)
            for (; b < inner; b++) {
                float sr = wpr[0] * ar[b] - wpi[0] * ai[b], si = wpr[0] * ai[b] + wpi[0] * ar[b];
                for (ptrdiff_t q = 1; q < columns; q++) {
                    const float ur = ar[q * inner + b], ui = ai[q * inner + b];
                    sr = sr + (wpr[q] * ur - wpi[q] * ui);
                    si = si + (wpr[q] * ui + wpi[q] * ur);
                }
                ypr[b] = accumulate ? ypr[b] + sr : sr;
                ypi[b] = accumulate ? ypi[b] + si : si;
            }
        }
    }
#undef KRU_RUN_OVER_B
#undef KRU_RUN_OVER_P
}

/// See kru_real_mode_chain.
static KRU_TARGET void KRU_V(real_chain)(int passCount, const kru_mode_pass *passes, const float *w,
                                        const float *wt, ptrdiff_t batch, const float *x, float *y,
                                        ptrdiff_t yStride, int accumulate, float *scratch0, float *scratch1) {
    const float *source = x;
    for (int k = 0; k < passCount; k++) {
        const kru_mode_pass pass = passes[k];
        const float *pw = w + pass.weightOffset, *pwt = wt + pass.weightOffset;
        if (k < passCount - 1) {
            float *destination = k % 2 == 0 ? scratch0 : scratch1;
            KRU_V(real_pass)(pass.rows, pass.columns, pass.outer * batch, pass.inner, pw, pwt, source, destination, 0);
            source = destination;
            continue;
        }
        const ptrdiff_t inLength = pass.outer * pass.columns * pass.inner;
        const ptrdiff_t outLength = pass.outer * pass.rows * pass.inner;
        if (yStride == outLength) {
            KRU_V(real_pass)(pass.rows, pass.columns, pass.outer * batch, pass.inner, pw, pwt, source, y, accumulate);
        } else {
            for (ptrdiff_t v = 0; v < batch; v++)
                KRU_V(real_pass)(pass.rows, pass.columns, pass.outer, pass.inner, pw, pwt, source + v * inLength,
                                 y + v * yStride, accumulate);
        }
    }
}

/// See kru_complex_mode_chain.
static KRU_TARGET void KRU_V(complex_chain)(int passCount, const kru_mode_pass *passes, const float *wr,
                                           const float *wi, const float *wtr, const float *wti, ptrdiff_t batch,
                                           const float *xr, const float *xi, float *yr, float *yi,
                                           ptrdiff_t yStride, int accumulate, float *const scratch[4]) {
    const float *sr = xr, *si = xi;
    for (int k = 0; k < passCount; k++) {
        const kru_mode_pass pass = passes[k];
        const ptrdiff_t o = pass.weightOffset;
        if (k < passCount - 1) {
            float *dr = scratch[k % 2 == 0 ? 0 : 2], *di = scratch[k % 2 == 0 ? 1 : 3];
            KRU_V(complex_pass)(pass.rows, pass.columns, pass.outer * batch, pass.inner, wr + o, wi + o, wtr + o,
                                wti + o, sr, si, dr, di, 0);
            sr = dr;
            si = di;
            continue;
        }
        const ptrdiff_t inLength = pass.outer * pass.columns * pass.inner;
        const ptrdiff_t outLength = pass.outer * pass.rows * pass.inner;
        if (yStride == outLength) {
            KRU_V(complex_pass)(pass.rows, pass.columns, pass.outer * batch, pass.inner, wr + o, wi + o, wtr + o,
                                wti + o, sr, si, yr, yi, accumulate);
        } else {
            for (ptrdiff_t v = 0; v < batch; v++)
                KRU_V(complex_pass)(pass.rows, pass.columns, pass.outer, pass.inner, wr + o, wi + o, wtr + o,
                                    wti + o, sr + v * inLength, si + v * inLength, yr + v * yStride,
                                    yi + v * yStride, accumulate);
        }
    }
}

/// See kru_real_kronecker_sum.
static KRU_TARGET void KRU_V(real_kronecker_sum)(int gateCount, int termCount, int passCount,
                                                const kru_mode_pass *passes, const float *w, const float *wt,
                                                ptrdiff_t n, ptrdiff_t batch, const float *x, float *y,
                                                ptrdiff_t yStride, float *scratch0, float *scratch1) {
    for (int g = 0; g < gateCount; g++)
        for (int t = 0; t < termCount; t++)
            KRU_V(real_chain)(passCount, passes + (g * termCount + t) * passCount, w, wt, batch, x, y + g * n, yStride,
                              1, scratch0, scratch1);
}

#undef KRU_SPLAT

#pragma clang fp contract(on)
