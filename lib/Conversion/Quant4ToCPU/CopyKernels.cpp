//===- CopyKernels.cpp - quant4-cpu-copy-kernels --------------------------===//
//
// See the description of quant4-cpu-copy-kernels in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "RuntimeDecl.h"
#include "quant4/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUCOPYKERNELS
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
/// The runtime's copy of elements of `type` (quant4_rt_copy_f32, ...), or
/// empty when it has none.
std::string copyEntry(Type type) {
  if (type.isF32())
    return "quant4_rt_copy_f32";
  if (type.isF16())
    return "quant4_rt_copy_f16";
  if (type.isBF16())
    return "quant4_rt_copy_bf16";
  if (type.isF64())
    return "quant4_rt_copy_f64";
  for (unsigned bits : {8u, 16u, 32u, 64u})
    if (type.isSignlessInteger(bits))
      return "quant4_rt_copy_i" + std::to_string(bits);
  return "";
}

/// The destination of a copy the runtime takes: a statically shaped buffer
/// of at least `minElements` elements of a type it copies, written by an op
/// at the top level of a function.
bool copiesInto(Operation *op, Value dest, int64_t minElements) {
  auto out = dyn_cast<MemRefType>(dest.getType());
  return isa<func::FuncOp>(op->getParentOp()) && out &&
         out.hasStaticShape() && !copyEntry(out.getElementType()).empty() &&
         out.getNumElements() >= minElements;
}

/// The source of `op` seen in its destination's index order, built before
/// `op`: a memref.transpose view for a linalg.transpose.
Value transposedView(OpBuilder &b, linalg::TransposeOp op) {
  // Output dimension i is input dimension permutation[i].
  AffineMap perm =
      AffineMap::getPermutationMap(op.getPermutation(), b.getContext());
  return memref::TransposeOp::create(b, op.getLoc(), op.getInput(),
                                     AffineMapAttr::get(perm));
}

/// One result of an indexing map as coef · d[dim] + offset.
struct Term {
  int64_t coef = 0;
  int dim = -1; // none: a constant
  int64_t offset = 0;
};

std::optional<Term> linearTerm(AffineExpr e) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return Term{1, int(d.getPosition()), 0};
  if (auto k = dyn_cast<AffineConstantExpr>(e))
    return Term{0, -1, k.getValue()};
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  std::optional<Term> l = linearTerm(bin.getLHS()), r = linearTerm(bin.getRHS());
  if (!l || !r)
    return std::nullopt;
  if (bin.getKind() == AffineExprKind::Add && (l->dim < 0 || r->dim < 0))
    return Term{l->coef + r->coef, std::max(l->dim, r->dim),
                l->offset + r->offset};
  if (bin.getKind() == AffineExprKind::Mul && r->dim < 0)
    return Term{l->coef * r->offset, l->dim, l->offset * r->offset};
  return std::nullopt;
}

/// For a linalg.generic that copies its one input to its one output
/// (identity output map, the body yields the input element) through an
/// input map whose results are each ±d + c, every loop used exactly once
/// (a permutation that may reverse dimensions, e.g. a convolution filter
/// flipped for its data gradient), over an input with a static layout: the
/// input seen in the output's index order, a memref.reinterpret_cast built
/// before `op`. Null otherwise.
Value reindexedView(OpBuilder &b, linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0)
    return {};
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 ||
      yield.getNumOperands() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return {};
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto in = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
  auto out = cast<MemRefType>(op.getDpsInits()[0].getType());
  if (!in || !maps[1].isIdentity() || !out.getLayout().isIdentity())
    return {};
  SmallVector<int64_t> inStrides;
  int64_t offset = 0;
  if (failed(in.getStridesAndOffset(inStrides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(inStrides, ShapedType::isDynamic))
    return {};
  unsigned rank = out.getRank();
  SmallVector<int64_t> strides(rank, 0);
  SmallVector<bool> used(rank, false);
  for (auto [j, e] : llvm::enumerate(maps[0].getResults())) {
    std::optional<Term> t = linearTerm(e);
    if (!t || (t->dim >= 0 && (t->coef != 1 && t->coef != -1)) ||
        (t->dim < 0 && t->coef != 0) || (t->dim >= 0 && used[t->dim]))
      return {};
    offset += t->offset * inStrides[j];
    if (t->dim >= 0) {
      used[t->dim] = true;
      strides[t->dim] = t->coef * inStrides[j];
    }
  }
  if (llvm::count(used, false))
    return {}; // a broadcast: the loops do those well
  auto layout = StridedLayoutAttr::get(b.getContext(), offset, strides);
  auto viewType = MemRefType::get(out.getShape(), in.getElementType(), layout);
  return memref::ReinterpretCastOp::create(b, op.getLoc(), viewType,
                                           op.getDpsInputs()[0], offset,
                                           out.getShape(), strides);
}

struct CopyKernelsPass
    : mlir::quant4::impl::Quant4CPUCopyKernelsBase<CopyKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (minElements <= 0)
      return;
    SmallVector<linalg::LinalgOp> copies;
    module.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && op.getNumDpsInits() == 1 &&
          isa<linalg::TransposeOp, linalg::GenericOp>(op) &&
          copiesInto(op, op.getDpsInits()[0], minElements))
        copies.push_back(op);
    });
    for (linalg::LinalgOp op : copies) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value view = isa<linalg::TransposeOp>(op)
                       ? transposedView(b, cast<linalg::TransposeOp>(op))
                       : reindexedView(b, cast<linalg::GenericOp>(op));
      if (!view)
        continue;
      Value dest = op.getDpsInits()[0];
      Value in = quant4::unrankedMemRef(b, loc, view);
      Value out = quant4::unrankedMemRef(b, loc, dest);
      std::string name =
          copyEntry(cast<MemRefType>(dest.getType()).getElementType());
      func::FuncOp callee = quant4::declareRuntimeFunction(
          module, name, b.getFunctionType({in.getType(), out.getType()}, {}));
      if (!callee) {
        module.emitError() << "'" << name << "' is declared with another type";
        return signalPassFailure();
      }
      func::CallOp::create(b, loc, callee, ValueRange{in, out});
      op->erase();
    }
  }
};
} // namespace
