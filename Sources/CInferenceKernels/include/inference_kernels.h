#ifndef KRU_INFERENCE_KERNELS_H
#define KRU_INFERENCE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The inference engine's SIMD kernels (KRUInference calls them; docs/ENGINE.md describes the arithmetic).
//
// Every kernel but the complex 2 × 2 chain computes each output with exactly the operations, in exactly the
// order, that docs/ENGINE.md defines (no fused multiply-add, sums in a fixed order), vectorised only across
// independent outputs. Their results are therefore identical on every instruction-set variant, every batch
// size and every platform; the tests check each variant against plain scalar loops bit for bit.

/// Instruction-set variants. Every build has the portable one (plain C vector code that the compiler lowers to
/// SSE2 on x86-64 and NEON on arm64); x86-64 builds also carry AVX2+FMA (with F16C) and AVX-512 variants, chosen at
/// run time only on CPUs (and operating systems) that support them.
enum {
    KRU_KERNEL_PORTABLE = 0,
    KRU_KERNEL_AVX2_FMA = 1,
    KRU_KERNEL_AVX512 = 2,
    KRU_KERNEL_VARIANT_COUNT = 3
};

/// 1 if `variant` is compiled into this build and this CPU can run it, else 0.
int kru_kernel_is_supported(int variant);

/// The widest supported variant: what the engine uses unless told otherwise.
int kru_kernel_widest_variant(void);

// MARK: - Complex 2 × 2 chain (the KRU recurrent matrix)

/// The variant the complex 2 × 2 chain kernel should use by default, or −1 where the engine's per-pass mode
/// products are as fast: the widest supported x86-64 variant; on x86-64 without AVX2 the portable chain is no
/// faster than those passes (both run 4 lanes without FMA and are bound by arithmetic), so −1; on other
/// architectures the portable one.
int kru_complex_chain2x2_preferred_variant(void);

/// The smallest factor count (log2 N) the chain kernel's `variant` handles: a vector must fill at least one
/// register block. Shorter chains use the per-pass mode products.
int kru_complex_chain2x2_min_factors(int variant);

/// y = (W_0 ⊗ W_1 ⊗ … ⊗ W_{F−1}) x for `batchSize` batch-major complex vectors of length N = 2^F in split
/// planes, every W_f a complex 2 × 2 matrix (factor 0 = most significant index digit, numpy.kron order).
///
/// `weightsReal`/`weightsImaginary` hold the factors row-major, concatenated in factor order (4 floats per
/// factor per plane). Input planes hold batchSize·N floats each and are only read; output planes receive
/// batchSize·N floats and must not overlap the inputs or each other. No scratch and no allocation.
///
/// This kernel alone lets the compiler fuse multiply-adds (FMA) where the instruction set has them, so its
/// results differ by rounding between variants and from the per-pass mode products.
///
/// Preconditions (the caller checks): `variant` is supported, `factorCount` is between
/// kru_complex_chain2x2_min_factors(variant) and 30, `batchSize` ≥ 0.
void kru_complex_chain2x2(
    int variant, int factorCount, const float *weightsReal, const float *weightsImaginary, ptrdiff_t batchSize,
    const float *inputReal, const float *inputImaginary, float *outputReal, float *outputImaginary);

// MARK: - Dense products

/// For every stream b < batch and row r < rows: d = Σ_k W[r, k]·x_b[k] (W row-major, `columns` wide, x_b at
/// x + b·xStride), summed as docs/ENGINE.md defines (16 interleaved partial sums, then their halves, then the
/// tail), and then y_b[r] = y_b[r] + d when `accumulate`, else y_b[r] = d (y_b at y + b·yStride).
/// y must not overlap W or x.
void kru_dense_multiply(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const float *weights, ptrdiff_t batch, const float *x,
    ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate);

/// kru_dense_multiply with W stored as 16-bit floats, kept at 16 bits in memory and widened to float in registers:
/// `weights` holds rows × columns bfloat16 bits (kru_dense_multiply_bf16) or IEEE binary16 bits
/// (kru_dense_multiply_f16). Widening is exact, and the sums are those of kru_dense_multiply, so the results are
/// bit for bit what kru_dense_multiply gives on the matrix widened to float — on every variant — while half the
/// bytes of W are read.
void kru_dense_multiply_bf16(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const uint16_t *weights, ptrdiff_t batch, const float *x,
    ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate);
