//===- KernelsImpl.h - what the GEMM kernels' files share -------*- C++ -*-===//
//
// Private to lib/Kernels: the declarations that cross its files. The GEMM of
// include/quant4/Kernels/Gemm.h (contract and exactness argument there,
// design and measurements in docs/Performance.md) is split by concern:
//
//   Cpu.cpp             instruction-set detection; the micro-kernels of an ISA
//   FormatAnalysis.cpp  per-format tables and per-pair facts (cached), the
//                       path a GEMM takes, the data checks between paths
//   Pack.cpp            runs of codes, packing of A and B into panels
//   Portable.cpp        micro-kernels in plain C++ (any CPU)
//   VectorKernels.h     the float micro-kernels, written once for any
//                       vector width (instantiated in x86/)
//   x86/Avx512.cpp,     micro-kernels and packing helpers of one instruction
//   x86/Avx2.cpp        set each (declared in x86/X86.h)
//   GemmFloat.cpp       driver: float panels (f32, f16, f16_chunked, blocks)
//   GemmInt.cpp         driver: integer panels (exact; f32 / f16 on integers)
//   GemmF16Rows.cpp     driver: FP16 row by row over A's nonzero terms
//   Gemm.cpp            entry points: checks, path choice, reference fallback
//
// The panel drivers are the classic packed GEMM: B is packed once into
// column panels of NR; each thread takes a contiguous range of rows, packs A
// blocks of MC rows × KC reduction steps into row panels of MR, and runs an
// MR×NR micro-kernel that walks k upward with the tile in registers. Lanes
// hold different outputs, so every output sees the reference's order of
// additions.
//
// Each section below names the file that defines what it declares.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_KERNELS_KERNELSIMPL_H
#define QUANT4_LIB_KERNELS_KERNELSIMPL_H

#include "quant4/Kernels/Gemm.h"
#include "quant4/Kernels/Parallel.h"
#include "quant4/Numerics/Rounding.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>
#include <utility>
#include <vector>

