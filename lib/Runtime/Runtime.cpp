//===- Runtime.cpp - C ABI kernels for code lowered to the CPU ------------===//
//
// Glue only: gathers memref elements, maps each element to its scale, and
// calls quant4::num for every bit-level decision (see Runtime.h).
//
//===----------------------------------------------------------------------===//
#include "quant4/Runtime/Runtime.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h" // header-only, standard headers
#include "quant4/Kernels/Copy.h"
#include "quant4/Kernels/Gemm.h"
#include "quant4/Kernels/Parallel.h"
#include "quant4/Kernels/Workspace.h"
#include "quant4/Kernels/Quantize.h"
#include "quant4/Numerics/Numerics.h"

#ifndef QUANT4_HAVE_OPENBLAS
#define QUANT4_HAVE_OPENBLAS 0
#endif
#if QUANT4_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace quant4;

namespace {

//===-- Process-wide state ------------------------------------------------===//

using kernels::CodeLayout;

std::atomic<int32_t> gThreads{1};

/// The threads for a loop of `work` units: one below `serialBelow`, where
/// waking the pool costs more than it saves. (Results never depend on it.)
int threadsFor(uint64_t work, uint64_t serialBelow) {
  return work < serialBelow ? 1 : gThreads.load();
}

/// Elementwise passes (quantize, dropout) run on one thread below this.
constexpr uint64_t kSerialElements = uint64_t(1) << 15;

//===-- Profile -----------------------------------------------------------===//

/// quant4_rt_profile_enable: the time and calls of each entry point class.
std::atomic<bool> gProfile{false};
std::atomic<uint64_t> gProfileNs[QUANT4_RT_PROFILE_CLASSES];
std::atomic<uint64_t> gProfileCalls[QUANT4_RT_PROFILE_CLASSES];
/// The same per timed op of the compiled code (quant4_rt_profile_end).
std::atomic<uint64_t> gRegionNs[QUANT4_RT_PROFILE_MAX_REGIONS];
std::atomic<uint64_t> gRegionCalls[QUANT4_RT_PROFILE_MAX_REGIONS];

/// The profile's clock (ns, > 0).
int64_t profileNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The nanoseconds since `t0` (never negative).
uint64_t profileSince(int64_t t0) {
  return uint64_t(std::max<int64_t>(0, profileNow() - t0));
}

/// Adds one call of `ns` nanoseconds to entry `i` of a profile's counters.
void profileAdd(std::atomic<uint64_t> *nsOf, std::atomic<uint64_t> *callsOf,
                int i, uint64_t ns) {
  nsOf[i].fetch_add(ns, std::memory_order_relaxed);
  callsOf[i].fetch_add(1, std::memory_order_relaxed);
}

/// Adds one call that started at t0 to class `cls`.
void profileRecord(int cls, int64_t t0) {
  profileAdd(gProfileNs, gProfileCalls, cls, profileSince(t0));
}

/// Adds the lifetime of a runtime call to its class while profiling.
class ProfileScope {
public:
  explicit ProfileScope(int cls)
      : cls(cls), t0(gProfile.load(std::memory_order_relaxed) ? profileNow()
                                                              : 0) {}
  ~ProfileScope() {
    if (t0)
      profileRecord(cls, t0);
  }

private:
  int cls;
  int64_t t0; // 0: not profiling
};
std::atomic<uint64_t> gSeed{0};
std::mutex gErrorMutex;
std::string gError;
bool gHasError = false;

void setError(const std::string &msg) {
  std::lock_guard<std::mutex> lock(gErrorMutex);
  if (!gHasError) {
    gError = msg;
    gHasError = true;
  }
}

float nanValue() { return std::numeric_limits<float>::quiet_NaN(); }

//===-- Memref descriptors ------------------------------------------------===//

/// A ranked view of an unranked memref argument whose element size is known
/// at run time (upstream's DynamicMemRefType<T> is typed: the runtime's
/// gathers and kernels serve f32, f16, bf16, i8 and i64 operands alike).
struct View {
  int64_t rank = 0;
  char *aligned = nullptr;
  int64_t offset = 0;
  const int64_t *sizes = nullptr;
  const int64_t *strides = nullptr;
  size_t elemSize = 1;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t i = 0; i < rank; ++i)
      n *= sizes[i];
    return n;
  }
  std::vector<int64_t> shape() const {
    return std::vector<int64_t>(sizes, sizes + rank);
  }
  /// The first element; element i of a dense() view is at data() + i·elemSize.
  char *data() const { return aligned + offset * int64_t(elemSize); }
  /// Row-major with no gaps (unit-size dimensions may have any stride).
  bool dense() const {
    int64_t expect = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (sizes[d] != 1 && strides[d] != expect)
        return false;
      expect *= sizes[d];
    }
    return true;
  }
  /// Calls fn(linearIndex, elementPointer) in row-major order.
  template <typename Fn> void forEach(Fn fn) const {
    int64_t n = numel();
    if (n == 0)
      return;
    if (dense()) {
      char *p = data();
      for (int64_t i = 0; i < n; ++i)
        fn(i, p + i * int64_t(elemSize));
      return;
    }
    std::vector<int64_t> idx(rank, 0);
    int64_t off = offset;
    for (int64_t i = 0; i < n; ++i) {
      fn(i, aligned + off * int64_t(elemSize));
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < sizes[d]) {
          off += strides[d];
          break;
        }
        off -= strides[d] * (sizes[d] - 1);
        idx[d] = 0;
      }
    }
  }
};

/// The view of an unranked memref argument (Q4RT_MEMREF: its rank and a
/// pointer to its ranked descriptor, read as upstream's StridedMemRefType).
View view(int64_t rank, void *desc, size_t elemSize) {
  DynamicMemRefType<char> m(UnrankedMemRefType<char>{rank, desc});
  View v;
  v.rank = rank;
  v.elemSize = elemSize;
  v.aligned = m.data;
  v.offset = m.offset;
  v.sizes = m.sizes;
  v.strides = m.strides;
  return v;
}

enum class Real { F32, F16, BF16 };

size_t realSize(Real k) { return k == Real::F32 ? 4 : 2; }

std::vector<float> gatherReal(const View &v, Real k) {
  if (k == Real::F32 && v.dense()) {
    const float *p = reinterpret_cast<const float *>(v.data());
    return std::vector<float>(p, p + v.numel());
  }
  std::vector<float> out(size_t(v.numel()));
  v.forEach([&](int64_t i, const char *p) {
    if (k == Real::F32) {
      std::memcpy(&out[i], p, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, p, 2);
      out[i] = k == Real::F16 ? num::halfBitsToFloat(h) : num::bf16BitsToFloat(h);
    }
  });
  return out;
}

/// The elements of a real view as float32: the memref's own memory when it
/// is dense float32, else a gathered copy.
struct Floats {
  std::vector<float> copy;
  const float *data = nullptr;
  size_t size = 0;
  Floats(const View &v, Real k) {
    size = size_t(v.numel());
    if (k == Real::F32 && v.dense()) {
      data = reinterpret_cast<const float *>(v.data());
    } else {
      copy = gatherReal(v, k);
      data = copy.data();
    }
  }
};

void scatterReal(const View &v, Real k, const std::vector<float> &vals) {
  v.forEach([&](int64_t i, char *p) {
    if (k == Real::F32) {
      std::memcpy(p, &vals[i], 4);
    } else {
      uint16_t h = k == Real::F16 ? num::floatToHalfBits(vals[i])
                                  : num::floatToBF16Bits(vals[i]);
      std::memcpy(p, &h, 2);
    }
  });
}

std::vector<uint32_t> gatherCodes(const View &v) {
  std::vector<uint32_t> out(size_t(v.numel()));
  v.forEach([&](int64_t i, const char *p) { out[i] = uint8_t(*p); });
  return out;
}

void scatterCodes(const View &v, const std::vector<uint32_t> &codes) {
  v.forEach([&](int64_t i, char *p) { *p = char(uint8_t(codes[i])); });
}

std::vector<int64_t> gatherI64(const View &v) {
  std::vector<int64_t> out(size_t(v.numel()));
  v.forEach([&](int64_t i, const char *p) { std::memcpy(&out[i], p, 8); });
  return out;
}

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t x : shape)
    n *= x;
  return n;
}

int64_t packedBytes(int64_t n) { return (n + 1) / 2; }

