//===- LowerLinalg.cpp - linalg ops on the vector unit --------------------===//
//
// Element-wise linalg bodies evaluated on the VPU/SFU over strided views,
// and reductions; named linalg ops by their bodies.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace mlir;

namespace mlir::q4a::lowering {

//===----------------------------------------------------------------------===//
// linalg
//===----------------------------------------------------------------------===//

/// The VPU function of a body op, if any.
static std::optional<hw::VFn> vfnOf(Operation *op) {
  using F = hw::VFn;
  if (isa<arith::AddFOp>(op))
    return F::Add;
  if (isa<arith::SubFOp>(op))
    return F::Sub;
  if (isa<arith::MulFOp>(op))
    return F::Mul;
  if (isa<arith::DivFOp>(op))
    return F::Div;
  if (isa<arith::MaximumFOp>(op))
    return F::Max;
  if (isa<arith::MinimumFOp>(op))
    return F::Min;
  if (isa<arith::MaxNumFOp>(op))
    return F::MaxNum;
  if (isa<arith::MinNumFOp>(op))
    return F::MinNum;
  if (isa<arith::NegFOp>(op))
    return F::Neg;
  if (isa<arith::SelectOp>(op))
    return F::Sel;
  if (isa<math::AbsFOp>(op))
    return F::Abs;
  if (isa<math::ExpOp>(op))
    return F::Exp;
  if (isa<math::LogOp>(op))
    return F::Log;
  if (isa<math::SqrtOp>(op))
    return F::Sqrt;
  if (isa<math::RsqrtOp>(op))
    return F::Rsqrt;
  if (isa<math::TanhOp>(op))
    return F::Tanh;
  if (isa<math::FloorOp>(op))
    return F::Floor;
  if (isa<math::CeilOp>(op))
    return F::Ceil;
  // i1 values are masks 1.0f / 0.0f on the VPU.
  bool i1 = op->getNumOperands() && op->getOperand(0).getType().isInteger(1);
  if (isa<arith::AndIOp>(op) && i1)
    return F::Mul;
  if (isa<arith::OrIOp>(op) && i1)
    return F::MaxNum;
  if (isa<arith::XOrIOp>(op) && i1)
    return F::CmpNe;
  if (isa<arith::AddIOp>(op))
    return F::Add;
  if (isa<arith::SubIOp>(op))
    return F::Sub;
  if (isa<arith::MulIOp>(op))
    return F::Mul;
  if (isa<arith::MinSIOp>(op))
    return F::Min;
  if (isa<arith::MaxSIOp>(op))
    return F::Max;
  if (auto c = dyn_cast<arith::CmpIOp>(op)) {
    switch (c.getPredicate()) {
    case arith::CmpIPredicate::eq:
      return F::CmpEq;
    case arith::CmpIPredicate::ne:
      return F::CmpNe;
    case arith::CmpIPredicate::sgt:
      return F::CmpGt;
    case arith::CmpIPredicate::sge:
      return F::CmpGe;
    case arith::CmpIPredicate::slt:
      return F::CmpLt;
    case arith::CmpIPredicate::sle:
      return F::CmpLe;
    default:
      return std::nullopt;
    }
  }
  if (auto c = dyn_cast<arith::CmpFOp>(op)) {
    switch (c.getPredicate()) {
    case arith::CmpFPredicate::OEQ:
      return F::CmpEq;
    case arith::CmpFPredicate::UNE:
      return F::CmpNe;
    case arith::CmpFPredicate::OGT:
      return F::CmpGt;
    case arith::CmpFPredicate::OGE:
      return F::CmpGe;
    case arith::CmpFPredicate::OLT:
      return F::CmpLt;
    case arith::CmpFPredicate::OLE:
      return F::CmpLe;
    default:
      return std::nullopt;
    }
  }
  return std::nullopt;
}

LogicalResult Lowering::evalBody(linalg::LinalgOp op, Block &body,
                                 DenseMap<Value, Operand> &vals, uint64_t n,
                                 uint64_t &spTop, Operation *stopAt,
                                 unsigned &nextReg) {
  for (Operation &b : body) {
    if (&b == stopAt || isa<linalg::YieldOp>(b))
      break;
    if (auto c = dyn_cast<arith::ConstantOp>(b)) {
      auto f = dyn_cast<FloatAttr>(c.getValue());
      auto i = dyn_cast<IntegerAttr>(c.getValue());
      if ((!f || !f.getType().isF32()) &&
          (!i || i.getValue().getSignificantBits() > 24))
        return b.emitOpError("only f32 constants and integers below 2^23 "
                             "are supported in a Q4A vector body");
      if (nextReg > 31)
        return op->emitOpError("needs more than 31 f registers");
      lif(nextReg, f ? f.getValue().convertToFloat()
                     : float(i.getValue().getSExtValue()));
      vals[c.getResult()] = Operand{true, nextReg++};
      continue;
    }
    if (isa<linalg::IndexOp>(b) && vals.count(b.getResult(0)))
      continue;
    // Integer values are exact f32 values on the vector unit: casts
    // between i1/i32/index/f32 of such values are the identity.
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtUIOp,
            arith::ExtSIOp, arith::SIToFPOp, arith::UIToFPOp>(b)) {
      auto it = vals.find(b.getOperand(0));
      if (it == vals.end())
        return b.emitOpError("uses a value the Q4A lowering cannot place");
      vals[b.getResult(0)] = it->second;
      continue;
    }
    std::optional<hw::VFn> fn = vfnOf(&b);
    if (!fn)
      return b.emitOpError("is not supported by the Q4A vector unit (in the "
                           "body of ")
             << op->getName() << ")";
    SmallVector<Operand, 3> ops;
    bool allReg = true;
    for (Value v : b.getOperands()) {
      auto it = vals.find(v);
      if (it == vals.end())
        return b.emitOpError("uses a value the Q4A lowering cannot place");
      ops.push_back(it->second);
      allReg &= it->second.reg;
    }
    if (allReg && *fn != hw::VFn::Sel) {
      if (nextReg > 31)
        return op->emitOpError("needs more than 31 f registers");
      emit(mk(Opcode::FOP, {{"fn", uint64_t(*fn)},
                            {"fd", nextReg},
                            {"fa", ops[0].v},
                            {"fb", ops.size() > 1 ? ops[1].v : 0}}));
      vals[b.getResult(0)] = Operand{true, nextReg++};
      continue;
    }
    Instr in = Instr::make(Opcode::VOP);
    in.set("fn", uint64_t(*fn));
    in.set("n", n);
    in.set("d", spTop);
    const char *names[3] = {"a", "b", "c"}, *rnames[3] = {"ra", "rb", "rc"};
    for (size_t i = 0; i < ops.size(); ++i) {
      in.set(names[i], ops[i].v);
      in.set(rnames[i], ops[i].reg);
    }
    emit(in);
    vals[b.getResult(0)] = Operand{false, spTop};
    spTop = alignTo(spTop + 4 * n, 16);
  }
  return success();
}

