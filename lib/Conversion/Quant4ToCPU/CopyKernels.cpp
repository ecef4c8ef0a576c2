//===- CopyKernels.cpp - quant4-cpu-copy-kernels --------------------------===//
//
// See the description of quant4-cpu-copy-kernels in Passes.td.
//
//===----------------------------------------------------------------------===//
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

/// A transpose the runtime copies: on buffers, statically shaped, at least
/// `minElements` elements of a type it copies, at the top level of a
/// function.
bool qualifies(linalg::TransposeOp op, int64_t minElements) {
  if (!op.hasPureBufferSemantics() || !isa<func::FuncOp>(op->getParentOp()))
    return false;
  auto in = dyn_cast<MemRefType>(op.getInput().getType());
  auto out = dyn_cast<MemRefType>(op.getInit().getType());
  return in && out && out.hasStaticShape() &&
         !copyEntry(out.getElementType()).empty() &&
         out.getNumElements() >= minElements;
}

Value unranked(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  return memref::CastOp::create(
      b, loc, UnrankedMemRefType::get(type.getElementType(), 0), memref);
}

/// The runtime function `name` of type `type`, declared on first use; null
/// when the module declares it with another type.
func::FuncOp declare(ModuleOp module, StringRef name, FunctionType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f.getFunctionType() == type ? f : func::FuncOp();
  OpBuilder b(module.getBodyRegion());
  auto f = func::FuncOp::create(b, module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

struct CopyKernelsPass
    : mlir::quant4::impl::Quant4CPUCopyKernelsBase<CopyKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (minElements <= 0)
      return;
    SmallVector<linalg::TransposeOp> transposes;
    module.walk([&](linalg::TransposeOp op) {
      if (qualifies(op, minElements))
        transposes.push_back(op);
    });
    MLIRContext *ctx = module.getContext();
    for (linalg::TransposeOp op : transposes) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      // The input in the output's index order: output dimension i is input
      // dimension permutation[i].
      AffineMap perm = AffineMap::getPermutationMap(op.getPermutation(), ctx);
      Value view = memref::TransposeOp::create(b, loc, op.getInput(),
                                               AffineMapAttr::get(perm));
      Value in = unranked(b, loc, view);
      Value out = unranked(b, loc, op.getInit());
      Type element = cast<MemRefType>(op.getInit().getType()).getElementType();
      std::string name = copyEntry(element);
      func::FuncOp callee =
          declare(module, name, b.getFunctionType({in.getType(), out.getType()}, {}));
      if (!callee) {
        module.emitError() << "'" << name << "' is declared with another type";
        return signalPassFailure();
      }
      func::CallOp::create(b, loc, callee, ValueRange{in, out});
      op.erase();
    }
  }
};
} // namespace
