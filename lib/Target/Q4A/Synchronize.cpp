//===- Synchronize.cpp - Q4A footprints and synchronisation ---------------===//
#include "quant4/Target/Q4A/Synchronize.h"

#include <algorithm>
#include <deque>

namespace quant4::q4a {

//===----------------------------------------------------------------------===//
// Footprints
//===----------------------------------------------------------------------===//

namespace {

/// Rows described one by one up to this many; beyond, their enclosing range.
constexpr uint64_t kMaxRowsListed = 64;

struct Recorder {
  std::vector<Access> &out;
  void add(Space s, bool w, uint64_t lo, uint64_t len) {
    if (len)
      out.push_back({s, w, lo, lo + len});
  }
  /// `rows` ranges of `len` bytes, `stride` apart.
  void rows(Space s, bool w, uint64_t base, uint64_t rows, uint64_t len,
            uint64_t stride) {
    if (rows == 0 || len == 0)
      return;
    if (rows == 1 || stride <= len || rows > kMaxRowsListed) {
      add(s, w, base, (rows - 1) * stride + len);
      return;
    }
    for (uint64_t r = 0; r < rows; ++r)
      add(s, w, base + r * stride, len);
  }
  void xr(unsigned r, bool w) { add(Space::XReg, w, r, 1); }
  void fr(unsigned r, bool w) { add(Space::FReg, w, r, 1); }
};

/// Calls f(field, isRegister) for each operand of a vop (a, b, c up to its
/// arity): an f register when its r-flag is set, else an SP address.
template <typename F> void forEachVopOperand(const Instr &in, F f) {
  const char *names[3] = {"a", "b", "c"}, *regs[3] = {"ra", "rb", "rc"};
  int arity = vfnArity(VFn(in.get("fn")));
  for (int o = 0; o < arity; ++o)
    f(names[o], in.get(regs[o]) != 0);
}

} // namespace

std::string_view spaceName(Space s) {
  switch (s) {
  case Space::SP:
    return "scratchpad";
  case Space::DRAM:
    return "DRAM";
  case Space::XReg:
    return "x register";
  case Space::FReg:
    return "f register";
  case Space::Acc:
    return "accumulator tile";
  case Space::MxuConfig:
    return "MXU configuration";
  case Space::SawbStats:
    return "SAWB statistics";
  }
  return "?";
}

void footprint(const Instr &in, const Arch &arch, StaticState &st,
               std::vector<Access> &out) {
  Recorder rec{out};
  auto g = [&](const char *n) { return in.get(n); };
  auto fmtBytes = [&](const char *n) -> unsigned {
    std::optional<num::Format> f = decodeFormat(g(n), nullptr);
    return f ? elementBytes(*f) : 4;
  };
  switch (in.opcode) {
  case Opcode::NOP:
  case Opcode::HALT:
  case Opcode::SYNC:
  case Opcode::DEP_SIGNAL:
  case Opcode::DEP_WAIT:
  case Opcode::LOOP: // straight-line code only: hoistLoads/synchronize
    return;
  case Opcode::LI:
    rec.xr(unsigned(g("xd")), true);
    if (g("xd") != 0)
      st.x[g("xd")] = g("imm");
    return;
  case Opcode::LIF:
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::XLD:
    rec.add(Space::SP, false, g("addr"), 8);
    rec.xr(unsigned(g("xd")), true);
    if (g("xd") != 0)
      st.x[g("xd")].reset();
    return;
  case Opcode::FLD:
    rec.add(Space::SP, false, g("addr"), 4);
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::FST:
    rec.fr(unsigned(g("fs")), false);
    rec.add(Space::SP, true, g("addr"), 4);
    return;
  case Opcode::FOP:
    rec.fr(unsigned(g("fa")), false);
    rec.fr(unsigned(g("fb")), false);
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::DMA_LD:
  case Opcode::DMA_ST:
  case Opcode::DMA_LDP:
  case Opcode::DMA_STP: {
    bool load = isDmaLoad(in.opcode);
    uint64_t rows = g("rows"), bytes = g("bytes");
    if (isPackedDma(in.opcode)) {
      // Nibble addresses: each row covers the DRAM bytes its nibbles are
      // in (a store rewrites its end bytes' other nibbles too).
      uint64_t ds = g("dstride");
      if (rows == 1 || rows > kMaxRowsListed || ds <= bytes) {
        auto [lo, hi] =
            dmaDramBytes(in.opcode, g("dram"), (rows - 1) * ds + bytes);
        rec.add(Space::DRAM, !load, lo, hi - lo);
      } else {
        for (uint64_t r = 0; r < rows; ++r) {
          auto [lo, hi] = dmaDramBytes(in.opcode, g("dram") + r * ds, bytes);
          rec.add(Space::DRAM, !load, lo, hi - lo);
        }
      }
    } else {
      rec.rows(Space::DRAM, !load, g("dram"), rows, bytes, g("dstride"));
    }
    rec.rows(Space::SP, load, g("sp"), rows, bytes, g("sstride"));
    return;
  }
  case Opcode::MCFG:
    rec.add(Space::MxuConfig, true, 0, 1);
    st.elementBytesA = fmtBytes("fa");
    st.elementBytesB = fmtBytes("fb");
    return;
  case Opcode::MMA: {
    rec.add(Space::MxuConfig, false, 0, 1);
    // Before any mcfg the instruction faults; 4 bytes covers every format.
    uint64_t ea = st.elementBytesA ? st.elementBytesA : 4;
    uint64_t eb = st.elementBytesB ? st.elementBytesB : 4;
    bool ta = g("ta"), tb = g("tb");
    uint64_t m = g("m"), n = g("n"), k = g("k");
    rec.rows(Space::SP, false, g("a"), ta ? k : m, (ta ? m : k) * ea,
             g("lda") * ea);
    rec.rows(Space::SP, false, g("b"), tb ? n : k, (tb ? k : n) * eb,
             g("ldb") * eb);
    unsigned tile = unsigned(g("tile"));
    if (g("accum"))
      rec.add(Space::Acc, false, tile, 1);
    rec.add(Space::Acc, true, tile, 1);
    return;
  }
  case Opcode::MST: {
    rec.add(Space::MxuConfig, false, 0, 1);
    uint64_t m = g("m"), n = g("n");
    rec.add(Space::Acc, false, g("tile"), 1);
    rec.add(Space::SP, false, g("sa"), 4 * (g("sam") ? m : 1));
    rec.add(Space::SP, false, g("sb"), 4 * (g("sbm") ? n : 1));
    rec.fr(unsigned(g("ts")), false);
    rec.rows(Space::SP, true, g("d"), m, 4 * n, 4 * g("ldc"));
    return;
  }
  case Opcode::VOP: {
    uint64_t n = g("n");
    forEachVopOperand(in, [&](const char *name, bool reg) {
      if (reg)
        rec.fr(unsigned(g(name)), false);
      else
        rec.add(Space::SP, false, g(name), 4 * n);
    });
    rec.add(Space::SP, true, g("d"), 4 * n);
    return;
  }
  case Opcode::VRED: {
    uint64_t rows = g("rows"), cols = g("cols");
    auto axis = Axis(g("axis"));
    uint64_t outs = axis == Axis::All ? 1 : axis == Axis::Row ? rows : cols;
    rec.add(Space::SP, false, g("s"), 4 * rows * cols);
    if (g("init"))
      rec.add(Space::SP, false, g("d"), 4 * outs);
    rec.add(Space::SP, true, g("d"), 4 * outs);
    return;
  }
  case Opcode::VTR: {
    uint64_t bytes = g("rows") * g("cols") * (uint64_t(1) << g("esz"));
    rec.add(Space::SP, false, g("s"), bytes);
    rec.add(Space::SP, true, g("d"), bytes);
    return;
  }
  case Opcode::QUANT:
  case Opcode::DEQ: {
    bool quant = in.opcode == Opcode::QUANT;
    uint64_t n = g("n"), esz = fmtBytes("fmt");
    if (quant && g("key") != 0) {
      rec.xr(unsigned(g("key")), false);
      rec.xr(unsigned(g("key")) + 1, false);
    }
    rec.fr(unsigned(g("ts")), false);
    rec.add(Space::SP, false, g("s"), n * (quant ? 4 : esz));
    rec.add(Space::SP, true, g("d"), n * (quant ? esz : 4));
    unsigned grp = unsigned(g("grp"));
    uint64_t sc = g("sc");
    if (grp == 0) {
      rec.add(Space::SP, false, sc, 4);
      return;
    }
    rec.xr(grp, false);
    rec.xr(grp + 1, false);
    const std::optional<uint64_t> &gx = st.x[grp];
    uint64_t len = gx ? (*gx >> 32) : 0, inner = gx ? (*gx & 0xffffffffu) : 0;
    if (!gx)
      rec.add(Space::SP, false, 0, arch.spBytes); // unknown: all of it
    else if (inner == 0 || len == 0)
      rec.add(Space::SP, false, sc, 4);
    else
      rec.add(Space::SP, false, sc, 4 * len);
    return;
  }
  case Opcode::SAMAX:
  case Opcode::SPACT:
    rec.fr(unsigned(g("fa")), false);
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::SGRAD:
    rec.fr(unsigned(g("fs")), false);
    rec.fr(unsigned(g("fa")), false);
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::SDLY:
    rec.fr(unsigned(g("fs")), false);
    rec.add(Space::SP, false, g("hist"), 4 * g("h"));
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::HPUSH:
    rec.fr(unsigned(g("fa")), false);
    rec.add(Space::SP, false, g("hist"), 4 * g("h"));
    rec.add(Space::SP, true, g("hist"), 4 * g("h"));
    return;
  case Opcode::SSAWB:
    rec.add(Space::SP, false, g("s"), 4 * g("n"));
    rec.fr(unsigned(g("fd")), true);
    return;
  case Opcode::SAWB_ACC:
    rec.add(Space::SP, false, g("s"), 4 * g("n"));
    if (!g("init"))
      rec.add(Space::SawbStats, false, 0, 1);
    rec.add(Space::SawbStats, true, 0, 1);
    return;
  case Opcode::SAWB_FIN:
    rec.add(Space::SawbStats, false, 0, 1);
    rec.fr(unsigned(g("fd")), true);
    return;
  }
}

void relocateScratchpad(Instr &in, uint64_t delta) {
  auto shift = [&](std::initializer_list<const char *> names) {
    for (const char *n : names)
      in.set(n, in.get(n) + delta);
  };
  switch (in.opcode) {
  case Opcode::XLD:
  case Opcode::FLD:
  case Opcode::FST:
    return shift({"addr"});
  case Opcode::DMA_LD:
  case Opcode::DMA_ST:
  case Opcode::DMA_LDP:
  case Opcode::DMA_STP:
    return shift({"sp"});
  case Opcode::MMA:
    return shift({"a", "b"});
  case Opcode::MST:
    return shift({"d", "sa", "sb"});
  case Opcode::VOP:
    forEachVopOperand(in, [&](const char *name, bool reg) {
      if (!reg)
        shift({name});
    });
    return shift({"d"});
  case Opcode::VRED:
  case Opcode::VTR:
    return shift({"d", "s"});
  case Opcode::QUANT:
  case Opcode::DEQ:
    return shift({"d", "s", "sc"});
  case Opcode::SDLY:
  case Opcode::HPUSH:
    return shift({"hist"});
  case Opcode::SSAWB:
  case Opcode::SAWB_ACC:
    return shift({"s"});
  default:
    return; // no scratchpad address
  }
}

bool conflicts(const std::vector<Access> &a, const std::vector<Access> &b) {
  for (const Access &x : a)
    for (const Access &y : b)
      if (x.space == y.space && (x.write || y.write) && x.lo < y.hi &&
          y.lo < x.hi)
        return true;
  return false;
}

//===----------------------------------------------------------------------===//
// Synchronisation
//===----------------------------------------------------------------------===//

namespace {

constexpr unsigned kUnits = 5;
constexpr unsigned kScalar = unsigned(Unit::Scalar);
/// How far back a consumer looks for its producer on one unit; older
/// instructions of that unit that it has not been ordered after are assumed
/// to conflict (a token after the oldest one scanned covers them).
constexpr size_t kScanWindow = 512;

/// Registers x0 and f0 are constants: reading them orders nothing.
bool isConstantRegister(const Access &a) {
  return (a.space == Space::XReg || a.space == Space::FReg) && a.lo == 0;
}

/// What an instruction touches, with the enclosing range per space (lo >
/// hi: none) as a quick rejection test before the range-by-range one.
struct Footprint {
  std::vector<Access> acc;
  std::array<std::pair<uint64_t, uint64_t>, kNumSpaces> hull;

