//===- Quant4ToQ4A.cpp - compile a quantized step to a Q4A program --------===//
//
// Every tensor value lives in DRAM; each op streams its operands through the
// scratchpad (SP) in tiles, computes with the MXU / VPU / SFU and writes its
// result back to DRAM. The SP is reused from address 0 by every op. A `sync`
// is inserted whenever an instruction goes to a different unit than work
// still outstanding (docs/ISA.md §2.3), which makes the schedule trivially
// hazard-free.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Quant4ToQ4A/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <cstring>

namespace mlir::q4a {
#define GEN_PASS_DEF_CONVERTQUANT4TOQ4A
#include "quant4/Conversion/Quant4ToQ4A/Passes.h.inc"
} // namespace mlir::q4a

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

/// A body value during elementwise evaluation: an f register or an SP array.
struct Operand {
  bool reg = false;
  uint64_t v = 0; // register number or SP address
};

uint64_t alignTo(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

class Lowering {
public:
  Lowering(func::FuncOp f, hw::Arch arch) : func(f), arch(arch) {}

  FailureOr<hw::Program> run();

private:
  func::FuncOp func;
  hw::Arch arch;
  hw::Program prog;
  DenseMap<Value, Buf> bufs;
  uint64_t dramTop = 0;
  uint8_t pending = 0;

  // ---- emission --------------------------------------------------------
  void emit(Instr in) {
    const hw::OpInfo *info = hw::lookup(in.opcode);
    uint8_t bit = uint8_t(1u << unsigned(info->unit));
    uint8_t others = pending & uint8_t(~bit);
    if (others && in.opcode != Opcode::SYNC) {
      Instr s = Instr::make(Opcode::SYNC);
      s.set("mask", others);
      prog.code.push_back(s);
      pending &= uint8_t(~others);
    }
    if (info->unit != hw::Unit::Scalar)
      pending |= bit;
    prog.code.push_back(std::move(in));
  }
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
    return bufs[v] = b;
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
    bufs[c.getResult()] = b;
    return success();
  }
  /// Puts a scalar (f32 value, or 1-element f32 tensor) into f register
  /// `reg`, using SP `cell` (4 bytes) as a staging area.
  LogicalResult scalarToReg(Operation *user, Value v, unsigned reg,
                            uint64_t cell) {
    if (auto c = v.getDefiningOp<arith::ConstantOp>())
      if (auto f = dyn_cast<FloatAttr>(c.getValue()); f && f.getType().isF32()) {
        lif(reg, f.getValue().convertToFloat());
        return success();
      }
    if (!getElementTypeOrSelf(v.getType()).isF32() || numel(v.getType()) != 1)
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
  LogicalResult amaxInto(Operation *op, const Buf &in, unsigned reg,
                         uint64_t cell, uint64_t spBase);
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
    bufs[op->getResult(0)] = *b; // row-major: same bytes
    return success();
  }
  if (auto t = dyn_cast<linalg::TransposeOp>(op))
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
  if (isa<mlir::quant4::Conv2DOp>(op))
    return op->emitOpError("is not supported by the Q4A lowering yet "
                           "(lower it to quant4.matmul on im2col patches)");
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
  // SP layout: [one | sa (mt) | sb (nt) | C tile | A tile | B tile]
  uint64_t one = 0, saA = 16, sbA = alignTo(saA + 4 * mt, 16);
  uint64_t cA = alignTo(sbA + 4 * nt, 16);
  uint64_t aA = alignTo(cA + 4 * mt * nt, 16);
  if (failed(fits(op, aA + (mt * ea + nt * eb), "one GEMM tile")))
    return failure();
  uint64_t avail = arch.spBytes - aA - 32;
  uint64_t kt = std::min<uint64_t>(K, avail / (mt * ea + nt * eb));
  kt = std::min<uint64_t>(kt, 65535 / std::max(ea, eb));
  kt = std::min<uint64_t>(kt, 65535);
  uint64_t bA = alignTo(aA + mt * kt * ea, 16);

  // The MXU configuration, scale cells and the tensor-scale product.
  Instr cfg = Instr::make(Opcode::MCFG);
  cfg.set("fa", hw::encodeFormat(fa));
  cfg.set("fb", hw::encodeFormat(fb));
  cfg.set("acc", uint64_t(acc.kind));
  cfg.set("chunk", uint64_t(acc.chunk));
  emit(cfg);
  unsigned ts = 0;
  if (!tensorScales.empty()) {
    if (failed(scalarToReg(op, tensorScales[0], 1, one)))
      return failure();
    ts = 1;
    if (tensorScales.size() > 1) {
      if (failed(scalarToReg(op, tensorScales[1], 2, one)))
        return failure();
      emit(mk(Opcode::FOP, {{"fn", uint64_t(hw::VFn::Mul)}, {"fd", 1},
                            {"fa", 1}, {"fb", 2}}));
    }
  }
  if (!ls || !rs)
    emit(mk(Opcode::FST, {{"fs", 0}, {"addr", one}}));
  for (uint64_t m0 = 0; m0 < M; m0 += mt) {
    uint64_t mm = std::min(mt, M - m0);
    for (uint64_t n0 = 0; n0 < N; n0 += nt) {
      uint64_t nn = std::min(nt, N - n0);
      for (uint64_t k0 = 0; k0 < K; k0 += kt) {
        uint64_t kk = std::min(kt, K - k0);
        uint64_t lda, ldb;
        if (!ta) {
          dma2D(true, aA, A->addr + (m0 * K + k0) * ea, mm, kk * ea, K * ea,
                kk * ea);
          lda = kk;
        } else {
          dma2D(true, aA, A->addr + (k0 * M + m0) * ea, kk, mm * ea, M * ea,
                mm * ea);
          lda = mm;
        }
        if (!tb) {
          dma2D(true, bA, B->addr + (k0 * N + n0) * eb, kk, nn * eb, N * eb,
                nn * eb);
          ldb = nn;
        } else {
          dma2D(true, bA, B->addr + (n0 * K + k0) * eb, nn, kk * eb, K * eb,
                kk * eb);
          ldb = kk;
        }
        emit(mk(Opcode::MMA, {{"tile", 0}, {"accum", k0 > 0}, {"ta", ta},
                              {"tb", tb}, {"m", mm}, {"n", nn}, {"k", kk},
                              {"a", aA}, {"b", bA}, {"lda", lda},
                              {"ldb", ldb}}));
      }
      if (ls)
        dmaLinear(true, saA, SA->addr + (rowScales ? 4 * m0 : 0),
                  4 * (rowScales ? mm : 1));
      if (rs)
        dmaLinear(true, sbA, SB->addr + (colScales ? 4 * n0 : 0),
                  4 * (colScales ? nn : 1));
      emit(mk(Opcode::MST, {{"tile", 0}, {"m", mm}, {"n", nn}, {"d", cA},
                            {"ldc", nn}, {"sam", rowScales},
                            {"sa", ls ? saA : one}, {"sbm", colScales},
                            {"sb", rs ? sbA : one}, {"ts", ts}}));
      dma2D(false, cA, C.addr + (m0 * N + n0) * 4, mm, nn * 4, N * 4, nn * 4);
    }
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
      Instr d = Instr::make(Opcode::DEQ);
      d.set("fmt", hw::encodeFormat(fmt));
      d.set("n", n);
      d.set("d", yA);
      d.set("s", cA);
      d.set("sc", scA);
      d.set("grp", 3);
      d.set("ts", ts);
      emit(d);
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
    Instr d = Instr::make(Opcode::DEQ);
    d.set("fmt", hw::encodeFormat(fmt));
    d.set("n", n);
    d.set("d", yA);
    d.set("s", cA);
    d.set("sc", scA);
    d.set("grp", 3);
    d.set("ts", ts);
    emit(d);
    dmaLinear(false, yA, out.addr + 4 * i0, 4 * n);
  }
  return success();
}

