//===- CheckpointTest.cpp - the checkpoint file format --------------------===//
//
// Checkpoint.h: what is written reads back exactly; a file cut at any length
// or with any byte altered is refused with a message (never a crash or a
// checkpoint read wrong); another format version is named.
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace quant4;
using namespace quant4::runner;

namespace {

Checkpoint sample() {
  Checkpoint c;
  c.setField("option --lr", "0.05");
  c.setField("sums loss", exactDouble(1.0 / 3.0));
  c.setField("empty", "");
  npy::Array f;
  f.dtype = npy::DType::F32;
  f.shape = {2, 3};
  float v[6] = {1.5f,   -0.0f,  std::numeric_limits<float>::quiet_NaN(),
                1e-45f, -3.25f, std::numeric_limits<float>::infinity()};
  f.data.resize(sizeof(v));
  std::memcpy(f.data.data(), v, sizeof(v));
  c.arrays.push_back({"model/w", f});
  npy::Array u;
  u.dtype = npy::DType::U64;
  u.shape = {1, 5};
  u.data.assign(40, '\x7f');
  c.arrays.push_back({"counters", u});
  npy::Array scalar; // rank 0
  scalar.data.assign(4, '\0');
  c.arrays.push_back({"state/s", scalar});
  return c;
}

TEST(CheckpointTest, RoundTripsFieldsAndArraysBitForBit) {
  Checkpoint c = sample();
  std::string bytes = encodeCheckpoint(c);
  auto back = decodeCheckpoint(bytes, "mem");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->fields, c.fields);
  ASSERT_EQ(back->arrays.size(), c.arrays.size());
  for (size_t i = 0; i < c.arrays.size(); ++i) {
    EXPECT_EQ(back->arrays[i].first, c.arrays[i].first);
    EXPECT_EQ(back->arrays[i].second.dtype, c.arrays[i].second.dtype);
    EXPECT_EQ(back->arrays[i].second.shape, c.arrays[i].second.shape);
    EXPECT_EQ(back->arrays[i].second.data, c.arrays[i].second.data);
  }
  EXPECT_EQ(encodeCheckpoint(*back), bytes);
  EXPECT_EQ(*back->field("option --lr"), "0.05");
  EXPECT_EQ(back->field("missing"), nullptr);
  EXPECT_NE(back->array("counters"), nullptr);
}

TEST(CheckpointTest, ExactDoublesReadBackToTheSameBits) {
  for (double v : {1.0 / 3.0, -0.0, 5e-324, 1e308, 0.1, -123456.789}) {
    double r = 0;
    ASSERT_TRUE(parseExactDouble(exactDouble(v), r)) << exactDouble(v);
    EXPECT_EQ(std::memcmp(&v, &r, sizeof(v)), 0) << exactDouble(v);
  }
  double r = 0;
  EXPECT_FALSE(parseExactDouble("0x1p+0x", r));
  EXPECT_FALSE(parseExactDouble("", r));
}

TEST(CheckpointTest, EveryTruncationIsRefused) {
  std::string bytes = encodeCheckpoint(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto c = decodeCheckpoint(llvm::StringRef(bytes.data(), n), "cut");
    ASSERT_FALSE(bool(c)) << "a file cut at " << n << " bytes was accepted";
    std::string msg = llvm::toString(c.takeError());
    EXPECT_NE(msg.find("'cut' "), std::string::npos) << msg;
  }
}

TEST(CheckpointTest, EveryAlteredByteIsRefused) {
  std::string bytes = encodeCheckpoint(sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = char(bad[i] ^ 0x20);
    auto c = decodeCheckpoint(bad, "bad");
    ASSERT_FALSE(bool(c)) << "byte " << i << " altered was accepted";
    llvm::consumeError(c.takeError());
  }
}

TEST(CheckpointTest, OtherVersionsAndFilesAreNamed) {
  std::string bytes = encodeCheckpoint(sample());
  bytes[8] = 9;
  auto c = decodeCheckpoint(bytes, "v9");
  ASSERT_FALSE(bool(c));
  EXPECT_EQ(llvm::toString(c.takeError()),
            "'v9' has checkpoint format version 9, which is not supported "
            "(this build reads version 1)");
  auto npy = decodeCheckpoint("\x93NUMPY\x01\x00", "x.npy");
  ASSERT_FALSE(bool(npy));
  EXPECT_EQ(llvm::toString(npy.takeError()),
            "'x.npy' is not a quant4 checkpoint (no QUANT4CK header)");
}

TEST(CheckpointTest, WritesAtomicallyAndReadsBack) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("q4ck", dir));
  std::string d(dir);
  Checkpoint c = sample();
  EXPECT_EQ(writeCheckpoint(d + "/sub", c), "");
  // A second write replaces the first; a write that stops half-way (the
  // hook throws where a crash would happen) leaves it.
  c.setField("option --lr", "0.1");
  EXPECT_EQ(writeCheckpoint(d + "/sub", c), "");
  Checkpoint other = sample();
  other.setField("option --lr", "0.2");
  bool called = false;
  try {
    (void)writeCheckpoint(d + "/sub", other, [&] {
      called = true;
      throw 1;
    });
  } catch (int) {
  }
  EXPECT_TRUE(called);
  auto back = readCheckpoint(d + "/sub");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(*back->field("option --lr"), "0.1");
  auto none = readCheckpoint(d + "/none");
  ASSERT_FALSE(bool(none));
  EXPECT_NE(llvm::toString(none.takeError()).find("does not exist"),
            std::string::npos);
  (void)llvm::sys::fs::remove_directories(d);
}

} // namespace
