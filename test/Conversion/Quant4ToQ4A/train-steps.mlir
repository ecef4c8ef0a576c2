// The whole training steps of examples/mlp.mlir and examples/lenet.mlir
// (forward, loss, backward, scale updates, momentum SGD) each compile to
// one Q4A program under the fp32 and ultralow4 recipes (luq and fp8 too);
// binary -> assembly -> binary round trips. Block-scaled recipes (mxfp4,
// nvfp4) are rejected by name.
// RUN: quant4-opt %quant4_src_root/examples/lenet.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=fp32" --convert-quant4-to-q4a="entry=lenet_train_step" -o %t.lf.mlir
// RUN: FileCheck %s --check-prefix=LF --input-file %t.lf.mlir
// RUN: quant4-translate --q4a-to-bin %t.lf.mlir -o %t.lf.bin
// RUN: quant4-translate --bin-to-q4a %t.lf.bin | quant4-translate --q4a-to-asm -o %t.lf.2.s
// RUN: quant4-translate --q4a-to-asm %t.lf.mlir -o %t.lf.1.s
// RUN: diff %t.lf.1.s %t.lf.2.s
// RUN: quant4-translate --asm-to-q4a %t.lf.2.s | quant4-translate --q4a-to-bin -o %t.lf.2.bin
// RUN: cmp %t.lf.bin %t.lf.2.bin
//
// RUN: quant4-opt %quant4_src_root/examples/lenet.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=ultralow4" --convert-quant4-to-q4a="entry=lenet_train_step" -o %t.lu.mlir
// RUN: FileCheck %s --check-prefix=LU --input-file %t.lu.mlir
// RUN: quant4-translate --q4a-to-bin %t.lu.mlir -o %t.lu.bin
// RUN: quant4-translate --bin-to-q4a %t.lu.bin | quant4-translate --q4a-to-asm -o %t.lu.2.s
// RUN: quant4-translate --q4a-to-asm %t.lu.mlir -o %t.lu.1.s
// RUN: diff %t.lu.1.s %t.lu.2.s
//
// RUN: quant4-opt %quant4_src_root/examples/mlp.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=fp32" --convert-quant4-to-q4a="entry=mlp_train_step" | quant4-translate --q4a-to-bin -o %t.mf.bin
// RUN: quant4-translate --bin-to-q4a %t.mf.bin | quant4-translate --q4a-to-asm | FileCheck %s --check-prefix=MF
// RUN: quant4-opt %quant4_src_root/examples/mlp.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=ultralow4" --convert-quant4-to-q4a="entry=mlp_train_step" -o %t.mu.mlir
// RUN: quant4-translate --q4a-to-bin %t.mu.mlir -o %t.mu.bin
// RUN: quant4-translate --bin-to-q4a %t.mu.bin | quant4-translate --q4a-to-asm -o %t.mu.2.s
// RUN: quant4-translate --q4a-to-asm %t.mu.mlir -o %t.mu.1.s
// RUN: diff %t.mu.1.s %t.mu.2.s
// RUN: FileCheck %s --check-prefix=MU --input-file %t.mu.1.s
//
// RUN: quant4-opt %quant4_src_root/examples/lenet.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=luq" --convert-quant4-to-q4a="entry=lenet_train_step" | FileCheck %s --check-prefix=LUQ
// RUN: quant4-opt %quant4_src_root/examples/lenet.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=fp8" --convert-quant4-to-q4a="entry=lenet_train_step" | FileCheck %s --check-prefix=FP8
// RUN: not quant4-opt %quant4_src_root/examples/lenet.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=mxfp4" --convert-quant4-to-q4a="entry=lenet_train_step" 2>&1 | FileCheck %s --check-prefix=MX
// RUN: not quant4-opt %quant4_src_root/examples/mlp.mlir --quant4-build-training-step --quant4-apply-recipe="recipe=nvfp4" --convert-quant4-to-q4a="entry=mlp_train_step" 2>&1 | FileCheck %s --check-prefix=MX

// LF-LABEL: q4a.program @lenet_train_step
// LF-SAME: #q4a.tensor<"arg16", {{[0-9]+}}, tensor<64x28x28x1xf32>>, #q4a.tensor<"arg17", {{[0-9]+}}, tensor<64xi32>>
// LF-SAME: #q4a.tensor<"result16", {{[0-9]+}}, tensor<f32>>, #q4a.tensor<"result17", {{[0-9]+}}, tensor<i32>>
// conv1 forward: im2col rows of (kw, c) = 5 floats, 24 output columns.
// LF: q4a.dma_ld {{.*}} rows = 24, bytes = 20, dstride = 0x70, sstride = 0x960
// LF: q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 32, n = 6, k = 25
// pool1: 2x2 windows as the rows of a column max.
// LF: q4a.vred red = max, axis = col, init = 1, rows = 4
// conv2 forward (K = 5*5*6).
// LF: q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 32, n = 16, k = 150
// softmax cross-entropy and the correct count.
// LF: q4a.vop fn = exp
// LF: q4a.vop fn = log
// LF: q4a.vred red = min, axis = row
// conv1 wgrad: K = 24*24*64 in chunks over 8 accumulator tiles.
// LF: q4a.mma tile = 0, accum = 1
// LF: q4a.halt

// LU-LABEL: q4a.program @lenet_train_step
// LU: q4a.spact
// LU: q4a.mcfg fa = !quant4.uint<4>, fb = !quant4.int<4>, acc = f16
// LU: q4a.mma
// LU: q4a.sgrad
// LU: q4a.mcfg fa = !quant4.log<4, 3, 0>, fb = !quant4.int<4>, acc = f16
// LU: q4a.halt

// MF: .program mlp_train_step
// MF: .input arg13 i32[64]
// MF: .output result13 i32[]
// MF: halt

// MU: .program mlp_train_step
// The 256x256 weight's SAWB statistics in chunks (its op gets half of the
// scratchpad, 256 KiB, just short of the whole tensor).
// MU: sawb.acc s={{.*}}, lane=0, init=1
// MU: sawb.fin fd=f2, fmt=int4
// MU: mcfg fa=uint4, fb=int4, acc=f16
// MU: halt

// LUQ: q4a.program @lenet_train_step
// LUQ: rnd = stochastic_underflow
// FP8: q4a.program @lenet_train_step
// FP8: q4a.sdly
// FP8: q4a.hpush
// MX: error: 'quant4.scale' op block scale policies (MXFP4, NVFP4) are not supported by the Q4A lowering (per-tensor and per-axis scales are)
