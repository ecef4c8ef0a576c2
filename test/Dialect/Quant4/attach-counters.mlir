// quant4-attach-counters numbers the quantized operands and the results of
// the GEMMs of a training step and names them on the module; the CPU
// lowering counts each after its runtime call. Running it twice gives the
// same numbering; a missing function is an error.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=ultralow4 --quant4-attach-counters=functions=train_step | FileCheck %s
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=ultralow4 --quant4-attach-counters=functions=train_step --quant4-attach-counters=functions=train_step | FileCheck %s
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=ultralow4 --quant4-attach-counters=functions=train_step --convert-quant4-to-cpu | FileCheck %s --check-prefix=CPU
// RUN: quant4-opt %quant4_src_root/examples/mlp.mlir --quant4-build-training-step --quant4-apply-recipe=recipe=ultralow4 --quant4-attach-counters | FileCheck %s --check-prefix=STEP
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-attach-counters=functions=nope 2>&1 | FileCheck %s --check-prefix=ERR

// CHECK: module attributes {quant4.counters = ["layer1/fwd/act", "layer1/fwd/weight", "layer1/fwd/out", "layer1/wgrad/act", "layer1/wgrad/grad", "layer1/wgrad/out", "layer1/dgrad/grad", "layer1/dgrad/weight", "layer1/dgrad/out"]}
// CHECK: quant4.quantize {{.*}} {quant4.counter = 0 : i64, stream = 8 : i64} {{.*}} -> tensor<8x32x!quant4.uint<4>>
// CHECK-NEXT: quant4.scale #quant4.sawb
// CHECK-NEXT: quant4.quantize {{.*}} {quant4.counter = 1 : i64, stream = 9 : i64} {{.*}} -> tensor<32x32x!quant4.int<4>>
// CHECK-NEXT: quant4.matmul {{.*}} {quant4.counter = 2 : i64, quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "fwd"}
// CHECK: quant4.quantize {{.*}} {quant4.counter = 3 : i64, stream = 12 : i64} {{.*}} -> tensor<8x32x!quant4.uint<4>>
// CHECK: quant4.quantize {{.*}} {quant4.counter = 4 : i64, stream = 13 : i64} {{.*}} -> tensor<8x32x!quant4.log<4, 3, 1>>
// CHECK-NEXT: quant4.matmul {{.*}} {quant4.counter = 5 : i64, {{.*}} quant4.role = "wgrad"
// CHECK: quant4.quantize {{.*}} {quant4.counter = 6 : i64, stream = 10 : i64} {{.*}} -> tensor<8x32x!quant4.log<4, 3, 0>>
// CHECK-NEXT: quant4.quantize {{.*}} {quant4.counter = 7 : i64, stream = 11 : i64} {{.*}} -> tensor<32x32x!quant4.int<4>>
// CHECK-NEXT: quant4.matmul {{.*}} {quant4.counter = 8 : i64, {{.*}} quant4.role = "dgrad"
// The FP32 layers (first, last) have no counters; the state initializer has
// none either.
// CHECK-NOT: quant4.counter =

// Each runtime call is followed by its count, with the same operands and
// the counter index.
// CPU: func.func private @quant4_rt_count_output(memref<*xf32>, i64)
// CPU: func.func private @quant4_rt_count_quantize_f32(memref<*xf32>, memref<*xf32>, memref<*xi64>, f32, i32, i64, memref<*xi8>, i64)
// CPU: call @quant4_rt_quantize_f32(%[[IN:[a-z0-9_]+]], %[[S:[a-z0-9_]+]], %[[G:[a-z0-9_]+]], %[[T:[a-z0-9_]+]], %[[HT:[a-z0-9_]+]], %[[F:[a-z0-9_]+]], %{{.*}}, %{{.*}}, %{{.*}}, %[[OUT:[a-z0-9_]+]])
// CPU-NEXT: %[[ID:.*]] = arith.constant 0 : i64
// CPU-NEXT: call @quant4_rt_count_quantize_f32(%[[IN]], %[[S]], %[[G]], %[[T]], %[[HT]], %[[F]], %[[OUT]], %[[ID]])
// CPU: call @quant4_rt_matmul(
// CPU: %[[OID:.*]] = arith.constant 2 : i64
// CPU-NEXT: call @quant4_rt_count_output(%{{.*}}, %[[OID]])

// A step built by quant4-build-training-step is found without the option
// (quant4.forward); the forward function it differentiates is not
// instrumented.
// STEP: quant4.counters = ["fc2.weight/fwd/act",
// STEP-LABEL: func.func @mlp(
// STEP-NOT: quant4.counter =
// STEP-LABEL: func.func @mlp_train_step(
// STEP: quant4.counter = 0

// ERR: error: option 'functions': no function @nope