/// The codes of a quantized operand as contiguous storage (byte or packed,
/// the runtime memory itself when it is dense, else a gathered copy) with
/// its logical shape.
struct CodeBuf {
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  CodeLayout layout = CodeLayout::Byte;
  std::vector<uint8_t> own;
  int64_t numel() const { return product(shape); }
  uint32_t at(int64_t i) const {
    return kernels::codeAt(data, layout, size_t(i));
  }
};

/// Reads a code operand whose format word is `word`. `logical` is the
/// logical shape of a packed operand (ignored for byte storage, whose shape
/// is the memref's). "" or the problem.
std::string readCodes(const View &v, int64_t word,
                      const std::vector<int64_t> &logical, CodeBuf &out) {
  bool packed = rt::isPackedStorage(word);
  out.layout = packed ? CodeLayout::Packed4 : CodeLayout::Byte;
  out.shape = packed ? logical : v.shape();
  int64_t bytes = packed ? packedBytes(out.numel()) : out.numel();
  if (packed && (v.rank != 1 || v.sizes[0] != bytes))
    return "packed codes of " + std::to_string(out.numel()) +
           " elements need a 1-D buffer of " + std::to_string(bytes) +
           " bytes";
  if (v.dense()) {
    out.data = reinterpret_cast<const uint8_t *>(v.data());
    return "";
  }
  out.own.resize(size_t(bytes));
  v.forEach([&](int64_t i, const char *p) { out.own[size_t(i)] = uint8_t(*p); });
  out.data = out.own.data();
  return "";
}

/// Writes n codes produced in index order by code(i) into `out` (byte or
/// packed storage per the format word), in one pass.
template <typename Fn>
std::string writeCodes(const View &out, int64_t word, int64_t n, Fn code) {
  bool packed = rt::isPackedStorage(word);
  int64_t bytes = packed ? packedBytes(n) : n;
  if (out.numel() != bytes || (packed && out.rank != 1))
    return "code buffer of " + std::to_string(out.numel()) +
           " bytes does not hold " + std::to_string(n) +
           (packed ? " packed codes" : " codes");
  std::vector<uint8_t> tmp;
  uint8_t *dst;
  bool dense = out.dense();
  if (dense) {
    dst = reinterpret_cast<uint8_t *>(out.data());
  } else {
    tmp.resize(size_t(bytes));
    dst = tmp.data();
  }
  if (packed) {
    for (int64_t i = 0; i + 1 < n; i += 2) {
      uint32_t lo = code(i), hi = code(i + 1);
      dst[i / 2] = uint8_t((lo & 0xF) | ((hi & 0xF) << 4));
    }
    if (n & 1)
      dst[n / 2] = uint8_t(code(n - 1) & 0xF);
  } else {
    for (int64_t i = 0; i < n; ++i)
      dst[i] = uint8_t(code(i));
  }
  if (!dense)
    out.forEach([&](int64_t i, char *p) { *p = char(tmp[size_t(i)]); });
  return "";
}

std::vector<int64_t> shapeArg(int64_t rank, void *desc) {
  return gatherI64(view(rank, desc, 8));
}

inline void storeReal(Real k, char *p, float v) {
  if (k == Real::F32) {
    std::memcpy(p, &v, 4);
    return;
  }
  uint16_t h = k == Real::F16 ? num::floatToHalfBits(v) : num::floatToBF16Bits(v);
  std::memcpy(p, &h, 2);
}

void fillNaN(const View &v, Real k) {
  scatterReal(v, k, std::vector<float>(size_t(v.numel()), nanValue()));
}

//===-- Granularity -------------------------------------------------------===//

struct Granularity {
  int64_t kind = rt::GranTensor;
  int64_t axis = 0;
  std::vector<int64_t> block;

  /// Row-major index into the scale tensor of element `linear` of a tensor
  /// of shape `shape` whose scale tensor has shape `scaleShape`.
  int64_t scaleIndex(const std::vector<int64_t> &shape,
                     const std::vector<int64_t> &scaleShape,
                     int64_t linear) const {
    if (kind == rt::GranTensor)
      return 0;
    // Walk the dimensions from the innermost out: no allocation per element.
    int64_t s = 0, mult = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      int64_t idx = linear % shape[d];
      linear /= shape[d];
      if (kind == rt::GranAxis) {
        if (int64_t(d) == axis)
          return idx;
        continue;
      }
      s += (idx / block[d]) * mult;
      mult *= scaleShape[d];
    }
    return s;
  }
  /// scaleIndex of every element, in row-major order: an odometer over
  /// the dimensions that updates one dimension's share of the index per
  /// step instead of dividing every dimension for every element.
  std::vector<int64_t> scaleIndices(const std::vector<int64_t> &shape,
                                    const std::vector<int64_t> &scaleShape) const {
    int64_t n = product(shape);
    std::vector<int64_t> out(size_t(std::max<int64_t>(n, 0)), 0);
    size_t r = shape.size();
    if (kind == rt::GranTensor || n <= 0 || r == 0)
      return out;
    std::vector<int64_t> idx(r, 0), share(r, 0), mult(r, 1);
    for (size_t d = r - 1; d-- > 0;)
      mult[d] = mult[d + 1] * (kind == rt::GranAxis ? 1 : scaleShape[d + 1]);
    auto shareOf = [&](size_t d, int64_t i) -> int64_t {
      if (kind == rt::GranAxis)
        return int64_t(d) == axis ? i : 0;
      return (i / block[d]) * mult[d];
    };
    int64_t cur = 0;
    for (int64_t i = 0; i < n; ++i) {
      out[size_t(i)] = cur;
      for (size_t d = r; d-- > 0;) {
        if (++idx[d] < shape[d]) {
          int64_t sh = shareOf(d, idx[d]);
          cur += sh - share[d];
          share[d] = sh;
          break;
        }
        idx[d] = 0;
        cur -= share[d];
        share[d] = 0;
      }
    }
    return out;
  }
};

Granularity granularity(int64_t rank, void *desc) {
  std::vector<int64_t> a = gatherI64(view(rank, desc, 8));
  Granularity g;
  if (a.size() >= 2) {
    g.kind = a[0];
    g.axis = a[1];
    g.block.assign(a.begin() + 2, a.end());
  }
  return g;
}

/// The elements of each scale group, in row-major order within a group:
/// group j is values[start[j] .. start[j + 1]). One flat array (a counting
/// sort by group), not one vector per group: MX blocks of 32 make tens of
/// thousands of groups per tensor.
struct Groups {
  std::vector<float> values;
  std::vector<size_t> start;
  const float *data(size_t j) const { return values.data() + start[j]; }
  size_t size(size_t j) const { return start[j + 1] - start[j]; }
};

Groups groups(const std::vector<float> &x, const std::vector<int64_t> &shape,
              const std::vector<int64_t> &scaleShape, const Granularity &g,
              size_t nScales) {
  std::vector<int64_t> idx = g.scaleIndices(shape, scaleShape);
  Groups out;
  out.start.assign(nScales + 1, 0);
  for (int64_t j : idx)
    ++out.start[size_t(j) + 1];
  for (size_t j = 0; j < nScales; ++j)
    out.start[j + 1] += out.start[j];
  std::vector<size_t> next(out.start.begin(), out.start.end() - 1);
  out.values.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out.values[next[size_t(idx[i])]++] = x[i];
  return out;
}

num::RngKey rngKey(int64_t seed, int64_t stream) {
  num::RngKey key;
  key.seed = uint64_t(seed) + gSeed.load();
  key.stream = uint64_t(stream);
  return key;
}

/// Kernel options for the current thread count.
kernels::Options kernelOptions() {
  kernels::Options o;
  o.threads = std::max(1, gThreads.load());
  return o;
}

//===-- Element-wise kernels ----------------------------------------------===//

