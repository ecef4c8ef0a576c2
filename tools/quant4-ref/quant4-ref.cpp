//===- quant4-ref.cpp - reference evaluation of quant4 ops on .npy files --===//
//
// Test helper: evaluates one quant4 op (or a small float op of a training
// step) directly with the Numerics library (quant4::num), from .npy inputs
// to a .npy output, so lit tests can `cmp` quant4-run's results against an
// independent computation. Also generates deterministic test inputs and
// prints .npy values for FileCheck (hand-computed constants).
// Plain C++: links Quant4Numerics and Quant4Npy only (no MLIR, no runtime).
//
//   quant4-ref gen OUT --dtype T --shape 4x8 (--values a,b,... |
//                  --random SEED [--lo L --hi H] | --logrand SEED [--lo E
//                  --hi E] | --codes SEED --bits W) [--specials]
//   quant4-ref quantize   X S OUT --format F --rounding R [--seed N]
//                  [--stream N] [--granularity G] [--scale-format F]
//                  [--tensor-scale T]
//   quant4-ref dequantize Q S OUT --format F [--granularity G]
//                  [--scale-format F] [--tensor-scale T] [--dtype float16]
//   quant4-ref fake_quant X S OUT --format F --rounding R [...as quantize]
//   quant4-ref scale X [STATE...] OUT [OUT2] --policy P --format F
//                  [--granularity G] [--scale-format F] [--tensor-scale-out]
//       P: amax, amax_pow2, gradscale, delayed:MARGIN, sawb, pact, block
//   quant4-ref matmul A B SA SB OUT --lhs-format F --rhs-format F --acc ACC
//                  [--transpose-lhs] [--transpose-rhs] [--lhs-granularity G]
//                  [--rhs-granularity G] [--lhs-scale-format F]
//                  [--rhs-scale-format F] [--tensor-scales TA,TB]
//   quant4-ref conv2d X K SX SK OUT --input-format F --filter-format F
//                  --acc ACC [--strides H,W] [--dilations H,W]
//                  [--filter-per-channel]
//   quant4-ref dropout X OUT --ratio R --seed N [--stream N]   (f32)
//   quant4-ref relu X OUT | relu_grad X DY OUT | sub A B OUT |
//              sgd W G LR OUT (W - LR*G, LR a float literal)
//   quant4-ref fmatmul A B OUT [--transpose-a] [--transpose-b] [--init C]
//              (float32 op(A)·op(B) [+ C], each output summed in double and
//              rounded once: exact, hence equal to any summation order, when
//              the inputs are small integers)
//   quant4-ref print X [--with-bits]
//              (the values of X, one per line in row-major order, for
//              FileCheck: integers (codes) in decimal, floats as their exact
//              decimal value (glibc %.150g: -0, inf, -inf, nan, -nan as
//              such); --with-bits appends a float's bit pattern in hex)
//
// G: tensor | axis:A | block:B0,B1,...   ACC: f32 | f16 | f16_chunked:N | exact
// F: num::parseFormat names (int4, uint4, log<4,3,0>, e2m1, e4m3, e5m2, e8m0)
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Numerics.h"
#include "quant4/Runtime/Npy.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace quant4;
namespace npy = quant4::npy;

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "quant4-ref: error: %s\n", msg.c_str());
  std::exit(1);
}

struct Args {
  std::vector<std::string> pos;
  std::map<std::string, std::string> opt;
  bool has(const std::string &k) const { return opt.count(k) != 0; }
  std::string get(const std::string &k, const std::string &def = "") const {
    auto it = opt.find(k);
    return it == opt.end() ? def : it->second;
  }
  std::string need(const std::string &k) const {
    if (!has(k))
      die("missing --" + k);
    return get(k);
  }
};

const char *kFlags[] = {"transpose-lhs", "transpose-rhs", "filter-per-channel",
                        "tensor-scale-out", "specials", "transpose-a",
                        "transpose-b", "with-bits"};

