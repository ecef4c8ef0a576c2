//===- Generic.cpp - the derivative rule of linalg.generic ----------------===//
//
// A linalg.generic with one tensor result whose body is
//
//   * a map:        yield e(ins)                     (all loops parallel), or
//   * a reduction:  yield combine(out, e(ins))       combine = addf, maximumf,
//                                                    maxnumf, minimumf, minnumf
//                                                    (the loops the result does
//                                                    not index are reductions)
//
// where e is any composition of scalar ops with a ScalarAdjointOpInterface
// rule, and may read a tensor captured from above with tensor.extract (a
// gather: embedding lookups).
//
// At every point of the loop domain the adjoint "seed" of e is g[out(d)]
// (maps and sums); for max/min only the first point (in the row-major
// order of the reduction loops) whose e equals the result gets it. The
// adjoint of input i is then one generic over the same domain that
// recomputes e, differentiates it with the scalar rules, and sums the
// contributions over the loops input i's map does not index (broadcast
// dimensions, reduced dimensions). The adjoint of a gathered tensor is a
// scatter-add written the same way: a generic over the domain plus one loop
// per computed index, which adds the contribution where the index matches.
//
//===----------------------------------------------------------------------===//
#include "Rules.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "quant4/Training/AdjointOpInterface.h"
#include "llvm/ADT/DenseSet.h"

#include <limits>

using namespace mlir;
using namespace mlir::quant4;
using utils::IteratorType;

namespace {

/// Reverse-mode differentiation of scalar ops `ops` (cloned, in order) with
/// their rules; `seed` is the adjoint of `yielded`. Returns the adjoint of
/// `target` (null if it gets none), or failure with `bad` set to the first
/// op that needs a rule and has none.
FailureOr<Value> differentiateScalars(OpBuilder &b, ArrayRef<Operation *> ops,
                                      Value yielded, Value seed, Value target,
                                      Operation *&bad) {
  llvm::DenseSet<Value> active;
  active.insert(target);
  for (Operation *op : ops)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op->getResults())
        active.insert(r);
  llvm::DenseMap<Value, Value> adj;
  adj[yielded] = seed;
  auto accumulate = [&](Value v, Value g) {
    if (!active.contains(v) || !isa<FloatType>(v.getType()))
      return;
    auto it = adj.find(v);
    if (it == adj.end())
      adj[v] = g;
    else
      it->second = arith::AddFOp::create(b, g.getLoc(), it->second, g);
  };
  for (Operation *op : llvm::reverse(ops)) {
    // The target's own definition (a gather's tensor.extract) ends the walk
    // along that path.
    if (op->getNumResults() != 1 || !active.contains(op->getResult(0)) ||
        op->getResult(0) == target)
      continue;
    Value g = adj.lookup(op->getResult(0));
    if (!g)
      continue;
    auto rule = dyn_cast<ScalarAdjointOpInterface>(op);
    if (!rule) {
      bad = op;
      return failure();
    }
    rule.buildScalarAdjoint(b, g, accumulate);
  }
  return adj.lookup(target);
}

enum class Combiner { None, Add, Max, Min };

/// The form of a generic's body (file comment).
struct BodyForm {
  Combiner combiner = Combiner::None;
  Operation *combineOp = nullptr; // null for a map
  Value expr;                     // e: what is yielded or combined
};

