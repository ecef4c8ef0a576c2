//===- UntieInits.cpp - one init tensor per destination-style op ----------===//
//
// See the description of quant4-cpu-untie-inits in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUUNTIEINITS
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
/// The ops that make a cheap init: tensor.empty, or a linalg.fill of a
/// scalar into a tensor.empty. Returns them producer first, or {} if `v` is
/// something else.
SmallVector<Operation *, 2> cheapInitChain(Value v) {
  if (auto empty = v.getDefiningOp<tensor::EmptyOp>())
    return {empty};
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill || !fill.hasPureTensorSemantics())
    return {};
  auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
  if (!empty || !fill.getInputs()[0].getType().isIntOrIndexOrFloat())
    return {};
  return {empty, fill};
}

struct UntieInitsPass
    : mlir::quant4::impl::Quant4CPUUntieInitsBase<UntieInitsPass> {
  void runOnOperation() override {
    SmallVector<OpOperand *> inits;
    getOperation().walk([&](DestinationStyleOpInterface op) {
      if (!op.hasPureTensorSemantics())
        return;
      for (OpOperand &init : op.getDpsInitsMutable())
        inits.push_back(&init);
    });
    // Values already handed to one user keep that user; later users get a
    // clone.
    llvm::SmallPtrSet<Value, 32> taken;
    for (OpOperand *init : inits) {
      Value v = init->get();
      SmallVector<Operation *, 2> chain = cheapInitChain(v);
      if (chain.empty() || v.hasOneUse() || taken.insert(v).second)
        continue;
      OpBuilder b(init->getOwner());
      IRMapping map;
      Operation *last = nullptr;
      for (Operation *op : chain)
        last = b.clone(*op, map);
      init->set(last->getResult(0));
    }
  }
};
} // namespace
