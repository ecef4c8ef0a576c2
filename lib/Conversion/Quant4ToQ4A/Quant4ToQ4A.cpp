//===- Quant4ToQ4A.cpp - compile a quantized step to a Q4A program --------===//
//
// The pass convert-quant4-to-q4a and its driver: the function's ops in
// order, each lowered by Lowering::lowerOp in one half of the scratchpad,
// then the program's DRAM image. The class, and which file lowers which
// kind of op: Lowering.h.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_CONVERTQUANT4TOQ4A
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace mlir::q4a::lowering {

LogicalResult Lowering::lowerOp(Operation *op) {
  if (isa<tensor::EmptyOp>(op)) {
    define(op->getResult(0));
    return success();
  }
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (isa<ShapedType>(c.getType()))
      return constantSegment(c);
    return success(); // scalars: materialized where used
  }
  if (auto c = dyn_cast<mlir::quant4::ConstantOp>(op)) {
    std::vector<uint8_t> bytes;
    for (APInt v : c.getCodes().getValues<APInt>())
      bytes.push_back(uint8_t(v.getZExtValue()));
    Buf &b = define(c.getResult());
    if (b.esz != 1)
      return op->emitOpError("16-bit code constants are not supported");
    prog.segments.push_back(hw::Segment{b.addr, std::move(bytes)});
    return success();
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op)) {
    FailureOr<Buf> b = bufOf(op, op->getOperand(0));
    if (failed(b))
      return failure();
    bind(op->getResult(0), *b); // row-major: same bytes
    return success();
  }
  if (auto t = dyn_cast<linalg::TransposeOp>(op))
    if (t.getInput().getType().getRank() == 2)
      return lowerTranspose(t);
  if (auto m = dyn_cast<mlir::quant4::MatmulOp>(op)) {
    auto fa = *mlir::quant4::getFormat(m.getLhs().getType().getElementType());
    auto fb = *mlir::quant4::getFormat(m.getRhs().getType().getElementType());
    auto checkGran = [&](mlir::quant4::GranularityAttr g, int64_t outerAxis,
                         bool &perAxis) -> LogicalResult {
      perAxis = false;
      if (!g || g.getKind() == mlir::quant4::GranularityKind::tensor)
        return success();
      if (g.getKind() == mlir::quant4::GranularityKind::axis &&
          g.getAxis() == outerAxis) {
        perAxis = true;
        return success();
      }
      return op->emitOpError("block scales are not supported by the Q4A "
                             "lowering (the MXU applies per-tensor or "
                             "per-row/column scales)");
    };
    bool rowS, colS;
    if (failed(checkGran(m.getLhsGranularityAttr(),
                         m.getTransposeLhs() ? 1 : 0, rowS)) ||
        failed(checkGran(m.getRhsGranularityAttr(),
                         m.getTransposeRhs() ? 0 : 1, colS)))
      return failure();
    for (Value s : {m.getLhsScale(), m.getRhsScale()})
      if (!cast<RankedTensorType>(s.getType()).getElementType().isF32())
        return op->emitOpError("FP8 scale tensors are not supported by the "
                               "Q4A lowering");
    return lowerGemm(op, m.getLhs(), m.getRhs(), m.getLhsScale(),
                     m.getRhsScale(), rowS, colS, m.getTensorScales(), fa, fb,
                     mlir::quant4::toNumerics(m.getAccumulation()),
                     m.getTransposeLhs(), m.getTransposeRhs(), m.getResult());
  }
  if (auto q = dyn_cast<mlir::quant4::QuantizeOp>(op))
    return lowerQuantize(
        op, q.getInput(), q.getScale(), q.getTensorScale(), q.getSeed(),
        q.getStream(), q.getGranularityAttr(),
        *mlir::quant4::getFormat(q.getResult().getType().getElementType()),
        mlir::quant4::toNumerics(q.getRounding()), q.getResult(), false);
  if (auto q = dyn_cast<mlir::quant4::FakeQuantOp>(op))
    return lowerQuantize(op, q.getInput(), q.getScale(), q.getTensorScale(),
                         q.getSeed(), q.getStream(), q.getGranularityAttr(),
                         *mlir::quant4::getFormat(q.getFormat()),
                         mlir::quant4::toNumerics(q.getRounding()),
                         q.getResult(), true);
  if (auto d = dyn_cast<mlir::quant4::DequantizeOp>(op))
    return lowerDequantize(d);
  if (auto s = dyn_cast<mlir::quant4::ScaleOp>(op))
    return lowerScale(s);
  if (auto cv = dyn_cast<mlir::quant4::Conv2DOp>(op)) {
    auto ig = cv.getInputGranularityAttr(), fg = cv.getFilterGranularityAttr();
    if (ig && ig.getKind() != mlir::quant4::GranularityKind::tensor)
      return op->emitOpError("only per-tensor input scales are supported by "
                             "the Q4A lowering of convolutions");
    bool colS = false;
    if (fg && fg.getKind() != mlir::quant4::GranularityKind::tensor) {
      if (fg.getKind() != mlir::quant4::GranularityKind::axis ||
          fg.getAxis() != 3)
        return op->emitOpError("block scales are not supported by the Q4A "
                               "lowering (the MXU applies per-tensor or "
                               "per-output-channel filter scales)");
      colS = true;
    }
    for (Value s : {cv.getInputScale(), cv.getFilterScale()})
      if (!cast<RankedTensorType>(s.getType()).getElementType().isF32())
        return op->emitOpError("FP8 scale tensors are not supported by the "
                               "Q4A lowering");
    return lowerConv(
        op, cv.getInput(), cv.getFilter(), cv.getInputScale(),
        cv.getFilterScale(), colS, cv.getTensorScales(),
        *mlir::quant4::getFormat(cv.getInput().getType().getElementType()),
        *mlir::quant4::getFormat(cv.getFilter().getType().getElementType()),
        mlir::quant4::toNumerics(cv.getAccumulation()), cv.getStrides(),
        cv.getDilations(), cv.getResult());
  }
  if (auto e = dyn_cast<tensor::ExtractSliceOp>(op))
    return lowerExtractSlice(e);
  if (auto e = dyn_cast<tensor::InsertSliceOp>(op))
    return lowerInsertSlice(e);
  if (auto p = dyn_cast<tensor::PadOp>(op))
    return lowerPad(p);
  if (auto e = dyn_cast<tensor::ExtractOp>(op)) {
    // An element at constant indices: an alias of that element.
    auto t = e.getTensor().getType();
    int64_t lin = 0;
    for (auto [i, ix] : llvm::enumerate(e.getIndices())) {
      std::optional<int64_t> c = getConstantIntValue(ix);
      if (!c)
        return op->emitOpError("only constant indices are supported by the "
                               "Q4A lowering");
      lin = lin * t.getDimSize(int64_t(i)) + *c;
    }
    FailureOr<Buf> b = bufOf(op, e.getTensor());
    if (failed(b))
      return failure();
    bind(e.getResult(), Buf{b->addr + uint64_t(lin) * b->esz, 1, b->esz});
    return success();
  }
  if (auto l = dyn_cast<linalg::LinalgOp>(op))
    return lowerLinalg(l);
  return op->emitOpError("is not supported by the Q4A lowering");
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