/// Whether `init` is a linalg.fill of +0.0.
static bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  auto zero =
      fill ? fill.getInputs()[0].getDefiningOp<arith::ConstantOp>() : nullptr;
  auto zf = zero ? dyn_cast<FloatAttr>(zero.getValue()) : nullptr;
  return zf && zf.getValue().isPosZero();
}

/// Counts the body ops that produce a vector (an upper bound of SP arrays).
static unsigned countBodyOps(Block &body) {
  unsigned n = 0;
  for (Operation &b : body)
    if (!isa<linalg::YieldOp, arith::ConstantOp>(b))
      ++n;
  return n;
}

LogicalResult Lowering::lowerLinalg(linalg::LinalgOp op) {
  if (op->getNumResults() != op.getNumDpsInits() || op->getNumResults() < 1 ||
      !op.hasPureTensorSemantics())
    return op->emitOpError("only linalg ops on tensors are supported by the "
                           "Q4A lowering");
  for (Value r : op->getResults()) {
    Type et = getElementTypeOrSelf(r.getType());
    if (!et.isF32() && !et.isSignlessInteger(32))
      return op->emitOpError("only f32 and i32 results are supported by the "
                             "Q4A lowering");
  }
  if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation())) {
    // C = init + A*B: the init must be a zero fill (the MXU starts at 0).
    if (!isZeroFill(mm.getDpsInits()[0]))
      return op->emitOpError("needs a zero-filled init on Q4A (the MXU "
                             "accumulates from zero)");
    // Plain or transposed operands: A (m,k) | (k,m), B (k,n) | (n,k).
    MLIRContext *ctx = op->getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = mm.getIndexingMapsArray();
    auto is = [](AffineMap m, AffineExpr a, AffineExpr b) {
      return m.getNumDims() == 3 && m.getNumResults() == 2 &&
             m.getResult(0) == a && m.getResult(1) == b;
    };
    bool ta = is(maps[0], d2, d0), tb = is(maps[1], d1, d2);
    if ((!ta && !is(maps[0], d0, d2)) || (!tb && !is(maps[1], d2, d1)) ||
        !is(maps[2], d0, d1))
      return op->emitOpError("only plain or transposed-operand matmul "
                             "indexing maps are supported by the Q4A "
                             "lowering");
    num::Accumulation acc;
    return lowerGemm(op, mm.getInputs()[0], mm.getInputs()[1], Value(), Value(),
                     false, false, ValueRange(), num::Format::fp32(),
                     num::Format::fp32(), acc, ta, tb, op->getResult(0));
  }
  if (auto cv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op.getOperation())) {
    if (!isZeroFill(cv.getDpsInits()[0]))
      return op->emitOpError("needs a zero-filled init on Q4A (the MXU "
                             "accumulates from zero)");
    SmallVector<int64_t> st(cv.getStrides().getValues<int64_t>());
    SmallVector<int64_t> dl(cv.getDilations().getValues<int64_t>());
    for (Value v : cv.getInputs())
      if (!getElementTypeOrSelf(v.getType()).isF32())
        return op->emitOpError("only f32 convolutions (or quant4.conv2d) are "
                               "supported by the Q4A lowering");
    return lowerConv(op, cv.getInputs()[0], cv.getInputs()[1], Value(), Value(),
                     false, ValueRange(), num::Format::fp32(),
                     num::Format::fp32(), num::Accumulation(), st, dl,
                     op->getResult(0));
  }
  bool parallel = llvm::all_of(op.getIteratorTypesArray(), [](auto t) {
    return t == utils::IteratorType::parallel;
  });
  return parallel ? lowerElementwise(op) : lowerReduction(op);
}