LogicalResult Lowering::amaxInto(Operation *op, const Buf &in, unsigned reg,
                                 uint64_t cell, uint64_t spBase) {
  uint64_t chunk = std::min<uint64_t>(uint64_t(in.numel),
                                      (arch.spBytes - spBase) / 4);
  chunk = std::min<uint64_t>(chunk, 65535);
  if (chunk == 0)
    return fits(op, spBase + 4, "one element");
  for (uint64_t i0 = 0; i0 < uint64_t(in.numel); i0 += chunk) {
    uint64_t n = std::min(chunk, uint64_t(in.numel) - i0);
    dmaLinear(true, spBase, in.addr + 4 * i0, 4 * n);
    emit(mk(Opcode::VRED, {{"red", uint64_t(hw::Red::Amax)},
                           {"axis", uint64_t(hw::Axis::All)},
                           {"init", i0 > 0}, {"rows", 1}, {"cols", n},
                           {"d", cell}, {"s", spBase}}));
  }
  emit(mk(Opcode::FLD, {{"fd", reg}, {"addr", cell}}));
  return success();
}

LogicalResult Lowering::lowerScale(mlir::quant4::ScaleOp op) {
  auto g = op.getGranularityAttr();
  if (g && g.getKind() != mlir::quant4::GranularityKind::tensor)
    return op.emitOpError("only per-tensor scale policies are supported by "
                          "the Q4A lowering");
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
    if (failed(amaxInto(op, *in, 1, aCell, hA)))
      return failure();
    emit(mk(Opcode::SAMAX, {{"fd", 2}, {"fa", 1}, {"fmt", fdesc},
                            {"pow2", amax.getPow2()}}));
    storeScale(2);
    return success();
  }
  if (isa<mlir::quant4::GradScaleAttr>(policy)) {
    if (failed(amaxInto(op, *in, 1, aCell, hA)) ||
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
    if (failed(amaxInto(op, *in, 1, aCell, data)) ||
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
    if (failed(fits(op, hA + 4 * uint64_t(in->numel),
                    "the whole tensor (SAWB reads it at once)")))
      return failure();
    dmaLinear(true, hA, in->addr, 4 * uint64_t(in->numel));
    emit(mk(Opcode::SSAWB, {{"fd", 2}, {"fmt", fdesc}, {"s", hA},
                            {"n", uint64_t(in->numel)}}));
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
  if (isa<arith::UIToFPOp>(op) && i1 && op->getResult(0).getType().isF32())
    return F::Mov;
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
      if (!f || !f.getType().isF32())
        return b.emitOpError("non-f32 constants are not supported in a "
                             "Q4A vector body");
      if (nextReg > 31)
        return op->emitOpError("needs more than 31 f registers");
      lif(nextReg, f.getValue().convertToFloat());
      vals[c.getResult()] = Operand{true, nextReg++};
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

/// Counts the body ops that produce a vector (an upper bound of SP arrays).
static unsigned countBodyOps(Block &body) {
  unsigned n = 0;
  for (Operation &b : body)
    if (!isa<linalg::YieldOp, arith::ConstantOp>(b))
      ++n;
  return n;
}

LogicalResult Lowering::lowerLinalg(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      !op.hasPureTensorSemantics())
    return op->emitOpError("only single-result linalg ops on tensors are "
                           "supported by the Q4A lowering");
  if (!getElementTypeOrSelf(op->getResult(0).getType()).isF32())
    return op->emitOpError("only f32 results are supported by the Q4A "
                           "lowering");
  if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation())) {
    // C = init + A*B: the init must be a zero fill (the MXU starts at 0).
    Value init = mm.getDpsInits()[0];
    auto fill = init.getDefiningOp<linalg::FillOp>();
    auto zero = fill ? fill.getInputs()[0].getDefiningOp<arith::ConstantOp>()
                     : nullptr;
    auto zf = zero ? dyn_cast<FloatAttr>(zero.getValue()) : nullptr;
    if (!zf || !zf.getValue().isPosZero())
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
  bool parallel = llvm::all_of(op.getIteratorTypesArray(), [](auto t) {
    return t == utils::IteratorType::parallel;
  });
  return parallel ? lowerElementwise(op) : lowerReduction(op);
}

LogicalResult Lowering::lowerElementwise(linalg::LinalgOp op) {
  Value result = op->getResult(0);
  auto rtype = cast<RankedTensorType>(result.getType());
  AffineMap outMap = op.getIndexingMapMatchingResult(cast<OpResult>(result));
  if (!outMap.isIdentity())
    return op->emitOpError("only identity output maps are supported by the "
                           "Q4A lowering");
  Block &body = *op.getBlock();
  uint64_t total = uint64_t(rtype.getNumElements());
  // Classify operands: vectors (identity map, same shape) or scalars.
  SmallVector<std::pair<BlockArgument, Value>> vecs, scalars;
  // Per vector operand: 0 = same shape, 1 = row vector broadcast over rows
  // ((d0, d1) -> (d1)), 2 = column vector broadcast over columns
  // ((d0, d1) -> (d0)). Broadcasts are materialized by stride-0 DMA.
  SmallVector<int> bcast;
  MLIRContext *ctx = op->getContext();
  for (OpOperand &o : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&o);
    if (arg.use_empty())
      continue;
    Value v = o.get();
    AffineMap m = op.getMatchingIndexingMap(&o);
    auto st = dyn_cast<RankedTensorType>(v.getType());
    if (!getElementTypeOrSelf(v.getType()).isF32())
      return op->emitOpError("operand #")
             << o.getOperandNumber()
             << " is not f32; the Q4A vector unit computes in f32";
    bool rank2 = rtype.getRank() == 2 && st && st.getRank() == 1 &&
                 m.getNumResults() == 1;
    if (!st || (st.getNumElements() == 1 && m.getNumResults() == 0)) {
      scalars.push_back({arg, v});
    } else if (m.isIdentity() && st.getShape() == rtype.getShape()) {
      vecs.push_back({arg, v});
      bcast.push_back(0);
    } else if (rank2 && m.getResult(0) == getAffineDimExpr(1, ctx) &&
               st.getDimSize(0) == rtype.getDimSize(1)) {
      vecs.push_back({arg, v});
      bcast.push_back(1);
    } else if (rank2 && m.getResult(0) == getAffineDimExpr(0, ctx) &&
               st.getDimSize(0) == rtype.getDimSize(0)) {
      vecs.push_back({arg, v});
      bcast.push_back(2);
    } else {
      return op->emitOpError("operand #")
             << o.getOperandNumber()
             << " is permuted or broadcast in a way the Q4A lowering does "
                "not support (identity, scalar, and 2-D row/column "
                "broadcasts are supported)";
    }
  }
  Buf out = define(result);
  // Values from outside the body used inside it are scalars.
  SmallVector<Value> captured;
  body.walk([&](Operation *b) {
    for (Value v : b->getOperands())
      if (v.getParentBlock() != &body && !llvm::is_contained(captured, v))
        captured.push_back(v);
  });
  DenseMap<Value, Operand> vals;
  unsigned nextReg = 1;
  uint64_t cell = 0;
  for (auto [arg, v] : scalars) {
    if (nextReg > 31 || failed(scalarToReg(op, v, nextReg, cell)))
      return failure();
    vals[arg] = Operand{true, nextReg++};
  }
  for (Value v : captured) {
    if (nextReg > 31 || failed(scalarToReg(op, v, nextReg, cell)))
      return failure();
    vals[v] = Operand{true, nextReg++};
  }
  unsigned arrays = unsigned(vecs.size()) + countBodyOps(body) + 1;
  uint64_t base = 16;
  uint64_t chunk = (arch.spBytes - base - 16 * arrays) / (4 * arrays);
  chunk = std::min<uint64_t>({chunk, total, (1u << 20) - 1});
  bool anyBcast = llvm::any_of(bcast, [](int b) { return b != 0; });
  uint64_t cols = rtype.getRank() == 2 ? uint64_t(rtype.getDimSize(1)) : 1;
  if (anyBcast) // whole rows per chunk
    chunk = chunk / cols * cols;
  if (chunk == 0)
    return fits(op, base + (32 + 4 * (anyBcast ? cols : 1)) * arrays,
                "one element (row) of each array");
  SmallVector<FailureOr<Buf>> vbufs;
  for (auto [arg, v] : vecs) {
    vbufs.push_back(bufOf(op, v));
    if (failed(vbufs.back()))
      return failure();
  }
  Value yielded = body.getTerminator()->getOperand(0);
  for (uint64_t i0 = 0; i0 < total; i0 += chunk) {
    uint64_t n = std::min(chunk, total - i0);
    uint64_t spTop = base;
    for (size_t i = 0; i < vecs.size(); ++i) {
      uint64_t rows = n / cols, r0 = i0 / cols;
      if (bcast[i] == 0) {
        dmaLinear(true, spTop, vbufs[i]->addr + 4 * i0, 4 * n);
      } else if (bcast[i] == 1) {
        // The same row vector into every row: DRAM row pitch 0.
        for (uint64_t r = 0; r < rows; r += 4095)
          emit(mk(Opcode::DMA_LD,
                  {{"sp", spTop + 4 * cols * r}, {"dram", vbufs[i]->addr},
                   {"rows", std::min<uint64_t>(4095, rows - r)},
                   {"bytes", 4 * cols}, {"dstride", 0},
                   {"sstride", 4 * cols}}));
      } else {
        // Element r of the column vector repeated across row r.
        for (uint64_t r = 0; r < rows; ++r)
          for (uint64_t c = 0; c < cols; c += 4095)
            emit(mk(Opcode::DMA_LD,
                    {{"sp", spTop + 4 * (cols * r + c)},
                     {"dram", vbufs[i]->addr + 4 * (r0 + r)},
                     {"rows", std::min<uint64_t>(4095, cols - c)},
                     {"bytes", 4}, {"dstride", 0}, {"sstride", 4}}));
      }
      vals[vecs[i].first] = Operand{false, spTop};
      spTop = alignTo(spTop + 4 * n, 16);
    }
    unsigned regs = nextReg;
    if (failed(evalBody(op, body, vals, n, spTop, nullptr, regs)))
      return failure();
    auto it = vals.find(yielded);
    if (it == vals.end())
      return op->emitOpError("yields a value the Q4A lowering cannot place");
    Operand y = it->second;
    bool isInput = !y.reg && llvm::any_of(vecs, [&](auto &p) {
      return vals[p.first].v == y.v;
    });
    if (y.reg || isInput) {
      Instr mv = Instr::make(Opcode::VOP);
      mv.set("fn", uint64_t(hw::VFn::Mov));
      mv.set("n", n);
      mv.set("d", spTop);
      mv.set("a", y.v);
      mv.set("ra", y.reg);
      emit(mv);
      y = Operand{false, spTop};
    }
    dmaLinear(false, y.v, out.addr + 4 * i0, 4 * n);
  }
  return success();
}

