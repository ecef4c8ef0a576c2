// RUN: quant4-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(convert-scf-to-cf-linear))' | FileCheck %s --implicit-check-not=scf.
// The same IR as upstream's convert-scf-to-cf, block for block:
// RUN: quant4-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(convert-scf-to-cf-linear))' > %t.quant4
// RUN: quant4-opt %s -split-input-file --convert-scf-to-cf > %t.upstream
// RUN: diff %t.upstream %t.quant4
// The old name is an alias, nested or not:
// RUN: quant4-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(quant4-cpu-scf-to-cf))' > %t.alias
// RUN: diff %t.quant4 %t.alias
// RUN: quant4-opt %s -split-input-file --quant4-cpu-scf-to-cf > %t.alias2
// RUN: diff %t.quant4 %t.alias2

func.func private @use(index)

// Three top-level loops (one holding an scf.if) and an scf.if in one block,
// lowered last first; the blocks come out in program order, as upstream's.
// CHECK-LABEL: func.func @loops
// CHECK:       cf.br ^[[H1:bb[0-9]+]](%c0 : index)
// CHECK:     ^[[H1]](%[[I:.*]]: index):
// CHECK:       cf.cond_br %{{.*}}, ^[[B1:bb[0-9]+]], ^[[X1:bb[0-9]+]]
// CHECK:     ^[[B1]]:
// CHECK-NEXT:  call @use(%[[I]])
// CHECK:     ^[[X1]]:
// CHECK-NEXT:  cf.br ^[[H2:bb[0-9]+]](%c0, %cst : index, f32)
// CHECK:     ^[[H2]](%{{.*}}: index, %[[ACC:.*]]: f32):
// CHECK:       memref.load
// CHECK-NEXT:  cf.cond_br %arg1
// CHECK:       arith.addf %[[ACC]]
// CHECK:       cf.cond_br %arg1, ^[[T:bb[0-9]+]], ^[[E:bb[0-9]+]]
// CHECK:     ^[[T]]:
// CHECK-NEXT:  cf.br ^[[J:bb[0-9]+]](%[[ACC]] : f32)
// CHECK:     ^[[E]]:
// CHECK-NEXT:  cf.br ^[[J]](%cst : f32)
// CHECK:     ^[[J]](%[[R:.*]]: f32):
// CHECK:       arith.cmpi slt
// CHECK:       arith.addi
// CHECK:       call @use
// CHECK-NEXT:  return %[[R]] : f32
func.func @loops(%n: index, %c: i1, %m: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    func.call @use(%i) : (index) -> ()
  }
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %z) -> f32 {
    %x = memref.load %m[%i] : memref<?xf32>
    %y = scf.if %c -> f32 {
      %p = arith.addf %acc, %x : f32
      scf.yield %p : f32
    } else {
      scf.yield %acc : f32
    }
    scf.yield %y : f32
  }
  %r = scf.if %c -> f32 {
    scf.yield %s : f32
  } else {
    scf.yield %z : f32
  }
  %w = scf.while (%i = %c0) : (index) -> index {
    %more = arith.cmpi slt, %i, %n : index
    scf.condition(%more) %i : index
  } do {
  ^bb0(%i: index):
    %next = arith.addi %i, %c1 : index
    scf.yield %next : index
  }
  func.call @use(%w) : (index) -> ()
  return %r : f32
}

// -----

func.func private @use(index)

// scf ops in several blocks of a function.
// CHECK-LABEL: func.func @blocks
// CHECK:       cf.cond_br %arg1, ^[[L:bb[0-9]+]], ^[[S:bb[0-9]+]]
// CHECK:     ^[[L]]:
// CHECK:       call @use
// CHECK:     ^[[S]]:
// CHECK:       cf.switch
// CHECK:       call @use
// CHECK-NEXT:  return
func.func @blocks(%n: index, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  scf.for %i = %c0 to %n step %c1 {
    func.call @use(%i) : (index) -> ()
  }
  cf.br ^bb2
^bb2:
  %k = scf.index_switch %n -> index
  case 2 {
    scf.yield %c1 : index
  }
  default {
    scf.yield %c0 : index
  }
  func.call @use(%k) : (index) -> ()
  return
}
