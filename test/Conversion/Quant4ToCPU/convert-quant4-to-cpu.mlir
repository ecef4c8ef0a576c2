// RUN: quant4-opt %s --convert-quant4-to-cpu -split-input-file | FileCheck %s

// Statically shaped 4-bit tensors are stored packed, two codes per byte
// (element i in byte i/2, low nibble first): codes [0, 1, 7, 9] are the bytes
// 0x10 = 16 and 0x97 = -105; an odd count leaves the last high nibble zero
// (5 codes: 3 bytes); a 0-d tensor takes one byte. 8-bit formats keep one
// code per i8.
// CHECK-LABEL: func.func @constant() -> (tensor<2xi8>, tensor<3xi8>, tensor<1xi8>, tensor<2x2xi8>)
// CHECK-DAG: %[[C:.*]] = arith.constant dense<[16, -105]> : tensor<2xi8>
// CHECK-DAG: %[[D:.*]] = arith.constant dense<[33, 67, 5]> : tensor<3xi8>
// CHECK-DAG: %[[E:.*]] = arith.constant dense<15> : tensor<1xi8>
// CHECK-DAG: %[[F:.*]] = arith.constant dense<{{\[\[}}1, 2], [3, -1]]> : tensor<2x2xi8>
// CHECK: return %[[C]], %[[D]], %[[E]], %[[F]]
func.func @constant() -> (tensor<4x!quant4.log<4, 3, 0>>, tensor<5x!quant4.int<4>>, tensor<!quant4.uint<4>>, tensor<2x2xf8E4M3FN>) {
  %c = quant4.constant dense<[0, 1, 7, 9]> : tensor<4xui8> -> tensor<4x!quant4.log<4, 3, 0>>
  %d = quant4.constant dense<[1, 2, 3, 4, 5]> : tensor<5xui8> -> tensor<5x!quant4.int<4>>
  %e = quant4.constant dense<15> : tensor<ui8> -> tensor<!quant4.uint<4>>
  %f = quant4.constant dense<[[1, 2], [3, 255]]> : tensor<2x2xui8> -> tensor<2x2xf8E4M3FN>
  return %c, %d, %e, %f : tensor<4x!quant4.log<4, 3, 0>>, tensor<5x!quant4.int<4>>, tensor<!quant4.uint<4>>, tensor<2x2xf8E4M3FN>
}

// -----

// Operands become read-only unranked memrefs, the result a fresh buffer
// re-entering tensors through to_tensor restrict writable. Dynamic sizes come
// from the input; the element type of the real tensor picks the entry point.
// A dynamically shaped 4-bit tensor keeps one code per i8 (format word
// without the packed-storage bit 56).
// CHECK: func.func private @quant4_rt_quantize_f16(memref<*xf16>, memref<*xf32>, memref<*xi64>, f32, i32, i64, i32, i64, i64, memref<*xi8>)
// CHECK: memref.global "private" constant @__quant4_gran_axis_1 : memref<2xi64> = dense<1>
// CHECK-LABEL: func.func @quantize(
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf16>, %[[S:.*]]: tensor<8xf32>, %[[SEED:.*]]: i64) -> tensor<?x8xi8>
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf16>
// CHECK: %[[OUT:.*]] = memref.alloc(%[[D]]) : memref<?x8xi8>
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<?x8xf16> to memref<?x8xf16, strided<[?, ?], offset: ?>>
// CHECK: %[[XU:.*]] = memref.cast %[[XB]] {{.*}} to memref<*xf16>
// CHECK: %[[G:.*]] = memref.get_global @__quant4_gran_axis_1
// CHECK: %[[FMT:.*]] = arith.constant 1125899906842625 : i64
// CHECK: %[[RND:.*]] = arith.constant 3 : i32
// CHECK: %[[STREAM:.*]] = arith.constant 3 : i64
// CHECK: %[[OU:.*]] = memref.cast %[[OUT]] : memref<?x8xi8> to memref<*xi8>
// CHECK: call @quant4_rt_quantize_f16(%[[XU]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[FMT]], %[[RND]], %[[SEED]], %[[STREAM]], %[[OU]])
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x8xi8> to tensor<?x8xi8>
// CHECK: return %[[R]]
func.func @quantize(%x: tensor<?x8xf16>, %s: tensor<8xf32>, %seed: i64) -> tensor<?x8x!quant4.int<4>> {
  %q = quant4.quantize %x, %s seed %seed rounding<stochastic> granularity<axis = 1> {stream = 3} : tensor<?x8xf16>, tensor<8xf32> -> tensor<?x8x!quant4.int<4>>
  return %q : tensor<?x8x!quant4.int<4>>
}

