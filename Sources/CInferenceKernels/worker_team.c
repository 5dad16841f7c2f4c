// A team of threads that share one large dense product: its rows are dealt out in chunks to whichever of the team's
// threads asks first — the caller included — when sharing pays.
//
// Sampling one token at a time from a model with a large dense matrix (kjv-lstm512's 2048 × 512 recurrent gates,
// 4 MB) is bound by one core's arithmetic and cache bandwidth; a second core halves the product. The step between
// two products is short (about 10 µs), so helpers wait by spinning for a while before they sleep: waking a sleeping
// thread costs tens of microseconds, as much as the product itself. The caller never waits for a helper to arrive:
// it takes chunks itself until none is left, and then waits only for chunks a helper has begun. On a machine whose
// cores are busy with other processes a helper can lose its core in the middle of a chunk, and the caller then waits
// for the rest of a scheduler time slice; so an adaptive team checks now and then whether sharing is faster than
// working alone, and works alone while it is not. Rows are independent and each is summed by the same kernel in the
// same order, so the result does not depend on how many threads share the product, nor on who computed which rows.

#include "inference_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/// How long an idle helper spins before it sleeps, how many of its polls go between looks at the clock, and how
/// many chunks a product is cut into per thread of the team.
enum { kru_spin_nanoseconds = 200000, kru_polls_per_clock_read = 64, kru_chunks_per_member = 8 };
/// Polls after which a spinning helper yields its core at each poll (to other processes, on a busy machine).
enum { kru_polls_before_yielding = 64 * kru_polls_per_clock_read };

/// An adaptive team decides every kru_decided_products products whether sharing pays: it times
/// kru_probe_products products run alone, then as many shared, and keeps the faster way until the next decision.
/// On a machine whose cores are taken by other processes, a helper that loses its core mid-chunk holds the caller
/// up for the rest of a scheduler time slice (milliseconds, against a product's 50 µs), and working alone is faster.
enum { kru_probe_products = 16, kru_decided_products = 1000 };

/// Where an adaptive team is in its cycle of probes and decisions.
typedef enum { kru_probing_alone, kru_probing_shared, kru_decided_alone, kru_decided_shared } kru_team_mode;

static inline int kru_mode_is_alone(kru_team_mode mode) {
    return mode == kru_probing_alone || mode == kru_decided_alone;
}

static inline int kru_mode_is_probing(kru_team_mode mode) {
    return mode == kru_probing_alone || mode == kru_probing_shared;
}

/// The product a job computes: what kru_dense_multiply_shared received.
typedef struct {
    int variant;
    int weightKind;
    ptrdiff_t rows;
    ptrdiff_t columns;
    const void *weights;
    ptrdiff_t batch;
    const float *x;
    ptrdiff_t xStride;
    float *y;
    ptrdiff_t yStride;
    int accumulate;
} kru_dense_job;

/// The ticket word: the job's generation (high 32 bits), its chunk count (16 bits) and the next chunk to take
/// (low 16 bits). One word, so a thread that takes a chunk also proves that the chunk belongs to the job it read.
static inline uint32_t kru_ticket_generation(uint64_t ticket) { return (uint32_t)(ticket >> 32); }
static inline uint32_t kru_ticket_chunks(uint64_t ticket) { return (uint32_t)(ticket >> 16) & 0xFFFF; }
static inline uint32_t kru_ticket_next(uint64_t ticket) { return (uint32_t)ticket & 0xFFFF; }

