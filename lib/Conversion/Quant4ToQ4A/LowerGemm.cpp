//===- LowerGemm.cpp - GEMMs and convolutions on the MXU ------------------===//
//
// quant4.matmul and f32 linalg.matmul tiled to the MXU array; 2-D
// convolutions as im2col by strided DMA into the same GEMM tiles; 2-D
// transposes.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace mlir;

namespace mlir::q4a::lowering {

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

LogicalResult Lowering::lowerGemm(Operation *op, Value lhs, Value rhs, Value ls,
                                  Value rs, bool rowScales, bool colScales,
                                  ValueRange tensorScales, num::Format fa,
                                  num::Format fb, num::Accumulation acc,
                                  bool ta, bool tb, Value result) {
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
  FailureOr<Buf> SA = scaleBufOf(op, ls), SB = scaleBufOf(op, rs);
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
  FailureOr<Buf> SA = scaleBufOf(op, sx), SB = scaleBufOf(op, sw);
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
      kk = std::min<int64_t>(kmax, (avail - mb * nt * 4) / (mb * ea + nt * eb));
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
  xv.coef = {H * W * C,      strides[0] * W * C, strides[1] * C,
             dil[0] * W * C, dil[1] * C,         1};
  SmallVector<IBox> mBoxes = boxesOf({N, OH, OW}, mb);
  SmallVector<IBox> kBoxes = boxesOf({KH, KW, C}, kk);
  SmallVector<unsigned> order = {0, 1, 2, 3, 4, 5};

  unsigned ts = tensorScales.empty() ? 0 : 1; // f1 holds tA·tB, f0 = 1
  if (failed(configureMxu(op, fa, fb, acc, tensorScales, one, !sx || !sw)))
    return failure();
  if (sx)
    dmaLinear(true, saA, SA->addr, 4);
  // Accumulator tile `tile` (row tile `s` of the block, m x nn) scaled into
  // the block's C rows in the SP.
  auto readOut = [&](unsigned tile, int64_t s, int64_t m, int64_t nn) {
    emit(mk(Opcode::MST, {{"tile", tile},
                          {"m", uint64_t(m)},
                          {"n", uint64_t(nn)},
                          {"d", cA + uint64_t(s * mt * nn) * 4},
                          {"ldc", uint64_t(nn)},
                          {"sam", 0},
                          {"sa", sx ? saA : one},
                          {"sbm", colScales},
                          {"sb", sw ? sbA : one},
                          {"ts", ts}}));
  };
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
          emit(mk(Opcode::MMA, {{"tile", tile},
                                {"accum", kbx.flat0 > 0},
                                {"ta", 0},
                                {"tb", 0},
                                {"m", uint64_t(m)},
                                {"n", uint64_t(nn)},
                                {"k", uint64_t(kc)},
                                {"a", aA + uint64_t(s * mt * kc) * ea},
                                {"b", bA},
                                {"lda", uint64_t(kc)},
                                {"ldb", uint64_t(nn)}}));
          if (single)
            readOut(0, s, m, nn);
        }
      }
      if (!single)
        for (int64_t s = 0; s < subs; ++s) {
          int64_t m = std::min(mt, rows - s * mt);
          readOut(unsigned(s), s, m, nn);
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
    emit(mk(Opcode::VTR, {{"esz", esz == 1   ? 0
                                  : esz == 2 ? 1
                                             : 2},
                          {"rows", rr},
                          {"cols", C},
                          {"d", dA},
                          {"s", 0}}));
    // Column block: out[j][r0 .. r0+rr) for every j.
    dma2D(false, dA, out.addr + r0 * esz, C, rr * esz, R * esz, rr * esz);
  }
  return success();
}

} // namespace mlir::q4a::lowering