LogicalResult Lowering::lowerReduction(linalg::LinalgOp op) {
  Value result = op->getResult(0);
  auto rtype = cast<RankedTensorType>(result.getType());
  Block &body = *op.getBlock();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *comb = yield.getOperand(0).getDefiningOp();
  BlockArgument outArg = body.getArguments().back();
  std::optional<hw::Red> red;
  if (comb && comb->getBlock() == &body && comb->getNumOperands() == 2) {
    if (isa<arith::AddFOp>(comb))
      red = hw::Red::Sum;
    else if (isa<arith::MaximumFOp>(comb))
      red = hw::Red::Max;
    else if (isa<arith::MinimumFOp>(comb))
      red = hw::Red::Min;
  }
  if (!red || (comb->getOperand(0) != outArg && comb->getOperand(1) != outArg))
    return op->emitOpError("reductions must combine the accumulator with "
                           "addf, maximumf or minimumf to be lowered to Q4A");
  Value exprV = comb->getOperand(0) == outArg ? comb->getOperand(1)
                                               : comb->getOperand(0);
  if (exprV == outArg)
    return op->emitOpError("reduction expression uses the accumulator twice");
  for (Operation &b : body)
    for (Value v : b.getOperands())
      if (v == outArg && &b != comb)
        return op->emitOpError("the accumulator may only be used by the "
                               "final combining op");
  // Shape of the reduction.
  SmallVector<utils::IteratorType> its = op.getIteratorTypesArray();
  AffineMap outMap = op.getIndexingMapMatchingResult(cast<OpResult>(result));
  SmallVector<int64_t> dom = op.getStaticLoopRanges();
  hw::Axis axis;
  uint64_t rows, cols;
  if (outMap.getNumResults() == 0) {
    axis = hw::Axis::All;
    rows = 1;
    cols = 1;
    for (int64_t d : dom)
      cols *= uint64_t(d);
  } else if (dom.size() == 2 && outMap.getNumResults() == 1 &&
             outMap.getResult(0) == getAffineDimExpr(0, op->getContext()) &&
             its[1] == utils::IteratorType::reduction) {
    axis = hw::Axis::Row;
    rows = uint64_t(dom[0]);
    cols = uint64_t(dom[1]);
  } else if (dom.size() == 2 && outMap.getNumResults() == 1 &&
             outMap.getResult(0) == getAffineDimExpr(1, op->getContext()) &&
             its[0] == utils::IteratorType::reduction) {
    axis = hw::Axis::Col;
    rows = uint64_t(dom[0]);
    cols = uint64_t(dom[1]);
  } else {
    return op->emitOpError("only full, per-row and per-column reductions are "
                           "supported by the Q4A lowering");
  }
  uint64_t outLen = axis == hw::Axis::All ? 1
                    : axis == hw::Axis::Row ? rows
                                             : cols;
  // Inputs: identity over the whole domain, or scalars.
  SmallVector<std::pair<BlockArgument, Value>> vecs, scalars;
  for (OpOperand *o : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(o);
    if (arg.use_empty())
      continue;
    AffineMap m = op.getMatchingIndexingMap(o);
    auto st = dyn_cast<RankedTensorType>(o->get().getType());
    if (!getElementTypeOrSelf(o->get().getType()).isF32())
      return op->emitOpError("reduction inputs must be f32");
    if (!st || (st.getNumElements() == 1 && m.getNumResults() == 0))
      scalars.push_back({arg, o->get()});
    else if (m.isIdentity())
      vecs.push_back({arg, o->get()});
    else
      return op->emitOpError("reduction inputs must use identity maps");
  }
  FailureOr<Buf> init = bufOf(op, op.getDpsInits()[0]);
  if (failed(init))
    return failure();
  Buf out = define(result);
  DenseMap<Value, Operand> vals;
  unsigned nextReg = 1;
  uint64_t cell = 0;
  for (auto [arg, v] : scalars) {
    if (nextReg > 31 || failed(scalarToReg(op, v, nextReg, cell)))
      return failure();
    vals[arg] = Operand{true, nextReg++};
  }
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
  // SP: [cell | acc (outLen) | inputs and temporaries per chunk]
  uint64_t accA = 16, base = alignTo(accA + 4 * outLen, 16);
  unsigned arrays = unsigned(vecs.size()) + countBodyOps(body) + 1;
  if (failed(fits(op, base + 32 * arrays, "the reduction accumulators")))
    return failure();
  uint64_t perRow = axis == hw::Axis::All ? 1 : cols;
  uint64_t rowsPer = (arch.spBytes - base - 16 * arrays) / (4 * arrays * perRow);
  if (rowsPer == 0 || perRow > 65535)
    return fits(op, base + 4 * arrays * perRow * 2, "one row of each array");
  uint64_t units = axis == hw::Axis::All ? cols : rows;
  rowsPer = std::min<uint64_t>({rowsPer, units, 65535});
  SmallVector<FailureOr<Buf>> vbufs;
  for (auto [arg, v] : vecs) {
    vbufs.push_back(bufOf(op, v));
    if (failed(vbufs.back()))
      return failure();
  }
  dmaLinear(true, accA, init->addr, 4 * outLen);
  for (uint64_t u0 = 0; u0 < units; u0 += rowsPer) {
    uint64_t nu = std::min(rowsPer, units - u0);
    uint64_t n = nu * perRow, off = u0 * perRow;
    uint64_t spTop = base;
    for (size_t i = 0; i < vecs.size(); ++i) {
      dmaLinear(true, spTop, vbufs[i]->addr + 4 * off, 4 * n);
      vals[vecs[i].first] = Operand{false, spTop};
      spTop = alignTo(spTop + 4 * n, 16);
    }
    unsigned regs = nextReg;
    if (failed(evalBody(op, body, vals, n, spTop, comb, regs)))
      return failure();
    auto it = vals.find(exprV);
    if (it == vals.end() || it->second.reg)
      return op->emitOpError("reduces a value the Q4A lowering cannot place");
    uint64_t d = accA + (axis == hw::Axis::Row ? 4 * u0 : 0);
    emit(mk(Opcode::VRED,
            {{"red", uint64_t(*red)}, {"axis", uint64_t(axis)}, {"init", 1},
             {"rows", axis == hw::Axis::All ? 1 : nu},
             {"cols", axis == hw::Axis::All ? nu : cols}, {"d", d},
             {"s", it->second.v}}));
  }
  dmaLinear(false, accA, out.addr, 4 * outLen);
  (void)rtype;
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
    Buf &b = define(a);
    FailureOr<hw::TensorDesc> t =
        desc(a, "arg" + std::to_string(a.getArgNumber()), b.addr);
    if (failed(t))
      return failure();
    prog.inputs.push_back(*t);
  }
  Operation *ret = func.getBody().front().getTerminator();
  for (Operation &op : func.getBody().front().without_terminator())
    if (failed(lowerOp(&op)))
      return failure();
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
    if (copy) {
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
  if (std::string e = prog.validate(); !e.empty())
    return func.emitOpError("internal error: the generated Q4A program is "
                            "invalid: ")
           << e;
  return prog;
}

struct ConvertQuant4ToQ4APass
    : mlir::q4a::impl::ConvertQuant4ToQ4ABase<ConvertQuant4ToQ4APass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn;
    if (!entry.empty()) {
      fn = module.lookupSymbol<func::FuncOp>(entry);
      if (!fn) {
        module.emitError("convert-quant4-to-q4a: no function named '")
            << entry << "'";
        return signalPassFailure();
      }
    } else {
      SmallVector<func::FuncOp> pub;
      for (auto f : module.getOps<func::FuncOp>())
        if (f.isPublic() && !f.isExternal())
          pub.push_back(f);
      if (pub.size() != 1) {
        module.emitError("convert-quant4-to-q4a: expected exactly one public "
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
      module.emitError("convert-quant4-to-q4a: ") << e;
      return signalPassFailure();
    }
    Lowering l(fn, arch);
    FailureOr<hw::Program> p = l.run();
    if (failed(p))
      return signalPassFailure();
    OpBuilder b(fn);
    fromProgram(b, fn.getLoc(), *p);
    fn.erase();
  }
};

} // namespace
