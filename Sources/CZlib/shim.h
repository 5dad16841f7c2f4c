#ifndef KRU_CZLIB_SHIM_H
#define KRU_CZLIB_SHIM_H
// The system zlib (Debian: zlib1g-dev). Linked on every platform so that "zlib" always means RFC 1950 framing
// (Apple's Compression framework's "zlib" is raw DEFLATE).
#include <zlib.h>

// The init macros are not importable into Swift; these wrappers pass ZLIB_VERSION and the struct size for us.
static inline int kru_inflateInit(z_stream *stream) { return inflateInit(stream); }
static inline int kru_deflateInit(z_stream *stream, int level) { return deflateInit(stream, level); }
#endif