struct kru_worker_team {
    int members;  // the caller and its helpers
    pthread_t *helpers;
    int startedHelpers;
    kru_dense_job job;            // written by the caller before it publishes the ticket
    uint32_t generation;          // the caller's count of jobs
    int adaptive;
    kru_team_mode mode;           // the caller's: see kru_team_mode
    int productsLeft;             // the caller's: products left in the current mode
    int64_t aloneNanoseconds;     // the caller's: time of the probe's products run alone
    int64_t sharedNanoseconds;    // the caller's: time of the probe's products shared
    _Atomic uint64_t ticket;      // see kru_ticket_*
    _Atomic uint32_t finished;    // chunks of the current job done
    _Atomic int sleepers;         // helpers blocked on `wake`
    _Atomic int stopping;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

static inline void kru_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t kru_monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/// Chunk `chunk` of `chunks` of `job`: a run of whole 16-row blocks, chunks in row order.
static void kru_run_chunk(const kru_dense_job *job, uint32_t chunk, uint32_t chunks) {
    const ptrdiff_t blocks = (job->rows + 15) / 16;
    const ptrdiff_t first = (blocks * chunk / chunks) * 16;
    ptrdiff_t end = (blocks * (chunk + 1) / chunks) * 16;
    if (end > job->rows) end = job->rows;
    if (end <= first) return;
    const ptrdiff_t count = end - first, offset = first * job->columns;
    float *y = job->y + first;
    switch (job->weightKind) {
    case KRU_WEIGHTS_BF16:
        kru_dense_multiply_bf16(job->variant, count, job->columns, (const uint16_t *)job->weights + offset,
                                job->batch, job->x, job->xStride, y, job->yStride, job->accumulate);
        break;
    case KRU_WEIGHTS_F16:
        kru_dense_multiply_f16(job->variant, count, job->columns, (const uint16_t *)job->weights + offset,
                               job->batch, job->x, job->xStride, y, job->yStride, job->accumulate);
        break;
    default:
        kru_dense_multiply(job->variant, count, job->columns, (const float *)job->weights + offset, job->batch,
                           job->x, job->xStride, y, job->yStride, job->accumulate);
    }
}

/// Takes and runs chunks of job `generation` until none is left (or the ticket already belongs to a later job).
static void kru_take_chunks(struct kru_worker_team *team, uint32_t generation) {
    uint64_t ticket = atomic_load(&team->ticket);
    for (;;) {
        if (kru_ticket_generation(ticket) != generation) return;
        const uint32_t chunks = kru_ticket_chunks(ticket), next = kru_ticket_next(ticket);
        if (next >= chunks) return;
        // On failure `ticket` is reloaded and checked again.
        if (!atomic_compare_exchange_weak(&team->ticket, &ticket, ticket + 1)) continue;
        // The job cannot change before this chunk is counted as finished, so reading it here is safe.
        kru_run_chunk(&team->job, next, chunks);
        atomic_fetch_add_explicit(&team->finished, 1, memory_order_release);
        ticket = atomic_load(&team->ticket);
    }
}

/// Waits until the ticket carries a generation other than `seen` or the team stops: spinning first, then asleep on
/// `wake`. Returns the new generation, or `seen` when stopping.
static uint32_t kru_wait_for_job(struct kru_worker_team *team, uint32_t seen) {
    int64_t deadline = 0;
    for (int polls = 0;; polls++) {
        const uint32_t generation = kru_ticket_generation(atomic_load(&team->ticket));
        if (generation != seen) return generation;
        if (atomic_load(&team->stopping)) return seen;
        if (polls % kru_polls_per_clock_read != 0) {
            kru_cpu_relax();
            continue;
        }
        const int64_t now = kru_monotonic_nanoseconds();
        if (deadline == 0) deadline = now + kru_spin_nanoseconds;
        if (now < deadline) {
            if (polls >= kru_polls_before_yielding) sched_yield();
            continue;
        }
        // Sequentially consistent: either the caller sees this helper among the sleepers after publishing a job
        // (and broadcasts under the mutex), or this helper sees the new ticket below.
        pthread_mutex_lock(&team->mutex);
        atomic_fetch_add(&team->sleepers, 1);
        while (kru_ticket_generation(atomic_load(&team->ticket)) == seen && !atomic_load(&team->stopping))
            pthread_cond_wait(&team->wake, &team->mutex);
        atomic_fetch_sub(&team->sleepers, 1);
        pthread_mutex_unlock(&team->mutex);
        deadline = 0;
    }
}

static void *kru_helper_main(void *argument) {
    struct kru_worker_team *team = argument;
    uint32_t seen = 0;
    for (;;) {
        const uint32_t generation = kru_wait_for_job(team, seen);
        if (generation == seen) return NULL;
        seen = generation;
        kru_take_chunks(team, generation);
    }
}

static void kru_stop_helpers(struct kru_worker_team *team) {
    pthread_mutex_lock(&team->mutex);
    atomic_store(&team->stopping, 1);
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->mutex);
    for (int i = 0; i < team->startedHelpers; i++) pthread_join(team->helpers[i], NULL);
}