namespace quant4::kernels::detail {

//===----------------------------------------------------------------------===//
// Instruction set (Cpu.cpp)
//===----------------------------------------------------------------------===//

/// detectIsa(), detected once: for the helpers that have no requested ISA
/// at hand (unpackRun, under CodeMatrix).
Isa cpuIsa();
/// `requested`, or the best ISA of this CPU when it lacks that one.
Isa usableIsa(Isa requested);

//===----------------------------------------------------------------------===//
// Micro-kernels: shapes, modes, signatures (defined in Portable.cpp and
// x86/, partly through VectorKernels.h; selected in Cpu.cpp)
//===----------------------------------------------------------------------===//

/// Register-tile shape of an instruction set.
struct Shape {
  int MR, NR;
};
constexpr Shape shapeFor(Isa isa) {
  switch (isa) {
  case Isa::AVX512: return {8, 32};
  case Isa::AVX2: return {6, 16};
  case Isa::Portable: return {4, 16};
  }
  return {4, 16};
}
/// The float kernels use a taller tile on AVX-512 (24 accumulators).
constexpr Shape floatShapeFor(Isa isa) {
  return isa == Isa::AVX512 ? Shape{12, 32} : shapeFor(isa);
}

/// Float modes: 0 = f32 (fused multiply-add, equal to multiply-then-add
/// since products are exact), 1 = f16 accumulation (round the sum to FP16
/// after every add; products exact in FP16 are not rounded), 2 = f16 with
/// products rounded to FP16 first.
enum FloatMode { kF32 = 0, kF16 = 1, kF16RoundProducts = 2 };

inline float roundHalf(float x) {
  return num::halfBitsToFloat(num::floatToHalfBits(x));
}

/// FP16 sums as the reference has them: a NaN is Numerics' FP16 NaN. (SIMD
/// arithmetic makes Inf − Inf the x86 default NaN, sign bit set, and the
/// conversions keep that sign.) Applied wherever an FP16 sum leaves a
/// kernel: whole sums, chunk partials and block partials. halfSum(x,
/// halfNaN()) is branch-free, so the scaling loops around it vectorize.
inline float halfNaN() {
  return roundHalf(std::numeric_limits<float>::quiet_NaN());
}
inline float halfSum(float x, float nan) { return x != x ? nan : x; }

/// c[j] += halfSum(part[j], nan) for j < n: FP16 chunk partials added to
/// the float32 chunk sums. One body, compiled (vectorized) for each
/// instruction set by its HalfPartials kernel: the same adds in every form.
__attribute__((always_inline)) inline void
addHalfPartialsImpl(float *__restrict c, const float *__restrict part, int n,
                    float nan) {
#pragma clang loop interleave_count(1) // n ≤ a tile's width (16 or 32)
  for (int j = 0; j < n; ++j)
    c[j] += halfSum(part[j], nan);
}

// Micro-kernels: C[MR×NR] (row stride ldc) = (zero ? 0 : C) + A-panel ·
// B-panel over kc reduction steps (kp pairs for int16, kq quads for
// bytes), k increasing.

/// Float panels of floatShapeFor(isa), mode a FloatMode.
using FloatMicro = void (*)(int kc, const float *A, const float *B, float *C,
                            int64_t ldc, bool zero);
/// Int16 pairs (A: one int32 per row and pair), tile of shapeFor(isa).
using Int16Micro = void (*)(int kp, const int32_t *A, const int16_t *B,
                            int32_t *C, int64_t ldc, bool zero);
/// u8 × s8 quads (vpdpbusd; AVX-512 only), the int16 kernel's tile. The
/// tracking variant raises *peak to the largest |partial sum| seen after
/// each group of 4 k (the FP16-on-integers attempt of GemmInt.cpp).
using Int8Micro = void (*)(int kq, const int32_t *A, const int8_t *B,
                           int32_t *C, int64_t ldc, bool zero, int32_t *peak);
/// One row of C over `width` columns (a multiple of 16): out = the FP16 sum
/// over the n terms (row ks[i] of B, row stride ldb, times as[i]), k
/// increasing (GemmF16Rows.cpp). Mode kF16 or kF16RoundProducts.
using RowKernel = void (*)(int n, const int32_t *ks, const float *as,
                           const float *B, int64_t ldb, int width, float *out);
/// addHalfPartialsImpl for an instruction set.
using HalfPartials = void (*)(float *c, const float *part, int n, float nan);

// Cpu.cpp: the kernels of an instruction set, which the drivers then call
// through function pointers.

/// The float micro-kernel for `rows` (≤ the tile's MR) live rows: on
/// AVX-512, a 4- or 8-row variant when that covers them, else the full tile.
FloatMicro floatMicro(Isa isa, int mode, int rows = 12);
Int16Micro int16Micro(Isa isa);
/// Aborts when called on anything but AVX-512 (the byte kernel is only
/// chosen with AVX-512 VNNI).
Int8Micro int8Micro(Isa isa, bool track);
RowKernel rowKernel(Isa isa, int mode);
HalfPartials halfPartials(Isa isa);

// Portable.cpp: the kernels of Isa::Portable.
FloatMicro floatMicroPortable(int mode);
void microInt16Portable(int kp, const int32_t *A, const int16_t *B, int32_t *C,
                        int64_t ldc, bool zero);
RowKernel rowKernelPortable(int mode);
void addHalfPartialsPortable(float *c, const float *part, int n, float nan);

/// Runs a micro-kernel on the tile at C (row stride ldc) with `rows` ×
/// `cols` valid entries: in place when the tile is whole, else through a
/// padded copy. Returns nothing; the caller reads the updated tile from C.
template <typename T, typename Fn>
void onTile(T *C, int64_t ldc, int rows, int cols, bool zero, Shape sh,
            T *scratch, Fn micro) {
  if (rows == sh.MR && cols == sh.NR)
    return micro(C, ldc, zero);
  for (int r = 0; r < sh.MR; ++r)
    for (int j = 0; j < sh.NR; ++j)
      scratch[r * sh.NR + j] =
          (!zero && r < rows && j < cols) ? C[r * ldc + j] : T(0);
  micro(scratch, int64_t(sh.NR), false);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j)
      C[r * ldc + j] = scratch[r * sh.NR + j];
}

//===----------------------------------------------------------------------===//
// Format-pair analysis and path choice (FormatAnalysis.cpp)
//===----------------------------------------------------------------------===//

