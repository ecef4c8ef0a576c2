//===- Scale.cpp - scale policies and block formats -----------------------===//
//
// docs/Formats.md C30..C38. All reductions are sequential in increasing index
// (in double where a sum is involved): deterministic, thread-count free.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Scale.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace quant4::num {

//===----------------------------------------------------------------------===//
// Reductions (C30)
//===----------------------------------------------------------------------===//

float amaxOf(const float *x, size_t n) {
  // The maximum does not depend on the order: eight independent lanes (a
  // loop the compiler vectorizes), then their maximum.
  constexpr size_t L = 8;
  float m[L] = {};
  bool nan = false;
  size_t i = 0;
  for (; i + L <= n; i += L)
    for (size_t j = 0; j < L; ++j) {
      float a = std::fabs(x[i + j]);
      nan |= a != a;
      m[j] = a > m[j] ? a : m[j];
    }
  for (; i < n; ++i) {
    float a = std::fabs(x[i]);
    nan |= a != a;
    m[0] = a > m[0] ? a : m[0];
  }
  float r = 0.0f;
  for (float v : m)
    r = v > r ? v : r;
  return nan ? std::numeric_limits<float>::quiet_NaN() : r;
}

float amaxFiniteOf(const float *x, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    float a = std::fabs(x[i]);
    if (std::isfinite(a) && a > m)
      m = a;
  }
  return m;
}

namespace {
/// Σ x² and Σ |x| in double (C35): element i is added, in index order, to
/// lane i mod 16; the 16 lane sums are then added pairwise (lane j + lane
/// j+8, then j + j+4, j + j+2, j + j+1). x² of a float is exact in double,
/// so the order of the adds is the only rounding choice — fixed here, and
/// one the compiler can run on vector registers (an index-order chain of
/// dependent double adds ran at a quarter of the memory speed).
constexpr size_t kSumLanes = 16;

#if defined(__x86_64__)
/// The whole 16-element groups of squareAndAbsSums on AVX: lanes 4q..4q+3
/// in register q. Returns the number of elements consumed.
__attribute__((target("avx"))) size_t
squareAndAbsLanesAvx(const float *x, size_t n, double *sq, double *ab) {
  __m256d s[4], a[4];
  for (int q = 0; q < 4; ++q) {
    s[q] = _mm256_loadu_pd(sq + 4 * q);
    a[q] = _mm256_loadu_pd(ab + 4 * q);
  }
  const __m256d sign = _mm256_set1_pd(-0.0);
  size_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int q = 0; q < 4; ++q) {
      __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * q));
      s[q] = _mm256_add_pd(s[q], _mm256_mul_pd(v, v)); // v·v exact
      a[q] = _mm256_add_pd(a[q], _mm256_andnot_pd(sign, v));
    }
  for (int q = 0; q < 4; ++q) {
    _mm256_storeu_pd(sq + 4 * q, s[q]);
    _mm256_storeu_pd(ab + 4 * q, a[q]);
  }
  return i;
}
#endif

} // namespace

/// Adds x[0..n) to the lanes, element i to lane (lane0 + i) mod 16.
static void addToLanes(const float *x, size_t n, unsigned lane0, double *sq,
                       double *ab, bool allowVector) {
  constexpr size_t L = kSumLanes;
  size_t i = 0;
  // Up to the next element of lane 0, one at a time; then whole groups.
  for (; i < n && (lane0 + i) % L != 0; ++i) {
    double v = double(x[i]);
    sq[(lane0 + i) % L] += v * v;
    ab[(lane0 + i) % L] += std::fabs(v);
  }
#if defined(__x86_64__)
  static const bool avx = __builtin_cpu_supports("avx");
  if (avx && allowVector && i < n)
    i += squareAndAbsLanesAvx(x + i, n - i, sq, ab);
#else
  (void)allowVector;
#endif
  for (; i < n; ++i) { // what the vector form left
    double v = double(x[i]);
    sq[(lane0 + i) % L] += v * v;
    ab[(lane0 + i) % L] += std::fabs(v);
  }
}

/// The lane sums added pairwise (j + j+8, then j + j+4, j + j+2, j + j+1).
static std::pair<double, double> reduceLanes(const double *sq0,
                                             const double *ab0) {
  constexpr size_t L = kSumLanes;
  double sq[L], ab[L];
  std::copy(sq0, sq0 + L, sq);
  std::copy(ab0, ab0 + L, ab);
  for (size_t w = L / 2; w > 0; w /= 2)
    for (size_t j = 0; j < w; ++j) {
      sq[j] += sq[j + w];
      ab[j] += ab[j + w];
    }
  return {sq[0], ab[0]};
}

std::pair<double, double> squareAndAbsSums(const float *x, size_t n,
                                           bool allowVector) {
  double sq[kSumLanes] = {}, ab[kSumLanes] = {};
  addToLanes(x, n, 0, sq, ab, allowVector);
  return reduceLanes(sq, ab);
}

