// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s
// The alias is only text: the printed module parses back to the same module.
// RUN: quant4-opt %s --quant4-cpu-pipeline -o %t.first
// RUN: quant4-opt %t.first -o %t.second
// RUN: diff %t.first %t.second

// A function with N results returns them packed in one literal !llvm.struct
// of N elements, which every llvm.insertvalue building it (and the llvm.func,
// llvm.call and llvm.return passing it) prints: O(N^2) text for a training
// step's ~3L results. quant4's OpAsmDialectInterface names literal structs of
// at least 8 elements !llvm_struct (then !llvm_struct1, ...) so that the body
// prints once, at the top. The input has no quant4 op: the pipeline loads
// the quant4 dialect itself. Smaller structs (memref descriptors, 7 results)
// print inline as before.

// CHECK:      !llvm_struct = !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
// CHECK-NEXT: !llvm_struct1 = !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, {{.*}}, f32)>
// CHECK-NOT:  !llvm_struct

// CHECK-LABEL: llvm.func @eight(
// CHECK-SAME:    -> !llvm_struct
// CHECK:         llvm.mlir.poison : !llvm_struct
// CHECK-COUNT-8: llvm.insertvalue %{{.*}}, %{{.*}}[{{[0-7]}}] : !llvm_struct
// CHECK:         llvm.return %{{.*}} : !llvm_struct
func.func @eight(%a: f32) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
  return %a, %a, %a, %a, %a, %a, %a, %a : f32, f32, f32, f32, f32, f32, f32, f32
}

// CHECK-LABEL: llvm.func @seven(
// CHECK-SAME:    -> !llvm.struct<(f32, f32, f32, f32, f32, f32, f32)>
// CHECK:         llvm.return %{{.*}} : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32)>
func.func @seven(%a: f32) -> (f32, f32, f32, f32, f32, f32, f32) {
  return %a, %a, %a, %a, %a, %a, %a : f32, f32, f32, f32, f32, f32, f32
}

// Memrefs among the results: the nested descriptors stay inline in the
// alias and in the ops; the C-interface wrapper stores the aliased struct.
// CHECK-LABEL: llvm.func @memrefs(
// CHECK-SAME:    -> !llvm_struct1
// CHECK:         llvm.insertvalue %{{.*}}, %{{.*}}[0] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK:         llvm.return %{{.*}} : !llvm_struct1
// CHECK-LABEL: llvm.func @_mlir_ciface_memrefs(
// CHECK:         llvm.call @memrefs({{.*}}) : ({{.*}}) -> !llvm_struct1
// CHECK:         llvm.store %{{.*}}, %{{.*}} : !llvm_struct1, !llvm.ptr
func.func @memrefs(%m: memref<4xf32>, %a: f32)
    -> (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>,
        f32, f32, f32, f32) {
  return %m, %m, %m, %m, %a, %a, %a, %a
      : memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>,
        f32, f32, f32, f32
}
