// A graph whose tensors exceed the target's DRAM (option dram-size) is a
// diagnostic naming the op that no longer fits; no program is produced.
// RUN: not quant4-opt %s --convert-quant4-to-q4a="dram-size=65536" 2>&1 | FileCheck %s
// RUN: quant4-opt %s --convert-quant4-to-q4a="dram-size=1048576" | FileCheck %s --check-prefix=OK

// CHECK: error: 'linalg.generic' op needs {{[0-9]+}} bytes of DRAM in total, more than the target's 65536 bytes
// CHECK-NOT: q4a.program
// OK: q4a.program @big dram(
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @big(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.mulf %a, %a : f32
      linalg.yield %s : f32
  } -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}
