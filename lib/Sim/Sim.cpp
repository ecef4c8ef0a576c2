//===- Sim.cpp - the Q4A functional simulator ------------------------------===//
//
// Sequential semantics of docs/ISA.md §2.2: every instruction completes
// before the next one starts; the cycle model (Timing.cpp) only times them.
// All arithmetic is the Numerics library's (num::quantize, num::dequantize,
// num::decode, the scale policies, num::scaleDot) or the ISA library's
// (q4a::applyVFn, q4a::reduceStep); the accumulator follows the table of
// ISA.md §4.2 term by term. Built with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//
#include "quant4/Sim/Sim.h"

#include "quant4/Numerics/Numerics.h"
#include "quant4/Target/Q4A/Synchronize.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace quant4::sim {

using q4a::Instr;
using q4a::Opcode;
using q4a::Unit;

std::string formatPairName(const num::Format &fa, const num::Format &fb) {
  return fa.str() + " x " + fb.str();
}

namespace {

using i128 = __int128;
using u128 = unsigned __int128;

/// Per-byte shadow state of DRAM and SP.
enum Tag : uint8_t { Uninit = 0, Data = 1, Code4 = 2, CodeWide = 3 };

// The vocabulary of what instructions touch is the ISA library's
// (q4a::Space, q4a::Access); the accesses recorded here are those an
// instruction makes while it runs, not q4a::footprint's static ones.
using q4a::Access;
using q4a::Space;

struct AccEntry {
  float s32 = 0, s16 = 0;
  uint32_t cnt = 0;
  bool nf = false;
  bool reset = false; // written by an mma accum=0 since the start
  i128 e = 0;
};

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
  return b;
}

float toHalf(double v) { return num::halfBitsToFloat(num::doubleToHalfBits(v)); }

Tag codeTag(const num::Format &f) { return f.bitWidth() <= 4 ? Code4 : CodeWide; }

/// DRAM with its shadow tags, allocated a 64 KiB page at a time when first
/// written: a page never written reads as zero bytes tagged Uninit. What a
/// program's header claims costs a page table (8 bytes per 64 KiB); what it
/// touches costs 128 KiB per page, bounded by its DMA traffic.
class PagedMemory {
public:
  static constexpr unsigned kPageBits = 16;
  static constexpr uint64_t kPageBytes = uint64_t(1) << kPageBits;

  void reset(uint64_t bytes) {
    size_ = bytes;
    pages_.clear();
    pages_.resize(size_t((bytes + kPageBytes - 1) >> kPageBits));
    allocated_ = 0;
  }
  uint64_t size() const { return size_; }
  /// Bytes of pages allocated so far (data and tags).
  uint64_t allocatedBytes() const { return allocated_ * 2 * kPageBytes; }

  /// Copies [addr, addr + n) into data and tags (either may be null); the
  /// range must lie inside the memory.
  void read(uint64_t addr, uint64_t n, uint8_t *data, uint8_t *tags) const {
    forEachPiece(addr, n, [&](uint64_t page, uint64_t off, uint64_t len,
                              uint64_t done) {
      const Page *p = pages_[page].get();
      if (data)
        p ? (void)std::memcpy(data + done, p->data + off, len)
          : (void)std::memset(data + done, 0, len);
      if (tags)
        p ? (void)std::memcpy(tags + done, p->tags + off, len)
          : (void)std::memset(tags + done, Uninit, len);
    });
  }
  /// Writes [addr, addr + n) from data (null: zero bytes) with per-byte
  /// tags, or every byte tagged `tag` when tags is null.
  void write(uint64_t addr, uint64_t n, const uint8_t *data,
             const uint8_t *tags, Tag tag = Data) {
    forEachPiece(addr, n, [&](uint64_t page, uint64_t off, uint64_t len,
                              uint64_t done) {
      std::unique_ptr<Page> &p = pages_[page];
      if (!p) {
        p = std::make_unique<Page>();
        ++allocated_;
      }
      data ? (void)std::memcpy(p->data + off, data + done, len)
           : (void)std::memset(p->data + off, 0, len);
      tags ? (void)std::memcpy(p->tags + off, tags + done, len)
           : (void)std::memset(p->tags + off, tag, len);
    });
  }

private:
  struct Page {
    uint8_t data[kPageBytes] = {};
    uint8_t tags[kPageBytes] = {}; // Uninit
  };
  template <typename F>
  static void forEachPiece(uint64_t addr, uint64_t n, F f) {
    uint64_t done = 0;
    while (done < n) {
      uint64_t a = addr + done, off = a & (kPageBytes - 1);
      uint64_t len = std::min(n - done, kPageBytes - off);
      f(a >> kPageBits, off, len, done);
      done += len;
    }
  }
  uint64_t size_ = 0, allocated_ = 0;
  std::vector<std::unique_ptr<Page>> pages_;
};

} // namespace

struct Simulator::Impl {
  const q4a::Program &prog;
  Options opts;
  PagedMemory dram;
  std::vector<uint8_t> sp, spTag;
  std::vector<uint8_t> rowData, rowTags; // one DMA row in flight
  std::vector<bool> inputSet;
  uint64_t x[q4a::kNumXRegs] = {};
  float f[q4a::kNumFRegs] = {};
  std::vector<AccEntry> acc[q4a::kNumAccTiles];
  // MXU configuration.
  bool cfgValid = false;
  num::Format fa, fb;
  num::Accumulation accum;
  std::vector<float> decA, decB;         // decode tables (<= 16-bit formats)
  std::vector<int64_t> intA, intB;       // exactInteger tables (Exact)
  std::vector<float> prod16;             // half(pa*pb) table, small formats
  uint32_t maskA = 0, maskB = 0;
  /// The SFU's SAWB statistics (sawb.acc, sawb.fin).
  num::SawbAccumulator sawb;
  // Execution.
  Scoreboard sb;
  Stats st;
  std::vector<TraceEntry> tr;
  std::string err;
  std::vector<Access> cur;
  /// The synchronisation check's shadow state: for every scratchpad byte and
  /// register, its last writer and the last reader on each unit. DRAM and the
  /// accumulator tiles need none: only the DMA unit touches DRAM, only the
  /// MXU the tiles.
  struct Shadow {
    int32_t writePc = -1;
    uint8_t writeUnit = 0;
    std::array<int32_t, kNumUnits> readPc{-1, -1, -1, -1, -1};
  };
  static constexpr unsigned kShadowPageBits = 12;
  std::vector<std::unique_ptr<std::array<Shadow, 1u << kShadowPageBits>>>
      spShadow;
  std::array<Shadow, q4a::kNumXRegs> xShadow;
  std::array<Shadow, q4a::kNumFRegs> fShadow;
  Shadow *shadowOf(Space s, uint64_t at) {
    if (s == Space::XReg)
      return &xShadow[at];
    if (s == Space::FReg)
      return &fShadow[at];
    if (s != Space::SP)
      return nullptr;
    auto &page = spShadow[at >> kShadowPageBits];
    if (!page)
      page = std::make_unique<std::array<Shadow, 1u << kShadowPageBits>>();
    return &(*page)[at & ((1u << kShadowPageBits) - 1)];
  }
  /// Dependency tokens (docs/ISA.md §2.4): known[u][v] is the last pc of
  /// unit v known to have completed before unit u's next instruction starts
  /// (-1: none); a token carries its signalling unit's knowledge.
  using Knowledge = std::array<int64_t, kNumUnits>;
  std::array<Knowledge, kNumUnits> known = [] {
    std::array<Knowledge, kNumUnits> k;
    for (Knowledge &row : k)
      row.fill(-1);
    return k;
  }();
  std::array<std::array<std::deque<Knowledge>, kNumUnits>, kNumUnits>
      tokenKnowledge;
  DmaBytes dmaBytes;
  bool ran = false;
  bool dramSized = false;

