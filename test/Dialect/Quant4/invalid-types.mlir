// RUN: quant4-opt %s -split-input-file -verify-diagnostics
// Every malformed type and attribute parameter gets a diagnostic at its
// location (constraints C4/C5 of docs/Formats.md for the format parameters).

// expected-error@+1 {{invalid !quant4.log: radix must be a power of two in [2, 16], got 3}}
func.func private @radix3(tensor<4x!quant4.log<3, 3, 0>>)

// -----

// expected-error@+1 {{radix must be a power of two in [2, 16], got 32}}
func.func private @radix32(tensor<4x!quant4.log<32, 3, 0>>)

// -----

// expected-error@+1 {{radix must be a power of two in [2, 16], got -4}}
func.func private @radix_negative(tensor<4x!quant4.log<-4, 3, 0>>)

// -----

// expected-error@+1 {{ebits must be in [1, 7] (sign + exponent <= 8 bits), got 0}}
func.func private @ebits0(tensor<4x!quant4.log<4, 0, 0>>)

// -----

// expected-error@+1 {{ebits must be in [1, 7] (sign + exponent <= 8 bits), got 8}}
func.func private @ebits8(tensor<4x!quant4.log<2, 8, 0>>)

// -----

// expected-error@+1 {{phase must be 0 or 1, got 2}}
func.func private @phase2(tensor<4x!quant4.log<4, 3, 2>>)

// -----

// sqrt(2) is not a power of two: radix 2 has no second TPR phase.
// expected-error@+1 {{phase 1 requires sqrt(radix) to be a power of two (radix 4 or 16), got radix 2}}
func.func private @phase1_radix2(tensor<4x!quant4.log<2, 3, 1>>)

// -----

// expected-error@+1 {{phase 1 requires sqrt(radix) to be a power of two (radix 4 or 16), got radix 8}}
func.func private @phase1_radix8(tensor<4x!quant4.log<8, 3, 1>>)

// -----

// 16^(127-0) overflows float32.
// expected-error@+1 {{invalid !quant4.log}}
func.func private @bias_overflow(tensor<4x!quant4.log<16, 7, 0, 0>>)

// -----

// expected-error@+1 {{expected ','}}
func.func private @missing_phase(tensor<4x!quant4.log<4, 3>>)

// -----

// expected-error@+1 {{expected integer value for 'ebits'}}
func.func private @not_an_integer(tensor<4x!quant4.log<4, x, 0>>)

// -----

// expected-error@+1 {{invalid !quant4.int: bits must be in [2, 8], got 1}}
func.func private @int1(tensor<4x!quant4.int<1>>)

// -----

// expected-error@+1 {{invalid !quant4.int: bits must be in [2, 8], got 9}}
func.func private @int9(tensor<4x!quant4.int<9>>)

// -----

// expected-error@+1 {{invalid !quant4.uint: bits must be in [2, 8], got 0}}
func.func private @uint0(tensor<4x!quant4.uint<0>>)

// -----

// expected-error@+1 {{invalid !quant4.uint: bits must be in [2, 8], got 16}}
func.func private @uint16(tensor<4x!quant4.uint<16>>)

// -----

// expected-error@+2 {{expected ::mlir::quant4::RoundingKind to be one of: nearest, nearest_log, nearest_even, stochastic, stochastic_underflow}}
// expected-error@+1 {{failed to parse Quant4_RoundingAttr parameter 'value' which is to be a `::mlir::quant4::RoundingKind`}}
func.func private @rounding_unknown() attributes {r = #quant4.rounding<up>}

// -----

// expected-error@+1 {{accumulation 'f16_chunked' needs a positive chunk length}}
func.func private @chunk_missing() attributes {a = #quant4.acc<f16_chunked>}

// -----

// expected-error@+1 {{only 'f16_chunked' accumulation takes a chunk length}}
func.func private @chunk_on_f32() attributes {a = #quant4.acc<f32, 16>}

// -----

// expected-error@+2 {{expected one of [f32, f16, f16_chunked, exact] for accumulation of a quantized GEMM or convolution, got: bf16}}
// expected-error@+1 {{failed to parse Quant4_AccumulationAttr parameter 'kind'}}
func.func private @acc_unknown() attributes {a = #quant4.acc<bf16>}

// -----

// expected-error@+1 {{granularity axis must be non-negative, got -1}}
func.func private @axis_negative() attributes {g = #quant4.granularity<axis = -1>}

// -----

// expected-error@+1 {{block sizes must be positive, got 0}}
func.func private @block_zero() attributes {g = #quant4.granularity<block = [1, 0]>}

// -----

// expected-error@+1 {{block granularity needs at least one block size}}
func.func private @block_empty() attributes {g = #quant4.granularity<block = []>}

// -----

// expected-error@+1 {{unknown granularity 'row', expected 'tensor', 'axis' or 'block'}}
func.func private @granularity_unknown() attributes {g = #quant4.granularity<row>}

// -----

// expected-error@+1 {{unknown #quant4.amax parameter 'exact', expected 'pow2'}}
func.func private @amax_unknown() attributes {p = #quant4.amax<exact>}

// -----

// expected-error@+1 {{#quant4.delayed history length must be in [1, 1048576], got 0}}
func.func private @delayed_empty() attributes {p = #quant4.delayed<history = 0>}

// -----

// expected-error@+1 {{#quant4.delayed margin must be in [-64, 64], got 100}}
func.func private @delayed_margin() attributes {p = #quant4.delayed<history = 4, margin = 100>}

// -----

// expected-error@+1 {{#quant4.block scale format must be f8E8M0FNU, f8E4M3FN or f32, got 'f16'}}
func.func private @block_scale_f16() attributes {p = #quant4.block<scale = f16>}
