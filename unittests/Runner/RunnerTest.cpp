//===- RunnerTest.cpp - the Runner library's C++ API ----------------------===//
//
// What a C++ user of quant4 does without the tools: parse a module, lower
// and JIT-compile it (Compile.h), call a function with host arrays
// (Call.h), and train a model (Train.h).
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Call.h"
#include "quant4/Runner/Compile.h"
#include "quant4/Runner/Train.h"
#include "quant4/Runtime/Runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace quant4::runner;
namespace npy = quant4::npy;

namespace {

// y = x * k; the int4 codes of x with scale s (nearest, saturating) and
// their values; 2k.
const char *kFunction = R"mlir(
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @f(%x: tensor<2x3xf32>, %s: tensor<f32>, %k: f32)
    -> (tensor<2x3xf32>, tensor<2x3x!quant4.int<4>>, tensor<2x3xf32>, f32) {
  %e = tensor.empty() : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %k : f32
    linalg.yield %m : f32
  } -> tensor<2x3xf32>
  %q = quant4.quantize %x, %s rounding<nearest>
      : tensor<2x3xf32>, tensor<f32> -> tensor<2x3x!quant4.int<4>>
  %d = quant4.dequantize %q, %s
      : tensor<2x3x!quant4.int<4>>, tensor<f32> -> tensor<2x3xf32>
  %k2 = arith.addf %k, %k : f32
  return %y, %q, %d, %k2
      : tensor<2x3xf32>, tensor<2x3x!quant4.int<4>>, tensor<2x3xf32>, f32
}
)mlir";

// One linear layer on flattened 28x28 digits, batch 32 (the model
// convention of docs/Training.md).
const char *kModel = R"mlir(
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @lin(%w: tensor<784x10xf32> {quant4.param = "fc.weight"},
               %b: tensor<10xf32> {quant4.param = "fc.bias"},
               %x: tensor<32x784xf32>) -> tensor<32x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<32x10xf32>)
      -> tensor<32x10xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<32x784xf32>, tensor<784x10xf32>)
                      outs(%z : tensor<32x10xf32>) -> tensor<32x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #bias, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<32x10xf32>, tensor<10xf32>)
      outs(%e : tensor<32x10xf32>) {
  ^bb0(%v: f32, %c: f32, %o: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<32x10xf32>
  return %y : tensor<32x10xf32>
}
)mlir";

// Numerics counters (quant4.counter, docs/Recipes.md): two quantizations,
// a GEMM result and a fake quantization, counted by the runtime.
const char *kCounted = R"mlir(
module attributes {quant4.counters = ["l/fwd/act", "l/fwd/weight",
                                      "l/fwd/out", "l/fwd/fake",
                                      "m/fwd/out"]} {
func.func @g(%x: tensor<2x3xf32>, %s: tensor<f32>, %w: tensor<3x2xf32>,
             %sw: tensor<f32>, %s4: tensor<f32>)
    -> (tensor<2x2xf32>, tensor<2x3xf32>, tensor<1x1xf32>) {
  %q = quant4.quantize %x, %s rounding<nearest> {quant4.counter = 0 : i64}
      : tensor<2x3xf32>, tensor<f32> -> tensor<2x3x!quant4.int<4>>
  %qw = quant4.quantize %w, %sw rounding<nearest> {quant4.counter = 1 : i64}
      : tensor<3x2xf32>, tensor<f32> -> tensor<3x2x!quant4.int<4>>
  %y = quant4.matmul %q, %qw scales(%s, %sw) acc<f32> {quant4.counter = 2 : i64}
      : tensor<2x3x!quant4.int<4>>, tensor<3x2x!quant4.int<4>>, tensor<f32>,
        tensor<f32> -> tensor<2x2xf32>
  %f = quant4.fake_quant %x, %s4 to !quant4.int<4> rounding<nearest>
      {quant4.counter = 3 : i64} : tensor<2x3xf32>, tensor<f32>
  // 16 products 64·64 = 4096 in FP16: 65536 overflows to +Inf.
  %a = quant4.constant dense<7> : tensor<1x16xui8>
      -> tensor<1x16x!quant4.log<4, 3, 0>>
  %b = quant4.constant dense<7> : tensor<16x1xui8>
      -> tensor<16x1x!quant4.log<4, 3, 0>>
  %one = arith.constant dense<1.0> : tensor<f32>
  %o = quant4.matmul %a, %b scales(%one, %one) acc<f16>
      {quant4.counter = 4 : i64}
      : tensor<1x16x!quant4.log<4, 3, 0>>, tensor<16x1x!quant4.log<4, 3, 0>>,
        tensor<f32>, tensor<f32> -> tensor<1x1xf32>
  return %y, %f, %o : tensor<2x2xf32>, tensor<2x3xf32>, tensor<1x1xf32>
}
}
)mlir";