  Impl(const q4a::Program &p, Options o) : prog(p), opts(o) {
    f[0] = 1.0f;
    uint32_t cells = uint32_t(prog.arch.arrayRows) * prog.arch.arrayCols;
    for (auto &t : acc)
      t.assign(cells, AccEntry());
  }

  /// Sizes DRAM on first use (it is allocated page by page as written).
  std::string sizeDram() {
    if (dramSized)
      return "";
    if (prog.dramSize > kMaxDramBytes)
      return "the program's DRAM size " + std::to_string(prog.dramSize) +
             " exceeds the simulator's limit of " +
             std::to_string(kMaxDramBytes) + " bytes (2 GiB)";
    dram.reset(prog.dramSize);
    dramSized = true;
    return "";
  }

  bool fail(const std::string &m) {
    if (err.empty())
      err = m;
    return false;
  }

  //===-- memory ---------------------------------------------------------===//

  bool bounds(Space s, uint64_t addr, uint64_t len, const char *what) {
    uint64_t size = s == Space::SP ? sp.size() : dram.size();
    if (addr > size || len > size - addr)
      return fail(std::string("accesses ") + what + " [" + hex(addr) + ", " +
                  hex(addr + len) + ") outside the " + std::to_string(size) +
                  "-byte " + std::string(q4a::spaceName(s)));
    return true;
  }
  /// Bounds, initialisation check and access record of a read.
  bool rd(Space s, uint64_t addr, uint64_t len, const char *what) {
    if (!bounds(s, addr, len, what))
      return false;
    if (opts.checkUninitialised) {
      const uint8_t *t = spTag.data() + addr;
      if (s == Space::DRAM) {
        rowTags.resize(len);
        dram.read(addr, len, nullptr, rowTags.data());
        t = rowTags.data();
      }
      for (uint64_t i = 0; i < len; ++i)
        if (t[i] == Uninit) {
          uint64_t j = i;
          while (j < len && t[j] == Uninit)
            ++j;
          return fail("reads uninitialised " + std::string(q4a::spaceName(s)) +
                      " bytes [" + hex(addr + i) + ", " + hex(addr + j) +
                      ") (" + what + "): nothing wrote them since reset");
        }
    }
    cur.push_back({s, false, addr, addr + len});
    return true;
  }
  bool wr(Space s, uint64_t addr, uint64_t len, const char *what) {
    if (!bounds(s, addr, len, what))
      return false;
    cur.push_back({s, true, addr, addr + len});
    return true;
  }
  float ldF(uint64_t addr) {
    float v;
    std::memcpy(&v, sp.data() + addr, 4);
    return v;
  }
  /// n consecutive floats of SP from addr.
  std::vector<float> ldFloats(uint64_t addr, uint64_t n) {
    std::vector<float> v(n);
    for (uint64_t i = 0; i < n; ++i)
      v[i] = ldF(addr + 4 * i);
    return v;
  }
  void stF(uint64_t addr, float v) {
    std::memcpy(sp.data() + addr, &v, 4);
    std::memset(spTag.data() + addr, Data, 4);
  }
  uint32_t ldCode(uint64_t addr, unsigned esz) {
    uint32_t v = 0;
    for (unsigned i = 0; i < esz; ++i)
      v |= uint32_t(sp[addr + i]) << (8 * i);
    return v;
  }
  void stCode(uint64_t addr, unsigned esz, uint32_t code, Tag t) {
    for (unsigned i = 0; i < esz; ++i) {
      sp[addr + i] = uint8_t(code >> (8 * i));
      spTag[addr + i] = t;
    }
  }
  float rf(unsigned r) {
    cur.push_back({Space::FReg, false, r, r + 1});
    return f[r];
  }
  uint64_t rx(unsigned r) {
    cur.push_back({Space::XReg, false, r, r + 1});
    return x[r];
  }
  void wf(unsigned r, float v) {
    cur.push_back({Space::FReg, true, r, r + 1});
    if (r != 0)
      f[r] = v;
  }
  void wx(unsigned r, uint64_t v) {
    cur.push_back({Space::XReg, true, r, r + 1});
    if (r != 0)
      x[r] = v;
  }

  //===-- instructions -----------------------------------------------------===//

  bool exec(const Instr &in);
  bool execDma(const Instr &in, bool load);
  bool execDmaPacked(const Instr &in, bool load);
  bool execMcfg(const Instr &in);
  bool execMma(const Instr &in);
  bool execMst(const Instr &in);
  bool execVop(const Instr &in);
  bool execVred(const Instr &in);
  bool execVtr(const Instr &in);
  bool execQuant(const Instr &in, bool quant);

