// RUN: quant4-opt %s --convert-quant4-to-q4a --q4a-hoist-loads --q4a-synchronize --mlir-print-debuginfo | FileCheck %s
// RUN: quant4-opt %s --convert-quant4-to-q4a --q4a-hoist-loads --q4a-synchronize --mlir-print-debuginfo | quant4-translate --q4a-to-bin -o %t.q4a
// RUN: quant4-sim %t.q4a --random-inputs 1 --stats | FileCheck %s --check-prefix=STATS

// The source map: every instruction is located at what it was lowered
// from. An op at the location of a GEMM with a `quant4.layer_name` is
// attributed to that layer (its quantization and the GEMM; in a training
// step also the derivative ops, which carry the location of the op they
// differentiate); another op to its location (a source line with the name
// of the first op on it, or an ONNX node's name); an op with neither to its
// name; the conversion of i32 inputs and the copies of outputs to labels of
// their own. q4a-hoist-loads and q4a-synchronize keep the locations of the
// instructions they move; the dep.wait / dep.signal / sync they add have
// the program's. quant4-sim --stats sums the busy cycles, bytes and MACs of
// each label's instructions.

// CHECK-LABEL: q4a.program @step
// CHECK: q4a.dma_ld {{.*}} loc(#[[FC:loc[0-9]+]])
// CHECK: q4a.quant {{.*}} loc(#[[FC]])
// CHECK: q4a.mma {{.*}} loc(#[[FC]])
// CHECK: q4a.vop fn = max, {{.*}} loc(#[[RELU:loc[0-9]+]])
// CHECK: q4a.sync {{.*}} loc(#[[PROGRAM:loc[0-9]+]])
// CHECK: q4a.vop fn = max, {{.*}} loc(#[[NAMED:loc[0-9]+]])
// CHECK: q4a.vop fn = mov, {{.*}} loc(#[[NONE:loc[0-9]+]])
// CHECK: q4a.halt loc(#[[OUT:loc[0-9]+]])
// CHECK-NEXT: } loc(#[[PROGRAM]])
// CHECK-DAG: #[[FC]] = loc("fc.weight (model.mlir:3)"
// CHECK-DAG: #[[RELU]] = loc("model.mlir:4 (linalg.generic)"
// CHECK-DAG: #[[NAMED]] = loc("/layer/Relu"
// CHECK-DAG: #[[NONE]] = loc("linalg.fill"
// CHECK-DAG: #{{loc[0-9]+}} = loc("(program inputs)"
// CHECK-DAG: #[[OUT]] = loc("(program outputs)"

// STATS: by source (6 labels, busiest first):
// STATS-DAG: 131072 {{.*}} fc.weight (model.mlir:3)
// STATS-DAG: 0.00 {{.*}} model.mlir:4
// STATS-DAG: /layer/Relu
// STATS-DAG: linalg.fill
// STATS-DAG: (program inputs)
// STATS-DAG: (program outputs)
// STATS: host:
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @step(%x: tensor<32x64xf32>, %w: tensor<64x64xf32>, %n: tensor<32x64xi32>)
    -> (tensor<32x64xf32>, tensor<32x64xf32>, tensor<32x64xi32>) {
  %sx = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<32x64xf32> -> tensor<f32> loc("model.mlir":3:5)
  %qx = quant4.quantize %x, %sx rounding<nearest> : tensor<32x64xf32>, tensor<f32> -> tensor<32x64x!quant4.int<4>> loc("model.mlir":3:5)
  %sw = quant4.scale #quant4.amax %w for !quant4.int<4> : tensor<64x64xf32> -> tensor<f32> loc("model.mlir":3:5)
  %qw = quant4.quantize %w, %sw rounding<nearest> : tensor<64x64xf32>, tensor<f32> -> tensor<64x64x!quant4.int<4>> loc("model.mlir":3:5)
  %y = quant4.matmul %qx, %qw scales(%sx, %sw) acc<exact> {quant4.layer = 0 : i64, quant4.layer_name = "fc.weight", quant4.role = "fwd"}
      : tensor<32x64x!quant4.int<4>>, tensor<64x64x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<32x64xf32> loc("model.mlir":3:5)
  %e = tensor.empty() : tensor<32x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<32x64xf32>) outs(%e : tensor<32x64xf32>) {
    ^bb0(%v: f32, %o: f32):
      %c0 = arith.constant 0.0 : f32
      %m = arith.maximumf %v, %c0 : f32
      linalg.yield %m : f32
  } -> tensor<32x64xf32> loc("model.mlir":4:5)
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<32x64xf32>) outs(%e : tensor<32x64xf32>) {
    ^bb0(%v: f32, %o: f32):
      %c0 = arith.constant 0.0 : f32
      %m = arith.maximumf %v, %c0 : f32
      linalg.yield %m : f32
  } -> tensor<32x64xf32> loc("/layer/Relu")
  %c1 = arith.constant 1.0 : f32
  %f = linalg.fill ins(%c1 : f32) outs(%e : tensor<32x64xf32>) -> tensor<32x64xf32> loc(unknown)
  return %r2, %f, %n : tensor<32x64xf32>, tensor<32x64xf32>, tensor<32x64xi32>
}
