#ifndef KRU_TRAIN_KERNELS_H
#define KRU_TRAIN_KERNELS_H

// Single-precision kernels of the trainer's fast path (KRUTrain's `SinglePrecisionPass`): mode products of a
// Kronecker chain and their factor gradients (real and split-complex, any P × Q), a small-batch matrix product
// for dense recurrences, and the fused element-wise steps of the cells (forward and backward). Plain C with
// compiler vector extensions, compiled once per instruction set (portable, AVX2+FMA, AVX-512) and chosen at run
// time; see docs/TRAINING.md ("Precision and speed").
//
// Conventions: row-major; complex values as two planes (re, im) of equal length. A tensor for a mode product is
// viewed as [outer][Q][inner] (input) and [outer][P][inner] (output). Gradients follow the module's convention
// ḡ = ∂L/∂Re + i·∂L/∂Im. Results are deterministic for a given variant (fixed summation order).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    KT_VARIANT_PORTABLE = 0,
    KT_VARIANT_AVX2_FMA = 1,
    KT_VARIANT_AVX512 = 2,
    KT_VARIANT_COUNT = 3
};

/// The element-wise cell kinds of `kt_cell_forward` / `kt_cell_backward` (PyTorch's gate orders).
enum {
    KT_CELL_RNN_TANH = 0,
    KT_CELL_RNN_RELU = 1,
    KT_CELL_LSTM = 2,
    KT_CELL_GRU = 3
};

/// The complex activations of a `kru` cell.
enum {
    KT_ACTIVATION_MODRELU = 0,
    KT_ACTIVATION_SPLIT_RELU = 1,
    KT_ACTIVATION_SPLIT_TANH = 2
};

typedef struct {
    /// y (=, or += when `accumulate`) W ×_mode x for real W (P × Q).
    void (*real_mode_product)(const float *w, int p, int q, ptrdiff_t outer, ptrdiff_t inner, const float *x,
                              float *y, int accumulate);
    /// The same for complex W and x, y (split planes).
    void (*complex_mode_product)(const float *wr, const float *wi, int p, int q, ptrdiff_t outer, ptrdiff_t inner,
                                 const float *xr, const float *xi, float *yr, float *yi, int accumulate);
    /// W̄[p, q] += Σ_{a, r} ȳ[a, p, r]·x[a, q, r] (real), kept as 8 partial sums per entry — gw holds P·Q·8
    /// floats, entry (p, q) at (p·Q + q)·8 — so that a chain's many calls per pass reduce them only once
    /// (`kt_reduce_lanes`).
    void (*real_mode_gradient)(int p, int q, ptrdiff_t outer, ptrdiff_t inner, const float *gy, const float *x,
                               float *gw);
    /// W̄[p, q] += Σ_{a, r} ȳ[a, p, r]·conj(x[a, q, r]) (complex, split planes).
    void (*complex_mode_gradient)(int p, int q, ptrdiff_t outer, ptrdiff_t inner, const float *gyr,
                                  const float *gyi, const float *xr, const float *xi, float *gwr, float *gwi);
    /// The backward pass of one complex 2 × 2 mode in one call (the KRU's factors): W̄ += Σ ȳ·conj(x) and, unless
    /// `gxr` is NULL, x̄ (=, or += when `accumulate`) Wᴴ ×_mode ȳ. `inner` must be a multiple of 8.
    void (*complex_mode_backward_2x2)(const float *wr, const float *wi, ptrdiff_t outer, ptrdiff_t inner,
                                      const float *gyr, const float *gyi, const float *xr, const float *xi, float *gwr,
                                      float *gwi, float *gxr, float *gxi, int accumulate);
    /// C (m × n) (=, or += when `accumulate`) A (m × k) · B (k × n), A and C row-major with leading dimensions, B
    /// packed by `pack`; vectorised over n, for the few rows of a dense recurrence's streams.
    void (*small_gemm)(int m, int n, int k, const float *a, ptrdiff_t lda, const float *packed_b, float *c,
                       ptrdiff_t ldc, int accumulate);
    /// B (k × n, row-major, leading dimension ldb) into panels of `panel_width` columns for `small_gemm`:
    /// k·⌈n / panel_width⌉·panel_width floats.
    void (*pack)(int k, int n, const float *b, ptrdiff_t ldb, float *packed);
    /// Columns per panel of `pack`.
    int panel_width;
    /// One step of a real cell for `rows` streams of `n` units. `input[v]` points to row v's input half of the
    /// pre-activations (G·n floats; rows may share one, e.g. a token table's row) and `recurrent` holds the
    /// recurrent halves (rows × G·n, see RealCell.swift); `recurrent_bias` is the GRU's b_hh[n] (may be NULL);
    /// `previous_h`, `previous_c` (LSTM) rows × n. Writes `gates` (rows × G·n, LSTM and GRU), `extra` (rows × n:
    /// c for LSTM, R_n h + b_hh[n] for GRU) and `h`.
    void (*cell_forward)(int cell, ptrdiff_t rows, int n, const float *const *input, const float *recurrent,
                         const float *recurrent_bias, const float *previous_h, const float *previous_c, float *gates,
                         float *extra, float *h);
    /// Backward of one real-cell step. `grad_h` (rows × n) is h̄_t; `c_carry` (LSTM) holds c̄ from step t + 1 on
    /// entry and c̄_t·f on exit; `h_carry` receives the part of h̄_{t−1} that bypasses the recurrent product
    /// (GRU: z·h̄, else 0). Writes ā of the input side to `grad_input` and of the recurrent products to
    /// `grad_recurrent` (may equal `grad_input` except for GRU), both rows × G·n.
    void (*cell_backward)(int cell, ptrdiff_t rows, int n, const float *grad_h, const float *gates,
                          const float *extra, const float *h, const float *previous_h, const float *previous_c,
                          float *c_carry, float *h_carry, float *grad_input, float *grad_recurrent);
    /// h = act(z) for rows × n complex units; `beta` (n) is modReLU's bias. Also writes each row's output
    /// [Re h; Im h] (2n floats) to `output` unless it is NULL.
    void (*complex_activation_forward)(int activation, ptrdiff_t rows, int n, const float *zr, const float *zi,
                                       const float *beta, float *hr, float *hi, float *output);
    /// z̄ = act'(z)ᴴ h̄ with h̄ = the gradient of the output rows [Re h; Im h] (2n floats per row) plus, unless
    /// NULL, the carry from the next step (`carry_r`, `carry_i`, n per row); adds β̄ to `grad_beta` (modReLU).
    void (*complex_activation_backward)(int activation, ptrdiff_t rows, int n, const float *zr, const float *zi,
                                        const float *hr, const float *hi, const float *beta, const float *grad_output,
                                        const float *carry_r, const float *carry_i, float *gzr, float *gzi,
                                        float *grad_beta);
    /// dst[c·ldd + r] (=, or += when `accumulate`) src[r·lds + c] for a rows × columns block (a transpose between
    /// batch-major rows and the stream-interleaved layout of the chain kernels).
    void (*transpose)(ptrdiff_t rows, ptrdiff_t columns, const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd,
                      int accumulate);
} kt_kernel_table;

/// The kernels of `variant`, or NULL when this build or this CPU cannot run it.
const kt_kernel_table *kt_kernels(int variant);

/// The widest variant this CPU runs.
int kt_preferred_variant(void);

/// sums[i] += lanes[8·i] + … + lanes[8·i + 7] for `count` entries (in a fixed order), and the lanes zeroed.
void kt_reduce_lanes(ptrdiff_t count, float *lanes, float *sums);

#ifdef __cplusplus
}
#endif

#endif