  std::string run();
  /// "pc N (ASSEMBLY)" of the seq-th executed instruction, with its loop
  /// iterations inside loops.
  std::string location(uint64_t seq) const {
    q4a::Execution ex(prog);
    const Instr *in = ex.next();
    for (uint64_t i = 0; in && i < seq; ++i)
      in = ex.next();
    if (!in)
      return "instruction " + std::to_string(seq);
    std::string s =
        "pc " + std::to_string(ex.pc()) + " (" + q4a::printInstr(*in) + ")";
    std::vector<uint64_t> it = ex.iterations();
    if (in->opcode == Opcode::LOOP)
      it.pop_back(); // the loop it starts
    if (!it.empty()) {
      s += " in iteration (";
      for (size_t k = 0; k < it.size(); ++k)
        s += (k ? ", " : "") + std::to_string(it[k]);
      s += ")";
    }
    return s;
  }
  void checkSync(uint64_t seq, Unit u);
};

bool Simulator::Impl::execDma(const Instr &in, bool load) {
  uint64_t spA = in.get("sp"), dr = in.get("dram"), rows = in.get("rows"),
           bytes = in.get("bytes"), ds = in.get("dstride"),
           ss = in.get("sstride");
  Space src = load ? Space::DRAM : Space::SP, dst = load ? Space::SP : Space::DRAM;
  uint64_t srcA = load ? dr : spA, dstA = load ? spA : dr;
  uint64_t srcS = load ? ds : ss, dstS = load ? ss : ds;
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t s = srcA + r * srcS, d = dstA + r * dstS;
    if (!rd(src, s, bytes, "DMA source row") ||
        !wr(dst, d, bytes, "DMA destination row"))
      return false;
    const uint8_t *t;
    if (load) {
      rowData.resize(bytes);
      rowTags.resize(bytes);
      dram.read(s, bytes, rowData.data(), rowTags.data());
      std::memcpy(sp.data() + d, rowData.data(), bytes);
      std::memcpy(spTag.data() + d, rowTags.data(), bytes);
      t = rowTags.data();
    } else {
      dram.write(d, bytes, sp.data() + s, spTag.data() + s);
      t = spTag.data() + s;
    }
    for (uint64_t i = 0; i < bytes; ++i) {
      if (t[i] == Code4)
        ++dmaBytes.code4;
      else if (t[i] == CodeWide)
        ++dmaBytes.code8;
      else
        ++dmaBytes.other;
    }
  }
  (load ? st.dramToSpBytes : st.spToDramBytes) += rows * bytes;
  return true;
}

/// dma.ldp / dma.stp: 4-bit codes two per DRAM byte (low nibble first),
/// one per SP byte; `dram` and `dstride` count nibbles. A store keeps the
/// other nibble of the bytes it shares with neighbouring codes; a byte
/// counts as written (for the uninitialised-read check) once either of its
/// nibbles is.
bool Simulator::Impl::execDmaPacked(const Instr &in, bool load) {
  uint64_t spA = in.get("sp"), dr = in.get("dram"), rows = in.get("rows"),
           n = in.get("bytes"), ds = in.get("dstride"), ss = in.get("sstride");
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t nib = dr + r * ds, s = spA + r * ss;
    auto [lo, hi] = q4a::dmaDramBytes(in.opcode, nib, n);
    bool ok = load ? rd(Space::DRAM, lo, hi - lo, "DMA source row") &&
                         wr(Space::SP, s, n, "DMA destination row")
                   : rd(Space::SP, s, n, "DMA source row") &&
                         wr(Space::DRAM, lo, hi - lo, "DMA destination row");
    if (!ok)
      return false;
    rowData.resize(hi - lo);
    rowTags.resize(hi - lo);
    dram.read(lo, hi - lo, rowData.data(), rowTags.data());
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t a = nib + i;
      uint8_t &byte = rowData[a / 2 - lo];
      unsigned shift = (a & 1) ? 4 : 0;
      if (load) {
        sp[s + i] = uint8_t((byte >> shift) & 0xF);
        spTag[s + i] = Code4;
        continue;
      }
      uint8_t v = sp[s + i];
      if (v > 15)
        return fail("SP byte " + hex(s + i) + " holds " + std::to_string(v) +
                    ", which is not a 4-bit code (dma.stp packs codes of at "
                    "most 4 bits)");
      byte = uint8_t((byte & ~(0xF << shift)) | (v << shift));
      rowTags[a / 2 - lo] = Code4;
    }
    if (!load)
      dram.write(lo, hi - lo, rowData.data(), rowTags.data());
    dmaBytes.packed += hi - lo;
    (load ? st.dramToSpBytes : st.spToDramBytes) += hi - lo;
  }
  return true;
}

bool Simulator::Impl::execMcfg(const Instr &in) {
  std::string e;
  auto a = q4a::decodeFormat(in.get("fa"), &e);
  auto b = q4a::decodeFormat(in.get("fb"), &e);
  if (!a || !b)
    return fail("invalid format: " + e);
  fa = *a;
  fb = *b;
  accum = num::Accumulation{num::AccumKind(in.get("acc")), int(in.get("chunk"))};
  cfgValid = true;
  auto table = [](const num::Format &fmt, std::vector<float> &dec,
                  std::vector<int64_t> &ints, uint32_t &mask, bool exact) {
    dec.clear();
    ints.clear();
    uint32_t n = fmt.numCodes();
    mask = n ? n - 1 : 0xFFFFFFFFu;
    if (!n)
      return;
    dec.resize(n);
    for (uint32_t c = 0; c < n; ++c)
      dec[c] = num::decode(fmt, c);
    if (exact) {
      ints.resize(n);
      for (uint32_t c = 0; c < n; ++c)
        ints[c] = num::exactInteger(fmt, c);
    }
  };
  bool exact = accum.kind == num::AccumKind::Exact;
  table(fa, decA, intA, maskA, exact);
  table(fb, decB, intB, maskB, exact);
  prod16.clear();
  bool half = accum.kind == num::AccumKind::F16 ||
              accum.kind == num::AccumKind::F16Chunked;
  if (half && !decA.empty() && !decB.empty() &&
      uint64_t(decA.size()) * decB.size() <= (1u << 16)) {
    prod16.resize(decA.size() * decB.size());
    for (size_t i = 0; i < decA.size(); ++i)
      for (size_t j = 0; j < decB.size(); ++j)
        prod16[i * decB.size() + j] = toHalf(double(decA[i]) * decB[j]);
  }
  return true;
}