static std::optional<std::pair<hw::DType, num::Format>> dtypeOf(Type t) {
  Type e = getElementTypeOrSelf(t);
  if (auto f = mlir::quant4::getFormat(e); f && mlir::quant4::isQuantizedFormat(e))
    return std::make_pair(hw::DType::Code, *f);
  num::Format none;
  if (e.isF32())
    return std::make_pair(hw::DType::F32, none);
  if (e.isSignlessInteger(64))
    return std::make_pair(hw::DType::I64, none);
  if (e.isSignlessInteger(32))
    return std::make_pair(hw::DType::I32, none);
  return std::nullopt;
}

std::string Lowering::sourceLabel(Operation *op) {
  std::string where = mlir::quant4::describeLocation(op->getLoc());
  if (where.empty())
    return op->getName().getStringRef().str();
  auto layer = layerAt.find(where);
  if (layer != layerAt.end())
    return layer->second + " (" + where + ")";
  auto first = firstOpAt.find(where);
  if (first != firstOpAt.end())
    return where + " (" + first->second + ")";
  return where;
}

LogicalResult Lowering::lowerInHalf(Operation *op, bool &upperHalf) {
  uint64_t full = arch.spBytes, half = (full / 2) & ~uint64_t(63);
  size_t codeSize = prog.code.size(), segments = prog.segments.size();
  size_t packedBefore = packed.size();
  uint64_t dramBefore = dramTop, packedTopBefore = packedTop;
  boundValues.clear();
  iotaLengths.clear();
  LogicalResult trial = failure();
  {
    // A failure here is retried with the whole SP; its diagnostics go.
    ScopedDiagnosticHandler quiet(op->getContext(),
                                  [](Diagnostic &) { return success(); });
    arch.spBytes = half;
    spOffset = upperHalf ? half : 0;
    trial = lowerOp(op);
    arch.spBytes = full;
    spOffset = 0;
  }
  if (succeeded(trial)) {
    if (prog.code.size() != codeSize)
      upperHalf = !upperHalf;
    return success();
  }
  // Undo the trial: its code, constants, DRAM and bindings.
  prog.code.resize(codeSize);
  prog.segments.resize(segments);
  dramTop = dramBefore;
  packed.resize(packedBefore);
  packedTop = packedTopBefore;
  for (Value v : boundValues)
    bufs.erase(v);
  for (int64_t n : iotaLengths)
    iotas.erase(n);
  return lowerOp(op);
}

