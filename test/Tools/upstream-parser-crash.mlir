// LLVM 22's linalg.transpose parser dereferences a null attribute after a
// malformed `permutation` list (docs/Reliability.md, known upstream issues).
// quant4-opt and quant4-translate recover: the parser's own diagnostics, one
// error line, exit status 70, no output file.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-opt %s -o %t/out.mlir 2> %t/err.txt || echo "rc=$?" >> %t/err.txt
// RUN: FileCheck %s < %t/err.txt
// RUN: not test -e %t/out.mlir
// CHECK: error: custom op 'linalg.transpose' expected integer value
// CHECK: quant4-opt: error: internal crash (signal 11) in upstream MLIR/LLVM code on this input; no output was written (docs/Reliability.md, known upstream issues)
// CHECK: rc=70
//
// RUN: not quant4-translate --q4a-to-asm %s -o %t/out.s 2>&1 | FileCheck %s --check-prefix=TRANSLATE
// RUN: not test -e %t/out.s
// TRANSLATE: quant4-translate: error: internal crash (signal 11)
//
// quant4-run, quant4-run train and quant4-gradcheck parse through the same
// guard.
// RUN: not quant4-run %s --entry f --output-dir %t/run 2>&1 | FileCheck %s --check-prefix=EXEC
// RUN: not test -e %t/run
// RUN: not quant4-run train --model %s --epochs 1 --metrics %t/m.csv 2>&1 | FileCheck %s --check-prefix=TRAIN
// RUN: not test -e %t/m.csv
// RUN: not quant4-gradcheck %s 2>&1 | FileCheck %s --check-prefix=GRAD
// EXEC: quant4-run: error: internal crash (signal 11)
// TRAIN: quant4-run train: error: internal crash (signal 11)
// GRAD: quant4-gradcheck: error: internal crash (signal 11)
//
// linalg.broadcast's `dimensions` list goes through the same upstream code.
// RUN: not quant4-opt %S/Inputs/broadcast-crash.mlir 2>&1 | FileCheck %s --check-prefix=BROADCAST
// BROADCAST: error: custom op 'linalg.broadcast' expected integer value
// BROADCAST: quant4-opt: error: internal crash (signal 11)
//
// A named linalg op with a non-dictionary property list (`linalg.fill<1>`).
// RUN: not quant4-opt %S/Inputs/named-op-properties-crash.mlir -o %t/fill.mlir 2>&1 | FileCheck %s --check-prefix=NAMED
// RUN: not test -e %t/fill.mlir
// NAMED: quant4-opt: error: internal crash (signal 11)
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %0 = linalg.transpose ins(%a : tensor<2x3xf32>) outs(%b : tensor<3x2xf32>) permutation = [1, x
  return %0 : tensor<3x2xf32>
}
