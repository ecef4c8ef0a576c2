//===- Quant4ToQ4A.cpp - compile a quantized step to a Q4A program --------===//
//
// Every tensor value lives in DRAM; each op streams its operands through the
// scratchpad (SP) in tiles, computes with the MXU / VPU / SFU and writes its
// result back to DRAM. Each op works in one half of the SP, the halves
// alternating from op to op (lowerInHalf), so that consecutive ops touch
// different SP bytes and can overlap once scheduled. The
// program is in sequential order (docs/ISA.md §2.2) with no synchronisation:
// q4a-synchronize makes it well synchronised (§2.3).
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Quant4ToQ4A/Passes.h"
#include "quant4/Target/Q4A/Synchronize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

#include <cmath>

#include <cstring>

namespace mlir::quant4 {
#define GEN_PASS_DEF_CONVERTQUANT4TOQ4A
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::q4a;
using hw::Instr;
using hw::Opcode;

namespace {

struct Buf {
  uint64_t addr = 0;
  int64_t numel = 0;
  unsigned esz = 4;
};

/// The f32 elements that share one scale: `runs` runs of `run` contiguous
/// elements in DRAM, `stride` bytes apart, from `addr` (in row-major order).
struct ScaleGroup {
  uint64_t addr, runs, run, stride;
};

/// A body value during elementwise evaluation: an f register or an SP array.
struct Operand {
  bool reg = false;
  uint64_t v = 0; // register number or SP address
};

uint64_t alignTo(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/// One dimension of a DMA box: count, DRAM and SP strides in elements.
struct GDim {
  int64_t cnt, ds, ss;
};
/// A sub-box of a row-major index space that is a contiguous range of its
/// flattened index [flat0, flat0 + size).
struct IBox {
  SmallVector<int64_t> start, cnt;
  int64_t flat0 = 0, size = 0;
};
/// A tensor seen through an indexing map: element offset + per-loop-dim
/// element strides (possibly 0 = broadcast, or negative = reversed).
struct AffView {
  int64_t off = 0;
  SmallVector<int64_t> coef;
};
/// A body value read from a strided DRAM tensor.
struct VecOperand {
  Value arg;
  uint64_t addr;
  AffView view;
};

class Lowering {
public:
  Lowering(func::FuncOp f, hw::Arch arch, uint64_t dramLimit)
      : func(f), arch(arch), dramLimit(dramLimit) {}

  FailureOr<hw::Program> run();

private:
  func::FuncOp func;
  hw::Arch arch;
  uint64_t dramLimit;
  hw::Program prog;
  DenseMap<Value, Buf> bufs;
  uint64_t dramTop = 0;
  DenseMap<int64_t, uint64_t> iotas;
  /// What the op being lowered added to `bufs` and `iotas`, so that a trial
  /// lowering (lowerInHalf) can be undone.
  SmallVector<Value> boundValues;
  SmallVector<int64_t> iotaLengths;

  /// Gives `v` its storage.
  Buf &bind(Value v, Buf b) {
    boundValues.push_back(v);
    return bufs[v] = b;
  }

  // ---- emission --------------------------------------------------------
  /// The scratchpad window of the op being lowered: its tiling sees
  /// `arch.spBytes` bytes from address 0, which emit() moves to `spOffset`.
  uint64_t spOffset = 0;

  /// Appends an instruction in sequential order; q4a-synchronize orders the
  /// units afterwards.
  void emit(Instr in) {
    if (spOffset)
      hw::relocateScratchpad(in, spOffset);
    prog.code.push_back(std::move(in));
  }
  /// Lowers `op` in one half of the scratchpad (the other half from the
  /// previous op's), so that consecutive ops do not reuse each other's SP
  /// bytes and q4a-synchronize can let them overlap; an op that does not fit
  /// half the SP gets all of it.
  LogicalResult lowerInHalf(Operation *op, bool &upperHalf);
  Instr mk(Opcode op, std::initializer_list<std::pair<const char *, uint64_t>>
                          fields) {
    Instr in = Instr::make(op);
    for (auto &[n, v] : fields)
      in.set(n, v);
    return in;
  }
  uint64_t allocDram(uint64_t bytes) {
    uint64_t a = dramTop;
    dramTop = alignTo(dramTop + std::max<uint64_t>(bytes, 1), 64);
    return a;
  }
  /// Contiguous DRAM <-> SP copy.
  void dmaLinear(bool load, uint64_t sp, uint64_t dram, uint64_t bytes) {
    while (bytes) {
      uint64_t row = std::min<uint64_t>(bytes, 32768);
      uint64_t rows = std::min<uint64_t>(bytes / row, 4095);
      emit(mk(load ? Opcode::DMA_LD : Opcode::DMA_ST,
              {{"sp", sp}, {"dram", dram}, {"rows", rows}, {"bytes", row},
               {"dstride", row}, {"sstride", row}}));
      sp += rows * row;
      dram += rows * row;
      bytes -= rows * row;
    }
  }
  void dma2D(bool load, uint64_t sp, uint64_t dram, uint64_t rows,
             uint64_t rowBytes, uint64_t dstride, uint64_t sstride) {
    if (rows == 1 || (dstride == rowBytes && sstride == rowBytes))
      return dmaLinear(load, sp, dram, rows * rowBytes);
    while (rows) {
      uint64_t r = std::min<uint64_t>(rows, 4095);
      emit(mk(load ? Opcode::DMA_LD : Opcode::DMA_ST,
              {{"sp", sp}, {"dram", dram}, {"rows", r}, {"bytes", rowBytes},
               {"dstride", dstride}, {"sstride", sstride}}));
      sp += r * sstride;
      dram += r * dstride;
      rows -= r;
    }
  }
  /// i32 values live in DRAM/SP as exact f32 values (|v| < 2^23) inside a
  /// program. At the boundary: int32 bits b in [0, 2^23) read as f32 are the
  /// subnormal b * 2^-149, so * 2^126 * 2^23 gives b exactly, and the
  /// inverse products give the bits back (docs/ISA.md §9).
  void convertI32(bool toF32, uint64_t dst, uint64_t src, uint64_t n) {
    lif(1, toF32 ? std::ldexp(1.0f, 126) : std::ldexp(1.0f, -23));
    lif(2, toF32 ? std::ldexp(1.0f, 23) : std::ldexp(1.0f, -126));
    uint64_t chunk = std::min<uint64_t>(n, (arch.spBytes - 16) / 4);
    chunk = std::min<uint64_t>(chunk, (1u << 20) - 1);
    for (uint64_t i0 = 0; i0 < n; i0 += chunk) {
      uint64_t k = std::min(chunk, n - i0);
      dmaLinear(true, 0, src + 4 * i0, 4 * k);
      for (unsigned r : {1u, 2u})
        emit(mk(Opcode::VOP, {{"fn", uint64_t(hw::VFn::Mul)}, {"n", k},
                              {"d", 0}, {"a", 0}, {"b", r}, {"rb", 1}}));
      dmaLinear(false, 0, dst + 4 * i0, 4 * k);
    }
  }
  void lif(unsigned reg, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    emit(mk(Opcode::LIF, {{"fd", reg}, {"imm", bits}}));
  }
  void li(unsigned reg, uint64_t v) {
    emit(mk(Opcode::LI, {{"xd", reg}, {"imm", v}}));
  }

  // ---- values ------------------------------------------------------------
  static int64_t numel(Type t) {
    if (auto s = dyn_cast<RankedTensorType>(t))
      return s.getNumElements();
    return 1;
  }
  static unsigned eltBytes(Type t) {
    Type e = getElementTypeOrSelf(t);
    if (auto f = mlir::quant4::getFormat(e))
      return hw::elementBytes(*f);
    return std::max(1u, e.getIntOrFloatBitWidth() / 8);
  }
  Buf &define(Value v) {
    Buf b;
    b.numel = numel(v.getType());
    b.esz = eltBytes(v.getType());
    b.addr = allocDram(uint64_t(b.numel) * b.esz);
    return bind(v, b);
  }
  FailureOr<Buf> bufOf(Operation *user, Value v) {
    auto it = bufs.find(v);
    if (it != bufs.end())
      return it->second;
    // Scalar constants materialize on demand as a tiny data segment.
    if (auto c = v.getDefiningOp<arith::ConstantOp>())
      if (succeeded(constantSegment(c)))
        return bufs[v];
    return user->emitOpError("operand ")
           << v << " has no Q4A storage (it is produced by an op the Q4A "
                   "lowering does not support)";
  }
  LogicalResult constantSegment(arith::ConstantOp c) {
    auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
    std::vector<uint8_t> bytes;
    Type et;
    if (dense) {
      et = dense.getElementType();
      if (et.isF32()) {
        for (APFloat f : dense.getValues<APFloat>()) {
          uint32_t b = uint32_t(f.bitcastToAPInt().getZExtValue());
          for (int i = 0; i < 4; ++i)
            bytes.push_back(uint8_t(b >> (8 * i)));
        }
      } else if (et.isSignlessInteger(64) || et.isSignlessInteger(32)) {
        unsigned w = et.getIntOrFloatBitWidth() / 8;
        for (APInt v : dense.getValues<APInt>())
          for (unsigned i = 0; i < w; ++i)
            bytes.push_back(uint8_t(v.getZExtValue() >> (8 * i)));
      } else {
        return c.emitOpError("dense constants of ")
               << et << " are not supported by the Q4A lowering";
      }
    } else if (auto f = dyn_cast<FloatAttr>(c.getValue()); f && f.getType().isF32()) {
      uint32_t b = uint32_t(f.getValue().bitcastToAPInt().getZExtValue());
      for (int i = 0; i < 4; ++i)
        bytes.push_back(uint8_t(b >> (8 * i)));
    } else if (auto i = dyn_cast<IntegerAttr>(c.getValue());
               i && i.getType().isSignlessInteger(64)) {
      for (int k = 0; k < 8; ++k)
        bytes.push_back(uint8_t(uint64_t(i.getInt()) >> (8 * k)));
    } else {
      return c.emitOpError("constant is not supported by the Q4A lowering");
    }
    Buf b;
    b.numel = numel(c.getType());
    b.esz = uint32_t(bytes.size() / std::max<int64_t>(b.numel, 1));
    b.addr = allocDram(bytes.size());
    prog.segments.push_back(hw::Segment{b.addr, std::move(bytes)});
    bind(c.getResult(), b);
    return success();
  }
  /// DEQ of n codes at SP `codes` into floats at SP `dst`, scales at SP
  /// `scales` grouped by x3, the tensor scale in f1 when ts.
  void emitDequantize(const num::Format &fmt, uint64_t n, uint64_t dst,
                      uint64_t codes, uint64_t scales, unsigned ts) {
    Instr d = Instr::make(Opcode::DEQ);
    d.set("fmt", hw::encodeFormat(fmt));
    d.set("n", n);
    d.set("d", dst);
    d.set("s", codes);
    d.set("sc", scales);
    d.set("grp", 3);
    d.set("ts", ts);
    emit(d);
  }
  /// The MXU setup of a GEMM or convolution: MCFG with the formats and the
  /// accumulation; the tensor-scale product tA·tB (MX/NVFP4), when there are
  /// tensor scales, in f1 (the caller's ts register; f0 = 1 otherwise); and,
  /// when an operand has no scale, 1.0 (f0) in SP cell `one` to stand for
  /// it.
  LogicalResult configureMxu(Operation *op, const num::Format &fa,
                             const num::Format &fb, num::Accumulation acc,
                             ValueRange tensorScales, uint64_t one,
                             bool unitScaleCell) {
    Instr cfg = Instr::make(Opcode::MCFG);
    cfg.set("fa", hw::encodeFormat(fa));
    cfg.set("fb", hw::encodeFormat(fb));
    cfg.set("acc", uint64_t(acc.kind));
    cfg.set("chunk", uint64_t(acc.chunk));
    emit(cfg);
    if (!tensorScales.empty()) {
      if (failed(scalarToReg(op, tensorScales[0], 1, one)))
        return failure();
      if (tensorScales.size() > 1) {
        if (failed(scalarToReg(op, tensorScales[1], 2, one)))
          return failure();
        emit(mk(Opcode::FOP, {{"fn", uint64_t(hw::VFn::Mul)}, {"fd", 1},
                              {"fa", 1}, {"fb", 2}}));
      }
    }
    if (unitScaleCell)
      emit(mk(Opcode::FST, {{"fs", 0}, {"addr", one}}));
    return success();
  }
  /// Puts a scalar (f32 value, or 1-element f32 tensor) into f register
  /// `reg`, using SP `cell` (4 bytes) as a staging area.
  LogicalResult scalarToReg(Operation *user, Value v, unsigned reg,
                            uint64_t cell) {
    if (auto c = v.getDefiningOp<arith::ConstantOp>()) {
      if (auto f = dyn_cast<FloatAttr>(c.getValue()); f && f.getType().isF32()) {
        lif(reg, f.getValue().convertToFloat());
        return success();
      }
      if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
        // Integers (i32, index) are f32 values on the vector unit.
        lif(reg, float(i.getValue().getSExtValue()));
        return success();
      }
    }
    Type et = getElementTypeOrSelf(v.getType());
    if ((!et.isF32() && !et.isSignlessInteger(32)) || numel(v.getType()) != 1)
      return user->emitOpError("expected an f32 scalar operand, got ")
             << v.getType();
    FailureOr<Buf> b = bufOf(user, v);
    if (failed(b))
      return failure();
    dmaLinear(true, cell, b->addr, 4);
    emit(mk(Opcode::FLD, {{"fd", reg}, {"addr", cell}}));
    return success();
  }
  LogicalResult fits(Operation *op, uint64_t bytes, StringRef what) {
    if (bytes > arch.spBytes)
      return op->emitOpError("needs ")
             << bytes << " bytes of scratchpad for " << what << ", but the "
             << arch.spBytes << "-byte scratchpad is too small";
    return success();
  }

  // ---- ops ---------------------------------------------------------------
  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerLinalg(linalg::LinalgOp op);
  LogicalResult lowerElementwise(linalg::LinalgOp op);
  LogicalResult lowerReduction(linalg::LinalgOp op);
  LogicalResult lowerTranspose(linalg::TransposeOp op);
  LogicalResult classifyOperands(linalg::LinalgOp op,
                                 SmallVector<VecOperand> &vecs,
                                 DenseMap<Value, Operand> &vals,
                                 unsigned &nextReg, bool inputsOnly);
  uint64_t xfer(bool load, uint64_t sp, int64_t dram, ArrayRef<GDim> dims,
                unsigned esz, bool dry = false);
  void copyDram(uint64_t dst, uint64_t src, uint64_t bytes);
  uint64_t iota(int64_t n);
  LogicalResult copyView(Operation *op, uint64_t viewAddr,
                         const AffView &view, uint64_t linAddr,
                         ArrayRef<int64_t> shape, unsigned esz, bool scatter);
  LogicalResult lowerExtractSlice(tensor::ExtractSliceOp op);
  LogicalResult lowerInsertSlice(tensor::InsertSliceOp op);
  LogicalResult lowerPad(tensor::PadOp op);
  LogicalResult lowerConv(Operation *op, Value x, Value w, Value sx, Value sw,
                          bool colScales, ValueRange tensorScales,
                          num::Format fa, num::Format fb,
                          num::Accumulation acc, ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> dil, Value result);
  LogicalResult lowerGemm(Operation *op, Value lhs, Value rhs, Value ls,
                          Value rs, bool rowScales, bool colScales,
                          ValueRange tensorScales, num::Format fa,
                          num::Format fb, num::Accumulation acc, bool ta,
                          bool tb, Value result);
  LogicalResult lowerQuantize(Operation *op, Value input, Value scale,
                              Value tensorScale, Value seed, int64_t stream,
                              mlir::quant4::GranularityAttr g,
                              num::Format fmt, num::Rounding rnd,
                              Value result, bool fake);
  LogicalResult lowerDequantize(mlir::quant4::DequantizeOp op);
  LogicalResult lowerScale(mlir::quant4::ScaleOp op);
  LogicalResult lowerAxisScale(mlir::quant4::ScaleOp op, int64_t axis);
  /// Streams a scale group through SP at `data`, at most `cap` elements at
  /// a time (whole runs while a run fits, else pieces of one run), calling
  /// f(n, first) after each load: n elements, the first of them the group's
  /// element `first`.
  void streamGroup(const ScaleGroup &g, uint64_t data, uint64_t cap,
                   function_ref<void(uint64_t, uint64_t)> f);
  /// f[reg] = the group's amax (vred amax into SP `cell`, then fld).
  LogicalResult amaxInto(Operation *op, const ScaleGroup &g, unsigned reg,
                         uint64_t cell, uint64_t spBase);
  /// f[reg] = the group's SAWB scale: ssawb when the group fits SP at once,
  /// else sawb.acc per chunk (in the lane of its first element) and sawb.fin.
  LogicalResult sawbInto(Operation *op, const ScaleGroup &g, unsigned reg,
                         uint64_t fdesc, uint64_t spBase);
  static ScaleGroup wholeTensor(const Buf &b) {
    uint64_t n = uint64_t(b.numel);
    return {b.addr, 1, n, 4 * n};
  }
  LogicalResult evalBody(linalg::LinalgOp op, Block &body,
                         DenseMap<Value, Operand> &vals, uint64_t n,
                         uint64_t &spTop, Operation *stopAt,
                         unsigned &nextReg);
  LogicalResult scaleGroup(Operation *op, RankedTensorType type,
                           mlir::quant4::GranularityAttr g, Value scale,
                           uint64_t &inner, uint64_t &len);
};

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
// GEMM
//===----------------------------------------------------------------------===//

LogicalResult Lowering::lowerGemm(Operation *op, Value lhs, Value rhs,
                                  Value ls, Value rs, bool rowScales,
                                  bool colScales, ValueRange tensorScales,
                                  num::Format fa, num::Format fb,
                                  num::Accumulation acc, bool ta, bool tb,
                                  Value result) {
  auto lt = cast<RankedTensorType>(lhs.getType());
  auto rt = cast<RankedTensorType>(rhs.getType());
  if (lt.getRank() != 2 || rt.getRank() != 2)
    return op->emitOpError("only 2-D GEMMs are supported by the Q4A lowering");
  uint64_t M = uint64_t(lt.getDimSize(ta ? 1 : 0));
  uint64_t K = uint64_t(lt.getDimSize(ta ? 0 : 1));
  uint64_t N = uint64_t(rt.getDimSize(tb ? 0 : 1));
  FailureOr<Buf> A = bufOf(op, lhs), B = bufOf(op, rhs);
  if (failed(A) || failed(B))
    return failure();
  FailureOr<Buf> SA = ls ? bufOf(op, ls) : FailureOr<Buf>(Buf{});
  FailureOr<Buf> SB = rs ? bufOf(op, rs) : FailureOr<Buf>(Buf{});
  if (failed(SA) || failed(SB))
    return failure();
  Buf C = define(result);
  unsigned ea = hw::elementBytes(fa), eb = hw::elementBytes(fb);
  uint64_t mt = std::min<uint64_t>(M, arch.arrayRows);
  uint64_t nt = std::min<uint64_t>(N, arch.arrayCols);
  uint64_t rowTiles = (M + mt - 1) / mt;
  uint64_t kMax = std::min<uint64_t>(65535 / std::max(ea, eb), 65535);

  // Blocking: a block of `mb` row tiles of A stays in the SP while column
  // panels of B stream past it; each panel feeds `mb` MMAs into accumulator
  // tiles 0..mb-1. The B panel, its column scales and the C tiles are double
  // buffered (slot = panel parity), so that once q4a-synchronize has placed
  // dependency tokens the DMA loads the next panel and stores the previous
  // results while the MXU works. Every output entry is still one chain of
  // MMAs over k in increasing order: the blocking changes no bit.
  // SP layout: [one | sa (mb·mt) | sb ×2 | C tiles ×2 | A block | B panel ×2]
  struct Layout {
    uint64_t mb = 1, kt = 0, sa = 16, sb[2] = {0, 0}, c[2] = {0, 0}, a = 0,
             b[2] = {0, 0}, end = 0;
  };
  auto layoutFor = [&](uint64_t mb, uint64_t kt, unsigned slots) {
    Layout l;
    l.mb = mb;
    l.kt = kt;
    auto place = [&](uint64_t(&at)[2], uint64_t from, uint64_t bytes) {
      at[0] = alignTo(from, 16);
      at[1] = slots == 2 ? alignTo(at[0] + bytes, 16) : at[0];
      return at[1] + bytes;
    };
    uint64_t top = place(l.sb, l.sa + 4 * mb * mt, 4 * nt);
    top = place(l.c, top, 4 * mb * mt * nt);
    l.a = alignTo(top, 16);
    l.end = place(l.b, l.a + mb * mt * kt * ea, nt * kt * eb) + 32;
    return l;
  };
  // Double buffering when the scratchpad has room for it, else one slot.
  Layout L;
  bool placed = false, resident = false; // resident: all of K in the block
  for (unsigned slots : {2u, 1u}) {
    if (K <= kMax)
      for (uint64_t mb : {8, 4, 2, 1}) {
        mb = std::min<uint64_t>(mb, rowTiles);
        Layout c = layoutFor(mb, K, slots);
        if (c.end <= arch.spBytes && mb <= hw::kNumAccTiles) {
          L = c;
          placed = resident = true;
          break;
        }
      }
    if (placed)
      break;
    // K in chunks, one row tile at a time: the largest chunk that fits.
    Layout base = layoutFor(1, 0, slots);
    if (base.end + mt * ea + slots * nt * eb + 16 * slots > arch.spBytes)
      continue;
    uint64_t avail = arch.spBytes - base.end - 16 * slots;
    uint64_t kt = std::min<uint64_t>(K, avail / (mt * ea + slots * nt * eb));
    L = layoutFor(1, std::max<uint64_t>(1, std::min(kt, kMax)), slots);
    placed = L.end <= arch.spBytes;
    if (placed)
      break;
  }
  if (!placed) {
    if (failed(fits(op, layoutFor(1, 1, 1).end, "one GEMM tile")))
      return failure();
    return op->emitOpError("no GEMM tiling fits the ")
           << arch.spBytes << "-byte scratchpad";
  }
  uint64_t kt = L.kt, one = 0;

  // The MXU configuration, scale cells and the tensor-scale product.
  unsigned ts = tensorScales.empty() ? 0 : 1; // f1 holds tA·tB, f0 = 1
  if (failed(configureMxu(op, fa, fb, acc, tensorScales, one, !ls || !rs)))
    return failure();
  // One step: a block of row tiles [m0, m0 + rows) against the column panel
  // [n0, n0 + nn), over K chunk [k0, k0 + kk); `slot` is the panel's buffer.
  struct Step {
    uint64_t m0, rows, n0, nn, k0, kk;
    unsigned slot;
    bool firstOfBlock, lastK;
  };
  std::vector<Step> steps;
  uint64_t panel = 0;
  for (uint64_t m0 = 0; m0 < M; m0 += L.mb * mt) {
    uint64_t rows = std::min(L.mb * mt, M - m0);
    for (uint64_t n0 = 0; n0 < N; n0 += nt, ++panel)
      for (uint64_t k0 = 0; k0 < K; k0 += kt)
        steps.push_back({m0, rows, n0, std::min(nt, N - n0), k0,
                         std::min(kt, K - k0), unsigned(panel & 1),
                         n0 == 0 && k0 == 0, k0 + kt >= K});
  }
  auto ldaOf = [&](const Step &st) { return ta ? st.rows : st.kk; };
  // The DMA work of a step: its A block (once per block when the block holds
  // all of K, every step otherwise), row scales, B panel and column scales.
  auto loads = [&](const Step &st) {
    if (!resident || st.firstOfBlock) {
      if (!ta)
        dma2D(true, L.a, A->addr + (st.m0 * K + st.k0) * ea, st.rows,
              st.kk * ea, K * ea, st.kk * ea);
      else
        dma2D(true, L.a, A->addr + (st.k0 * M + st.m0) * ea, st.kk,
              st.rows * ea, M * ea, st.rows * ea);
    }
    if (ls && st.firstOfBlock)
      dmaLinear(true, L.sa, SA->addr + (rowScales ? 4 * st.m0 : 0),
                4 * (rowScales ? st.rows : 1));
    if (!tb)
      dma2D(true, L.b[st.slot], B->addr + (st.k0 * N + st.n0) * eb, st.kk,
            st.nn * eb, N * eb, st.nn * eb);
    else
      dma2D(true, L.b[st.slot], B->addr + (st.n0 * K + st.k0) * eb, st.nn,
            st.kk * eb, K * eb, st.kk * eb);
    if (rs && st.lastK)
      dmaLinear(true, L.sb[st.slot], SB->addr + (colScales ? 4 * st.n0 : 0),
                4 * (colScales ? st.nn : 1));
  };
  // The MXU work of a step, and the store of its results after the last K
  // chunk.
  auto compute = [&](const Step &st) {
    uint64_t tiles = (st.rows + mt - 1) / mt, lda = ldaOf(st);
    for (uint64_t t = 0; t < tiles; ++t) {
      uint64_t mm = std::min(mt, st.rows - t * mt);
      uint64_t aAt = L.a + (ta ? t * mt : t * mt * lda) * ea;
      emit(mk(Opcode::MMA, {{"tile", t},
                            {"accum", st.k0 > 0},
                            {"ta", ta},
                            {"tb", tb},
                            {"m", mm},
                            {"n", st.nn},
                            {"k", st.kk},
                            {"a", aAt},
                            {"b", L.b[st.slot]},
                            {"lda", lda},
                            {"ldb", tb ? st.kk : st.nn}}));
    }
    if (!st.lastK)
      return;
    for (uint64_t t = 0; t < tiles; ++t) {
      uint64_t mm = std::min(mt, st.rows - t * mt);
      uint64_t cAt = L.c[st.slot] + 4 * t * mt * nt;
      uint64_t saAt = ls ? L.sa + (rowScales ? 4 * t * mt : 0) : one;
      emit(mk(Opcode::MST, {{"tile", t},
                            {"m", mm},
                            {"n", st.nn},
                            {"d", cAt},
                            {"ldc", st.nn},
                            {"sam", rowScales},
                            {"sa", saAt},
                            {"sbm", colScales},
                            {"sb", rs ? L.sb[st.slot] : one},
                            {"ts", ts}}));
      dma2D(false, cAt, C.addr + ((st.m0 + t * mt) * N + st.n0) * 4, mm,
            st.nn * 4, N * 4, st.nn * 4);
    }
  };
  // Software pipelining: the next step's loads go before this step's
  // compute in program order when they touch only the other slot (double
  // buffering, within a block whose A stays resident), so that the DMA
  // fetches panel p + 1 while the MXU works on panel p.
  bool pipelined = resident && L.b[0] != L.b[1];
  if (!steps.empty())
    loads(steps[0]);
  for (size_t i = 0; i < steps.size(); ++i) {
    bool prefetch =
        pipelined && i + 1 < steps.size() && !steps[i + 1].firstOfBlock;
    if (prefetch)
      loads(steps[i + 1]);
    compute(steps[i]);
    if (!prefetch && i + 1 < steps.size())
      loads(steps[i + 1]);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

LogicalResult Lowering::scaleGroup(Operation *op, RankedTensorType type,
                                   mlir::quant4::GranularityAttr g,
                                   Value scale, uint64_t &inner,
                                   uint64_t &len) {
  inner = len = 0;
  if (!g || g.getKind() == mlir::quant4::GranularityKind::tensor) {
    if (numel(scale.getType()) != 1)
      return op->emitOpError("per-tensor scale must have one element");
    return success();
  }
  if (g.getKind() != mlir::quant4::GranularityKind::axis)
    return op->emitOpError("block granularity is not supported by the Q4A "
                           "lowering");
  int64_t a = g.getAxis();
  inner = 1;
  for (int64_t d = a + 1; d < type.getRank(); ++d)
    inner *= uint64_t(type.getDimSize(d));
  len = uint64_t(type.getDimSize(a));
  return success();
}

LogicalResult Lowering::lowerQuantize(Operation *op, Value input, Value scale,
                                      Value tensorScale, Value seed,
                                      int64_t stream,
                                      mlir::quant4::GranularityAttr g,
                                      num::Format fmt, num::Rounding rnd,
                                      Value result, bool fake) {
  auto type = cast<RankedTensorType>(input.getType());
  if (!type.getElementType().isF32())
    return op->emitOpError("only f32 inputs are supported by the Q4A lowering");
  if (!cast<RankedTensorType>(scale.getType()).getElementType().isF32())
    return op->emitOpError("FP8 scale tensors are not supported by the Q4A "
                           "lowering");
  uint64_t inner, len;
  if (failed(scaleGroup(op, type, g, scale, inner, len)))
    return failure();
  FailureOr<Buf> in = bufOf(op, input), sc = bufOf(op, scale);
  if (failed(in) || failed(sc))
    return failure();
  Buf out = define(result);
  uint64_t nScales = uint64_t(numel(scale.getType()));
  // SP: [cell | scales | x chunk | codes chunk | (fake: f32 out chunk)]
  uint64_t cell = 0, scA = 16, xA = alignTo(scA + 4 * nScales, 16);
  unsigned esz = hw::elementBytes(fmt);
  uint64_t per = 4 + esz + (fake ? 4 : 0);
  if (failed(fits(op, xA + per + 64, "the scales and one element")))
    return failure();
  uint64_t chunk = std::min<uint64_t>(uint64_t(type.getNumElements()),
                                      (arch.spBytes - xA - 64) / per);
  chunk = std::min<uint64_t>(chunk, (1u << 20) - 1);
  uint64_t cA = alignTo(xA + 4 * chunk, 16);
  uint64_t yA = alignTo(cA + esz * chunk, 16);
  dmaLinear(true, scA, sc->addr, 4 * nScales);
  unsigned ts = 0;
  if (tensorScale) {
    if (failed(scalarToReg(op, tensorScale, 1, cell)))
      return failure();
    ts = 1;
  }
  bool stoch = rnd == num::Rounding::Stochastic ||
               rnd == num::Rounding::StochasticUnderflow;
  if (stoch) {
    if (!seed)
      return op->emitOpError("stochastic rounding needs a seed");
    if (auto c = seed.getDefiningOp<arith::ConstantOp>()) {
      li(1, uint64_t(cast<IntegerAttr>(c.getValue()).getInt()));
    } else {
      FailureOr<Buf> s = bufOf(op, seed);
      if (failed(s))
        return failure();
      dmaLinear(true, cell, s->addr, 8);
      emit(mk(Opcode::XLD, {{"xd", 1}, {"addr", cell}}));
    }
    li(2, uint64_t(stream));
  }
  li(3, inner | (len << 32));
  uint64_t total = uint64_t(type.getNumElements());
  for (uint64_t i0 = 0; i0 < total; i0 += chunk) {
    uint64_t n = std::min(chunk, total - i0);
    li(4, i0);
    dmaLinear(true, xA, in->addr + 4 * i0, 4 * n);
    Instr q = Instr::make(Opcode::QUANT);
    q.set("fmt", hw::encodeFormat(fmt));
    q.set("rnd", uint64_t(rnd));
    q.set("n", n);
    q.set("d", cA);
    q.set("s", xA);
    q.set("sc", scA);
    q.set("key", stoch ? 1 : 0);
    q.set("grp", 3);
    q.set("ts", ts);
    emit(q);
    if (fake) {
      emitDequantize(fmt, n, yA, cA, scA, ts);
      dmaLinear(false, yA, out.addr + 4 * i0, 4 * n);
    } else {
      dmaLinear(false, cA, out.addr + esz * i0, esz * n);
    }
  }
  return success();
}

LogicalResult Lowering::lowerDequantize(mlir::quant4::DequantizeOp op) {
  auto type = op.getInput().getType();
  if (!op.getResult().getType().getElementType().isF32())
    return op.emitOpError("only f32 results are supported by the Q4A lowering");
  if (!op.getScale().getType().getElementType().isF32())
    return op.emitOpError("FP8 scale tensors are not supported by the Q4A "
                          "lowering");
  num::Format fmt = *mlir::quant4::getFormat(type.getElementType());
  uint64_t inner, len;
  if (failed(scaleGroup(op, type, op.getGranularityAttr(), op.getScale(),
                        inner, len)))
    return failure();
  FailureOr<Buf> in = bufOf(op, op.getInput()), sc = bufOf(op, op.getScale());
  if (failed(in) || failed(sc))
    return failure();
  Buf out = define(op.getResult());
  uint64_t nScales = uint64_t(numel(op.getScale().getType()));
  uint64_t cell = 0, scA = 16, cA = alignTo(scA + 4 * nScales, 16);
  unsigned esz = hw::elementBytes(fmt);
  if (failed(fits(op, cA + esz + 4 + 64, "the scales and one element")))
    return failure();
  uint64_t chunk = std::min<uint64_t>(uint64_t(type.getNumElements()),
                                      (arch.spBytes - cA - 64) / (esz + 4));
  chunk = std::min<uint64_t>(chunk, (1u << 20) - 1);
  uint64_t yA = alignTo(cA + esz * chunk, 16);
  dmaLinear(true, scA, sc->addr, 4 * nScales);
  unsigned ts = 0;
  if (Value t = op.getTensorScale()) {
    if (failed(scalarToReg(op, t, 1, cell)))
      return failure();
    ts = 1;
  }
  li(3, inner | (len << 32));
  uint64_t total = uint64_t(type.getNumElements());
  for (uint64_t i0 = 0; i0 < total; i0 += chunk) {
    uint64_t n = std::min(chunk, total - i0);
    li(4, i0);
    dmaLinear(true, cA, in->addr + esz * i0, esz * n);
    emitDequantize(fmt, n, yA, cA, scA, ts);
    dmaLinear(false, yA, out.addr + 4 * i0, 4 * n);
  }
  return success();
}

void Lowering::streamGroup(const ScaleGroup &g, uint64_t data, uint64_t cap,
                           function_ref<void(uint64_t, uint64_t)> f) {
  if (g.run <= cap) {
    uint64_t per = std::min(g.runs, cap / g.run);
    for (uint64_t r0 = 0; r0 < g.runs; r0 += per) {
      uint64_t runs = std::min(per, g.runs - r0);
      dma2D(true, data, g.addr + r0 * g.stride, runs, 4 * g.run, g.stride,
            4 * g.run);
      f(runs * g.run, r0 * g.run);
    }
    return;
  }
  for (uint64_t r = 0; r < g.runs; ++r)
    for (uint64_t o = 0; o < g.run; o += cap) {
      uint64_t n = std::min(cap, g.run - o);
      dmaLinear(true, data, g.addr + r * g.stride + 4 * o, 4 * n);
      f(n, r * g.run + o);
    }
}

LogicalResult Lowering::amaxInto(Operation *op, const ScaleGroup &g,
                                 unsigned reg, uint64_t cell, uint64_t spBase) {
  uint64_t cap = spBase < arch.spBytes
                     ? std::min<uint64_t>((arch.spBytes - spBase) / 4, 65535)
                     : 0;
  if (cap == 0)
    return fits(op, spBase + 4, "one element");
  streamGroup(g, spBase, cap, [&](uint64_t n, uint64_t first) {
    emit(mk(Opcode::VRED, {{"red", uint64_t(hw::Red::Amax)},
                           {"axis", uint64_t(hw::Axis::All)},
                           {"init", first > 0},
                           {"rows", 1},
                           {"cols", n},
                           {"d", cell},
                           {"s", spBase}}));
  });
  emit(mk(Opcode::FLD, {{"fd", reg}, {"addr", cell}}));
  return success();
}

LogicalResult Lowering::sawbInto(Operation *op, const ScaleGroup &g,
                                 unsigned reg, uint64_t fdesc,
                                 uint64_t spBase) {
  uint64_t n = g.runs * g.run;
  uint64_t cap =
      spBase + 16 < arch.spBytes
          ? std::min<uint64_t>((arch.spBytes - spBase - 16) / 4, (1u << 20) - 1)
          : 0;
  if (n <= cap) { // the whole group at once
    streamGroup(g, spBase, cap, [](uint64_t, uint64_t) {});
    emit(mk(Opcode::SSAWB,
            {{"fd", reg}, {"fmt", fdesc}, {"s", spBase}, {"n", n}}));
    return success();
  }
  cap &= ~uint64_t(15); // pieces of a long run start in lane 0
  if (cap == 0)
    return fits(op, spBase + 16 + 64, "16 elements of the tensor");
  streamGroup(g, spBase, cap, [&](uint64_t k, uint64_t first) {
    emit(mk(
        Opcode::SAWB_ACC,
        {{"s", spBase}, {"n", k}, {"lane", first % 16}, {"init", first == 0}}));
  });
  emit(mk(Opcode::SAWB_FIN, {{"fd", reg}, {"fmt", fdesc}}));
  return success();
}

/// One scale per index of an axis (amax and SAWB: the per-channel scales of
/// grouped and depthwise layers). The elements sharing index c of axis a are
/// `outer` runs of `inner` contiguous elements, `len·inner` apart (the
/// row-major order the CPU runtime groups them in): each group streams
/// through SP into amaxInto + samax or sawbInto, and an `fst` collects its
/// scale.
LogicalResult Lowering::lowerAxisScale(mlir::quant4::ScaleOp op, int64_t axis) {
  auto type = cast<RankedTensorType>(op.getInput().getType());
  bool amax = isa<mlir::quant4::AmaxAttr>(op.getPolicy());
  if (!amax && !isa<mlir::quant4::SawbAttr>(op.getPolicy()))
    return op.emitOpError("per-axis scales are supported by the Q4A "
                          "lowering for the amax and sawb policies only");
  if (axis < 0 || axis >= type.getRank())
    return op.emitOpError("scale axis ") << axis << " is out of range";
  uint64_t outer = 1, inner = 1, len = uint64_t(type.getDimSize(axis));
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d < axis)
      outer *= uint64_t(type.getDimSize(d));
    else if (d > axis)
      inner *= uint64_t(type.getDimSize(d));
  num::Format fmt = *mlir::quant4::getFormat(op.getFormat());
  uint64_t fdesc = hw::encodeFormat(fmt);
  FailureOr<Buf> in = bufOf(op, op.getInput());
  if (failed(in))
    return failure();
  Buf out = define(op.getScale());
  // SP: [amax cell | scales (len) | data ...]
  uint64_t aCell = 0, scales = 16, data = alignTo(scales + 4 * len, 16);
  if (failed(fits(op, data + 16 + 64, "the scales and 16 elements")))
    return failure();
  for (uint64_t c = 0; c < len; ++c) {
    ScaleGroup g{in->addr + 4 * c * inner, outer, inner, 4 * len * inner};
    if (amax) {
      if (failed(amaxInto(op, g, 1, aCell, data)))
        return failure();
      auto a = cast<mlir::quant4::AmaxAttr>(op.getPolicy());
      emit(mk(Opcode::SAMAX,
              {{"fd", 2}, {"fa", 1}, {"fmt", fdesc}, {"pow2", a.getPow2()}}));
    } else if (failed(sawbInto(op, g, 2, fdesc, data))) {
      return failure();
    }
    emit(mk(Opcode::FST, {{"fs", 2}, {"addr", scales + 4 * c}}));
  }
  dmaLinear(false, scales, out.addr, 4 * len);
  return success();
}

LogicalResult Lowering::lowerScale(mlir::quant4::ScaleOp op) {
  auto g = op.getGranularityAttr();
  if (g && g.getKind() == mlir::quant4::GranularityKind::axis &&
      op.getInput().getType().getElementType().isF32())
    return lowerAxisScale(op, g.getAxis());
  if (g && g.getKind() != mlir::quant4::GranularityKind::tensor)
    return op.emitOpError("block scale policies (MXFP4, NVFP4) are not "
                          "supported by the Q4A lowering (per-tensor and "
                          "per-axis scales are)");
  if (!op.getInput().getType().getElementType().isF32())
    return op.emitOpError("only f32 inputs are supported by the Q4A lowering");
  num::Format fmt = *mlir::quant4::getFormat(op.getFormat());
  uint64_t fdesc = hw::encodeFormat(fmt);
  FailureOr<Buf> in = bufOf(op, op.getInput());
  if (failed(in))
    return failure();
  Attribute policy = op.getPolicy();
  // SP: [amax cell | state cell | out cell | history | data ...]
  uint64_t aCell = 0, sCell = 16, oCell = 32, hA = 48;
  auto storeScale = [&](unsigned reg) {
    Buf out = define(op.getScale());
    emit(mk(Opcode::FST, {{"fs", reg}, {"addr", oCell}}));
    dmaLinear(false, oCell, out.addr, 4);
  };
  if (auto amax = dyn_cast<mlir::quant4::AmaxAttr>(policy)) {
    if (failed(amaxInto(op, wholeTensor(*in), 1, aCell, hA)))
      return failure();
    emit(mk(Opcode::SAMAX, {{"fd", 2}, {"fa", 1}, {"fmt", fdesc},
                            {"pow2", amax.getPow2()}}));
    storeScale(2);
    return success();
  }
  if (isa<mlir::quant4::GradScaleAttr>(policy)) {
    if (failed(amaxInto(op, wholeTensor(*in), 1, aCell, hA)) ||
        failed(scalarToReg(op, op.getState()[0], 3, sCell)))
      return failure();
    emit(mk(Opcode::SGRAD,
            {{"fd", 2}, {"fs", 3}, {"fa", 1}, {"fmt", fdesc}}));
    storeScale(2);
    return success();
  }
  if (auto d = dyn_cast<mlir::quant4::DelayedAttr>(policy)) {
    uint64_t H = d.getHistory();
    FailureOr<Buf> hist = bufOf(op, op.getState()[0]);
    if (failed(hist))
      return failure();
    uint64_t data = alignTo(hA + 4 * H, 16);
    if (failed(fits(op, data + 4, "the amax history")))
      return failure();
    if (failed(amaxInto(op, wholeTensor(*in), 1, aCell, data)) ||
        failed(scalarToReg(op, op.getState()[1], 3, sCell)))
      return failure();
    dmaLinear(true, hA, hist->addr, 4 * H);
    emit(mk(Opcode::SDLY, {{"fd", 2}, {"fs", 3}, {"fmt", fdesc}, {"pow2", 0},
                           {"margin", uint64_t(int64_t(d.getMargin()))},
                           {"h", H}, {"hist", hA}}));
    emit(mk(Opcode::HPUSH, {{"fa", 1}, {"h", H}, {"hist", hA}}));
    storeScale(2);
    Buf nh = define(op.getExtra()[0]);
    dmaLinear(false, hA, nh.addr, 4 * H);
    return success();
  }
  if (isa<mlir::quant4::SawbAttr>(policy)) {
    if (failed(sawbInto(op, wholeTensor(*in), 2, fdesc, hA)))
      return failure();
    storeScale(2);
    return success();
  }
  if (isa<mlir::quant4::PactAttr>(policy)) {
    if (failed(scalarToReg(op, op.getState()[0], 1, sCell)))
      return failure();
    emit(mk(Opcode::SPACT, {{"fd", 2}, {"fa", 1}, {"fmt", fdesc}}));
    storeScale(2);
    return success();
  }
  return op.emitOpError("scale policy ")
         << policy << " is not supported by the Q4A lowering";
}

//===----------------------------------------------------------------------===//
// linalg
//===----------------------------------------------------------------------===//

/// The VPU function of a body op, if any.
static std::optional<hw::VFn> vfnOf(Operation *op) {
  using F = hw::VFn;
  if (isa<arith::AddFOp>(op)) return F::Add;
  if (isa<arith::SubFOp>(op)) return F::Sub;
  if (isa<arith::MulFOp>(op)) return F::Mul;
  if (isa<arith::DivFOp>(op)) return F::Div;
  if (isa<arith::MaximumFOp>(op)) return F::Max;
  if (isa<arith::MinimumFOp>(op)) return F::Min;
  if (isa<arith::MaxNumFOp>(op)) return F::MaxNum;
  if (isa<arith::MinNumFOp>(op)) return F::MinNum;
  if (isa<arith::NegFOp>(op)) return F::Neg;
  if (isa<arith::SelectOp>(op)) return F::Sel;
  if (isa<math::AbsFOp>(op)) return F::Abs;
  if (isa<math::ExpOp>(op)) return F::Exp;
  if (isa<math::LogOp>(op)) return F::Log;
  if (isa<math::SqrtOp>(op)) return F::Sqrt;
  if (isa<math::RsqrtOp>(op)) return F::Rsqrt;
  if (isa<math::TanhOp>(op)) return F::Tanh;
  if (isa<math::FloorOp>(op)) return F::Floor;
  if (isa<math::CeilOp>(op)) return F::Ceil;
  // i1 values are masks 1.0f / 0.0f on the VPU.
  bool i1 = op->getNumOperands() && op->getOperand(0).getType().isInteger(1);
  if (isa<arith::AndIOp>(op) && i1) return F::Mul;
  if (isa<arith::OrIOp>(op) && i1) return F::MaxNum;
  if (isa<arith::XOrIOp>(op) && i1) return F::CmpNe;
  if (isa<arith::AddIOp>(op)) return F::Add;
  if (isa<arith::SubIOp>(op)) return F::Sub;
  if (isa<arith::MulIOp>(op)) return F::Mul;
  if (isa<arith::MinSIOp>(op)) return F::Min;
  if (isa<arith::MaxSIOp>(op)) return F::Max;
  if (auto c = dyn_cast<arith::CmpIOp>(op)) {
    switch (c.getPredicate()) {
    case arith::CmpIPredicate::eq: return F::CmpEq;
    case arith::CmpIPredicate::ne: return F::CmpNe;
    case arith::CmpIPredicate::sgt: return F::CmpGt;
    case arith::CmpIPredicate::sge: return F::CmpGe;
    case arith::CmpIPredicate::slt: return F::CmpLt;
    case arith::CmpIPredicate::sle: return F::CmpLe;
    default: return std::nullopt;
    }
  }
  if (auto c = dyn_cast<arith::CmpFOp>(op)) {
    switch (c.getPredicate()) {
    case arith::CmpFPredicate::OEQ: return F::CmpEq;
    case arith::CmpFPredicate::UNE: return F::CmpNe;
    case arith::CmpFPredicate::OGT: return F::CmpGt;
    case arith::CmpFPredicate::OGE: return F::CmpGe;
    case arith::CmpFPredicate::OLT: return F::CmpLt;
    case arith::CmpFPredicate::OLE: return F::CmpLe;
    default: return std::nullopt;
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
      emit(mk(Opcode::FOP, {{"fn", uint64_t(*fn)}, {"fd", nextReg},
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
  auto zero = fill ? fill.getInputs()[0].getDefiningOp<arith::ConstantOp>()
                   : nullptr;
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
  if (op->getNumResults() != op.getNumDpsInits() ||
      op->getNumResults() < 1 || !op.hasPureTensorSemantics())
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
    return lowerGemm(op, mm.getInputs()[0], mm.getInputs()[1], Value(),
                     Value(), false, false, ValueRange(), num::Format::fp32(),
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
    return lowerConv(op, cv.getInputs()[0], cv.getInputs()[1], Value(),
                     Value(), false, ValueRange(), num::Format::fp32(),
                     num::Format::fp32(), num::Accumulation(), st, dl,
                     op->getResult(0));
  }
  bool parallel = llvm::all_of(op.getIteratorTypesArray(), [](auto t) {
    return t == utils::IteratorType::parallel;
  });
  return parallel ? lowerElementwise(op) : lowerReduction(op);
}

//===----------------------------------------------------------------------===//
// Strided boxes: DMA gathers/scatters and chunking
//===----------------------------------------------------------------------===//

/// Splits the row-major index space `shape` into sub-boxes of at most `cap`
/// elements, each a contiguous range of the flattened index, in order.
static SmallVector<IBox> boxesOf(ArrayRef<int64_t> shape, int64_t cap) {
  size_t r = shape.size();
  SmallVector<int64_t> suffix(r + 1, 1);
  for (size_t i = r; i-- > 0;)
    suffix[i] = suffix[i + 1] * shape[i];
  SmallVector<IBox> out;
  cap = std::max<int64_t>(cap, 1);
  size_t p = 0;
  while (suffix[p] > cap)
    ++p;
  if (p == 0) {
    IBox b;
    b.start.assign(r, 0);
    b.cnt.assign(shape.begin(), shape.end());
    b.flat0 = 0;
    b.size = suffix[0];
    out.push_back(b);
    return out;
  }
  size_t q = p - 1; // the dimension cut into ranges
  int64_t step = cap / suffix[p];
  SmallVector<int64_t> idx(q, 0);
  while (true) {
    for (int64_t s = 0; s < shape[q]; s += step) {
      IBox b;
      b.start.assign(r, 0);
      b.cnt.assign(shape.begin(), shape.end());
      for (size_t i = 0; i < q; ++i) {
        b.start[i] = idx[i];
        b.cnt[i] = 1;
      }
      b.start[q] = s;
      b.cnt[q] = std::min(step, shape[q] - s);
      int64_t flat = 0;
      for (size_t i = 0; i < r; ++i)
        flat = flat * shape[i] + b.start[i];
      b.flat0 = flat;
      b.size = b.cnt[q] * suffix[p];
      out.push_back(b);
    }
    size_t i = q;
    while (i > 0) {
      --i;
      if (++idx[i] < shape[i])
        break;
      idx[i] = 0;
      if (i == 0) {
        i = SIZE_MAX;
        break;
      }
    }
    if (q == 0 || i == SIZE_MAX)
      break;
  }
  return out;
}

/// Coefficients of an affine expression that is linear in the dimensions.
static bool linearize(AffineExpr e, int64_t mult, SmallVector<int64_t> &coef,
                      int64_t &cst) {
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    coef[d.getPosition()] += mult;
    return true;
  }
  if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    cst += mult * c.getValue();
    return true;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return false;
  if (e.getKind() == AffineExprKind::Add)
    return linearize(bin.getLHS(), mult, coef, cst) &&
           linearize(bin.getRHS(), mult, coef, cst);
  if (e.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearize(bin.getLHS(), mult * c.getValue(), coef, cst);
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return linearize(bin.getRHS(), mult * c.getValue(), coef, cst);
  }
  return false;
}

/// The element strides (per loop dimension) and offset of a tensor of
/// `shape` accessed through `map`.
static std::optional<AffView> viewOf(AffineMap map, ArrayRef<int64_t> shape) {
  AffView v;
  v.coef.assign(map.getNumDims(), 0);
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    SmallVector<int64_t> c(map.getNumDims(), 0);
    int64_t k = 0;
    if (!linearize(map.getResult(unsigned(i)), 1, c, k))
      return std::nullopt;
    for (unsigned d = 0; d < map.getNumDims(); ++d)
      v.coef[d] += c[d] * stride;
    v.off += k * stride;
    stride *= shape[i];
  }
  return v;
}

/// Copies the elements of a strided DRAM box to/from a dense SP array.
/// `dims` are outer to inner: count, DRAM stride and SP stride in elements.
/// Returns the number of DMA instructions (emitted unless `dry`).
uint64_t Lowering::xfer(bool load, uint64_t sp, int64_t dram,
                        ArrayRef<GDim> dims, unsigned esz, bool dry) {
  SmallVector<GDim> c;
  for (const GDim &g : dims) {
    if (g.cnt == 1)
      continue;
    if (!c.empty() && c.back().ds == g.ds * g.cnt &&
        c.back().ss == g.ss * g.cnt)
      c.back() = GDim{c.back().cnt * g.cnt, g.ds, g.ss};
    else
      c.push_back(g);
  }
  int64_t run = 1;
  if (!c.empty() && c.back().ds == 1 && c.back().ss == 1) {
    run = c.back().cnt;
    c.pop_back();
    int64_t maxRun = 65535 / esz;
    if (run > maxRun) { // split the run: outer part as a dimension
      int64_t q = maxRun;
      while (run % q)
        --q;
      c.push_back(GDim{run / q, q, q});
      run = q;
    }
  }
  int64_t bytes = run * esz;
  int p = -1;
  for (size_t i = 0; i < c.size(); ++i) {
    const GDim &g = c[i];
    if (g.ds < 0 || g.ds * esz >= (int64_t(1) << 24) || g.ss * esz > 65535 ||
        g.ss * esz < bytes)
      continue;
    if (p < 0 || g.cnt > c[p].cnt)
      p = int(i);
  }
  SmallVector<GDim> outer;
  for (size_t i = 0; i < c.size(); ++i)
    if (int(i) != p)
      outer.push_back(c[i]);
  uint64_t count = 0;
  SmallVector<int64_t> idx(outer.size(), 0);
  while (true) {
    int64_t dOff = 0, sOff = 0;
    for (size_t i = 0; i < outer.size(); ++i) {
      dOff += idx[i] * outer[i].ds;
      sOff += idx[i] * outer[i].ss;
    }
    int64_t rows = p >= 0 ? c[p].cnt : 1;
    for (int64_t r0 = 0; r0 < rows; r0 += 4095) {
      int64_t rr = std::min<int64_t>(4095, rows - r0);
      ++count;
      if (dry)
        continue;
      int64_t pd = p >= 0 ? c[p].ds : 0, ps = p >= 0 ? c[p].ss : 0;
      emit(mk(load ? Opcode::DMA_LD : Opcode::DMA_ST,
              {{"sp", uint64_t(int64_t(sp) + (sOff + r0 * ps) * esz)},
               {"dram", uint64_t(dram + (dOff + r0 * pd) * esz)},
               {"rows", uint64_t(rr)},
               {"bytes", uint64_t(bytes)},
               {"dstride", uint64_t(rr > 1 ? pd * esz : bytes)},
               {"sstride", uint64_t(rr > 1 ? ps * esz : bytes)}}));
    }
    size_t i = outer.size();
    bool done = true;
    while (i-- > 0) {
      if (++idx[i] < outer[i].cnt) {
        done = false;
        break;
      }
      idx[i] = 0;
    }
    if (done)
      break;
  }
  return count;
}

/// The GDims of `view` over a box of the loop domain, with the loop
/// dimensions in `order` (outer to inner) and SP dense in that order.
static SmallVector<GDim> boxDims(const AffView &view, const IBox &box,
                                 ArrayRef<unsigned> order) {
  SmallVector<GDim> g(order.size());
  int64_t ss = 1;
  for (size_t i = order.size(); i-- > 0;) {
    unsigned d = order[i];
    g[i] = GDim{box.cnt[d], view.coef[d], ss};
    ss *= box.cnt[d];
  }
  return g;
}
static int64_t boxOffset(const AffView &view, const IBox &box) {
  int64_t o = view.off;
  for (size_t d = 0; d < box.start.size(); ++d)
    o += view.coef[d] * box.start[d];
  return o;
}

/// Copies `bytes` bytes DRAM -> DRAM through SP.
void Lowering::copyDram(uint64_t dst, uint64_t src, uint64_t bytes) {
  uint64_t chunk = std::min<uint64_t>(bytes, arch.spBytes & ~uint64_t(15));
  for (uint64_t o = 0; o < bytes; o += chunk) {
    uint64_t nb = std::min(chunk, bytes - o);
    dmaLinear(true, 0, src + o, nb);
    dmaLinear(false, 0, dst + o, nb);
  }
}

/// An f32 array holding 0, 1, ..., n-1 (for linalg.index), as a segment.
uint64_t Lowering::iota(int64_t n) {
  auto it = iotas.find(n);
  if (it != iotas.end())
    return it->second;
  std::vector<uint8_t> bytes;
  for (int64_t i = 0; i < n; ++i) {
    float f = float(i);
    uint32_t b;
    std::memcpy(&b, &f, 4);
    for (int k = 0; k < 4; ++k)
      bytes.push_back(uint8_t(b >> (8 * k)));
  }
  uint64_t a = allocDram(bytes.size());
  prog.segments.push_back(hw::Segment{a, std::move(bytes)});
  iotaLengths.push_back(n);
  return iotas[n] = a;
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
             << o.getOperandNumber()
             << " has element type " << et
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
  unsigned arrays = unsigned(vecs.size()) + countBodyOps(body) +
                    unsigned(outs.size()) + 1;
  uint64_t base = 16;
  int64_t cap = int64_t((arch.spBytes - base - 16 * arrays) / (4 * arrays));
  cap = std::min<int64_t>(cap, (1 << 20) - 1);
  if (cap < 1)
    return fits(op, base + 32 * arrays, "one element of each array");
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < dom.size(); ++d)
    order.push_back(d);
  for (const IBox &box : boxesOf(dom, cap)) {
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
  Value exprV = comb->getOperand(0) == outArg ? comb->getOperand(1)
                                               : comb->getOperand(0);
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
  SmallVector<IBox> pBoxes = boxesOf(pShape, pCap);
  SmallVector<IBox> rBoxes = boxesOf(rShape, rCap);
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

//===----------------------------------------------------------------------===//
// Tensor slices
//===----------------------------------------------------------------------===//

/// The view of a static slice (offsets, sizes, strides) of `src`.
static std::optional<AffView>
sliceView(RankedTensorType src, ArrayRef<int64_t> offs,
          ArrayRef<int64_t> strides) {
  if (ShapedType::isDynamicShape(offs) || ShapedType::isDynamicShape(strides) ||
      !src.hasStaticShape())
    return std::nullopt;
  AffView v;
  v.coef.assign(src.getRank(), 0);
  int64_t st = 1;
  for (int64_t d = src.getRank(); d-- > 0;) {
    v.coef[d] = strides[d] * st;
    v.off += offs[d] * st;
    st *= src.getDimSize(d);
  }
  return v;
}

/// DRAM view (src) -> contiguous DRAM (dst) over the index space `shape`,
/// or contiguous (src) -> view (dst) when `scatter`.
LogicalResult Lowering::copyView(Operation *op, uint64_t viewAddr,
                                 const AffView &view, uint64_t linAddr,
                                 ArrayRef<int64_t> shape, unsigned esz,
                                 bool scatter) {
  int64_t cap = int64_t((arch.spBytes - 64) / esz);
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < shape.size(); ++d)
    order.push_back(d);
  for (const IBox &box : boxesOf(shape, cap)) {
    int64_t vAddr = int64_t(viewAddr) + int64_t(esz) * boxOffset(view, box);
    uint64_t lAddr = linAddr + esz * uint64_t(box.flat0);
    uint64_t bytes = esz * uint64_t(box.size);
    if (!scatter) {
      xfer(true, 0, vAddr, boxDims(view, box, order), esz);
      dmaLinear(false, 0, lAddr, bytes);
    } else {
      dmaLinear(true, 0, lAddr, bytes);
      xfer(false, 0, vAddr, boxDims(view, box, order), esz);
    }
  }
  return success();
}

LogicalResult Lowering::lowerExtractSlice(tensor::ExtractSliceOp op) {
  auto src = op.getSourceType();
  std::optional<AffView> v =
      sliceView(src, op.getStaticOffsets(), op.getStaticStrides());
  if (!v || ShapedType::isDynamicShape(op.getStaticSizes()))
    return op.emitOpError("only static slices are supported by the Q4A "
                          "lowering");
  FailureOr<Buf> s = bufOf(op, op.getSource());
  if (failed(s))
    return failure();
  Buf out = define(op.getResult());
  return copyView(op, s->addr, *v, out.addr, op.getStaticSizes(), s->esz,
                  false);
}

LogicalResult Lowering::lowerInsertSlice(tensor::InsertSliceOp op) {
  auto dst = op.getDestType();
  std::optional<AffView> v =
      sliceView(dst, op.getStaticOffsets(), op.getStaticStrides());
  if (!v || ShapedType::isDynamicShape(op.getStaticSizes()))
    return op.emitOpError("only static slices are supported by the Q4A "
                          "lowering");
  FailureOr<Buf> s = bufOf(op, op.getSource()), d = bufOf(op, op.getDest());
  if (failed(s) || failed(d))
    return failure();
  // Update the destination in place when nothing reads it later (ops are
  // lowered in program order) and it is not an input, a constant or an
  // alias; otherwise copy it first.
  Value dest = op.getDest();
  Operation *def = dest.getDefiningOp();
  bool inPlace = def && !isa<arith::ConstantOp, mlir::quant4::ConstantOp,
                             tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                             tensor::ExtractOp>(def);
  for (Operation *u : dest.getUsers())
    if (u != op && (u->getBlock() != op->getBlock() ||
                    !u->isBeforeInBlock(op) ||
                    isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                        tensor::ExtractOp>(u)))
      inPlace = false;
  for (Value r : func.getBody().front().getTerminator()->getOperands())
    if (r == dest)
      inPlace = false;
  Buf out;
  if (inPlace) {
    out = *d;
    bind(op.getResult(), out);
  } else {
    out = define(op.getResult());
    copyDram(out.addr, d->addr, uint64_t(out.numel) * out.esz);
  }
  return copyView(op, out.addr, *v, s->addr, op.getStaticSizes(), s->esz,
                  true);
}

/// tensor.pad with static sizes and a scalar padding value: the result is
/// filled with the value (one SP chunk of it, stored over and over), then
/// the source is scattered into its interior by strided DMA.
LogicalResult Lowering::lowerPad(tensor::PadOp op) {
  RankedTensorType src = op.getSourceType(), res = op.getResultType();
  if (!src.hasStaticShape() || !res.hasStaticShape() ||
      ShapedType::isDynamicShape(op.getStaticLow()))
    return op.emitOpError("only static pads are supported by the Q4A "
                          "lowering");
  Type et = src.getElementType();
  if (!et.isF32() && !et.isSignlessInteger(32))
    return op.emitOpError("pads of ")
           << et << " are not supported by the Q4A lowering (f32, i32)";
  Value padValue = op.getConstantPaddingValue();
  if (!padValue)
    return op.emitOpError("the padding value must be a constant or a value "
                          "defined outside the pad to be lowered to Q4A");
  FailureOr<Buf> s = bufOf(op, op.getSource());
  if (failed(s))
    return failure();
  Buf out = define(op.getResult());
  uint64_t total = uint64_t(out.numel), cell = 0, data = 16;
  uint64_t chunk = std::min<uint64_t>(total, (arch.spBytes - data - 16) / 4);
  chunk = std::max<uint64_t>(1, std::min<uint64_t>(chunk, (1u << 20) - 1));
  if (failed(scalarToReg(op, padValue, 1, cell)))
    return failure();
  emit(mk(Opcode::VOP, {{"fn", uint64_t(hw::VFn::Mov)},
                        {"n", chunk},
                        {"d", data},
                        {"a", 1},
                        {"ra", 1}}));
  for (uint64_t o = 0; o < total; o += chunk)
    dmaLinear(false, data, out.addr + 4 * o, 4 * std::min(chunk, total - o));
  SmallVector<int64_t> ones(src.getRank(), 1);
  std::optional<AffView> v = sliceView(res, op.getStaticLow(), ones);
  if (!v)
    return op.emitOpError("pad interior is not a view the Q4A lowering "
                          "supports");
  return copyView(op, out.addr, *v, s->addr, src.getShape(), 4, true);
}

//===----------------------------------------------------------------------===//
// Convolution: im2col by strided DMA + MXU
//===----------------------------------------------------------------------===//

LogicalResult Lowering::lowerConv(Operation *op, Value x, Value w, Value sx,
                                  Value sw, bool colScales,
                                  ValueRange tensorScales, num::Format fa,
                                  num::Format fb, num::Accumulation acc,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dil, Value result) {
  auto xt = cast<RankedTensorType>(x.getType());
  auto wt = cast<RankedTensorType>(w.getType());
  auto yt = cast<RankedTensorType>(result.getType());
  if (xt.getRank() != 4 || wt.getRank() != 4 || yt.getRank() != 4 ||
      strides.size() != 2 || dil.size() != 2)
    return op->emitOpError("only 2-D NHWC x HWCF convolutions are supported "
                           "by the Q4A lowering");
  int64_t N = xt.getDimSize(0), H = xt.getDimSize(1), W = xt.getDimSize(2),
          C = xt.getDimSize(3);
  int64_t KH = wt.getDimSize(0), KW = wt.getDimSize(1), F = wt.getDimSize(3);
  int64_t OH = yt.getDimSize(1), OW = yt.getDimSize(2);
  FailureOr<Buf> X = bufOf(op, x), Wb = bufOf(op, w);
  if (failed(X) || failed(Wb))
    return failure();
  FailureOr<Buf> SA = sx ? bufOf(op, sx) : FailureOr<Buf>(Buf{});
  FailureOr<Buf> SB = sw ? bufOf(op, sw) : FailureOr<Buf>(Buf{});
  if (failed(SA) || failed(SB))
    return failure();
  Buf Y = define(result);
  unsigned ea = hw::elementBytes(fa), eb = hw::elementBytes(fb);
  int64_t M = N * OH * OW, K = KH * KW * C;
  int64_t mt = std::min<int64_t>(M, arch.arrayRows);
  int64_t nt = std::min<int64_t>(F, arch.arrayCols);
  // SP: [one | sa | sb (nt) | C block | A block | B chunk]
  uint64_t one = 0, saA = 16, sbA = 32, cA = alignTo(sbA + 4 * nt, 16);
  int64_t avail = int64_t(arch.spBytes) - int64_t(cA) - 64;
  // One K chunk if a tile of rows fits; else up to 8 accumulator tiles.
  int64_t kk = std::min<int64_t>(K, 65535 / std::max(ea, eb));
  int64_t mb = (avail - kk * nt * eb) / (nt * 4 + kk * ea);
  bool single = kk == K && mb >= mt;
  if (!single) {
    int64_t kmax = kk;
    mb = std::min<int64_t>(M, 8 * mt);
    kk = std::min<int64_t>(kmax, (avail - mb * nt * 4) / (mb * ea + nt * eb));
    if (kk < 1) {
      mb = mt;
      kk = std::min<int64_t>(kmax,
                             (avail - mb * nt * 4) / (mb * ea + nt * eb));
    }
    if (kk < 1)
      return fits(op, cA + 64 + uint64_t(mt * nt * 4 + mt * ea + nt * eb),
                  "one convolution tile");
  }
  mb = std::min<int64_t>(mb, M);
  if (single)
    mb = std::max<int64_t>(mt, mb / mt * mt);
  // The 6-D loop domain (n, oh, ow, kh, kw, c) and the input's view of it.
  AffView xv;
  xv.coef = {H * W * C, strides[0] * W * C, strides[1] * C,
             dil[0] * W * C, dil[1] * C, 1};
  SmallVector<IBox> mBoxes = boxesOf({N, OH, OW}, mb);
  SmallVector<IBox> kBoxes = boxesOf({KH, KW, C}, kk);
  SmallVector<unsigned> order = {0, 1, 2, 3, 4, 5};

  unsigned ts = tensorScales.empty() ? 0 : 1; // f1 holds tA·tB, f0 = 1
  if (failed(configureMxu(op, fa, fb, acc, tensorScales, one, !sx || !sw)))
    return failure();
  if (sx)
    dmaLinear(true, saA, SA->addr, 4);
  for (const IBox &mbx : mBoxes) {
    int64_t rows = mbx.size;
    int64_t subs = (rows + mt - 1) / mt;
    uint64_t aA = alignTo(cA + uint64_t(mb * nt * 4), 16);
    for (int64_t n0 = 0; n0 < F; n0 += nt) {
      int64_t nn = std::min(nt, F - n0);
      if (sw)
        dmaLinear(true, sbA, SB->addr + (colScales ? 4 * n0 : 0),
                  4 * (colScales ? nn : 1));
      for (const IBox &kbx : kBoxes) {
        int64_t kc = kbx.size;
        uint64_t bA = alignTo(aA + uint64_t(rows * kc * ea), 16);
        if (n0 == 0 || kBoxes.size() > 1) {
          IBox box;
          box.start = {mbx.start[0], mbx.start[1], mbx.start[2],
                       kbx.start[0], kbx.start[1], kbx.start[2]};
          box.cnt = {mbx.cnt[0], mbx.cnt[1], mbx.cnt[2],
                     kbx.cnt[0], kbx.cnt[1], kbx.cnt[2]};
          xfer(true, aA, int64_t(X->addr) + int64_t(ea) * boxOffset(xv, box),
               boxDims(xv, box, order), ea);
        }
        dma2D(true, bA, Wb->addr + uint64_t(kbx.flat0 * F + n0) * eb,
              uint64_t(kc), uint64_t(nn) * eb, uint64_t(F) * eb,
              uint64_t(nn) * eb);
        for (int64_t s = 0; s < subs; ++s) {
          int64_t m = std::min(mt, rows - s * mt);
          unsigned tile = unsigned(single ? 0 : s);
          emit(mk(Opcode::MMA,
                  {{"tile", tile}, {"accum", kbx.flat0 > 0}, {"ta", 0},
                   {"tb", 0}, {"m", uint64_t(m)}, {"n", uint64_t(nn)},
                   {"k", uint64_t(kc)},
                   {"a", aA + uint64_t(s * mt * kc) * ea}, {"b", bA},
                   {"lda", uint64_t(kc)}, {"ldb", uint64_t(nn)}}));
          if (single)
            emit(mk(Opcode::MST,
                    {{"tile", 0}, {"m", uint64_t(m)}, {"n", uint64_t(nn)},
                     {"d", cA + uint64_t(s * mt * nn) * 4},
                     {"ldc", uint64_t(nn)}, {"sam", 0},
                     {"sa", sx ? saA : one}, {"sbm", colScales},
                     {"sb", sw ? sbA : one}, {"ts", ts}}));
        }
      }
      if (!single)
        for (int64_t s = 0; s < subs; ++s) {
          int64_t m = std::min(mt, rows - s * mt);
          emit(mk(Opcode::MST,
                  {{"tile", uint64_t(s)}, {"m", uint64_t(m)},
                   {"n", uint64_t(nn)},
                   {"d", cA + uint64_t(s * mt * nn) * 4},
                   {"ldc", uint64_t(nn)}, {"sam", 0},
                   {"sa", sx ? saA : one}, {"sbm", colScales},
                   {"sb", sw ? sbA : one}, {"ts", ts}}));
        }
      dma2D(false, cA, Y.addr + uint64_t(mbx.flat0 * F + n0) * 4,
            uint64_t(rows), uint64_t(nn) * 4, uint64_t(F) * 4,
            uint64_t(nn) * 4);
    }
  }
  return success();
}

LogicalResult Lowering::lowerTranspose(linalg::TransposeOp op) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  if (in.getRank() != 2 || op.getPermutation() != ArrayRef<int64_t>{1, 0})
    return op.emitOpError("only 2-D transposes are supported by the Q4A "
                          "lowering");
  unsigned esz = eltBytes(in);
  if (esz != 1 && esz != 2 && esz != 4)
    return op.emitOpError("unsupported element size");
  uint64_t R = uint64_t(in.getDimSize(0)), C = uint64_t(in.getDimSize(1));
  FailureOr<Buf> src = bufOf(op, op.getInput());
  if (failed(src))
    return failure();
  Buf out = define(op->getResult(0));
  if (C > 65535 || R > 65535)
    return op.emitOpError("dimensions above 65535 are not supported");
  uint64_t rows = (arch.spBytes - 32) / (2 * C * esz);
  rows = std::min<uint64_t>(rows, R);
  if (rows == 0)
    return fits(op, 2 * C * esz + 32, "two rows");
  uint64_t dA = alignTo(rows * C * esz, 16);
  for (uint64_t r0 = 0; r0 < R; r0 += rows) {
    uint64_t rr = std::min(rows, R - r0);
    dmaLinear(true, 0, src->addr + r0 * C * esz, rr * C * esz);
    emit(mk(Opcode::VTR, {{"esz", esz == 1 ? 0 : esz == 2 ? 1 : 2},
                          {"rows", rr}, {"cols", C}, {"d", dA}, {"s", 0}}));
    // Column block: out[j][r0 .. r0+rr) for every j.
    dma2D(false, dA, out.addr + r0 * esz, C, rr * esz, R * esz, rr * esz);
  }
  return success();
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

LogicalResult Lowering::lowerInHalf(Operation *op, bool &upperHalf) {
  uint64_t full = arch.spBytes, half = (full / 2) & ~uint64_t(63);
  size_t codeSize = prog.code.size(), segments = prog.segments.size();
  uint64_t dramBefore = dramTop;
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
    t->address = define(a).addr;
    prog.inputs.push_back(*t);
  }
  for (BlockArgument a : func.getArguments())
    if (getElementTypeOrSelf(a.getType()).isSignlessInteger(32)) {
      Buf in = bufs[a];
      Buf f = in;
      f.addr = allocDram(uint64_t(in.numel) * 4);
      convertI32(true, f.addr, in.addr, uint64_t(in.numel));
      bufs[a] = f;
    }
  Operation *ret = func.getBody().front().getTerminator();
  bool upperHalf = false;
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (failed(lowerInHalf(&op, upperHalf)))
      return failure();
    if (dramTop > dramLimit)
      return op.emitOpError("needs ")
             << dramTop << " bytes of DRAM in total, more than the target's "
             << dramLimit << " bytes";
  }
  // Outputs: a value computed here becomes the output in place; arguments,
  // constants and values returned twice are copied to a region of their own.
  DenseSet<Value> inPlace;
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    FailureOr<Buf> b = bufOf(ret, v);
    if (failed(b))
      return failure();
    bool copy = isa<BlockArgument>(v) || inPlace.contains(v) ||
                v.getDefiningOp<arith::ConstantOp>() ||
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
    Lowering l(fn, arch, limit);
    FailureOr<hw::Program> p = l.run();
    if (failed(p))
      return signalPassFailure();
    OpBuilder b(fn);
    fromProgram(b, fn.getLoc(), *p);
    fn.erase();
  }
};

} // namespace