Args parse(int argc, char **argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0) {
      a.pos.push_back(s);
      continue;
    }
    std::string k = s.substr(2);
    bool flag = false;
    for (const char *f : kFlags)
      flag |= k == f;
    if (flag) {
      a.opt[k] = "1";
    } else {
      if (i + 1 >= argc)
        die("--" + k + " needs a value");
      a.opt[k] = argv[++i];
    }
  }
  return a;
}

std::vector<int64_t> ints(const std::string &s, char sep) {
  std::vector<int64_t> v;
  size_t p = 0;
  while (p <= s.size() && !s.empty()) {
    size_t e = s.find(sep, p);
    v.push_back(std::strtoll(s.substr(p, e - p).c_str(), nullptr, 10));
    if (e == std::string::npos)
      break;
    p = e + 1;
  }
  return v;
}

num::Format format(const std::string &s) {
  auto f = num::parseFormat(s);
  if (!f)
    die("unknown format '" + s + "'");
  return *f;
}

num::Rounding rounding(const std::string &s) {
  auto r = num::parseRounding(s);
  if (!r)
    die("unknown rounding '" + s + "'");
  return *r;
}

num::Accumulation accumulation(const std::string &s) {
  num::Accumulation acc;
  std::string kind = s.substr(0, s.find(':'));
  auto k = num::parseAccum(kind);
  if (!k)
    die("unknown accumulation '" + s + "'");
  acc.kind = *k;
  if (s.find(':') != std::string::npos)
    acc.chunk = std::atoi(s.substr(s.find(':') + 1).c_str());
  return acc;
}

struct Gran {
  int kind = 0; // 0 tensor, 1 axis, 2 block
  int64_t axis = 0;
  std::vector<int64_t> block;
};

Gran granularity(const std::string &s) {
  Gran g;
  if (s.empty() || s == "tensor")
    return g;
  if (s.rfind("axis:", 0) == 0) {
    g.kind = 1;
    g.axis = std::atoll(s.c_str() + 5);
  } else if (s.rfind("block:", 0) == 0) {
    g.kind = 2;
    g.block = ints(s.substr(6), ',');
  } else {
    die("bad granularity '" + s + "'");
  }
  return g;
}

npy::Array load(const std::string &path) {
  npy::Array a;
  if (std::string e = npy::readNpy(path, a); !e.empty())
    die(path + ": " + e);
  return a;
}

void save(const std::string &path, const npy::Array &a) {
  if (std::string e = npy::writeNpy(path, a); !e.empty())
    die(path + ": " + e);
}

