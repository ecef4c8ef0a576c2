// RUN: quant4-opt %s --convert-quant4-to-q4a | FileCheck %s
// RUN: quant4-opt %s --convert-quant4-to-q4a=pack-codes=false | FileCheck %s --check-prefix=BYTES
// RUN: quant4-opt %s --convert-quant4-to-q4a | quant4-translate --q4a-to-bin -o %t.q4a
// RUN: quant4-opt %s --convert-quant4-to-q4a=pack-codes=false | quant4-translate --q4a-to-bin -o %t.bytes.q4a
// RUN: quant4-sim %t.q4a --random-inputs 3 --output-dir %t.out --stats | FileCheck %s --check-prefix=STATS
// RUN: quant4-sim %t.bytes.q4a --random-inputs 3 --output-dir %t.bytes.out
// RUN: cmp %t.out/result0.npy %t.bytes.out/result0.npy
// RUN: cmp %t.out/result1.npy %t.bytes.out/result1.npy

// 4-bit codes the program computes live two per DRAM byte: the quantized
// operands are stored with dma.stp and loaded by the GEMM with dma.ldp
// (`dram` in nibbles: the 32x64 codes of %qx take 1,024 bytes, 2,048
// nibbles). The codes the program returns keep one per byte (the host's
// .npy convention): they are copied out of the packed tensor. With
// pack-codes=false every code takes a byte. Both give the same outputs.

// CHECK-LABEL: q4a.program @step
// CHECK: q4a.quant fmt = !quant4.int<4>
// CHECK: q4a.dma_stp sp = {{.*}}, rows = 1, bytes = 2048,
// CHECK: q4a.dma_ldp
// CHECK: q4a.mma
// The output copy: packed codes in, one per byte out.
// CHECK: q4a.dma_ldp sp = 0x0, dram = {{.*}}, rows = 1, bytes = 2048,
// CHECK-NEXT: q4a.dma_st sp = 0x0, dram = {{.*}}, rows = 1, bytes = 2048,
// CHECK: q4a.halt

// BYTES-LABEL: q4a.program @step
// BYTES-NOT: dma_ldp
// BYTES-NOT: dma_stp
// BYTES: q4a.halt

// STATS: dma: {{[0-9]+}} bytes DRAM->SP
func.func @step(%x: tensor<32x64xf32>, %w: tensor<64x32x!quant4.int<4>>, %sw: tensor<f32>)
    -> (tensor<32x32xf32>, tensor<32x64x!quant4.int<4>>) {
  %sx = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<32x64xf32> -> tensor<f32>
  %qx = quant4.quantize %x, %sx rounding<nearest> : tensor<32x64xf32>, tensor<f32> -> tensor<32x64x!quant4.int<4>>
  %y = quant4.matmul %qx, %w scales(%sx, %sw) acc<f16_chunked, 64>
      : tensor<32x64x!quant4.int<4>>, tensor<64x32x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<32x32xf32>
  return %y, %qx : tensor<32x32xf32>, tensor<32x64x!quant4.int<4>>
}