void kru_dense_multiply_f16(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const uint16_t *weights, ptrdiff_t batch, const float *x,
    ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate);

/// Floats per column of a column-packed matrix: `rows` rounded up to a multiple of 16.
ptrdiff_t kru_packed_padded_rows(ptrdiff_t rows);

/// Packs the row-major `rows` × `columns` matrix `weights` for kru_packed_multiply into `packed`
/// (kru_packed_padded_rows(rows) × columns floats; the layout is described in packed_columns.c).
void kru_pack_columns(ptrdiff_t rows, ptrdiff_t columns, const float *weights, float *packed);

/// kru_dense_multiply for one stream with W packed by kru_pack_columns: the same floats, provided every entry of W
/// is finite, but the columns whose x[k] is zero are skipped (not read). y must not overlap `packed` or x.
void kru_packed_multiply(
    int variant, ptrdiff_t rows, ptrdiff_t columns, const float *packed, const float *x, float *y, int accumulate);

/// y[i] = y[i] + x[i] for i < count.
void kru_add(int variant, ptrdiff_t count, float *y, const float *x);

// MARK: - Products shared between threads

/// A team of threads (the caller and `members` − 1 helpers) that share large dense products: each product's rows
/// are cut into chunks that the threads take as they come. Helpers spin briefly after each product, then sleep
/// until the next. A team serves one caller at a time.
typedef struct kru_worker_team kru_worker_team;

enum { KRU_WORKER_TEAM_MAX_MEMBERS = 64 };

/// How the weights of a shared product are stored: float, bfloat16 bits or IEEE binary16 bits.
enum { KRU_WEIGHTS_FLOAT = 0, KRU_WEIGHTS_BF16 = 1, KRU_WEIGHTS_F16 = 2 };

/// A team of `members` threads (2 … KRU_WORKER_TEAM_MAX_MEMBERS, the caller included), or NULL if `members` is
/// out of range or the threads could not be started. An `adaptive` team times, every thousand products or so, a
/// few products alone and a few shared, and until the next such probe runs its products the faster way (on a
/// machine busy with other processes, alone); a team that is not adaptive always shares.
kru_worker_team *kru_worker_team_create(int members, int adaptive);

/// Stops and joins the helpers and frees the team (NULL is ignored).
void kru_worker_team_destroy(kru_worker_team *team);

/// The number of threads in the team, the caller included.
int kru_worker_team_members(const kru_worker_team *team);

/// kru_dense_multiply (or its bf16/f16 form, by `weightKind`) with the rows cut into runs of whole 16-row blocks
/// that the caller and the helpers take as they come (the caller takes every run no helper has taken); returns when
/// every row is done. Each row is computed by the same kernel as without a team, so the results are identical bit
/// for bit.
void kru_dense_multiply_shared(
    kru_worker_team *team, int variant, int weightKind, ptrdiff_t rows, ptrdiff_t columns, const void *weights,
    ptrdiff_t batch, const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate);

// MARK: - Mode products (Kronecker chains of any factor shapes)

/// One mode product of a chain: the current tensor, viewed as L × Q × R (row-major), becomes L × P × R with
/// y[a, p, b] = Σ_q W[p, q]·x[a, q, b], summed from the q = 0 product in ascending q.
typedef struct {
    int64_t rows;          // P
    int64_t columns;       // Q
    int64_t outer;         // L for one vector (the batch multiplies it)
    int64_t inner;         // R
    int64_t weightOffset;  // the factor's first entry in the weight planes (and in the transposed planes)
} kru_mode_pass;