FailureOr<hw::Program> Lowering::run() {
  prog.name = func.getSymName().str();
  prog.arch = arch;
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("must have a single block to be lowered to Q4A");
  auto desc = [&](Value v, const std::string &name,
                  uint64_t addr) -> FailureOr<hw::TensorDesc> {
    auto dt = dtypeOf(v.getType());
    auto st = dyn_cast<RankedTensorType>(v.getType());
    if (!dt || (st && !st.hasStaticShape()) ||
        (!st && !v.getType().isIntOrFloat()))
      return func.emitOpError("'")
             << name << "' has type " << v.getType()
             << ", which is not a Q4A input/output type (static f32, i32, "
                "i64 or quantized tensors and f32/i64 scalars)";
    hw::TensorDesc t;
    t.name = name;
    t.dtype = dt->first;
    t.format = dt->second;
    t.address = addr;
    if (st)
      for (int64_t d : st.getShape())
        t.shape.push_back(uint32_t(d));
    return t;
  };
  for (BlockArgument a : func.getArguments()) {
    // The type first: define() sizes the buffer from it, which needs a
    // static shape and an integer, float or quantized element type.
    FailureOr<hw::TensorDesc> t =
        desc(a, "arg" + std::to_string(a.getArgNumber()), 0);
    if (failed(t))
      return failure();
    t->address = define(a, /*packable=*/false).addr;
    prog.inputs.push_back(*t);
  }
  source = prog.internSource("(program inputs)");
  for (BlockArgument a : func.getArguments())
    if (getElementTypeOrSelf(a.getType()).isSignlessInteger(32)) {
      Buf in = bufs[a];
      Buf f = in;
      f.addr = allocDram(uint64_t(in.numel) * 4);
      convertI32(true, f.addr, in.addr, uint64_t(in.numel));
      bufs[a] = f;
    }
  Operation *ret = func.getBody().front().getTerminator();
  for (Operation &op : func.getBody().front().without_terminator()) {
    std::string where = mlir::quant4::describeLocation(op.getLoc());
    if (StringAttr layer = mlir::quant4::getLayerName(&op))
      layerAt.try_emplace(where, layer.getValue().str());
    if (isa<FileLineColLoc>(op.getLoc()) &&
        !op.hasTrait<OpTrait::ConstantLike>() && !isa<tensor::EmptyOp>(op))
      firstOpAt.try_emplace(where, op.getName().getStringRef().str());
  }
  bool upperHalf = false;
  for (Operation &op : func.getBody().front().without_terminator()) {
    source = prog.internSource(sourceLabel(&op));
    if (failed(lowerInHalf(&op, upperHalf)))
      return failure();
    if (dramTop > dramLimit)
      return op.emitOpError("needs ")
             << dramTop << " bytes of DRAM in total, more than the target's "
             << dramLimit << " bytes";
  }
  source = prog.internSource("(program outputs)");
  // Outputs: a value computed here becomes the output in place; arguments,
  // constants and values returned twice are copied to a region of their own.
  DenseSet<Value> inPlace;
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    FailureOr<Buf> b = bufOf(ret, v);
    if (failed(b))
      return failure();
    bool copy = isa<BlockArgument>(v) || inPlace.contains(v) ||
                isPacked(b->addr) || v.getDefiningOp<arith::ConstantOp>() ||
                v.getDefiningOp<mlir::quant4::ConstantOp>() ||
                v.getDefiningOp<tensor::CollapseShapeOp>() ||
                v.getDefiningOp<tensor::ExpandShapeOp>();
    uint64_t addr = b->addr;
    if (getElementTypeOrSelf(v.getType()).isSignlessInteger(32)) {
      addr = allocDram(uint64_t(b->numel) * 4);
      convertI32(false, addr, b->addr, uint64_t(b->numel));
    } else if (copy) {
      uint64_t bytes = uint64_t(b->numel) * b->esz;
      addr = allocDram(bytes);
      uint64_t chunk = std::min<uint64_t>(bytes, arch.spBytes & ~uint64_t(15));
      for (uint64_t o = 0; o < bytes; o += chunk) {
        uint64_t nb = std::min(chunk, bytes - o);
        dmaLinear(true, 0, b->addr + o, nb);
        dmaLinear(false, 0, addr + o, nb);
      }
    }
    inPlace.insert(v);
    FailureOr<hw::TensorDesc> t = desc(v, "result" + std::to_string(i), addr);
    if (failed(t))
      return failure();
    prog.outputs.push_back(*t);
  }
  emit(Instr::make(Opcode::HALT));
  prog.dramSize = alignTo(std::max<uint64_t>(dramTop, 64), 4096);
  if (prog.dramSize > dramLimit)
    return func.emitOpError("needs ")
           << prog.dramSize << " bytes of DRAM, more than the target's "
           << dramLimit << " bytes";
  if (std::string e = prog.validate(); !e.empty())
    return func.emitOpError("internal error: the generated Q4A program is "
                            "invalid: ")
           << e;
  return prog;
}

} // namespace mlir::q4a::lowering

