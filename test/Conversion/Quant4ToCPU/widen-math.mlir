// RUN: quant4-opt %s --quant4-cpu-widen-math | FileCheck %s

// CHECK-LABEL: func.func @softmax_bits
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: %[[E:.*]] = math.exp %[[W]] : f64
// CHECK: arith.truncf %[[E]] : f64 to f32
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: math.log %{{.*}} : f64
// CHECK: math.tanh %{{.*}} : f64
// f64 and other functions are unchanged.
// CHECK: math.exp %{{.*}} : f64
// CHECK-NOT: arith.extf
// CHECK: math.sqrt %{{.*}} : f32
func.func @softmax_bits(%x: f32, %y: f64) -> (f32, f32, f32, f64, f32) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  %d = math.exp %y : f64
  %s = math.sqrt %x : f32
  return %e, %l, %t, %d, %s : f32, f32, f32, f64, f32
}