bool Simulator::Impl::execMma(const Instr &in) {
  if (!cfgValid)
    return fail("mma before any mcfg (Q23)");
  unsigned tile = unsigned(in.get("tile"));
  bool accumulate = in.get("accum"), ta = in.get("ta"), tb = in.get("tb");
  uint64_t m = in.get("m"), n = in.get("n"), k = in.get("k"), a = in.get("a"),
           b = in.get("b"), lda = in.get("lda"), ldb = in.get("ldb");
  unsigned ea = q4a::elementBytes(fa), eb = q4a::elementBytes(fb);
  // Operand extents, one stored row at a time.
  uint64_t rowsA = ta ? k : m, lenA = ta ? m : k;
  uint64_t rowsB = tb ? n : k, lenB = tb ? k : n;
  for (uint64_t r = 0; r < rowsA; ++r)
    if (!rd(Space::SP, a + r * lda * ea, lenA * ea, "operand a"))
      return false;
  for (uint64_t r = 0; r < rowsB; ++r)
    if (!rd(Space::SP, b + r * ldb * eb, lenB * eb, "operand b"))
      return false;
  // Codes: A as m x k, B as n x k (both row-contiguous in k).
  std::vector<uint32_t> A(m * k), B(n * k);
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t q = 0; q < k; ++q)
      A[i * k + q] = ldCode(a + (ta ? q * lda + i : i * lda + q) * ea, ea);
  for (uint64_t j = 0; j < n; ++j)
    for (uint64_t q = 0; q < k; ++q)
      B[j * k + q] = ldCode(b + (tb ? j * ldb + q : q * ldb + j) * eb, eb);
  cur.push_back({Space::Acc, true, tile, tile + 1});
  if (accumulate)
    cur.push_back({Space::Acc, false, tile, tile + 1});
  uint32_t cols = prog.arch.arrayCols;
  auto dec = [](const std::vector<float> &t, uint32_t mask, uint32_t c) {
    if (t.empty()) {
      float v;
      std::memcpy(&v, &c, 4);
      return v;
    }
    return t[c & mask];
  };
  size_t nb = decB.size();
  int chunk = accum.chunk;
  for (uint64_t i = 0; i < m; ++i) {
    for (uint64_t j = 0; j < n; ++j) {
      AccEntry &e = acc[tile][i * cols + j];
      if (!accumulate) {
        e = AccEntry();
        e.reset = true;
      } else if (!e.reset && opts.checkUninitialised) {
        return fail("accumulates into ACC[" + std::to_string(tile) + "][" +
                    std::to_string(i) + "][" + std::to_string(j) +
                    "], which no mma accum=0 has reset");
      }
      const uint32_t *ra = &A[i * k], *rb = &B[j * k];
      switch (accum.kind) {
      case num::AccumKind::F32: {
        float s = e.s32;
        for (uint64_t q = 0; q < k; ++q)
          s = s + dec(decA, maskA, ra[q]) * dec(decB, maskB, rb[q]);
        e.s32 = s;
        break;
      }
      case num::AccumKind::F16:
      case num::AccumKind::F16Chunked: {
        bool chunked = accum.kind == num::AccumKind::F16Chunked;
        for (uint64_t q = 0; q < k; ++q) {
          float p = !prod16.empty()
                        ? prod16[(ra[q] & maskA) * nb + (rb[q] & maskB)]
                        : toHalf(double(dec(decA, maskA, ra[q])) *
                                 dec(decB, maskB, rb[q]));
          e.s16 = toHalf(double(e.s16) + double(p));
          if (chunked && ++e.cnt == uint32_t(chunk)) {
            e.s32 = e.s32 + e.s16;
            e.s16 = 0;
            e.cnt = 0;
          }
        }
        break;
      }
      case num::AccumKind::Exact:
        for (uint64_t q = 0; q < k; ++q) {
          float pa = dec(decA, maskA, ra[q]), pb = dec(decB, maskB, rb[q]);
          if (!std::isfinite(pa) || !std::isfinite(pb))
            e.nf = true;
          else
            e.e += i128(intA[ra[q] & maskA]) * i128(intB[rb[q] & maskB]);
          e.s32 = e.s32 + pa * pb;
        }
        break;
      }
    }
  }
  st.macs += m * n * k;
  st.macsByFormats[formatPairName(fa, fb)] += m * n * k;
  return true;
}

bool Simulator::Impl::execMst(const Instr &in) {
  unsigned tile = unsigned(in.get("tile"));
  uint64_t m = in.get("m"), n = in.get("n"), d = in.get("d"),
           ldc = in.get("ldc"), sa = in.get("sa"), sb = in.get("sb");
  bool sam = in.get("sam"), sbm = in.get("sbm");
  if (!rd(Space::SP, sa, 4 * (sam ? m : 1), "row scales") ||
      !rd(Space::SP, sb, 4 * (sbm ? n : 1), "column scales"))
    return false;
  for (uint64_t i = 0; i < m; ++i)
    if (!wr(Space::SP, d + 4 * i * ldc, 4 * n, "result row"))
      return false;
  cur.push_back({Space::Acc, false, tile, tile + 1});
  float ts = rf(unsigned(in.get("ts")));
  uint32_t cols = prog.arch.arrayCols;
  for (uint64_t i = 0; i < m; ++i) {
    float SA = ldF(sa + (sam ? 4 * i : 0));
    for (uint64_t j = 0; j < n; ++j) {
      const AccEntry &e = acc[tile][i * cols + j];
      if (!e.reset && opts.checkUninitialised)
        return fail("reads ACC[" + std::to_string(tile) + "][" +
                    std::to_string(i) + "][" + std::to_string(j) +
                    "], which no mma has written");
      float dot = 0;
      switch (accum.kind) {
      case num::AccumKind::F32: dot = e.s32; break;
      case num::AccumKind::F16: dot = e.s16; break;
      case num::AccumKind::F16Chunked:
        dot = e.cnt > 0 ? e.s32 + e.s16 : e.s32;
        break;
      case num::AccumKind::Exact: {
        if (e.nf) {
          dot = e.s32;
          break;
        }
        bool neg = e.e < 0;
        u128 mag = neg ? u128(-e.e) : u128(e.e);
        dot = num::roundScaledIntegerToFloat(
            neg, uint64_t(mag >> 64), uint64_t(mag),
            num::lsbExponent(fa) + num::lsbExponent(fb));
        break;
      }
      }
      float SB = ldF(sb + (sbm ? 4 * j : 0));
      stF(d + 4 * (i * ldc + j), num::scaleDot(dot, SA, SB, ts));
    }
  }
  return true;
}

