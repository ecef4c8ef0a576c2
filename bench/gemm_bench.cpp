//===- gemm_bench.cpp - quantized GEMM throughput vs OpenBLAS sgemm -------===//
//
// For each shape, operand-format pair, accumulation mode and thread count:
// the median time of repeated runs of quant4's kernels::gemm and of
// OpenBLAS cblas_sgemm on float data of the same shape, in the same process,
// reported as a throughput ratio (>1: quant4 is faster). Also quantize
// throughput against a plain memory copy. Output: a Markdown table.
//
//   bench/run.sh            (see docs/Performance.md)
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Gemm.h"
#include "quant4/Kernels/Quantize.h"
#include "quant4/Numerics/Numerics.h"

#include <cblas.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" char *openblas_get_corename(void);

using namespace quant4;
using num::AccumKind;
using num::Format;

static double medianSeconds(const std::function<void()> &fn, double budget) {
  fn(); // warm up
  std::vector<double> t;
  auto start = std::chrono::steady_clock::now();
  do {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double>(t1 - t0).count());
  } while ((t.size() < 3 ||
            std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                          start)
                    .count() < budget) &&
           t.size() < 200);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char **argv) {
  double budget = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::vector<std::array<int, 3>> shapes = {{256, 256, 256},
                                            {1024, 1024, 1024},
                                            {2048, 2048, 2048},
                                            // examples/mlp.mlir, batch 64
                                            {64, 256, 784},
                                            {784, 256, 64},
                                            {64, 784, 256}};
  if (const char *s = std::getenv("QUANT4_BENCH_SHAPES")) {
    shapes.clear();
    int m, n, k, off = 0, used;
    while (std::sscanf(s + off, "%dx%dx%d%n", &m, &n, &k, &used) == 3) {
      shapes.push_back({m, n, k});
      off += used;
      if (s[off] == ',')
        ++off;
    }
  }
  struct Pair {
    const char *name;
    Format a, b;
  };
  std::vector<Pair> pairs = {
      {"uint4 x int4", Format::uint(4), Format::sint(4)},
      {"log4 x int4", Format::log(4, 3, 0), Format::sint(4)},
      {"uint4 x log4", Format::uint(4), Format::log(4, 3, 1)},
      {"e2m1 x e2m1", Format::fp4e2m1(), Format::fp4e2m1()},
  };
  struct Acc {
    const char *name;
    num::Accumulation acc;
  };
  std::vector<Acc> accs = {{"exact", {AccumKind::Exact, 0}},
                           {"f32", {AccumKind::F32, 0}},
                           {"f16", {AccumKind::F16, 0}},
                           {"f16_chunked(64)", {AccumKind::F16Chunked, 64}}};
  // Optional filters (substring match), e.g. QUANT4_BENCH_PAIRS="log4 x int4"
  // QUANT4_BENCH_ACCS=exact QUANT4_BENCH_THREADS=1.
  auto keep = [](const char *env, const std::string &name) {
    const char *f = std::getenv(env);
    return !f || !*f || std::string(f).find(name) != std::string::npos ||
           name.find(f) != std::string::npos;
  };
  pairs.erase(std::remove_if(pairs.begin(), pairs.end(),
                             [&](const Pair &p) {
                               return !keep("QUANT4_BENCH_PAIRS", p.name);
                             }),
              pairs.end());
  accs.erase(std::remove_if(accs.begin(), accs.end(),
                            [&](const Acc &a) {
                              return !keep("QUANT4_BENCH_ACCS", a.name);
                            }),
             accs.end());
  std::vector<int> threadCounts;
  for (int t : {1, 2})
    if (keep("QUANT4_BENCH_THREADS", std::to_string(t)))
      threadCounts.push_back(t);
  bool quantizeToo = keep("QUANT4_BENCH_QUANTIZE", "1");
  // QUANT4_BENCH_ZEROS="0 0.6": also runs each pair with that fraction of
  // A's codes zero (as in training's gradients and ReLU activations).
  std::vector<double> zeroFractions = {0.0};
  if (const char *z = std::getenv("QUANT4_BENCH_ZEROS")) {
    zeroFractions.clear();
    for (const char *p = z; *p;) {
      char *end;
      double f = std::strtod(p, &end);
      if (end == p)
        break;
      zeroFractions.push_back(std::min(1.0, std::max(0.0, f)));
      p = end;
    }
    if (zeroFractions.empty())
      zeroFractions.push_back(0.0);
  }
  // QUANT4_BENCH_ISA=avx2 (or portable, avx512-vnni): run the kernels of that
  // instruction set instead of the best one the CPU has.
  kernels::Isa isa = kernels::detectIsa();
  if (const char *want = std::getenv("QUANT4_BENCH_ISA"))
    for (kernels::Isa i : {kernels::Isa::Portable, kernels::Isa::AVX2,
                           kernels::Isa::AVX512})
      if (std::string(want) == kernels::isaName(i) && i <= isa)
        isa = i;
  std::printf("CPU kernels: %s; OpenBLAS core: %s\n\n", kernels::isaName(isa),
              openblas_get_corename());
  std::printf("| M×N×K | threads | operands | accumulation | path | quant4 "
              "GFLOP/s | sgemm GFLOP/s | ratio |\n|---|---|---|---|---|---|---|"
              "---|\n");
  std::mt19937 rng(42);
  for (auto shape : shapes) {
    int M = shape[0], N = shape[1], K = shape[2];
    std::vector<float> fa(size_t(M) * K), fb(size_t(K) * N), fc(size_t(M) * N);
    std::uniform_real_distribution<float> d(-1, 1);
    for (auto &x : fa)
      x = d(rng);
    for (auto &x : fb)
      x = d(rng);
    double flops = 2.0 * M * N * K;
    for (int threads : threadCounts) {
      openblas_set_num_threads(threads);
      double tBlas = medianSeconds(
          [&] {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K,
                        1.0f, fa.data(), K, fb.data(), N, 0.0f, fc.data(), N);
          },
          budget);
      for (const Pair &p : pairs)
      for (double zeros : zeroFractions) {
        std::vector<uint8_t> ca(size_t(M) * K), cb(size_t(K) * N);
        uint32_t zeroCode =
            num::encode(p.a, 0.0f, num::Rounding::NearestLinear);
        if (zeros > 0 && num::decode(p.a, zeroCode) != 0.0f) {
          std::printf("(%s: A's format has no zero, skipped)\n", p.name);
          continue;
        }
        std::bernoulli_distribution zero(zeros);
        for (auto &c : ca)
          c = uint8_t(zero(rng) ? zeroCode : rng() % p.a.numCodes());
        for (auto &c : cb)
          c = uint8_t(rng() % p.b.numCodes());
        std::vector<uint8_t> pa((ca.size() + 1) / 2), pb((cb.size() + 1) / 2);
        kernels::packCodes4(ca.data(), ca.size(), pa.data());
        kernels::packCodes4(cb.data(), cb.size(), pb.data());
        float sa = 0.5f, sb = 0.25f;
        kernels::Operand A{p.a, pa.data(), kernels::CodeLayout::Packed4,
                           num::ScaleLayout::Tensor, &sa};
        kernels::Operand B{p.b, pb.data(), kernels::CodeLayout::Packed4,
                           num::ScaleLayout::Tensor, &sb};
        for (const Acc &a : accs) {
          const char *path = "?";
          kernels::Options opts;
          opts.threads = threads;
          opts.isa = isa;
          opts.pathTaken = &path;
          double t = medianSeconds(
              [&] { kernels::gemm(M, N, K, A, B, a.acc, fc.data(), opts); },
              budget);
          std::string operands = p.name;
          if (zeros > 0) // training operands: gradients, ReLU activations
            operands += " (A " + std::to_string(int(zeros * 100 + 0.5)) +
                        "% zero)";
          std::printf("| %d×%d×%d | %d | %s | %s | %s | %.1f | %.1f | %.2f |\n",
                      M, N, K, threads, operands.c_str(), a.name,
                      path, flops / t * 1e-9,
                      flops / tBlas * 1e-9, tBlas / t);
          std::fflush(stdout);
        }
      }
    }
  }
  if (!quantizeToo)
    return 0;
  // Quantize throughput against a memory copy of the same input.
  std::printf("\n| quantize | elements | threads | layout | quant4 GB/s (input) "
              "| memcpy GB/s | ratio |\n|---|---|---|---|---|---|---|\n");
  size_t n = size_t(1) << 24;
  std::vector<float> x(n), copy(n);
  std::normal_distribution<float> nd(0, 1);
  for (auto &v : x)
    v = nd(rng);
  std::vector<uint8_t> codes(n);
  double bytes = double(n) * sizeof(float);
  double tCopy = medianSeconds(
      [&] { std::memcpy(copy.data(), x.data(), n * sizeof(float)); }, budget);
  struct QCase {
    const char *name;
    Format f;
    num::Rounding r;
  };
  for (QCase q : {QCase{"log4 nearest", Format::log(4, 3, 0),
                        num::Rounding::NearestLinear},
                  QCase{"int4 nearest", Format::sint(4),
                        num::Rounding::NearestLinear},
                  QCase{"log4 stochastic", Format::log(4, 3, 0),
                        num::Rounding::Stochastic}})
    for (int threads : {1, 2})
      for (auto layout : {kernels::CodeLayout::Packed4, kernels::CodeLayout::Byte}) {
        double t = medianSeconds(
            [&] {
              kernels::quantize(q.f, x.data(), n, 0.37f, q.r, {1, 2}, 0,
                                codes.data(), layout, 0, {threads});
            },
            budget);
        std::printf("| %s | %zu | %d | %s | %.2f | %.2f | %.2f |\n", q.name, n,
                    threads,
                    layout == kernels::CodeLayout::Packed4 ? "packed" : "byte",
                    bytes / t * 1e-9, bytes / tCopy * 1e-9, tCopy / t);
        std::fflush(stdout);
      }
  return 0;
}
