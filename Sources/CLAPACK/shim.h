#ifndef KRU_CLAPACK_SHIM_H
#define KRU_CLAPACK_SHIM_H
// LAPACKE and CBLAS from Debian's liblapacke-dev and libopenblas-dev. Used only where a well-kept library does
// the work better than our own code: SVD in the converter, the dense baseline in benchmarks, GEMM in training.
// Complex LAPACKE functions take interleaved (re, im) double buffers; Swift sees them as OpaquePointer.
#include <lapacke.h>
#include <cblas.h>
#endif
