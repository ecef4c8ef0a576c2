// RUN: quant4-opt %s --convert-quant4-to-cpu --split-input-file --verify-diagnostics

// Ops on quantized tensors without a CPU lowering are reported, not skipped.
func.func @linalg_on_codes(%x: tensor<4x!quant4.int<4>>) -> tensor<4x!quant4.int<4>> {
  %e = tensor.empty() : tensor<4x!quant4.int<4>>
  // expected-error@+1 {{failed to legalize operation 'linalg.copy'}}
  %0 = linalg.copy ins(%x : tensor<4x!quant4.int<4>>) outs(%e : tensor<4x!quant4.int<4>>) -> tensor<4x!quant4.int<4>>
  return %0 : tensor<4x!quant4.int<4>>
}

// -----

// Two-level E4M3 block scaling is NVFP4: E2M1 elements only.
func.func @nvfp4_int4(%x: tensor<4x16xf32>) -> (tensor<4x1xf8E4M3FN>, tensor<f32>) {
  // expected-error@+2 {{two-level E4M3 block scaling is lowered for f4E2M1FN (NVFP4) only, got '!quant4.int<4>'}}
  // expected-error@+1 {{failed to legalize operation 'quant4.scale'}}
  %s, %t = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %x for !quant4.int<4> granularity<block = [1, 16]> : tensor<4x16xf32> -> tensor<4x1xf8E4M3FN>, tensor<f32>
  return %s, %t : tensor<4x1xf8E4M3FN>, tensor<f32>
}
