// Fixed-width vector types and unaligned loads/stores shared by every kernel variant.
//
// The kernels are written once with these types; variants.c compiles them once per instruction set (a `target`
// attribute on each function). A 16-float vector is one register with AVX-512, two with AVX2 and four with
// SSE2 or NEON: the compiler splits it, so the arithmetic — and therefore every result — is the same.

#ifndef KRU_KERNEL_VECTORS_H
#define KRU_KERNEL_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float kru_f16 __attribute__((vector_size(64)));
typedef float kru_f8 __attribute__((vector_size(32)));
typedef float kru_f4 __attribute__((vector_size(16)));
typedef int32_t kru_i16 __attribute__((vector_size(64)));
typedef int32_t kru_i8 __attribute__((vector_size(32)));
typedef double kru_d8 __attribute__((vector_size(64)));
typedef int64_t kru_l8 __attribute__((vector_size(64)));
typedef uint64_t kru_u8 __attribute__((vector_size(64)));
typedef uint32_t kru_w16 __attribute__((vector_size(64)));  // 16 unsigned 32-bit words
typedef uint32_t kru_w8 __attribute__((vector_size(32)));
typedef uint16_t kru_h16 __attribute__((vector_size(32)));  // 16 raw 16-bit floats (bfloat16 or binary16 bits)
typedef uint16_t kru_h8 __attribute__((vector_size(16)));
#if defined(__x86_64__) || defined(__aarch64__)
typedef _Float16 kru_hf16 __attribute__((vector_size(32)));  // 16 binary16 values, for conversion instructions
typedef _Float16 kru_hf8 __attribute__((vector_size(16)));
#endif

// Loads and stores are macros, not functions: a function that takes or returns a vector wider than the caller's
// instruction set would change the calling convention, which clang refuses between functions of different
// `target` attributes even when they are inlined.
#define KRU_LOAD_AS(type, p) ({ type kru_value_; memcpy(&kru_value_, (p), sizeof kru_value_); kru_value_; })
#define KRU_STORE_AS(type, p, v) do { type kru_value_ = (v); memcpy((p), &kru_value_, sizeof kru_value_); } while (0)
#define kru_load16(p) KRU_LOAD_AS(kru_f16, p)
#define kru_load8(p) KRU_LOAD_AS(kru_f8, p)
#define kru_load4(p) KRU_LOAD_AS(kru_f4, p)
#define kru_load8d(p) KRU_LOAD_AS(kru_d8, p)
#define kru_store16(p, v) KRU_STORE_AS(kru_f16, p, v)
#define kru_store8(p, v) KRU_STORE_AS(kru_f8, p, v)
#define kru_store4(p, v) KRU_STORE_AS(kru_f4, p, v)
#define kru_store8d(p, v) KRU_STORE_AS(kru_d8, p, v)

/// The first `count` (< 8) floats of p, the other lanes zero: tails of arrays go through the same vector code.
#define kru_load8_partial(p, count) ({                                                              \
    float kru_lanes_[8] = {0};                                                                      \
    memcpy(kru_lanes_, (p), (size_t)(count) * sizeof(float));                                       \
    kru_load8(kru_lanes_);                                                                          \
})

#define kru_store8_partial(p, v, count) do {                                                        \
    float kru_lanes_[8];                                                                            \
    kru_store8(kru_lanes_, v);                                                                      \
    memcpy((p), kru_lanes_, (size_t)(count) * sizeof(float));                                       \
} while (0)

/// A bfloat16 as a float: its bits are the float's high half.
static inline float kru_bfloat16_bits_to_float(uint16_t bits) {
    const uint32_t word = (uint32_t)bits << 16;
    float value;
    memcpy(&value, &word, sizeof value);
    return value;
}

/// An IEEE binary16 as a float, exactly, in integer steps and one exact multiplication (no conversion instruction
/// needed): finite halves are rebiased by 2^112, infinities and NaNs keep their mantissa (payload).
static inline float kru_half_bits_to_float(uint16_t bits) {
    const uint32_t magnitude = (uint32_t)(bits & 0x7FFF) << 13, sign = (uint32_t)(bits & 0x8000) << 16;
    uint32_t word;
    if (magnitude >= (0x7C00u << 13)) {
        word = magnitude | 0x7F800000u;
    } else {
        float scaled;
        memcpy(&scaled, &magnitude, sizeof scaled);
        scaled = scaled * 0x1p112f;
        memcpy(&word, &scaled, sizeof word);
    }
    word |= sign;
    float value;
    memcpy(&value, &word, sizeof value);
    return value;
}

#endif