/// Per-format tables over every code (cached per format by tablesFor).
struct FormatTables {
  std::vector<float> value;  // decode(code)
  std::vector<int16_t> ival; // exactInteger(code), when intOk
  bool allFinite = true;
  bool intOk = true; // every code's exact integer fits int16
  int64_t maxInt = 0;
};

/// Facts about a pair of formats, exhaustive over the code pairs (cached
/// per pair by pairInfo).
struct PairInfo {
  bool productsExact = false; // every finite product is exact in float32
  bool floatExact = false; // ... and both formats have only finite codes
  bool int16Exact = false; // exact path with int16 operands
  int64_t maxProduct = 0;  // max |intA · intB|
  bool halfProductsExact = false; // every finite product is exact in FP16
  /// num::f16SkipsZeroProducts of the pair (implied by floatExact).
  bool f16SkipsZeros = false;
};

const FormatTables &tablesFor(const num::Format &f);
PairInfo pairInfo(const num::Format &fa, const num::Format &fb);

enum class Path { ExactInt16, Float, FloatF16, Reference };

/// `blocked`: block scales along K; `dataFinite`: the operands' codes hold no
/// NaN/Inf (formats with such codes may then take the f32 float path).
Path choosePath(const num::Format &fa, const num::Format &fb,
                num::Accumulation acc, bool blocked, bool dataFinite = false);
const char *pathName(Path path);

/// f32 accumulation of integer-valued codes whose every partial sum stays
/// below 2^24 units of the product grid, judged from the formats: each
/// float32 add is then exact, so the sequential f32 sum *is* the exact
/// integer sum (and a zero sum is +0 either way) — the integer kernels give
/// the same bits, faster. Only for GEMMs large enough that the integer
/// kernels' fixed costs pay off (both paths give the same bits).
bool f32ViaIntegers(const num::Format &fa, const num::Format &fb, int M, int N,
                    int K);
/// The data form of f32ViaIntegers: every partial sum of output (m, n) is
/// at most Σ_k |a_mk| · max|b| (and Σ_k |b_kn| · max|a|) in units of the
/// product grid, so when either bound stays below 2^24 for every row (or
/// column), each float32 add of the sequential f32 sum is exact and the
/// integer kernels give its bits. Checked on the codes, O(M·K + K·N).
bool f32ViaIntegersForData(int M, int N, int K, const Operand &A,
                           const Operand &B);

/// FP16 accumulation: products rounded to FP16 first unless every product
/// of the two formats is exact in FP16 (found once per pair, by pairInfo).
int halfMode(const num::Format &fa, const num::Format &fb);

/// The byte kernel (AVX-512 VNNI vpdpbusd: unsigned bytes times signed
/// bytes) for a pair on the integer path: A's values plus an offset (the
/// negative of A's smallest value, if negative) must fit an unsigned byte,
/// B's a signed byte. Returns that offset, or -1 when the byte kernel cannot
/// run the pair.
int byteKernelOffset(const FormatTables &ta, const FormatTables &tb, Isa isa);

/// FP16 accumulation of unsigned × signed small-integer codes on the byte
/// kernels (GemmInt.cpp, gemmHalfOnIntegers): the largest tracked |sum| at
/// which the integer result stands — the FP16 exact limit less 3 products —
/// or 0 when the byte kernels cannot run the pair without an offset or no
/// tracked sum could stand. `chunked` (F16Chunked): a chunk's partial sum is
/// the difference of two prefix sums, so the prefix sums must stay within
/// half that limit (less 3 products); the chunk sums, exact integers that
/// small, then add exactly in float32 too.
int32_t f16ViaIntegersPeakLimit(const num::Format &fa, const num::Format &fb,
                                Isa isa, bool chunked = false);
/// A cheap look before the integer FP16 attempt: the exact prefix sums of
/// a few outputs (rows 0 and M-1, the first 8 columns). When one of them
/// already leaves the limit the attempt would fail, so it is skipped.
bool f16SampleFits(int M, int N, int K, const Operand &A, const Operand &B,
                   int64_t limit);

//===----------------------------------------------------------------------===//
// Operand access and packing (Pack.cpp)
//===----------------------------------------------------------------------===//

