//===- X86.h - the AVX2 and AVX-512 kernels ---------------------*- C++ -*-===//
//
// Private to lib/Kernels: what x86/Avx512.cpp and x86/Avx2.cpp define for
// the rest of the GEMM (empty elsewhere than x86-64). Every function here
// is compiled for its instruction set through a per-function target
// attribute (Q4_AVX512, Q4_AVX2), not a per-file flag: the rest of the
// library, and whatever inline code those files share with it, stays
// baseline x86-64, so the library runs on any x86-64 CPU and picks these
// at run time (Cpu.cpp: detectIsa, the kernel selection). Call one only
// when the ISA in use is at least the one its file is named after.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_KERNELS_X86_X86_H
#define QUANT4_LIB_KERNELS_X86_X86_H

#include "KernelsImpl.h"

#if defined(__x86_64__)

#define Q4_AVX512                                                              \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")))
#define Q4_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace quant4::kernels::detail {

//===----------------------------------------------------------------------===//
// AVX-512 F/BW/VL/VNNI (x86/Avx512.cpp)
//===----------------------------------------------------------------------===//

FloatMicro floatMicroAvx512(int mode, int rows);
void microInt16Avx512(int kp, const int32_t *A, const int16_t *B, int32_t *C,
                      int64_t ldc, bool zero);
Int8Micro int8MicroAvx512(bool track);
RowKernel rowKernelAvx512(int mode);
void addHalfPartialsAvx512(float *c, const float *part, int n, float nan);

/// dst[i] = tab16[codes[i]] for the whole 16s of n; returns how many.
int lookupRow512(const uint8_t *codes, int n, const float *tab16, float *dst);
/// A 32-wide panel row of float values of a format with at most 16 codes
/// (tab16, zero-filled past them): `cols` codes looked up, zeros up to 32.
void panelRow32Avx512(const float *tab16, const uint8_t *src, int cols,
                      float *dst);
/// Row-major A: the values ≠ 0 of `n` codes and their indices, compacted to
/// the front of ks/as (which have 16 elements of slack). Returns the count.
int compactNonzero512(const uint8_t *codes, int n, const float *tab16,
                      int32_t *ks, float *as);
/// Column-major A (stored K × M): appends (k, value) of the nonzero codes
/// of stored row k (`n` = M codes) to the lists of their rows m.
void appendNonzero512(const uint8_t *codes, int n, int k, int K,
                      const float *tab16, int32_t *count, int32_t *ks,
                      float *as);
/// Column-major B (stored N × K), 16 stored rows n0.. of K codes each in
/// `runs` (row stride K): dst rows k (stride ldb) get the 16 values of
/// columns n0..n0+15. Returns the number of k done (a multiple of 16).
int expandTransposed512(const uint8_t *runs, int K, const float *tab16,
                        float *dst, int ldb);

//===----------------------------------------------------------------------===//
// AVX2 + FMA + F16C (x86/Avx2.cpp)
//===----------------------------------------------------------------------===//

FloatMicro floatMicroAvx2(int mode);
void microInt16Avx2(int kp, const int32_t *A, const int16_t *B, int32_t *C,
                    int64_t ldc, bool zero);
RowKernel rowKernelAvx2(int mode);
void addHalfPartialsAvx2(float *c, const float *part, int n, float nan);

/// `pairs` bytes of two 4-bit codes each → 2·pairs codes, low nibble first,
/// 32 bytes at a time; returns the bytes done.
int unpackNibbles256(const uint8_t *src, int pairs, uint8_t *out);
/// out[i] = tab[src[i]] (a 16-entry byte table) for the whole 16s of n;
/// returns how many.
int lookupBytes16(const uint8_t *src, int n, const uint8_t *tab,
                  uint8_t *out);
/// out[i] = the int16 of code src[i] (a 16-entry table split in low and
/// high bytes, SplitTable16) for the whole 16s of n; returns how many.
int lookupInt16x16(const uint8_t *src, int n, const uint8_t *lo,
                   const uint8_t *hi, uint16_t *out);
/// packBGroups of panels [q0, q1) from a row-major B of a format with at
/// most 16 codes, G = 4 bytes (int8_t) or G = 2 int16 lanes (int16_t).
/// Returns false (nothing written) when B is transposed or has more codes.
bool packBGroupsRows(const CodeMatrix &B, const int16_t *table, int ncodes,
                     int K, int N, int NR, int q0, int q1, int8_t *out);
bool packBGroupsRows(const CodeMatrix &B, const int16_t *table, int ncodes,
                     int K, int N, int NR, int q0, int q1, int16_t *out);
/// Σ nz16[code] over the whole 32-byte blocks of src[0, bytes): codes
/// below 16, one per byte or (packed) two. *done = the bytes counted.
uint64_t countCodes256(const uint8_t *src, size_t bytes, bool packed,
                       const uint8_t *nz16, size_t *done);

} // namespace quant4::kernels::detail

#endif // defined(__x86_64__)

#endif // QUANT4_LIB_KERNELS_X86_X86_H
