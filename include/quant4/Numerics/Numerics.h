//===- Numerics.h - quant4 numerics umbrella header --------------*- C++ -*-===//
//
// quant4::num: formats, encode/decode with every rounding mode, scale
// policies, block formats, accumulation modes and reference GEMM/conv.
// Plain C++17; no MLIR/LLVM dependency. Documented in docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_NUMERICS_NUMERICS_H
#define QUANT4_NUMERICS_NUMERICS_H

#include "quant4/Numerics/Accumulate.h"
#include "quant4/Numerics/Format.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Numerics/Scale.h"

#endif // QUANT4_NUMERICS_NUMERICS_H
