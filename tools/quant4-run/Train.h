//===- Train.h - the `quant4-run train` mode -------------------*- C++ -*-===//
#ifndef QUANT4_TOOLS_QUANT4_RUN_TRAIN_H
#define QUANT4_TOOLS_QUANT4_RUN_TRAIN_H

namespace quant4::run {
/// `quant4-run train ...`: argv[0] is "train". Returns the exit status.
int trainMain(int argc, char **argv);
} // namespace quant4::run

#endif // QUANT4_TOOLS_QUANT4_RUN_TRAIN_H
