//===- AttachCounters.cpp - numerics counters on a training step ----------===//
//
// Numbers the quantized operands and the results of the GEMMs of every
// training step (`quant4.counter`) and names the counters on the module
// (`quant4.counters`); the CPU lowering turns each into a runtime call that
// counts what the op did. See docs/Recipes.md, "Numerics counters".
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4ATTACHCOUNTERS
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

/// What operand `i` (0: lhs / input, 1: rhs / filter) of a GEMM in `role`
/// holds.
static StringRef operandName(GemmRole role, unsigned i) {
  switch (role) {
  case GemmRole::Forward:
    return i == 0 ? "act" : "weight";
  case GemmRole::DGrad:
    return i == 0 ? "grad" : "weight";
  case GemmRole::WGrad:
    return i == 0 ? "act" : "grad";
  }
  return "?";
}

namespace {
struct AttachCountersPass
    : mlir::quant4::impl::Quant4AttachCountersBase<AttachCountersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The option first: a bad one leaves the IR as it was.
    for (const std::string &name : functions)
      if (!module.lookupSymbol<func::FuncOp>(name)) {
        mlir::emitError(module.getLoc(), "option 'functions': no function @")
            << name;
        return signalPassFailure();
      }
    module.walk([](Operation *op) { op->removeAttr(attrs::kCounter); });
    SmallVector<std::string> names;
    auto attach = [&](Operation *op, std::string name) {
      setCounterIndex(op, int64_t(names.size()));
      names.push_back(std::move(name));
    };
    for (auto func : module.getOps<func::FuncOp>()) {
      bool chosen = functions.empty()
                        ? isTrainingStep(func)
                        : llvm::is_contained(functions, func.getName());
      if (!chosen)
        continue;
      func.walk([&](Operation *op) {
        std::optional<GemmRole> role = getGemmRole(op);
        StringAttr layer = getLayerName(op);
        bool quantGemm = isa<MatmulOp, Conv2DOp>(op);
        if (!role || !layer ||
            !(quantGemm || isa<linalg::LinalgOp>(op)) ||
            op->getNumOperands() < 2)
          return;
        std::string prefix = (layer.getValue() + "/" +
                              stringifyGemmRole(*role) + "/")
                                 .str();
        for (unsigned i = 0; i < 2; ++i) {
          Operation *def = op->getOperand(i).getDefiningOp();
          if (isa_and_nonnull<QuantizeOp, FakeQuantOp>(def) &&
              !getCounterIndex(def))
            attach(def, prefix + operandName(*role, i).str());
        }
        if (quantGemm)
          attach(op, prefix + "out");
      });
    }
    setCounterNames(module, names);
  }
};
} // namespace
