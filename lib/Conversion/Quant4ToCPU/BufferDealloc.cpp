//===- BufferDealloc.cpp - deallocation for straight-line functions -------===//
//
// See the description of quant4-cpu-buffer-dealloc in Passes.td and
// docs/Lowering.md ("Deallocation").
//
// Linear in the number of ops: one walk classifies every memref value (owned
// buffer, alias of one, or never freed), one walk finds the last op of the
// function's block that uses each owned buffer or an alias of it.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUBUFFERDEALLOC
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
bool isMemRef(Value v) { return isa<BaseMemRefType>(v.getType()); }
bool isMemRef(Type t) { return isa<BaseMemRefType>(t); }

/// What the straight-line placement knows about one function: the owned
/// buffer each memref value is (an alias of), in the order the owned buffers
/// are defined.
struct FunctionInfo {
  func::FuncOp func;
  /// Memref value -> the owned buffer it is or aliases. Values that are
  /// never freed (arguments, globals, allocas and views of them) look up
  /// as null.
  DenseMap<Value, Value> owner;
  /// Owned buffers (alloc, clone, call results), in definition order.
  SmallVector<Value> owned;
};

/// Classifies the memrefs of `func` into `info`. On failure returns the op
/// (or the function) that prevents straight-line placement and sets
/// `reason`.
Operation *analyze(func::FuncOp func, SymbolTable &symbols, FunctionInfo &info,
                   std::string &reason) {
  info.func = func;
  Region &body = func.getBody();
  if (!llvm::hasSingleElement(body)) {
    reason = "function body has more than one block";
    return func;
  }
  Block &block = body.front();
  if (!isa<func::ReturnOp>(block.back())) {
    reason = "function body does not end in func.return";
    return &block.back();
  }

  // Ops anywhere that the placement must not meet: existing deallocations,
  // and ways for a buffer to escape into a non-memref value or into memory.
  auto forbidden = [&](Operation *op) -> bool {
    if (isa<memref::DeallocOp, bufferization::DeallocOp>(op)) {
      reason = "the module already contains deallocations";
      return true;
    }
    // A pointer, a cast to another type system, or a tensor view
    // (bufferization.to_tensor) of a buffer would outlive its last use.
    if (llvm::any_of(op->getOperands(), [](Value v) { return isMemRef(v); }) &&
        (isa<memref::ExtractAlignedPointerAsIndexOp,
             UnrealizedConversionCastOp>(op) ||
         llvm::any_of(op->getResultTypes(),
                      [](Type t) { return isa<TensorType>(t); }))) {
      reason = "a memref escapes into a non-memref value";
      return true;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op);
        store && isMemRef(store.getValueToStore())) {
      reason = "a memref is stored into memory";
      return true;
    }
    return false;
  };

  for (Operation &top : block) {
    Operation *op = &top;
    if (forbidden(op))
      return op;
    // Nested ops: no memref may be defined inside a region.
    Operation *bad = nullptr;
    op->walk([&](Block *nested) {
      if (llvm::any_of(nested->getArgumentTypes(),
                       [](Type t) { return isMemRef(t); })) {
        reason = "a region has a memref argument";
        bad = nested->getParentOp();
        return WalkResult::interrupt();
      }
      for (Operation &inner : *nested) {
        if (forbidden(&inner)) {
          bad = &inner;
          return WalkResult::interrupt();
        }
        if (llvm::any_of(inner.getResultTypes(),
                         [](Type t) { return isMemRef(t); })) {
          reason = "a memref is defined inside a region";
          bad = &inner;
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (bad)
      return bad;

    // Top-level memref results.
    if (llvm::none_of(op->getResultTypes(), [](Type t) { return isMemRef(t); }))
      continue;
    auto ownAll = [&] {
      for (Value r : op->getResults())
        if (isMemRef(r)) {
          info.owner[r] = r;
          info.owned.push_back(r);
        }
    };
    if (isa<memref::AllocOp, bufferization::CloneOp>(op)) {
      ownAll();
      continue;
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal()) {
        reason = "a memref is returned by a function that is not defined "
                 "in the module";
        return op;
      }
      ownAll();
      continue;
    }
    if (isa<memref::AllocaOp, memref::GetGlobalOp>(op))
      continue; // never freed: not in `owner`
    if (auto view = dyn_cast<ViewLikeOpInterface>(op)) {
      Value source = view.getViewSource();
      if (!source || !isMemRef(source)) {
        reason = "a view of something other than a memref";
        return op;
      }
      Value root = info.owner.lookup(source);
      for (Value r : op->getResults())
        if (isMemRef(r))
          info.owner[r] = root;
      continue;
    }
    reason = "an op that the placement does not model defines a memref";
    return op;
  }
  return nullptr;
}

/// Copies returned values that the caller would not own, then frees every
/// owned buffer that is not returned after its last use.
void placeDeallocs(FunctionInfo &info) {
  Block &block = info.func.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());

  // Returned buffers: the first direct return of an owned buffer hands it
  // to the caller; everything else returned is a fresh copy.
  llvm::SmallPtrSet<Value, 8> returned;
  OpBuilder b(ret);
  for (OpOperand &operand : ret->getOpOperands()) {
    Value v = operand.get();
    if (!isMemRef(v))
      continue;
    if (info.owner.lookup(v) == v && returned.insert(v).second)
      continue;
    // A fresh copy: memref.alloc + memref.copy for a statically shaped
    // identity-layout buffer (what convert-bufferization-to-memref makes of
    // a clone anyway), else bufferization.clone. Canonicalizing a clone
    // scans every other user of its source for a dealloc: an init-state
    // function returning one shared constant per state tensor made that
    // quadratic in the number of layers.
    auto type = dyn_cast<MemRefType>(v.getType());
    if (type && type.hasStaticShape() && type.getLayout().isIdentity()) {
      Value copy = memref::AllocOp::create(b, ret.getLoc(), type);
      memref::CopyOp::create(b, ret.getLoc(), v, copy);
      operand.set(copy);
      continue;
    }
    operand.set(bufferization::CloneOp::create(b, ret.getLoc(), v));
  }

  // The last op of the block using each owned buffer (or an alias of it),
  // uses in nested regions counting for their top-level ancestor.
  DenseMap<Value, Operation *> lastUse;
  for (Operation &top : block) {
    top.walk([&](Operation *op) {
      for (Value v : op->getOperands())
        if (isMemRef(v))
          if (Value root = info.owner.lookup(v))
            lastUse[root] = &top;
    });
  }

  // One dealloc per buffer, right after its last use, in the order the
  // buffers were defined. (The terminator is never a last use: it returns
  // only buffers in `returned` and fresh copies.)
  DenseMap<Operation *, Operation *> insertedAfter;
  for (Value buffer : info.owned) {
    if (returned.contains(buffer))
      continue;
    Operation *anchor = lastUse.lookup(buffer);
    if (!anchor)
      anchor = buffer.getDefiningOp();
    Operation *&after = insertedAfter[anchor];
    b.setInsertionPointAfter(after ? after : anchor);
    after = memref::DeallocOp::create(b, buffer.getLoc(), buffer);
  }
}

struct BufferDeallocPass
    : mlir::quant4::impl::Quant4CPUBufferDeallocBase<BufferDeallocPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    OpPassManager fallback(ModuleOp::getOperationName());
    bufferization::buildBufferDeallocationPipeline(fallback);
    fallback.getDependentDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<FunctionInfo> infos;
    Operation *bad = nullptr;
    std::string reason;
    for (Operation &op : *module.getBody()) {
      auto func = dyn_cast<func::FuncOp>(op);
      if (!func) {
        if (llvm::any_of(op.getRegions(),
                         [](Region &r) { return !r.empty(); })) {
          reason = "an op other than func.func holds regions in the module";
          bad = &op;
          break;
        }
        continue;
      }
      if (func.isExternal())
        continue;
      infos.emplace_back();
      if ((bad = analyze(func, symbols, infos.back(), reason)))
        break;
    }

    if (!bad) {
      for (FunctionInfo &info : infos)
        placeDeallocs(info);
      return;
    }
    if (!allowFallback) {
      bad->emitError() << "quant4-cpu-buffer-dealloc: cannot place "
                          "deallocations in straight-line order: "
                       << reason;
      return signalPassFailure();
    }
    infos.clear();
    OpPassManager fallback(ModuleOp::getOperationName());
    bufferization::buildBufferDeallocationPipeline(fallback);
    if (failed(runPipeline(fallback, module)))
      signalPassFailure();
  }
};
} // namespace