FailureOr<BodyForm> analyzeBody(linalg::GenericOp op, AdjointContext &ad) {
  Block &body = op.getRegion().front();
  BlockArgument out = body.getArgument(op.getNumDpsInputs());
  Value yielded = body.getTerminator()->getOperand(0);
  BodyForm form;
  auto fail = [&](const Twine &why) -> FailureOr<BodyForm> {
    (void)ad.unsupported(op, why);
    return failure();
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap outMap = maps.back();
  if (out.use_empty()) {
    form.expr = yielded;
    if (!llvm::all_of(op.getIteratorTypesArray(), [](IteratorType t) {
          return t == IteratorType::parallel;
        }))
      return fail( "its body does not read the init (output) "
                                "value but it has reduction loops");
    if (!outMap.isPermutation())
      return fail( "its result indexing map is not a "
                                "permutation");
    return form;
  }
  Operation *comb = yielded.getDefiningOp();
  if (!comb || comb->getBlock() != &body || comb->getNumOperands() != 2 ||
      !out.hasOneUse() || out.getUses().begin()->getOwner() != comb)
    return fail( "its body reads the init (output) value other "
                              "than as `out = combine(out, e)`");
  if (isa<arith::AddFOp>(comb))
    form.combiner = Combiner::Add;
  else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(comb))
    form.combiner = Combiner::Max;
  else if (isa<arith::MinimumFOp, arith::MinNumFOp>(comb))
    form.combiner = Combiner::Min;
  else
    return fail( "its reduction combines with '" +
                                  comb->getName().getStringRef() +
                                  "' (supported: addf, maximumf, maxnumf, "
                                  "minimumf, minnumf)");
  form.combineOp = comb;
  form.expr = comb->getOperand(0) == out ? comb->getOperand(1)
                                         : comb->getOperand(0);
  if (!outMap.isProjectedPermutation())
    return fail( "its result indexing map is not a projected "
                              "permutation");
  auto iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iters.size(); ++d)
    if ((iters[d] == IteratorType::parallel) !=
        outMap.isFunctionOfDim(d))
      return fail( "its reduction loops are not exactly the "
                                "loops its result does not index");
  return form;
}

/// Builds the adjoints of one linalg.generic (file comment).
class GenericAdjointBuilder {
public:
  GenericAdjointBuilder(linalg::GenericOp op, AdjointContext &ad,
                        BodyForm form)
      : op(op), ad(ad), form(form), body(op.getRegion().front()),
        numIns(op.getNumDpsInputs()), numLoops(op.getNumLoops()),
        maps(op.getIndexingMapsArray()), ranges(op.getStaticLoopRanges()) {}

  LogicalResult run();

private:
  /// The row-major linear index of the reduction loops at the current
  /// point of a generic over (at least) the forward loops.
  Value reductionIndex(OpBuilder &nb, Location l);
  /// First point of each reduction whose e equals the result (max/min).
  Value buildArgExtremum();
  /// Clones the ops computing e into a body being built; returns them.
  SmallVector<Operation *> cloneExpr(OpBuilder &nb, IRMapping &bm,
                                     ValueRange forwardInputs);
  /// The seed of e at the current point.
  Value seed(OpBuilder &nb, Location l, Value g, Value arg);
  /// Reports the body op that has no scalar rule.
  LogicalResult noScalarRule(Operation *bad);
  /// The operands of an adjoint generic over `numDims` loops (the forward
  /// loops first): the forward inputs, the result's adjoint, the first
  /// extrema (max/min), then `target` through `targetMap` (the init).
  void adjointOperands(unsigned numDims, AffineMap targetMap,
                       SmallVector<Value> &ins, SmallVector<AffineMap> &maps);
  /// In the body of an adjoint generic (block arguments `a`): recomputes e,
  /// seeds it and returns d(e)/d(`target(mapping)`) · seed, or a zero of
  /// type `et` when e does not depend on it; `bad` is set to a body op
  /// without a scalar rule.
  Value bodyAdjoint(OpBuilder &nb, Location l, ValueRange a, Type et,
                    function_ref<Value(IRMapping &)> target, IRMapping &bm,
                    Operation *&bad);
  /// Accumulates the result of the adjoint generic into `target`'s
  /// adjoint, or erases it and reports `bad`.
  LogicalResult finish(linalg::GenericOp generic, Operation *bad,
                       Value target);
  /// Adjoint of input `i`.
  LogicalResult inputAdjoint(unsigned i);
  /// Adjoint of the tensor read by `extract` (a gather).
  LogicalResult gatherAdjoint(tensor::ExtractOp extract);

  linalg::GenericOp op;
  AdjointContext &ad;
  BodyForm form;
  Block &body;
  unsigned numIns, numLoops;
  SmallVector<AffineMap> maps;
  SmallVector<int64_t> ranges;
  Value g, argExtremum;
};