double meanAbs(const float *x, size_t n) {
  return n ? squareAndAbsSums(x, n).second / double(n) : 0.0;
}

double meanSquare(const float *x, size_t n) {
  return n ? squareAndAbsSums(x, n).first / double(n) : 0.0;
}

float clampScale(float s) {
  if (std::isnan(s))
    return s;
  const float lo = FLT_MIN, hi = std::ldexp(1.0f, 127);
  if (s < lo)
    return lo;
  if (s > hi)
    return hi;
  return s;
}

float roundUpPow2(float s) {
  s = clampScale(s);
  int e;
  float m = std::frexp(s, &e); // s = m * 2^e, m in [0.5, 1)
  float p = (m == 0.5f) ? s : std::ldexp(1.0f, e);
  return clampScale(p);
}

//===----------------------------------------------------------------------===//
// amax (C32)
//===----------------------------------------------------------------------===//

float amaxScale(const Format &f, float amax, bool pow2) {
  if (!(amax > 0.0f) || !std::isfinite(amax))
    return 1.0f;
  float s = clampScale(amax / float(f.maxValue()));
  return pow2 ? roundUpPow2(s) : s;
}

//===----------------------------------------------------------------------===//
// GradScale (C33)
//===----------------------------------------------------------------------===//

float gradScaleUpdate(const Format &f, float scale, float amax,
                      GradScaleOptions opts) {
  if (!isValidScale(scale))
    scale = 1.0f;
  scale = clampScale(scale);
  if (!(amax > 0.0f) || !std::isfinite(amax))
    return scale;
  const double maxV = f.maxValue();
  const float lo = FLT_MIN, hi = std::ldexp(1.0f, 127);
  // amax/scale > max  <=>  amax > max*scale (exact in double for these
  // operands: max has few significant bits, scale 24).
  for (int step = 0; step < 512; ++step) {
    double a = double(amax), s = double(scale);
    if (a > maxV * s) {
      if (scale >= hi)
        break;
      scale = clampScale(scale * 2.0f);
    } else if (a <= maxV * 0.5 * s) {
      if (scale <= lo)
        break;
      scale = clampScale(scale * 0.5f);
    } else {
      break;
    }
    if (!opts.untilInRange)
      break;
  }
  return scale;
}

//===----------------------------------------------------------------------===//
// Delayed scaling (C34)
//===----------------------------------------------------------------------===//

float delayedScale(const Format &f, const float *history, size_t n, int margin,
                   float oldScale, bool pow2) {
  float m = amaxOf(history, n);
  if (!(m > 0.0f) || !std::isfinite(m))
    return oldScale;
  float num = std::ldexp(m, margin); // exact unless it leaves the float range
  float s = clampScale(num / float(f.maxValue()));
  return pow2 ? roundUpPow2(s) : s;
}

bool pushAmaxHistory(float *history, size_t n, float amax) {
  if (!std::isfinite(amax) || n == 0)
    return false;
  for (size_t i = n - 1; i > 0; --i)
    history[i] = history[i - 1];
  history[0] = amax;
  return true;
}

DelayedScaling::DelayedScaling(Format f, int historyLength, int margin,
                               bool pow2, float initialScale)
    : fmt_(f), hist_(size_t(std::max(1, historyLength)), 0.0f),
      margin_(margin), pow2_(pow2), scale_(initialScale) {}

void DelayedScaling::record(float amax) {
  if (!std::isfinite(amax))
    return;
  hist_[pos_] = std::fabs(amax);
  pos_ = (pos_ + 1) % hist_.size();
  scale_ = delayedScale(fmt_, hist_.data(), hist_.size(), margin_, scale_,
                        pow2_);
}

//===----------------------------------------------------------------------===//
// SAWB (C35)
//===----------------------------------------------------------------------===//

std::optional<std::pair<double, double>> sawbCoefficients(int bits,
                                                          bool symmetric15) {
  if (symmetric15)
    return bits == 4 ? std::optional(std::make_pair(12.035, -12.03))
                     : std::nullopt;
  switch (bits) {
  case 2: return std::make_pair(3.12, -2.064);
  case 3: return std::make_pair(7.509, -6.892);
  case 4: return std::make_pair(12.68, -12.80);
  case 5: return std::make_pair(17.74, -18.64);
  case 8: return std::make_pair(31.76, -35.04);
  default: return std::nullopt;
  }
}

