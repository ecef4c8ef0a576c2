//===- BuildTrainingStep.cpp - forward function -> joint training step ----===//
//
// quant4-build-training-step: clones a forward function (parameters + batch
// -> logits) into @<name>_train_step, appends the softmax cross-entropy loss
// and the count of correct predictions, differentiates the forward ops in
// reverse order (reverse-mode AD on tensors, with element-wise linalg.generic
// bodies differentiated scalar op by scalar op), and applies SGD with
// momentum and weight decay. docs/Training.md describes the contract.
//
//===----------------------------------------------------------------------===//
#include "quant4/Training/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

#include <limits>

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4BUILDTRAININGSTEP
#include "quant4/Training/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

namespace {

using utils::IteratorType;

/// Builds the training step of one forward function.
class StepBuilder {
public:
  StepBuilder(func::FuncOp forward, OpBuilder &b)
      : fwd(forward), b(b), ctx(forward.getContext()),
        loc(forward.getLoc()), f32(Float32Type::get(ctx)),
        i32(IntegerType::get(ctx, 32)) {}

  /// Checks the forward signature; emits a diagnostic on failure.
  LogicalResult checkSignature();
  /// Creates @<name>_train_step after the forward function.
  FailureOr<func::FuncOp> build();

private:
  // ---- small IR helpers ----------------------------------------------------
  RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type et) {
    return RankedTensorType::get(shape, et);
  }
  Value cstF(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value cstI32(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value empty(ArrayRef<int64_t> shape, Type et) {
    return tensor::EmptyOp::create(b, loc, shape, et);
  }
  Value filled(ArrayRef<int64_t> shape, Value scalar) {
    return linalg::FillOp::create(b, loc, ValueRange{scalar},
                                  ValueRange{empty(shape, scalar.getType())})
        .getResult(0);
  }
  Value zerosLike(Value v) {
    return filled(cast<RankedTensorType>(v.getType()).getShape(), cstF(0.0));
  }
  static ArrayRef<int64_t> shapeOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    ArrayRef<int64_t> s = shapeOf(v);
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(s[p]);
    Value init =
        empty(shape, cast<RankedTensorType>(v.getType()).getElementType());
    return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
  }
  Value add(Value x, Value y) {
    return linalg::AddOp::create(b, loc, ValueRange{x, y},
                                 ValueRange{empty(shapeOf(x), f32)})
        .getResult(0);
  }
  void setRole(Operation *op, GemmRole role, int64_t layer) {
    setGemmRole(op, role);
    setLayerIndex(op, layer);
  }
  SmallVector<OpFoldResult> indexAttrs(ArrayRef<int64_t> v) {
    SmallVector<OpFoldResult> r;
    for (int64_t x : v)
      r.push_back(b.getIndexAttr(x));
    return r;
  }
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> results) {
    return AffineMap::get(numDims, 0, results, ctx);
  }

  // ---- autodiff state ------------------------------------------------------
  bool isVaried(Value v) const { return varied.contains(v); }
  void accumulate(Value v, Value g) {
    auto it = adjoint.find(v);
    if (it == adjoint.end())
      adjoint[v] = g;
    else
      it->second = add(it->second, g);
  }
  /// True if `v` is (a transpose/reshape of) a parameter argument.
  bool isParameter(Value v);
  /// Role of the gradient of operand `v` of a GEMM/convolution.
  GemmRole gradRole(Value v) {
    return isParameter(v) ? GemmRole::WGrad : GemmRole::DGrad;
  }

  // ---- phases --------------------------------------------------------------
  LogicalResult cloneForward(Block &body);
  void buildLoss(Value logits, Value labels, Value &loss, Value &correct,
                 Value &dLogits);
  LogicalResult backprop(Operation *op);
  Value sgdUpdate(Value p, Value g, Value v, Value lr, Value mu, Value wd,
                  Value &newV);

  // ---- derivative rules ----------------------------------------------------
  LogicalResult backpropMatmul(linalg::MatmulOp op, Value g);
  LogicalResult backpropBatchMatmul(linalg::BatchMatmulOp op, Value g);
  LogicalResult backpropConv(linalg::Conv2DNhwcHwcfOp op, Value g);
  LogicalResult backpropPoolMax(linalg::PoolingNhwcMaxOp op, Value g);
  LogicalResult backpropElementwise(linalg::GenericOp op, Value g);
  LogicalResult backpropTensorOp(Operation *op, Value g);

  InFlightDiagnostic unsupported(Operation *op, const Twine &why) {
    Operation *orig = cloneToOrig.lookup(op);
    return (orig ? orig : op)->emitOpError()
           << "is not supported by quant4-build-training-step: " << why;
  }

  func::FuncOp fwd;
  OpBuilder &b;
  MLIRContext *ctx;
  Location loc;
  Type f32, i32;
  unsigned numParams = 0;
  int64_t batch = 0, classes = 0;

  func::FuncOp step;
  IRMapping mapping;
  llvm::DenseSet<Value> varied;
  llvm::DenseMap<Value, Value> adjoint;
  llvm::DenseMap<Operation *, int64_t> layerOf;
  llvm::DenseMap<Operation *, Operation *> cloneToOrig;
  SmallVector<Operation *> forwardOps;
  int64_t numLayers = 0;
};

LogicalResult StepBuilder::checkSignature() {
  auto bad = [&](const Twine &why) {
    return fwd.emitError("quant4-build-training-step: forward function @")
           << fwd.getName() << " " << why
           << " (expected (parameters..., batch) -> tensor<BxCxf32> logits "
              "with static shapes)";
  };
  if (fwd.isExternal())
    return bad("has no body");
  FunctionType ft = fwd.getFunctionType();
  if (ft.getNumInputs() < 2)
    return bad("needs at least one parameter and the batch argument");
  for (auto [i, t] : llvm::enumerate(ft.getInputs())) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape() || !rt.getElementType().isF32())
      return bad("has argument " + Twine(i) +
                 " that is not a statically shaped f32 tensor");
  }
  auto batchType = cast<RankedTensorType>(ft.getInputs().back());
  if (batchType.getRank() < 1)
    return bad("has a batch argument of rank 0");
  if (ft.getNumResults() != 1)
    return bad("returns " + Twine(ft.getNumResults()) + " values");
  auto lt = dyn_cast<RankedTensorType>(ft.getResult(0));
  if (!lt || lt.getRank() != 2 || !lt.hasStaticShape() ||
      !lt.getElementType().isF32())
    return bad("does not return a rank-2 f32 tensor of logits");
  if (lt.getDimSize(0) != batchType.getDimSize(0))
    return bad("returns logits for " + Twine(lt.getDimSize(0)) +
               " samples but its batch has " + Twine(batchType.getDimSize(0)));
  if (lt.getDimSize(1) < 1)
    return bad("returns logits with no class");
  if (!fwd.getBody().hasOneBlock())
    return bad("has more than one block");
  numParams = ft.getNumInputs() - 1;
  batch = lt.getDimSize(0);
  classes = lt.getDimSize(1);
  return success();
}