/// Fused quantize-into-storage: the codes are written straight into the
/// (byte or packed) output by kernels::quantize (bit-exact with
/// num::quantize, threshold tables for the deterministic rules), one call per
/// run of elements sharing a scale: the whole tensor for a per-tensor scale,
/// rows of the innermost dimension for a per-axis scale on an outer axis,
/// innermost-dimension blocks for block scales. When runs are shorter than 8
/// elements (a per-axis scale on the innermost axis, narrow blocks) one
/// kernels::quantizeScaled call takes a scale per element instead. The scale
/// of an element is num::twoLevelScale(its scale, tensor scale or 1).
void quantizeImpl(Real k, View in, View scale, Granularity g, float tScale,
                  bool hasT, int64_t word, num::Rounding r, num::RngKey key,
                  View out) {
  num::Format f = rt::unpackFormat(word);
  bool packed = rt::isPackedStorage(word);
  // The scale table with the tensor scale applied once (the quantization
  // scale s · t of every element, t = 1 without a tensor scale).
  std::vector<float> s = gatherReal(scale, Real::F32);
  for (float &v : s)
    v = num::twoLevelScale(v, hasT ? tScale : 1.0f);
  std::vector<int64_t> shape = in.shape(), sshape = scale.shape();
  int64_t n = in.numel();
  int64_t bytes = packed ? packedBytes(n) : n;
  if (out.numel() != bytes || (packed && out.rank != 1)) {
    setError("quant4.quantize: code buffer of " +
             std::to_string(out.numel()) + " bytes does not hold " +
             std::to_string(n) + (packed ? " packed codes" : " codes"));
    return;
  }
  // Input as dense float32 (in place when it already is).
  Floats xs(in, k);
  const float *x = xs.data;
  // Output in place when dense.
  std::vector<uint8_t> tmp;
  uint8_t *dst;
  bool dense = out.dense();
  if (dense) {
    dst = reinterpret_cast<uint8_t *>(out.data());
  } else {
    tmp.assign(size_t(bytes), 0);
    dst = tmp.data();
  }
  CodeLayout layout = packed ? CodeLayout::Packed4 : CodeLayout::Byte;
  auto scaleAt = [&](int64_t i) {
    return s[size_t(g.scaleIndex(shape, sshape, i))];
  };
  int64_t inner = in.rank ? shape.back() : 1;
  int64_t run = g.kind == rt::GranTensor ? n
                : g.kind == rt::GranAxis
                    ? (g.axis == in.rank - 1 ? 1 : inner)
                    : (g.block.empty() ? 1 : std::min(g.block.back(), inner));
  if (packed && (n & 1))
    dst[n / 2] = 0; // the unused high nibble of an odd count stays zero
  if (n > 0 && run >= 8) {
    kernels::Options opts = kernelOptions();
    for (int64_t i0 = 0; i0 < n;) {
      // A run never crosses a row of the innermost dimension.
      int64_t rowEnd = g.kind == rt::GranTensor ? n : (i0 / inner + 1) * inner;
      int64_t len = std::min(run, rowEnd - i0);
      kernels::quantize(f, x + i0, size_t(len), scaleAt(i0), r, key,
                        uint64_t(i0), dst, layout, size_t(i0), opts);
      i0 += len;
    }
  } else if (n > 0) {
    // Scales that change from element to element (e.g. blocks across the
    // innermost dimension): one scale per element, same rule.
    std::vector<int64_t> idx = g.scaleIndices(shape, sshape);
    std::vector<float> se(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      se[size_t(i)] = s[size_t(idx[size_t(i)])];
    kernels::quantizeScaled(f, x, se.data(), size_t(n), r, key, 0, dst,
                            layout, 0);
  }
  if (!dense)
    out.forEach([&](int64_t i, char *p) { *p = char(tmp[size_t(i)]); });
}

float dequantizeOne(const num::Format &f, uint32_t code, float s, float tScale,
                    bool hasT) {
  return num::dequantizeTwoLevel(f, code, s, hasT ? tScale : 1.0f);
}

void dequantizeImpl(Real k, View in, View scale, Granularity g, float tScale,
                    bool hasT, int64_t word, View out) {
  num::Format f = rt::unpackFormat(word);
  CodeBuf codes;
  std::vector<int64_t> shape = out.shape(), sshape = scale.shape();
  if (std::string e = readCodes(in, word, shape, codes); !e.empty()) {
    setError("quant4.dequantize: " + e);
    fillNaN(out, k);
    return;
  }
  std::vector<float> s = gatherReal(scale, Real::F32);
  out.forEach([&](int64_t i, char *p) {
    storeReal(k, p,
              dequantizeOne(f, codes.at(i), s[size_t(g.scaleIndex(shape, sshape, i))],
                            tScale, hasT));
  });
}

void fakeQuantImpl(Real k, View in, View scale, Granularity g, float tScale,
                   bool hasT, num::Format f, num::Rounding r, num::RngKey key,
                   View out) {
  // Element for element num::fakeQuantTwoLevel(f, x, s, t, r, key, i):
  // the codes of num::quantize with the scale s · t (kernels::quantize or,
  // with a scale per element, kernels::quantizeScaled), decoded as
  // num::dequantizeTwoLevel does (num::scaleDecodedTwoLevel of the code's
  // value).
  Floats xs(in, k);
  const float *x = xs.data;
  std::vector<float> s = gatherReal(scale, Real::F32);
  std::vector<int64_t> shape = in.shape(), sshape = scale.shape();
  const int64_t n = in.numel();
  const float t = hasT ? tScale : 1.0f;
  std::vector<int64_t> idx;
  if (g.kind != rt::GranTensor)
    idx = g.scaleIndices(shape, sshape);
  std::vector<float> y(size_t(std::max<int64_t>(n, 0)));
  // The value of every code (formats of at most 8 bits).
  std::vector<float> decoded(size_t(1) << std::min(f.bitWidth(), 8));
  for (size_t c = 0; c < decoded.size(); ++c)
    decoded[c] = num::decode(f, uint32_t(c));
  auto range = [&](size_t b, size_t e) {
    std::vector<uint8_t> codes(e - b);
    if (idx.empty()) {
      kernels::quantize(f, x + b, e - b, num::twoLevelScale(s[0], t), r, key,
                        uint64_t(b), codes.data());
      for (size_t i = b; i < e; ++i)
        y[i] = num::scaleDecodedTwoLevel(decoded[codes[i - b]], s[0], t);
      return;
    }
    // A scale per element (blocks and axes, along any dimension).
    std::vector<float> se(e - b);
    for (size_t i = b; i < e; ++i)
      se[i - b] = num::twoLevelScale(s[size_t(idx[i])], t);
    kernels::quantizeScaled(f, x + b, se.data(), e - b, r, key, uint64_t(b),
                            codes.data());
    for (size_t i = b; i < e; ++i)
      y[i] = num::scaleDecodedTwoLevel(decoded[codes[i - b]],
                                       s[size_t(idx[i])], t);
  };
  size_t elements = size_t(std::max<int64_t>(n, 0));
  kernels::parallelRanges(elements, threadsFor(elements, kSerialElements),
                          range);
  scatterReal(out, k, y);
}

/// C[M×N] (dense, row-major) += op(A) · op(B), A M×K (K×M when ta) with
/// leading dimension lda, B K×N (N×K when tb) with ldb: on OpenBLAS when
/// the runtime has it, in fixed blocks of rows so that the result does not
/// depend on the thread count, else a plain loop (k increasing).
void sgemmAccumulate(int64_t M, int64_t N, int64_t K, const float *A,
                     int64_t lda, bool ta, const float *B, int64_t ldb,
                     bool tb, float *C) {
  if (M == 0 || N == 0 || K == 0)
    return;
#if QUANT4_HAVE_OPENBLAS
  // OpenBLAS runs single-threaded, on fixed blocks of kRowBlock rows (every
  // row is always computed in the same call context), and our threads take
  // whole blocks. 256 rows: with 64, LeNet's first convolution (36,864 ×
  // 25 × 6) made 576 BLAS calls, whose fixed cost was a quarter of it.
  static std::once_flag blasSingleThreaded;
  std::call_once(blasSingleThreaded, [] { openblas_set_num_threads(1); });
  constexpr int64_t kRowBlock = 256;
  int64_t blocks = (M + kRowBlock - 1) / kRowBlock;
  auto runBlocks = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t m0 = b * kRowBlock, rows = std::min(kRowBlock, M - m0);
      const float *Ab = ta ? A + m0 : A + m0 * lda;
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                  tb ? CblasTrans : CblasNoTrans, blasint(rows), blasint(N),
                  blasint(K), 1.0f, Ab, blasint(lda), B, blasint(ldb), 1.0f,
                  C + m0 * N, blasint(N));
    }
  };
  int threads = threadsFor(uint64_t(M * N * K), uint64_t(1) << 18);
  kernels::parallelRanges(size_t(blocks), threads,
                          [&](size_t b0, size_t b1) {
                            runBlocks(int64_t(b0), int64_t(b1));
                          });
