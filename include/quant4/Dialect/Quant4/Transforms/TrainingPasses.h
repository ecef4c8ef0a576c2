//===- TrainingPasses.h - moved to quant4/Training/Passes.h -----*- C++ -*-===//
//
// The training-step builder moved to the Training layer (lib/Training,
// include/quant4/Training). This header only forwards there for code that
// still includes the old path; include "quant4/Training/Passes.h" instead.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_QUANT4_TRANSFORMS_TRAININGPASSES_H
#define QUANT4_DIALECT_QUANT4_TRANSFORMS_TRAININGPASSES_H

#include "quant4/Training/Passes.h"

#endif // QUANT4_DIALECT_QUANT4_TRANSFORMS_TRAININGPASSES_H
