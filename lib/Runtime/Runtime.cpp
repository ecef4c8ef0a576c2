//===- Runtime.cpp - C ABI kernels for code lowered to the CPU ------------===//
//
// Glue only: gathers memref elements, maps each element to its scale, and
// calls quant4::num for every bit-level decision (see Runtime.h).
//
//===----------------------------------------------------------------------===//
#include "quant4/Runtime/Runtime.h"

#include "quant4/Numerics/Numerics.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace quant4;

namespace {

//===-- Process-wide state ------------------------------------------------===//

std::atomic<int32_t> gThreads{1};
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

/// A ranked view of an unranked memref argument.
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
  /// Calls fn(linearIndex, elementPointer) in row-major order.
  template <typename Fn> void forEach(Fn fn) const {
    int64_t n = numel();
    if (n == 0)
      return;
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

View view(int64_t rank, void *desc, size_t elemSize) {
  View v;
  v.rank = rank;
  v.elemSize = elemSize;
  char *p = static_cast<char *>(desc);
  std::memcpy(&v.aligned, p + sizeof(void *), sizeof(void *));
  auto *ints = reinterpret_cast<const int64_t *>(p + 2 * sizeof(void *));
  v.offset = ints[0];
  v.sizes = ints + 1;
  v.strides = ints + 1 + rank;
  return v;
}

enum class Real { F32, F16, BF16 };

size_t realSize(Real k) { return k == Real::F32 ? 4 : 2; }

std::vector<float> gatherReal(const View &v, Real k) {
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
  int64_t blockElements() const {
    int64_t b = 1;
    for (int64_t x : block)
      b *= x;
    return b;
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

/// The elements sharing each scale, each group in row-major element order.
std::vector<std::vector<float>> groups(const std::vector<float> &x,
                                       const std::vector<int64_t> &shape,
                                       const std::vector<int64_t> &scaleShape,
                                       const Granularity &g, size_t nScales) {
  std::vector<std::vector<float>> out(nScales);
  for (size_t i = 0; i < x.size(); ++i)
    out[size_t(g.scaleIndex(shape, scaleShape, int64_t(i)))].push_back(x[i]);
  return out;
}

num::RngKey rngKey(int64_t seed, int64_t stream) {
  num::RngKey key;
  key.seed = uint64_t(seed) + gSeed.load();
  key.stream = uint64_t(stream);
  return key;
}

//===-- Element-wise kernels ----------------------------------------------===//

void quantizeImpl(Real k, View in, View scale, Granularity g, float tScale,
                  bool hasT, num::Format f, num::Rounding r, num::RngKey key,
                  View out) {
  std::vector<float> x = gatherReal(in, k);
  std::vector<float> s = gatherReal(scale, Real::F32);
  std::vector<int64_t> shape = in.shape(), sshape = scale.shape();
  std::vector<uint32_t> codes(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    float si = s[size_t(g.scaleIndex(shape, sshape, int64_t(i)))];
    if (hasT)
      si = si * tScale;
    codes[i] = num::quantize(f, x[i], si, r, key, uint64_t(i));
  }
  scatterCodes(out, codes);
}

float dequantizeOne(const num::Format &f, uint32_t code, float s, float tScale,
                    bool hasT) {
  float v = num::dequantize(f, code, s);
  return hasT ? v * tScale : v;
}

void dequantizeImpl(Real k, View in, View scale, Granularity g, float tScale,
                    bool hasT, num::Format f, View out) {
  std::vector<uint32_t> codes = gatherCodes(in);
  std::vector<float> s = gatherReal(scale, Real::F32);
  std::vector<int64_t> shape = in.shape(), sshape = scale.shape();
  std::vector<float> y(codes.size());
  for (size_t i = 0; i < codes.size(); ++i)
    y[i] = dequantizeOne(f, codes[i],
                         s[size_t(g.scaleIndex(shape, sshape, int64_t(i)))],
                         tScale, hasT);
  scatterReal(out, k, y);
}

void fakeQuantImpl(Real k, View in, View scale, Granularity g, float tScale,
                   bool hasT, num::Format f, num::Rounding r, num::RngKey key,
                   View out) {
  std::vector<float> x = gatherReal(in, k);
  std::vector<float> s = gatherReal(scale, Real::F32);
  std::vector<int64_t> shape = in.shape(), sshape = scale.shape();
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    float si = s[size_t(g.scaleIndex(shape, sshape, int64_t(i)))];
    if (!hasT) {
      y[i] = num::fakeQuant(f, x[i], si, r, key, uint64_t(i));
    } else {
      uint32_t c = num::quantize(f, x[i], si * tScale, r, key, uint64_t(i));
      y[i] = dequantizeOne(f, c, si, tScale, true);
    }
  }
  scatterReal(out, k, y);
}

//===-- Scale policies ----------------------------------------------------===//

void scaleAmaxImpl(Real k, View in, Granularity g, num::Format f, bool pow2,
                   View out) {
  auto gs = groups(gatherReal(in, k), in.shape(), out.shape(), g,
                   size_t(out.numel()));
  std::vector<float> s(gs.size());
  for (size_t j = 0; j < gs.size(); ++j)
    s[j] = num::amaxScale(f, num::amaxOf(gs[j].data(), gs[j].size()), pow2);
  scatterReal(out, Real::F32, s);
}

void scaleGradImpl(Real k, View in, Granularity g, num::Format f, View prev,
                   View out) {
  auto gs = groups(gatherReal(in, k), in.shape(), out.shape(), g,
                   size_t(out.numel()));
  std::vector<float> p = gatherReal(prev, Real::F32);
  std::vector<float> s(gs.size());
  for (size_t j = 0; j < gs.size(); ++j)
    s[j] = num::gradScaleUpdate(f, p[j],
                                num::amaxOf(gs[j].data(), gs[j].size()));
  scatterReal(out, Real::F32, s);
}

void scaleDelayedImpl(Real k, View in, num::Format f, int margin, View hist,
                      View oldScale, View outScale, View outHist) {
  std::vector<float> x = gatherReal(in, k);
  std::vector<float> h = gatherReal(hist, Real::F32);
  float old = gatherReal(oldScale, Real::F32).at(0);
  float s = num::delayedScale(f, h.data(), h.size(), margin, old);
  float amax = num::amaxOf(x.data(), x.size());
  std::vector<float> nh = h;
  if (std::isfinite(amax) && !nh.empty()) {
    // Most recent first: [amax, h0, ..., h(H-2)].
    std::rotate(nh.rbegin(), nh.rbegin() + 1, nh.rend());
    nh[0] = amax;
  }
  scatterReal(outScale, Real::F32,
              std::vector<float>(size_t(outScale.numel()), s));
  scatterReal(outHist, Real::F32, nh);
}

void scaleSawbImpl(Real k, View in, Granularity g, num::Format f, View out) {
  auto gs = groups(gatherReal(in, k), in.shape(), out.shape(), g,
                   size_t(out.numel()));
  std::vector<float> s(gs.size());
  for (size_t j = 0; j < gs.size(); ++j)
    s[j] = num::sawbScale(gs[j].data(), gs[j].size(), f.bits);
  scatterReal(out, Real::F32, s);
}

void scalePactImpl(num::Format f, View alpha, View out) {
  float a = gatherReal(alpha, Real::F32).at(0);
  scatterReal(out, Real::F32,
              std::vector<float>(size_t(out.numel()), num::pactScale(a, f.bits)));
}

/// Block scales: every block is zero-padded to the full block size (zeros
/// change neither a block's nor the tensor's amax) and the blocks are laid
/// out one after the other, so the Numerics MX / NVFP4 routines see exactly
/// one of their 1-D blocks per N-D block.
void scaleBlockImpl(Real k, View in, Granularity g, num::Format f,
                    num::Format sf, bool hasT, View outScale, bool codesOut,
                    View outT) {
  size_t nb = size_t(outScale.numel());
  auto gs = groups(gatherReal(in, k), in.shape(), outScale.shape(), g, nb);
  size_t B = size_t(g.blockElements());
  float t = 1.0f;
  std::vector<uint32_t> codes(nb, 0);
  std::vector<float> scales(nb, 1.0f);
  if (sf.kind == num::FormatKind::FP32) {
    for (size_t j = 0; j < nb; ++j)
      scales[j] =
          num::amaxScale(f, num::amaxOf(gs[j].data(), gs[j].size()), false);
  } else {
    std::vector<float> buf(nb * B, 0.0f);
    for (size_t j = 0; j < nb; ++j)
      std::copy(gs[j].begin(), gs[j].end(), buf.begin() + j * B);
    if (sf.kind == num::FormatKind::E8M0) {
      num::MxBlocks mx = num::mxQuantize(buf.data(), buf.size(), f, int(B),
                                         num::Rounding::NearestEven);
      codes = mx.scales;
    } else if (hasT) { // E4M3 with a tensor scale: NVFP4
      num::Nvfp4Blocks nv = num::nvfp4Quantize(buf.data(), buf.size(), int(B));
      codes = nv.scales;
      t = nv.tensorScale;
    } else { // E4M3 alone: amax / max(format), rounded to nearest even
      for (size_t j = 0; j < nb; ++j)
        codes[j] = num::encode(
            sf,
            float(num::amaxOf(gs[j].data(), gs[j].size()) / f.maxValue()),
            num::Rounding::NearestEven);
    }
  }
  if (codesOut)
    scatterCodes(outScale, codes);
  else
    scatterReal(outScale, Real::F32, scales);
  if (hasT)
    scatterReal(outT, Real::F32, std::vector<float>(1, t));
}

//===-- GEMM / convolution ------------------------------------------------===//

/// Runs fn(begin, end) over [0, n) split into contiguous ranges, one per
/// worker thread.
template <typename Fn> void parallelRanges(int64_t n, Fn fn) {
  int64_t threads = std::min<int64_t>(std::max(1, gThreads.load()), n);
  if (threads <= 1) {
    fn(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  int64_t per = (n + threads - 1) / threads;
  for (int64_t b = 0; b < n; b += per)
    pool.emplace_back(fn, b, std::min(n, b + per));
  for (std::thread &t : pool)
    t.join();
}

/// A row-major 2-D matrix of codes read from an i8 memref, transposed on
/// request.
std::vector<uint32_t> matrixCodes(const View &v, bool transpose) {
  std::vector<uint32_t> c = gatherCodes(v);
  if (!transpose)
    return c;
  int64_t r = v.sizes[0], cols = v.sizes[1];
  std::vector<uint32_t> t(c.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < cols; ++j)
      t[size_t(j * r + i)] = c[size_t(i * cols + j)];
  return t;
}

} // namespace

//===----------------------------------------------------------------------===//
// C entry points
//===----------------------------------------------------------------------===//

extern "C" {

void quant4_rt_set_num_threads(int32_t n) { gThreads = std::max(1, n); }
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
    quantizeImpl(K, Q4RT_V(in, realSize(K)), Q4RT_V(scale, 4),                 \
                 granularity(granRank, granDesc), tensorScale,                 \
                 hasTensorScale != 0, rt::unpackFormat(format),                \
                 num::Rounding(rounding), rngKey(seed, stream),                \
                 Q4RT_V(out, 1));                                              \
  }                                                                            \
  void quant4_rt_dequantize_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(scale),         \
                                  Q4RT_MEMREF(gran), float tensorScale,        \
                                  int32_t hasTensorScale, int64_t format,      \
                                  Q4RT_MEMREF(out)) {                          \
    dequantizeImpl(K, Q4RT_V(in, 1), Q4RT_V(scale, 4),                         \
                   granularity(granRank, granDesc), tensorScale,               \
                   hasTensorScale != 0, rt::unpackFormat(format),              \
                   Q4RT_V(out, realSize(K)));                                  \
  }                                                                            \
  void quant4_rt_fake_quant_##sfx(                                             \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      int32_t rounding, int64_t seed, int64_t stream, Q4RT_MEMREF(out)) {      \
    fakeQuantImpl(K, Q4RT_V(in, realSize(K)), Q4RT_V(scale, 4),                \
                  granularity(granRank, granDesc), tensorScale,                \
                  hasTensorScale != 0, rt::unpackFormat(format),               \
                  num::Rounding(rounding), rngKey(seed, stream),               \
                  Q4RT_V(out, realSize(K)));                                   \
  }                                                                            \
  void quant4_rt_scale_amax_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),          \
                                  int64_t format, int32_t pow2,                \
                                  Q4RT_MEMREF(out)) {                          \
    scaleAmaxImpl(K, Q4RT_V(in, realSize(K)), granularity(granRank, granDesc), \
                  rt::unpackFormat(format), pow2 != 0, Q4RT_V(out, 4));        \
  }                                                                            \
  void quant4_rt_scale_gradscale_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),     \
                                       int64_t format, Q4RT_MEMREF(prev),      \
                                       Q4RT_MEMREF(out)) {                     \
    scaleGradImpl(K, Q4RT_V(in, realSize(K)), granularity(granRank, granDesc), \
                  rt::unpackFormat(format), Q4RT_V(prev, 4), Q4RT_V(out, 4));  \
  }                                                                            \
  void quant4_rt_scale_delayed_##sfx(                                          \
      Q4RT_MEMREF(in), int64_t format, int32_t margin, Q4RT_MEMREF(history),   \
      Q4RT_MEMREF(oldScale), Q4RT_MEMREF(outScale),                            \
      Q4RT_MEMREF(outHistory)) {                                               \
    scaleDelayedImpl(K, Q4RT_V(in, realSize(K)), rt::unpackFormat(format),     \
                     margin, Q4RT_V(history, 4), Q4RT_V(oldScale, 4),          \
                     Q4RT_V(outScale, 4), Q4RT_V(outHistory, 4));              \
  }                                                                            \
  void quant4_rt_scale_sawb_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),          \
                                  int64_t format, Q4RT_MEMREF(out)) {          \
    scaleSawbImpl(K, Q4RT_V(in, realSize(K)), granularity(granRank, granDesc), \
                  rt::unpackFormat(format), Q4RT_V(out, 4));                   \
  }                                                                            \
  void quant4_rt_scale_pact_##sfx(Q4RT_MEMREF(in), int64_t format,             \
                                  Q4RT_MEMREF(alpha), Q4RT_MEMREF(out)) {      \
    (void)inRank;                                                              \
    (void)inDesc;                                                              \
    scalePactImpl(rt::unpackFormat(format), Q4RT_V(alpha, 4), Q4RT_V(out, 4)); \
  }                                                                            \
  void quant4_rt_scale_block_codes_##sfx(                                      \
      Q4RT_MEMREF(in), Q4RT_MEMREF(gran), int64_t format, int64_t scaleFormat, \
      int32_t hasTensorScale, Q4RT_MEMREF(outScale),                           \
      Q4RT_MEMREF(outTensorScale)) {                                           \
    scaleBlockImpl(K, Q4RT_V(in, realSize(K)),                                 \
                   granularity(granRank, granDesc), rt::unpackFormat(format),  \
                   rt::unpackFormat(scaleFormat), hasTensorScale != 0,         \
                   Q4RT_V(outScale, 1), true, Q4RT_V(outTensorScale, 4));      \
  }                                                                            \
  void quant4_rt_scale_block_f32_##sfx(                                        \
      Q4RT_MEMREF(in), Q4RT_MEMREF(gran), int64_t format, int64_t scaleFormat, \
      int32_t hasTensorScale, Q4RT_MEMREF(outScale),                           \
      Q4RT_MEMREF(outTensorScale)) {                                           \
    scaleBlockImpl(K, Q4RT_V(in, realSize(K)),                                 \
                   granularity(granRank, granDesc), rt::unpackFormat(format),  \
                   rt::unpackFormat(scaleFormat), hasTensorScale != 0,         \
                   Q4RT_V(outScale, 4), false, Q4RT_V(outTensorScale, 4));     \
  }