struct RunnerTest : ::testing::Test {
  RunnerTest() {
    DialectRegistry registry;
    registerDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
  }
  OwningOpRef<ModuleOp> parse(const char *text) {
    return parseSourceString<ModuleOp>(text, context.get());
  }
  std::unique_ptr<MLIRContext> context;
};

/// The message of a failed Expected ("" on success).
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  return value ? "" : llvm::toString(value.takeError());
}

npy::Array f32Array(std::vector<int64_t> shape, std::vector<float> values) {
  npy::Array a;
  a.shape = std::move(shape);
  a.data.resize(values.size() * 4);
  std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

TEST_F(RunnerTest, CompileAndCallWithArrays) {
  OwningOpRef<ModuleOp> module = parse(kFunction);
  ASSERT_TRUE(module);
  llvm::Expected<FunctionType> type = prepareEntry(*module, "f", "kFunction");
  ASSERT_TRUE(bool(type)) << llvm::toString(type.takeError());
  EXPECT_EQ(checkSignature(*type), "");
  ASSERT_TRUE(succeeded(lowerToLLVM(*module)));
  EXPECT_TRUE(isLoweredToLLVM(*module));
  auto engine = createEngine(*module);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());

  npy::Array x = f32Array({2, 3}, {0.3f, -1.2f, 2.0f, 5.0f, -0.1f, 1.0f});
  npy::Array s = f32Array({}, {0.5f});
  npy::Array k;
  ASSERT_EQ(parseScalar("1.5", type->getInput(2), 2, k), "");
  std::vector<npy::Array> results;
  llvm::Error err = callFunction(**engine, "f", *type, {&x, &s, &k}, results);
  ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
  ASSERT_EQ(results.size(), 4u);

  const float xs[] = {0.3f, -1.2f, 2.0f, 5.0f, -0.1f, 1.0f};
  ASSERT_EQ(results[0].shape, (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(results[0].as<float>()[i], xs[i] * 1.5f);
  // Codes: one uint8 each, unpacked from the lowering's packed storage.
  EXPECT_EQ(results[1].dtype, npy::DType::U8);
  ASSERT_EQ(results[1].shape, (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i)
    EXPECT_LT(results[1].as<uint8_t>()[i], 16);
  // x / s rounded to nearest and saturated to [-7, 7], times s.
  const float dq[] = {0.5f, -1.0f, 2.0f, 3.5f, 0.0f, 1.0f};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(results[2].as<float>()[i], dq[i]) << i;
  EXPECT_TRUE(results[3].shape.empty());
  EXPECT_EQ(results[3].as<float>()[0], 3.0f);

  // The codes go back in as an argument of their own type.
  EXPECT_EQ(checkArgument(results[1], type->getResult(1), 0), "");
}

// A parameters function that only returns constants (dense, splat and
// resource-backed, as the ONNX importer writes initializers) is read from
// the IR with the bits the compiled function returns; one that computes is
// left to the compiler.
const char *kParams = R"mlir(
module {
func.func @params() -> (tensor<2x3xf32>, tensor<4xf32>, tensor<2xf32>) {
  %a = arith.constant dense<[[0.1, -2.5, 3.0], [0x7FC00000, -0.0, 1.0e-40]]> : tensor<2x3xf32>
  %b = arith.constant dense<0.75> : tensor<4xf32>
  %c = arith.constant dense_resource<blob> : tensor<2xf32>
  return %a, %b, %c : tensor<2x3xf32>, tensor<4xf32>, tensor<2xf32>
}
func.func @huge() -> tensor<2305843009213693952x2xf32> {
  %c = arith.constant dense<1.0> : tensor<2305843009213693952x2xf32>
  return %c : tensor<2305843009213693952x2xf32>
}
func.func @computed() -> tensor<2xf32> {
  %c = arith.constant dense<1.5> : tensor<2xf32>
  %d = arith.addf %c, %c : tensor<2xf32>
  return %d : tensor<2xf32>
}
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000C03F000020C1"
    }
  }
#-}
)mlir";

TEST_F(RunnerTest, ConstantParametersAreReadWithoutCompiling) {
  OwningOpRef<ModuleOp> module = parse(kParams);
  ASSERT_TRUE(module);
  auto params = module->lookupSymbol<func::FuncOp>("params");
  std::optional<std::vector<npy::Array>> read = constantResults(params);
  ASSERT_TRUE(read.has_value());
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[1].shape, (std::vector<int64_t>{4}));
  EXPECT_EQ((*read)[2].as<float>()[0], 1.5f);
  EXPECT_EQ((*read)[2].as<float>()[1], -10.0f);
  EXPECT_FALSE(
      constantResults(module->lookupSymbol<func::FuncOp>("computed")));
  // A splat claiming 2^62 elements: 2^64 bytes overflow; declined, no
  // allocation.
  EXPECT_FALSE(constantResults(module->lookupSymbol<func::FuncOp>("huge")));
  module->lookupSymbol<func::FuncOp>("huge").erase();

  // The same bits as the compiled function's results (NaN, -0, a
  // subnormal included).
  llvm::Expected<FunctionType> type =
      prepareEntry(*module, "params", "kParams");
  ASSERT_TRUE(bool(type)) << llvm::toString(type.takeError());
  ASSERT_TRUE(succeeded(lowerToLLVM(*module)));
  auto engine = createEngine(*module);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());
  std::vector<npy::Array> called;
  llvm::Error err = callFunction(**engine, "params", *type, {}, called);
  ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
  ASSERT_EQ(called.size(), read->size());
  for (size_t i = 0; i < called.size(); ++i) {
    EXPECT_EQ(called[i].dtype, (*read)[i].dtype) << i;
    EXPECT_EQ(called[i].shape, (*read)[i].shape) << i;
    EXPECT_EQ(called[i].data, (*read)[i].data) << i;
  }
}

