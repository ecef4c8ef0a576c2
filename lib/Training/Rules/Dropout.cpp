//===- Dropout.cpp - derivative rule of quant4.dropout --------------------===//
//
// y = x · m / (1 - p) with the mask m drawn from (seed, stream, index): for
// a given seed the op is linear in x, and its adjoint applies the same mask
// and scale to the gradient, i.e. quant4.dropout of g with the forward's
// seed, ratio and stream (Numerics C49).
//
//===----------------------------------------------------------------------===//
#include "Rules.h"

#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Training/AdjointOpInterface.h"

using namespace mlir;
using namespace mlir::quant4;

namespace {

struct DropoutAdjoint
    : AdjointOpInterface::ExternalModel<DropoutAdjoint, DropoutOp> {
  LogicalResult buildAdjoint(Operation *op, AdjointContext &ad) const {
    auto dropout = cast<DropoutOp>(op);
    if (!ad.isVaried(dropout.getInput()))
      return success();
    Value g = ad.adjointOf(dropout.getResult());
    auto back = DropoutOp::create(ad.builder(), ad.getLoc(), g.getType(), g,
                                  dropout.getSeed(), dropout.getRatioAttr(),
                                  dropout.getStreamAttr());
    ad.accumulate(dropout.getInput(), back);
    return success();
  }
};

} // namespace

void mlir::quant4::rules::registerDropoutAdjoint(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, Quant4Dialect *) {
    DropoutOp::attachInterface<DropoutAdjoint>(*ctx);
  });
}
