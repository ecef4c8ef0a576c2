//===- Layout.cpp - derivative rules of data movement ---------------------===//
//
// linalg.transpose and linalg.fill, and the tensor dialect's reshapes, pads,
// slices and casts: the adjoint moves the gradient back where the value
// came from (inverse permutation, inverse reshape, the slice of a pad, a
// slice inserted into zeros, ...).
//
//===----------------------------------------------------------------------===//
#include "Rules.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "quant4/Training/AdjointOpInterface.h"

using namespace mlir;
using namespace mlir::quant4;

namespace {

/// Shorthand for the external model of a single-result op: `Rule::adjoint`
/// gets the op and its result's adjoint.
template <typename Rule, typename Op>
struct Adjoint : AdjointOpInterface::ExternalModel<Rule, Op> {
  LogicalResult buildAdjoint(Operation *op, AdjointContext &ad) const {
    return Rule::adjoint(cast<Op>(op), ad, ad.adjointOf(op->getResult(0)));
  }
};

struct TransposeAdjoint : Adjoint<TransposeAdjoint, linalg::TransposeOp> {
  static LogicalResult adjoint(linalg::TransposeOp op, AdjointContext &ad,
                               Value g) {
    if (!op.hasPureTensorSemantics())
      return ad.unsupported(op, "expected tensor semantics");
    // The adjoint of a permutation is the inverse permutation.
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<int64_t> inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = int64_t(i);
    if (ad.isVaried(op.getInput()))
      ad.accumulate(op.getInput(), ad.transpose(g, inverse));
    return success();
  }
};

struct FillAdjoint : Adjoint<FillAdjoint, linalg::FillOp> {
  static LogicalResult adjoint(linalg::FillOp op, AdjointContext &ad, Value) {
    if (ad.isVaried(op.getInputs()[0]))
      return ad.unsupported(op, "its fill value depends on a parameter");
    return success(); // the init is overwritten: it gets no gradient
  }
};

struct CollapseAdjoint : Adjoint<CollapseAdjoint, tensor::CollapseShapeOp> {
  static LogicalResult adjoint(tensor::CollapseShapeOp op, AdjointContext &ad,
                               Value g) {
    if (ad.isVaried(op.getSrc()))
      ad.accumulate(op.getSrc(), tensor::ExpandShapeOp::create(
                                     ad.builder(), ad.getLoc(), op.getSrcType(),
                                     g, op.getReassociationIndices()));
    return success();
  }
};

struct ExpandAdjoint : Adjoint<ExpandAdjoint, tensor::ExpandShapeOp> {
  static LogicalResult adjoint(tensor::ExpandShapeOp op, AdjointContext &ad,
                               Value g) {
    if (ad.isVaried(op.getSrc()))
      ad.accumulate(op.getSrc(), tensor::CollapseShapeOp::create(
                                     ad.builder(), ad.getLoc(), op.getSrcType(),
                                     g, op.getReassociationIndices()));
    return success();
  }
};

struct ReshapeAdjoint : Adjoint<ReshapeAdjoint, tensor::ReshapeOp> {
  static LogicalResult adjoint(tensor::ReshapeOp op, AdjointContext &ad,
                               Value g) {
    if (ad.isVaried(op.getShape()))
      return ad.unsupported(op, "its shape operand depends on a parameter");
    if (!ad.isVaried(op.getSource()))
      return success();
    auto srcType = cast<RankedTensorType>(op.getSource().getType());
    auto shapeType = RankedTensorType::get({srcType.getRank()},
                                           ad.builder().getI64Type());
    Value shape = arith::ConstantOp::create(
        ad.builder(), ad.getLoc(),
        DenseElementsAttr::get(shapeType, srcType.getShape()));
    ad.accumulate(op.getSource(),
                  tensor::ReshapeOp::create(ad.builder(), ad.getLoc(), srcType,
                                            g, shape));
    return success();
  }
};

struct PadAdjoint : Adjoint<PadAdjoint, tensor::PadOp> {
  static LogicalResult adjoint(tensor::PadOp op, AdjointContext &ad, Value g) {
    if (!op.getLow().empty() || !op.getHigh().empty())
      return ad.unsupported(op, "only static padding is supported");
    Value pv = op.getConstantPaddingValue();
    if (!pv || ad.isVaried(pv))
      return ad.unsupported(op, "the padding value must be a constant");
    if (!ad.isVaried(op.getSource()))
      return success();
    ArrayRef<int64_t> srcShape = ad.shapeOf(op.getSource());
    ad.accumulate(op.getSource(),
                  tensor::ExtractSliceOp::create(
                      ad.builder(), ad.getLoc(), g,
                      ad.indexAttrs(op.getStaticLow()), ad.indexAttrs(srcShape),
                      ad.indexAttrs(SmallVector<int64_t>(srcShape.size(), 1))));
    return success();
  }
};

/// Static, rank-preserving slices only (what the importer and the rules
/// create).
template <typename SliceOp>
bool isStaticSlice(SliceOp op, int64_t rankA, int64_t rankB) {
  return op.getOffsets().empty() && op.getSizes().empty() &&
         op.getStrides().empty() && rankA == rankB;
}

struct ExtractSliceAdjoint
    : Adjoint<ExtractSliceAdjoint, tensor::ExtractSliceOp> {
  static LogicalResult adjoint(tensor::ExtractSliceOp op, AdjointContext &ad,
                               Value g) {
    if (!isStaticSlice(op, op.getResultType().getRank(),
                       op.getSourceType().getRank()))
      return ad.unsupported(op, "only static, rank-preserving slices are "
                                "supported");
    if (ad.isVaried(op.getSource()))
      ad.accumulate(op.getSource(),
                    tensor::InsertSliceOp::create(
                        ad.builder(), ad.getLoc(), g,
                        ad.zerosLike(op.getSource()), op.getMixedOffsets(),
                        op.getMixedSizes(), op.getMixedStrides()));
    return success();
  }
};

struct InsertSliceAdjoint
    : Adjoint<InsertSliceAdjoint, tensor::InsertSliceOp> {
  static LogicalResult adjoint(tensor::InsertSliceOp op, AdjointContext &ad,
                               Value g) {
    if (!isStaticSlice(op, op.getSourceType().getRank(),
                       op.getResultType().getRank()))
      return ad.unsupported(op, "only static, rank-preserving slices are "
                                "supported");
    if (ad.isVaried(op.getSource()))
      ad.accumulate(op.getSource(),
                    tensor::ExtractSliceOp::create(
                        ad.builder(), ad.getLoc(), g, op.getMixedOffsets(),
                        op.getMixedSizes(), op.getMixedStrides()));
    if (ad.isVaried(op.getDest()))
      ad.accumulate(op.getDest(),
                    tensor::InsertSliceOp::create(
                        ad.builder(), ad.getLoc(), ad.zerosLike(op.getSource()),
                        g, op.getMixedOffsets(), op.getMixedSizes(),
                        op.getMixedStrides()));
    return success();
  }
};

struct CastAdjoint : Adjoint<CastAdjoint, tensor::CastOp> {
  static LogicalResult adjoint(tensor::CastOp op, AdjointContext &ad, Value g) {
    if (!ad.isVaried(op.getSource()))
      return success();
    if (op.getSource().getType() != op.getType())
      return ad.unsupported(op, "only casts between identical types are "
                                "supported");
    ad.accumulate(op.getSource(), g);
    return success();
  }
};

} // namespace

void mlir::quant4::rules::registerLayoutAdjoints(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::TransposeOp::attachInterface<TransposeAdjoint>(*ctx);
    linalg::FillOp::attachInterface<FillAdjoint>(*ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, tensor::TensorDialect *) {
    tensor::CollapseShapeOp::attachInterface<CollapseAdjoint>(*ctx);
    tensor::ExpandShapeOp::attachInterface<ExpandAdjoint>(*ctx);
    tensor::ReshapeOp::attachInterface<ReshapeAdjoint>(*ctx);
    tensor::PadOp::attachInterface<PadAdjoint>(*ctx);
    tensor::ExtractSliceOp::attachInterface<ExtractSliceAdjoint>(*ctx);
    tensor::InsertSliceOp::attachInterface<InsertSliceAdjoint>(*ctx);
    tensor::CastOp::attachInterface<CastAdjoint>(*ctx);
  });
}