#else
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float acc = C[m * N + n];
      for (int64_t k = 0; k < K; ++k)
        acc += (ta ? A[k * lda + m] : A[m * lda + k]) *
               (tb ? B[n * ldb + k] : B[k * ldb + n]);
      C[m * N + n] = acc;
    }
#endif
}

//===-- Numerics counters -------------------------------------------------===//

std::mutex gCountersMutex;
std::vector<num::QuantStats> gCounters;

/// Adds `st` to counter `id` (an error when `id` is out of range).
void addToCounter(int64_t id, const num::QuantStats &st) {
  std::lock_guard<std::mutex> lock(gCountersMutex);
  if (id < 0 || size_t(id) >= gCounters.size()) {
    setError("numerics counter " + std::to_string(id) +
             " out of range: quant4_rt_counters_reset reserved " +
             std::to_string(gCounters.size()));
    return;
  }
  gCounters[size_t(id)] += st;
}

/// Counts every element of `in` quantized to `f` with its two-level scale
/// (as quantizeImpl and fakeQuantImpl use it) into counter `id`;
/// isZero(i): element i's result is zero (num::QuantStats::count).
template <typename IsZero>
void countElements(const Floats &x, const View &in, const View &scale,
                   const Granularity &g, float tScale, bool hasT,
                   const num::Format &f, int64_t id, IsZero isZero) {
  std::vector<float> s = gatherReal(scale, Real::F32);
  std::vector<int64_t> shape = in.shape(), sshape = scale.shape();
  num::QuantStats st;
  for (size_t i = 0; i < x.size; ++i) {
    float si = num::twoLevelScale(
        s[size_t(g.scaleIndex(shape, sshape, int64_t(i)))],
        hasT ? tScale : 1.0f);
    st.count(f, x.data[i], si, isZero(i));
  }
  addToCounter(id, st);
}

/// What quantizing `in` to `codes` did.
void countQuantizeImpl(Real k, View in, View scale, Granularity g,
                       float tScale, bool hasT, int64_t word, View codes,
                       int64_t id) {
  num::Format f = rt::unpackFormat(word);
  Floats x(in, k);
  CodeBuf c;
  if (std::string e = readCodes(codes, word, in.shape(), c); !e.empty())
    return setError("numerics counter: " + e);
  if (size_t(c.numel()) != x.size)
    return setError("numerics counter: codes and input differ in size");
  countElements(x, in, scale, g, tScale, hasT, f, id, [&](size_t i) {
    return num::decode(f, c.at(int64_t(i))) == 0.0f;
  });
}

/// The same for a fake quantization `in` -> `out` (zero: out == 0).
void countFakeQuantImpl(Real k, View in, View scale, Granularity g,
                        float tScale, bool hasT, num::Format f, View out,
                        int64_t id) {
  Floats x(in, k), y(out, k);
  if (x.size != y.size)
    return setError("numerics counter: input and output differ in size");
  countElements(x, in, scale, g, tScale, hasT, f, id,
                [&](size_t i) { return y.data[i] == 0.0f; });
}

//===-- Scale policies ----------------------------------------------------===//

/// Calls fn(j, elements, count) for each group of elements sharing scale j
/// (row-major order within a group); a per-tensor scale reads the tensor in
/// place when it is dense float32.
template <typename Fn>
void forEachGroup(Real k, const View &in, const View &out, const Granularity &g,
                  Fn fn) {
  size_t nScales = size_t(out.numel());
  if (g.kind == rt::GranTensor && nScales == 1) {
    Floats x(in, k);
    fn(size_t(0), x.data, x.size);
    return;
  }
  auto gs = groups(gatherReal(in, k), in.shape(), out.shape(), g, nScales);
  for (size_t j = 0; j + 1 < gs.start.size(); ++j)
    fn(j, gs.data(j), gs.size(j));
}

void scaleAmaxImpl(Real k, View in, Granularity g, num::Format f, bool pow2,
                   View out) {
  std::vector<float> s(size_t(out.numel()));
  forEachGroup(k, in, out, g, [&](size_t j, const float *x, size_t n) {
    s[j] = num::amaxScale(f, num::amaxOf(x, n), pow2);
  });
  scatterReal(out, Real::F32, s);
}

void scaleGradImpl(Real k, View in, Granularity g, num::Format f, View prev,
                   View out) {
  std::vector<float> p = gatherReal(prev, Real::F32);
  std::vector<float> s(size_t(out.numel()));
  forEachGroup(k, in, out, g, [&](size_t j, const float *x, size_t n) {
    s[j] = num::gradScaleUpdate(f, p[j], num::amaxOf(x, n));
  });
  scatterReal(out, Real::F32, s);
}

void scaleDelayedImpl(Real k, View in, num::Format f, int margin, View hist,
                      View oldScale, View outScale, View outHist) {
  Floats x(in, k);
  std::vector<float> h = gatherReal(hist, Real::F32);
  float old = gatherReal(oldScale, Real::F32).at(0);
  float s = num::delayedScale(f, h.data(), h.size(), margin, old);
  float amax = num::amaxOf(x.data, x.size);
  num::pushAmaxHistory(h.data(), h.size(), amax);
  scatterReal(outScale, Real::F32,
              std::vector<float>(size_t(outScale.numel()), s));
  scatterReal(outHist, Real::F32, h);
}

void scaleSawbImpl(Real k, View in, Granularity g, num::Format f, View out) {
  std::vector<float> s(size_t(out.numel()));
  forEachGroup(k, in, out, g, [&](size_t j, const float *x, size_t n) {
    s[j] = num::sawbScale(x, n, f.bits);
  });
  scatterReal(out, Real::F32, s);
}

void scalePactImpl(num::Format f, View alpha, View out) {
  float a = gatherReal(alpha, Real::F32).at(0);
  scatterReal(out, Real::F32,
              std::vector<float>(size_t(out.numel()), num::pactScale(a, f.bits)));
}

/// Block scales: the elements of each N-D block in row-major order, one
/// num::blockScaleCode per block (the rule quant4-ref applies too), and the
/// tensor scale of the two-level (NVFP4) policy over the whole input.
void scaleBlockImpl(Real k, View in, Granularity g, num::Format f,
                    num::Format sf, bool hasT, View outScale, bool codesOut,
                    View outT) {
  size_t nb = size_t(outScale.numel());
  std::vector<float> x = gatherReal(in, k);
  float t = hasT ? num::blockTensorScale(x.data(), x.size(), sf) : 1.0f;
  std::optional<float> tOpt = hasT ? std::optional<float>(t) : std::nullopt;
  auto gs = groups(x, in.shape(), outScale.shape(), g, nb);
  std::vector<uint32_t> codes(nb, 0);
  for (size_t j = 0; j < nb; ++j)
    codes[j] = num::blockScaleCode(gs.data(j), gs.size(j), f, sf, tOpt);
  if (codesOut) {
    scatterCodes(outScale, codes);
  } else {
    std::vector<float> scales(nb);
    for (size_t j = 0; j < nb; ++j)
      scales[j] = num::bitsFloat(codes[j]);
    scatterReal(outScale, Real::F32, scales);
  }
  if (hasT)
    scatterReal(outT, Real::F32, std::vector<float>(1, t));
}

//===-- GEMM / convolution ------------------------------------------------===//