/// A std::vector allocator giving 64-byte (cache-line) aligned storage: the
/// packed panels are read with full-width vector loads, which must not
/// straddle cache lines (a 16-byte aligned 256 KB panel made the FP16
/// kernel run at half speed, depending on where malloc put it).
template <typename T> struct CacheAligned {
  using value_type = T;
  CacheAligned() = default;
  template <typename U> CacheAligned(const CacheAligned<U> &) {}
  T *allocate(size_t n) {
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, std::max<size_t>(bytes, 64));
    if (!p)
      throw std::bad_alloc();
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }
  template <typename U> bool operator==(const CacheAligned<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const CacheAligned<U> &) const {
    return false;
  }
};
template <typename T> using AlignedVector = std::vector<T, CacheAligned<T>>;

/// A cache-aligned array of n trivially constructible elements left
/// uninitialized, for buffers the kernels write in full before reading (a
/// zero-filled vector costs a pass over memory and, at every call, page
/// faults that two threads then take in turn).
template <typename T> class UninitArray {
public:
  explicit UninitArray(size_t n) : n_(n), p_(CacheAligned<T>().allocate(n)) {}
  ~UninitArray() { CacheAligned<T>().deallocate(p_, n_); }
  UninitArray(const UninitArray &) = delete;
  UninitArray &operator=(const UninitArray &) = delete;
  T *data() { return p_; }
  size_t size() const { return n_; }
  T &operator[](size_t i) { return p_[i]; }
  T *begin() { return p_; }
  T *end() { return p_ + n_; }

private:
  size_t n_;
  T *p_;
};

/// Codes of `len` consecutive stored elements starting at flat index `f`,
/// one per byte: the fast form of codeAt for a run.
void unpackRun(const uint8_t *codes, CodeLayout layout, size_t f, int len,
               uint8_t *out);

/// Code of logical element (i, j) of an operand with `cols` logical columns
/// and `rows` logical rows, stored row-major or as its transpose.
struct CodeMatrix {
  const uint8_t *codes;
  CodeLayout layout;
  int rows, cols;
  bool transposed;
  uint32_t at(int i, int j) const {
    return codeAt(codes, layout,
                  transposed ? size_t(j) * rows + i : size_t(i) * cols + j);
  }
  /// The codes of rows [i0, i0+ni) × columns [j0, j0+nj), one per byte,
  /// row-major with row stride nj, read in runs along the stored rows.
  void block(int i0, int ni, int j0, int nj, uint8_t *out) const;
};

/// A table of at most 16 int16 values (plus `offset`) split in low and high
/// bytes, for byte-shuffle lookups; entries past ncodes are 0.
struct SplitTable16 {
  alignas(16) uint8_t lo[16] = {}, hi[16] = {};
  SplitTable16(const int16_t *table, int ncodes, int offset = 0) {
    for (int c = 0; c < std::min(ncodes, 16); ++c) {
      uint16_t v = uint16_t(table[c] + offset);
      lo[c] = uint8_t(v & 0xFF), hi[c] = uint8_t(v >> 8);
    }
  }
};

/// A block rows [m0, m0+mc) × k [k0, k0+kc) of float values (table of the
/// format's codes) into panels of MR rows: out[panel][k][MR], rows past M
/// are zero.
void packA(const CodeMatrix &A, const float *table, int M, int m0, int mc,
           int k0, int kc, int MR, float *out);
/// The whole of B (K×N) as float values (table of `ncodes` entries) into
/// panels of NR columns: out[panel][k][NR], zeros past N.
void packB(const CodeMatrix &B, const float *table, int ncodes, int K, int N,
           int NR, Isa isa, float *out);

// Integer operands in groups of G consecutive k (G = 2: int16 lanes for
// vpdpwssd/vpmaddwd; G = 4: bytes for vpdpbusd). A: one int32 per row and
// group (element g in bits [g·32/G, (g+1)·32/G), A values plus `offset` for
// the unsigned byte form); B: [group][NR][G] of BT. Past K (or the block),
// A elements are zero: they add nothing even with B's padding.

/// A block rows [m0, m0+mc) × k [k0, k0+kc) into panels of MR rows of
/// groups (G = 2 or 4; instantiated for both).
template <int G>
void packAGroups(const CodeMatrix &A, const int16_t *table, int ncodes,
                 int offset, int M, int m0, int mc, int k0, int kc, int K,
                 int MR, Isa isa, int32_t *out);