std::vector<float> floats(const npy::Array &a) {
  std::vector<float> v(size_t(a.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (a.dtype == npy::DType::F32)
      v[i] = a.as<float>()[i];
    else if (a.dtype == npy::DType::F16)
      v[i] = num::halfBitsToFloat(a.as<uint16_t>()[i]);
    else
      die("expected a float32 or float16 array");
  }
  return v;
}

std::vector<uint32_t> codes(const npy::Array &a) {
  if (a.dtype != npy::DType::U8)
    die("expected a uint8 array of codes");
  return std::vector<uint32_t>(a.as<uint8_t>(), a.as<uint8_t>() + a.numel());
}

/// Scales of an op as floats: f32 arrays as they are, FP8 code arrays
/// (uint8) decoded with --scale-format.
std::vector<float> scales(const npy::Array &a, const std::string &fmt) {
  if (a.dtype == npy::DType::U8) {
    num::Format f = format(fmt.empty() ? "e8m0" : fmt);
    std::vector<float> v;
    for (uint32_t c : codes(a))
      v.push_back(num::decode(f, c));
    return v;
  }
  return floats(a);
}

npy::Array f32Array(std::vector<int64_t> shape, const std::vector<float> &v) {
  npy::Array a;
  a.dtype = npy::DType::F32;
  a.shape = std::move(shape);
  a.data.resize(v.size() * 4);
  std::memcpy(a.data.data(), v.data(), a.data.size());
  return a;
}

/// f32Array, or the values rounded to an f16 array when `half`.
npy::Array realArray(std::vector<int64_t> shape, const std::vector<float> &v,
                     bool half) {
  npy::Array a = f32Array(std::move(shape), v);
  if (half) {
    a.dtype = npy::DType::F16;
    a.data.resize(v.size() * 2);
    for (size_t i = 0; i < v.size(); ++i) {
      uint16_t h = num::floatToHalfBits(v[i]);
      std::memcpy(a.data.data() + 2 * i, &h, 2);
    }
  }
  return a;
}

npy::Array u8Array(std::vector<int64_t> shape, const std::vector<uint32_t> &c) {
  npy::Array a;
  a.dtype = npy::DType::U8;
  a.shape = std::move(shape);
  for (uint32_t x : c)
    a.data.push_back(char(uint8_t(x)));
  return a;
}

/// Multi-index of row-major element i.
std::vector<int64_t> unravel(const std::vector<int64_t> &shape, int64_t i) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

/// Which scale element an element uses (granularity rules of the dialect).
int64_t scaleOf(const Gran &g, const std::vector<int64_t> &shape,
                const std::vector<int64_t> &scaleShape, int64_t i) {
  if (g.kind == 0)
    return 0;
  std::vector<int64_t> idx = unravel(shape, i);
  if (g.kind == 1)
    return idx[size_t(g.axis)];
  int64_t s = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    s = s * scaleShape[d] + idx[d] / g.block[d];
  return s;
}

/// --tensor-scale's value, 1 (one-level scaling) without it.
float tensorScale(const Args &a) {
  return a.has("tensor-scale") ? floats(load(a.get("tensor-scale"))).at(0)
                               : 1.0f;
}

//===-- Commands ----------------------------------------------------------===//

int cmdGen(const Args &a) {
  if (a.pos.size() != 1)
    die("gen takes one output file");
  npy::Array out;
  std::string dt = a.need("dtype");
  bool found = false;
  for (npy::DType t : {npy::DType::F32, npy::DType::F16, npy::DType::U8,
                       npy::DType::I8, npy::DType::I32, npy::DType::I64,
                       npy::DType::Bool, npy::DType::F64})
    if (dt == npy::dtypeName(t)) {
      out.dtype = t;
      found = true;
    }
  if (!found)
    die("unknown dtype " + dt);
  std::string shape = a.get("shape", "");
  out.shape = shape.empty() ? std::vector<int64_t>{} : ints(shape, 'x');
  size_t n = size_t(out.numel());
  std::vector<double> vals(n);
  if (a.has("values")) {
    std::string s = a.get("values");
    size_t p = 0;
    for (size_t i = 0; i < n; ++i) {
      size_t e = s.find(',', p);
      if (p > s.size())
        die("--values has fewer than " + std::to_string(n) + " entries");
      vals[i] = std::strtod(s.substr(p, e - p).c_str(), nullptr);
      p = e == std::string::npos ? s.size() + 1 : e + 1;
    }
  } else if (a.has("logrand")) {
    // Random sign, magnitude 2^u with u uniform in [lo, hi].
    num::RngKey key{uint64_t(std::atoll(a.get("logrand").c_str())), 78};
    double lo = std::atof(a.get("lo", "-10").c_str());
    double hi = std::atof(a.get("hi", "6").c_str());
    for (size_t i = 0; i < n; ++i) {
      uint32_t r = num::randomBits(key, i);
      double u = lo + (hi - lo) * (double(r >> 8) / 16777216.0);
      vals[i] = (r & 1 ? -1.0 : 1.0) * std::exp2(u);
    }
  } else if (a.has("random") || a.has("codes")) {
    bool codesMode = a.has("codes");
    num::RngKey key{uint64_t(std::atoll(a.get(codesMode ? "codes" : "random").c_str())), 77};
    double lo = std::atof(a.get("lo", "-4").c_str());
    double hi = std::atof(a.get("hi", "4").c_str());
    int bits = std::atoi(a.get("bits", "4").c_str());
    for (size_t i = 0; i < n; ++i) {
      uint32_t r = num::randomBits(key, i);
      vals[i] = codesMode ? double(r % (1u << bits))
                          : lo + (hi - lo) * (double(r >> 8) / 16777216.0);
    }
  }
  if (a.has("specials")) { // 0, -0, +-Inf, NaN, tiny, huge first
    const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-30, -1e30};
    for (size_t i = 0; i < n && i < 7; ++i)
      vals[i] = sp[i];
  }
  size_t es = npy::dtypeSize(out.dtype);
  out.data.resize(n * es);
  for (size_t i = 0; i < n; ++i) {
    char *p = out.data.data() + i * es;
    double v = vals[i];
    switch (out.dtype) {
    case npy::DType::F32: { float f = float(v); std::memcpy(p, &f, 4); break; }
    case npy::DType::F64: std::memcpy(p, &v, 8); break;
    case npy::DType::F16: {
      uint16_t h = num::doubleToHalfBits(v);
      std::memcpy(p, &h, 2);
      break;
    }
    case npy::DType::I32: { int32_t x = int32_t(v); std::memcpy(p, &x, 4); break; }
    case npy::DType::I64: { int64_t x = int64_t(v); std::memcpy(p, &x, 8); break; }
    case npy::DType::Bool: *p = v != 0; break;
    default: *p = char(int(v)); break;
    }
  }
  save(a.pos[0], out);
  return 0;
}