/// The f32 result of a GEMM/conv: written in place when `out` is dense.
struct FloatResult {
  const View &out;
  std::vector<float> tmp;
  float *data;
  explicit FloatResult(const View &o) : out(o) {
    if (o.dense()) {
      data = reinterpret_cast<float *>(o.data());
    } else {
      tmp.assign(size_t(o.numel()), 0.0f);
      data = tmp.data();
    }
  }
  void finish() {
    if (!tmp.empty())
      scatterReal(out, Real::F32, tmp);
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// C entry points
//===----------------------------------------------------------------------===//

extern "C" {

void quant4_rt_set_num_threads(int32_t n) {
  gThreads = std::max(1, n);
  kernels::setPoolThreads(gThreads); // the compiled parallel loops' team
#if QUANT4_HAVE_OPENBLAS
  openblas_set_num_threads(1); // the runtime's own threads split the work
#endif
}
int32_t quant4_rt_get_num_threads(void) { return gThreads.load(); }
void quant4_rt_set_seed(uint64_t s) { gSeed = s; }
uint64_t quant4_rt_get_seed(void) { return gSeed.load(); }
const char *quant4_rt_last_error(void) {
  std::lock_guard<std::mutex> lock(gErrorMutex);
  return gHasError ? gError.c_str() : nullptr;
}
void quant4_rt_clear_error(void) {
  std::lock_guard<std::mutex> lock(gErrorMutex);
  gHasError = false;
  gError.clear();
}

#define Q4RT_V(name, size) view(name##Rank, name##Desc, size)
#define Q4RT_DEFINE_REAL(sfx, K)                                               \
  void quant4_rt_quantize_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(scale),           \
                                Q4RT_MEMREF(gran), float tensorScale,          \
                                int32_t hasTensorScale, int64_t format,        \
                                int32_t rounding, int64_t seed, int64_t stream,\
                                Q4RT_MEMREF(out)) {                            \
    ProfileScope profile_(QUANT4_RT_PROFILE_QUANTIZE);                         \
    quantizeImpl(K, Q4RT_V(in, realSize(K)), Q4RT_V(scale, 4),                 \
                 granularity(granRank, granDesc), tensorScale,                 \
                 hasTensorScale != 0, format, num::Rounding(rounding),         \
                 rngKey(seed, stream), Q4RT_V(out, 1));                        \
  }                                                                            \
  void quant4_rt_dequantize_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(scale),         \
                                  Q4RT_MEMREF(gran), float tensorScale,        \
                                  int32_t hasTensorScale, int64_t format,      \
                                  Q4RT_MEMREF(out)) {                          \
    ProfileScope profile_(QUANT4_RT_PROFILE_QUANTIZE);                         \
    dequantizeImpl(K, Q4RT_V(in, 1), Q4RT_V(scale, 4),                         \
                   granularity(granRank, granDesc), tensorScale,               \
                   hasTensorScale != 0, format, Q4RT_V(out, realSize(K)));     \
  }                                                                            \
  void quant4_rt_fake_quant_##sfx(                                             \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      int32_t rounding, int64_t seed, int64_t stream, Q4RT_MEMREF(out)) {      \
    ProfileScope profile_(QUANT4_RT_PROFILE_QUANTIZE);                         \
    fakeQuantImpl(K, Q4RT_V(in, realSize(K)), Q4RT_V(scale, 4),                \
                  granularity(granRank, granDesc), tensorScale,                \
                  hasTensorScale != 0, rt::unpackFormat(format),               \
                  num::Rounding(rounding), rngKey(seed, stream),               \
                  Q4RT_V(out, realSize(K)));                                   \
  }                                                                            \
  void quant4_rt_scale_amax_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),          \
                                  int64_t format, int32_t pow2,                \
                                  Q4RT_MEMREF(out)) {                          \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    scaleAmaxImpl(K, Q4RT_V(in, realSize(K)), granularity(granRank, granDesc), \
                  rt::unpackFormat(format), pow2 != 0, Q4RT_V(out, 4));        \
  }                                                                            \
  void quant4_rt_scale_gradscale_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),     \
                                       int64_t format, Q4RT_MEMREF(prev),      \
                                       Q4RT_MEMREF(out)) {                     \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    scaleGradImpl(K, Q4RT_V(in, realSize(K)), granularity(granRank, granDesc), \
                  rt::unpackFormat(format), Q4RT_V(prev, 4), Q4RT_V(out, 4));  \
  }                                                                            \
  void quant4_rt_scale_delayed_##sfx(                                          \
      Q4RT_MEMREF(in), int64_t format, int32_t margin, Q4RT_MEMREF(history),   \
      Q4RT_MEMREF(oldScale), Q4RT_MEMREF(outScale),                            \
      Q4RT_MEMREF(outHistory)) {                                               \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    scaleDelayedImpl(K, Q4RT_V(in, realSize(K)), rt::unpackFormat(format),     \
                     margin, Q4RT_V(history, 4), Q4RT_V(oldScale, 4),          \
                     Q4RT_V(outScale, 4), Q4RT_V(outHistory, 4));              \
  }                                                                            \
  void quant4_rt_scale_sawb_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),          \
                                  int64_t format, Q4RT_MEMREF(out)) {          \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    scaleSawbImpl(K, Q4RT_V(in, realSize(K)), granularity(granRank, granDesc), \
                  rt::unpackFormat(format), Q4RT_V(out, 4));                   \
  }                                                                            \
  void quant4_rt_scale_pact_##sfx(Q4RT_MEMREF(in), int64_t format,             \
                                  Q4RT_MEMREF(alpha), Q4RT_MEMREF(out)) {      \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    (void)inRank;                                                              \
    (void)inDesc;                                                              \
    scalePactImpl(rt::unpackFormat(format), Q4RT_V(alpha, 4), Q4RT_V(out, 4)); \
  }                                                                            \
  void quant4_rt_scale_block_codes_##sfx(                                      \
      Q4RT_MEMREF(in), Q4RT_MEMREF(gran), int64_t format, int64_t scaleFormat, \
      int32_t hasTensorScale, Q4RT_MEMREF(outScale),                           \
      Q4RT_MEMREF(outTensorScale)) {                                           \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    scaleBlockImpl(K, Q4RT_V(in, realSize(K)),                                 \
                   granularity(granRank, granDesc), rt::unpackFormat(format),  \
                   rt::unpackFormat(scaleFormat), hasTensorScale != 0,         \
                   Q4RT_V(outScale, 1), true, Q4RT_V(outTensorScale, 4));      \
  }                                                                            \
  void quant4_rt_scale_block_f32_##sfx(                                        \
      Q4RT_MEMREF(in), Q4RT_MEMREF(gran), int64_t format, int64_t scaleFormat, \
      int32_t hasTensorScale, Q4RT_MEMREF(outScale),                           \
      Q4RT_MEMREF(outTensorScale)) {                                           \
    ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);                            \
    scaleBlockImpl(K, Q4RT_V(in, realSize(K)),                                 \
                   granularity(granRank, granDesc), rt::unpackFormat(format),  \
                   rt::unpackFormat(scaleFormat), hasTensorScale != 0,         \
                   Q4RT_V(outScale, 4), false, Q4RT_V(outTensorScale, 4));     \
  }

#define Q4RT_DEFINE_COUNT(sfx, K)                                              \
  void quant4_rt_count_quantize_##sfx(                                         \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      Q4RT_MEMREF(codes), int64_t counter) {                                   \
    ProfileScope profile_(QUANT4_RT_PROFILE_COUNTERS);                         \
    countQuantizeImpl(K, Q4RT_V(in, realSize(K)), Q4RT_V(scale, 4),            \
                      granularity(granRank, granDesc), tensorScale,            \
                      hasTensorScale != 0, format, Q4RT_V(codes, 1), counter); \
  }                                                                            \
  void quant4_rt_count_fake_quant_##sfx(                                       \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      Q4RT_MEMREF(out), int64_t counter) {                                     \
    ProfileScope profile_(QUANT4_RT_PROFILE_COUNTERS);                         \
    countFakeQuantImpl(K, Q4RT_V(in, realSize(K)), Q4RT_V(scale, 4),           \
                       granularity(granRank, granDesc), tensorScale,           \
                       hasTensorScale != 0, rt::unpackFormat(format),          \
                       Q4RT_V(out, realSize(K)), counter);                     \
  }

Q4RT_DEFINE_COUNT(f32, Real::F32)
Q4RT_DEFINE_COUNT(f16, Real::F16)
Q4RT_DEFINE_COUNT(bf16, Real::BF16)
#undef Q4RT_DEFINE_COUNT

void quant4_rt_dropout_f32(Q4RT_MEMREF(in), int64_t seed, int64_t stream,
                           double ratio, Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_ELEMENTWISE);
  Floats x(Q4RT_V(in, 4), Real::F32);
  uint32_t threshold = num::dropoutThreshold(ratio);
  float scale = num::dropoutScale(ratio);
  num::RngKey key = rngKey(seed, stream);
  std::vector<float> y(x.size);
  int threads = threadsFor(x.size, kSerialElements);
  kernels::parallelRanges(x.size, threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      y[i] = num::dropout(x.data[i], key, uint64_t(i), threshold, scale);
  });
  scatterReal(Q4RT_V(out, 4), Real::F32, y);
}

