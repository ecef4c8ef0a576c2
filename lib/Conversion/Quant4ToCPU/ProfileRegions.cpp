//===- ProfileRegions.cpp - time compiled ops by class --------------------===//
//
// See the description of quant4-cpu-profile-regions in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "RuntimeDecl.h"
#include "quant4/Conversion/Passes.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Runtime/Runtime.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Builders.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUPROFILEREGIONS
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kBegin = "quant4_rt_profile_begin";
constexpr llvm::StringLiteral kEnd = "quant4_rt_profile_end";

/// A linalg op whose body only forwards block arguments (a copy, transpose
/// or broadcast written as linalg.generic).
bool onlyMovesData(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (!body || body->getOperations().size() != 1) // the yield alone
    return false;
  return llvm::all_of(body->getTerminator()->getOperands(), [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == body;
  });
}

/// A contraction or convolution: its body multiplies (pooling ops, which
/// are convolutions to linalg's interfaces, only compare or add).
bool multiplies(linalg::LinalgOp op) {
  return (linalg::isaContractionOpInterface(op) ||
          isa<linalg::ConvolutionOpInterface>(op.getOperation())) &&
         llvm::any_of(op.getBlock()->without_terminator(), [](Operation &o) {
           return isa<arith::MulFOp, arith::MulIOp>(o);
         });
}

constexpr int kRuntimeCall = -1; // times itself, in its own class

/// A call of a runtime entry point on buffers (not of the profile's own).
bool isRuntimeCall(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  if (!call || !call.getCallee().starts_with("quant4_rt_") ||
      call.getCallee().starts_with("quant4_rt_profile_"))
    return false;
  return llvm::none_of(call.getOperandTypes(), llvm::IsaPred<TensorType>);
}

/// The profile class of `op`, kRuntimeCall, or nullopt when it is not
/// timed.
std::optional<int> profileClass(Operation *op) {
  if (isRuntimeCall(op))
    return kRuntimeCall;
  if (isa<memref::CopyOp>(op))
    return QUANT4_RT_PROFILE_DATAMOVE;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics())
    return std::nullopt;
  if (isa<linalg::FillOp, linalg::CopyOp, linalg::TransposeOp,
          linalg::BroadcastOp>(op) ||
      onlyMovesData(linalgOp))
    return QUANT4_RT_PROFILE_DATAMOVE;
  if (multiplies(linalgOp))
    return QUANT4_RT_PROFILE_LOOPGEMM;
  if (linalgOp.getNumReductionLoops() > 0)
    return QUANT4_RT_PROFILE_REDUCTION;
  return QUANT4_RT_PROFILE_ELEMENTWISE;
}

/// What `op` is, for the profile's list of ops: its name (a runtime call's
/// callee), the type of the buffer it writes and where it comes from.
std::string describe(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  Value written;
  if (auto call = dyn_cast<func::CallOp>(op)) {
    os << call.getCallee();
    for (Value v : call.getOperands()) { // the runtime's outputs come last
      if (auto cast = v.getDefiningOp<memref::CastOp>()) // to unranked
        v = cast.getSource();
      if (isa<MemRefType>(v.getType()))
        written = v;
    }
  } else {
    os << op->getName();
    if (auto copy = dyn_cast<memref::CopyOp>(op))
      written = copy.getTarget();
    else if (auto dps = dyn_cast<DestinationStyleOpInterface>(op);
             dps && dps.getNumDpsInits() > 0)
      written = dps.getDpsInitOperand(0)->get();
  }
  if (auto type = written ? dyn_cast<MemRefType>(written.getType()) : nullptr) {
    os << ' ';
    for (int64_t d : type.getShape())
      os << (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d))
         << 'x';
    os << type.getElementType();
  }
  if (std::string w = mlir::quant4::describeLocation(op->getLoc()); !w.empty())
    os << " (" << w << ')';
  return s;
}

struct ProfileRegionsPass
    : mlir::quant4::impl::Quant4CPUProfileRegionsBase<ProfileRegionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<Operation *, int>> timed;
    for (auto f : module.getOps<func::FuncOp>())
      f.walk([&](Operation *op) {
        if (std::optional<int> cls = profileClass(op))
          timed.push_back({op, *cls});
        // The ops inside a linalg op's body are part of it.
        return isa<linalg::LinalgOp>(op) ? WalkResult::skip()
                                         : WalkResult::advance();
      });
    if (timed.empty())
      return;
    Builder types(module.getContext());
    Type i32 = types.getI32Type(), i64 = types.getI64Type();
    FunctionType beginType = types.getFunctionType({}, {i64});
    FunctionType endType = types.getFunctionType({i32, i32, i64}, {});
    func::FuncOp begin =
        mlir::quant4::declareRuntimeFunction(module, kBegin, beginType);
    func::FuncOp end =
        mlir::quant4::declareRuntimeFunction(module, kEnd, endType);
    if (!begin || !end) {
      module.emitError() << "'" << kBegin << "' or '" << kEnd
                         << "' is declared with another type";
      return signalPassFailure();
    }
    // Regions continue the module's table (a second run of the pass times
    // the ops again, as new regions).
    SmallVector<std::string> regions = mlir::quant4::getProfileRegions(module);
    for (auto [op, cls] : timed) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      Value t0 = func::CallOp::create(b, loc, begin).getResult(0);
      b.setInsertionPointAfter(op);
      Value c = arith::ConstantIntOp::create(b, loc, cls, 32);
      Value r = arith::ConstantIntOp::create(b, loc, int64_t(regions.size()),
                                             32);
      func::CallOp::create(b, loc, end, ValueRange{c, r, t0});
      regions.push_back(describe(op));
    }
    if (regions.size() > QUANT4_RT_PROFILE_MAX_REGIONS)
      module.emitWarning() << "the profile lists only the first "
                           << QUANT4_RT_PROFILE_MAX_REGIONS << " of "
                           << regions.size() << " timed ops";
    mlir::quant4::setProfileRegions(module, regions);
  }
};
} // namespace