/// B (K×N) into panels [q0, q1) of NR columns in groups of G k:
/// out[panel][group][NR][G], zeros past K and N (instantiated for G = 2,
/// BT = int16_t and G = 4, BT = int8_t).
template <int G, typename BT>
void packBGroups(const CodeMatrix &B, const int16_t *table, int ncodes, int K,
                 int N, int NR, int q0, int q1, Isa isa, BT *out);

//===----------------------------------------------------------------------===//
// Drivers (GemmFloat.cpp, GemmInt.cpp, GemmF16Rows.cpp) and what they share
//===----------------------------------------------------------------------===//

constexpr int kMC = 192; // rows of A per packed block
/// Reduction steps per block (float): the B micro-panel stays in L1.
constexpr int kKC = 256;
constexpr int kKCInt = 512; // reduction steps per block (int16, in pairs)

/// Splits [0, M) into `threads` contiguous ranges aligned to MR and runs fn
/// on each, on the persistent pool (Parallel.h). Each range gets its own
/// copy of fn, so state a lambda captures by value is per range.
template <typename Fn> void parallelRows(int M, int MR, int threads, Fn fn) {
  int panels = (M + MR - 1) / MR;
  if (std::min(threads, panels) <= 1)
    return fn(0, M);
  parallelRanges(size_t(panels), threads, [&](size_t p0, size_t p1) {
    Fn local = fn;
    local(int(p0) * MR, std::min(M, int(p1) * MR));
  });
}

inline float scaleOf(const Operand &op, int index) {
  return op.scales ? op.scales[index] : 1.0f;
}

/// Applies the scale rule (C45, num::scaleDot) to rows [m0, m1) of raw dot
/// products; dot(m, n) gives the raw value.
template <typename Dot>
void applyScales(int m0, int m1, int N, const Operand &Aop, const Operand &Bop,
                 float *C, Dot dot) {
  float tAB = num::tensorScaleProduct(Aop.tensorScale, Bop.tensorScale);
  bool outerA = Aop.scaleLayout == num::ScaleLayout::Outer;
  bool outerB = Bop.scaleLayout == num::ScaleLayout::Outer;
  for (int m = m0; m < m1; ++m) {
    float sa = scaleOf(Aop, outerA ? m : 0);
    float *row = C + size_t(m) * N;
    if (outerB) {
      for (int n = 0; n < N; ++n)
        row[n] = num::scaleDot(dot(m, n), sa, Bop.scales[n], tAB);
    } else {
      float sb = scaleOf(Bop, 0);
      for (int n = 0; n < N; ++n)
        row[n] = num::scaleDot(dot(m, n), sa, sb, tAB);
    }
  }
}

/// Path::Float and Path::FloatF16 on the float panels (GemmFloat.cpp);
/// `blockSize` > 0: block scales along K.
void gemmFloat(int M, int N, int K, const Operand &Aop, const Operand &Bop,
               num::Accumulation acc, float *C, Isa isa, int threads,
               int blockSize);
/// Path::ExactInt16 on the integer panels (GemmInt.cpp).
void gemmExact(int M, int N, int K, const Operand &Aop, const Operand &Bop,
               float *C, Isa isa, int threads);
/// FP16 accumulation (no block scales) on the integer kernels while every
/// partial sum stays exact in FP16 (GemmInt.cpp). Returns whether C holds
/// the result; when not, C is to be recomputed.
bool gemmHalfOnIntegers(int M, int N, int K, const Operand &Aop,
                        const Operand &Bop, bool chunked, float *C, Isa isa,
                        int threads);
/// FP16 accumulation (no block scales) row by row over A's nonzero terms
/// (GemmF16Rows.cpp): plain F16 (chunk 0) or F16Chunked(chunk). Returns
/// false, having computed nothing, when A is too dense for this to pay
/// (more than kSparseRowsDensity of it nonzero).
bool gemmHalfSparseRows(int M, int N, int K, const Operand &Aop,
                        const Operand &Bop, int chunk, float *C, Isa isa,
                        int threads);

} // namespace quant4::kernels::detail

#endif // QUANT4_LIB_KERNELS_KERNELSIMPL_H
