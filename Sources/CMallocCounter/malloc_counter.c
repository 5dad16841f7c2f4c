#include "malloc_counter.h"
unsigned long long kru_malloc_count(void) { return 0; }
