#ifndef KRU_MALLOC_COUNTER_H
#define KRU_MALLOC_COUNTER_H
// Counts heap allocations made anywhere in the benchmark process (Swift runtime, standard library, our
// engine, C libraries), so `kru-bench` can check that the engine's hot paths never touch the heap.
//
// How: the C target defines malloc, calloc, realloc, reallocarray, free, posix_memalign, aligned_alloc,
// memalign, valloc and pvalloc. An executable's definitions take precedence over glibc's for every shared
// library in the process, so each call lands here, is counted with a relaxed atomic add, and is forwarded
// to glibc's own allocator (__libc_malloc and friends). Linked into kru-bench only.
//
// Read the counters before and after the code under test and subtract. The counts are process-wide (all
// threads), which is what "allocates nothing" has to mean.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// 1 if the counters are live (glibc), 0 where interposition is not implemented (they then stay 0).
int kru_malloc_counter_is_available(void);

// Calls that obtained or resized memory: malloc, calloc, realloc (including realloc to a new size of an
// existing block), reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc.
uint64_t kru_malloc_count(void);

// Calls to free with a non-null pointer.
uint64_t kru_free_count(void);

// Bytes requested by the calls kru_malloc_count counts (requested sizes, not what the allocator rounded to).
uint64_t kru_malloc_bytes(void);

#ifdef __cplusplus
}
#endif

#endif
