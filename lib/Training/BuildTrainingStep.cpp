//===- BuildTrainingStep.cpp - forward function -> joint training step ----===//
//
// quant4-build-training-step: clones a forward function (parameters + batch
// -> logits) into @<name>_train_step, appends the softmax cross-entropy loss
// and the count of correct predictions, differentiates the forward ops in
// reverse order (reverse-mode AD on tensors: each op's derivative rule is
// its AdjointOpInterface, attached by lib/Training/Rules), and applies the
// optimizer update (SGD with momentum and weight decay, or AdamW); with
// `split`, the update is a function of its own (@<name>_update_step) and
// the step (@<name>_grad_step) returns the gradients. docs/Training.md
// describes the contract.
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
#include "quant4/Training/AdjointOpInterface.h"
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

/// Sets `loc` (the builder's location for the ops it creates) to `scoped`
/// until the end of the scope.
class LocationScope {
public:
  LocationScope(Location &loc, Location scoped) : loc(loc), saved(loc) {
    loc = scoped;
  }
  ~LocationScope() { loc = saved; }

private:
  Location &loc;
  Location saved;
};

using utils::IteratorType;

/// Builds the training step of one forward function. It is the context of
/// the derivative rules (AdjointOpInterface, lib/Training/Rules): they see
/// its adjoints, its set of varied values and its GEMM tagging.
class StepBuilder : public AdjointContext {
public:
  StepBuilder(func::FuncOp forward, Optimizer optimizer, bool split,
              OpBuilder &b)
      : AdjointContext(b, forward.getLoc()), fwd(forward), optimizer(optimizer),
        split(split), ctx(forward.getContext()), f32(Float32Type::get(ctx)),
        i32(IntegerType::get(ctx, 32)) {}

  /// Checks the forward signature; emits a diagnostic on failure.
  LogicalResult checkSignature();
  /// Creates @<name>_train_step after the forward function (split:
  /// @<name>_grad_step and @<name>_update_step; the first is returned).
  FailureOr<func::FuncOp> build();
  /// The names of the functions build() creates.
  SmallVector<std::string> stepNames() const;