int cmdQuantLike(const Args &a, const std::string &cmd) {
  if (a.pos.size() != 3)
    die(cmd + " takes INPUT SCALE OUT");
  npy::Array in = load(a.pos[0]), sa = load(a.pos[1]);
  num::Format f = format(a.need("format"));
  Gran g = granularity(a.get("granularity"));
  std::vector<float> s = scales(sa, a.get("scale-format"));
  float t = tensorScale(a);
  size_t n = size_t(in.numel());
  if (cmd == "dequantize") {
    std::vector<uint32_t> c = codes(in);
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) {
      float si = s[size_t(scaleOf(g, in.shape, sa.shape, int64_t(i)))];
      y[i] = num::dequantizeTwoLevel(f, c[i], si, t);
    }
    save(a.pos[2], realArray(in.shape, y, a.get("dtype") == "float16"));
    return 0;
  }
  std::vector<float> x = floats(in);
  num::Rounding r = rounding(a.need("rounding"));
  num::RngKey key{uint64_t(std::strtoull(a.get("seed", "0").c_str(), nullptr, 0)),
                  uint64_t(std::strtoull(a.get("stream", "0").c_str(), nullptr, 0))};
  bool quant = cmd == "quantize";
  std::vector<uint32_t> c(quant ? n : 0);
  std::vector<float> y(quant ? 0 : n);
  for (size_t i = 0; i < n; ++i) {
    float si = s[size_t(scaleOf(g, in.shape, sa.shape, int64_t(i)))];
    if (quant)
      c[i] = num::quantize(f, x[i], num::twoLevelScale(si, t), r, key, i);
    else
      y[i] = num::fakeQuantTwoLevel(f, x[i], si, t, r, key, i);
  }
  if (quant)
    save(a.pos[2], u8Array(in.shape, c));
  else
    save(a.pos[2], realArray(in.shape, y, in.dtype == npy::DType::F16));
  return 0;
}

