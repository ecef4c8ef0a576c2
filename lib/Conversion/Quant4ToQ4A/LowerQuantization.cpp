//===- LowerQuantization.cpp - quantize, dequantize, scales ---------------===//
//
// quant4.quantize / fake_quant (QNT, DEQ), quant4.dequantize and the scale
// policies of quant4.scale (amax, GradScale, delayed, SAWB, PACT; per tensor
// and per axis): each rule an instruction of docs/ISA.md that Numerics
// defines.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace mlir;

namespace mlir::q4a::lowering {

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

LogicalResult Lowering::scaleGroup(Operation *op, RankedTensorType type,
                                   mlir::quant4::GranularityAttr g, Value scale,
                                   uint64_t &inner, uint64_t &len) {
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
  if (failed(scaleGroup(op, type, op.getGranularityAttr(), op.getScale(), inner,
                        len)))
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
    emit(mk(Opcode::SAMAX,
            {{"fd", 2}, {"fa", 1}, {"fmt", fdesc}, {"pow2", amax.getPow2()}}));
    storeScale(2);
    return success();
  }
  if (isa<mlir::quant4::GradScaleAttr>(policy)) {
    if (failed(amaxInto(op, wholeTensor(*in), 1, aCell, hA)) ||
        failed(scalarToReg(op, op.getState()[0], 3, sCell)))
      return failure();
    emit(mk(Opcode::SGRAD, {{"fd", 2}, {"fs", 3}, {"fa", 1}, {"fmt", fdesc}}));
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
    emit(mk(Opcode::SDLY, {{"fd", 2},
                           {"fs", 3},
                           {"fmt", fdesc},
                           {"pow2", 0},
                           {"margin", uint64_t(int64_t(d.getMargin()))},
                           {"h", H},
                           {"hist", hA}}));
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

} // namespace mlir::q4a::lowering