  // ---- AdjointContext --------------------------------------------------------
  Value adjointOf(Value result) override { return adjoint.lookup(result); }
  bool isVaried(Value v) override { return varied.contains(v); }
  void accumulate(Value v, Value g) override {
    auto it = adjoint.find(v);
    if (it == adjoint.end())
      adjoint[v] = g;
    else
      it->second = add(it->second, g);
  }
  GemmRole gradRole(Value v) override {
    return isParameter(v) ? GemmRole::WGrad : GemmRole::DGrad;
  }
  void tagGemm(Operation *gemm, Operation *forward, GemmRole role) override {
    setGemmRole(gemm, role);
    setLayerIndex(gemm, layerOf.lookup(forward));
    if (StringAttr name = getLayerName(forward))
      setLayerName(gemm, name.getValue());
  }
  InFlightDiagnostic unsupported(Operation *op, const Twine &why) override {
    return originalOf(op)->emitOpError()
           << "is not supported by quant4-build-training-step: " << why;
  }
  Operation *originalOf(Operation *op) override {
    Operation *orig = cloneToOrig.lookup(op);
    return orig ? orig : op;
  }

private:
  RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type et) {
    return RankedTensorType::get(shape, et);
  }
  Value cstF(double v) { return constantFloat(v); }
  Value cstI32(int64_t v) { return constantI32(v); }

  /// True if `v` is (a transpose/reshape of) a parameter argument.
  bool isParameter(Value v);

  // ---- phases --------------------------------------------------------------
  LogicalResult cloneForward(Block &body);
  /// The loss of logits `[B, ..., C]` against labels `[B, ...]`: every
  /// position is a sample.
  void buildLoss(Value logits, Value labels, Value &loss, Value &correct,
                 Value &dLogits);
  /// The same on `rows` samples: logits `[rows, C]`, labels `[rows]`.
  void buildRowLoss(Value logits, Value labels, Value &loss, Value &correct,
                    Value &dLogits);
  /// Calls `op`'s derivative rule.
  LogicalResult backprop(Operation *op);
  Value sgdUpdate(Value p, Value g, Value v, Value lr, Value mu, Value wd,
                  Value &newV);
  /// AdamW with bias correction (`bc1 = 1 - beta1^t`, `bc2 = 1 - beta2^t`).
  Value adamwUpdate(Value p, Value g, Value m, Value v, ValueRange hypers,
                    Value bc1, Value bc2, Value &newM, Value &newV);
  /// The optimizer update of every parameter (at the builder's insertion
  /// point): the new parameters and the new optimizer state (kind by kind,
  /// parameter by parameter). `state` holds the optimizer state arguments
  /// in the same order, `hyper` the hyper-parameter arguments.
  void buildUpdate(ValueRange params, ValueRange grads, ValueRange state,
                   ValueRange hyper, SmallVectorImpl<Value> &newParams,
                   SmallVectorImpl<Value> &newState);
  /// @<name>_update_step (split): parameters, gradients, optimizer state,
  /// hyper-parameters -> new parameters, new optimizer state.
  func::FuncOp buildUpdateFunction();
  /// The hyper-parameters of the optimizer, in argument order.
  SmallVector<HyperParam> hyperParams() const;
  /// Per parameter, the kinds of its optimizer state.
  SmallVector<SlotKind> optimizerSlots() const;

  func::FuncOp fwd;
  Optimizer optimizer;
  bool split;
  MLIRContext *ctx;
  Type f32, i32;
  /// The forward's arguments before the batch: parameters and buffers.
  unsigned numModelArgs = 0;
  /// The forward ends with an i64 quant4.seed argument (after the batch).
  bool hasSeed = false;
  SmallVector<bool> isBuffer;        // per model argument
  SmallVector<int> bufferResult;     // per model argument: forward result, -1
  SmallVector<unsigned> paramArgs;   // model arguments that are parameters
  int64_t rows = 0, classes = 0;     // loss samples (B·T...), classes
  SmallVector<int64_t> labelsShape;  // the logits' shape without C

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
           << " (expected (parameters and buffers..., batch[, i64 seed]) -> "
              "(logits tensor<Bx...xCxf32>, updated buffers...) with static "
              "shapes)";
  };
  if (fwd.isExternal())
    return bad("has no body");
  FunctionType ft = fwd.getFunctionType();
  // A last i64 argument tagged quant4.seed (random dropout) follows the
  // batch; the step takes it as its own seed argument.
  hasSeed = hasSeedArgument(fwd);
  if (hasSeed && !ft.getInputs().back().isSignlessInteger(64))
    return bad("has a quant4.seed argument that is not an i64");
  unsigned numTensorArgs = ft.getNumInputs() - (hasSeed ? 1 : 0);
  if (numTensorArgs < 2)
    return bad("needs at least one parameter and the batch argument");
  numModelArgs = numTensorArgs - 1;
  for (auto [i, t] : llvm::enumerate(ft.getInputs().take_front(numTensorArgs))) {
    auto rt = dyn_cast<RankedTensorType>(t);
    bool isBatch = i == numModelArgs;
    // Parameters and buffers are f32; the batch is f32 (images, features)
    // or integer (token ids).
    if (!rt || !rt.hasStaticShape() ||
        !(rt.getElementType().isF32() ||
          (isBatch && rt.getElementType().isSignlessInteger())))
      return bad("has argument " + Twine(i) + " that is not a statically "
                 "shaped " + (isBatch ? "f32 or integer" : "f32") + " tensor");
    if (isBatch)
      continue;
    bool buffer = getArgumentSlot(fwd, i).kind == SlotKind::Buffer;
    isBuffer.push_back(buffer);
    bufferResult.push_back(-1);
    if (!buffer)
      paramArgs.push_back(i);
  }
  if (paramArgs.empty())
    return bad("has no parameter (every argument before the batch is a "
               "buffer)");
  auto batchType = cast<RankedTensorType>(ft.getInput(numModelArgs));
  if (batchType.getRank() < 1)
    return bad("has a batch argument of rank 0");
  if (ft.getNumResults() < 1)
    return bad("returns no logits");
  // Results after the logits: updated buffers, each named like its
  // argument and of its type.
  for (unsigned r = 1; r < ft.getNumResults(); ++r) {
    Slot slot = getResultSlot(fwd, r);
    int arg = -1;
    for (unsigned i = 0; slot.kind == SlotKind::Buffer && i < numModelArgs; ++i)
      if (isBuffer[i] && getArgumentSlot(fwd, i).name == slot.name)
        arg = int(i);
    if (arg < 0)
      return bad("returns " + Twine(ft.getNumResults()) +
                 " values and result " + Twine(r) +
                 " is not an updated buffer (quant4.buffer naming a buffer "
                 "argument)");
    if (bufferResult[arg] >= 0)
      return bad("updates buffer '" + slot.name + "' twice");
    if (ft.getResult(r) != ft.getInput(arg))
      return bad("returns buffer '" + slot.name + "' with another type than "
                 "its argument's");
    bufferResult[arg] = int(r);
  }
  auto lt = dyn_cast<RankedTensorType>(ft.getResult(0));
  if (!lt || lt.getRank() < 2 || !lt.hasStaticShape() ||
      !lt.getElementType().isF32())
    return bad("does not return an f32 tensor of logits of rank 2 or more");
  if (lt.getDimSize(0) != batchType.getDimSize(0))
    return bad("returns logits for " + Twine(lt.getDimSize(0)) +
               " samples but its batch has " + Twine(batchType.getDimSize(0)));
  if (lt.getShape().back() < 1)
    return bad("returns logits with no class");
  if (!fwd.getBody().hasOneBlock())
    return bad("has more than one block");
  labelsShape.assign(lt.getShape().begin(), lt.getShape().end() - 1);
  rows = 1;
  for (int64_t d : labelsShape)
    rows *= d;
  classes = lt.getShape().back();
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
             arg.getArgNumber() < numModelArgs &&
             !isBuffer[arg.getArgNumber()];
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
    if (isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp,
            linalg::DepthwiseConv2DNhwcHwcOp, linalg::Conv2DNhwgcGfhwcOp>(
            clone)) {
      layerOf[clone] = numLayers;
      setGemmRole(clone, GemmRole::Forward);
      // A GEMM of two activations (attention) has no parameter to name its
      // layer after: name it, so that role analysis groups its backward
      // GEMMs with it (docs/Recipes.md, R5).
      // The forward function's GEMM gets the same name and role, so that a
      // recipe applied to the forward (the evaluation model) classifies it.
      if (!llvm::any_of(clone->getOperands().take_front(2),
                        [&](Value v) { return isParameter(v); })) {
        std::string name = "gemm" + std::to_string(numLayers);
        setLayerName(clone, name);
        setLayerName(&op, name);
        setGemmRole(&op, GemmRole::Forward);
      }
      setLayerIndex(clone, numLayers++);
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
  auto lt = cast<RankedTensorType>(logits.getType());
  if (lt.getRank() == 2)
    return buildRowLoss(logits, labels, loss, correct, dLogits);
  // [B, T, ..., C] -> [B·T·..., C]: every position is a sample (next-token
  // prediction), the loss their mean.
  ReassociationIndices leading;
  for (int64_t d = 0; d + 1 < lt.getRank(); ++d)
    leading.push_back(d);
  SmallVector<ReassociationIndices> toRows = {leading, {lt.getRank() - 1}};
  SmallVector<ReassociationIndices> toRow = {leading};
  Value flat = tensor::CollapseShapeOp::create(b, loc, logits, toRows);
  Value flatLabels = tensor::CollapseShapeOp::create(b, loc, labels, toRow);
  Value dFlat;
  buildRowLoss(flat, flatLabels, loss, correct, dFlat);
  dLogits = tensor::ExpandShapeOp::create(b, loc, lt, dFlat, toRows);
}