int cmdScale(const Args &a) {
  std::string policy = a.need("policy");
  num::Format f = format(a.need("format"));
  Gran g = granularity(a.get("granularity"));
  npy::Array in = load(a.pos.at(0));
  std::vector<float> x = floats(in);
  // Scale shape from the granularity.
  std::vector<int64_t> sshape;
  if (g.kind == 1)
    sshape = {in.shape[size_t(g.axis)]};
  if (g.kind == 2)
    for (size_t d = 0; d < in.shape.size(); ++d)
      sshape.push_back((in.shape[d] + g.block[d] - 1) / g.block[d]);
  int64_t ns = 1;
  for (int64_t d : sshape)
    ns *= d;
  std::vector<std::vector<float>> groups(static_cast<size_t>(ns));
  for (size_t i = 0; i < x.size(); ++i)
    groups[size_t(scaleOf(g, in.shape, sshape, int64_t(i)))].push_back(x[i]);
  std::vector<float> s(static_cast<size_t>(ns));
  if (policy == "amax" || policy == "amax_pow2") {
    for (size_t j = 0; j < s.size(); ++j)
      s[j] = num::amaxScale(f, num::amaxOf(groups[j].data(), groups[j].size()),
                            policy == "amax_pow2");
    save(a.pos.at(1), f32Array(sshape, s));
  } else if (policy == "gradscale") {
    std::vector<float> prev = floats(load(a.pos.at(1)));
    for (size_t j = 0; j < s.size(); ++j)
      s[j] = num::gradScaleUpdate(
          f, prev[j], num::amaxOf(groups[j].data(), groups[j].size()));
    save(a.pos.at(2), f32Array(sshape, s));
  } else if (policy.rfind("delayed:", 0) == 0) {
    int margin = std::atoi(policy.c_str() + 8);
    npy::Array ha = load(a.pos.at(1));
    std::vector<float> h = floats(ha);
    float old = floats(load(a.pos.at(2))).at(0);
    float sc = num::delayedScale(f, h.data(), h.size(), margin, old);
    float amax = num::amaxOf(x.data(), x.size());
    num::pushAmaxHistory(h.data(), h.size(), amax);
    save(a.pos.at(3), f32Array({}, {sc}));
    save(a.pos.at(4), f32Array(ha.shape, h));
  } else if (policy == "sawb") {
    for (size_t j = 0; j < s.size(); ++j)
      s[j] = num::sawbScale(groups[j].data(), groups[j].size(), f.bits);
    save(a.pos.at(1), f32Array(sshape, s));
  } else if (policy == "pact") {
    float alpha = floats(load(a.pos.at(1))).at(0);
    save(a.pos.at(2), f32Array({}, {num::pactScale(alpha, f.bits)}));
  } else if (policy == "block") {
    // One num::blockScaleCode per N-D block (its elements in row-major
    // order), the rule the runtime applies.
    num::Format sf = format(a.get("scale-format", "e8m0"));
    bool two = a.has("tensor-scale-out");
    float t = two ? num::blockTensorScale(x.data(), x.size(), sf) : 1.0f;
    std::optional<float> tOpt = two ? std::optional<float>(t) : std::nullopt;
    std::vector<uint32_t> sc(static_cast<size_t>(ns));
    for (size_t j = 0; j < sc.size(); ++j)
      sc[j] = num::blockScaleCode(groups[j].data(), groups[j].size(), f, sf,
                                  tOpt);
    if (sf.kind == num::FormatKind::FP32) {
      for (size_t j = 0; j < s.size(); ++j)
        s[j] = num::bitsFloat(sc[j]);
      save(a.pos.at(1), f32Array(sshape, s));
    } else {
      save(a.pos.at(1), u8Array(sshape, sc));
    }
    if (two)
      save(a.pos.at(2), f32Array({}, {t}));
  } else {
    die("unknown policy " + policy);
  }
  return 0;
}

/// Row-major M x K (or K x N) codes of a 2-D array, transposed on request.
std::vector<uint32_t> matrix(const npy::Array &a, bool transpose) {
  std::vector<uint32_t> c = codes(a);
  if (!transpose)
    return c;
  int64_t r = a.shape[0], k = a.shape[1];
  std::vector<uint32_t> t(c.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < k; ++j)
      t[size_t(j * r + i)] = c[size_t(i * k + j)];
  return t;
}

