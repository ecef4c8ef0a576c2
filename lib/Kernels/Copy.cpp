//===- Copy.cpp - strided copies and transposes ---------------------------===//
//
// stridedCopy (Copy.h) first simplifies the index space: dimensions of
// size 1 go, the others are ordered by the destination's strides (a copy
// may visit elements in any order) and neighbours that are contiguous on
// both sides merge. Then:
//
//  * innermost dimension contiguous on both sides: memcpy of rows;
//  * innermost destination dimension also the source's innermost: rows
//    gathered along it;
//  * otherwise (a transpose) blocks of up to B x B elements over the
//    destination's innermost dimension `a` and the source's innermost `b`:
//    inside a block the writes run along `a` and the reads, block row by
//    block row, along `b`, so that the B cache lines of each side stay in
//    L1 while the block is copied.
//
// Work items (rows, or one block column of `b` at a fixed index of the other
// dimensions) are split into fixed contiguous ranges over the pool.
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Copy.h"
#include "quant4/Kernels/Parallel.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace quant4::kernels {
namespace {

struct Dim {
  int64_t n;    // size
  int64_t src;  // stride in the source (elements)
  int64_t dst;  // stride in the destination (elements)
};

int64_t mag(int64_t s) { return s < 0 ? -s : s; }

/// The index space without unit dimensions, outermost destination stride
/// first, with neighbours contiguous in both operands merged.
std::vector<Dim> simplify(int rank, const int64_t *sizes,
                          const int64_t *srcStrides,
                          const int64_t *dstStrides) {
  std::vector<Dim> dims;
  for (int k = 0; k < rank; ++k)
    if (sizes[k] != 1)
      dims.push_back({sizes[k], srcStrides[k], dstStrides[k]});
  // (Equal destination strides: a zero stride, a broadcast destination
  // the caller may not pass; any order is then as good.)
  std::sort(dims.begin(), dims.end(), [](const Dim &x, const Dim &y) {
    return mag(x.dst) != mag(y.dst) ? mag(x.dst) > mag(y.dst)
                                    : mag(x.src) > mag(y.src);
  });
  std::vector<Dim> merged;
  for (const Dim &d : dims) {
    if (!merged.empty()) {
      Dim &outer = merged.back();
      if (outer.src == d.src * d.n && outer.dst == d.dst * d.n) {
        outer = {outer.n * d.n, d.src, d.dst};
        continue;
      }
    }
    merged.push_back(d);
  }
  return merged;
}

/// One element of `E` bytes.
template <size_t E> inline void move(char *to, const char *from) {
  std::memcpy(to, from, E);
}

/// dst[j·db + i·da] = src[j·sb + i·sa] for i < na, j < nb (strides in
/// elements of E bytes).
template <size_t E>
void copyBlock(const char *src, int64_t sa, int64_t sb, char *dst, int64_t da,
               int64_t db, int64_t na, int64_t nb) {
  for (int64_t j = 0; j < nb; ++j) {
    const char *s = src + j * sb * int64_t(E);
    char *d = dst + j * db * int64_t(E);
    for (int64_t i = 0; i < na; ++i)
      move<E>(d + i * da * int64_t(E), s + i * sa * int64_t(E));
  }
}

using BlockFn = void (*)(const char *, int64_t, int64_t, char *, int64_t,
                         int64_t, int64_t, int64_t);

BlockFn blockFor(size_t elemBytes) {
  switch (elemBytes) {
  case 1:
    return copyBlock<1>;
  case 2:
    return copyBlock<2>;
  case 4:
    return copyBlock<4>;
  default:
    return copyBlock<8>;
  }
}

} // namespace

void stridedCopy(int rank, const int64_t *sizes, const char *src,
                 const int64_t *srcStrides, char *dst,
                 const int64_t *dstStrides, size_t elemBytes, int threads) {
  for (int k = 0; k < rank; ++k)
    if (sizes[k] <= 0)
      return;
  std::vector<Dim> dims = simplify(rank, sizes, srcStrides, dstStrides);
  const int64_t E = int64_t(elemBytes);
  if (dims.empty()) {
    std::memcpy(dst, src, elemBytes);
    return;
  }
  // `a`: the destination's innermost dimension. `b`: the source's innermost
  // among the others, when it is more inner for the source than `a` (a
  // transpose): then blocks of a x b.
  const Dim a = dims.back();
  dims.pop_back();
  int bIndex = -1;
  for (int k = 0; k < int(dims.size()); ++k)
    if (mag(dims[k].src) < mag(a.src) &&
        (bIndex < 0 || mag(dims[k].src) < mag(dims[size_t(bIndex)].src)))
      bIndex = k;
  const bool rows = a.src == 1 && a.dst == 1;
  // Blocks of about 128 bytes (two cache lines) a side. `b` stays at its
  // place in the destination's order, counted in blocks: consecutive work
  // items continue the destination where the previous one stopped.
  const int64_t block = std::max<int64_t>(16, 128 / E);
  Dim b{1, 0, 0};
  if (bIndex >= 0 && !rows) {
    b = dims[size_t(bIndex)];
    dims[size_t(bIndex)] = {(b.n + block - 1) / block, b.src * block,
                            b.dst * block};
  } else {
    bIndex = -1;
  }
  int64_t items = 1;
  for (const Dim &d : dims)
    items *= d.n;
  const BlockFn copy = blockFor(elemBytes);

  auto runItems = [&](size_t begin, size_t end) {
    for (size_t w = begin; w < end; ++w) {
      int64_t rest = int64_t(w), so = 0, doff = 0, nb = 1;
      for (size_t k = dims.size(); k-- > 0;) {
        const int64_t i = rest % dims[k].n;
        rest /= dims[k].n;
        so += i * dims[k].src;
        doff += i * dims[k].dst;
        if (int(k) == bIndex)
          nb = std::min(block, b.n - i * block);
      }
      const char *s = src + so * E;
      char *d = dst + doff * E;
      if (rows) {
        std::memcpy(d, s, size_t(a.n * E));
        continue;
      }
      for (int64_t i0 = 0; i0 < a.n; i0 += block)
        copy(s + i0 * a.src * E, a.src, b.src, d + i0 * a.dst * E, a.dst,
             b.dst, std::min(block, a.n - i0), nb);
    }
  };
  // Below 64 KiB one thread copies faster than a team starts.
  int64_t bytes = E;
  for (int k = 0; k < rank; ++k)
    bytes *= sizes[k];
  if (threads <= 1 || bytes < (int64_t(1) << 16)) {
    runItems(0, size_t(items));
    return;
  }
  parallelRanges(size_t(items), threads * 4, runItems);
}

} // namespace quant4::kernels