/// A linalg.generic that only permutes its single input (the form a
/// linalg.transpose takes once cloneForward has generalized it).
static bool isPermutingCopy(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1)
    return false;
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  if (!maps[0].isPermutation() || !maps[1].isPermutation())
    return false;
  Block *body = g.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  return body->getOperations().size() == 1 && yield.getNumOperands() == 1 &&
         yield.getOperand(0) == body->getArgument(0);
}

bool StepBuilder::isParameter(Value v) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &step.getBody().front() &&
             arg.getArgNumber() < numParams;
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (auto t = dyn_cast<linalg::TransposeOp>(def))
      v = t.getInput();
    else if (isPermutingCopy(def))
      v = def->getOperand(0);
    else if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                 tensor::ReshapeOp, tensor::CastOp>(def))
      v = def->getOperand(0);
    else
      return false;
  }
}

/// Named linalg ops whose iterators are all parallel and that have a single
/// tensor result: generalized to linalg.generic and differentiated through
/// their scalar body.
static bool isElementwiseNamed(Operation *op) {
  auto lop = dyn_cast<linalg::LinalgOp>(op);
  // linalg.transpose keeps its form (its own rule below): the recipes'
  // role analysis and straight-through surgery see through it.
  if (!lop || isa<linalg::GenericOp, linalg::FillOp, linalg::TransposeOp>(op))
    return false;
  return lop.hasPureTensorSemantics() && op->getNumResults() == 1 &&
         llvm::all_of(lop.getIteratorTypesArray(), [](IteratorType t) {
           return t == IteratorType::parallel;
         });
}

LogicalResult StepBuilder::cloneForward(Block &body) {
  IRRewriter rewriter(ctx);
  for (Operation &op : body.without_terminator()) {
    Operation *clone = b.clone(op, mapping);
    cloneToOrig[clone] = &op;
    bool isVariedOp = false;
    clone->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (isVaried(operand))
          isVariedOp = true;
    });
    if (isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp>(
            clone)) {
      layerOf[clone] = numLayers;
      setRole(clone, GemmRole::Forward, numLayers++);
    }
    if (isVariedOp && isElementwiseNamed(clone)) {
      rewriter.setInsertionPoint(clone);
      cloneToOrig.erase(clone);
      FailureOr<linalg::GenericOp> generic =
          linalg::generalizeNamedOp(rewriter, cast<linalg::LinalgOp>(clone));
      if (failed(generic))
        return op.emitOpError()
               << "is not supported by quant4-build-training-step: it could "
                  "not be generalized to linalg.generic";
      cloneToOrig[*generic] = &op;
      mapping.map(op.getResults(), (*generic)->getResults());
      clone = *generic;
      b.setInsertionPointAfter(clone);
    }
    if (isVariedOp) {
      for (Value r : clone->getResults())
        varied.insert(r);
      forwardOps.push_back(clone);
    }
  }
  return success();
}