bool Simulator::Impl::execVop(const Instr &in) {
  auto fn = q4a::VFn(in.get("fn"));
  int arity = q4a::vfnArity(fn);
  uint64_t n = in.get("n"), d = in.get("d");
  const char *names[3] = {"a", "b", "c"}, *rn[3] = {"ra", "rb", "rc"};
  const char *what[3] = {"operand a", "operand b", "operand c"};
  uint64_t addr[3] = {0, 0, 0};
  bool reg[3] = {false, false, false};
  float rv[3] = {0, 0, 0};
  bool fast = true; // every SP operand initialised before the first write
  for (int o = 0; o < arity; ++o) {
    addr[o] = in.get(names[o]);
    reg[o] = in.get(rn[o]);
    if (reg[o]) {
      rv[o] = rf(unsigned(addr[o]));
      continue;
    }
    if (!bounds(Space::SP, addr[o], 4 * n, what[o]))
      return false;
    cur.push_back({Space::SP, false, addr[o], addr[o] + 4 * n});
    if (opts.checkUninitialised)
      for (uint64_t i = 0; i < 4 * n && fast; ++i)
        fast = spTag[addr[o] + i] != Uninit;
  }
  if (!wr(Space::SP, d, 4 * n, "destination"))
    return false;
  for (uint64_t i = 0; i < n; ++i) {
    float v[3] = {0, 0, 0};
    for (int o = 0; o < arity; ++o) {
      if (reg[o]) {
        v[o] = rv[o];
        continue;
      }
      uint64_t at = addr[o] + 4 * i;
      if (!fast)
        for (int b = 0; b < 4; ++b)
          if (spTag[at + b] == Uninit)
            return fail("reads uninitialised scratchpad bytes [" + hex(at) +
                        ", " + hex(at + 4) + ") (" + what[o] + ", element " +
                        std::to_string(i) + "): nothing wrote them since reset");
      v[o] = ldF(at);
    }
    stF(d + 4 * i, q4a::applyVFn(fn, v[0], v[1], v[2]));
  }
  return true;
}

bool Simulator::Impl::execVred(const Instr &in) {
  auto red = q4a::Red(in.get("red"));
  auto axis = q4a::Axis(in.get("axis"));
  bool init = in.get("init");
  uint64_t rows = in.get("rows"), cols = in.get("cols"), d = in.get("d"),
           s = in.get("s");
  uint64_t outs = axis == q4a::Axis::All ? 1 : axis == q4a::Axis::Row ? rows : cols;
  if (!rd(Space::SP, s, 4 * rows * cols, "source"))
    return false;
  if (init && !rd(Space::SP, d, 4 * outs, "initial value"))
    return false;
  if (!wr(Space::SP, d, 4 * outs, "destination"))
    return false;
  std::vector<float> r(outs, 0.0f);
  if (init)
    for (uint64_t o = 0; o < outs; ++o)
      r[o] = ldF(d + 4 * o);
  for (uint64_t i = 0; i < rows; ++i)
    for (uint64_t j = 0; j < cols; ++j) {
      uint64_t o = axis == q4a::Axis::All ? 0 : axis == q4a::Axis::Row ? i : j;
      r[o] = q4a::reduceStep(red, r[o], ldF(s + 4 * (i * cols + j)));
    }
  for (uint64_t o = 0; o < outs; ++o)
    stF(d + 4 * o, r[o]);
  return true;
}

bool Simulator::Impl::execVtr(const Instr &in) {
  unsigned esz = 1u << in.get("esz");
  uint64_t rows = in.get("rows"), cols = in.get("cols"), d = in.get("d"),
           s = in.get("s");
  if (!rd(Space::SP, s, rows * cols * esz, "source") ||
      !wr(Space::SP, d, rows * cols * esz, "destination"))
    return false;
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) {
      uint64_t from = s + (r * cols + c) * esz, to = d + (c * rows + r) * esz;
      std::memcpy(sp.data() + to, sp.data() + from, esz);
      std::memcpy(spTag.data() + to, spTag.data() + from, esz);
    }
  return true;
}

bool Simulator::Impl::execQuant(const Instr &in, bool quant) {
  std::string e;
  auto fmt = q4a::decodeFormat(in.get("fmt"), &e);
  if (!fmt)
    return fail("invalid format: " + e);
  unsigned esz = q4a::elementBytes(*fmt);
  uint64_t n = in.get("n"), d = in.get("d"), s = in.get("s"), sc = in.get("sc");
  unsigned grp = unsigned(in.get("grp"));
  num::RngKey key;
  auto rnd = num::Rounding(in.get("rnd"));
  if (quant) {
    unsigned k = unsigned(in.get("key"));
    if (k != 0) {
      key.seed = rx(k);
      key.stream = rx(k + 1);
    }
  }
  uint64_t inner = 0, len = 0, base = 0;
  if (grp != 0) {
    uint64_t g = rx(grp);
    inner = g & 0xffffffffu;
    len = g >> 32;
    base = rx(grp + 1);
  }
  float ts = rf(unsigned(in.get("ts")));
  unsigned inBytes = quant ? 4 : esz, outBytes = quant ? esz : 4;
  if (!rd(Space::SP, s, n * inBytes, "source") ||
      !wr(Space::SP, d, n * outBytes, "destination"))
    return false;
  // The scale entries actually used: sigma over g in [base, base + n).
  uint64_t minSigma = 0, maxSigma = 0;
  if (inner != 0 && len != 0) {
    uint64_t first = base / inner, last = (base + n - 1) / inner;
    if (last - first + 1 >= len) {
      maxSigma = len - 1;
    } else {
      minSigma = UINT64_MAX;
      for (uint64_t q = first; q <= last; ++q) {
        minSigma = std::min(minSigma, q % len);
        maxSigma = std::max(maxSigma, q % len);
      }
    }
  }
  if (maxSigma > (uint64_t(1) << 40) ||
      !rd(Space::SP, sc + 4 * minSigma, 4 * (maxSigma - minSigma + 1), "scales"))
    return fail("scale index " + std::to_string(maxSigma) +
                " is outside the scratchpad");
  Tag tag = codeTag(*fmt);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t g = base + i;
    uint64_t sigma = (inner == 0 || len == 0) ? 0 : (g / inner) % len;
    float scale = ldF(sc + 4 * sigma);
    if (quant) {
      uint32_t code = num::quantize(*fmt, ldF(s + 4 * i),
                                    num::twoLevelScale(scale, ts), rnd, key, g);
      stCode(d + esz * i, esz, code, tag);
    } else {
      uint32_t code = ldCode(s + esz * i, esz);
      stF(d + 4 * i, num::dequantizeTwoLevel(*fmt, code, scale, ts));
    }
  }
  return true;
}