Q4RT_DEFINE_REAL(f32, Real::F32)
Q4RT_DEFINE_REAL(f16, Real::F16)
Q4RT_DEFINE_REAL(bf16, Real::BF16)
#undef Q4RT_DEFINE_REAL

void quant4_rt_decode_scale(Q4RT_MEMREF(in), int64_t format,
                            Q4RT_MEMREF(out)) {
  num::Format f = rt::unpackFormat(format);
  std::vector<uint32_t> c = gatherCodes(Q4RT_V(in, 1));
  std::vector<float> v(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    v[i] = num::decode(f, c[i]);
  scatterReal(Q4RT_V(out, 4), Real::F32, v);
}

void quant4_rt_matmul(Q4RT_MEMREF(lhs), Q4RT_MEMREF(rhs),
                      Q4RT_MEMREF(lhsScale), Q4RT_MEMREF(rhsScale),
                      Q4RT_MEMREF(lhsGran), Q4RT_MEMREF(rhsGran),
                      int64_t lhsFormat, int64_t rhsFormat, float tensorScaleA,
                      float tensorScaleB, int32_t transposeLhs,
                      int32_t transposeRhs, int32_t accKind, int32_t accChunk,
                      Q4RT_MEMREF(out)) {
  View lv = Q4RT_V(lhs, 1), rv = Q4RT_V(rhs, 1), ov = Q4RT_V(out, 4);
  View lsv = Q4RT_V(lhsScale, 4), rsv = Q4RT_V(rhsScale, 4);
  Granularity lg = granularity(lhsGranRank, lhsGranDesc);
  Granularity rg = granularity(rhsGranRank, rhsGranDesc);
  bool tl = transposeLhs != 0, tr = transposeRhs != 0;
  int64_t M = tl ? lv.sizes[1] : lv.sizes[0], K = tl ? lv.sizes[0] : lv.sizes[1];
  int64_t N = tr ? rv.sizes[0] : rv.sizes[1];
  std::vector<uint32_t> a = matrixCodes(lv, tl), b = matrixCodes(rv, tr);
  std::vector<float> ls = gatherReal(lsv, Real::F32);
  std::vector<float> rs = gatherReal(rsv, Real::F32);

  num::QOperand A, B;
  A.format = rt::unpackFormat(lhsFormat);
  B.format = rt::unpackFormat(rhsFormat);
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
    A.layout = num::ScaleLayout::Tensor;
    aScales = ls;
    break;
  case rt::GranAxis:
    A.layout = num::ScaleLayout::Outer;
    aScales = ls;
    break;
  default: { // BlockK: [M][nb], scale tensor indexed by (row block, k block)
    A.layout = num::ScaleLayout::BlockK;
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
    B.layout = num::ScaleLayout::Tensor;
    bScales = rs;
    break;
  case rt::GranAxis:
    B.layout = num::ScaleLayout::Outer;
    bScales = rs;
    break;
  default: { // BlockK: [nb][N]
    B.layout = num::ScaleLayout::BlockK;
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
  B.codes = b.data();
  num::Accumulation acc{num::AccumKind(accKind), int(accChunk)};
  std::vector<float> c(size_t(M * N), 0.0f);
  std::mutex errMutex;
  std::string err;
  parallelRanges(M, [&](int64_t m0, int64_t m1) {
    num::QOperand Ai = A;
    Ai.codes = a.data() + m0 * K;
    if (A.layout == num::ScaleLayout::Outer)
      Ai.scales = A.scales + m0;
    else if (A.layout == num::ScaleLayout::BlockK)
      Ai.scales = A.scales + m0 * nb;
    std::string e = num::referenceGemm(int(m1 - m0), int(N), int(K), Ai, B,
                                       acc, c.data() + m0 * N);
    if (!e.empty()) {
      std::lock_guard<std::mutex> lock(errMutex);
      err = e;
    }
  });
  if (!err.empty()) {
    setError("quant4.matmul: " + err);
    fillNaN(ov, Real::F32);
    return;
  }
  scatterReal(ov, Real::F32, c);
}

void quant4_rt_conv2d(Q4RT_MEMREF(input), Q4RT_MEMREF(filter),
                      Q4RT_MEMREF(inputScale), Q4RT_MEMREF(filterScale),
                      Q4RT_MEMREF(filterGran), int64_t inputFormat,
                      int64_t filterFormat, int32_t accKind, int32_t accChunk,
                      int64_t strideH, int64_t strideW, int64_t dilationH,
                      int64_t dilationW, Q4RT_MEMREF(out)) {
  View iv = Q4RT_V(input, 1), fv = Q4RT_V(filter, 1), ov = Q4RT_V(out, 4);
  std::vector<uint32_t> in = gatherCodes(iv), fl = gatherCodes(fv);
  std::vector<float> is = gatherReal(Q4RT_V(inputScale, 4), Real::F32);
  std::vector<float> fs = gatherReal(Q4RT_V(filterScale, 4), Real::F32);
  Granularity fg = granularity(filterGranRank, filterGranDesc);
  num::ConvShape s;
  s.N = 1; // one image per reference call (threads split the batch)
  s.H = int(iv.sizes[1]);
  s.W = int(iv.sizes[2]);
  s.C = int(iv.sizes[3]);
  s.KH = int(fv.sizes[0]);
  s.KW = int(fv.sizes[1]);
  s.F = int(fv.sizes[3]);
  s.strideH = int(strideH);
  s.strideW = int(strideW);
  s.dilationH = int(dilationH);
  s.dilationW = int(dilationW);
  int64_t batch = iv.sizes[0];
  num::QOperand I, F;
  I.format = rt::unpackFormat(inputFormat);
  I.layout = num::ScaleLayout::Tensor;
  I.scales = is.data();
  F.format = rt::unpackFormat(filterFormat);
  F.layout = fg.kind == rt::GranAxis ? num::ScaleLayout::Outer
                                     : num::ScaleLayout::Tensor;
  F.scales = fs.data();
  F.codes = fl.data();
  num::Accumulation acc{num::AccumKind(accKind), int(accChunk)};
  size_t imageIn = size_t(s.H) * s.W * s.C;
  size_t imageOut = size_t(s.outH()) * s.outW() * s.F;
  std::vector<float> c(size_t(batch) * imageOut, 0.0f);
  std::mutex errMutex;
  std::string err;
  parallelRanges(batch, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      num::QOperand In = I;
      In.codes = in.data() + size_t(n) * imageIn;
      std::string e = num::referenceConv2D(s, In, F, acc,
                                           c.data() + size_t(n) * imageOut);
      if (!e.empty()) {
        std::lock_guard<std::mutex> lock(errMutex);
        err = e;
      }
    }
  });
  if (!err.empty()) {
    setError("quant4.conv2d: " + err);
    fillNaN(ov, Real::F32);
    return;
  }
  scatterReal(ov, Real::F32, c);
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
      Q4RT_SYM(quant4_rt_scale_block_f32_##sfx)
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
      {nullptr, nullptr}};
  return table;
}
