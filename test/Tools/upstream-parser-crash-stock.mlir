// The same input as upstream-parser-crash.mlir through Debian's stock
// mlir-opt, which has no crash guard: it crashes today (LLVM 22.1.8). The
// test expects a clean parse error and is marked XFAIL, so that an LLVM with
// the parser fixed shows up as an unexpected pass: then the known-issue
// entry in docs/Reliability.md can go.
//
// XFAIL: *
// RUN: not %upstream_mlir_opt %s 2>&1 | FileCheck %s
// CHECK: error: custom op 'linalg.transpose' expected integer value
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %0 = linalg.transpose ins(%a : tensor<2x3xf32>) outs(%b : tensor<3x2xf32>) permutation = [1, x
  return %0 : tensor<3x2xf32>
}