int cmdMatmul(const Args &a) {
  if (a.pos.size() != 5)
    die("matmul takes A B SA SB OUT");
  npy::Array A = load(a.pos[0]), B = load(a.pos[1]);
  npy::Array SA = load(a.pos[2]), SB = load(a.pos[3]);
  bool tl = a.has("transpose-lhs"), tr = a.has("transpose-rhs");
  int64_t M = A.shape[tl ? 1 : 0], K = A.shape[tl ? 0 : 1];
  int64_t N = B.shape[tr ? 0 : 1];
  std::vector<uint32_t> ac = matrix(A, tl), bc = matrix(B, tr);
  std::vector<float> sa = scales(SA, a.get("lhs-scale-format"));
  std::vector<float> sb = scales(SB, a.get("rhs-scale-format"));
  Gran lg = granularity(a.get("lhs-granularity"));
  Gran rg = granularity(a.get("rhs-granularity"));
  num::QOperand qa, qb;
  qa.format = format(a.need("lhs-format"));
  qb.format = format(a.need("rhs-format"));
  if (a.has("tensor-scales")) {
    std::string ts = a.get("tensor-scales");
    qa.tensorScale = floats(load(ts.substr(0, ts.find(',')))).at(0);
    qb.tensorScale = floats(load(ts.substr(ts.find(',') + 1))).at(0);
  }
  int64_t bs = lg.kind == 2 ? lg.block[tl ? 0 : 1]
               : rg.kind == 2 ? rg.block[tr ? 1 : 0] : 0;
  int64_t nb = bs ? (K + bs - 1) / bs : 1;
  std::vector<float> as, bsc;
  // A's scale for (row m, k block j) and B's for (k block j, column n).
  for (int64_t m = 0; m < (lg.kind == 2 ? M : 0); ++m)
    for (int64_t j = 0; j < nb; ++j) {
      int64_t bm = lg.block[tl ? 1 : 0];
      int64_t r = tl ? j : m / bm, c = tl ? m / bm : j;
      as.push_back(sa[size_t(r * SA.shape[1] + c)]);
    }
  for (int64_t j = 0; j < (rg.kind == 2 ? nb : 0); ++j)
    for (int64_t n = 0; n < N; ++n) {
      int64_t bn = rg.block[tr ? 0 : 1];
      int64_t r = tr ? n / bn : j, c = tr ? j : n / bn;
      bsc.push_back(sb[size_t(r * SB.shape[1] + c)]);
    }
  qa.layout = lg.kind == 0 ? num::ScaleLayout::Tensor
              : lg.kind == 1 ? num::ScaleLayout::Outer : num::ScaleLayout::BlockK;
  qb.layout = rg.kind == 0 ? num::ScaleLayout::Tensor
              : rg.kind == 1 ? num::ScaleLayout::Outer : num::ScaleLayout::BlockK;
  qa.scales = lg.kind == 2 ? as.data() : sa.data();
  qb.scales = rg.kind == 2 ? bsc.data() : sb.data();
  qa.blockSize = qb.blockSize = int(bs);
  qa.codes = ac.data();
  qb.codes = bc.data();
  std::vector<float> c(size_t(M * N));
  std::string e = num::referenceGemm(int(M), int(N), int(K), qa, qb,
                                     accumulation(a.need("acc")), c.data());
  if (!e.empty())
    die(e);
  save(a.pos[4], f32Array({M, N}, c));
  return 0;
}

