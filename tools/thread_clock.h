// The calling thread's CPU time, for the kernel benchmarks in tools/: a shared machine's other processes then
// deflate their figures less than they would wall time.

#ifndef KRU_TOOLS_THREAD_CLOCK_H
#define KRU_TOOLS_THREAD_CLOCK_H

#include <time.h>

static double thread_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
