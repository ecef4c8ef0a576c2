//===- SizesTest.cpp - checked size arithmetic, .npy header limits ---------===//
#include "quant4/Runtime/Npy.h"
#include "quant4/Support/Sizes.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace quant4;

TEST(Sizes, AddAndMulReportOverflow) {
  EXPECT_EQ(checkedAdd(UINT64_MAX - 1, 1), UINT64_MAX);
  EXPECT_EQ(checkedAdd(UINT64_MAX, 1), std::nullopt);
  EXPECT_EQ(checkedMul(uint64_t(1) << 32, (uint64_t(1) << 32) - 1),
            (uint64_t(1) << 32) * ((uint64_t(1) << 32) - 1));
  EXPECT_EQ(checkedMul(uint64_t(1) << 32, uint64_t(1) << 32), std::nullopt);
}

TEST(Sizes, TensorBytes) {
  std::vector<int64_t> s = {3, 5, 7};
  EXPECT_EQ(checkedTensorBytes(s, 4), 420u);
  std::vector<uint32_t> scalar;
  EXPECT_EQ(checkedTensorBytes(scalar, 8), 8u);
  // Exactly the limit is accepted, one element more is not.
  std::vector<int64_t> atLimit = {int64_t(1) << 38};
  EXPECT_EQ(checkedTensorBytes(atLimit, 4), kMaxTensorBytes);
  atLimit[0] += 1;
  EXPECT_EQ(checkedTensorBytes(atLimit, 4), std::nullopt);
  // 2^40 x 2^22 float32 is 2^64 bytes: wrapped, it was 0.
  std::vector<int64_t> wraps = {int64_t(1) << 40, int64_t(1) << 22};
  EXPECT_EQ(checkedTensorBytes(wraps, 4), std::nullopt);
  // Zero extents count as one for the limit, the size is still 0.
  std::vector<int64_t> empty = {0, 1000};
  EXPECT_EQ(checkedTensorBytes(empty, 4), 0u);
  std::vector<int64_t> emptyHuge = {0, int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_EQ(checkedTensorBytes(emptyHuge, 4), std::nullopt);
  std::vector<int64_t> negative = {2, -1};
  EXPECT_EQ(checkedTensorBytes(negative, 4), std::nullopt);
  // Four 32-bit extents of 65536: 2^64 elements (the Q4A finding).
  std::vector<uint32_t> q4a = {65536, 65536, 65536, 65536};
  EXPECT_EQ(checkedTensorBytes(q4a, 4, UINT64_MAX), std::nullopt);
}

namespace {
std::string npyBytes(const std::string &shape, size_t dataBytes) {
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                  shape + ", }";
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::string b = "\x93NUMPY";
  b += char(1);
  b += char(0);
  b += char(h.size() & 0xff);
  b += char(h.size() >> 8);
  return b + h + std::string(dataBytes, '\0');
}
} // namespace

TEST(Npy, ShapesAreCheckedBeforeTheDataSize) {
  npy::Array a;
  std::string b = npyBytes("(2, 3)", 24);
  ASSERT_EQ(npy::parseNpy(b.data(), b.size(), a), "");
  EXPECT_EQ(a.shapeString(), "(2, 3)");
  // The 128-byte reproducer: 2^40 x 2^22 float32 "needs" 0 bytes wrapped.
  b = npyBytes("(1099511627776, 4194304)", 0);
  EXPECT_EQ(b.size(), 128u);
  EXPECT_EQ(npy::parseNpy(b.data(), b.size(), a),
            "shape (1099511627776, 4194304) of float32 exceeds the tensor "
            "size limit of 1099511627776 bytes");
  b = npyBytes("(1099511627777,)", 0);
  EXPECT_EQ(npy::parseNpy(b.data(), b.size(), a),
            "malformed .npy header: dimension too large");
  b = npyBytes("(0, 4)", 0);
  EXPECT_EQ(npy::parseNpy(b.data(), b.size(), a), "");
  EXPECT_EQ(a.numel(), 0);
}
