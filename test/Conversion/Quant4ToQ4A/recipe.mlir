// A recipe-quantized three-layer MLP training step (GradScale, Two-Phase
// Rounding, SAWB/PACT state, bias broadcasts, masks) compiles to Q4A; the
// binary is deterministic. Block-scaled recipes are rejected by name.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4" --convert-quant4-to-q4a="entry=train_step" -o %t.mlir
// RUN: FileCheck %s --input-file %t.mlir
// RUN: quant4-translate --q4a-to-bin %t.mlir -o %t.1.bin
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4" --convert-quant4-to-q4a="entry=train_step" | quant4-translate --q4a-to-bin -o %t.2.bin
// RUN: cmp %t.1.bin %t.2.bin
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=luq" --convert-quant4-to-q4a="entry=train_step" | FileCheck %s --check-prefix=LUQ
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=fp8" --convert-quant4-to-q4a="entry=train_step" | FileCheck %s --check-prefix=FP8
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=mxfp4" --convert-quant4-to-q4a="entry=train_step" 2>&1 | FileCheck %s --check-prefix=MX

// CHECK-LABEL: q4a.program @train_step
// A bias row vector broadcast over the batch: DRAM row pitch 0.
// CHECK: q4a.dma_ld {{.*}} dstride = 0x0,
// CHECK: q4a.sgrad fd = f2, fs = f3, fa = f1, fmt = !quant4.log<4, 3, 0>
// CHECK: q4a.mcfg fa = !quant4.log<4, 3, {{[01]}}>, fb = {{.*}}, acc = f16_chunked, chunk = {{32|64|256}}
// CHECK: q4a.halt
// LUQ-LABEL: q4a.program @train_step
// LUQ: rnd = stochastic_underflow
// FP8-LABEL: q4a.program @train_step
// FP8: q4a.sdly
// FP8: q4a.hpush
// MX: error: 'quant4.scale' op block scale policies (MXFP4, NVFP4) are not supported by the Q4A lowering (per-tensor and per-axis scales are)
