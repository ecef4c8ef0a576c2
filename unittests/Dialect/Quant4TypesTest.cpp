//===- Quant4TypesTest.cpp - C++ API of the quant4 types and attributes ---===//
#include "quant4/Dialect/Quant4/IR/Quant4.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::quant4;

namespace {
struct Quant4Types : ::testing::Test {
  Quant4Types() { ctx.loadDialect<Quant4Dialect>(); }
  MLIRContext ctx;
};

TEST_F(Quant4Types, LogDefaultBiasCentresTheExponents) {
  // The 4-bit training gradient format: codes 1..7 -> 4^-3..4^3.
  auto t = LogType::get(&ctx, 4, 3, 0);
  EXPECT_EQ(t.getBias(), 4);
  EXPECT_EQ(t.getWidth(), 4u);
  auto f = getFormat(t);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, num::FormatKind::Log);
  EXPECT_EQ(f->bias, 4);
  EXPECT_EQ(num::decode(*f, 1), 1.0f / 64.0f);
  EXPECT_EQ(num::decode(*f, 7), 64.0f);
}

TEST_F(Quant4Types, TypesAreUniqued) {
  EXPECT_EQ(LogType::get(&ctx, 4, 3, 1), LogType::get(&ctx, 4, 3, 1, 4));
  EXPECT_NE(LogType::get(&ctx, 4, 3, 0), LogType::get(&ctx, 4, 3, 1));
  EXPECT_EQ(IntType::get(&ctx, 4), IntType::get(&ctx, 4));
  EXPECT_NE(Type(IntType::get(&ctx, 4)), Type(UIntType::get(&ctx, 4)));
}

TEST_F(Quant4Types, GetCheckedRejectsBadParameters) {
  std::string messages;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    messages += d.str() + "\n";
    return success();
  });
  Location loc = UnknownLoc::get(&ctx);
  auto emit = [&] { return emitError(loc); };
  EXPECT_FALSE(LogType::getChecked(emit, &ctx, 3u, 3u, 0u, 4));
  EXPECT_FALSE(LogType::getChecked(emit, &ctx, 2u, 3u, 1u, 4)); // sqrt(2)
  EXPECT_FALSE(LogType::getChecked(emit, &ctx, 4u, 0u, 0u, 0));
  EXPECT_FALSE(IntType::getChecked(emit, &ctx, 9u));
  EXPECT_FALSE(UIntType::getChecked(emit, &ctx, 1u));
  EXPECT_TRUE(LogType::getChecked(emit, &ctx, 16u, 3u, 1u, 4));
  EXPECT_NE(messages.find("radix"), std::string::npos);
  EXPECT_NE(messages.find("phase"), std::string::npos);
  EXPECT_NE(messages.find("ebits"), std::string::npos);
}

TEST_F(Quant4Types, BuiltinFormatsMapToNumerics) {
  Builder b(&ctx);
  EXPECT_EQ(getFormat(Float4E2M1FNType::get(&ctx))->kind,
            num::FormatKind::FP4E2M1);
  EXPECT_EQ(getFormat(Float8E4M3FNType::get(&ctx))->kind,
            num::FormatKind::FP8E4M3);
  EXPECT_EQ(getFormat(Float8E5M2Type::get(&ctx))->kind,
            num::FormatKind::FP8E5M2);
  EXPECT_TRUE(isQuantizedFormat(Float4E2M1FNType::get(&ctx)));
  EXPECT_FALSE(isQuantizedFormat(b.getF32Type()));
  EXPECT_EQ(getFormatWidth(UIntType::get(&ctx, 3)), 3u);
}

TEST_F(Quant4Types, PolicyInterfaceCountsStateAndResults) {
  Builder b(&ctx);
  auto gs = cast<ScalePolicyAttrInterface>(GradScaleAttr::get(&ctx));
  EXPECT_EQ(gs.getPolicyName(), "gradscale");
  EXPECT_EQ(gs.getNumStateOperands(), 1u);
  auto d = cast<ScalePolicyAttrInterface>(DelayedAttr::get(&ctx, 16, 0));
  EXPECT_EQ(d.getNumStateOperands(), 2u);
  EXPECT_EQ(d.getNumExtraResults(), 1u);
  auto nv = cast<ScalePolicyAttrInterface>(
      BlockAttr::get(&ctx, Float8E4M3FNType::get(&ctx), true));
  EXPECT_EQ(nv.getNumExtraResults(), 1u);
  auto mx = cast<ScalePolicyAttrInterface>(
      BlockAttr::get(&ctx, Float8E8M0FNUType::get(&ctx), false));
  EXPECT_EQ(mx.getNumExtraResults(), 0u);
}
} // namespace
