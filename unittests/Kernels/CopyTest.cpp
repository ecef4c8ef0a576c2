//===- CopyTest.cpp - strided copies and transposes -----------------------===//
#include "quant4/Kernels/Copy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

using namespace quant4;

namespace {

/// Row-major strides of `sizes`, in elements.
std::vector<int64_t> rowMajor(const std::vector<int64_t> &sizes) {
  std::vector<int64_t> s(sizes.size(), 1);
  for (size_t k = sizes.size(); k-- > 1;)
    s[k - 1] = s[k] * sizes[k];
  return s;
}

/// What stridedCopy must do, one element at a time in row-major order.
void referenceCopy(const std::vector<int64_t> &sizes, const char *src,
                   const std::vector<int64_t> &ss, char *dst,
                   const std::vector<int64_t> &ds, size_t e) {
  int64_t n = 1;
  for (int64_t v : sizes)
    n *= v;
  std::vector<int64_t> idx(sizes.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t so = 0, doff = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      so += idx[k] * ss[k];
      doff += idx[k] * ds[k];
    }
    std::memcpy(dst + doff * int64_t(e), src + so * int64_t(e), e);
    for (size_t k = sizes.size(); k-- > 0;)
      if (++idx[k] < sizes[k])
        break;
      else
        idx[k] = 0;
  }
}

struct Case {
  std::vector<int64_t> inSizes; // the source buffer, row-major
  std::vector<int> perm;        // output dim i = input dim perm[i]
};

/// Transposes `c` with stridedCopy (the source seen through the
/// permutation) into a destination with a guard band and compares it with
/// the reference, bytes and all, for each element size and thread count.
void checkTranspose(const Case &c) {
  const size_t rank = c.inSizes.size();
  std::vector<int64_t> inStrides = rowMajor(c.inSizes), sizes(rank), ss(rank);
  for (size_t i = 0; i < rank; ++i) {
    sizes[i] = c.inSizes[size_t(c.perm[i])];
    ss[i] = inStrides[size_t(c.perm[i])];
  }
  std::vector<int64_t> ds = rowMajor(sizes);
  int64_t n = 1;
  for (int64_t v : sizes)
    n *= v;
  for (size_t e : {1u, 2u, 4u, 8u}) {
    std::vector<char> src(size_t(n) * e);
    for (size_t i = 0; i < src.size(); ++i)
      src[i] = char(i * 131 + (i >> 8) * 7 + 1);
    const size_t guard = 64;
    std::vector<char> want(size_t(n) * e + 2 * guard, char(0x5a));
    referenceCopy(sizes, src.data(), ss, want.data() + guard, ds, e);
    for (int threads : {1, 2, 3}) {
      std::vector<char> got(want.size(), char(0x5a));
      kernels::stridedCopy(int(rank), sizes.data(), src.data(), ss.data(),
                           got.data() + guard, ds.data(), e, threads);
      ASSERT_EQ(got, want) << "element bytes " << e << ", threads " << threads
                           << ", rank " << rank;
    }
  }
}

TEST(StridedCopy, TransposesLikeTheReference) {
  const std::vector<Case> cases = {
      {{7}, {0}},                              // plain copy
      {{3, 5}, {1, 0}},                        // small 2-D
      {{67, 45}, {1, 0}},                      // blocks with tails
      {{512, 3, 3, 40}, {3, 0, 1, 2}},         // HWCF-style -> FCHW
      {{40, 24, 3, 3}, {2, 3, 1, 0}},          // FCHW -> HWCF
      {{8, 33, 5, 5}, {0, 2, 3, 1}},           // NCHW -> NHWC
      {{8, 5, 5, 33}, {0, 3, 1, 2}},           // NHWC -> NCHW
      {{2, 1, 70, 1, 3}, {4, 1, 0, 3, 2}},     // unit dimensions
      {{300, 300}, {1, 0}},                    // large: the parallel path
      {{64, 128, 4, 4}, {0, 2, 3, 1}},         // a ResNet activation
  };
  for (const Case &c : cases)
    checkTranspose(c);
}

TEST(StridedCopy, StridedViewsOnBothSides) {
  // A 5x6 window of a 9x10 buffer into the interior of a 7x8 one
  // (padding), rows reversed on the way (negative stride).
  std::vector<float> src(90), dst(56, -1.0f), want(56, -1.0f);
  std::iota(src.begin(), src.end(), 0.0f);
  const int64_t sizes[2] = {5, 6};
  const int64_t ss[2] = {-10, 1}, ds[2] = {8, 1};
  const float *srcBase = src.data() + 2 + 10 * 7; // row 7, column 2
  float *dstBase = dst.data() + 8 + 1;            // row 1, column 1
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 6; ++j)
      want[size_t(9 + 8 * i + j)] = srcBase[-10 * i + j];
  kernels::stridedCopy(2, sizes,
                       reinterpret_cast<const char *>(srcBase), ss,
                       reinterpret_cast<char *>(dstBase), ds, 4, 2);
  EXPECT_EQ(dst, want);
}

TEST(StridedCopy, EmptyAndScalar) {
  float a = 3.5f, b = 0.0f;
  const int64_t none[1] = {0}, one[1] = {1}, st[1] = {1};
  kernels::stridedCopy(1, none, reinterpret_cast<const char *>(&a), st,
                       reinterpret_cast<char *>(&b), st, 4, 1);
  EXPECT_EQ(b, 0.0f);
  kernels::stridedCopy(0, one, reinterpret_cast<const char *>(&a), st,
                       reinterpret_cast<char *>(&b), st, 4, 1);
  EXPECT_EQ(b, 3.5f);
}

} // namespace