/// clip from the sums and the element count (C35); `amax` gives max|w| for
/// the fallback and is only called when the fallback applies.
template <typename Amax>
static double clipFromSums(std::pair<double, double> sums, uint64_t n, int bits,
                           bool symmetric15, Amax amax) {
  auto c = sawbCoefficients(bits, symmetric15);
  if (!c)
    return std::numeric_limits<double>::quiet_NaN();
  auto [sq, ab] = sums;
  double ms = n ? sq / double(n) : 0.0, ma = n ? ab / double(n) : 0.0;
  double clip = c->first * std::sqrt(ms) + c->second * ma;
  if (!(clip > 0.0) || !std::isfinite(clip))
    clip = double(amax());
  return clip;
}

static float scaleFromClip(double clip, int bits) {
  if (!(clip > 0.0) || !std::isfinite(clip))
    return 1.0f;
  return clampScale(float(clip) / float((1 << (bits - 1)) - 1));
}

double sawbClip(const float *w, size_t n, int bits, bool symmetric15) {
  return clipFromSums(squareAndAbsSums(w, n), n, bits, symmetric15,
                      [&] { return amaxOf(w, n); });
}

float sawbScale(const float *w, size_t n, int bits, bool symmetric15) {
  return scaleFromClip(sawbClip(w, n, bits, symmetric15), bits);
}

void SawbAccumulator::add(const float *x, size_t n, unsigned lane0) {
  addToLanes(x, n, lane0 % kSumLanes, sq_, ab_, true);
  // The fallback's amax of the whole tensor: NaN if any chunk has one.
  float m = amaxOf(x, n);
  if (m != m)
    nan_ = true;
  else if (m > amax_)
    amax_ = m;
  count_ += n;
}

std::pair<double, double> SawbAccumulator::sums() const {
  return reduceLanes(sq_, ab_);
}

double SawbAccumulator::clip(int bits, bool symmetric15) const {
  return clipFromSums(sums(), count_, bits, symmetric15, [&] {
    return nan_ ? std::numeric_limits<float>::quiet_NaN() : amax_;
  });
}

float SawbAccumulator::scale(int bits, bool symmetric15) const {
  return scaleFromClip(clip(bits, symmetric15), bits);
}

//===----------------------------------------------------------------------===//
// PACT (C36)
//===----------------------------------------------------------------------===//

float pactForward(float x, float alpha) {
  if (std::isnan(x))
    return 0.0f;
  return std::min(std::max(x, 0.0f), alpha);
}

float pactScale(float alpha, int bits) {
  return alpha / float((1u << bits) - 1);
}

uint32_t pactQuantize(float x, float alpha, int bits, Rounding r, RngKey key,
                      uint64_t index) {
  return quantize(Format::uint(bits), pactForward(x, alpha),
                  pactScale(alpha, bits), r, key, index);
}

float pactBackward(const float *x, const float *dy, size_t n, float alpha,
                   float *dx) {
  double dAlpha = 0.0;
  for (size_t i = 0; i < n; ++i) {
    bool pass = x[i] >= 0.0f && x[i] < alpha;
    if (dx)
      dx[i] = pass ? dy[i] : 0.0f;
    if (x[i] >= alpha)
      dAlpha += double(dy[i]);
  }
  return float(dAlpha);
}

float pactCalibrate(const float *x, size_t n, int bits, float fallback) {
  constexpr int kBins = 2048, kCandidates = 128;
  float amax = 0.0f;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(x[i]) && x[i] > amax)
      amax = x[i];
  if (!(amax > 0.0f))
    return fallback;
  struct Bin {
    double count = 0, sum = 0, sumsq = 0;
  };
  std::vector<Bin> bins(kBins);
  const double a = amax;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !(x[i] > 0.0f))
      continue;
    double v = x[i];
    Bin &b =
        bins[size_t(std::min<double>(kBins - 1, std::floor(v / a * kBins)))];
    b.count += 1;
    b.sum += v;
    b.sumsq += v * v;
  }
  float best = fallback;
  double bestErr = std::numeric_limits<double>::infinity();
  for (int k = 1; k <= kCandidates; ++k) {
    float alpha = float(a * k / kCandidates);
    if (!(alpha > 0.0f))
      continue;
    const double h = pactScale(alpha, bits);
    double err = 0.0;
    for (const Bin &b : bins) {
      if (b.count == 0)
        continue;
      double q = double(pactQuantize(float(b.sum / b.count), alpha, bits)) * h;
      err += b.sumsq - 2.0 * q * b.sum + b.count * q * q;
    }
    if (err < bestErr) {
      bestErr = err;
      best = alpha;
    }
  }
  return best;
}

//===----------------------------------------------------------------------===//
// MX (C37)
//===----------------------------------------------------------------------===//

int mxElemEmax(const Format &elem) { return std::ilogb(elem.maxValue()); }

float MxBlocks::value(size_t i) const {
  return decode(elem, codes[i]) *
         decode(Format::e8m0(), scales[i / size_t(blockSize)]);
}