//===----------------------------------------------------------------------===//
// linalg.generic and named linalg ops on the vector unit
//===----------------------------------------------------------------------===//

/// Collects the vector operands (strided views over the loop domain), the
/// scalar operands (f registers) and the linalg.index values of a body.
LogicalResult Lowering::classifyOperands(linalg::LinalgOp op,
                                         SmallVector<VecOperand> &vecs,
                                         DenseMap<Value, Operand> &vals,
                                         unsigned &nextReg, bool inputsOnly) {
  Block &body = *op.getBlock();
  uint64_t cell = 0;
  SmallVector<int64_t> dom = op.getStaticLoopRanges();
  for (OpOperand &o : op->getOpOperands()) {
    if (inputsOnly && op.isDpsInit(&o))
      continue;
    BlockArgument arg = op.getMatchingBlockArgument(&o);
    if (arg.use_empty())
      continue;
    Value v = o.get();
    Type et = getElementTypeOrSelf(v.getType());
    if (!et.isF32() && !et.isSignlessInteger(32) && !et.isIndex())
      return op->emitOpError("operand #")
             << o.getOperandNumber() << " has element type " << et
             << "; the Q4A vector unit computes on f32 (and i32 as f32)";
    AffineMap m = op.getMatchingIndexingMap(&o);
    auto st = dyn_cast<RankedTensorType>(v.getType());
    if (!st || (st.getNumElements() == 1 && m.getNumResults() == 0)) {
      if (nextReg > 31 || failed(scalarToReg(op, v, nextReg, cell)))
        return failure();
      vals[arg] = Operand{true, nextReg++};
      continue;
    }
    std::optional<AffView> view = viewOf(m, st.getShape());
    if (!view)
      return op->emitOpError("operand #")
             << o.getOperandNumber()
             << " has an indexing map that is not linear in the loop indices";
    FailureOr<Buf> b = bufOf(op, v);
    if (failed(b))
      return failure();
    vecs.push_back(VecOperand{arg, b->addr, *view});
  }
  // linalg.index d: a view of 0..n-1 along loop dimension d.
  for (Operation &b : body)
    if (auto ix = dyn_cast<linalg::IndexOp>(b)) {
      AffView v;
      v.coef.assign(dom.size(), 0);
      v.coef[ix.getDim()] = 1;
      vecs.push_back(VecOperand{ix.getResult(), iota(dom[ix.getDim()]), v});
    }
  // Values from outside the body used inside it are scalars.
  SmallVector<Value> captured;
  body.walk([&](Operation *b) {
    for (Value v : b->getOperands())
      if (v.getParentBlock() != &body && !llvm::is_contained(captured, v))
        captured.push_back(v);
  });
  for (Value v : captured) {
    if (nextReg > 31 || failed(scalarToReg(op, v, nextReg, cell)))
      return failure();
    vals[v] = Operand{true, nextReg++};
  }
  return success();
}