bool Simulator::Impl::exec(const Instr &in) {
  auto g = [&](const char *n) { return in.get(n); };
  auto fmtOf = [&](const char *n) -> std::optional<num::Format> {
    std::string e;
    auto r = q4a::decodeFormat(g(n), &e);
    if (!r)
      fail("invalid format: " + e);
    return r;
  };
  switch (in.opcode) {
  case Opcode::NOP:
  case Opcode::HALT:
  case Opcode::SYNC:
  case Opcode::DEP_SIGNAL: // timing and synchronisation only
  case Opcode::DEP_WAIT:
  case Opcode::LOOP: // sequencing: q4a::Execution walks the loops
    return true;
  case Opcode::LI:
    wx(unsigned(g("xd")), g("imm"));
    return true;
  case Opcode::LIF: {
    uint32_t bits = uint32_t(g("imm"));
    float v;
    std::memcpy(&v, &bits, 4);
    wf(unsigned(g("fd")), v);
    return true;
  }
  case Opcode::XLD: {
    uint64_t a = g("addr");
    if (!rd(Space::SP, a, 8, "load"))
      return false;
    uint64_t v;
    std::memcpy(&v, sp.data() + a, 8);
    wx(unsigned(g("xd")), v);
    return true;
  }
  case Opcode::FLD: {
    uint64_t a = g("addr");
    if (!rd(Space::SP, a, 4, "load"))
      return false;
    wf(unsigned(g("fd")), ldF(a));
    return true;
  }
  case Opcode::FST: {
    uint64_t a = g("addr");
    if (!wr(Space::SP, a, 4, "store"))
      return false;
    stF(a, rf(unsigned(g("fs"))));
    return true;
  }
  case Opcode::FOP: {
    auto fn = q4a::VFn(g("fn"));
    float a = rf(unsigned(g("fa"))), b = rf(unsigned(g("fb")));
    wf(unsigned(g("fd")), q4a::applyVFn(fn, a, b));
    return true;
  }
  case Opcode::DMA_LD:
    return execDma(in, true);
  case Opcode::DMA_ST:
    return execDma(in, false);
  case Opcode::DMA_LDP:
    return execDmaPacked(in, true);
  case Opcode::DMA_STP:
    return execDmaPacked(in, false);
  case Opcode::MCFG:
    return execMcfg(in);
  case Opcode::MMA:
    return execMma(in);
  case Opcode::MST:
    return execMst(in);
  case Opcode::VOP:
    return execVop(in);
  case Opcode::VRED:
    return execVred(in);
  case Opcode::VTR:
    return execVtr(in);
  case Opcode::QUANT:
    return execQuant(in, true);
  case Opcode::DEQ:
    return execQuant(in, false);
  case Opcode::SAMAX: {
    auto fmt = fmtOf("fmt");
    if (!fmt)
      return false;
    wf(unsigned(g("fd")),
       num::amaxScale(*fmt, rf(unsigned(g("fa"))), g("pow2") != 0));
    return true;
  }
  case Opcode::SGRAD: {
    auto fmt = fmtOf("fmt");
    if (!fmt)
      return false;
    float s = rf(unsigned(g("fs"))), a = rf(unsigned(g("fa")));
    wf(unsigned(g("fd")), num::gradScaleUpdate(*fmt, s, a));
    return true;
  }
  case Opcode::SDLY: {
    auto fmt = fmtOf("fmt");
    uint64_t h = g("h"), hist = g("hist");
    if (!fmt || !rd(Space::SP, hist, 4 * h, "history"))
      return false;
    std::vector<float> hv = ldFloats(hist, h);
    int margin = int(int64_t(g("margin")));
    float old = rf(unsigned(g("fs")));
    wf(unsigned(g("fd")), num::delayedScale(*fmt, hv.data(), h, margin, old,
                                            g("pow2") != 0));
    return true;
  }
  case Opcode::HPUSH: {
    // Reads entries 0..h-2 (the last one is shifted out); writes all h
    // entries, but only when the amax is recorded: a non-finite amax leaves
    // the history (values and initialisation state) untouched.
    uint64_t h = g("h"), hist = g("hist");
    float a = rf(unsigned(g("fa")));
    if (h > 1 && !rd(Space::SP, hist, 4 * (h - 1), "history"))
      return false;
    if (!wr(Space::SP, hist, 4 * h, "history"))
      return false;
    std::vector<float> hv = ldFloats(hist, h > 1 ? h - 1 : 0);
    hv.push_back(0.0f); // entry h-1: shifted out, never read
    if (num::pushAmaxHistory(hv.data(), h, a))
      for (uint64_t i = 0; i < h; ++i)
        stF(hist + 4 * i, hv[i]);
    return true;
  }
  case Opcode::SSAWB: {
    auto fmt = fmtOf("fmt");
    uint64_t s = g("s"), n = g("n");
    if (!fmt || !rd(Space::SP, s, 4 * n, "source"))
      return false;
    std::vector<float> w = ldFloats(s, n);
    wf(unsigned(g("fd")), num::sawbScale(w.data(), n, fmt->bits));
    return true;
  }
  case Opcode::SAWB_ACC: {
    uint64_t src = g("s"), n = g("n");
    if (!rd(Space::SP, src, 4 * n, "source"))
      return false;
    if (g("init"))
      sawb = num::SawbAccumulator();
    std::vector<float> w = ldFloats(src, n);
    sawb.add(w.data(), n, unsigned(g("lane")));
    return true;
  }
  case Opcode::SAWB_FIN: {
    auto fmt = fmtOf("fmt");
    if (!fmt)
      return false;
    wf(unsigned(g("fd")), sawb.scale(fmt->bits));
    return true;
  }
  case Opcode::SPACT: {
    auto fmt = fmtOf("fmt");
    if (!fmt)
      return false;
    wf(unsigned(g("fd")), num::pactScale(rf(unsigned(g("fa"))), fmt->bits));
    return true;
  }
  }
  return fail("unknown opcode");
}

