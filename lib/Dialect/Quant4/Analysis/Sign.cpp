//===- Sign.cpp - which tensors are provably non-negative -----------------===//
//
// Two mutually recursive walks: one over tensor-producing ops (linalg ops,
// data movement, constants), one over the scalar body of a linalg op, whose
// block arguments lead back to the op's operands. A value being computed is
// provisionally "maybe negative", so cycles (there are none in a step's
// straight-line code, but the walk does not rely on it) end safely.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Quant4/Analysis/Sign.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::quant4;

/// NaN counts as non-negative: ReLU (maximumf) propagates it, and the
/// choice of a signed or unsigned grid does not depend on it.
static bool nonNegative(const APFloat &x) {
  return x.isNaN() || !x.isNegative() || x.isZero();
}

/// A constant scalar or tensor with no negative element.
static bool isNonNegativeConstant(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  if (auto f = dyn_cast<FloatAttr>(attr))
    return nonNegative(f.getValue());
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr))
    return llvm::all_of(dense.getValues<APFloat>(), nonNegative);
  return false;
}

/// A reduction whose body is `out = max(in, out)`: max pooling, ReduceMax.
static bool isMaxReduction(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op->getNumResults() != 1)
    return false;
  Block *body = op.getBlock();
  Operation *max = body->getTerminator()->getOperand(0).getDefiningOp();
  if (!isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(max))
    return false;
  auto a = dyn_cast<BlockArgument>(max->getOperand(0));
  auto b = dyn_cast<BlockArgument>(max->getOperand(1));
  if (!a || !b || a.getOwner() != body || b.getOwner() != body)
    return false;
  unsigned nIn = op.getNumDpsInputs();
  return (a.getArgNumber() < nIn) != (b.getArgNumber() < nIn);
}

bool NonNegativeAnalysis::tensorNonNegative(Value v, bool maxWindow) {
  auto key = std::make_pair(v, unsigned(maxWindow));
  auto [it, inserted] = cache.try_emplace(key, false);
  if (!inserted)
    return it->second;
  bool result = computeTensor(v, maxWindow);
  cache[key] = result;
  return result;
}

bool NonNegativeAnalysis::computeTensor(Value v, bool maxWindow) {
  if (isNonNegativeConstant(v))
    return true;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    // A function argument is non-negative only by its caller's promise.
    auto func = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
    return func && arg.getOwner()->isEntryBlock() &&
           isNonNegativeArgument(func, arg.getArgNumber());
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto op = dyn_cast<linalg::LinalgOp>(def)) {
    if (!op.hasPureTensorSemantics() || !op.getBlock())
      return false;
    Value yielded = op.getBlock()->getTerminator()->getOperand(
        cast<OpResult>(v).getResultNumber());
    return scalarNonNegative(yielded, op, isMaxReduction(op), 0);
  }
  auto same = [&](Value x) { return tensorNonNegative(x, false); };
  return llvm::TypeSwitch<Operation *, bool>(def)
      .Case<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
            tensor::ExtractSliceOp, tensor::ReshapeOp>(
          [&](Operation *o) { return same(o->getOperand(0)); })
      .Case([&](tensor::PadOp pad) {
        // Under a max window the padding never wins (ONNX requires pads
        // smaller than the kernel, so every window holds a real element).
        if (maxWindow)
          return tensorNonNegative(pad.getSource(), false);
        Value padValue = pad.getConstantPaddingValue();
        return padValue && isNonNegativeConstant(padValue) &&
               same(pad.getSource());
      })
      .Case([&](tensor::InsertSliceOp ins) {
        return same(ins.getSource()) && same(ins.getDest());
      })
      .Case([&](tensor::ConcatOp cat) {
        return llvm::all_of(cat.getInputs(), same);
      })
      .Case([&](quant4::DropoutOp d) { return same(d.getInput()); })
      .Default([](Operation *) { return false; });
}

