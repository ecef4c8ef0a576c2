//===- Transfer.cpp - strided DMA boxes, slices, padding ------------------===//
//
// Index spaces split into DMA boxes (gathers, scatters, chunking), DRAM
// copies and iota tables, and the tensor ops that only move data: slices,
// insert_slice, pad.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace mlir;

namespace mlir::q4a::lowering {

//===----------------------------------------------------------------------===//
// Strided boxes: DMA gathers/scatters and chunking
//===----------------------------------------------------------------------===//

/// How many of `extent` items each of equal pieces of at most `most` takes:
/// the largest divisor of `extent` that is at least half of `most` (equal
/// pieces repeat exactly, so q4a-materialize-loops rolls them all into one
/// loop, whatever the extent), else `most` (the last piece is shorter).
static int64_t evenPiece(int64_t extent, int64_t most) {
  if (extent <= most)
    return extent;
  for (int64_t d = most; d * 2 >= most; --d)
    if (extent % d == 0)
      return d;
  return most;
}

/// Splits the row-major index space `shape` into sub-boxes of at most `cap`
/// elements, each a contiguous range of the flattened index, in order (with
/// `even`, the cut dimension in equal ranges where a divisor allows).
SmallVector<IBox> boxesOf(ArrayRef<int64_t> shape, int64_t cap, bool even) {
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
  int64_t step = even ? evenPiece(shape[q], cap / suffix[p]) : cap / suffix[p];
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
std::optional<AffView> viewOf(AffineMap map, ArrayRef<int64_t> shape) {
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
    int64_t piece = evenPiece(rows, 4095); // rows of one DMA: 12 bits
    for (int64_t r0 = 0; r0 < rows; r0 += piece) {
      int64_t rr = std::min<int64_t>(piece, rows - r0);
      ++count;
      if (dry)
        continue;
      int64_t pd = p >= 0 ? c[p].ds : 0, ps = p >= 0 ? c[p].ss : 0;
      dma(load, uint64_t(int64_t(sp) + (sOff + r0 * ps) * esz),
          uint64_t(dram + (dOff + r0 * pd) * esz), uint64_t(rr),
          uint64_t(bytes), uint64_t(rr > 1 ? pd * esz : bytes),
          uint64_t(rr > 1 ? ps * esz : bytes));
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
SmallVector<GDim> boxDims(const AffView &view, const IBox &box,
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
int64_t boxOffset(const AffView &view, const IBox &box) {
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
// Tensor slices
//===----------------------------------------------------------------------===//

/// The view of a static slice (offsets, sizes, strides) of `src`.
static std::optional<AffView> sliceView(RankedTensorType src,
                                        ArrayRef<int64_t> offs,
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
  bool inPlace =
      def &&
      !isa<arith::ConstantOp, mlir::quant4::ConstantOp, tensor::CollapseShapeOp,
           tensor::ExpandShapeOp, tensor::ExtractOp>(def);
  for (Operation *u : dest.getUsers())
    if (u != op &&
        (u->getBlock() != op->getBlock() || !u->isBeforeInBlock(op) ||
         isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ExtractOp>(
             u)))
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
  return copyView(op, out.addr, *v, s->addr, op.getStaticSizes(), s->esz, true);
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

} // namespace mlir::q4a::lowering