int cmdConv(const Args &a) {
  if (a.pos.size() != 5)
    die("conv2d takes X K SX SK OUT");
  npy::Array X = load(a.pos[0]), Kf = load(a.pos[1]);
  std::vector<uint32_t> xc = codes(X), kc = codes(Kf);
  std::vector<float> sx = floats(load(a.pos[2])), sk = floats(load(a.pos[3]));
  num::ConvShape s;
  s.N = int(X.shape[0]);
  s.H = int(X.shape[1]);
  s.W = int(X.shape[2]);
  s.C = int(X.shape[3]);
  s.KH = int(Kf.shape[0]);
  s.KW = int(Kf.shape[1]);
  s.F = int(Kf.shape[3]);
  std::vector<int64_t> st = ints(a.get("strides", "1,1"), ',');
  std::vector<int64_t> dl = ints(a.get("dilations", "1,1"), ',');
  s.strideH = int(st[0]);
  s.strideW = int(st[1]);
  s.dilationH = int(dl[0]);
  s.dilationW = int(dl[1]);
  num::QOperand qi, qf;
  qi.format = format(a.need("input-format"));
  qf.format = format(a.need("filter-format"));
  qi.codes = xc.data();
  qf.codes = kc.data();
  qi.scales = sx.data();
  qf.scales = sk.data();
  qf.layout = a.has("filter-per-channel") ? num::ScaleLayout::Outer
                                          : num::ScaleLayout::Tensor;
  std::vector<float> out(size_t(s.N) * s.outH() * s.outW() * s.F);
  std::string e = num::referenceConv2D(s, qi, qf, accumulation(a.need("acc")),
                                       out.data());
  if (!e.empty())
    die(e);
  save(a.pos[4], f32Array({s.N, s.outH(), s.outW(), s.F}, out));
  return 0;
}

int cmdFloat(const Args &a, const std::string &cmd) {
  npy::Array x = load(a.pos.at(0));
  std::vector<float> v = floats(x), out(v.size());
  if (cmd == "relu") {
    for (size_t i = 0; i < v.size(); ++i)
      out[i] = v[i] > 0.0f ? v[i] : 0.0f;
    save(a.pos.at(1), f32Array(x.shape, out));
    return 0;
  }
  if (cmd == "sgd") {
    std::vector<float> g = floats(load(a.pos.at(1)));
    float lr = std::strtof(a.pos.at(2).c_str(), nullptr);
    for (size_t i = 0; i < v.size(); ++i) {
      float step = lr * g[i];
      out[i] = v[i] - step;
    }
    save(a.pos.at(3), f32Array(x.shape, out));
    return 0;
  }
  std::vector<float> w = floats(load(a.pos.at(1)));
  for (size_t i = 0; i < v.size(); ++i)
    out[i] = cmd == "sub" ? v[i] - w[i] : (v[i] > 0.0f ? w[i] : 0.0f);
  save(a.pos.at(2), f32Array(x.shape, out));
  return 0;
}

int cmdDropout(const Args &a) {
  npy::Array x = load(a.pos.at(0));
  std::vector<float> v = floats(x), out(v.size());
  double ratio = std::strtod(a.need("ratio").c_str(), nullptr);
  num::RngKey key{std::strtoull(a.need("seed").c_str(), nullptr, 10),
                  std::strtoull(a.get("stream", "0").c_str(), nullptr, 10)};
  uint32_t threshold = num::dropoutThreshold(ratio);
  float scale = num::dropoutScale(ratio);
  for (size_t i = 0; i < v.size(); ++i)
    out[i] = num::dropout(v[i], key, uint64_t(i), threshold, scale);
  save(a.pos.at(1), f32Array(x.shape, out));
  return 0;
}