/// Reports an access of the current instruction that depends on an
/// access of another unit it is not ordered after (by a `sync` or a chain of
/// dependency tokens), then records the instruction's accesses in the shadow
/// state. Scalar instructions complete at issue: their accesses are never
/// outstanding.
void Simulator::Impl::checkSync(uint64_t pc, Unit u) {
  unsigned ui = unsigned(u);
  const Knowledge &k = known[ui];
  // The other access a byte depends on without being ordered after it.
  struct Dep {
    int32_t pc;
    unsigned unit;
    const char *kind;
  };
  auto depOf = [&](const Shadow &c, bool write) -> std::optional<Dep> {
    if (c.writePc >= 0 && c.writeUnit != ui && c.writeUnit != 0 &&
        c.writePc > k[c.writeUnit])
      return Dep{c.writePc, c.writeUnit, write ? "WAW" : "RAW"};
    if (write)
      for (unsigned v = 1; v < kNumUnits; ++v)
        if (v != ui && c.readPc[v] >= 0 && c.readPc[v] > k[v])
          return Dep{c.readPc[v], v, "WAR"};
    return std::nullopt;
  };
  // Walks [lo, hi) of a space as runs of consecutive shadow cells.
  auto forRuns = [&](const Access &a, auto f) {
    for (uint64_t x = a.lo; x < a.hi;) {
      Shadow *c = shadowOf(a.space, x);
      if (!c)
        return;
      uint64_t len =
          a.space == Space::SP
              ? std::min<uint64_t>(a.hi - x,
                                   (1u << kShadowPageBits) -
                                       (x & ((1u << kShadowPageBits) - 1)))
              : 1;
      if (!f(x, c, len))
        return;
      x += len;
    }
  };
  for (const Access &a : cur) {
    bool found = false;
    forRuns(a, [&](uint64_t x0, Shadow *c, uint64_t len) {
      for (uint64_t i = 0; i < len; ++i) {
        std::optional<Dep> d = depOf(c[i], a.write);
        if (!d)
          continue;
        found = true;
        uint64_t lo = x0 + i, hi = lo + 1;
        for (; hi < a.hi; ++hi) {
          std::optional<Dep> e = depOf(*shadowOf(a.space, hi), a.write);
          if (!e || e->pc != d->pc || e->kind != d->kind)
            break;
        }
        if (st.firstHazard.empty())
          st.firstHazard =
              location(pc) + " on " + std::string(q4a::unitName(u)) + ": " +
              d->kind + " on " + std::string(q4a::spaceName(a.space)) + " [" +
              hex(lo) + ", " + hex(hi) + ") with " + location(size_t(d->pc)) +
              " on " + std::string(q4a::unitName(Unit(d->unit))) +
              ", no sync or dependency token between them";
        return false;
      }
      return true;
    });
    if (found) {
      ++st.hazards;
      break;
    }
  }
  for (bool writes : {false, true})
    for (const Access &a : cur) {
      if (a.write != writes || (!writes && ui == 0))
        continue;
      forRuns(a, [&](uint64_t, Shadow *c, uint64_t len) {
        for (uint64_t i = 0; i < len; ++i) {
          if (writes) {
            c[i].writePc = int32_t(pc);
            c[i].writeUnit = uint8_t(ui);
            c[i].readPc.fill(-1);
          } else {
            c[i].readPc[ui] = int32_t(pc);
          }
        }
        return true;
      });
    }
}

std::string Simulator::Impl::run() {
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < prog.inputs.size(); ++i)
    if (!inputSet[i])
      return "input '" + prog.inputs[i].name + "' was not provided";
  for (const q4a::Segment &s : prog.segments)
    dram.write(s.address, s.bytes.size(), s.bytes.data(), nullptr, Data);
  const TimingParams &tp = opts.timing;
  std::vector<uint32_t> sourceOf = prog.sourceRuns();
  st.sources.assign(prog.sources.size() + 1, SourceStats());
  // Instructions in execution order, loops unrolled (docs/ISA.md §2.5);
  // `pc` counts executed instructions (the hazard check's and the tokens'
  // order), ex.pc() is the instruction's place in the code.
  q4a::Execution ex(prog);
  uint64_t pc = 0;
  for (const Instr *next = ex.next(); next; next = ex.next(), ++pc) {
    if (opts.maxInstructions && st.instructions >= opts.maxInstructions)
      return location(pc) + ": instruction budget of " +
             std::to_string(opts.maxInstructions) +
             " exhausted (--max-instructions)";
    if (pc >= uint64_t(INT32_MAX))
      return location(pc) + ": more than 2^31 instructions executed, the "
                            "simulator's limit";
    const Instr &in = *next;
    const q4a::OpInfo *info = q4a::lookup(in.opcode);
    if (!info)
      return "pc " + std::to_string(ex.pc()) + ": unknown opcode";
    cur.clear();
    dmaBytes = DmaBytes();
    num::Format mfa = fa, mfb = fb; // MCFG in force for the timing of mma
    uint64_t macsBefore = st.macs;
    if (!exec(in))
      return location(pc) + ": " + err;
    ++st.instructions;
    SourceStats &src = st.sources[sourceOf[ex.pc()]];
    ++src.instructions;
    src.macs += st.macs - macsBefore;
    Unit u = q4a::executingUnit(in);
    // The only unit whose busy time the instruction adds to (a sync counts
    // on the scalar unit; tokens take no unit time).
    uint64_t busyBefore = sb.busy(u);
    Scoreboard::Slot slot;
    if (in.opcode == Opcode::DEP_SIGNAL) {
      Unit peer = Unit(in.get("peer"));
      if (!sb.signal(u, peer, slot))
        return location(pc) + ": the token queue from " +
               std::string(q4a::unitName(u)) + " to " +
               std::string(q4a::unitName(peer)) + " already holds " +
               std::to_string(q4a::kTokenQueueDepth) +
               " tokens no dep.wait has taken (docs/ISA.md §2.4)";
      Knowledge k = known[unsigned(u)];
      k[unsigned(u)] = int64_t(pc);
      tokenKnowledge[unsigned(u)][unsigned(peer)].push_back(k);
    } else if (in.opcode == Opcode::DEP_WAIT) {
      Unit peer = Unit(in.get("peer"));
      if (!sb.wait(u, peer, slot))
        return location(pc) + ": " + std::string(q4a::unitName(u)) +
               " waits for a token from " + std::string(q4a::unitName(peer)) +
               " that no earlier dep.signal pushed (a token is signalled "
               "before it is awaited in program order, docs/ISA.md §2.4)";
      auto &q = tokenKnowledge[unsigned(peer)][unsigned(u)];
      for (unsigned x = 0; x < kNumUnits; ++x)
        known[unsigned(u)][x] = std::max(known[unsigned(u)][x], q.front()[x]);
      q.pop_front();
    } else if (in.opcode == Opcode::SYNC) {
      uint8_t mask = uint8_t(in.get("mask"));
      slot = sb.sync(mask);
      // Everything issued so far on the units of the mask has completed, and
      // so has everything those instructions were ordered after.
      Knowledge implied;
      implied.fill(-1);
      for (unsigned v = 0; v < kNumUnits; ++v)
        if (mask & (1u << v)) {
          implied[v] = int64_t(pc);
          for (unsigned x = 0; x < kNumUnits; ++x)
            implied[x] = std::max(implied[x], known[v][x]);
        }
      for (Knowledge &row : known)
        for (unsigned x = 0; x < kNumUnits; ++x)
          row[x] = std::max(row[x], implied[x]);
    } else {
      uint64_t dur = instrCycles(tp, in, mfa, mfb, dmaBytes);
      slot = sb.issue(u, dur);
      if (q4a::isDma(in.opcode)) {
        uint64_t charged = chargedBytes(tp, dmaBytes);
        st.chargedDmaBytes += charged;
        src.chargedDmaBytes += charged;
      }
      if (in.opcode == Opcode::MMA)
        st.mmaCyclesByFormats[formatPairName(mfa, mfb)] += dur;
      uint64_t before = st.hazards;
      checkSync(pc, u);
      if (st.hazards != before && opts.strictSync)
        return "not well synchronised (docs/ISA.md §2.3): " + st.firstHazard;
    }
    src.unitBusy[unsigned(u)] += sb.busy(u) - busyBefore;
    if (opts.trace)
      tr.push_back({uint32_t(ex.pc()), u, slot.issue, slot.start, slot.finish});
    if (in.opcode == Opcode::HALT)
      break;
  }
  st.cycles = sb.total();
  for (unsigned u = 0; u < kNumUnits; ++u) {
    st.unitBusy[u] = sb.busy(Unit(u));
    st.unitInstrs[u] = sb.count(Unit(u));
  }
  st.syncs = sb.syncs();
  st.syncStallCycles = sb.syncStall();
  st.hostSeconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
  return "";
}