LogicalResult Lowering::lowerElementwise(linalg::LinalgOp op) {
  SmallVector<int64_t> dom = op.getStaticLoopRanges();
  Block &body = *op.getBlock();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  SmallVector<std::pair<AffView, Buf>> outs;
  for (OpResult r : op->getResults()) {
    auto rt = cast<RankedTensorType>(r.getType());
    std::optional<AffView> v =
        viewOf(op.getIndexingMapMatchingResult(r), rt.getShape());
    if (!v || !op.getIndexingMapMatchingResult(r).isPermutation())
      return op->emitOpError("only permutation output maps are supported by "
                             "the Q4A lowering");
    outs.push_back({*v, Buf{}});
  }
  SmallVector<VecOperand> vecs;
  DenseMap<Value, Operand> vals;
  unsigned nextReg = 1;
  if (failed(classifyOperands(op, vecs, vals, nextReg, /*inputsOnly=*/true)))
    return failure();
  for (auto [i, r] : llvm::enumerate(op->getResults()))
    outs[i].second = define(r);
  unsigned arrays =
      unsigned(vecs.size()) + countBodyOps(body) + unsigned(outs.size()) + 1;
  uint64_t base = 16;
  int64_t cap = int64_t((arch.spBytes - base - 16 * arrays) / (4 * arrays));
  cap = std::min<int64_t>(cap, (1 << 20) - 1);
  if (cap < 1)
    return fits(op, base + 32 * arrays, "one element of each array");
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < dom.size(); ++d)
    order.push_back(d);
  for (const IBox &box : boxesOf(dom, cap, /*even=*/true)) {
    uint64_t n = uint64_t(box.size);
    uint64_t spTop = base;
    for (VecOperand &v : vecs) {
      xfer(true, spTop, int64_t(v.addr) + 4 * boxOffset(v.view, box),
           boxDims(v.view, box, order), 4);
      vals[v.arg] = Operand{false, spTop};
      spTop = alignTo(spTop + 4 * n, 16);
    }
    unsigned regs = nextReg;
    if (failed(evalBody(op, body, vals, n, spTop, nullptr, regs)))
      return failure();
    for (auto [i, y] : llvm::enumerate(yield.getOperands())) {
      auto it = vals.find(y);
      if (it == vals.end())
        return op->emitOpError("yields a value the Q4A lowering cannot place");
      Operand o = it->second;
      if (o.reg) {
        Instr mv = Instr::make(Opcode::VOP);
        mv.set("fn", uint64_t(hw::VFn::Mov));
        mv.set("n", n);
        mv.set("d", spTop);
        mv.set("a", o.v);
        mv.set("ra", 1);
        emit(mv);
        o = Operand{false, spTop};
        spTop = alignTo(spTop + 4 * n, 16);
      }
      xfer(false, o.v,
           int64_t(outs[i].second.addr) + 4 * boxOffset(outs[i].first, box),
           boxDims(outs[i].first, box, order), 4);
    }
  }
  return success();
}