void StepBuilder::buildRowLoss(Value logits, Value labels, Value &loss,
                               Value &correct, Value &dLogits) {
  int64_t batch = rows;
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

LogicalResult StepBuilder::backprop(Operation *op) {
  auto rule = dyn_cast<AdjointOpInterface>(op);
  bool needed = llvm::any_of(op->getResults(),
                             [&](Value r) { return adjoint.contains(r); });
  // Ops that depend on a parameter but do not reach the loss still need a
  // rule: an op without one is reported wherever it is.
  if (!rule)
    return unsupported(op, "it has no derivative rule (AdjointOpInterface)");
  if (!needed)
    return success();
  // The derivative's ops carry the location of the op they differentiate
  // (an ONNX node's name): diagnostics and the profile name the layer.
  LocationScope scope(loc, op->getLoc());
  return rule.buildAdjoint(*this);
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

Value StepBuilder::adamwUpdate(Value p, Value g, Value m, Value v,
                               ValueRange hypers, Value bc1, Value bc2,
                               Value &newM, Value &newV) {
  auto type = cast<RankedTensorType>(p.getType());
  unsigned rank = type.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  Value lr = hypers[0], b1 = hypers[1], b2 = hypers[2], eps = hypers[3],
        wd = hypers[4];
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{type, type, type}, ValueRange{p, g, m, v},
      ValueRange{empty(type.getShape(), f32), empty(type.getShape(), f32),
                 empty(type.getShape(), f32)},
      SmallVector<AffineMap>(7, id),
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        auto mul = [&](Value x, Value y) {
          return arith::MulFOp::create(nb, l, x, y).getResult();
        };
        auto add = [&](Value x, Value y) {
          return arith::AddFOp::create(nb, l, x, y).getResult();
        };
        auto sub = [&](Value x, Value y) {
          return arith::SubFOp::create(nb, l, x, y).getResult();
        };
        auto div = [&](Value x, Value y) {
          return arith::DivFOp::create(nb, l, x, y).getResult();
        };
        Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1));
        // p1 = p - lr·wd·p (decoupled weight decay)
        // m' = b1·m + (1 - b1)·g;  v' = b2·v + (1 - b2)·g²
        // p' = p1 - lr·(m'/bc1) / (sqrt(v'/bc2) + eps)
        Value pv = a[0], gv = a[1];
        Value p1 = sub(pv, mul(mul(lr, wd), pv));
        Value m2 = add(mul(b1, a[2]), mul(sub(one, b1), gv));
        Value v2 = add(mul(b2, a[3]), mul(sub(one, b2), mul(gv, gv)));
        Value denom =
            add(math::SqrtOp::create(nb, l, div(v2, bc2)).getResult(), eps);
        Value p2 = sub(p1, div(mul(lr, div(m2, bc1)), denom));
        linalg::YieldOp::create(nb, l, ValueRange{p2, m2, v2});
      });
  newM = op.getResult(1);
  newV = op.getResult(2);
  return op.getResult(0);
}

