//===- AnnotateRoles.cpp - print the role analysis as attributes ----------===//
#include "quant4/Dialect/Quant4/Analysis/Roles.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4ANNOTATEROLES
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

namespace {
struct AnnotateRolesPass
    : mlir::quant4::impl::Quant4AnnotateRolesBase<AnnotateRolesPass> {
  using Base::Base;
  void runOnOperation() override {
    RoleAnalysis analysis(getOperation());
    if (failed(analysis.run()))
      return signalPassFailure();
    analysis.annotate();
  }
};
} // namespace