void quant4_rt_pact_calibrate_f32(Q4RT_MEMREF(in), int64_t format,
                                  Q4RT_MEMREF(fallback), Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_SCALE);
  Floats x(Q4RT_V(in, 4), Real::F32);
  float f = gatherReal(Q4RT_V(fallback, 4), Real::F32).at(0);
  float alpha =
      num::pactCalibrate(x.data, x.size, rt::unpackFormat(format).bits, f);
  scatterReal(Q4RT_V(out, 4), Real::F32, std::vector<float>{alpha});
}

void quant4_rt_count_output(Q4RT_MEMREF(out), int64_t counter) {
  ProfileScope profile_(QUANT4_RT_PROFILE_COUNTERS);
  Floats y(Q4RT_V(out, 4), Real::F32);
  num::QuantStats st;
  st.total = y.size;
  for (size_t i = 0; i < y.size; ++i) {
    st.nan += std::isnan(y.data[i]) ? 1 : 0;
    st.inf += std::isinf(y.data[i]) ? 1 : 0;
  }
  addToCounter(counter, st);
}

void quant4_rt_conv2d_f32(Q4RT_MEMREF(input), Q4RT_MEMREF(filter),
                          Q4RT_MEMREF(init), int64_t strideH, int64_t strideW,
                          int64_t dilationH, int64_t dilationW,
                          int32_t accumulate, Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_CONVF32);
  View iv = Q4RT_V(input, 4), fv = Q4RT_V(filter, 4), cv = Q4RT_V(init, 4),
       ov = Q4RT_V(out, 4);
  auto fail = [&](const std::string &e) {
    setError("linalg.conv_2d_nhwc_hwcf (f32): " + e);
    fillNaN(ov, Real::F32);
  };
  if (iv.rank != 4 || fv.rank != 4 || ov.rank != 4)
    return fail("operands must be 4-D (NHWC, HWCF, NHWF)");
  num::ConvShape sh;
  sh.N = int(iv.sizes[0]), sh.H = int(iv.sizes[1]), sh.W = int(iv.sizes[2]);
  sh.C = int(iv.sizes[3]);
  sh.KH = int(fv.sizes[0]), sh.KW = int(fv.sizes[1]), sh.F = int(fv.sizes[3]);
  sh.strideH = int(strideH), sh.strideW = int(strideW);
  sh.dilationH = int(dilationH), sh.dilationW = int(dilationW);
  if (std::string e = num::validateConv2D(sh, true, true); !e.empty())
    return fail(e);
  if (fv.sizes[2] != iv.sizes[3] || ov.sizes[0] != sh.N ||
      ov.sizes[1] != sh.outH() || ov.sizes[2] != sh.outW() ||
      ov.sizes[3] != sh.F)
    return fail("operand shapes do not match");
  FloatResult c(ov);
  int64_t M = int64_t(sh.N) * sh.outH() * sh.outW();
  int64_t K = int64_t(sh.KH) * sh.KW * sh.C, N = sh.F;
  if (accumulate) {
    Floats i0(cv, Real::F32);
    std::copy(i0.data, i0.data + i0.size, c.data);
  } else {
    std::fill(c.data, c.data + M * N, 0.0f);
  }
  // im2col in the reduction order (kh, kw, c) of num::forEachConvTap: the
  // HWCF filter is then the K × F matrix as stored.
  Floats x(iv, Real::F32), w(fv, Real::F32);
  auto *col = static_cast<float *>(
      kernels::scratch(kernels::ScratchSlot::ConvF32, size_t(M * K) * 4));
  kernels::forEachConvRunParallel(
      sh, gThreads.load(), [&](size_t dst, size_t src, size_t len) {
        std::copy(x.data + src, x.data + src + len, col + dst);
      });
  sgemmAccumulate(M, N, K, col, K, false, w.data, N, false, c.data);
  c.finish();
}

void quant4_rt_profile_enable(int32_t on) {
  for (int c = 0; c < QUANT4_RT_PROFILE_CLASSES; ++c) {
    gProfileNs[c].store(0);
    gProfileCalls[c].store(0);
  }
  for (int r = 0; r < QUANT4_RT_PROFILE_MAX_REGIONS; ++r) {
    gRegionNs[r].store(0, std::memory_order_relaxed);
    gRegionCalls[r].store(0, std::memory_order_relaxed);
  }
  gProfile.store(on != 0);
}

int32_t quant4_rt_profile_read(int32_t cls, uint64_t *ns, uint64_t *calls) {
  if (cls < 0 || cls >= QUANT4_RT_PROFILE_CLASSES || !ns || !calls)
    return 0;
  *ns = gProfileNs[cls].load();
  *calls = gProfileCalls[cls].load();
  return 1;
}

const char *quant4_rt_profile_class_name(int32_t cls) {
  static const char *const names[QUANT4_RT_PROFILE_CLASSES] = {
      "4-bit GEMM",        "4-bit conv",
      "f32 GEMM (BLAS)",   "f32 conv (BLAS)",
      "quantize",          "scale policies",
      "numerics counters", "element-wise (compiled)",
      "reductions (compiled)", "data movement (compiled)",
      "f32 GEMM/conv (loops)"};
  return cls >= 0 && cls < QUANT4_RT_PROFILE_CLASSES ? names[cls] : nullptr;
}

int64_t quant4_rt_profile_begin(void) {
  return gProfile.load(std::memory_order_relaxed) ? profileNow() : 0;
}

int32_t quant4_rt_profile_read_region(int32_t region, uint64_t *ns,
                                      uint64_t *calls) {
  if (region < 0 || region >= QUANT4_RT_PROFILE_MAX_REGIONS || !ns || !calls)
    return 0;
  *ns = gRegionNs[region].load();
  *calls = gRegionCalls[region].load();
  return 1;
}

void quant4_rt_profile_end(int32_t cls, int32_t region, int64_t t0) {
  if (t0 == 0 || !gProfile.load(std::memory_order_relaxed))
    return;
  const uint64_t ns = profileSince(t0);
  if (cls >= 0 && cls < QUANT4_RT_PROFILE_CLASSES)
    profileAdd(gProfileNs, gProfileCalls, cls, ns);
  if (region >= 0 && region < QUANT4_RT_PROFILE_MAX_REGIONS)
    profileAdd(gRegionNs, gRegionCalls, region, ns);
}

void quant4_rt_counters_reset(int32_t n) {
  std::lock_guard<std::mutex> lock(gCountersMutex);
  gCounters.assign(size_t(std::max(0, n)), num::QuantStats());
}

int32_t quant4_rt_counters_size(void) {
  std::lock_guard<std::mutex> lock(gCountersMutex);
  return int32_t(gCounters.size());
}

int32_t quant4_rt_counter_read(int32_t id, uint64_t *out) {
  std::lock_guard<std::mutex> lock(gCountersMutex);
  if (id < 0 || size_t(id) >= gCounters.size() || !out)
    return 0;
  const num::QuantStats &c = gCounters[size_t(id)];
  out[0] = c.total;
  out[1] = c.zeroed;
  out[2] = c.saturated;
  out[3] = c.nan;
  out[4] = c.inf;
  return 1;
}

int32_t quant4_rt_counter_add(int32_t id, const uint64_t *in) {
  std::lock_guard<std::mutex> lock(gCountersMutex);
  if (id < 0 || size_t(id) >= gCounters.size() || !in)
    return 0;
  num::QuantStats add;
  add.total = in[0];
  add.zeroed = in[1];
  add.saturated = in[2];
  add.nan = in[3];
  add.inf = in[4];
  gCounters[size_t(id)] += add;
  return 1;
}

Q4RT_DEFINE_REAL(f32, Real::F32)
Q4RT_DEFINE_REAL(f16, Real::F16)
Q4RT_DEFINE_REAL(bf16, Real::BF16)
#undef Q4RT_DEFINE_REAL

void quant4_rt_decode_scale(Q4RT_MEMREF(in), int64_t format,
                            Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_QUANTIZE);
  num::Format f = rt::unpackFormat(format);
  std::vector<uint32_t> c = gatherCodes(Q4RT_V(in, 1));
  std::vector<float> v(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    v[i] = num::decode(f, c[i]);
  scatterReal(Q4RT_V(out, 4), Real::F32, v);
}


