//===- Lowering.h - the state of convert-quant4-to-q4a ----------*- C++ -*-===//
//
// The class behind convert-quant4-to-q4a, shared by the files that lower
// each kind of op (private to this directory):
//   Quant4ToQ4A.cpp        the pass, the driver (run, lowerInHalf), lowerOp
//   LowerGemm.cpp          quant4.matmul / linalg.matmul, convolutions
//                          (im2col by strided DMA + MXU), 2-D transposes
//   LowerQuantization.cpp  quant4.quantize / dequantize / fake_quant / scale
//   LowerLinalg.cpp        linalg ops on the vector unit: element-wise
//                          bodies, reductions
//   Transfer.cpp           strided DMA boxes (gathers, scatters, chunking),
//                          tensor slices and padding
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
#ifndef QUANT4_LIB_CONVERSION_QUANT4TOQ4A_LOWERING_H
#define QUANT4_LIB_CONVERSION_QUANT4TOQ4A_LOWERING_H

#include "quant4/Conversion/Quant4ToQ4A/Passes.h"
#include "quant4/Target/Q4A/Synchronize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

namespace mlir::q4a::lowering {

using hw::Instr;
using hw::Opcode;

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

inline uint64_t alignTo(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

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

/// Where the lowering places a tensor of 4-bit codes that it packs two per
/// DRAM byte: the ops address it one code per byte from `virt` (a range
/// above every DRAM address), emit() turns their dma.ld / dma.st into
/// dma.ldp / dma.stp at nibble `2 * phys + (address - virt)`.
struct PackedCodes {
  uint64_t virt, phys;
};
constexpr uint64_t kPackedCodesBase = uint64_t(1) << 40;

class Lowering {
public:
  Lowering(func::FuncOp f, hw::Arch arch, uint64_t dramLimit, bool packCodes)
      : func(f), arch(arch), dramLimit(dramLimit), packCodes(packCodes) {}

  FailureOr<hw::Program> run();

private:
  func::FuncOp func;
  hw::Arch arch;
  uint64_t dramLimit;
  bool packCodes;
  hw::Program prog;
  /// The packed code tensors, by increasing `virt`, and the next `virt`.
  std::vector<PackedCodes> packed;
  uint64_t packedTop = kPackedCodesBase;
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

  /// The source label of the instructions emitted now (Instr::source).
  uint32_t source = 0;
  /// For sourceLabel(), by op location: the layer of the GEMMs there, and
  /// the first op at a source line (what the line is, e.g. a pooling).
  llvm::StringMap<std::string> layerAt, firstOpAt;

  /// Appends an instruction in sequential order; q4a-synchronize orders the
  /// units afterwards.
  void emit(Instr in) {
    if (spOffset)
      hw::relocateScratchpad(in, spOffset);
    if (hw::isDma(in.opcode) && isPacked(in.get("dram")))
      toPackedDma(in);
    in.source = source;
    prog.code.push_back(std::move(in));
  }
  /// A dma.ld / dma.st of a packed code tensor as the dma.ldp / dma.stp of
  /// its DRAM nibbles (strides count codes either way).
  void toPackedDma(Instr &in) {
    uint64_t a = in.get("dram");
    auto it = std::upper_bound(
        packed.begin(), packed.end(), a,
        [](uint64_t x, const PackedCodes &p) { return x < p.virt; });
    assert(it != packed.begin() && "DMA into no packed code tensor");
    const PackedCodes &p = *std::prev(it);
    // The packed forms have the same fields as dma.ld / dma.st.
    in.opcode = hw::isDmaLoad(in.opcode) ? Opcode::DMA_LDP : Opcode::DMA_STP;
    in.set("dram", 2 * p.phys + (a - p.virt));
  }
  /// What the instructions of `op` are attributed to in the source map: the
  /// layer of the GEMMs at its location (their `quant4.layer_name`: so a
  /// layer's forward, gradient GEMMs, quantizations and derivative ops
  /// share one label) with the location; else the location (a source line
  /// with the first op on it, as derivative ops carry the location of the
  /// op they differentiate); else the op's name.
  std::string sourceLabel(Operation *op);
  /// Lowers `op` in one half of the scratchpad (the other half from the
  /// previous op's), so that consecutive ops do not reuse each other's SP
  /// bytes and q4a-synchronize can let them overlap; an op that does not fit
  /// half the SP gets all of it.
  LogicalResult lowerInHalf(Operation *op, bool &upperHalf);
  Instr mk(Opcode op,
           std::initializer_list<std::pair<const char *, uint64_t>> fields) {
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
  /// One dma.ld / dma.st (emit() makes it a packed one for packed codes).
  void dma(bool load, uint64_t sp, uint64_t dram, uint64_t rows, uint64_t bytes,
           uint64_t dstride, uint64_t sstride) {
    emit(mk(load ? Opcode::DMA_LD : Opcode::DMA_ST, {{"sp", sp},
                                                     {"dram", dram},
                                                     {"rows", rows},
                                                     {"bytes", bytes},
                                                     {"dstride", dstride},
                                                     {"sstride", sstride}}));
  }
  /// Contiguous DRAM <-> SP copy.
  void dmaLinear(bool load, uint64_t sp, uint64_t dram, uint64_t bytes) {
    while (bytes) {
      uint64_t row = std::min<uint64_t>(bytes, 32768);
      uint64_t rows = std::min<uint64_t>(bytes / row, 4095);
      dma(load, sp, dram, rows, row, row, row);
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
      dma(load, sp, dram, r, rowBytes, dstride, sstride);
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
        emit(mk(Opcode::VOP, {{"fn", uint64_t(hw::VFn::Mul)},
                              {"n", k},
                              {"d", 0},
                              {"a", 0},
                              {"b", r},
                              {"rb", 1}}));
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
  /// Gives `v` DRAM of its own: codes of at most 4 bits packed two per
  /// byte when `packable` (pack-codes; not for the program's inputs),
  /// anything else one element after another.
  Buf &define(Value v, bool packable = true) {
    Buf b;
    b.numel = numel(v.getType());
    b.esz = eltBytes(v.getType());
    auto f = mlir::quant4::getFormat(getElementTypeOrSelf(v.getType()));
    if (packCodes && packable && f && f->bitWidth() <= 4) {
      uint64_t codes = uint64_t(std::max<int64_t>(b.numel, 1));
      packed.push_back({packedTop, allocDram((codes + 1) / 2)});
      b.addr = packedTop;
      packedTop = alignTo(packedTop + codes, 64);
      return bind(v, b);
    }
    b.addr = allocDram(uint64_t(b.numel) * b.esz);
    return bind(v, b);
  }
  /// Whether `addr` is in a packed code tensor (the program's outputs are
  /// never: they keep one code per byte).
  static bool isPacked(uint64_t addr) { return addr >= kPackedCodesBase; }
  FailureOr<Buf> bufOf(Operation *user, Value v) {
    auto it = bufs.find(v);
    if (it != bufs.end())
      return it->second;
    // Scalar constants materialize on demand as a tiny data segment.
    if (auto c = v.getDefiningOp<arith::ConstantOp>())
      if (succeeded(constantSegment(c)))
        return bufs[v];
    return user->emitOpError("operand ")
           << v
           << " has no Q4A storage (it is produced by an op the Q4A "
              "lowering does not support)";
  }
  /// The storage of a GEMM's or convolution's scale operand; an empty Buf
  /// when the operand has none (the unit-scale cell stands for it).
  FailureOr<Buf> scaleBufOf(Operation *user, Value scale) {
    return scale ? bufOf(user, scale) : FailureOr<Buf>(Buf{});
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
    } else if (auto f = dyn_cast<FloatAttr>(c.getValue());
               f && f.getType().isF32()) {
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
        emit(mk(
            Opcode::FOP,
            {{"fn", uint64_t(hw::VFn::Mul)}, {"fd", 1}, {"fa", 1}, {"fb", 2}}));
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
      if (auto f = dyn_cast<FloatAttr>(c.getValue());
          f && f.getType().isF32()) {
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
  LogicalResult copyView(Operation *op, uint64_t viewAddr, const AffView &view,
                         uint64_t linAddr, ArrayRef<int64_t> shape,
                         unsigned esz, bool scatter);
  LogicalResult lowerExtractSlice(tensor::ExtractSliceOp op);
  LogicalResult lowerInsertSlice(tensor::InsertSliceOp op);
  LogicalResult lowerPad(tensor::PadOp op);
  LogicalResult lowerConv(Operation *op, Value x, Value w, Value sx, Value sw,
                          bool colScales, ValueRange tensorScales,
                          num::Format fa, num::Format fb, num::Accumulation acc,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> dil,
                          Value result);
  LogicalResult lowerGemm(Operation *op, Value lhs, Value rhs, Value ls,
                          Value rs, bool rowScales, bool colScales,
                          ValueRange tensorScales, num::Format fa,
                          num::Format fb, num::Accumulation acc, bool ta,
                          bool tb, Value result);
  LogicalResult lowerQuantize(Operation *op, Value input, Value scale,
                              Value tensorScale, Value seed, int64_t stream,
                              mlir::quant4::GranularityAttr g, num::Format fmt,
                              num::Rounding rnd, Value result, bool fake);
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
                         uint64_t &spTop, Operation *stopAt, unsigned &nextReg);
  LogicalResult scaleGroup(Operation *op, RankedTensorType type,
                           mlir::quant4::GranularityAttr g, Value scale,
                           uint64_t &inner, uint64_t &len);
};

/// Splits the row-major index space `shape` into sub-boxes of at most `cap`
/// elements, each a contiguous range of the flattened index, in order.
/// `even`: the cut dimension in equal ranges where a divisor allows (the
/// chunks of an element-wise op or reduction then repeat exactly and roll
/// into one loop); GEMM tiling keeps its largest boxes.
SmallVector<IBox> boxesOf(ArrayRef<int64_t> shape, int64_t cap,
                          bool even = false);
/// A tensor of `shape` seen through the indexing map `map` (offset and
/// per-loop-dimension strides), if the map is affine with constant
/// coefficients.
std::optional<AffView> viewOf(AffineMap map, ArrayRef<int64_t> shape);
/// The DMA dimensions of `box` of `view`.
SmallVector<GDim> boxDims(const AffView &view, const IBox &box,
                          ArrayRef<unsigned> order);
/// The DRAM element offset of `box`'s first element under `view`.
int64_t boxOffset(const AffView &view, const IBox &box);

} // namespace mlir::q4a::lowering

#endif // QUANT4_LIB_CONVERSION_QUANT4TOQ4A_LOWERING_H
