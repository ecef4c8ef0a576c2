// RUN: quant4-opt %s --quant4-cpu-profile-regions | FileCheck %s
// RUN: quant4-opt %s --quant4-cpu-profile-regions --quant4-cpu-profile-regions | FileCheck %s --check-prefix=TWICE

// Classes (include/quant4/Runtime/Runtime.h): 7 element-wise, 8 reductions,
// 9 data movement, 10 f32 GEMM/conv on loops, -1 a runtime call (it times
// itself). The second constant is the op's region: its index in the
// module's quant4.profile_regions, which says what the op is.
// CHECK:      module attributes {quant4.profile_regions = [
// CHECK-SAME: "linalg.fill f32 (regions.mlir:10)", "linalg.generic 4xf32 (relu)",
// CHECK-SAME: "linalg.generic f32 (sum)", "linalg.generic 4xf32 (regions.mlir:12)",
// CHECK-SAME: "linalg.transpose 3x2xf32 (regions.mlir:13)", "memref.copy 4xf32",
// CHECK-SAME: "linalg.matmul 3x3xf32 (fc)", "linalg.pooling_nhwc_max 1x2x2x1xf32 (pool)",
// CHECK-SAME: "quant4_rt_fake_quant 4xf32 (fc.weight dgrad)"]}
// CHECK-DAG: func.func private @quant4_rt_profile_begin() -> i64
// CHECK-DAG: func.func private @quant4_rt_profile_end(i32, i32, i64)
// CHECK-LABEL: func.func @step
// CHECK:      %[[T0:.*]] = call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[C9:.*]] = arith.constant 9 : i32
// CHECK-NEXT: %[[R0:.*]] = arith.constant 0 : i32
// CHECK-NEXT: call @quant4_rt_profile_end(%[[C9]], %[[R0]], %[[T0]])
// CHECK:      %[[T1:.*]] = call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.generic
// CHECK:      arith.maximumf
// CHECK:      }
// CHECK-NEXT: %[[C7:.*]] = arith.constant 7 : i32
// CHECK-NEXT: %[[R1:.*]] = arith.constant 1 : i32
// CHECK-NEXT: call @quant4_rt_profile_end(%[[C7]], %[[R1]], %[[T1]])
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.generic
// CHECK:      arith.addf
// CHECK:      }
// CHECK-NEXT: arith.constant 8 : i32
// CHECK-NEXT: arith.constant 2 : i32
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.generic
// CHECK-NEXT: ^bb0
// CHECK-NEXT: linalg.yield
// CHECK-NEXT: }
// CHECK-NEXT: arith.constant 9 : i32
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.transpose
// CHECK-NEXT: arith.constant 9 : i32
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: memref.copy
// CHECK-NEXT: arith.constant 9 : i32
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: arith.constant 10 : i32
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: linalg.pooling_nhwc_max
// CHECK-NEXT: arith.constant 8 : i32
// CHECK:      call @quant4_rt_profile_begin()
// CHECK-NEXT: call @quant4_rt_fake_quant
// CHECK-NEXT: arith.constant -1 : i32
// CHECK-NEXT: arith.constant 8 : i32
// Ops on tensors (not yet bufferized), and runtime calls on tensors, are not
// timed.
// CHECK:      linalg.copy ins(%{{.*}} : tensor<4xf32>)
// CHECK-NOT:  quant4_rt_profile
// CHECK:      return

// Each op is bracketed once per run of the pass, the second run's regions
// after the first's.
// TWICE:      quant4.profile_regions = ["linalg.fill f32 (regions.mlir:10)",
// TWICE-SAME: "quant4_rt_fake_quant 4xf32 (fc.weight dgrad)", "linalg.fill f32 (regions.mlir:10)",
// TWICE-COUNT-18: call @quant4_rt_profile_begin()
// TWICE-NOT: call @quant4_rt_profile_begin()
// TWICE:     arith.constant 17 : i32
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func private @quant4_rt_fake_quant(memref<*xf32>, memref<*xf32>)
func.func @step(%a: memref<4xf32>, %b: memref<4xf32>, %s: memref<f32>,
                %m: memref<2x3xf32>, %mt: memref<3x2xf32>, %p: memref<3x3xf32>,
                %img: memref<1x4x4x1xf32>, %win: memref<2x2xf32>,
                %pool: memref<1x2x2x1xf32>, %t: tensor<4xf32>) -> tensor<4xf32> {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%s : memref<f32>) loc("/models/regions.mlir":10:3)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {
    ^bb0(%x: f32, %o: f32):
      %r = arith.maximumf %x, %z : f32
      linalg.yield %r : f32
  } loc(fused["relu", "/models/regions.mlir":11:3])
  linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a : memref<4xf32>) outs(%s : memref<f32>) {
    ^bb0(%x: f32, %o: f32):
      %r = arith.addf %x, %o : f32
      linalg.yield %r : f32
  } loc("sum")
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {
    ^bb0(%x: f32, %o: f32):
      linalg.yield %x : f32
  } loc("/models/regions.mlir":12:3)
  linalg.transpose ins(%m : memref<2x3xf32>) outs(%mt : memref<3x2xf32>) permutation = [1, 0] loc("/models/regions.mlir":13:3)
  memref.copy %a, %b : memref<4xf32> to memref<4xf32> loc(unknown)
  linalg.matmul ins(%mt, %m : memref<3x2xf32>, memref<2x3xf32>) outs(%p : memref<3x3xf32>) loc("fc")
  linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %win : memref<1x4x4x1xf32>, memref<2x2xf32>) outs(%pool : memref<1x2x2x1xf32>) loc("pool")
  %ua = memref.cast %a : memref<4xf32> to memref<*xf32>
  %ub = memref.cast %b : memref<4xf32> to memref<*xf32>
  func.call @quant4_rt_fake_quant(%ua, %ub) : (memref<*xf32>, memref<*xf32>) -> () loc("fc.weight dgrad"("/models/regions.mlir":14:3))
  %e = tensor.empty() : tensor<4xf32>
  %c = linalg.copy ins(%t : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %c : tensor<4xf32>
}