/// Runs `passCount` passes on `batch` batch-major real vectors: pass 0 reads x, pass k > 0 reads what pass k − 1
/// wrote, passes before the last alternate between `scratch0` and `scratch1`, and the last writes vector b at
/// y + b·yStride — added to what is there when `accumulate` (y = y + value), stored otherwise. `weights` hold
/// every factor row-major (P × Q) and `transposed` every factor transposed (Q × P), at the passes' offsets.
/// Scratch planes hold batch × (the largest intermediate) floats; nothing may overlap.
void kru_real_mode_chain(
    int variant, int passCount, const kru_mode_pass *passes, const float *weights, const float *transposed,
    ptrdiff_t batch, const float *x, float *y, ptrdiff_t yStride, int accumulate, float *scratch0,
    float *scratch1);

/// The complex counterpart on split planes: each term is (w_r·x_r − w_i·x_i) + i(w_r·x_i + w_i·x_r).
/// `scratch` holds four planes: ping real, ping imaginary, pong real, pong imaginary.
void kru_complex_mode_chain(
    int variant, int passCount, const kru_mode_pass *passes, const float *weightsReal,
    const float *weightsImaginary, const float *transposedReal, const float *transposedImaginary,
    ptrdiff_t batch, const float *xReal, const float *xImaginary, float *yReal, float *yImaginary,
    ptrdiff_t yStride, int accumulate, float *const scratch[4]);

/// The recurrent product of a real cell whose gate blocks are sums of Kronecker products, in one call: for every
/// gate g < gateCount and term t < termCount, y_b[g·n …] += (W_{g,t,0} ⊗ … ⊗ W_{g,t,F−1})·x_b, terms added in
/// order. `passes` holds `passCount` passes per term, gate-major then term-major, with weight offsets into the
/// shared `weights` and `transposed` planes; x_b are contiguous n-vectors, y_b at y + b·yStride.
void kru_real_kronecker_sum(
    int variant, int gateCount, int termCount, int passCount, const kru_mode_pass *passes, const float *weights,
    const float *transposed, ptrdiff_t n, ptrdiff_t batch, const float *x, float *y, ptrdiff_t yStride,
    float *scratch0, float *scratch1);

// MARK: - Cells

/// The nonlinearities of docs/ENGINE.md: exact functions of the input, correctly rounded to Float except in
/// rare near-halfway cases, identical on every platform and variant.
void kru_tanh(int variant, ptrdiff_t count, const float *x, float *y);
void kru_sigmoid(int variant, ptrdiff_t count, const float *x, float *y);

/// Recurrent cells for `batch` streams. Stream b's stacked pre-activations are at inputGates[b] (W_ih x + b_ih;
/// a pointer per stream, so that a row of the model's per-token input table is read where it is) and
/// stateGates + b·gateStride (R h + b_hh), gate g's block at g·n within them (PyTorch's order); h and c hold
/// batch × n values and are replaced by the new state.
void kru_rnn_tanh_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h);
void kru_rnn_relu_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h);
void kru_lstm_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h, float *c);
void kru_gru_cell(
    int variant, ptrdiff_t n, ptrdiff_t batch, const float *const *inputGates, const float *stateGates,
    ptrdiff_t gateStride, float *h);

/// The complex KRU cell's activations.
enum {
    KRU_ACTIVATION_MODRELU = 0,
    KRU_ACTIVATION_SPLIT_RELU = 1,
    KRU_ACTIVATION_SPLIT_TANH = 2
};

/// For `batch` streams of n complex pre-activations z (split planes, batch × n each): h = act(z) into hReal,
/// hImaginary (batch × n each) and [Re h; Im h] into output (batch × 2n). modReLU reads its bias β (n values).
void kru_complex_activation(
    int variant, int activation, ptrdiff_t n, ptrdiff_t batch, const float *zReal, const float *zImaginary,
    const float *modReLUBias, float *hReal, float *hImaginary, float *output);

// MARK: - Sampling

/// The exponential of spec/SAMPLING.md §5.1 for x ≤ 0, bit for bit (x < −708 and −∞ give 0).
void kru_portable_exp(int variant, ptrdiff_t count, const double *x, double *y);

/// spec/SAMPLING.md §5.3 for a finite largest logit `top`: w[i] = 0 for NaN and −∞ logits, else
/// exp((Double(x[i]) − top) / temperature) with the exponential above.
void kru_softmax_weights(
    int variant, ptrdiff_t count, const float *logits, double top, double temperature, double *weights);

#ifdef __cplusplus
}
#endif

#endif
