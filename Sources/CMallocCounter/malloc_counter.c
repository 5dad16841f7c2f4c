// Allocation counting by interposition; see include/malloc_counter.h for what is counted and why.
#include "malloc_counter.h"

#if defined(__GLIBC__)

#include <errno.h>
#include <stddef.h>

// glibc's allocator under names that are not interposed; forwarding here (rather than through
// dlsym(RTLD_NEXT, "malloc")) needs no bootstrap: dlsym itself may call calloc before it could return.
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

// Relaxed: only the totals matter, not their order relative to other memory operations, and a relaxed
// add costs no fence on the allocation path.
static uint64_t allocation_calls;
static uint64_t free_calls;
static uint64_t requested_bytes;

static inline void count_allocation(size_t bytes) {
    __atomic_fetch_add(&allocation_calls, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&requested_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
}

int kru_malloc_counter_is_available(void) { return 1; }
uint64_t kru_malloc_count(void) { return __atomic_load_n(&allocation_calls, __ATOMIC_RELAXED); }
uint64_t kru_free_count(void) { return __atomic_load_n(&free_calls, __ATOMIC_RELAXED); }
uint64_t kru_malloc_bytes(void) { return __atomic_load_n(&requested_bytes, __ATOMIC_RELAXED); }

void *malloc(size_t size) {
    count_allocation(size);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation(count * size);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    // realloc(p, 0) frees p in glibc; count it as a free so the allocation count stays "memory obtained".
    if (pointer != NULL && size == 0) {
        __atomic_fetch_add(&free_calls, 1, __ATOMIC_RELAXED);
    } else {
        count_allocation(size);
    }
    return __libc_realloc(pointer, size);
}

// glibc's reallocarray calls its internal realloc directly, bypassing the interposed one: define it too.
void *reallocarray(void *pointer, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(pointer, bytes);
}

void free(void *pointer) {
    if (pointer != NULL) __atomic_fetch_add(&free_calls, 1, __ATOMIC_RELAXED);
    __libc_free(pointer);
}

// The Swift runtime uses the aligned entry points for over-aligned allocations.
int posix_memalign(void **result, size_t alignment, size_t size) {
    // POSIX: a power of two that is a multiple of sizeof(void *); otherwise EINVAL and *result untouched.
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    count_allocation(size);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation(size);
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation(size);
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    count_allocation(size);
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_allocation(size);
    return __libc_pvalloc(size);
}

#else

// Not glibc (e.g. Darwin, where malloc goes through zones and interposition needs dyld's mechanism):
// the counters stay at zero and kru-bench reports that it cannot check allocations.
int kru_malloc_counter_is_available(void) { return 0; }
uint64_t kru_malloc_count(void) { return 0; }
uint64_t kru_free_count(void) { return 0; }
uint64_t kru_malloc_bytes(void) { return 0; }

#endif