  /// The footprint of `in` without reads of the constant registers x0, f0
  /// (they order nothing).
  Footprint(const Instr &in, const Arch &arch, StaticState &st) {
    std::vector<Access> all;
    footprint(in, arch, st, all);
    for (const Access &a : all)
      if (!isConstantRegister(a))
        acc.push_back(a);
    hull.fill({UINT64_MAX, 0});
    for (const Access &a : acc) {
      auto &h = hull[unsigned(a.space)];
      h.first = std::min(h.first, a.lo);
      h.second = std::max(h.second, a.hi);
    }
  }
  bool conflictsWith(const Footprint &o) const {
    bool near = false;
    for (unsigned s = 0; s < hull.size() && !near; ++s)
      near =
          hull[s].first < o.hull[s].second && o.hull[s].first < hull[s].second;
    return near && conflicts(acc, o.acc);
  }
};

/// One instruction with what it touches, for the token scheduler.
struct Node {
  Unit unit;
  Footprint fp;
};

class TokenScheduler {
public:
  TokenScheduler(const std::vector<Instr> &code, const Arch &arch)
      : code(code), before(code.size()), after(code.size()), snap(code.size()) {
    StaticState st;
    nodes.reserve(code.size());
    for (const Instr &in : code)
      nodes.push_back({executingUnit(in), Footprint(in, arch, st)});
    for (auto &row : known)
      row.fill(-1);
  }