int cmdFMatmul(const Args &a) {
  npy::Array x = load(a.pos.at(0)), y = load(a.pos.at(1));
  if (x.shape.size() != 2 || y.shape.size() != 2)
    die("fmatmul: operands must be 2-D");
  bool ta = a.has("transpose-a"), tb = a.has("transpose-b");
  std::vector<float> A = floats(x), B = floats(y);
  int64_t M = ta ? x.shape[1] : x.shape[0], K = ta ? x.shape[0] : x.shape[1];
  int64_t N = tb ? y.shape[0] : y.shape[1];
  if ((tb ? y.shape[1] : y.shape[0]) != K)
    die("fmatmul: inner dimensions differ");
  std::vector<float> C(size_t(M * N), 0.0f);
  if (a.has("init"))
    C = floats(load(a.get("init")));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = C[size_t(m * N + n)];
      for (int64_t k = 0; k < K; ++k)
        acc += double(ta ? A[size_t(k * M + m)] : A[size_t(m * K + k)]) *
               double(tb ? B[size_t(n * K + k)] : B[size_t(k * N + n)]);
      C[size_t(m * N + n)] = float(acc);
    }
  save(a.pos.at(2), f32Array({M, N}, C));
  return 0;
}

/// One value per line: hand-computed constants in tests compare against
/// these, not against another call into the Numerics library.
int cmdPrint(const Args &a) {
  if (a.pos.size() != 1)
    die("print takes one input file");
  npy::Array x = load(a.pos[0]);
  bool withBits = a.has("with-bits");
  auto printFloat = [&](double v, uint64_t raw, int hexDigits) {
    // Binary floats have finite decimal expansions and glibc prints them
    // exactly: 150 significant digits cover every float32/float16 value
    // (2^-149 needs 105); float64 values may be cut.
    std::printf("%.150g", v);
    if (withBits)
      std::printf(" 0x%0*llx", hexDigits, (unsigned long long)raw);
    std::printf("\n");
  };
  auto printInt = [](long long v) { std::printf("%lld\n", v); };
  for (int64_t i = 0; i < x.numel(); ++i) {
    switch (x.dtype) {
    case npy::DType::F32: {
      float f = x.as<float>()[i];
      uint32_t b;
      std::memcpy(&b, &f, 4);
      printFloat(f, b, 8);
      break;
    }
    case npy::DType::F16: {
      uint16_t h = x.as<uint16_t>()[i];
      printFloat(num::halfBitsToFloat(h), h, 4);
      break;
    }
    case npy::DType::F64: {
      double d = x.as<double>()[i];
      uint64_t b;
      std::memcpy(&b, &d, 8);
      printFloat(d, b, 16);
      break;
    }
    case npy::DType::Bool: printInt(x.as<uint8_t>()[i] != 0); break;
    case npy::DType::I8: printInt(x.as<int8_t>()[i]); break;
    case npy::DType::U8: printInt(x.as<uint8_t>()[i]); break;
    case npy::DType::I16: printInt(x.as<int16_t>()[i]); break;
    case npy::DType::U16: printInt(x.as<uint16_t>()[i]); break;
    case npy::DType::I32: printInt(x.as<int32_t>()[i]); break;
    case npy::DType::U32: printInt(x.as<uint32_t>()[i]); break;
    case npy::DType::I64: printInt(x.as<int64_t>()[i]); break;
    case npy::DType::U64:
      std::printf("%llu\n", (unsigned long long)x.as<uint64_t>()[i]);
      break;
    }
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    die("usage: quant4-ref COMMAND ... (see the header of quant4-ref.cpp)");
  std::string cmd = argv[1];
  Args a = parse(argc, argv);
  if (cmd == "gen")
    return cmdGen(a);
  if (cmd == "quantize" || cmd == "dequantize" || cmd == "fake_quant")
    return cmdQuantLike(a, cmd);
  if (cmd == "scale")
    return cmdScale(a);
  if (cmd == "matmul")
    return cmdMatmul(a);
  if (cmd == "conv2d")
    return cmdConv(a);
  if (cmd == "relu" || cmd == "relu_grad" || cmd == "sub" || cmd == "sgd")
    return cmdFloat(a, cmd);
  if (cmd == "fmatmul")
    return cmdFMatmul(a);
  if (cmd == "dropout")
    return cmdDropout(a);
  if (cmd == "print")
    return cmdPrint(a);
  die("unknown command '" + cmd + "'");
}
