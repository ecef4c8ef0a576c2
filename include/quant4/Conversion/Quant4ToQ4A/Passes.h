//===- Passes.h - quant4 -> q4a conversion ----------------------*- C++ -*-===//
//
// convert-quant4-to-q4a is declared with quant4's other conversions in
// quant4/Conversion/Passes.td and registered by
// registerQuant4ConversionPasses(); this header adds the q4a dialect it
// produces.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_H
#define QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_H

#include "quant4/Conversion/Passes.h"
#include "quant4/Dialect/Q4A/IR/Q4A.h"

#endif // QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_H