namespace {

using mlir::q4a::fromProgram;
using mlir::q4a::lowering::Lowering;
namespace hw = mlir::q4a::hw;

struct ConvertQuant4ToQ4APass
    : mlir::quant4::impl::ConvertQuant4ToQ4ABase<ConvertQuant4ToQ4APass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn;
    if (!entry.empty()) {
      fn = module.lookupSymbol<func::FuncOp>(entry);
      if (!fn) {
        // Diagnostics about the options and the module are emitted at the
        // module's location, not on the module (which would print all of it
        // as a note).
        mlir::emitError(module.getLoc(),
                        "convert-quant4-to-q4a: no function named '")
            << entry << "'";
        return signalPassFailure();
      }
    } else {
      SmallVector<func::FuncOp> pub;
      for (auto f : module.getOps<func::FuncOp>())
        if (f.isPublic() && !f.isExternal())
          pub.push_back(f);
      if (pub.size() != 1) {
        mlir::emitError(module.getLoc(),
                        "convert-quant4-to-q4a: expected exactly one public "
                        "function (or the 'entry' option), found ")
            << pub.size();
        return signalPassFailure();
      }
      fn = pub.front();
    }
    hw::Arch arch;
    arch.spBytes = spSize;
    arch.arrayRows = uint16_t(arrayRows);
    arch.arrayCols = uint16_t(arrayCols);
    if (std::string e = arch.validate(); !e.empty()) {
      mlir::emitError(module.getLoc(), "convert-quant4-to-q4a: ") << e;
      return signalPassFailure();
    }
    uint64_t limit = dramSize ? uint64_t(dramSize) : (uint64_t(1) << 32) - 4096;
    Lowering l(fn, arch, limit, packCodes);
    FailureOr<hw::Program> p = l.run();
    if (failed(p))
      return signalPassFailure();
    OpBuilder b(fn);
    fromProgram(b, fn.getLoc(), *p);
    fn.erase();
  }
};

} // namespace