kru_worker_team *kru_worker_team_create(int members, int adaptive) {
    if (members < 2 || members > KRU_WORKER_TEAM_MAX_MEMBERS) return NULL;
    struct kru_worker_team *team = calloc(1, sizeof *team);
    if (team == NULL) return NULL;
    team->members = members;
    team->adaptive = adaptive;
    team->mode = adaptive ? kru_probing_alone : kru_decided_shared;
    team->productsLeft = kru_probe_products;
    team->helpers = calloc((size_t)(members - 1), sizeof(pthread_t));
    if (team->helpers == NULL || pthread_mutex_init(&team->mutex, NULL) != 0) {
        free(team->helpers);
        free(team);
        return NULL;
    }
    if (pthread_cond_init(&team->wake, NULL) != 0) {
        pthread_mutex_destroy(&team->mutex);
        free(team->helpers);
        free(team);
        return NULL;
    }
    for (int i = 0; i < members - 1; i++) {
        if (pthread_create(&team->helpers[i], NULL, kru_helper_main, team) != 0) break;
        team->startedHelpers++;
    }
    if (team->startedHelpers != members - 1) {
        kru_worker_team_destroy(team);
        return NULL;
    }
    return team;
}

void kru_worker_team_destroy(kru_worker_team *team) {
    if (team == NULL) return;
    kru_stop_helpers(team);
    pthread_cond_destroy(&team->wake);
    pthread_mutex_destroy(&team->mutex);
    free(team->helpers);
    free(team);
}

int kru_worker_team_members(const kru_worker_team *team) { return team->members; }

/// Runs `job` on the caller's thread and the helpers'.
static void kru_share(struct kru_worker_team *team, const kru_dense_job *job) {
    const ptrdiff_t blocks = (job->rows + 15) / 16, most = (ptrdiff_t)team->members * kru_chunks_per_member;
    const uint32_t chunks = (uint32_t)(blocks < 1 ? 1 : blocks < most ? blocks : most);
    team->job = *job;
    atomic_store_explicit(&team->finished, 0, memory_order_relaxed);
    team->generation++;
    // Publishes the job (sequentially consistent, which also orders it before the look at the sleepers).
    atomic_store(&team->ticket, (uint64_t)team->generation << 32 | (uint64_t)chunks << 16);
    if (atomic_load(&team->sleepers) > 0) {
        pthread_mutex_lock(&team->mutex);
        pthread_cond_broadcast(&team->wake);
        pthread_mutex_unlock(&team->mutex);
    }
    kru_take_chunks(team, team->generation);
    // Only chunks a helper has taken and not finished remain: a chunk's time, unless that helper lost its core.
    for (int polls = 1; atomic_load_explicit(&team->finished, memory_order_acquire) < chunks; polls++) {
        if (polls % 256 == 0) sched_yield();
        else kru_cpu_relax();
    }
}

/// The mode after `mode`'s products are done.
static kru_team_mode kru_next_mode(const struct kru_worker_team *team) {
    switch (team->mode) {
    case kru_probing_alone: return kru_probing_shared;
    case kru_probing_shared:
        return team->sharedNanoseconds < team->aloneNanoseconds ? kru_decided_shared : kru_decided_alone;
    default: return kru_probing_alone;
    }
}

void kru_dense_multiply_shared(
    kru_worker_team *team, int variant, int weightKind, ptrdiff_t rows, ptrdiff_t columns, const void *weights,
    ptrdiff_t batch, const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate) {
    const kru_dense_job job = {variant, weightKind, rows, columns, weights, batch, x, xStride, y, yStride,
                               accumulate};
    const int alone = kru_mode_is_alone(team->mode), probing = kru_mode_is_probing(team->mode);
    const int64_t start = probing ? kru_monotonic_nanoseconds() : 0;
    if (alone) kru_run_chunk(&job, 0, 1);
    else kru_share(team, &job);
    if (!team->adaptive) return;
    if (probing) {
        const int64_t elapsed = kru_monotonic_nanoseconds() - start;
        if (alone) team->aloneNanoseconds += elapsed;
        else team->sharedNanoseconds += elapsed;
    }
    if (--team->productsLeft > 0) return;
    team->mode = kru_next_mode(team);
    if (team->mode == kru_probing_alone) team->aloneNanoseconds = team->sharedNanoseconds = 0;
    team->productsLeft = kru_mode_is_probing(team->mode) ? kru_probe_products : kru_decided_products;
}
