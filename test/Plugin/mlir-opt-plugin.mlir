// Debian's stock mlir-opt (llvm-22) loads quant4 as a dialect + pass plugin.
// Plugin passes are reached through --pass-pipeline (mlir-opt parses its
// flags before it loads plugins).
// RUN: %upstream_mlir_opt %s --load-dialect-plugin=%quant4_plugin --load-pass-plugin=%quant4_plugin --pass-pipeline="builtin.module(func.func(quant4-quantize-gemms{lhs-format=!quant4.uint<4> accumulation=f16}))" | FileCheck %s
// RUN: %upstream_mlir_opt %s --load-dialect-plugin=%quant4_plugin --load-pass-plugin=%quant4_plugin --pass-pipeline="builtin.module(func.func(quant4-quantize-gemms))" | %upstream_mlir_opt --load-dialect-plugin=%quant4_plugin | FileCheck %s --check-prefix=ROUNDTRIP
// Without the plugin, the dialect is unknown to mlir-opt.
// RUN: not %upstream_mlir_opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// CHECK-LABEL: func.func @gemm
// CHECK: quant4.quantize {{.*}} -> tensor<8x16x!quant4.uint<4>>
// CHECK: quant4.matmul {{.*}} acc<f16>
// ROUNDTRIP: quant4.matmul {{.*}} acc<f32>
// NOPLUGIN: error: Dialect `quant4' not found for custom op 'quant4.fake_quant'
func.func @gemm(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %i: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %c = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%i : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %c : tensor<8x4xf32>
}

// A quant4 op parsed by the stock mlir-opt through the plugin.
// CHECK-LABEL: func.func @dialect_only
// CHECK: quant4.fake_quant %{{.*}}, %{{.*}} to !quant4.log<4, 3, 0> rounding<nearest>
func.func @dialect_only(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
  %y = quant4.fake_quant %x, %s to !quant4.log<4, 3, 0> rounding<nearest> : tensor<4xf32>, tensor<f32>
  return %y : tensor<4xf32>
}