SmallVector<HyperParam> StepBuilder::hyperParams() const {
  if (optimizer == Optimizer::AdamW)
    return {HyperParam::LearningRate, HyperParam::Beta1, HyperParam::Beta2,
            HyperParam::Epsilon, HyperParam::WeightDecay, HyperParam::Step};
  return {HyperParam::LearningRate, HyperParam::Momentum,
          HyperParam::WeightDecay};
}

SmallVector<SlotKind> StepBuilder::optimizerSlots() const {
  if (optimizer == Optimizer::AdamW)
    return {SlotKind::Momentum, SlotKind::SecondMoment};
  return {SlotKind::Momentum};
}

FailureOr<func::FuncOp> StepBuilder::build() {
  // Arguments: the model arguments (parameters and buffers, in the
  // forward's order), the optimizer state of each parameter (kind by kind),
  // the batch, the labels, the hyper-parameters. Results: the updated model
  // arguments, the updated optimizer state, the loss, the correct count.
  FunctionType ft = fwd.getFunctionType();
  ArrayRef<Type> modelTypes = ft.getInputs().take_front(numModelArgs);
  SmallVector<SlotKind> stateKinds = optimizerSlots();
  SmallVector<HyperParam> hypers = hyperParams();
  auto scalarF32 = tensorOf({}, f32);
  SmallVector<Type> stateTypes;
  for (unsigned k = 0; k < stateKinds.size(); ++k)
    for (unsigned i : paramArgs)
      stateTypes.push_back(modelTypes[i]);
  // Split: the gradient function has no optimizer state or
  // hyper-parameters; it returns the gradients and the buffers instead.
  if (split) {
    stateKinds.clear();
    stateTypes.clear();
    hypers.clear();
  }
  SmallVector<Type> argTypes(modelTypes);
  argTypes.append(stateTypes);
  argTypes.push_back(ft.getInput(numModelArgs));
  argTypes.push_back(tensorOf(labelsShape, i32));
  argTypes.append(hypers.size(), scalarF32);
  if (hasSeed)
    argTypes.push_back(ft.getInputs().back());
  SmallVector<Type> resultTypes;
  if (split) {
    for (unsigned i : paramArgs)
      resultTypes.push_back(modelTypes[i]);
    for (unsigned i = 0; i < numModelArgs; ++i)
      if (isBuffer[i])
        resultTypes.push_back(modelTypes[i]);
  } else {
    resultTypes.assign(modelTypes.begin(), modelTypes.end());
    resultTypes.append(stateTypes);
  }
  resultTypes.push_back(scalarF32);
  resultTypes.push_back(tensorOf({}, i32));

  std::string name = stepNames().front();
  b.setInsertionPointAfter(fwd);
  step = func::FuncOp::create(b, loc, name,
                              FunctionType::get(ctx, argTypes, resultTypes));
  Block *entry = step.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // Argument and result attributes for drivers.
  auto modelArgName = [&](unsigned i) -> std::string {
    Slot s = getArgumentSlot(fwd, i);
    if (s.kind == SlotKind::Param || s.kind == SlotKind::Buffer)
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
  for (unsigned i = 0; i < numModelArgs; ++i) {
    SlotKind kind = isBuffer[i] ? SlotKind::Buffer : SlotKind::Param;
    setArg(i, kind, modelArgName(i));
    if (!split)
      setResult(i, kind, modelArgName(i));
  }
  if (split) {
    unsigned r = 0;
    for (unsigned i : paramArgs)
      setResult(r++, SlotKind::Grad, modelArgName(i));
    for (unsigned i = 0; i < numModelArgs; ++i)
      if (isBuffer[i])
        setResult(r++, SlotKind::Buffer, modelArgName(i));
  }
  unsigned stateArg = numModelArgs, numParams = paramArgs.size();
  for (auto [k, kind] : llvm::enumerate(stateKinds))
    for (auto [j, i] : llvm::enumerate(paramArgs)) {
      setArg(stateArg + k * numParams + j, kind, modelArgName(i));
      setResult(stateArg + k * numParams + j, kind, modelArgName(i));
    }
  unsigned xArg = stateArg + stateKinds.size() * numParams;
  setArg(xArg, SlotKind::Batch);
  setArg(xArg + 1, SlotKind::Labels);
  for (auto [i, h] : llvm::enumerate(hypers))
    setArg(xArg + 2 + i, SlotKind::Hyper, stringifyHyperParam(h));
  if (hasSeed)
    setArg(xArg + 2 + hypers.size(), SlotKind::Seed);
  // The results repeat the arguments before the batch (split: gradients
  // and buffers), then loss, correct.
  unsigned lossResult = resultTypes.size() - 2;
  setResult(lossResult, SlotKind::Loss);
  setResult(lossResult + 1, SlotKind::Correct);
  setForwardFunction(step, fwd.getNameAttr());

  // Forward.
  Block &body = fwd.getBody().front();
  for (unsigned i = 0; i < numModelArgs; ++i) {
    mapping.map(body.getArgument(i), entry->getArgument(i));
    if (!isBuffer[i])
      varied.insert(entry->getArgument(i));
  }
  mapping.map(body.getArgument(numModelArgs), entry->getArgument(xArg));
  if (hasSeed)
    mapping.map(body.getArguments().back(), entry->getArguments().back());
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

  // Update (split: the gradients, returned).
  SmallVector<Value> results;
  SmallVector<Value> params, grads, stateArgs, hyperArgs;
  for (unsigned i : paramArgs) {
    Value p = entry->getArgument(i);
    Value g = adjoint.lookup(p);
    params.push_back(p);
    grads.push_back(g ? g : zerosLike(p));
  }
  auto bufferValue = [&](unsigned i) {
    // A buffer: the forward's update of it, else unchanged.
    return bufferResult[i] >= 0
               ? mapping.lookup(ret.getOperand(bufferResult[i]))
               : entry->getArgument(i);
  };
  if (split) {
    results.append(grads);
    for (unsigned i = 0; i < numModelArgs; ++i)
      if (isBuffer[i])
        results.push_back(bufferValue(i));
  } else {
    for (unsigned k = 0; k < stateTypes.size(); ++k)
      stateArgs.push_back(entry->getArgument(stateArg + k));
    for (unsigned i = 0; i < hypers.size(); ++i)
      hyperArgs.push_back(entry->getArgument(xArg + 2 + i));
    SmallVector<Value> newParams, newState;
    buildUpdate(params, grads, stateArgs, hyperArgs, newParams, newState);
    results.resize(numModelArgs);
    for (unsigned i = 0; i < numModelArgs; ++i)
      if (isBuffer[i])
        results[i] = bufferValue(i);
    for (auto [j, i] : llvm::enumerate(paramArgs))
      results[i] = newParams[j];
    results.append(newState);
  }
  results.push_back(loss);
  results.push_back(correct);
  func::ReturnOp::create(b, loc, results);

  // Drop what the derivative rules cloned but do not use (e.g. the forward
  // part of a differentiated generic body, unused forward values).
  step.walk<WalkOrder::PostOrder, mlir::ReverseIterator>([](Operation *op) {
    if (isOpTriviallyDead(op))
      op->erase();
  });
  if (split)
    (void)buildUpdateFunction();
  return step;
}

SmallVector<std::string> StepBuilder::stepNames() const {
  std::string f = func::FuncOp(fwd).getName().str();
  if (split)
    return {f + "_grad_step", f + "_update_step"};
  return {f + "_train_step"};
}

void StepBuilder::buildUpdate(ValueRange params, ValueRange grads,
                              ValueRange state, ValueRange hyper,
                              SmallVectorImpl<Value> &newParams,
                              SmallVectorImpl<Value> &newState) {
  SmallVector<Value> h;
  for (Value v : hyper)
    h.push_back(tensor::ExtractOp::create(b, loc, v, ValueRange{}));
  Value bc1, bc2; // AdamW's bias corrections 1 - beta^t
  if (optimizer == Optimizer::AdamW) {
    Value one = cstF(1.0), t = h[5];
    bc1 = arith::SubFOp::create(b, loc, one,
                                math::PowFOp::create(b, loc, h[1], t));
    bc2 = arith::SubFOp::create(b, loc, one,
                                math::PowFOp::create(b, loc, h[2], t));
  }
  unsigned numParams = params.size();
  newState.assign(optimizerSlots().size() * numParams, Value());
  for (unsigned j = 0; j < numParams; ++j) {
    auto stateOf = [&](unsigned k) { return state[k * numParams + j]; };
    // Named after the parameter it updates (the profile lists it so).
    StringRef param = getArgumentSlot(fwd, paramArgs[j]).name;
    std::string name =
        std::string(optimizer == Optimizer::AdamW ? "adamw " : "sgd ") +
        (param.empty() ? "p" + std::to_string(paramArgs[j]) : param.str());
    LocationScope scope(loc, NameLoc::get(StringAttr::get(ctx, name), loc));
    if (optimizer == Optimizer::AdamW)
      newParams.push_back(adamwUpdate(params[j], grads[j], stateOf(0),
                                      stateOf(1), h, bc1, bc2, newState[j],
                                      newState[numParams + j]));
    else
      newParams.push_back(sgdUpdate(params[j], grads[j], stateOf(0), h[0],
                                    h[1], h[2], newState[j]));
  }
}

func::FuncOp StepBuilder::buildUpdateFunction() {
  FunctionType ft = fwd.getFunctionType();
  SmallVector<SlotKind> stateKinds = optimizerSlots();
  SmallVector<HyperParam> hypers = hyperParams();
  unsigned numParams = paramArgs.size();
  SmallVector<Type> paramTypes;
  for (unsigned i : paramArgs)
    paramTypes.push_back(ft.getInput(i));
  SmallVector<Type> argTypes(paramTypes);
  argTypes.append(paramTypes); // gradients
  for (unsigned k = 0; k < stateKinds.size(); ++k)
    argTypes.append(paramTypes);
  argTypes.append(hypers.size(), tensorOf({}, f32));
  SmallVector<Type> resultTypes(paramTypes);
  for (unsigned k = 0; k < stateKinds.size(); ++k)
    resultTypes.append(paramTypes);

  b.setInsertionPointAfter(step);
  auto update = func::FuncOp::create(
      b, loc, stepNames()[1], FunctionType::get(ctx, argTypes, resultTypes));
  Block *entry = update.addEntryBlock();
  b.setInsertionPointToStart(entry);
  auto set = [&](bool arg, unsigned i, SlotKind kind, StringRef name = {}) {
    NamedAttribute a = getSlotAttr(ctx, kind, name);
    if (arg)
      update.setArgAttr(i, a.getName(), a.getValue());
    else
      update.setResultAttr(i, a.getName(), a.getValue());
  };
  for (auto [j, i] : llvm::enumerate(paramArgs)) {
    StringRef name = getArgumentSlot(fwd, i).name;
    set(true, j, SlotKind::Param, name);
    set(false, j, SlotKind::Param, name);
    set(true, numParams + j, SlotKind::Grad, name);
    for (auto [k, kind] : llvm::enumerate(stateKinds)) {
      set(true, (2 + k) * numParams + j, kind, name);
      set(false, (1 + k) * numParams + j, kind, name);
    }
  }
  unsigned hyperArg = (2 + stateKinds.size()) * numParams;
  for (auto [i, h] : llvm::enumerate(hypers))
    set(true, hyperArg + i, SlotKind::Hyper, stringifyHyperParam(h));
  setForwardFunction(update, fwd.getNameAttr());

  ValueRange args = entry->getArguments();
  SmallVector<Value> newParams, newState;
  buildUpdate(args.take_front(numParams), args.slice(numParams, numParams),
              args.slice(2 * numParams, stateKinds.size() * numParams),
              args.drop_front(hyperArg), newParams, newState);
  SmallVector<Value> results(newParams);
  results.append(newState);
  func::ReturnOp::create(b, loc, results);
  return update;
}

struct BuildTrainingStepPass
    : mlir::quant4::impl::Quant4BuildTrainingStepBase<BuildTrainingStepPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    registerAdjointExternalModels(registry);
  }

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
    std::optional<Optimizer> optimizerKind = symbolizeOptimizer(optimizer);
    if (!optimizerKind) {
      mlir::emitError(module.getLoc(), "quant4-build-training-step: optimizer '")
          << optimizer << "' is not one of sgd, adamw";
      return signalPassFailure();
    }
    OpBuilder b(module.getContext());
    bool failedAny = false;
    for (func::FuncOp fn : forwards) {
      StepBuilder sb(fn, *optimizerKind, split, b);
      SmallVector<std::string> names = sb.stepNames();
      if (llvm::any_of(names, [&](const std::string &name) {
            if (!module.lookupSymbol(name))
              return false;
            fn.emitError("quant4-build-training-step: @")
                << name << " already exists";
            return true;
          })) {
        failedAny = true;
        continue;
      }
      if (failed(sb.checkSignature())) {
        failedAny = true;
        continue;
      }
      FailureOr<func::FuncOp> step = sb.build();
      if (failed(step)) {
        // Drop the half-built functions.
        for (const std::string &name : names)
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