void StepBuilder::buildLoss(Value logits, Value labels, Value &loss,
                            Value &correct, Value &dLogits) {
  AffineExpr d0, d1;
  bindDims(ctx, d0, d1);
  AffineMap id2 = map(2, {d0, d1}), row = map(2, {d0});
  AffineMap id1 = map(1, {d0}), toScalar1 = map(1, {});
  auto parRed = SmallVector<IteratorType>{IteratorType::parallel,
                                          IteratorType::reduction};
  auto par2 = SmallVector<IteratorType>{IteratorType::parallel,
                                        IteratorType::parallel};
  Value negInf = cstF(-std::numeric_limits<float>::infinity());
  Value zero = cstF(0.0);
  Value invB = cstF(1.0 / double(batch));

  // m[b] = max_c logits[b, c]
  Value rowMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({batch}, f32)}, ValueRange{logits},
          ValueRange{filled({batch}, negInf)}, ArrayRef<AffineMap>{id2, row},
          parRed,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value r = arith::MaximumFOp::create(nb, l, a[1], a[0]);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  // s[b] = sum_c exp(logits[b, c] - m[b])
  Value sumExp =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({batch}, f32)},
          ValueRange{logits, rowMax}, ValueRange{filled({batch}, zero)},
          ArrayRef<AffineMap>{id2, row, row}, parRed,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
            Value e = math::ExpOp::create(nb, l, d);
            Value r = arith::AddFOp::create(nb, l, a[2], e);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  // t[b] = logits[b, labels[b]]
  auto classIndex = [&](OpBuilder &nb, Location l) -> Value {
    Value c = linalg::IndexOp::create(nb, l, 1);
    return arith::IndexCastOp::create(nb, l, nb.getI32Type(), c);
  };
  Value target =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({batch}, f32)},
          ValueRange{logits, labels}, ValueRange{filled({batch}, zero)},
          ArrayRef<AffineMap>{id2, row, row}, parRed,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value eq = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             classIndex(nb, l), a[1]);
            Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
            Value pick = arith::SelectOp::create(nb, l, eq, a[0], z);
            Value r = arith::AddFOp::create(nb, l, a[2], pick);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  // loss = (1/B) sum_b (m[b] + log s[b] - t[b])
  Value lossSum =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({}, f32)},
          ValueRange{rowMax, sumExp, target}, ValueRange{filled({}, zero)},
          ArrayRef<AffineMap>{id1, id1, id1, toScalar1},
          ArrayRef<IteratorType>{IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value lg = math::LogOp::create(nb, l, a[1]);
            Value lse = arith::AddFOp::create(nb, l, a[0], lg);
            Value nll = arith::SubFOp::create(nb, l, lse, a[2]);
            Value r = arith::AddFOp::create(nb, l, a[3], nll);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  AffineMap scalar0 = AffineMap::get(0, 0, {}, ctx);
  loss = linalg::GenericOp::create(
             b, loc, TypeRange{tensorOf({}, f32)}, ValueRange{lossSum},
             ValueRange{empty({}, f32)}, ArrayRef<AffineMap>{scalar0, scalar0},
             ArrayRef<IteratorType>{},
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value r = arith::MulFOp::create(nb, l, a[0], invB);
               linalg::YieldOp::create(nb, l, r);
             })
             .getResult(0);
  // dlogits[b, c] = (softmax[b, c] - [c == labels[b]]) / B
  dLogits =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({batch, classes}, f32)},
          ValueRange{logits, rowMax, sumExp, labels},
          ValueRange{empty({batch, classes}, f32)},
          ArrayRef<AffineMap>{id2, row, row, row, id2}, par2,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
            Value e = math::ExpOp::create(nb, l, d);
            Value p = arith::DivFOp::create(nb, l, e, a[2]);
            Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1));
            Value pm1 = arith::SubFOp::create(nb, l, p, one);
            Value eq = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             classIndex(nb, l), a[3]);
            Value s = arith::SelectOp::create(nb, l, eq, pm1, p);
            Value r = arith::MulFOp::create(nb, l, s, invB);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  // pred[b] = first c with logits[b, c] == m[b] (C if none, e.g. NaN)
  Value pred =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({batch}, i32)},
          ValueRange{logits, rowMax}, ValueRange{filled({batch}, cstI32(classes))},
          ArrayRef<AffineMap>{id2, row, row}, parRed,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value eq = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                             a[0], a[1]);
            Value cand = arith::SelectOp::create(nb, l, eq, classIndex(nb, l),
                                                 a[2]);
            Value r = arith::MinSIOp::create(nb, l, a[2], cand);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  // correct = sum_b [pred[b] == labels[b]]
  correct =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({}, i32)}, ValueRange{pred, labels},
          ValueRange{filled({}, cstI32(0))},
          ArrayRef<AffineMap>{id1, id1, toScalar1},
          ArrayRef<IteratorType>{IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value eq = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             a[0], a[1]);
            Value one = arith::ExtUIOp::create(nb, l, nb.getI32Type(), eq);
            Value r = arith::AddIOp::create(nb, l, a[2], one);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
}

// ---- GEMMs ------------------------------------------------------------------

LogicalResult StepBuilder::backpropMatmul(linalg::MatmulOp op, Value g) {
  if (!op.hasPureTensorSemantics() || op.getInputs().size() != 2)
    return unsupported(op, "expected two tensor operands");
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  bool aT, bT;
  if (maps[0] == map(3, {m, k}))
    aT = false;
  else if (maps[0] == map(3, {k, m}))
    aT = true;
  else
    return unsupported(op, "unsupported indexing map of the left operand");
  if (maps[1] == map(3, {k, n}))
    bT = false;
  else if (maps[1] == map(3, {n, k}))
    bT = true;
  else
    return unsupported(op, "unsupported indexing map of the right operand");
  if (maps[2] != map(3, {m, n}))
    return unsupported(op, "unsupported indexing map of the result");
  Value a = op.getInputs()[0], bm = op.getInputs()[1],
        init = op.getOutputs()[0];
  int64_t layer = layerOf.lookup(op);
  auto mm = [&](Value x, Value y, GemmRole role) {
    int64_t rows = shapeOf(x)[0], cols = shapeOf(y)[1];
    Value z = filled({rows, cols}, cstF(0.0));
    auto r = linalg::MatmulOp::create(b, loc, TypeRange{z.getType()},
                                      ValueRange{x, y}, ValueRange{z});
    setRole(r, role, layer);
    return r.getResult(0);
  };
  if (isVaried(a)) {
    // dA (M x K) = dY · Bᵀ; a transposed A gets (dY · Bᵀ)ᵀ.
    Value bt = bT ? bm : transpose(bm, {1, 0});
    Value da = mm(g, bt, gradRole(a));
    accumulate(a, aT ? transpose(da, {1, 0}) : da);
  }
  if (isVaried(bm)) {
    // dB (K x N) = Aᵀ · dY; a transposed B gets (Aᵀ · dY)ᵀ.
    Value at = aT ? a : transpose(a, {1, 0});
    Value db = mm(at, g, gradRole(bm));
    accumulate(bm, bT ? transpose(db, {1, 0}) : db);
  }
  if (isVaried(init))
    accumulate(init, g);
  return success();
}

LogicalResult StepBuilder::backpropBatchMatmul(linalg::BatchMatmulOp op,
                                               Value g) {
  if (!op.hasPureTensorSemantics() || op.getInputs().size() != 2)
    return unsupported(op, "expected two tensor operands");
  if (!llvm::equal(op.getIndexingMapsArray(),
                   linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx)))
    return unsupported(op, "only the default indexing maps are supported");
  Value a = op.getInputs()[0], bm = op.getInputs()[1],
        init = op.getOutputs()[0];
  int64_t layer = layerOf.lookup(op);
  auto bmm = [&](Value x, Value y, GemmRole role) {
    Value z = filled({shapeOf(x)[0], shapeOf(x)[1], shapeOf(y)[2]}, cstF(0.0));
    auto r = linalg::BatchMatmulOp::create(b, loc, TypeRange{z.getType()},
                                           ValueRange{x, y}, ValueRange{z});
    setRole(r, role, layer);
    return r.getResult(0);
  };
  if (isVaried(a))
    accumulate(a, bmm(g, transpose(bm, {0, 2, 1}), gradRole(a)));
  if (isVaried(bm))
    accumulate(bm, bmm(transpose(a, {0, 2, 1}), g, gradRole(bm)));
  if (isVaried(init))
    accumulate(init, g);
  return success();
}

// ---- convolution and pooling --------------------------------------------------

