// Reductions with every combiner form the Q4A lowering takes — a sum, an
// accumulator-minus-term reduction (a hand-written loss would read
// `out - f(x)`), a max with a select — give the CPU pipeline's bytes on the
// simulator (docs/ISA.md §9: acc - x is acc + (-x) exactly).
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 6x40 --random 7 --lo -3 --hi 3
// RUN: quant4-ref gen %t/b.npy --dtype float32 --shape 6 --random 8 --lo -1 --hi 1
// RUN: quant4-run %s --entry reductions --no-blas --input %t/x.npy --input %t/b.npy --output-dir %t/cpu
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=reductions --q4a-hoist-loads --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/r.q4a
// RUN: quant4-sim %t/r.q4a --strict-sync --input %t/x.npy --input %t/b.npy --output-dir %t/sim
// RUN: for i in 0 1 2 3; do cmp %t/cpu/result$i.npy %t/sim/result$i.npy; done
// The subtracting reduction is not the sum negated (it starts from the
// init), so the outputs differ from each other:
// RUN: not cmp -s %t/cpu/result0.npy %t/cpu/result1.npy
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=reductions | FileCheck %s
// CHECK: q4a.vop fn = exp
// CHECK: q4a.vop fn = neg, n = 240
// CHECK-NEXT: q4a.vred red = sum, axis = row, init = 1, rows = 6, cols = 40
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#all = affine_map<(d0, d1) -> ()>
func.func @reductions(%x: tensor<6x40xf32>, %b: tensor<6xf32>)
    -> (tensor<6xf32>, tensor<6xf32>, tensor<f32>, tensor<6xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e6 = tensor.empty() : tensor<6xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<6x40xf32>) outs(%b : tensor<6xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %ea = math.exp %a : f32
      %s = arith.addf %acc, %ea : f32
      linalg.yield %s : f32
  } -> tensor<6xf32>
  %sub = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<6x40xf32>) outs(%b : tensor<6xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %ea = math.exp %a : f32
      %s = arith.subf %acc, %ea : f32
      linalg.yield %s : f32
  } -> tensor<6xf32>
  %e0 = tensor.empty() : tensor<f32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %tot = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<6x40xf32>) outs(%z0 : tensor<f32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.subf %acc, %a : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %i6 = linalg.fill ins(%ninf : f32) outs(%e6 : tensor<6xf32>) -> tensor<6xf32>
  %mx = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<6x40xf32>) outs(%i6 : tensor<6xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %p = arith.cmpf ogt, %a, %zero : f32
      %s = arith.select %p, %a, %acc : f32
      %m = arith.maximumf %acc, %s : f32
      linalg.yield %m : f32
  } -> tensor<6xf32>
  return %sum, %sub, %tot, %mx : tensor<6xf32>, tensor<6xf32>, tensor<f32>, tensor<6xf32>
}