Value GenericAdjointBuilder::reductionIndex(OpBuilder &nb, Location l) {
  Value lin = arith::ConstantIndexOp::create(nb, l, 0);
  for (unsigned d = 0; d < numLoops; ++d) {
    if (maps.back().isFunctionOfDim(d))
      continue;
    Value extent = arith::ConstantIndexOp::create(nb, l, ranges[d]);
    lin = arith::AddIOp::create(nb, l, arith::MulIOp::create(nb, l, lin, extent),
                                linalg::IndexOp::create(nb, l, d));
  }
  return arith::IndexCastOp::create(nb, l, nb.getI64Type(), lin);
}

SmallVector<Operation *>
GenericAdjointBuilder::cloneExpr(OpBuilder &nb, IRMapping &bm,
                                 ValueRange forwardInputs) {
  for (unsigned k = 0; k < numIns; ++k)
    bm.map(body.getArgument(k), forwardInputs[k]);
  SmallVector<Operation *> cloned;
  for (Operation &bop : body.without_terminator())
    if (&bop != form.combineOp)
      cloned.push_back(nb.clone(bop, bm));
  return cloned;
}

Value GenericAdjointBuilder::buildArgExtremum() {
  OpBuilder &b = ad.builder();
  Value y = op.getResult(0);
  ArrayRef<int64_t> ys = ad.shapeOf(y);
  Type i64 = b.getI64Type();
  Value none = arith::ConstantOp::create(
      b, ad.getLoc(), b.getI64IntegerAttr(std::numeric_limits<int64_t>::max()));
  SmallVector<Value> ins(op.getDpsInputs());
  ins.push_back(y);
  SmallVector<AffineMap> argMaps(maps.begin(), maps.begin() + numIns);
  argMaps.push_back(maps.back());
  argMaps.push_back(maps.back());
  return linalg::GenericOp::create(
             b, ad.getLoc(), TypeRange{RankedTensorType::get(ys, i64)}, ins,
             ValueRange{ad.filled(ys, none)}, argMaps,
             op.getIteratorTypesArray(),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               IRMapping bm;
               cloneExpr(nb, bm, a.take_front(numIns));
               Value e = bm.lookupOrDefault(form.expr);
               Value eq = arith::CmpFOp::create(
                   nb, l, arith::CmpFPredicate::OEQ, e, a[numIns]);
               Value lin = reductionIndex(nb, l);
               Value acc = a[numIns + 1];
               Value cand = arith::SelectOp::create(nb, l, eq, lin, acc);
               linalg::YieldOp::create(
                   nb, l, Value(arith::MinSIOp::create(nb, l, acc, cand)));
             })
      .getResult(0);
}

Value GenericAdjointBuilder::seed(OpBuilder &nb, Location l, Value gv,
                                  Value arg) {
  if (form.combiner != Combiner::Max && form.combiner != Combiner::Min)
    return gv;
  Value eq = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                   reductionIndex(nb, l), arg);
  Value zero = arith::ConstantOp::create(nb, l,
                                         nb.getFloatAttr(gv.getType(), 0.0));
  return arith::SelectOp::create(nb, l, eq, gv, zero);
}

LogicalResult GenericAdjointBuilder::noScalarRule(Operation *bad) {
  // Name the op of the forward function's body, not of the copy.
  Operation *orig = ad.originalOf(op);
  for (Operation &o : orig->getRegion(0).front())
    if (o.getName() == bad->getName()) {
      bad = &o;
      break;
    }
  return bad->emitOpError()
         << "in the body of a linalg.generic is not differentiable by "
            "quant4-build-training-step: it has no derivative rule "
            "(ScalarAdjointOpInterface)";
}

