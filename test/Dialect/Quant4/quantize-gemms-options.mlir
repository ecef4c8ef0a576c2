// Bad pass options are diagnostics and a failing exit code.
// RUN: not quant4-opt %s --quant4-quantize-gemms="lhs-format=f32" 2>&1 | FileCheck %s --check-prefix=FMT
// RUN: not quant4-opt %s --quant4-quantize-gemms="rhs-format=!quant4.int<9>" 2>&1 | FileCheck %s --check-prefix=BADTYPE
// RUN: not quant4-opt %s --quant4-quantize-gemms="rounding=up" 2>&1 | FileCheck %s --check-prefix=ROUND
// RUN: not quant4-opt %s --quant4-quantize-gemms="accumulation=f64" 2>&1 | FileCheck %s --check-prefix=ACC
// RUN: not quant4-opt %s --quant4-quantize-gemms="accumulation=f16_chunked" 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not quant4-opt %s --quant4-quantize-gemms="rounding=nearest_log" 2>&1 | FileCheck %s --check-prefix=LOGONLY
// RUN: not quant4-opt %s --quant4-quantize-gemms="lhs-format=!quant4.log<2,7,0> rhs-format=!quant4.log<2,7,0> accumulation=exact" 2>&1 | FileCheck %s --check-prefix=EXACT
// RUN: not quant4-opt %s --quant4-quantize-gemms="no-such-option=1" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// FMT: error: option 'lhs-format': 'f32' is not a quantized format (expected e.g. !quant4.int<4>, !quant4.log<4, 3, 0> or f4E2M1FN)
// BADTYPE: error: invalid !quant4.int: bits must be in [2, 8], got 9
// ROUND: error: option 'rounding': unknown rounding 'up' (expected nearest, nearest_log, nearest_even, stochastic or stochastic_underflow)
// ACC: error: option 'accumulation': unknown accumulation 'f64' (expected f32, f16, f16_chunked:<N> or exact)
// CHUNK: error: option 'accumulation': accumulation 'f16_chunked' needs a positive chunk length
// LOGONLY: error: option 'rounding': 'nearest_log' requires !quant4.log formats
// EXACT: error: option 'accumulation': exact accumulation is not possible for '!quant4.log<2, 7, 0>' x '!quant4.log<2, 7, 0>'
// UNKNOWN: no-such-option

func.func @f(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %i: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %c = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%i : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %c : tensor<8x4xf32>
}