//===----------------------------------------------------------------------===//
// Simulator
//===----------------------------------------------------------------------===//

Simulator::Simulator(const q4a::Program &prog, Options opts)
    : impl(std::make_unique<Impl>(prog, opts)) {
  impl->inputSet.assign(prog.inputs.size(), false);
}
Simulator::~Simulator() = default;

std::string Simulator::setInput(size_t i, const uint8_t *data, size_t size) {
  const q4a::Program &p = impl->prog;
  if (i >= p.inputs.size())
    return "the program has " + std::to_string(p.inputs.size()) +
           " input(s), no input " + std::to_string(i);
  const q4a::TensorDesc &t = p.inputs[i];
  if (size != t.byteSize())
    return "input '" + t.name + "' needs " + std::to_string(t.byteSize()) +
           " bytes, got " + std::to_string(size);
  if (std::string e = impl->sizeDram(); !e.empty())
    return e;
  impl->dram.write(t.address, size, data, nullptr,
                   t.dtype == q4a::DType::Code ? codeTag(t.format) : Data);
  impl->inputSet[i] = true;
  return "";
}

std::string Simulator::run() {
  if (impl->ran)
    return "the simulator has already run";
  impl->ran = true;
  const q4a::Program &p = impl->prog;
  if (std::string e = p.arch.validate(); !e.empty())
    return e;
  if (std::string e = impl->sizeDram(); !e.empty())
    return e;
  impl->sp.assign(p.arch.spBytes, 0);
  impl->spShadow.resize((p.arch.spBytes >> Impl::kShadowPageBits) + 1);
  impl->spTag.assign(p.arch.spBytes, Uninit);
  if (std::string e = impl->opts.timing.validate(); !e.empty())
    return "timing parameters: " + e;
  return impl->run();
}

std::string Simulator::output(size_t i, std::vector<uint8_t> &bytes) const {
  const q4a::Program &p = impl->prog;
  if (i >= p.outputs.size())
    return "no output " + std::to_string(i);
  const q4a::TensorDesc &t = p.outputs[i];
  uint64_t n = t.byteSize();
  if (t.address > impl->dram.size() || n > impl->dram.size() - t.address)
    return "output '" + t.name + "' lies outside DRAM";
  if (impl->opts.checkUninitialised) {
    // Tags a page at a time: an output the program never wrote costs no
    // more memory than its page table.
    uint64_t missing = 0, first = 0;
    std::vector<uint8_t> tags;
    for (uint64_t at = 0; at < n; at += PagedMemory::kPageBytes) {
      uint64_t len = std::min(n - at, PagedMemory::kPageBytes);
      tags.resize(len);
      impl->dram.read(t.address + at, len, nullptr, tags.data());
      for (uint64_t b = 0; b < len; ++b)
        if (tags[b] == Uninit && missing++ == 0)
          first = t.address + at + b;
    }
    if (missing)
      return "output '" + t.name + "' has " + std::to_string(missing) +
             " of its " + std::to_string(n) +
             " byte(s) never written by the program (first at DRAM " +
             hex(first) + ")";
  }
  bytes.resize(n);
  impl->dram.read(t.address, n, bytes.data(), nullptr);
  return "";
}

const Stats &Simulator::stats() const { return impl->st; }
const std::vector<TraceEntry> &Simulator::trace() const { return impl->tr; }
uint64_t Simulator::dramBytesAllocated() const {
  return impl->dram.allocatedBytes();
}
const std::vector<uint8_t> &Simulator::scratchpad() const { return impl->sp; }
uint64_t Simulator::xreg(unsigned i) const {
  return i < q4a::kNumXRegs ? impl->x[i] : 0;
}
float Simulator::freg(unsigned i) const {
  return i < q4a::kNumFRegs ? impl->f[i] : 0.0f;
}

} // namespace quant4::sim
