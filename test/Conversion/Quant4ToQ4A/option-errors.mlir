// Short failure: a bad option of convert-quant4-to-q4a (or a module it
// cannot pick an entry function from) is one diagnostic at the module's
// location, not the error plus the module printed as a note
// (--mlir-print-op-on-diagnostic). This file's module is implicit (its
// location has no line: one line); the module of examples/mlp.mlir is
// written out (the error line, the source line and its caret).
// test/Dialect/Quant4/pass-option-errors.mlir does the same for the recipe
// passes.
//
// RUN: not quant4-opt %s --convert-quant4-to-q4a=entry=nope 2>&1 >/dev/null | FileCheck %s --check-prefix=ENTRY --implicit-check-not=note --implicit-check-not=module
// RUN: not quant4-opt %s --convert-quant4-to-q4a=entry=nope 2>&1 >/dev/null | count 1
// ENTRY: option-errors.mlir:0:0: error: convert-quant4-to-q4a: no function named 'nope'
//
// RUN: not quant4-opt %s --convert-quant4-to-q4a 2>&1 >/dev/null | FileCheck %s --check-prefix=PUBLIC --implicit-check-not=note --implicit-check-not=module
// RUN: not quant4-opt %s --convert-quant4-to-q4a 2>&1 >/dev/null | count 1
// PUBLIC: option-errors.mlir:0:0: error: convert-quant4-to-q4a: expected exactly one public function (or the 'entry' option), found 2
//
// RUN: not quant4-opt %s --convert-quant4-to-q4a="entry=f sp-size=3" 2>&1 >/dev/null | FileCheck %s --check-prefix=SP --implicit-check-not=note --implicit-check-not=module
// RUN: not quant4-opt %s --convert-quant4-to-q4a="entry=f sp-size=3" 2>&1 >/dev/null | count 1
// SP: option-errors.mlir:0:0: error: convert-quant4-to-q4a: scratchpad size must be in [1024, 1048576] bytes, got 3
//
// RUN: not quant4-opt %quant4_src_root/examples/mlp.mlir --convert-quant4-to-q4a=entry=nope 2>&1 >/dev/null | FileCheck %s --check-prefix=MODULE --implicit-check-not=note
// RUN: not quant4-opt %quant4_src_root/examples/mlp.mlir --convert-quant4-to-q4a=entry=nope 2>&1 >/dev/null | count 3
// MODULE: mlp.mlir:{{[0-9]+}}:1: error: convert-quant4-to-q4a: no function named 'nope'
// MODULE-NEXT: {{^}}module {
// MODULE-NEXT: {{^}}^

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
