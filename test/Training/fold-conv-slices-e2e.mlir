// The data gradient of a padded 3x3 convolution computed for the interior
// only (quant4-fold-conv-slices) gives the same training step, byte for
// byte: the step of this model is run with and without the pass on the same
// inputs (f32 loops: --no-blas), and the folded step's dgrad is the 4x4 the
// pad's derivative keeps instead of the padded 6x6.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-opt %s --quant4-build-training-step -o %t/step.mlir
// RUN: quant4-opt %t/step.mlir --pass-pipeline='builtin.module(func.func(quant4-fold-conv-slices))' -o %t/folded.mlir
// RUN: FileCheck %s --input-file=%t/folded.mlir
// CHECK: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.role = "dgrad"{{.*}} outs(%{{.*}} : tensor<2x4x4x3xf32>)
// RUN: FileCheck %s --check-prefix=PADDED --input-file=%t/step.mlir
// PADDED: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.role = "dgrad"{{.*}} outs(%{{.*}} : tensor<2x6x6x3xf32>)
//
// quant4-apply-recipe folds the dgrad where the gradient is rounded to
// nearest (ultralow4, the same bits), not under stochastic rounding (LUQ,
// the random draws follow the element positions of the padded tensor), in
// the composite pass and in its stages alike.
// RUN: quant4-opt %t/step.mlir --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false" | FileCheck %s --check-prefix=UL4
// RUN: quant4-opt %t/step.mlir --quant4-assign-recipes="recipe=ultralow4 keep-first=false keep-last=false" --quant4-thread-recipe-state --quant4-quantize-by-recipe | FileCheck %s --check-prefix=UL4
// UL4: quant4.conv2d {{.*}}quant4.role = "dgrad"} : tensor<2x6x6x2x!quant4.log<4, 3, 0>>, tensor<3x3x2x3x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x4x4x3xf32>
// RUN: quant4-opt %t/step.mlir --quant4-apply-recipe="recipe=luq keep-first=false keep-last=false" | FileCheck %s --check-prefix=LUQ
// LUQ: quant4.conv2d {{.*}}quant4.role = "dgrad"} : tensor<2x8x8x2x!quant4.log<2, 3, 0>>, tensor<3x3x2x3x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x3xf32>
//
// RUN: quant4-ref gen %t/k1.npy --dtype float32 --shape 3x3x2x3 --codes 1 --bits 3
// RUN: quant4-ref gen %t/k2.npy --dtype float32 --shape 3x3x3x2 --codes 2 --bits 3
// RUN: quant4-ref gen %t/w.npy --dtype float32 --shape 32x3 --codes 3 --bits 3
// RUN: quant4-ref gen %t/v1.npy --dtype float32 --shape 3x3x2x3 --codes 4 --bits 2
// RUN: quant4-ref gen %t/v2.npy --dtype float32 --shape 3x3x3x2 --codes 5 --bits 2
// RUN: quant4-ref gen %t/vw.npy --dtype float32 --shape 32x3 --codes 6 --bits 2
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 2x4x4x2 --codes 7 --bits 3
// RUN: quant4-ref gen %t/labels.npy --dtype int32 --shape 2 --values 1,2
// RUN: quant4-ref gen %t/lr.npy --dtype float32 --values 0.125
// RUN: quant4-ref gen %t/mu.npy --dtype float32 --values 0.5
// RUN: quant4-ref gen %t/wd.npy --dtype float32 --values 0.25
// RUN: quant4-run %t/step.mlir --no-blas --entry cnn_train_step --input %t/k1.npy --input %t/k2.npy --input %t/w.npy --input %t/v1.npy --input %t/v2.npy --input %t/vw.npy --input %t/x.npy --input %t/labels.npy --input %t/lr.npy --input %t/mu.npy --input %t/wd.npy --output-dir %t/padded
// RUN: quant4-run %t/folded.mlir --no-blas --entry cnn_train_step --input %t/k1.npy --input %t/k2.npy --input %t/w.npy --input %t/v1.npy --input %t/v2.npy --input %t/vw.npy --input %t/x.npy --input %t/labels.npy --input %t/lr.npy --input %t/mu.npy --input %t/wd.npy --output-dir %t/folded
// RUN: for i in 0 1 2 3 4 5 6 7; do cmp %t/padded/result$i.npy %t/folded/result$i.npy || exit 1; done
func.func @cnn(%k1: tensor<3x3x2x3xf32> {quant4.param = "k1"},
               %k2: tensor<3x3x3x2xf32> {quant4.param = "k2"},
               %w: tensor<32x3xf32> {quant4.param = "w"},
               %x: tensor<2x4x4x2xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
  } : tensor<2x4x4x2xf32> to tensor<2x6x6x2xf32>
  %e1 = tensor.empty() : tensor<2x4x4x3xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4x4x3xf32>) -> tensor<2x4x4x3xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xp, %k1 : tensor<2x6x6x2xf32>, tensor<3x3x2x3xf32>) outs(%z1 : tensor<2x4x4x3xf32>) -> tensor<2x4x4x3xf32>
  %h1 = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1 : tensor<2x4x4x3xf32>) outs(%e1 : tensor<2x4x4x3xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<2x4x4x3xf32>
  // The second convolution's input is padded: its dgrad is folded.
  %hp = tensor.pad %h1 low[0, 1, 1, 0] high[0, 1, 1, 0] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
  } : tensor<2x4x4x3xf32> to tensor<2x6x6x3xf32>
  %e2 = tensor.empty() : tensor<2x4x4x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4x4x2xf32>) -> tensor<2x4x4x2xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%hp, %k2 : tensor<2x6x6x3xf32>, tensor<3x3x3x2xf32>) outs(%z2 : tensor<2x4x4x2xf32>) -> tensor<2x4x4x2xf32>
  %flat = tensor.collapse_shape %y2 [[0], [1, 2, 3]] : tensor<2x4x4x2xf32> into tensor<2x32xf32>
  %e3 = tensor.empty() : tensor<2x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%flat, %w : tensor<2x32xf32>, tensor<32x3xf32>) outs(%z3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