// -----

// FP8 block-scale codes are decoded to f32 by the runtime first.
// CHECK-DAG: func.func private @quant4_rt_decode_scale(memref<*xi8>, i64, memref<*xf32>)
// CHECK-DAG: memref.global "private" constant @__quant4_gran_block_1_32 : memref<4xi64> = dense<[2, 0, 1, 32]>
// CHECK-LABEL: func.func @dequantize_mx(
// CHECK-SAME: %{{.*}}: tensor<128xi8>, %[[S:.*]]: tensor<4x2xi8>) -> tensor<4x64xf32>
// CHECK: %[[SF:.*]] = memref.alloc() : memref<4x2xf32>
// CHECK: %[[SB:.*]] = bufferization.to_buffer %[[S]] read_only
// CHECK: %[[SU:.*]] = memref.cast %[[SB]]
// CHECK: %[[E8M0:.*]] = arith.constant 6 : i64
// CHECK: %[[SFU:.*]] = memref.cast %[[SF]]
// CHECK: call @quant4_rt_decode_scale(%[[SU]], %[[E8M0]], %[[SFU]])
// The packed E2M1 codes: format word 3 with bit 56 set.
// CHECK: %[[FMT:.*]] = arith.constant 72057594037927939 : i64
// CHECK: call @quant4_rt_dequantize_f32({{.*}}, %[[FMT]], %{{.*}})
func.func @dequantize_mx(%q: tensor<4x64xf4E2M1FN>, %s: tensor<4x2xf8E8M0FNU>) -> tensor<4x64xf32> {
  %d = quant4.dequantize %q, %s granularity<block = [1, 32]> : tensor<4x64xf4E2M1FN>, tensor<4x2xf8E8M0FNU> -> tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----

// Stateful policies read their state and write the new state to fresh buffers.
// CHECK-LABEL: func.func @scale_delayed(
// CHECK: %[[S:.*]] = memref.alloc() : memref<f32>
// CHECK: %[[H:.*]] = memref.alloc() : memref<16xf32>
// CHECK: %[[MARGIN:.*]] = arith.constant 2 : i32
// CHECK: call @quant4_rt_scale_delayed_f32(%{{.*}}, %{{.*}}, %[[MARGIN]],
// CHECK-DAG: %[[ST:.*]] = bufferization.to_tensor %[[S]] restrict writable : memref<f32> to tensor<f32>
// CHECK-DAG: %[[HT:.*]] = bufferization.to_tensor %[[H]] restrict writable : memref<16xf32> to tensor<16xf32>
// CHECK: return %[[ST]], %[[HT]]
func.func @scale_delayed(%x: tensor<8xf32>, %h: tensor<16xf32>, %s0: tensor<f32>) -> (tensor<f32>, tensor<16xf32>) {
  %s, %h1 = quant4.scale #quant4.delayed<history = 16, margin = 2> %x state(%h, %s0 : tensor<16xf32>, tensor<f32>) for f8E4M3FN : tensor<8xf32> -> tensor<f32>, tensor<16xf32>
  return %s, %h1 : tensor<f32>, tensor<16xf32>
}

// -----

// Accumulation kind (f16_chunked = 2) and chunk travel as i32 constants.
// Packed operands (8x16 codes in 64 bytes, 16x4 in 32) come with their
// logical shapes as constant globals.
// CHECK-DAG: memref.global "private" constant @__quant4_shape_16_4 : memref<2xi64> = dense<[16, 4]>
// CHECK-DAG: memref.global "private" constant @__quant4_shape_8_16 : memref<2xi64> = dense<[8, 16]>
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[A:.*]]: tensor<64xi8>, %[[B:.*]]: tensor<32xi8>,
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<8x4xf32>
// CHECK: bufferization.to_buffer %[[A]] read_only
// CHECK: memref.get_global @__quant4_shape_8_16
// CHECK: bufferization.to_buffer %[[B]] read_only
// CHECK: memref.get_global @__quant4_shape_16_4
// CHECK: %[[KIND:.*]] = arith.constant 2 : i32
// CHECK: %[[CHUNK:.*]] = arith.constant 8 : i32
// CHECK: call @quant4_rt_matmul({{.*}}, %[[KIND]], %[[CHUNK]], %{{.*}}) : (memref<*xi8>, memref<*xi64>, memref<*xi8>, memref<*xi64>, memref<*xf32>, memref<*xf32>, memref<*xi64>, memref<*xi64>, i64, i64, f32, f32, i32, i32, i32, i32, memref<*xf32>) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
func.func @matmul(%a: tensor<8x16x!quant4.uint<4>>, %b: tensor<16x4x!quant4.int<4>>, %sa: tensor<f32>, %sb: tensor<f32>) -> tensor<8x4xf32> {
  %y = quant4.matmul %a, %b scales(%sa, %sb) acc<f16_chunked, 8> : tensor<8x16x!quant4.uint<4>>, tensor<16x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// Region-less tensor ops and scf control flow on quantized tensors follow the
// i8 storage: the op runs on byte storage between unpack4 and pack4 calls.
// CHECK-LABEL: func.func @structural(
// CHECK-SAME: %[[Q:.*]]: tensor<16xi8>, %{{.*}}: index) -> tensor<4xi8>
// CHECK: %[[U:.*]] = memref.alloc() : memref<8x4xi8>
// CHECK: call @quant4_rt_unpack4(%{{.*}}, %{{.*}})
// CHECK: %[[UT:.*]] = bufferization.to_tensor %[[U]] restrict writable : memref<8x4xi8> to tensor<8x4xi8>
// CHECK: %[[E:.*]] = tensor.extract_slice %[[UT]][0, 0] [2, 4] [1, 1] : tensor<8x4xi8> to tensor<2x4xi8>
// CHECK: %[[P:.*]] = memref.alloc() : memref<4xi8>
// CHECK: call @quant4_rt_pack4(%{{.*}}, %{{.*}})
// CHECK: %[[PT:.*]] = bufferization.to_tensor %[[P]] restrict writable : memref<4xi8> to tensor<4xi8>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[PT]]) -> (tensor<4xi8>)
func.func @structural(%q: tensor<8x4x!quant4.int<4>>, %n: index) -> tensor<2x4x!quant4.int<4>> {
  %e = tensor.extract_slice %q[0, 0] [2, 4] [1, 1] : tensor<8x4x!quant4.int<4>> to tensor<2x4x!quant4.int<4>>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %e) -> (tensor<2x4x!quant4.int<4>>) {
    %s = tensor.extract_slice %q[2, 0] [2, 4] [1, 1] : tensor<8x4x!quant4.int<4>> to tensor<2x4x!quant4.int<4>>
    scf.yield %s : tensor<2x4x!quant4.int<4>>
  }
  return %r : tensor<2x4x!quant4.int<4>>
}

// -----

// Reshapes between packed types keep the bytes; tensor.dim of a packed
// tensor is its static size; tensor.empty allocates the packed bytes.
// CHECK-LABEL: func.func @reshape(
// CHECK-SAME: %[[Q:.*]]: tensor<16xi8>) -> (tensor<16xi8>, index, tensor<3xi8>)
// CHECK-NOT: call
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[E:.*]] = tensor.empty() : tensor<3xi8>
// CHECK: return %[[Q]], %[[C8]], %[[E]]
func.func @reshape(%q: tensor<8x4x!quant4.int<4>>) -> (tensor<32x!quant4.int<4>>, index, tensor<5x!quant4.int<4>>) {
  %c = tensor.collapse_shape %q [[0, 1]] : tensor<8x4x!quant4.int<4>> into tensor<32x!quant4.int<4>>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %q, %c0 : tensor<8x4x!quant4.int<4>>
  %e = tensor.empty() : tensor<5x!quant4.int<4>>
  return %c, %d, %e : tensor<32x!quant4.int<4>>, index, tensor<5x!quant4.int<4>>
}