static SmallVector<int64_t> attrValues(DenseIntElementsAttr attr) {
  SmallVector<int64_t> v;
  for (const APInt &x : attr.getValues<APInt>())
    v.push_back(x.getSExtValue());
  return v;
}

LogicalResult StepBuilder::backpropConv(linalg::Conv2DNhwcHwcfOp op, Value g) {
  if (!op.hasPureTensorSemantics())
    return unsupported(op, "expected tensor operands");
  Value x = op.getInputs()[0], w = op.getInputs()[1],
        init = op.getOutputs()[0];
  SmallVector<int64_t> s = attrValues(op.getStrides()),
                       d = attrValues(op.getDilations());
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w), ys = shapeOf(g);
  int64_t n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
  int64_t kh = ws[0], kw = ws[1], f = ws[3], oh = ys[1], ow = ys[2];
  int64_t layer = layerOf.lookup(op);
  auto conv = [&](Value in, Value filter, ArrayRef<int64_t> outShape,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                  GemmRole role) {
    Value z = filled(outShape, cstF(0.0));
    auto r = linalg::Conv2DNhwcHwcfOp::create(
        b, loc, TypeRange{z.getType()}, ValueRange{in, filter}, ValueRange{z},
        b.getI64TensorAttr(strides), b.getI64TensorAttr(dilations));
    setRole(r, role, layer);
    return r.getResult(0);
  };
  if (isVaried(x)) {
    // dX = conv(P, flip(W)ᵀ) with dilation d, stride 1, where P is dY spread
    // out by the stride and padded by (K-1)·d in front:
    //   P[n, (KH-1)·dh + oh·sh, (KW-1)·dw + ow·sw, f] = dY[n, oh, ow, f]
    //   flip(W)ᵀ[j, l, f, c] = W[KH-1-j, KW-1-l, c, f]
    // so that dX[n,h,w,c] = Σ dY[n,oh,ow,f]·W[kh,kw,c,f] over h = oh·sh+kh·dh.
    AffineExpr j, l, fe, ce;
    bindDims(ctx, j, l, fe, ce);
    AffineMap flipMap = map(4, {-j + (kh - 1), -l + (kw - 1), ce, fe});
    Value wFlip =
        linalg::GenericOp::create(
            b, loc, TypeRange{tensorOf({kh, kw, f, c}, f32)}, ValueRange{w},
            ValueRange{empty({kh, kw, f, c}, f32)},
            ArrayRef<AffineMap>{flipMap, map(4, {j, l, fe, ce})},
            SmallVector<IteratorType>(4, IteratorType::parallel),
            [&](OpBuilder &nb, Location lc, ValueRange a) {
              linalg::YieldOp::create(nb, lc, a[0]);
            })
            .getResult(0);
    int64_t padH = (kh - 1) * d[0], padW = (kw - 1) * d[1];
    Value p = filled({n, h + padH, wd + padW, f}, cstF(0.0));
    p = tensor::InsertSliceOp::create(b, loc, g, p,
                                      indexAttrs({0, padH, padW, 0}),
                                      indexAttrs({n, oh, ow, f}),
                                      indexAttrs({1, s[0], s[1], 1}));
    accumulate(x, conv(p, wFlip, {n, h, wd, c}, {1, 1}, d, gradRole(x)));
  }
  if (isVaried(w)) {
    // dW[i,j,c,f] = Σ_{n,oh,ow} X[n, oh·sh + i·dh, ow·sw + j·dw, c]·dY[n,oh,ow,f]
    // = conv(Xᵀ (C,H,W,N), dYᵀ (OH,OW,N,F)) with stride d and dilation s,
    // giving (C, KH', KW', F) with KH' >= KH; the first KH x KW are dW.
    Value xt = transpose(x, {3, 1, 2, 0});
    Value gt = transpose(g, {1, 2, 0, 3});
    int64_t khx = (h - (oh - 1) * s[0] - 1) / d[0] + 1;
    int64_t kwx = (wd - (ow - 1) * s[1] - 1) / d[1] + 1;
    Value r = conv(xt, gt, {c, khx, kwx, f}, d, s, gradRole(w));
    if (khx != kh || kwx != kw)
      r = tensor::ExtractSliceOp::create(b, loc, r, indexAttrs({0, 0, 0, 0}),
                                         indexAttrs({c, kh, kw, f}),
                                         indexAttrs({1, 1, 1, 1}));
    accumulate(w, transpose(r, {1, 2, 0, 3}));
  }
  if (isVaried(init))
    accumulate(init, g);
  return success();
}