void GenericAdjointBuilder::adjointOperands(unsigned numDims,
                                            AffineMap targetMap,
                                            SmallVector<Value> &ins,
                                            SmallVector<AffineMap> &gMaps) {
  auto widen = [&](AffineMap m) {
    return AffineMap::get(numDims, 0, m.getResults(), ad.getContext());
  };
  ins = SmallVector<Value>(op.getDpsInputs());
  for (unsigned k = 0; k < numIns; ++k)
    gMaps.push_back(widen(maps[k]));
  ins.push_back(g);
  gMaps.push_back(widen(maps.back()));
  if (argExtremum) {
    ins.push_back(argExtremum);
    gMaps.push_back(widen(maps.back()));
  }
  gMaps.push_back(targetMap);
}

Value GenericAdjointBuilder::bodyAdjoint(
    OpBuilder &nb, Location l, ValueRange a, Type et,
    function_ref<Value(IRMapping &)> target, IRMapping &bm, Operation *&bad) {
  SmallVector<Operation *> cloned = cloneExpr(nb, bm, a.take_front(numIns));
  Value s = seed(nb, l, a[numIns], argExtremum ? a[numIns + 1] : Value());
  FailureOr<Value> d = differentiateScalars(
      nb, cloned, bm.lookupOrDefault(form.expr), s, target(bm), bad);
  if (succeeded(d) && *d)
    return *d;
  return arith::ConstantOp::create(nb, l, nb.getFloatAttr(et, 0.0));
}

LogicalResult GenericAdjointBuilder::finish(linalg::GenericOp generic,
                                            Operation *bad, Value target) {
  if (bad) {
    LogicalResult r = noScalarRule(bad);
    generic.erase();
    return r;
  }
  ad.accumulate(target, generic.getResult(0));
  return success();
}

LogicalResult GenericAdjointBuilder::inputAdjoint(unsigned i) {
  Value in = op.getDpsInputs()[i];
  auto inType = dyn_cast<RankedTensorType>(in.getType());
  if (!inType || !isa<FloatType>(inType.getElementType()))
    return ad.unsupported(op, "a parameter-dependent operand is not a float "
                              "tensor");
  if (!maps[i].isProjectedPermutation())
    return ad.unsupported(op, "operand " + Twine(i) +
                                  " has an indexing map that is not a "
                                  "projected permutation");
  SmallVector<IteratorType> iters(numLoops, IteratorType::reduction);
  for (AffineExpr e : maps[i].getResults())
    iters[cast<AffineDimExpr>(e).getPosition()] = IteratorType::parallel;
  bool reduces = llvm::is_contained(iters, IteratorType::reduction);
  SmallVector<Value> ins;
  SmallVector<AffineMap> gMaps;
  adjointOperands(numLoops, maps[i], ins, gMaps);
  unsigned accPos = ins.size();
  Value init = reduces ? ad.zerosLike(in)
                       : ad.empty(inType.getShape(), inType.getElementType());
  Operation *bad = nullptr;
  auto generic = linalg::GenericOp::create(
      ad.builder(), ad.getLoc(), TypeRange{inType}, ins, ValueRange{init},
      gMaps, iters, [&](OpBuilder &nb, Location l, ValueRange a) {
        IRMapping bm;
        Value r = bodyAdjoint(
            nb, l, a, inType.getElementType(),
            [&](IRMapping &) { return a[i]; }, bm, bad);
        if (reduces)
          r = arith::AddFOp::create(nb, l, a[accPos], r);
        linalg::YieldOp::create(nb, l, r);
      });
  return finish(generic, bad, in);
}

