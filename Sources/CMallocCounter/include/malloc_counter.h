#ifndef KRU_MALLOC_COUNTER_H
#define KRU_MALLOC_COUNTER_H
// Counts heap allocations in the benchmark executable (placeholder; filled by the benchmark work).
unsigned long long kru_malloc_count(void);
#endif