void quant4_rt_matmul(Q4RT_MEMREF(lhs), Q4RT_MEMREF(lhsShape),
                      Q4RT_MEMREF(rhs), Q4RT_MEMREF(rhsShape),
                      Q4RT_MEMREF(lhsScale), Q4RT_MEMREF(rhsScale),
                      Q4RT_MEMREF(lhsGran), Q4RT_MEMREF(rhsGran),
                      int64_t lhsFormat, int64_t rhsFormat, float tensorScaleA,
                      float tensorScaleB, int32_t transposeLhs,
                      int32_t transposeRhs, int32_t accKind, int32_t accChunk,
                      Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_GEMM4);
  View ov = Q4RT_V(out, 4);
  View lsv = Q4RT_V(lhsScale, 4), rsv = Q4RT_V(rhsScale, 4);
  auto fail = [&](const std::string &e) {
    setError("quant4.matmul: " + e);
    fillNaN(ov, Real::F32);
  };
  CodeBuf a, b;
  if (std::string e = readCodes(Q4RT_V(lhs, 1), lhsFormat,
                                shapeArg(lhsShapeRank, lhsShapeDesc), a);
      !e.empty())
    return fail("lhs: " + e);
  if (std::string e = readCodes(Q4RT_V(rhs, 1), rhsFormat,
                                shapeArg(rhsShapeRank, rhsShapeDesc), b);
      !e.empty())
    return fail("rhs: " + e);
  if (a.shape.size() != 2 || b.shape.size() != 2 || ov.rank != 2)
    return fail("operands and result must be 2-D");
  Granularity lg = granularity(lhsGranRank, lhsGranDesc);
  Granularity rg = granularity(rhsGranRank, rhsGranDesc);
  bool tl = transposeLhs != 0, tr = transposeRhs != 0;
  int64_t M = tl ? a.shape[1] : a.shape[0], K = tl ? a.shape[0] : a.shape[1];
  int64_t N = tr ? b.shape[0] : b.shape[1];
  if ((tr ? b.shape[1] : b.shape[0]) != K || ov.sizes[0] != M ||
      ov.sizes[1] != N)
    return fail("operand shapes do not match");
  std::vector<float> ls = gatherReal(lsv, Real::F32);
  std::vector<float> rs = gatherReal(rsv, Real::F32);

  kernels::Operand A, B;
  A.format = rt::unpackFormat(lhsFormat);
  B.format = rt::unpackFormat(rhsFormat);
  A.codes = a.data;
  B.codes = b.data;
  A.layout = a.layout;
  B.layout = b.layout;
  A.transposed = tl;
  B.transposed = tr;
  A.tensorScale = tensorScaleA;
  B.tensorScale = tensorScaleB;
  std::vector<float> aScales, bScales;
  // lhs dims are (M, K), or (K, M) when transposed; rhs (K, N) or (N, K).
  int64_t lk = tl ? 0 : 1, rk = tr ? 1 : 0;
  int64_t bs = lg.kind == rt::GranBlock   ? lg.block[size_t(lk)]
               : rg.kind == rt::GranBlock ? rg.block[size_t(rk)]
                                          : 0;
  int64_t nb = bs ? (K + bs - 1) / bs : 1;
  switch (lg.kind) {
  case rt::GranTensor:
    A.scaleLayout = num::ScaleLayout::Tensor;
    aScales = ls;
    break;
  case rt::GranAxis:
    A.scaleLayout = num::ScaleLayout::Outer;
    aScales = ls;
    break;
  default: { // BlockK: [M][nb], scale tensor indexed by (row block, k block)
    A.scaleLayout = num::ScaleLayout::BlockK;
    A.blockSize = int(bs);
    int64_t bm = lg.block[size_t(1 - lk)];
    int64_t sCols = lsv.sizes[1];
    aScales.resize(size_t(M * nb));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < nb; ++j)
        aScales[size_t(m * nb + j)] =
            tl ? ls[size_t(j * sCols + m / bm)] : ls[size_t((m / bm) * sCols + j)];
  }
  }
  switch (rg.kind) {
  case rt::GranTensor:
    B.scaleLayout = num::ScaleLayout::Tensor;
    bScales = rs;
    break;
  case rt::GranAxis:
    B.scaleLayout = num::ScaleLayout::Outer;
    bScales = rs;
    break;
  default: { // BlockK: [nb][N]
    B.scaleLayout = num::ScaleLayout::BlockK;
    B.blockSize = int(bs);
    int64_t bn = rg.block[size_t(1 - rk)];
    int64_t sCols = rsv.sizes[1];
    bScales.resize(size_t(nb * N));
    for (int64_t j = 0; j < nb; ++j)
      for (int64_t n = 0; n < N; ++n)
        bScales[size_t(j * N + n)] =
            tr ? rs[size_t((n / bn) * sCols + j)] : rs[size_t(j * sCols + n / bn)];
  }
  }
  A.scales = aScales.data();
  B.scales = bScales.data();
  num::Accumulation acc{num::AccumKind(accKind), int(accChunk)};
  FloatResult c(ov);
  std::string err = kernels::gemm(int(M), int(N), int(K), A, B, acc, c.data,
                                  kernelOptions());
  if (!err.empty())
    return fail(err);
  c.finish();
}

void quant4_rt_conv2d(Q4RT_MEMREF(input), Q4RT_MEMREF(inputShape),
                      Q4RT_MEMREF(filter), Q4RT_MEMREF(filterShape),
                      Q4RT_MEMREF(inputScale), Q4RT_MEMREF(filterScale),
                      Q4RT_MEMREF(filterGran), int64_t inputFormat,
                      int64_t filterFormat, int32_t accKind, int32_t accChunk,
                      int64_t strideH, int64_t strideW, int64_t dilationH,
                      int64_t dilationW, Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_CONV4);
  View ov = Q4RT_V(out, 4);
  auto fail = [&](const std::string &e) {
    setError("quant4.conv2d: " + e);
    fillNaN(ov, Real::F32);
  };
  CodeBuf in, fl;
  if (std::string e =
          readCodes(Q4RT_V(input, 1), inputFormat,
                    shapeArg(inputShapeRank, inputShapeDesc), in);
      !e.empty())
    return fail("input: " + e);
  if (std::string e =
          readCodes(Q4RT_V(filter, 1), filterFormat,
                    shapeArg(filterShapeRank, filterShapeDesc), fl);
      !e.empty())
    return fail("filter: " + e);
  if (in.shape.size() != 4 || fl.shape.size() != 4 || ov.rank != 4)
    return fail("input, filter and result must be 4-D");
  std::vector<float> is = gatherReal(Q4RT_V(inputScale, 4), Real::F32);
  std::vector<float> fs = gatherReal(Q4RT_V(filterScale, 4), Real::F32);
  Granularity fg = granularity(filterGranRank, filterGranDesc);
  num::ConvShape s;
  s.N = int(in.shape[0]);
  s.H = int(in.shape[1]);
  s.W = int(in.shape[2]);
  s.C = int(in.shape[3]);
  s.KH = int(fl.shape[0]);
  s.KW = int(fl.shape[1]);
  s.F = int(fl.shape[3]);
  s.strideH = int(strideH);
  s.strideW = int(strideW);
  s.dilationH = int(dilationH);
  s.dilationW = int(dilationW);
  if (ov.numel() == 0)
    return; // an empty batch: nothing to compute
  if (fl.shape[2] != in.shape[3] || ov.sizes[0] != s.N ||
      ov.sizes[1] != s.outH() || ov.sizes[2] != s.outW() || ov.sizes[3] != s.F)
    return fail("operand shapes do not match");
  kernels::Operand I, F;
  I.format = rt::unpackFormat(inputFormat);
  I.codes = in.data;
  I.layout = in.layout;
  I.scaleLayout = num::ScaleLayout::Tensor;
  I.scales = is.data();
  F.format = rt::unpackFormat(filterFormat);
  F.codes = fl.data;
  F.layout = fl.layout;
  F.scaleLayout = fg.kind == rt::GranAxis ? num::ScaleLayout::Outer
                                          : num::ScaleLayout::Tensor;
  F.scales = fs.data();
  num::Accumulation acc{num::AccumKind(accKind), int(accChunk)};
  FloatResult c(ov);
  std::string err = kernels::conv2d(s, I, F, acc, c.data, kernelOptions());
  if (!err.empty())
    return fail(err);
  c.finish();
}

