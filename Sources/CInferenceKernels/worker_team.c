// A team of threads that share one large dense product: the rows are split between the caller and its helpers.
//
// Sampling one token at a time from a model with a large dense matrix (kjv-lstm512's 2048 × 512 recurrent gates,
// 4 MB) is bound by one core's arithmetic and cache bandwidth; a second core halves the product. The step between
// two products is short (about 10 µs), so helpers wait by spinning for a while before they sleep: waking a sleeping
// thread costs tens of microseconds, as much as the product itself. Rows are independent and each is summed by the
// same kernel in the same order, so the result does not depend on how many threads share the product.

#include "inference_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/// How long an idle helper spins before it sleeps, and how many of its polls go between looks at the clock.
enum { kru_spin_nanoseconds = 200000, kru_polls_per_clock_read = 64 };

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

struct kru_worker_team {
    int members;  // the caller and its helpers
    pthread_t *helpers;
    int startedHelpers;
    kru_dense_job job;
    _Atomic uint64_t generation;  // advanced once per job; helpers start when it moves
    _Atomic int pending;          // helpers that have not finished the current job
    _Atomic int sleepers;         // helpers blocked on `wake`
    _Atomic int stopping;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

typedef struct {
    struct kru_worker_team *team;
    int member;
} kru_helper_start;

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

/// Member `member`'s rows of `job`: the rows split into `members` runs of whole 16-row blocks, in order.
static void kru_run_share(const kru_dense_job *job, int member, int members) {
    const ptrdiff_t blocks = (job->rows + 15) / 16;
    const ptrdiff_t first = (blocks * member / members) * 16;
    ptrdiff_t end = (blocks * (member + 1) / members) * 16;
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

/// Waits until the generation moves past `seen` or the team stops: spinning first, then asleep on `wake`.
/// Returns the new generation, or `seen` when stopping.
static uint64_t kru_wait_for_job(struct kru_worker_team *team, uint64_t seen) {
    int64_t deadline = 0;
    for (int polls = 0;; polls++) {
        const uint64_t generation = atomic_load(&team->generation);
        if (generation != seen) return generation;
        if (atomic_load(&team->stopping)) return seen;
        if (polls % kru_polls_per_clock_read != 0) {
            kru_cpu_relax();
            continue;
        }
        const int64_t now = kru_monotonic_nanoseconds();
        if (deadline == 0) deadline = now + kru_spin_nanoseconds;
        if (now < deadline) continue;
        // Sequentially consistent: either the caller sees this helper among the sleepers after advancing the
        // generation (and broadcasts under the mutex), or this helper sees the new generation below.
        pthread_mutex_lock(&team->mutex);
        atomic_fetch_add(&team->sleepers, 1);
        while (atomic_load(&team->generation) == seen && !atomic_load(&team->stopping))
            pthread_cond_wait(&team->wake, &team->mutex);
        atomic_fetch_sub(&team->sleepers, 1);
        pthread_mutex_unlock(&team->mutex);
        deadline = 0;
    }
}

static void *kru_helper_main(void *argument) {
    kru_helper_start start = *(kru_helper_start *)argument;
    free(argument);
    struct kru_worker_team *team = start.team;
    uint64_t seen = 0;
    for (;;) {
        const uint64_t generation = kru_wait_for_job(team, seen);
        if (generation == seen) return NULL;
        seen = generation;
        kru_run_share(&team->job, start.member, team->members);
        atomic_fetch_sub_explicit(&team->pending, 1, memory_order_release);
    }
}

static void kru_stop_helpers(struct kru_worker_team *team) {
    pthread_mutex_lock(&team->mutex);
    atomic_store(&team->stopping, 1);
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->mutex);
    for (int i = 0; i < team->startedHelpers; i++) pthread_join(team->helpers[i], NULL);
}

kru_worker_team *kru_worker_team_create(int members) {
    if (members < 2 || members > KRU_WORKER_TEAM_MAX_MEMBERS) return NULL;
    struct kru_worker_team *team = calloc(1, sizeof *team);
    if (team == NULL) return NULL;
    team->members = members;
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
    for (int member = 1; member < members; member++) {
        kru_helper_start *start = malloc(sizeof *start);
        if (start == NULL) break;
        *start = (kru_helper_start){team, member};
        if (pthread_create(&team->helpers[member - 1], NULL, kru_helper_main, start) != 0) {
            free(start);
            break;
        }
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

void kru_dense_multiply_shared(
    kru_worker_team *team, int variant, int weightKind, ptrdiff_t rows, ptrdiff_t columns, const void *weights,
    ptrdiff_t batch, const float *x, ptrdiff_t xStride, float *y, ptrdiff_t yStride, int accumulate) {
    team->job = (kru_dense_job){variant, weightKind, rows, columns, weights, batch, x, xStride, y, yStride,
                                accumulate};
    atomic_store_explicit(&team->pending, team->members - 1, memory_order_relaxed);
    // Publishes the job (sequentially consistent, which also orders it before the look at the sleepers).
    atomic_fetch_add(&team->generation, 1);
    if (atomic_load(&team->sleepers) > 0) {
        pthread_mutex_lock(&team->mutex);
        pthread_cond_broadcast(&team->wake);
        pthread_mutex_unlock(&team->mutex);
    }
    kru_run_share(&team->job, 0, team->members);
    // The helpers' shares take as long as the caller's; a helper that lost its core is waited for politely.
    for (int polls = 1; atomic_load_explicit(&team->pending, memory_order_acquire) > 0; polls++) {
        if (polls % 1024 == 0) sched_yield();
        else kru_cpu_relax();
    }
}
