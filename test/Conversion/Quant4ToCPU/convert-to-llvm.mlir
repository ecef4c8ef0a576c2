// RUN: quant4-opt %s --pass-pipeline='builtin.module(convert-to-llvm,reconcile-unrealized-casts)' | FileCheck %s
// The last conversion of quant4-cpu-pipeline is upstream's convert-to-llvm
// (it replaced the hand-written quant4-cpu-to-llvm: same IR, same work;
// docs/Lowering.md). It gives the same IR as upstream's six passes in a row
// on every dialect the pipeline leaves for it:
// RUN: quant4-opt %s --pass-pipeline='builtin.module(convert-to-llvm,reconcile-unrealized-casts)' > %t.one
// RUN: quant4-opt %s --pass-pipeline='builtin.module(convert-arith-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,convert-index-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts)' > %t.six
// RUN: diff %t.six %t.one
// The old name is an alias:
// RUN: quant4-opt %s --quant4-cpu-to-llvm --reconcile-unrealized-casts > %t.alias
// RUN: diff %t.one %t.alias

// arith, memref (aligned alloc, unranked cast, load/store), func (a call, a
// C-interface wrapper), cf branches with block arguments, index and ub, all
// in one conversion.
// CHECK-LABEL: llvm.func @step(
// CHECK-DAG:     llvm.call @malloc
// CHECK-DAG:     llvm.call @rt(
// CHECK-DAG:     llvm.add
// CHECK:         llvm.cond_br %{{.*}}, ^bb1(%{{.*}} : i64), ^bb2
// CHECK:       ^bb1(%{{.*}}: i64):
// CHECK:         llvm.load
// CHECK:         llvm.intr.maximum
// CHECK:         llvm.store
// CHECK:         llvm.br ^bb2
// CHECK:       ^bb2:
// CHECK:         llvm.mlir.poison : f32
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_step(
// CHECK:         llvm.call @step(
// CHECK-NOT:   func.
// CHECK-NOT:   memref.
// CHECK-NOT:   arith.
// CHECK-NOT:   cf.
// CHECK-NOT:   ub.
// CHECK-NOT:   unrealized_conversion_cast
func.func private @rt(memref<*xf32>, i64)

func.func @step(%a: memref<4x8xf32>, %n: index, %c: i1) -> (memref<4x8xf32>, f32)
    attributes {llvm.emit_c_interface} {
  %z = arith.constant 0.0 : f32
  %k = arith.constant 7 : i64
  %b = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  %u = memref.cast %a : memref<4x8xf32> to memref<*xf32>
  call @rt(%u, %k) : (memref<*xf32>, i64) -> ()
  %i = index.add %n, %n
  cf.cond_br %c, ^bb1(%i : index), ^bb2
^bb1(%j: index):
  %x = memref.load %a[%j, %j] : memref<4x8xf32>
  %y = arith.maximumf %x, %z : f32
  memref.store %y, %b[%j, %j] : memref<4x8xf32>
  cf.br ^bb2
^bb2:
  %p = ub.poison : f32
  return %b, %p : memref<4x8xf32>, f32
}
