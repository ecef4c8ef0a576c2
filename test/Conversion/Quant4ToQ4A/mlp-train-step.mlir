// The example training step, quantized and compiled for Q4A: every quant4
// and linalg op of it lowers, in sequential order with no synchronisation;
// q4a-synchronize orders the units with dependency tokens; the binary is
// deterministic and disassembles to the same assembly.
// RUN: quant4-opt %quant4_src_root/examples/mlp_train_step.mlir --quant4-quantize-gemms --canonicalize --convert-quant4-to-q4a | FileCheck %s --check-prefix=SEQ
// SEQ: q4a.program @train_step
// SEQ-NOT: q4a.sync
// SEQ-NOT: q4a.dep_
// SEQ: q4a.halt
// RUN: quant4-opt %quant4_src_root/examples/mlp_train_step.mlir --quant4-quantize-gemms --canonicalize --convert-quant4-to-q4a --q4a-synchronize -o %t.mlir
// RUN: FileCheck %s --input-file %t.mlir
// halt waits with a sync of the DMA alone: the last store is ordered after
// every other unit's work by the tokens it waited for.
// RUN: tail -n 6 %t.mlir | FileCheck %s --check-prefix=END
// END: q4a.dma_st
// END-NEXT: q4a.sync mask = 0x2
// END-NEXT: q4a.halt
// RUN: quant4-translate --q4a-to-bin %t.mlir -o %t.1.bin
// RUN: quant4-opt %quant4_src_root/examples/mlp_train_step.mlir --quant4-quantize-gemms --canonicalize --convert-quant4-to-q4a --q4a-synchronize | quant4-translate --q4a-to-bin -o %t.2.bin
// RUN: cmp %t.1.bin %t.2.bin
// RUN: quant4-translate --q4a-to-asm %t.mlir -o %t.1.s
// RUN: quant4-translate --bin-to-q4a %t.1.bin | quant4-translate --q4a-to-asm -o %t.2.s
// RUN: diff %t.1.s %t.2.s

// CHECK-LABEL: q4a.program @train_step
// CHECK-SAME: inputs([#q4a.tensor<"arg0", 0, tensor<16x32xf32>>, #q4a.tensor<"arg1", {{[0-9]+}}, tensor<32x4xf32>>, #q4a.tensor<"arg2", {{[0-9]+}}, tensor<8x16xf32>>, #q4a.tensor<"arg3", {{[0-9]+}}, tensor<8x4xf32>>, #q4a.tensor<"arg4", {{[0-9]+}}, tensor<f32>>])
// CHECK-SAME: outputs([#q4a.tensor<"result0", {{[0-9]+}}, tensor<16x32xf32>>, #q4a.tensor<"result1", {{[0-9]+}}, tensor<32x4xf32>>, #q4a.tensor<"result2", {{[0-9]+}}, tensor<f32>>])
// Forward GEMM of layer 1: amax scales, int4 x int4 with f32 accumulation.
// CHECK: q4a.samax fd = f2, fa = f1, fmt = !quant4.int<4>, pow2 = 0
// CHECK: q4a.quant fmt = !quant4.int<4>, rnd = nearest, n = 128
// The MXU waits for the DMA's operand loads (token DMA -> MXU) before the
// mma and for the scale loads before the mst; the store of the result waits
// for the mst (MXU -> DMA).
// CHECK: q4a.mcfg fa = !quant4.int<4>, fb = !quant4.int<4>, acc = f32, chunk = 0
// CHECK: q4a.dep_signal unit = 1, peer = 2
// CHECK: q4a.dep_wait unit = 2, peer = 1
// CHECK-NEXT: q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 8, n = 32, k = 16
// CHECK-NEXT: q4a.dep_wait unit = 2, peer = 1
// CHECK-NEXT: q4a.mst tile = 0, m = 8, n = 32
// CHECK-NEXT: q4a.dep_signal unit = 2, peer = 1
// CHECK-NEXT: q4a.dep_wait unit = 1, peer = 2
// CHECK-NEXT: q4a.dma_st
// ReLU, the loss reduction and the transposes.
// CHECK: q4a.vop fn = max, n = 256
// CHECK: q4a.vred red = sum, axis = all, init = 1, rows = 1, cols = 32
// CHECK: q4a.vtr esz = 2, rows = 8, cols = 32
// CHECK: q4a.halt
// CHECK-NEXT: }