  std::vector<Instr> run(SyncStats &stats);

private:
  /// The latest instruction of unit p after `knownUpTo` (exclusive) and
  /// before j that conflicts with j, or -1.
  int64_t latestConflict(unsigned p, int64_t knownUpTo, size_t j) const;
  void syncBefore(size_t j, uint8_t mask);
  void orderAfter(size_t j, unsigned u, unsigned p, int64_t i);

  const std::vector<Instr> &code;
  std::vector<Node> nodes;
  std::vector<std::vector<Instr>> before, after;
  /// known[u][p]: the last instruction of unit p that unit u's next
  /// instruction is ordered after (-1: none).
  std::array<std::array<int64_t, kUnits>, kUnits> known;
  /// The knowledge of each instruction's unit when it starts.
  std::vector<std::array<int64_t, kUnits>> snap;
  /// The instructions issued so far on each unit.
  std::array<std::vector<size_t>, kUnits> issued;
  /// Positions of the dep.waits of the (producer, consumer) queue, in order.
  std::array<std::array<std::vector<size_t>, kUnits>, kUnits> waits;
  SyncStats st;
};

int64_t TokenScheduler::latestConflict(unsigned p, int64_t knownUpTo,
                                       size_t j) const {
  const std::vector<size_t> &list = issued[p];
  size_t scanned = 0;
  for (size_t k = list.size(); k-- > 0;) {
    int64_t i = int64_t(list[k]);
    if (i <= knownUpTo)
      return -1;
    if (++scanned > kScanWindow)
      return i; // not looked at: assume it conflicts
    if (nodes[size_t(i)].fp.conflictsWith(nodes[j].fp))
      return i;
  }
  return -1;
}

void TokenScheduler::syncBefore(size_t j, uint8_t mask) {
  Instr s = Instr::make(Opcode::SYNC);
  s.set("mask", mask);
  before[j].push_back(s);
  ++st.syncs;
  // Everything issued so far on the units of the mask has completed, and so
  // has everything those instructions were ordered after.
  for (unsigned p = 1; p < kUnits; ++p) {
    if (!(mask & (1u << p)) || issued[p].empty())
      continue;
    size_t last = issued[p].back();
    for (auto &row : known) {
      row[p] = std::max(row[p], int64_t(last));
      for (unsigned x = 0; x < kUnits; ++x)
        row[x] = std::max(row[x], snap[last][x]);
    }
  }
}

void TokenScheduler::orderAfter(size_t j, unsigned u, unsigned p, int64_t i) {
  // Tokens of the queue p -> u still waiting just after the signal at i:
  // those whose dep.wait comes later (every earlier signal precedes i).
  auto pendingAfter = [&](int64_t pos) {
    const std::vector<size_t> &w = waits[p][u];
    return size_t(w.end() - std::upper_bound(w.begin(), w.end(), size_t(pos)));
  };
  if (pendingAfter(i) >= kTokenQueueDepth) {
    i = int64_t(issued[p].back()); // signal later: the queue drains first
    if (pendingAfter(i) >= kTokenQueueDepth) {
      syncBefore(j, uint8_t(1u << p));
      return;
    }
  }
  Instr sig = Instr::make(Opcode::DEP_SIGNAL);
  sig.set("unit", p);
  sig.set("peer", u);
  after[size_t(i)].push_back(sig);
  Instr w = Instr::make(Opcode::DEP_WAIT);
  w.set("unit", u);
  w.set("peer", p);
  before[j].push_back(w);
  waits[p][u].push_back(j);
  ++st.signals;
  ++st.waits;
  // The token carries what p knew when i started, and i itself.
  for (unsigned x = 0; x < kUnits; ++x)
    known[u][x] = std::max(known[u][x], snap[size_t(i)][x]);
  known[u][p] = std::max(known[u][p], i);
}

std::vector<Instr> TokenScheduler::run(SyncStats &stats) {
  for (size_t j = 0; j < code.size(); ++j) {
    unsigned u = unsigned(nodes[j].unit);
    if (u == kScalar) {
      // The scalar unit has no token queue: a scalar instruction that
      // depends on outstanding work waits for it with a sync; halt waits for
      // everything. A unit whose last instruction another synced unit's
      // last one is ordered after needs no bit of its own.
      std::array<bool, kUnits> need{};
      for (unsigned p = 1; p < kUnits; ++p) {
        int64_t k = known[kScalar][p];
        bool pending = !issued[p].empty() && int64_t(issued[p].back()) > k;
        need[p] = code[j].opcode == Opcode::HALT ? pending
                                                 : latestConflict(p, k, j) >= 0;
      }
      uint8_t mask = 0;
      for (unsigned p = 1; p < kUnits; ++p) {
        if (!need[p])
          continue;
        bool implied = false;
        for (unsigned q = 1; q < kUnits && !implied; ++q)
          implied = q != p && need[q] &&
                    snap[issued[q].back()][p] >= int64_t(issued[p].back());
        if (!implied)
          mask |= uint8_t(1u << p);
      }
      if (mask)
        syncBefore(j, mask);
      snap[j] = known[kScalar];
      continue;
    }
    // The latest conflicting instruction on each other unit; the later ones
    // first, since their tokens also carry what they were ordered after.
    std::vector<std::pair<int64_t, unsigned>> deps;
    for (unsigned p = 1; p < kUnits; ++p)
      if (p != u)
        if (int64_t i = latestConflict(p, known[u][p], j); i >= 0)
          deps.push_back({i, p});
    std::sort(deps.rbegin(), deps.rend());
    for (auto [i, p] : deps)
      if (i > known[u][p])
        orderAfter(j, u, p, i);
    snap[j] = known[u];
    issued[u].push_back(j);
  }
  std::vector<Instr> out;
  out.reserve(code.size() + st.syncs + st.signals + st.waits);
  for (size_t j = 0; j < code.size(); ++j) {
    out.insert(out.end(), before[j].begin(), before[j].end());
    out.push_back(code[j]);
    out.insert(out.end(), after[j].begin(), after[j].end());
  }
  stats = st;
  return out;
}

std::vector<Instr> serial(const std::vector<Instr> &code, SyncStats &stats) {
  std::vector<Instr> out;
  uint8_t pending = 0;
  for (const Instr &in : code) {
    unsigned u = unsigned(executingUnit(in));
    uint8_t bit = uint8_t(1u << u), others = pending & uint8_t(~bit);
    if (others) {
      Instr s = Instr::make(Opcode::SYNC);
      s.set("mask", others);
      out.push_back(s);
      ++stats.syncs;
      pending &= uint8_t(~others);
    }
    if (u != kScalar)
      pending |= bit;
    out.push_back(in);
  }
  return out;
}

} // namespace

std::vector<Instr> withoutSynchronization(const std::vector<Instr> &code) {
  std::vector<Instr> plain;
  plain.reserve(code.size());
  for (const Instr &in : code)
    if (in.opcode != Opcode::SYNC && !isDependencyToken(in.opcode))
      plain.push_back(in);
  return plain;
}

std::vector<Instr> hoistLoads(const std::vector<Instr> &withSync,
                              const Arch &arch, size_t window) {
  std::vector<Instr> code = withoutSynchronization(withSync);
  struct Item {
    const Instr *in;
    Footprint fp;
  };
  std::vector<Item> out;
  out.reserve(code.size());
  StaticState st;
  for (const Instr &in : code) {
    Item it{&in, Footprint(in, arch, st)};
    size_t at = out.size();
    if (isDmaLoad(in.opcode)) {
      size_t limit = out.size() > window ? out.size() - window : 0;
      while (at > limit && !out[at - 1].fp.conflictsWith(it.fp) &&
             out[at - 1].in->opcode != Opcode::HALT)
        --at;
    }
    out.insert(out.begin() + long(at), std::move(it));
  }
  std::vector<Instr> result;
  result.reserve(out.size());
  for (const Item &it : out)
    result.push_back(*it.in);
  return result;
}

std::vector<Instr> synchronize(const std::vector<Instr> &code, const Arch &arch,
                               SyncMode mode, SyncStats *stats) {
  std::vector<Instr> plain = withoutSynchronization(code);
  SyncStats local;
  std::vector<Instr> out = mode == SyncMode::Serial
                               ? serial(plain, local)
                               : TokenScheduler(plain, arch).run(local);
  if (stats)
    *stats = local;
  return out;
}

} // namespace quant4::q4a