bool NonNegativeAnalysis::scalarNonNegative(Value s, Operation *owner,
                                            bool maxWindow, unsigned depth) {
  if (depth > 64)
    return false;
  if (isNonNegativeConstant(s))
    return true;
  auto op = cast<linalg::LinalgOp>(owner);
  if (auto arg = dyn_cast<BlockArgument>(s)) {
    if (arg.getOwner() != op.getBlock())
      return false;
    // An input element, or the accumulator: it starts as the init operand
    // and is then a yielded value, non-negative by induction.
    OpOperand *operand = op.getMatchingOpOperand(arg);
    return tensorNonNegative(operand->get(),
                             maxWindow && op.isDpsInput(operand));
  }
  Operation *def = s.getDefiningOp();
  if (!def)
    return false;
  if (!owner->isProperAncestor(def)) {
    // Defined above the op: a non-constant scalar, or an element of a
    // tensor read by index.
    if (auto ex = dyn_cast<tensor::ExtractOp>(def))
      return tensorNonNegative(ex.getTensor(), false);
    return false;
  }
  auto rec = [&](Value x) {
    return scalarNonNegative(x, owner, maxWindow, depth + 1);
  };
  return llvm::TypeSwitch<Operation *, bool>(def)
      .Case<arith::MaximumFOp, arith::MaxNumFOp>([&](Operation *o) {
        return rec(o->getOperand(0)) || rec(o->getOperand(1));
      })
      .Case<arith::MinimumFOp, arith::MinNumFOp, arith::AddFOp, arith::DivFOp>(
          [&](Operation *o) {
            return rec(o->getOperand(0)) && rec(o->getOperand(1));
          })
      .Case([&](arith::MulFOp m) {
        return m.getLhs() == m.getRhs() || (rec(m.getLhs()) && rec(m.getRhs()));
      })
      .Case([&](arith::SelectOp sel) {
        // ReLU as a select: `x > k ? x : 0` with k >= 0.
        Value cond = sel.getCondition();
        Value t = sel.getTrueValue(), f = sel.getFalseValue();
        return (rec(t) || guardedNonNegative(cond, t, true, owner, depth)) &&
               (rec(f) || guardedNonNegative(cond, f, false, owner, depth));
      })
      .Case<arith::ExtFOp, arith::TruncFOp>(
          [&](Operation *o) { return rec(o->getOperand(0)); })
      .Case([&](math::PowFOp p) { return rec(p.getLhs()); })
      .Case<math::ExpOp, math::Exp2Op, math::SqrtOp, math::RsqrtOp,
            math::AbsFOp, arith::UIToFPOp>([](Operation *) { return true; })
      .Case([&](tensor::ExtractOp ex) {
        return tensorNonNegative(ex.getTensor(), false);
      })
      .Default([](Operation *) { return false; });
}

/// The block argument of elementwise `op` that reads `tensor` element for
/// element (identity map, like the result), or null.
static BlockArgument elementwiseArgument(linalg::LinalgOp op, Value tensor) {
  if (op.getNumLoops() != op.getNumParallelLoops() ||
      !op.getIndexingMapMatchingResult(cast<OpResult>(op->getResult(0)))
           .isIdentity())
    return {};
  for (OpOperand *in : op.getDpsInputOperands())
    if (in->get() == tensor && op.getMatchingIndexingMap(in).isIdentity())
      return op.getMatchingBlockArgument(in);
  return {};
}

bool NonNegativeAnalysis::guardedNonNegative(Value cond, Value x, bool whenTrue,
                                             Operation *owner, unsigned depth) {
  // The comparison, the op whose body computes it, and x there.
  Operation *cmpOwner = owner;
  Value xThere = x;
  if (auto condArg = dyn_cast<BlockArgument>(cond)) {
    // A mask computed by an elementwise op from the tensor x is read from,
    // read here at the same index (TOSA's greater + select).
    auto op = cast<linalg::LinalgOp>(owner);
    auto xArg = dyn_cast<BlockArgument>(x);
    if (!xArg || condArg.getOwner() != op.getBlock() ||
        xArg.getOwner() != op.getBlock())
      return false;
    OpOperand *c = op.getMatchingOpOperand(condArg);
    OpOperand *xo = op.getMatchingOpOperand(xArg);
    auto producer = c->get().getDefiningOp<linalg::LinalgOp>();
    if (!producer || producer->getNumResults() != 1 ||
        op.getMatchingIndexingMap(c) != op.getMatchingIndexingMap(xo))
      return false;
    xThere = elementwiseArgument(producer, xo->get());
    if (!xThere)
      return false;
    cond = producer.getBlock()->getTerminator()->getOperand(0);
    cmpOwner = producer;
  }
  auto cmp = cond.getDefiningOp<arith::CmpFOp>();
  if (!cmp)
    return false;
  using P = arith::CmpFPredicate;
  P pred = cmp.getPredicate();
  bool greater = llvm::is_contained({P::OGT, P::OGE, P::UGT, P::UGE}, pred);
  bool less = llvm::is_contained({P::OLT, P::OLE, P::ULT, P::ULE}, pred);
  auto bound = [&](Value k) {
    return scalarNonNegative(k, cmpOwner, false, depth + 1);
  };
  // When true: x > k or k < x. When false: not (x < k) or not (k > x). NaN
  // either way is allowed.
  if (cmp.getLhs() == xThere)
    return (whenTrue ? greater : less) && bound(cmp.getRhs());
  if (cmp.getRhs() == xThere)
    return (whenTrue ? less : greater) && bound(cmp.getLhs());
  return false;
}
