// .npy headers are checked arithmetic (docs/Reliability.md): a float32
// array of shape (2^40, 2^22) "needs" 2^64 bytes, which used to wrap to 0
// and so matched a file with no data; quant4-run then passed it to a
// function with dynamic shapes and crashed with heap corruption. Now the
// shape is rejected before anything is allocated.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/make_npy.py %t/wrap.npy '<f4' '(1099511627776, 4194304)'
// RUN: not quant4-run %s --entry dyn --input %t/wrap.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=WRAP
// RUN: not test -e %t/out
// WRAP: quant4-run: error: input 0 ({{.*}}wrap.npy): shape (1099511627776, 4194304) of float32 exceeds the tensor size limit of 1099511627776 bytes
// RUN: not quant4-ref quantize %t/wrap.npy %t/wrap.npy %t/r.npy --format "int<4>" --rounding nearest 2>&1 | FileCheck %s --check-prefix=REF
// REF: shape (1099511627776, 4194304) of float32 exceeds the tensor size limit
//
// A zero extent does not hide the others: the strides of (0, 2^40, 2^40)
// would not fit in int64 either.
// RUN: %python %S/Inputs/make_npy.py %t/empty.npy '<f4' '(0, 1099511627776, 1099511627776)'
// RUN: not quant4-run %s --entry dyn --input %t/empty.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: quant4-run: error: input 0 ({{.*}}empty.npy): shape (0, 1099511627776, 1099511627776) of float32 exceeds the tensor size limit
//
// A dimension beyond the limit on its own.
// RUN: %python %S/Inputs/make_npy.py %t/dim.npy '<f4' '(99999999999999999999999,)'
// RUN: not quant4-run %s --entry dyn --input %t/dim.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=DIM
// DIM: quant4-run: error: input 0 ({{.*}}dim.npy): malformed .npy header: dimension too large
//
// Within the limits, an empty array with a dynamic shape runs.
// RUN: %python %S/Inputs/make_npy.py %t/ok.npy '<f4' '(0, 3)'
// RUN: quant4-run %s --entry dyn --input %t/ok.npy --output-dir %t/ok
// RUN: head -c 128 %t/ok/result0.npy | FileCheck %s --check-prefix=OK
// OK: {'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }
func.func @dyn(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %x, %c0 : tensor<?x?xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