LogicalResult StepBuilder::backpropPoolMax(linalg::PoolingNhwcMaxOp op,
                                           Value g) {
  if (!op.hasPureTensorSemantics())
    return unsupported(op, "expected tensor operands");
  Value x = op.getInputs()[0], y = op.getResult(0);
  if (isVaried(op.getOutputs()[0]) || isVaried(op.getInputs()[1]))
    return unsupported(op, "its init or window depends on a parameter");
  if (!isVaried(x))
    return success();
  SmallVector<int64_t> s = attrValues(op.getStrides()),
                       d = attrValues(op.getDilations());
  ArrayRef<int64_t> xs = shapeOf(x), ys = shapeOf(y),
                    win = shapeOf(op.getInputs()[1]);
  int64_t n = ys[0], oh = ys[1], ow = ys[2], c = ys[3], kh = win[0],
          kw = win[1];
  // A[n,oh,ow,c] = first (row-major) window offset kh·KW + kw whose input
  // equals the pooled maximum; KH·KW when there is none (NaN).
  AffineExpr en, eoh, eow, ec, ekh, ekw;
  bindDims(ctx, en, eoh, eow, ec, ekh, ekw);
  AffineMap xMap =
      map(6, {en, eoh * s[0] + ekh * d[0], eow * s[1] + ekw * d[1], ec});
  AffineMap yMap = map(6, {en, eoh, eow, ec});
  AffineMap winMap = map(6, {ekh, ekw});
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  iters.append(2, IteratorType::reduction);
  Value window = empty({kh, kw}, f32);
  Value argmax =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorOf({n, oh, ow, c}, i32)},
          ValueRange{x, y, window},
          ValueRange{filled({n, oh, ow, c}, cstI32(kh * kw))},
          ArrayRef<AffineMap>{xMap, yMap, winMap, yMap}, iters,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value i = linalg::IndexOp::create(nb, l, 4);
            Value j = linalg::IndexOp::create(nb, l, 5);
            Value kwC = arith::ConstantIndexOp::create(nb, l, kw);
            Value off = arith::AddIOp::create(
                nb, l, arith::MulIOp::create(nb, l, i, kwC), j);
            Value off32 =
                arith::IndexCastOp::create(nb, l, nb.getI32Type(), off);
            Value eq = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                             a[0], a[1]);
            Value cand = arith::SelectOp::create(nb, l, eq, off32, a[3]);
            Value r = arith::MinSIOp::create(nb, l, a[3], cand);
            linalg::YieldOp::create(nb, l, r);
          })
          .getResult(0);
  // dX: for every window offset (i, j), the strided slice of dX that this
  // offset reads gets dY where A selects (i, j).
  Value dx = filled(xs, cstF(0.0));
  AffineExpr e0, e1, e2, e3;
  bindDims(ctx, e0, e1, e2, e3);
  AffineMap id4 = map(4, {e0, e1, e2, e3});
  for (int64_t i = 0; i < kh; ++i) {
    for (int64_t j = 0; j < kw; ++j) {
      SmallVector<OpFoldResult> offs = indexAttrs({0, i * d[0], j * d[1], 0}),
                                sizes = indexAttrs({n, oh, ow, c}),
                                strides = indexAttrs({1, s[0], s[1], 1});
      Value slice =
          tensor::ExtractSliceOp::create(b, loc, dx, offs, sizes, strides);
      int64_t which = i * kw + j;
      Value upd =
          linalg::GenericOp::create(
              b, loc, TypeRange{slice.getType()},
              ValueRange{slice, g, argmax}, ValueRange{empty({n, oh, ow, c}, f32)},
              ArrayRef<AffineMap>{id4, id4, id4, id4},
              SmallVector<IteratorType>(4, IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange a) {
                Value w = arith::ConstantOp::create(
                    nb, l, nb.getI32IntegerAttr(which));
                Value eq = arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::eq, a[2], w);
                Value z =
                    arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
                Value sel = arith::SelectOp::create(nb, l, eq, a[1], z);
                Value r = arith::AddFOp::create(nb, l, a[0], sel);
                linalg::YieldOp::create(nb, l, r);
              })
              .getResult(0);
      dx = tensor::InsertSliceOp::create(b, loc, upd, dx, offs, sizes, strides);
    }
  }
  accumulate(x, dx);
  return success();
}

// ---- element-wise linalg.generic ---------------------------------------------

/// Reverse-mode differentiation of a scalar generic body that has been
/// cloned (ops in `ops`, results mapped); `seed` is the adjoint of the
/// yielded value. Returns the adjoint of `target` (null if it gets none).
static FailureOr<Value> differentiateScalarBody(OpBuilder &nb, Location l,
                                                ArrayRef<Operation *> ops,
                                                Value yielded, Value seed,
                                                Value target,
                                                Operation *&unsupportedOp) {
  // Values that depend on the target.
  llvm::DenseSet<Value> active;
  active.insert(target);
  for (Operation *op : ops)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op->getResults())
        active.insert(r);
  llvm::DenseMap<Value, Value> adj;
  adj[yielded] = seed;
  auto acc = [&](Value v, Value g) {
    if (!active.contains(v) || !isa<FloatType>(v.getType()))
      return;
    auto it = adj.find(v);
    if (it == adj.end())
      adj[v] = g;
    else
      it->second = arith::AddFOp::create(nb, l, it->second, g);
  };
  for (Operation *op : llvm::reverse(ops)) {
    if (op->getNumResults() != 1)
      continue;
    Value res = op->getResult(0);
    auto it = adj.find(res);
    if (it == adj.end() || !active.contains(res))
      continue;
    Value g = it->second;
    auto zeroOf = [&] {
      return arith::ConstantOp::create(nb, l,
                                       nb.getFloatAttr(res.getType(), 0.0));
    };
    if (auto o = dyn_cast<arith::AddFOp>(op)) {
      acc(o.getLhs(), g);
      acc(o.getRhs(), g);
    } else if (auto o = dyn_cast<arith::SubFOp>(op)) {
      acc(o.getLhs(), g);
      acc(o.getRhs(), arith::NegFOp::create(nb, l, g));
    } else if (auto o = dyn_cast<arith::MulFOp>(op)) {
      acc(o.getLhs(), arith::MulFOp::create(nb, l, g, o.getRhs()));
      acc(o.getRhs(), arith::MulFOp::create(nb, l, g, o.getLhs()));
    } else if (auto o = dyn_cast<arith::DivFOp>(op)) {
      // d(a/b) = da/b - db·(a/b)/b
      acc(o.getLhs(), arith::DivFOp::create(nb, l, g, o.getRhs()));
      Value q = arith::DivFOp::create(nb, l, res, o.getRhs());
      acc(o.getRhs(),
          arith::NegFOp::create(nb, l, arith::MulFOp::create(nb, l, g, q)));
    } else if (auto o = dyn_cast<arith::NegFOp>(op)) {
      acc(o.getOperand(), arith::NegFOp::create(nb, l, g));
    } else if (isa<arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
                   arith::MinNumFOp>(op)) {
      // The whole gradient goes to the first operand when it is selected
      // (ties included), else to the second.
      bool isMax = isa<arith::MaximumFOp, arith::MaxNumFOp>(op);
      Value lhs = op->getOperand(0), rhs = op->getOperand(1);
      Value first = arith::CmpFOp::create(
          nb, l, isMax ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE,
          lhs, rhs);
      Value zero = zeroOf();
      acc(lhs, arith::SelectOp::create(nb, l, first, g, zero));
      acc(rhs, arith::SelectOp::create(nb, l, first, zero, g));
    } else if (auto o = dyn_cast<arith::SelectOp>(op)) {
      Value zero = zeroOf();
      acc(o.getTrueValue(),
          arith::SelectOp::create(nb, l, o.getCondition(), g, zero));
      acc(o.getFalseValue(),
          arith::SelectOp::create(nb, l, o.getCondition(), zero, g));
    } else if (auto o = dyn_cast<math::ExpOp>(op)) {
      acc(o.getOperand(), arith::MulFOp::create(nb, l, g, res));
    } else if (auto o = dyn_cast<math::LogOp>(op)) {
      acc(o.getOperand(), arith::DivFOp::create(nb, l, g, o.getOperand()));
    } else if (auto o = dyn_cast<math::TanhOp>(op)) {
      Value one = arith::ConstantOp::create(
          nb, l, nb.getFloatAttr(res.getType(), 1.0));
      Value sq = arith::MulFOp::create(nb, l, res, res);
      acc(o.getOperand(), arith::MulFOp::create(
                              nb, l, g, arith::SubFOp::create(nb, l, one, sq)));
    } else if (auto o = dyn_cast<math::SqrtOp>(op)) {
      Value two = arith::AddFOp::create(nb, l, res, res);
      acc(o.getOperand(), arith::DivFOp::create(nb, l, g, two));
    } else {
      unsupportedOp = op;
      return failure();
    }
  }
  return adj.lookup(target);
}