uint32_t mxBlockScaleCode(const float *x, size_t n, Format elem) {
  float amax = amaxOf(x, n);
  if (!std::isfinite(amax)) // NaN or Inf in the block: NaN scale
    return 0xFFu;
  int se = -127;
  if (amax > 0.0f)
    se = std::clamp(std::ilogb(amax) - mxElemEmax(elem), -127, 127);
  return uint32_t(se + 127);
}

MxBlocks mxQuantize(const float *x, size_t n, Format elem, int blockSize,
                    Rounding r, RngKey key, uint64_t indexBase) {
  MxBlocks out;
  out.elem = elem;
  out.blockSize = std::max(1, blockSize);
  size_t bs = size_t(out.blockSize);
  out.codes.assign(n, 0);
  for (size_t b0 = 0; b0 < n; b0 += bs) {
    size_t len = std::min(bs, n - b0);
    uint32_t sc = mxBlockScaleCode(x + b0, len, elem);
    out.scales.push_back(sc);
    // A NaN scale (code 0xFF) is not a valid scale: quantize gives the
    // element format's NaN code (0 if it has none) to the whole block.
    float scale = decode(Format::e8m0(), sc);
    for (size_t i = 0; i < len; ++i)
      out.codes[b0 + i] =
          quantize(elem, x[b0 + i], scale, r, key, indexBase + b0 + i);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// NVFP4 (C38)
//===----------------------------------------------------------------------===//

float Nvfp4Blocks::blockElementScale(size_t b) const {
  return twoLevelScale(decode(Format::fp8e4m3(), scales[b]), tensorScale);
}

float Nvfp4Blocks::value(size_t i) const {
  return dequantizeTwoLevel(
      Format::fp4e2m1(), codes[i],
      decode(Format::fp8e4m3(), scales[i / size_t(blockSize)]), tensorScale);
}

uint32_t e4m3BlockScaleCode(float target) {
  uint32_t code = encode(Format::fp8e4m3(), target, Rounding::NearestEven);
  return code == 0 ? 1u : code; // never a zero scale (C38)
}

float nvfp4TensorScale(const float *x, size_t n) {
  float amax = amaxFiniteOf(x, n);
  return amax > 0.0f ? clampScale(amax / 2688.0f) : 1.0f;
}

Nvfp4Blocks nvfp4Scales(const float *x, size_t n, int blockSize) {
  Nvfp4Blocks out;
  out.blockSize = std::max(1, blockSize);
  size_t bs = size_t(out.blockSize);
  out.tensorScale = nvfp4TensorScale(x, n);
  for (size_t b0 = 0; b0 < n; b0 += bs)
    out.scales.push_back(blockScaleCode(x + b0, std::min(bs, n - b0),
                                        Format::fp4e2m1(), Format::fp8e4m3(),
                                        out.tensorScale));
  return out;
}

Nvfp4Blocks nvfp4Quantize(const float *x, size_t n, int blockSize, Rounding r,
                          RngKey key, uint64_t indexBase) {
  const Format e2m1 = Format::fp4e2m1();
  Nvfp4Blocks out = nvfp4Scales(x, n, blockSize);
  size_t bs = size_t(out.blockSize);
  out.codes.assign(n, 0);
  for (size_t b0 = 0, b = 0; b0 < n; b0 += bs, ++b) {
    size_t len = std::min(bs, n - b0);
    // A NaN scale (code 0x7F, a non-finite block) gives quantize's NaN
    // result, code 0 (E2M1 has no NaN).
    float es = out.blockElementScale(b);
    for (size_t i = 0; i < len; ++i) {
      float v = x[b0 + i];
      out.codes[b0 + i] =
          es == 0.0f ? encode(e2m1, std::copysign(0.0f, v), r)
                     : quantize(e2m1, v, es, r, key, indexBase + b0 + i);
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Block-scale policy (quant4.scale #quant4.block)
//===----------------------------------------------------------------------===//

uint32_t blockScaleCode(const float *x, size_t n, const Format &elem,
                        const Format &scaleFormat,
                        std::optional<float> tensorScale) {
  if (scaleFormat.kind == FormatKind::E8M0)
    return mxBlockScaleCode(x, n, elem);
  float amax = amaxOf(x, n);
  if (scaleFormat.kind == FormatKind::FP32)
    return floatBits(amaxScale(elem, amax));
  if (tensorScale) { // two-level (NVFP4)
    if (!std::isfinite(amax))
      return 0x7Fu; // E4M3 NaN
    return e4m3BlockScaleCode((amax / float(elem.maxValue())) / *tensorScale);
  }
  return e4m3BlockScaleCode(float(amax / elem.maxValue()));
}

float blockTensorScale(const float *x, size_t n, const Format &scaleFormat) {
  return scaleFormat.kind == FormatKind::E8M0 ||
                 scaleFormat.kind == FormatKind::FP32
             ? 1.0f
             : nvfp4TensorScale(x, n);
}

} // namespace quant4::num
