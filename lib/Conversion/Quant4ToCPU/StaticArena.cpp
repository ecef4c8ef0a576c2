//===- StaticArena.cpp - plan a function's temporaries at compile time ----===//
//
// See the description of quant4-cpu-static-arena in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include <map>

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUSTATICARENA
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
constexpr uint64_t kAlign = 64;

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/// Bytes of a buffer the arena can hold, or 0 when it cannot: a static
/// identity-layout memref in the default memory space of integers or
/// floats.
uint64_t arenaBytes(memref::AllocOp alloc) {
  MemRefType t = alloc.getType();
  if (!t.hasStaticShape() || !t.getLayout().isIdentity() ||
      t.getMemorySpace() || !t.getElementType().isIntOrFloat() ||
      (alloc.getAlignment() && *alloc.getAlignment() > kAlign))
    return 0;
  uint64_t bits = t.getElementTypeBitWidth();
  if (bits % 8) // i1 and other sub-byte types: leave to the allocator
    return 0;
  return std::max<uint64_t>(kAlign,
                            alignUp(uint64_t(t.getNumElements()) * bits / 8,
                                    kAlign));
}

/// First-fit allocation over [0, end) with freed ranges merged.
class Planner {
public:
  uint64_t allocate(uint64_t bytes) {
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < bytes)
        continue;
      uint64_t offset = it->first, left = it->second - bytes;
      free_.erase(it);
      if (left)
        free_[offset + bytes] = left;
      return offset;
    }
    // Grow: from the free range that ends at the top, if any.
    if (!free_.empty()) {
      auto last = std::prev(free_.end());
      if (last->first + last->second == end_) {
        uint64_t offset = last->first;
        free_.erase(last);
        end_ = offset + bytes;
        return offset;
      }
    }
    uint64_t offset = end_;
    end_ += bytes;
    return offset;
  }

  void release(uint64_t offset, uint64_t bytes) {
    auto next = free_.lower_bound(offset);
    if (next != free_.end() && offset + bytes == next->first) {
      bytes += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == offset) {
        prev->second += bytes;
        return;
      }
    }
    free_[offset] = bytes;
  }

  uint64_t end() const { return end_; }

private:
  std::map<uint64_t, uint64_t> free_; // offset -> size
  uint64_t end_ = 0;
};

struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  uint64_t bytes = 0, offset = 0;
};

/// The buffers of `f` the arena takes: allocated and freed (once) in its
/// single block.
SmallVector<Buffer> candidates(func::FuncOp f) {
  SmallVector<Buffer> out;
  Block &block = f.getBody().front();
  for (auto alloc : block.getOps<memref::AllocOp>()) {
    uint64_t bytes = arenaBytes(alloc);
    if (!bytes)
      continue;
    memref::DeallocOp dealloc;
    int deallocs = 0;
    for (Operation *user : alloc->getUsers())
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        ++deallocs;
        dealloc = d;
      }
    if (deallocs != 1 || dealloc->getBlock() != &block)
      continue;
    out.push_back({alloc, dealloc, bytes, 0});
  }
  return out;
}

/// Whether `f` can call itself through calls of functions defined in the
/// module (a second activation would share its arena).
bool mayRecurse(func::FuncOp f, SymbolTable &symbols) {
  SmallVector<func::FuncOp> work = {f};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    func::FuncOp g = work.pop_back_val();
    WalkResult r = g.walk([&](func::CallOp call) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return WalkResult::advance();
      if (callee == f)
        return WalkResult::interrupt();
      if (seen.insert(callee).second)
        work.push_back(callee);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      return true;
  }
  return false;
}

struct StaticArenaPass
    : mlir::quant4::impl::Quant4CPUStaticArenaBase<StaticArenaPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp f : functions)
      if (!f.isExternal() && llvm::hasSingleElement(f.getBody()) &&
          !mayRecurse(f, symbols))
        plan(f, symbols);
  }

  void plan(func::FuncOp f, SymbolTable &symbols) {
    SmallVector<Buffer> buffers = candidates(f);
    if (buffers.empty())
      return;
    // One walk of the block in order: allocations and frees as they come.
    DenseMap<Operation *, size_t> indexOf;
    for (size_t i = 0; i < buffers.size(); ++i) {
      indexOf[buffers[i].alloc] = i;
      indexOf[buffers[i].dealloc] = i;
    }
    Planner planner;
    for (Operation &op : f.getBody().front()) {
      auto it = indexOf.find(&op);
      if (it == indexOf.end())
        continue;
      Buffer &b = buffers[it->second];
      if (&op == b.alloc.getOperation())
        b.offset = planner.allocate(b.bytes);
      else
        planner.release(b.offset, b.bytes);
    }

    // The arena: a module global, and views of it.
    MLIRContext *ctx = f.getContext();
    auto arenaType = MemRefType::get({int64_t(planner.end())},
                                     IntegerType::get(ctx, 8));
    OpBuilder b(ctx);
    b.setInsertionPoint(f);
    auto global = memref::GlobalOp::create(
        b, f.getLoc(), ("__quant4_arena_" + f.getName()).str(),
        b.getStringAttr("private"), arenaType, /*initial_value=*/Attribute(),
        /*constant=*/false, b.getI64IntegerAttr(int64_t(kAlign)));
    symbols.insert(global); // renamed if the name is taken
    b.setInsertionPointToStart(&f.getBody().front());
    Value arena =
        memref::GetGlobalOp::create(b, f.getLoc(), arenaType, global.getName());
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value shift = arith::ConstantIndexOp::create(b, buf.alloc.getLoc(),
                                                   int64_t(buf.offset));
      Value view = memref::ViewOp::create(b, buf.alloc.getLoc(),
                                          buf.alloc.getType(), arena, shift,
                                          ValueRange{});
      buf.dealloc.erase();
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
  }
};
} // namespace