LogicalResult StepBuilder::backpropElementwise(linalg::GenericOp op, Value g) {
  if (!op.hasPureTensorSemantics() || op.getNumResults() != 1 ||
      op.getNumDpsInits() != 1)
    return unsupported(op, "expected a single tensor result");
  if (!llvm::all_of(op.getIteratorTypesArray(), [](IteratorType t) {
        return t == IteratorType::parallel;
      }))
    return unsupported(op, "only element-wise (all-parallel) linalg.generic "
                           "ops are differentiable");
  Block &body = op.getRegion().front();
  unsigned numIns = op.getNumDpsInputs();
  if (!body.getArgument(numIns).use_empty())
    return unsupported(op, "its body reads the init (output) value");
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps.back().isPermutation())
    return unsupported(op, "its result indexing map is not a permutation");
  unsigned numLoops = op.getNumLoops();
  for (unsigned i = 0; i < numIns; ++i) {
    Value in = op.getDpsInputs()[i];
    if (!isVaried(in))
      continue;
    auto inType = dyn_cast<RankedTensorType>(in.getType());
    if (!inType || !isa<FloatType>(inType.getElementType()))
      return unsupported(op, "a parameter-dependent operand is not a float "
                             "tensor");
    if (!maps[i].isProjectedPermutation())
      return unsupported(op, "operand " + Twine(i) +
                                 " has an indexing map that is not a "
                                 "projected permutation");
    // One generic over the forward loop domain: the scalar adjoint of input
    // i, summed over the loops its map drops (broadcast dimensions).
    SmallVector<IteratorType> iters(numLoops, IteratorType::reduction);
    for (AffineExpr e : maps[i].getResults())
      iters[cast<AffineDimExpr>(e).getPosition()] = IteratorType::parallel;
    bool reduces = llvm::is_contained(iters, IteratorType::reduction);
    SmallVector<Value> ins(op.getDpsInputs());
    ins.push_back(g);
    SmallVector<AffineMap> gMaps(maps.begin(), maps.begin() + numIns);
    gMaps.push_back(maps.back());
    gMaps.push_back(maps[i]);
    Value init = reduces ? zerosLike(in) : empty(inType.getShape(), f32);
    Operation *bad = nullptr;
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{inType}, ins, ValueRange{init}, gMaps, iters,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          IRMapping bm;
          for (unsigned k = 0; k < numIns; ++k)
            bm.map(body.getArgument(k), a[k]);
          SmallVector<Operation *> cloned;
          for (Operation &bop : body.without_terminator())
            cloned.push_back(nb.clone(bop, bm));
          Value yielded = bm.lookupOrDefault(
              body.getTerminator()->getOperand(0));
          FailureOr<Value> d = differentiateScalarBody(
              nb, l, cloned, yielded, a[numIns], a[i], bad);
          Value r;
          if (failed(d) || !*d)
            r = arith::ConstantOp::create(
                nb, l, nb.getFloatAttr(inType.getElementType(), 0.0));
          else
            r = *d;
          if (reduces)
            r = arith::AddFOp::create(nb, l, a[numIns + 1], r);
          linalg::YieldOp::create(nb, l, r);
        });
    if (bad) {
      Operation *orig = nullptr;
      // Name the op of the forward function's body, not of the copy.
      if (Operation *fo = cloneToOrig.lookup(op))
        if (auto fg = dyn_cast<linalg::GenericOp>(fo))
          for (Operation &o : fg.getRegion().front())
            if (o.getName() == bad->getName())
              orig = &o;
      (orig ? orig : bad)->emitOpError()
          << "in the body of a linalg.generic is not differentiable by "
             "quant4-build-training-step (supported: arith.addf, subf, mulf, "
             "divf, negf, maximumf, minimumf, maxnumf, minnumf, select, "
             "math.exp, log, tanh, sqrt)";
      generic.erase();
      return failure();
    }
    accumulate(in, generic.getResult(0));
  }
  return success();
}

// ---- tensor shape ops -----------------------------------------------------------