LogicalResult GenericAdjointBuilder::gatherAdjoint(tensor::ExtractOp extract) {
  Value table = extract.getTensor();
  auto tableType = cast<RankedTensorType>(table.getType());
  if (!isa<FloatType>(tableType.getElementType()))
    return ad.unsupported(op, "it reads a parameter-dependent tensor that is "
                              "not a float tensor");
  // Each index of the extract is a loop of the domain (linalg.index d) or
  // a computed value, which gets a loop of its own over the table's extent.
  MLIRContext *ctx = ad.getContext();
  unsigned extraLoops = 0;
  SmallVector<AffineExpr> tableExprs;
  SmallVector<std::pair<unsigned, unsigned>> computed; // (index pos, loop)
  llvm::SmallDenseSet<unsigned> used;
  for (auto [k, idx] : llvm::enumerate(extract.getIndices())) {
    auto io = idx.getDefiningOp<linalg::IndexOp>();
    if (io && io->getBlock() == &body && used.insert(io.getDim()).second) {
      tableExprs.push_back(getAffineDimExpr(io.getDim(), ctx));
      continue;
    }
    unsigned loop = numLoops + extraLoops++;
    computed.push_back({unsigned(k), loop});
    tableExprs.push_back(getAffineDimExpr(loop, ctx));
  }
  unsigned total = numLoops + extraLoops;
  AffineMap tableMap = AffineMap::get(total, 0, tableExprs, ctx);
  SmallVector<IteratorType> iters(total, IteratorType::reduction);
  for (AffineExpr e : tableExprs)
    iters[cast<AffineDimExpr>(e).getPosition()] = IteratorType::parallel;
  SmallVector<Value> ins;
  SmallVector<AffineMap> gMaps;
  adjointOperands(total, tableMap, ins, gMaps);
  unsigned accPos = ins.size();
  Operation *bad = nullptr;
  auto generic = linalg::GenericOp::create(
      ad.builder(), ad.getLoc(), TypeRange{tableType}, ins,
      ValueRange{ad.zerosLike(table)}, gMaps, iters,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        IRMapping bm;
        Type et = tableType.getElementType();
        Value r = bodyAdjoint(
            nb, l, a, et,
            [&](IRMapping &m) { return m.lookup(extract.getResult()); }, bm,
            bad);
        Value zero = arith::ConstantOp::create(nb, l, nb.getFloatAttr(et, 0.0));
        for (auto [k, loop] : computed) {
          Value idx = bm.lookupOrDefault(extract.getIndices()[k]);
          Value here = linalg::IndexOp::create(nb, l, loop);
          Value eq =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, idx, here);
          r = arith::SelectOp::create(nb, l, eq, r, zero);
        }
        linalg::YieldOp::create(nb, l,
                                Value(arith::AddFOp::create(nb, l, a[accPos], r)));
      });
  return finish(generic, bad, table);
}

LogicalResult GenericAdjointBuilder::run() {
  g = ad.adjointOf(op.getResult(0));
  if (!g)
    return success();
  Value init = op.getDpsInits()[0];
  // A map overwrites its init; a sum adds to it; max and min compare with it.
  if (form.combiner != Combiner::None && ad.isVaried(init)) {
    if (form.combiner != Combiner::Add)
      return ad.unsupported(op, "its init (output) value depends on a "
                                "parameter");
    ad.accumulate(init, g);
  }
  if (form.combiner == Combiner::Max || form.combiner == Combiner::Min)
    argExtremum = buildArgExtremum();
  for (unsigned i = 0; i < numIns; ++i)
    if (ad.isVaried(op.getDpsInputs()[i]) && failed(inputAdjoint(i)))
      return failure();
  for (Operation &bop : body) {
    for (Value operand : bop.getOperands()) {
      if (!ad.isVaried(operand) || operand.getParentBlock() == &body)
        continue;
      auto extract = dyn_cast<tensor::ExtractOp>(bop);
      if (!extract || operand != extract.getTensor())
        return ad.unsupported(op, "its body uses a parameter-dependent value "
                                  "from above other than by tensor.extract");
      if (failed(gatherAdjoint(extract)))
        return failure();
    }
  }
  return success();
}

struct GenericAdjoint
    : AdjointOpInterface::ExternalModel<GenericAdjoint, linalg::GenericOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<linalg::GenericOp>(o);
    if (!op.hasPureTensorSemantics() || op.getNumResults() != 1 ||
        op.getNumDpsInits() != 1)
      return ad.unsupported(op, "expected a single tensor result");
    FailureOr<BodyForm> form = analyzeBody(op, ad);
    if (failed(form))
      return failure();
    return GenericAdjointBuilder(op, ad, *form).run();
  }
};

} // namespace

void mlir::quant4::rules::registerGenericAdjoints(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::GenericOp::attachInterface<GenericAdjoint>(*ctx);
  });
}