TEST_F(RunnerTest, NumericsCountersCountWhatQuantizationDid) {
  OwningOpRef<ModuleOp> module = parse(kCounted);
  ASSERT_TRUE(module);
  llvm::Expected<FunctionType> type = prepareEntry(*module, "g", "kCounted");
  ASSERT_TRUE(bool(type)) << llvm::toString(type.takeError());
  ASSERT_TRUE(succeeded(lowerToLLVM(*module)));
  auto engine = createEngine(*module);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());

  // x / 0.5 = {0.6, -2.4, 4, 10, -0.2, 2}: 10 saturates (> 7), -0.2 becomes
  // zero. x / 0.25 = {1.2, -4.8, 8, 20, -0.4, 4}: 8 and 20 saturate, -0.4
  // becomes zero. The weight scale -1 is invalid: every weight counts as
  // NaN, and so does every output of the GEMM that uses it. The FP16 sum
  // of the last GEMM overflows: Inf.
  npy::Array x = f32Array({2, 3}, {0.3f, -1.2f, 2.0f, 5.0f, -0.1f, 1.0f});
  npy::Array s = f32Array({}, {0.5f});
  npy::Array w = f32Array({3, 2}, {1, 2, 3, 4, 5, 6});
  npy::Array sw = f32Array({}, {-1.0f});
  npy::Array s4 = f32Array({}, {0.25f});
  std::vector<npy::Array> results;
  for (int call = 1; call <= 2; ++call) {
    if (call == 1)
      quant4_rt_counters_reset(5);
    llvm::Error err =
        callFunction(**engine, "g", *type, {&x, &s, &w, &sw, &s4}, results);
    ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
  }
  quant4_rt_clear_error();
  ASSERT_EQ(quant4_rt_counters_size(), 5);
  EXPECT_EQ(results[2].as<float>()[0], INFINITY);
  // total, zeroed, saturated, nan, inf -- over the two calls.
  const uint64_t expected[5][5] = {{12, 2, 2, 0, 0},
                                   {12, 0, 0, 12, 0},
                                   {8, 0, 0, 8, 0},
                                   {12, 2, 4, 0, 0},
                                   {2, 0, 0, 0, 2}};
  for (int id = 0; id < 5; ++id) {
    uint64_t v[5];
    ASSERT_EQ(quant4_rt_counter_read(id, v), 1);
    for (int k = 0; k < 5; ++k)
      EXPECT_EQ(v[k], expected[id][k]) << "counter " << id << " field " << k;
  }
  uint64_t v[5];
  EXPECT_EQ(quant4_rt_counter_read(5, v), 0);
  quant4_rt_counters_reset(0);
  EXPECT_EQ(quant4_rt_counters_size(), 0);
}

TEST_F(RunnerTest, ArgumentsAreCheckedBeforeTheCall) {
  OwningOpRef<ModuleOp> module = parse(kFunction);
  ASSERT_TRUE(module);
  llvm::Expected<FunctionType> type = prepareEntry(*module, "f", "kFunction");
  ASSERT_TRUE(bool(type)) << llvm::toString(type.takeError());
  npy::Array wrong = f32Array({3, 2}, {0, 0, 0, 0, 0, 0});
  EXPECT_EQ(checkArgument(wrong, type->getInput(0), 0),
            "expected tensor<2x3xf32>, got float32 array of shape (3, 2)");
  npy::Array k;
  EXPECT_EQ(parseScalar("x", type->getInput(2), 2, k),
            "argument 2 (f32): cannot parse --scalar 'x' as float32");
  EXPECT_EQ(errorOf(prepareEntry(*module, "g", "kFunction")),
            "no function @g in 'kFunction' (functions: @f)");

  ASSERT_TRUE(succeeded(lowerToLLVM(*module)));
  auto engine = createEngine(*module);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());
  npy::Array s = f32Array({}, {0.5f}), one = f32Array({}, {1.0f});
  std::vector<npy::Array> results;
  llvm::Error err =
      callFunction(**engine, "f", *type, {&wrong, &s, &one}, results);
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "@f: argument 0: expected tensor<2x3xf32>, got float32 array of "
            "shape (3, 2)");

}