LogicalResult StepBuilder::backpropTensorOp(Operation *op, Value g) {
  if (auto o = dyn_cast<tensor::CollapseShapeOp>(op)) {
    if (isVaried(o.getSrc()))
      accumulate(o.getSrc(),
                 tensor::ExpandShapeOp::create(b, loc, o.getSrcType(), g,
                                               o.getReassociationIndices()));
    return success();
  }
  if (auto o = dyn_cast<tensor::ExpandShapeOp>(op)) {
    if (isVaried(o.getSrc()))
      accumulate(o.getSrc(),
                 tensor::CollapseShapeOp::create(b, loc, o.getSrcType(), g,
                                                 o.getReassociationIndices()));
    return success();
  }
  if (auto o = dyn_cast<tensor::ReshapeOp>(op)) {
    auto srcType = cast<RankedTensorType>(o.getSource().getType());
    if (isVaried(o.getShape()))
      return unsupported(op, "its shape operand depends on a parameter");
    if (isVaried(o.getSource())) {
      auto shapeType =
          RankedTensorType::get({srcType.getRank()}, b.getI64Type());
      Value shape = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(shapeType, srcType.getShape()));
      accumulate(o.getSource(),
                 tensor::ReshapeOp::create(b, loc, srcType, g, shape));
    }
    return success();
  }
  if (auto o = dyn_cast<tensor::PadOp>(op)) {
    if (!o.getLow().empty() || !o.getHigh().empty())
      return unsupported(op, "only static padding is supported");
    Value pv = o.getConstantPaddingValue();
    if (!pv || isVaried(pv))
      return unsupported(op, "the padding value must be a constant");
    if (isVaried(o.getSource())) {
      ArrayRef<int64_t> srcShape = shapeOf(o.getSource());
      accumulate(o.getSource(),
                 tensor::ExtractSliceOp::create(
                     b, loc, g, indexAttrs(o.getStaticLow()),
                     indexAttrs(srcShape),
                     indexAttrs(SmallVector<int64_t>(srcShape.size(), 1))));
    }
    return success();
  }
  if (auto o = dyn_cast<tensor::ExtractSliceOp>(op)) {
    if (!o.getOffsets().empty() || !o.getSizes().empty() ||
        !o.getStrides().empty() ||
        o.getResultType().getRank() != o.getSourceType().getRank())
      return unsupported(op, "only static, rank-preserving slices are "
                             "supported");
    if (isVaried(o.getSource()))
      accumulate(o.getSource(),
                 tensor::InsertSliceOp::create(b, loc, g,
                                               zerosLike(o.getSource()),
                                               o.getMixedOffsets(),
                                               o.getMixedSizes(),
                                               o.getMixedStrides()));
    return success();
  }
  if (auto o = dyn_cast<tensor::InsertSliceOp>(op)) {
    if (!o.getOffsets().empty() || !o.getSizes().empty() ||
        !o.getStrides().empty() ||
        o.getSourceType().getRank() != o.getResultType().getRank())
      return unsupported(op, "only static, rank-preserving slices are "
                             "supported");
    if (isVaried(o.getSource()))
      accumulate(o.getSource(),
                 tensor::ExtractSliceOp::create(b, loc, g, o.getMixedOffsets(),
                                                o.getMixedSizes(),
                                                o.getMixedStrides()));
    if (isVaried(o.getDest()))
      accumulate(o.getDest(),
                 tensor::InsertSliceOp::create(b, loc, zerosLike(o.getSource()),
                                               g, o.getMixedOffsets(),
                                               o.getMixedSizes(),
                                               o.getMixedStrides()));
    return success();
  }
  if (auto o = dyn_cast<tensor::CastOp>(op)) {
    if (isVaried(o.getSource()) &&
        o.getSource().getType() == o.getType())
      accumulate(o.getSource(), g);
    else if (isVaried(o.getSource()))
      return unsupported(op, "only casts between identical types are "
                             "supported");
    return success();
  }
  return unsupported(op, "it has no derivative rule");
}

LogicalResult StepBuilder::backprop(Operation *op) {
  Value g = op->getNumResults() == 1 ? adjoint.lookup(op->getResult(0))
                                     : Value();
  bool needed = static_cast<bool>(g);
  // Ops that depend on a parameter but do not reach the loss still need a
  // rule: an unsupported op is reported wherever it is.
  if (!needed) {
    if (isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp,
            linalg::PoolingNhwcMaxOp, linalg::GenericOp, linalg::TransposeOp,
            tensor::CollapseShapeOp,
            tensor::ExpandShapeOp, tensor::ReshapeOp, tensor::PadOp,
            tensor::ExtractSliceOp, tensor::InsertSliceOp, tensor::CastOp>(op))
      return success();
    if (isa<linalg::FillOp>(op))
      return unsupported(op, "its fill value depends on a parameter");
    return unsupported(op, "it has no derivative rule");
  }
  if (op->getNumResults() != 1)
    return unsupported(op, "it has more than one result");
  if (auto o = dyn_cast<linalg::MatmulOp>(op))
    return backpropMatmul(o, g);
  if (auto o = dyn_cast<linalg::BatchMatmulOp>(op))
    return backpropBatchMatmul(o, g);
  if (auto o = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op))
    return backpropConv(o, g);
  if (auto o = dyn_cast<linalg::PoolingNhwcMaxOp>(op))
    return backpropPoolMax(o, g);
  if (auto o = dyn_cast<linalg::GenericOp>(op))
    return backpropElementwise(o, g);
  if (auto t = dyn_cast<linalg::TransposeOp>(op)) {
    // The adjoint of a permutation is the inverse permutation.
    if (!t.hasPureTensorSemantics())
      return unsupported(op, "expected tensor semantics");
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = int64_t(i);
    if (isVaried(t.getInput()))
      accumulate(t.getInput(), transpose(g, inverse));
    return success();
  }
  if (isa<linalg::FillOp>(op))
    return unsupported(op, "its fill value depends on a parameter");
  if (op->getDialect() && op->getDialect()->getNamespace() == "tensor")
    return backpropTensorOp(op, g);
  return unsupported(op, "it has no derivative rule");
}

Value StepBuilder::sgdUpdate(Value p, Value g, Value v, Value lr, Value mu,
                             Value wd, Value &newV) {
  auto type = cast<RankedTensorType>(p.getType());
  unsigned rank = type.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{type, type}, ValueRange{p, g, v},
      ValueRange{empty(type.getShape(), f32), empty(type.getShape(), f32)},
      SmallVector<AffineMap>(5, id),
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        // g' = g + wd·p;  v' = mu·v + g';  p' = p - lr·v'
        Value g2 = arith::AddFOp::create(
            nb, l, a[1], arith::MulFOp::create(nb, l, wd, a[0]));
        Value v2 = arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, mu, a[2]), g2);
        Value p2 = arith::SubFOp::create(
            nb, l, a[0], arith::MulFOp::create(nb, l, lr, v2));
        linalg::YieldOp::create(nb, l, ValueRange{p2, v2});
      });
  newV = op.getResult(1);
  return op.getResult(0);
}