void quant4_rt_pack4(Q4RT_MEMREF(in), Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_QUANTIZE);
  View iv = Q4RT_V(in, 1), ov = Q4RT_V(out, 1);
  std::vector<uint32_t> codes = gatherCodes(iv);
  std::string e = writeCodes(ov, rt::kPackedStorage, int64_t(codes.size()),
                             [&](int64_t i) { return codes[size_t(i)]; });
  if (!e.empty())
    setError("pack4: " + e);
}

void quant4_rt_unpack4(Q4RT_MEMREF(in), Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_QUANTIZE);
  View iv = Q4RT_V(in, 1), ov = Q4RT_V(out, 1);
  CodeBuf c;
  if (std::string e = readCodes(iv, rt::kPackedStorage, ov.shape(), c);
      !e.empty()) {
    setError("unpack4: " + e);
    return;
  }
  ov.forEach([&](int64_t i, char *p) { *p = char(uint8_t(c.at(i))); });
}

int32_t quant4_rt_has_blas(void) { return QUANT4_HAVE_OPENBLAS ? 1 : 0; }

namespace {
/// quant4_rt_copy_*: `in` and `out` with their element size set.
void copyImpl(const char *what, const View &in, const View &out) {
  if (in.shape() != out.shape()) {
    setError(std::string(what) + ": source and destination shapes differ");
    return;
  }
  kernels::stridedCopy(int(out.rank), out.sizes, in.data(), in.strides,
                       out.data(), out.strides, out.elemSize, gThreads.load());
}
} // namespace

#define Q4RT_COPY(T, BYTES)                                                    \
  void quant4_rt_copy_##T(Q4RT_MEMREF(in), Q4RT_MEMREF(out)) {                \
    copyImpl("copy_" #T, Q4RT_V(in, BYTES), Q4RT_V(out, BYTES));               \
  }
Q4RT_COPY(f32, 4)
Q4RT_COPY(f16, 2)
Q4RT_COPY(bf16, 2)
Q4RT_COPY(f64, 8)
Q4RT_COPY(i8, 1)
Q4RT_COPY(i16, 2)
Q4RT_COPY(i32, 4)
Q4RT_COPY(i64, 8)
#undef Q4RT_COPY

void quant4_rt_matmul_f32(Q4RT_MEMREF(a), Q4RT_MEMREF(b), Q4RT_MEMREF(init),
                          int32_t transposeA, int32_t transposeB,
                          int32_t accumulate, Q4RT_MEMREF(out)) {
  ProfileScope profile_(QUANT4_RT_PROFILE_GEMMF32);
  View av = Q4RT_V(a, 4), bv = Q4RT_V(b, 4), iv = Q4RT_V(init, 4),
       ov = Q4RT_V(out, 4);
  if (av.rank != 2 || bv.rank != 2 || ov.rank != 2) {
    setError("linalg.matmul (f32): operands must be 2-D");
    fillNaN(ov, Real::F32);
    return;
  }
  bool ta = transposeA != 0, tb = transposeB != 0;
  int64_t M = ov.sizes[0], N = ov.sizes[1];
  int64_t K = ta ? av.sizes[0] : av.sizes[1];
  if ((ta ? av.sizes[1] : av.sizes[0]) != M ||
      (tb ? bv.sizes[1] : bv.sizes[0]) != K ||
      (tb ? bv.sizes[0] : bv.sizes[1]) != N) {
    setError("linalg.matmul (f32): operand shapes do not match");
    fillNaN(ov, Real::F32);
    return;
  }
  // C starts as the init (accumulate) or zero, in a dense row-major buffer.
  FloatResult c(ov);
  if (accumulate) {
    Floats i0(iv, Real::F32);
    std::copy(i0.data, i0.data + i0.size, c.data);
  } else {
    std::fill(c.data, c.data + M * N, 0.0f);
  }
  if (M == 0 || N == 0 || K == 0) {
    c.finish();
    return;
  }
  // A 2-D operand with unit inner stride is used in place (leading
  // dimension = outer stride); anything else is copied densely first.
  auto matrix = [](const View &v, std::vector<float> &tmp, int64_t &ld) {
    if (v.strides[1] == 1 && v.strides[0] >= v.sizes[1] && v.strides[0] >= 1) {
      ld = v.strides[0];
      return reinterpret_cast<const float *>(v.data());
    }
    tmp = gatherReal(v, Real::F32);
    ld = std::max<int64_t>(1, v.sizes[1]);
    return static_cast<const float *>(tmp.data());
  };
  std::vector<float> at, bt;
  int64_t lda, ldb;
  const float *A = matrix(av, at, lda), *B = matrix(bv, bt, ldb);
  sgemmAccumulate(M, N, K, A, lda, ta, B, ldb, tb, c.data);
  c.finish();
}

} // extern "C"

const rt::Symbol *rt::runtimeSymbols() {
#define Q4RT_SYM(name) {#name, reinterpret_cast<void *>(&name)}
#define Q4RT_SYM_REAL(sfx)                                                     \
  Q4RT_SYM(quant4_rt_quantize_##sfx), Q4RT_SYM(quant4_rt_dequantize_##sfx),    \
      Q4RT_SYM(quant4_rt_fake_quant_##sfx),                                    \
      Q4RT_SYM(quant4_rt_scale_amax_##sfx),                                    \
      Q4RT_SYM(quant4_rt_scale_gradscale_##sfx),                               \
      Q4RT_SYM(quant4_rt_scale_delayed_##sfx),                                 \
      Q4RT_SYM(quant4_rt_scale_sawb_##sfx),                                    \
      Q4RT_SYM(quant4_rt_scale_pact_##sfx),                                    \
      Q4RT_SYM(quant4_rt_scale_block_codes_##sfx),                             \
      Q4RT_SYM(quant4_rt_scale_block_f32_##sfx),                               \
      Q4RT_SYM(quant4_rt_count_quantize_##sfx),                                \
      Q4RT_SYM(quant4_rt_count_fake_quant_##sfx)
  // clang-format off
  static const Symbol table[] = {
      Q4RT_SYM(quant4_rt_set_num_threads),
      Q4RT_SYM(quant4_rt_get_num_threads),
      Q4RT_SYM(quant4_rt_set_seed),
      Q4RT_SYM(quant4_rt_get_seed),
      Q4RT_SYM(quant4_rt_last_error),
      Q4RT_SYM(quant4_rt_clear_error),
      Q4RT_SYM_REAL(f32),
      Q4RT_SYM_REAL(f16),
      Q4RT_SYM_REAL(bf16),
      Q4RT_SYM(quant4_rt_decode_scale),
      Q4RT_SYM(quant4_rt_matmul),
      Q4RT_SYM(quant4_rt_conv2d),
      Q4RT_SYM(quant4_rt_pack4),
      Q4RT_SYM(quant4_rt_unpack4),
      Q4RT_SYM(quant4_rt_matmul_f32),
      Q4RT_SYM(quant4_rt_has_blas),
      Q4RT_SYM(quant4_rt_conv2d_f32),
      Q4RT_SYM(quant4_rt_count_output),
      Q4RT_SYM(quant4_rt_dropout_f32),
      Q4RT_SYM(quant4_rt_pact_calibrate_f32),
      Q4RT_SYM(quant4_rt_profile_enable),
      Q4RT_SYM(quant4_rt_profile_read),
      Q4RT_SYM(quant4_rt_profile_class_name),
      Q4RT_SYM(quant4_rt_copy_f32),
      Q4RT_SYM(quant4_rt_copy_f16),
      Q4RT_SYM(quant4_rt_copy_bf16),
      Q4RT_SYM(quant4_rt_copy_f64),
      Q4RT_SYM(quant4_rt_copy_i8),
      Q4RT_SYM(quant4_rt_copy_i16),
      Q4RT_SYM(quant4_rt_copy_i32),
      Q4RT_SYM(quant4_rt_copy_i64),
      Q4RT_SYM(quant4_rt_profile_begin),
      Q4RT_SYM(quant4_rt_profile_end),
      Q4RT_SYM(quant4_rt_counters_reset),
      Q4RT_SYM(quant4_rt_counters_size),
      Q4RT_SYM(quant4_rt_counter_read),
      {nullptr, nullptr}};
  // clang-format on
  return table;
}