LogicalResult Lowering::lowerReduction(linalg::LinalgOp op) {
  if (op->getNumResults() != 1)
    return op->emitOpError("multi-result reductions are not supported by the "
                           "Q4A lowering");
  Value result = op->getResult(0);
  Block &body = *op.getBlock();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *comb = yield.getOperand(0).getDefiningOp();
  BlockArgument outArg = body.getArguments().back();
  std::optional<hw::Red> red;
  // acc - x is acc + (-x) exactly (IEEE 754 defines subtraction so; and
  // i32 values are exact f32 values here): a sum of the negated values.
  bool negate = false;
  if (comb && comb->getBlock() == &body && comb->getNumOperands() == 2) {
    if (isa<arith::AddFOp, arith::AddIOp>(comb))
      red = hw::Red::Sum;
    else if (isa<arith::MaximumFOp, arith::MaxSIOp>(comb))
      red = hw::Red::Max;
    else if (isa<arith::MinimumFOp, arith::MinSIOp>(comb))
      red = hw::Red::Min;
    else if (isa<arith::SubFOp, arith::SubIOp>(comb)) {
      if (comb->getOperand(0) != outArg)
        return op->emitOpError(
            "reduction computes x - accumulator, whose terms alternate in "
            "sign; only accumulator - x (a sum of negated terms) lowers to "
            "Q4A");
      red = hw::Red::Sum;
      negate = true;
    }
  }
  if (!red || (comb->getOperand(0) != outArg && comb->getOperand(1) != outArg))
    return op->emitOpError("reductions must combine the accumulator with "
                           "addf, subf (accumulator - x), maximumf or "
                           "minimumf (addi, subi, maxsi, minsi) to be "
                           "lowered to Q4A");
  Value exprV =
      comb->getOperand(0) == outArg ? comb->getOperand(1) : comb->getOperand(0);
  if (exprV == outArg)
    return op->emitOpError("reduction expression uses the accumulator twice");
  // The accumulator may also be the `false` value of a select feeding a
  // min/max combiner: min(acc, c ? x : acc) = min(acc, c ? x : +inf).
  bool accInSelect = false;
  for (Operation &b : body)
    for (Value v : b.getOperands()) {
      if (v != outArg || &b == comb)
        continue;
      auto sel = dyn_cast<arith::SelectOp>(b);
      if (sel && *red != hw::Red::Sum && sel.getResult() == exprV &&
          sel.getFalseValue() == outArg && sel.getTrueValue() != outArg &&
          sel.getCondition() != outArg) {
        accInSelect = true;
        continue;
      }
      return op->emitOpError("the accumulator may only be used by the "
                             "final combining op");
    }
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  SmallVector<int64_t> dom = op.getStaticLoopRanges();
  AffineMap outMap = op.getIndexingMapMatchingResult(cast<OpResult>(result));
  SmallVector<unsigned> P, R;
  for (unsigned d = 0; d < dom.size(); ++d)
    (its[d] == utils::IteratorType::parallel ? P : R).push_back(d);
  bool ok = outMap.getNumResults() == P.size();
  for (unsigned i = 0; ok && i < P.size(); ++i)
    ok = outMap.getResult(i) == getAffineDimExpr(P[i], op->getContext());
  if (!ok)
    return op->emitOpError("the reduction result must list the parallel "
                           "loop dimensions in order to be lowered to Q4A");
  SmallVector<VecOperand> vecs;
  DenseMap<Value, Operand> vals;
  unsigned nextReg = 1;
  if (failed(classifyOperands(op, vecs, vals, nextReg, /*inputsOnly=*/true)))
    return failure();
  if (accInSelect) {
    if (nextReg > 31)
      return op->emitOpError("needs more than 31 f registers");
    lif(nextReg, *red == hw::Red::Min ? INFINITY : -INFINITY);
    vals[outArg] = Operand{true, nextReg++};
  }
  FailureOr<Buf> init = bufOf(op, op.getDpsInits()[0]);
  if (failed(init))
    return failure();
  Buf out = define(result);
  SmallVector<int64_t> pShape, rShape;
  int64_t rTotal = 1;
  for (unsigned d : P)
    pShape.push_back(dom[d]);
  for (unsigned d : R) {
    rShape.push_back(dom[d]);
    rTotal *= dom[d];
  }
  // Layout: rows = parallel, cols = reduced (vred row) or the other way
  // round (vred col); the one needing fewer DMAs wins.
  SmallVector<unsigned> rowOrder(P), colOrder(R);
  rowOrder.append(R.begin(), R.end());
  colOrder.append(P.begin(), P.end());
  IBox whole;
  whole.start.assign(dom.size(), 0);
  whole.cnt.assign(dom.begin(), dom.end());
  uint64_t costRow = 0, costCol = 0;
  for (VecOperand &v : vecs) {
    costRow += xfer(true, 0, 0, boxDims(v.view, whole, rowOrder), 4, true);
    costCol += xfer(true, 0, 0, boxDims(v.view, whole, colOrder), 4, true);
  }
  bool colLayout = !P.empty() && costCol < costRow;
  unsigned arrays =
      unsigned(vecs.size()) + countBodyOps(body) + 1 + (negate ? 1 : 0);
  uint64_t base = 16;
  int64_t avail = int64_t(arch.spBytes) - int64_t(base) - 32 * int64_t(arrays);
  int64_t rCap = std::min<int64_t>(rTotal, 65535);
  int64_t pCap = avail / (4 * (1 + int64_t(arrays) * rCap));
  if (pCap < 1) {
    pCap = 1;
    rCap = (avail / 4 - 1) / int64_t(arrays);
    if (rCap < 1)
      return fits(op, base + 64 * arrays, "one element of each array");
  }
  pCap = std::min<int64_t>(pCap, 65535);
  SmallVector<IBox> pBoxes = boxesOf(pShape, pCap, /*even=*/true);
  SmallVector<IBox> rBoxes = boxesOf(rShape, rCap, /*even=*/true);
  for (const IBox &pb : pBoxes) {
    uint64_t accA = base;
    uint64_t dataA = alignTo(accA + 4 * uint64_t(pb.size), 16);
    dmaLinear(true, accA, init->addr + 4 * uint64_t(pb.flat0),
              4 * uint64_t(pb.size));
    for (const IBox &rb : rBoxes) {
      IBox box;
      box.start.assign(dom.size(), 0);
      box.cnt.assign(dom.size(), 1);
      for (size_t i = 0; i < P.size(); ++i) {
        box.start[P[i]] = pb.start[i];
        box.cnt[P[i]] = pb.cnt[i];
      }
      for (size_t i = 0; i < R.size(); ++i) {
        box.start[R[i]] = rb.start[i];
        box.cnt[R[i]] = rb.cnt[i];
      }
      uint64_t n = uint64_t(pb.size * rb.size);
      uint64_t spTop = dataA;
      for (VecOperand &v : vecs) {
        xfer(true, spTop, int64_t(v.addr) + 4 * boxOffset(v.view, box),
             boxDims(v.view, box, colLayout ? colOrder : rowOrder), 4);
        vals[v.arg] = Operand{false, spTop};
        spTop = alignTo(spTop + 4 * n, 16);
      }
      unsigned regs = nextReg;
      if (failed(evalBody(op, body, vals, n, spTop, comb, regs)))
        return failure();
      auto it = vals.find(exprV);
      if (it == vals.end() || it->second.reg)
        return op->emitOpError("reduces a value the Q4A lowering cannot "
                               "place");
      uint64_t terms = it->second.v;
      if (negate) {
        emit(mk(Opcode::VOP, {{"fn", uint64_t(hw::VFn::Neg)},
                              {"n", n},
                              {"d", spTop},
                              {"a", terms}}));
        terms = spTop;
      }
      emit(mk(Opcode::VRED, {{"red", uint64_t(*red)},
                             {"axis", uint64_t(P.empty()   ? hw::Axis::All
                                               : colLayout ? hw::Axis::Col
                                                           : hw::Axis::Row)},
                             {"init", 1},
                             {"rows", uint64_t(colLayout ? rb.size : pb.size)},
                             {"cols", uint64_t(colLayout ? pb.size : rb.size)},
                             {"d", accA},
                             {"s", terms}}));
    }
    dmaLinear(false, accA, out.addr + 4 * uint64_t(pb.flat0),
              4 * uint64_t(pb.size));
  }
  return success();
}

} // namespace mlir::q4a::lowering