FailureOr<func::FuncOp> StepBuilder::build() {
  FunctionType ft = fwd.getFunctionType();
  ArrayRef<Type> paramTypes = ft.getInputs().drop_back();
  Type batchType = ft.getInputs().back();
  auto scalarF32 = tensorOf({}, f32);
  SmallVector<Type> argTypes(paramTypes);
  argTypes.append(paramTypes.begin(), paramTypes.end());
  argTypes.push_back(batchType);
  argTypes.push_back(tensorOf({batch}, i32));
  argTypes.append(3, scalarF32);
  SmallVector<Type> resultTypes(paramTypes);
  resultTypes.append(paramTypes.begin(), paramTypes.end());
  resultTypes.push_back(scalarF32);
  resultTypes.push_back(tensorOf({}, i32));

  std::string name = (fwd.getName() + "_train_step").str();
  b.setInsertionPointAfter(fwd);
  step = func::FuncOp::create(b, loc, name,
                              FunctionType::get(ctx, argTypes, resultTypes));
  Block *entry = step.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // Argument and result attributes for drivers.
  auto paramName = [&](unsigned i) -> std::string {
    if (Slot s = getArgumentSlot(fwd, i); s.kind == SlotKind::Param)
      return s.name.str();
    return "p" + std::to_string(i);
  };
  auto setArg = [&](unsigned i, SlotKind kind, StringRef name = {}) {
    NamedAttribute a = getSlotAttr(ctx, kind, name);
    step.setArgAttr(i, a.getName(), a.getValue());
  };
  auto setResult = [&](unsigned i, SlotKind kind, StringRef name = {}) {
    NamedAttribute a = getSlotAttr(ctx, kind, name);
    step.setResultAttr(i, a.getName(), a.getValue());
  };
  for (unsigned i = 0; i < numParams; ++i) {
    std::string n = paramName(i);
    setArg(i, SlotKind::Param, n);
    setArg(numParams + i, SlotKind::Momentum, n);
    setResult(i, SlotKind::Param, n);
    setResult(numParams + i, SlotKind::Momentum, n);
  }
  unsigned xArg = 2 * numParams;
  setArg(xArg, SlotKind::Batch);
  setArg(xArg + 1, SlotKind::Labels);
  const HyperParam hypers[] = {HyperParam::LearningRate, HyperParam::Momentum,
                               HyperParam::WeightDecay};
  for (auto [i, h] : llvm::enumerate(hypers))
    setArg(xArg + 2 + i, SlotKind::Hyper, stringifyHyperParam(h));
  setResult(2 * numParams, SlotKind::Loss);
  setResult(2 * numParams + 1, SlotKind::Correct);
  setForwardFunction(step, fwd.getNameAttr());

  // Forward.
  Block &body = fwd.getBody().front();
  for (unsigned i = 0; i < numParams; ++i) {
    mapping.map(body.getArgument(i), entry->getArgument(i));
    varied.insert(entry->getArgument(i));
  }
  mapping.map(body.getArgument(numParams), entry->getArgument(xArg));
  if (failed(cloneForward(body)))
    return failure();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value logits = mapping.lookup(ret.getOperand(0));
  setNumLayers(step, numLayers);

  // Loss.
  Value loss, correct, dLogits;
  buildLoss(logits, entry->getArgument(xArg + 1), loss, correct, dLogits);

  // Backward.
  if (isVaried(logits))
    adjoint[logits] = dLogits;
  for (Operation *op : llvm::reverse(forwardOps))
    if (failed(backprop(op)))
      return failure();

  // Update.
  Value lr = tensor::ExtractOp::create(b, loc, entry->getArgument(xArg + 2),
                                       ValueRange{});
  Value mu = tensor::ExtractOp::create(b, loc, entry->getArgument(xArg + 3),
                                       ValueRange{});
  Value wd = tensor::ExtractOp::create(b, loc, entry->getArgument(xArg + 4),
                                       ValueRange{});
  SmallVector<Value> results, momenta;
  for (unsigned i = 0; i < numParams; ++i) {
    Value p = entry->getArgument(i);
    Value g = adjoint.lookup(p);
    if (!g)
      g = zerosLike(p);
    Value newV;
    results.push_back(sgdUpdate(p, g, entry->getArgument(numParams + i), lr,
                                mu, wd, newV));
    momenta.push_back(newV);
  }
  results.append(momenta.begin(), momenta.end());
  results.push_back(loss);
  results.push_back(correct);
  func::ReturnOp::create(b, loc, results);

  // Drop what the derivative rules cloned but do not use (e.g. the forward
  // part of a differentiated generic body, unused forward values).
  step.walk<WalkOrder::PostOrder, mlir::ReverseIterator>([](Operation *op) {
    if (isOpTriviallyDead(op))
      op->erase();
  });
  return step;
}

struct BuildTrainingStepPass
    : mlir::quant4::impl::Quant4BuildTrainingStepBase<BuildTrainingStepPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> forwards;
    if (!forwardFunctions.empty()) {
      for (const std::string &name : forwardFunctions) {
        auto fn = module.lookupSymbol<func::FuncOp>(name);
        if (!fn) {
          // At the module's location, not on the module: a diagnostic on an
          // op prints the op (the whole module) as a note.
          mlir::emitError(module.getLoc(),
                          "quant4-build-training-step: no function @")
              << name << " in the module";
          return signalPassFailure();
        }
        forwards.push_back(fn);
      }
    } else {
      for (auto fn : module.getOps<func::FuncOp>())
        // Not a step's or a parameters function (quant4.params_of: the
        // ONNX importer's @<name>_params returns values, it is no model).
        if (fn.isPublic() && !fn.isExternal() &&
            !getForwardFunction(fn) && !getParamsOf(fn))
          forwards.push_back(fn);
    }
    OpBuilder b(module.getContext());
    bool failedAny = false;
    for (func::FuncOp fn : forwards) {
      std::string name = (fn.getName() + "_train_step").str();
      if (module.lookupSymbol(name)) {
        fn.emitError("quant4-build-training-step: @")
            << name << " already exists";
        failedAny = true;
        continue;
      }
      StepBuilder sb(fn, b);
      if (failed(sb.checkSignature())) {
        failedAny = true;
        continue;
      }
      FailureOr<func::FuncOp> step = sb.build();
      if (failed(step)) {
        // Drop the half-built function.
        if (auto partial = module.lookupSymbol<func::FuncOp>(name))
          partial.erase();
        failedAny = true;
      }
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
