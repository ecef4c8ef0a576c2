// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes | FileCheck %s --check-prefix=DEF
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="recipe=luq keep-first=false edge-recipe=fp8 overrides=layer1:nvfp4" | FileCheck %s --check-prefix=OPT
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="overrides=fc9:fp8" 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="recipe=int3" 2>&1 | FileCheck %s --check-prefix=RECIPE
// Stage 1 of quant4-apply-recipe: the role annotations plus quant4.recipe
// on every GEMM (recipe, then edge-recipe on the kept first/last layers,
// then overrides); nothing else changes.

// DEF-LABEL: func.func @train_step(
// DEF-SAME: %{{[a-z0-9]+}}: f32) -> (tensor<16x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32x4xf32>, tensor<f32>) attributes {quant4.num_layers = 3 : i64} {
// DEF: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "fp32", quant4.role = "fwd"}
// DEF: linalg.matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "fwd"}
// DEF: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp32", quant4.role = "fwd"}
// DEF: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp32", quant4.role = "wgrad"}
// DEF: linalg.matmul indexing_maps = {{.*}} {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp32", quant4.role = "dgrad"}
// DEF: linalg.matmul indexing_maps = {{.*}} {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "wgrad"}
// DEF: linalg.matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "dgrad"}
// DEF: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "fp32", quant4.role = "wgrad"}
// DEF-NOT: quant4.
// DEF: return
// DEF-NOT: func.func

// OPT: quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "luq", quant4.role = "fwd"
// OPT: quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "nvfp4", quant4.role = "fwd"
// OPT: quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp8", quant4.role = "fwd"

// NOLAYER: error: option 'overrides': function @train_step has no layer 'fc9' (layers: 0=layer0 1=layer1 2=layer2)
// RECIPE: error: option 'recipe': unknown recipe 'int3' (expected one of ultralow4, luq, mxfp4, nvfp4, fp8, fp32)
