// Which layers quantize their activations unsigned (ultralow4: PACT UINT4)
// and which signed (INT4, amax): signed-act=auto (the default) proves each
// layer's input non-negative or not (quant4/Dialect/Quant4/Analysis/Sign.h);
// true makes every layer signed, false every layer after the first unsigned.
// RUN: quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false" | FileCheck %s --check-prefix=AUTO
// RUN: quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false signed-act=true" | FileCheck %s --check-prefix=ALL
// RUN: quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false signed-act=false" | FileCheck %s --check-prefix=NONE
// RUN: not quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 signed-act=maybe" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: option 'signed-act': expected auto, true or false, got 'maybe'

#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d0)>
#win_in = affine_map<(d0, d1, d2) -> (d0, d1 + d2)>
#win = affine_map<(d0, d1, d2) -> (d2)>
#win_out = affine_map<(d0, d1, d2) -> (d0, d1)>
#relu = {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
func.func @net(%w0: tensor<4x4xf32> {quant4.param = "input"},
               %w1: tensor<4x4xf32> {quant4.param = "relu"},
               %w2: tensor<4x4xf32> {quant4.param = "gemm"},
               %w3: tensor<4x4xf32> {quant4.param = "clip"},
               %w4: tensor<4x4xf32> {quant4.param = "softmax"},
               %w5: tensor<4x4xf32> {quant4.param = "maxpool"},
               %w6: tensor<4x4xf32> {quant4.param = "select"},
               %w7: tensor<4x4xf32> {quant4.param = "pad"},
               %w8: tensor<4x4xf32> {quant4.param = "gelu"},
               %w9: tensor<4x4xf32> {quant4.param = "mask"},
               %w10: tensor<4x4xf32> {quant4.param = "othermask"},
               %x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %mone = arith.constant -1.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %lo = arith.constant dense<0.0> : tensor<f32>
  %hi = arith.constant dense<6.0> : tensor<f32>
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>

  // Layer 0 reads the batch: the input-activation rule.
  // AUTO: quant4.matmul {{.*}}quant4.layer = 0 : i64, quant4.layer_name = "input"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  // ALL: quant4.matmul {{.*}}quant4.layer = 0 : i64, quant4.layer_name = "input"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  // NONE: quant4.matmul {{.*}}quant4.layer = 0 : i64, quant4.layer_name = "input"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  %y0 = linalg.matmul ins(%x, %w0 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // ReLU: max(v, 0).
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "relu"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  // ALL: quant4.matmul {{.*}}quant4.layer_name = "relu"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  // NONE: quant4.matmul {{.*}}quant4.layer_name = "relu"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %r0 = linalg.generic #relu ins(%y0 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y1 = linalg.matmul ins(%r0, %w1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // A GEMM's output, with a weight of any sign.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "gemm"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  // NONE: quant4.matmul {{.*}}quant4.layer_name = "gemm"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %y2 = linalg.matmul ins(%y1, %w2 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // Clip(0, 6) with its bounds as 0-d tensors (ReLU6, as ONNX imports it).
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "clip"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %c2 = linalg.generic {indexing_maps = [#id, #scalar, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y2, %lo, %hi : tensor<2x4xf32>, tensor<f32>, tensor<f32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %l: f32, %h: f32, %o: f32):
      %a = arith.maximumf %v, %l : f32
      %b = arith.minimumf %a, %h : f32
      linalg.yield %b : f32
  } -> tensor<2x4xf32>
  %y3 = linalg.matmul ins(%c2, %w3 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // Softmax: exp(v) over a row sum of exps.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "softmax"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %ex = linalg.generic #relu ins(%y3 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = math.exp %v : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %e2 = tensor.empty() : tensor<2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ex : tensor<2x4xf32>) outs(%z2 : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.addf %v, %o : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %sm = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ex, %sum : tensor<2x4xf32>, tensor<2xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %s: f32, %o: f32):
      %r = arith.divf %v, %s : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y4 = linalg.matmul ins(%sm, %w4 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // Max pooling of a ReLU output padded with -inf: every window holds a
  // real element, so the padding never wins.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "maxpool"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %r4 = linalg.generic #relu ins(%y4 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %p4 = tensor.pad %r4 low[0, 1] high[0, 1] {
    ^bb0(%i: index, %j: index):
      tensor.yield %ninf : f32
  } : tensor<2x4xf32> to tensor<2x6xf32>
  %window = tensor.empty() : tensor<3xf32>
  %m4 = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %mp = linalg.generic {indexing_maps = [#win_in, #win, #win_out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p4, %window : tensor<2x6xf32>, tensor<3xf32>) outs(%m4 : tensor<2x4xf32>) {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %r = arith.maximumf %v, %o : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y5 = linalg.matmul ins(%mp, %w5 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // ReLU as a select: v > 0 ? v : 0.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "select"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %s5 = linalg.generic #relu ins(%y5 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %c = arith.cmpf ogt, %v, %zero : f32
      %r = arith.select %c, %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y6 = linalg.matmul ins(%s5, %w6 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // A ReLU output padded with -1 (no max reads it): the padding is read.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "pad"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  %r6 = linalg.generic #relu ins(%y6 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %p6 = tensor.pad %r6 low[0, 1] high[0, 0] {
    ^bb0(%i: index, %j: index):
      tensor.yield %mone : f32
  } : tensor<2x4xf32> to tensor<2x5xf32>
  %q6 = tensor.extract_slice %p6[0, 0] [2, 4] [1, 1] : tensor<2x5xf32> to tensor<2x4xf32>
  %y7 = linalg.matmul ins(%q6, %w7 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // GELU, v * (1 + erf(v)) / 2: slightly negative below zero.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "gelu"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  %g7 = linalg.generic #relu ins(%y7 : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %f = math.erf %v : f32
      %a = arith.addf %f, %one : f32
      %b = arith.mulf %v, %a : f32
      %r = arith.mulf %b, %half : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y8 = linalg.matmul ins(%g7, %w8 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // ReLU as a mask computed by one op and a select in another (TOSA's
  // greater + select): the mask compares the selected tensor, element for
  // element.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "mask"{{.*}}"fwd"} : tensor<2x4x!quant4.uint<4>>
  %eb = tensor.empty() : tensor<2x4xi1>
  %mask = linalg.generic #relu ins(%y8 : tensor<2x4xf32>) outs(%eb : tensor<2x4xi1>) {
    ^bb0(%v: f32, %o: i1):
      %c = arith.cmpf ogt, %v, %zero : f32
      linalg.yield %c : i1
  } -> tensor<2x4xi1>
  %sel8 = linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mask, %y8, %lo : tensor<2x4xi1>, tensor<2x4xf32>, tensor<f32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%c: i1, %v: f32, %l: f32, %o: f32):
      %r = arith.select %c, %v, %l : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y9 = linalg.matmul ins(%sel8, %w9 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>

  // The same mask selecting another tensor proves nothing.
  // AUTO: quant4.matmul {{.*}}quant4.layer_name = "othermask"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
  %sel9 = linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mask, %y9, %lo : tensor<2x4xi1>, tensor<2x4xf32>, tensor<f32>) outs(%e : tensor<2x4xf32>) {
    ^bb0(%c: i1, %v: f32, %l: f32, %o: f32):
      %r = arith.select %c, %v, %l : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %y10 = linalg.matmul ins(%sel9, %w10 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y10 : tensor<2x4xf32>
}

// The first layer's input is a data argument: signed, unless its caller
// promises non-negative elements (quant4.non_negative, which quant4-run
// train sets for images in [0, 1]). Then, under auto, it is unsigned with an
// amax scale: a data input's range is the dataset's, not a learned clip
// (no pact_alpha state). A zero padding keeps it non-negative.
// AUTO-LABEL: func.func @images(
// AUTO-NOT: pact_alpha
// AUTO: %[[S:.*]] = quant4.scale #quant4.amax %{{.*}} for !quant4.uint<4> : tensor<2x6xf32> -> tensor<f32>
// AUTO: quant4.matmul {{.*}}scales(%[[S]], {{.*}}quant4.layer_name = "first"{{.*}}"fwd"} : tensor<2x6x!quant4.uint<4>>
// AUTO: quant4.matmul {{.*}}quant4.layer_name = "next"{{.*}}"fwd"} : tensor<2x4x!quant4.int<4>>
// ALL-LABEL: func.func @images(
// ALL: quant4.matmul {{.*}}quant4.layer_name = "first"{{.*}}"fwd"} : tensor<2x6x!quant4.int<4>>
// NONE-LABEL: func.func @images(
// NONE: quant4.matmul {{.*}}quant4.layer_name = "first"{{.*}}"fwd"} : tensor<2x6x!quant4.int<4>>
func.func @images(%w0: tensor<6x4xf32> {quant4.param = "first"},
                  %w1: tensor<4x4xf32> {quant4.param = "next"},
                  %x: tensor<2x4xf32> {quant4.non_negative}) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = tensor.pad %x low[0, 1] high[0, 1] {
    ^bb0(%i: index, %j: index):
      tensor.yield %zero : f32
  } : tensor<2x4xf32> to tensor<2x6xf32>
  %y0 = linalg.matmul ins(%p, %w0 : tensor<2x6xf32>, tensor<6x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y1 = linalg.matmul ins(%y0, %w1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y1 : tensor<2x4xf32>
}
