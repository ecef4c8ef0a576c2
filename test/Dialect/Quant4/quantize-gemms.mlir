// RUN: quant4-opt %s -split-input-file --quant4-quantize-gemms | FileCheck %s
// RUN: quant4-opt %s -split-input-file --quant4-quantize-gemms="lhs-format=!quant4.log<4,3,0> rhs-format=f4E2M1FN rounding=stochastic accumulation=f16_chunked:64 pow2=true seed=5" | FileCheck %s --check-prefix=OPTS

// CHECK-LABEL: func.func @zero_init
// CHECK-SAME: (%[[A:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16x4xf32>)
// CHECK: %[[SA:.*]] = quant4.scale #quant4.amax %[[A]] for !quant4.int<4> : tensor<8x16xf32> -> tensor<f32>
// CHECK: %[[QA:.*]] = quant4.quantize %[[A]], %[[SA]] rounding<nearest> : tensor<8x16xf32>, tensor<f32> -> tensor<8x16x!quant4.int<4>>
// CHECK: %[[SB:.*]] = quant4.scale #quant4.amax %[[B]] for !quant4.int<4>
// CHECK: %[[QB:.*]] = quant4.quantize %[[B]], %[[SB]] rounding<nearest> {stream = 1 : i64}
// CHECK: %[[C:.*]] = quant4.matmul %[[QA]], %[[QB]] scales(%[[SA]], %[[SB]]) acc<f32> : tensor<8x16x!quant4.int<4>>, tensor<16x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<8x4xf32>
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.add
// CHECK: return %[[C]]

// OPTS-LABEL: func.func @zero_init
// OPTS: %[[SEED:.*]] = arith.constant 5 : i64
// OPTS: quant4.scale #quant4.amax<pow2> %{{.*}} for !quant4.log<4, 3, 0>
// OPTS: quant4.quantize %{{.*}}, %{{.*}} seed %[[SEED]] rounding<stochastic> : tensor<8x16xf32>, tensor<f32> -> tensor<8x16x!quant4.log<4, 3, 0>>
// OPTS: quant4.scale #quant4.amax<pow2> %{{.*}} for f4E2M1FN
// OPTS: quant4.quantize %{{.*}}, %{{.*}} seed %[[SEED]] rounding<stochastic> {stream = 1 : i64} : tensor<16x4xf32>, tensor<f32> -> tensor<16x4xf4E2M1FN>
// OPTS: quant4.matmul {{.*}} acc<f16_chunked, 64>
func.func @zero_init(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %c = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>)
                     outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %c : tensor<8x4xf32>
}

// -----

// A non-zero accumulator is added back after the quantized GEMM.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME: %[[INIT:[^:]*]]: tensor<8x4xf32>
// CHECK: %[[C:.*]] = quant4.matmul
// CHECK: %[[SUM:.*]] = linalg.add ins(%[[C]], %[[INIT]] : tensor<8x4xf32>, tensor<8x4xf32>) outs(%[[INIT]] : tensor<8x4xf32>)
// CHECK: return %[[SUM]]
func.func @accumulate(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %init: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %c = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>)
                     outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %c : tensor<8x4xf32>
}

// -----

// Streams number the quantized tensors of a function, so stochastic draws of
// different tensors are independent.
// CHECK-LABEL: func.func @two_gemms
// CHECK: quant4.quantize %{{.*}} rounding<nearest> :
// CHECK: quant4.quantize {{.*}} {stream = 1 : i64}
// CHECK: quant4.quantize {{.*}} {stream = 2 : i64}
// CHECK: quant4.quantize {{.*}} {stream = 3 : i64}
func.func @two_gemms(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<4x2xf32>,
                     %i1: tensor<8x4xf32>, %i2: tensor<8x2xf32>) -> tensor<8x2xf32> {
  %x = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%i1 : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul ins(%x, %c : tensor<8x4xf32>, tensor<4x2xf32>) outs(%i2 : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}

// -----

// Integer GEMMs are not this pass's business.
// CHECK-LABEL: func.func @integer_gemm
// CHECK: linalg.matmul
// CHECK-NOT: quant4
func.func @integer_gemm(%a: tensor<8x16xi32>, %b: tensor<16x4xi32>, %i: tensor<8x4xi32>) -> tensor<8x4xi32> {
  %c = linalg.matmul ins(%a, %b : tensor<8x16xi32>, tensor<16x4xi32>) outs(%i : tensor<8x4xi32>) -> tensor<8x4xi32>
  return %c : tensor<8x4xi32>
}