TEST_F(RunnerTest, TrainOneEpochThroughTheApi) {
  TrainOptions options;
  options.model = "kModel";
  options.recipe = "ultralow4";
  options.epochs = 1;
  options.trainLimit = 256;
  options.testLimit = 64;
  options.seed = 3;
  int compiled = 0, steps = 0, stepsDone = 0, epochs = 0;
  options.onCompiled = [&](const TrainSetup &s) {
    ++compiled;
    EXPECT_EQ(s.stepName, "lin_train_step");
    EXPECT_EQ(s.batch, 32);
    EXPECT_EQ(s.stepsPerEpoch, 8);
    EXPECT_EQ(s.numParams, 2u);
  };
  options.onStep = [&](const StepProgress &p) {
    EXPECT_EQ(p.step, ++steps);
    EXPECT_TRUE(std::isfinite(p.meanLoss));
  };
  options.onStepsDone = [&](int64_t) { ++stepsDone; };
  options.onEpoch = [&](const EpochMetrics &) { ++epochs; };

  auto run = [&]() -> std::vector<EpochMetrics> {
    OwningOpRef<ModuleOp> module = parse(kModel);
    EXPECT_TRUE(module);
    llvm::Expected<TrainResult> r = train(*module, options);
    if (!r) {
      ADD_FAILURE() << llvm::toString(r.takeError());
      return {};
    }
    EXPECT_EQ(r->interruptedEpoch, 0);
    EXPECT_EQ(r->batch, 32);
    return r->epochs;
  };
  std::vector<EpochMetrics> a = run();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(compiled, 1);
  EXPECT_EQ(steps, 8);
  EXPECT_EQ(stepsDone, 1);
  EXPECT_EQ(epochs, 1);
  EXPECT_TRUE(std::isfinite(a[0].trainLoss));
  EXPECT_GE(a[0].testAcc, 0.0);
  EXPECT_LE(a[0].testAcc, 1.0);
  EXPECT_GT(a[0].testAccFp32, 0.1); // better than chance after 8 steps
  // The same seed gives the same bits.
  steps = 0;
  std::vector<EpochMetrics> b = run();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].trainLoss, b[0].trainLoss);
  EXPECT_EQ(a[0].testLoss, b[0].testLoss);
  EXPECT_EQ(a[0].testLossFp32, b[0].testLossFp32);
  std::string csv = metricsCsv(a);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "epoch,train_loss,train_acc,test_loss,test_acc,test_loss_fp32,"
            "test_acc_fp32,lr,train_time_s,samples_per_s");
}

TEST(RunnerTrain, ErrorsAreValues) {
  llvm::Expected<std::string> o = recipePassOptions("ultralow4:tpr=0");
  ASSERT_TRUE(bool(o));
  EXPECT_EQ(*o, "recipe=ultralow4 tpr=0");
  // quant4-run train prints these after "quant4-run train: error: ".
  TrainOptions options;
  options.model = "/nonexistent/model.mlir";
  options.recipe = "int3";
  EXPECT_EQ(errorOf(train(options)),
            "unknown recipe 'int3' (known: fp32, ultralow4, luq, mxfp4, "
            "nvfp4, fp8, ultralow4-notpr, ultralow4-nogradscale, "
            "ultralow4-radix2, or "
            "NAME:OPT=V,... with quant4-apply-recipe options)");
  options.recipe = "fp32";
  std::string msg = errorOf(train(options));
  EXPECT_EQ(msg.rfind("cannot read model '/nonexistent/model.mlir': ", 0), 0u)
      << msg;
}

} // namespace

TEST(RunnerTrain, LanguageModelCsvColumns) {
  EpochMetrics m;
  m.epoch = 1;
  m.testLoss = std::log(2.0) * 3;
  m.testBpc = 3;
  m.testBpcFp32 = 3.5;
  std::vector<EpochMetrics> ms = {m};
  std::string csv = metricsCsv(ms, /*languageModel=*/true);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "epoch,train_loss,train_acc,test_loss,test_acc,test_loss_fp32,"
            "test_acc_fp32,lr,train_time_s,samples_per_s,test_bpc,"
            "test_bpc_fp32");
  EXPECT_NE(csv.find(",3.000000,3.500000\n"), std::string::npos);
  // An image model's CSV is unchanged.
  std::string images = metricsCsv(ms);
  EXPECT_EQ(images.find("test_bpc"), std::string::npos);
}
