//===- Loops.cpp - hardware loops from straight-line Q4A code
//---------------===//
//
// Rerolling, bottom to top of a tree of nodes (an instruction, or a loop of
// nodes): at each position of a sequence, the period p and repeat count c
// whose run of c blocks of p nodes saves the most code words when rolled —
// blocks equal in shape (opcode, source, fields that cannot step, inner
// loops and steps) whose steppable field values advance by the same amount
// block after block. A rolled body is rerolled in turn (inner loops), and a
// sequence again until nothing rolls (outer loops over inner ones).
//
//===----------------------------------------------------------------------===//
#include "quant4/Target/Q4A/Loops.h"

#include <algorithm>
#include <unordered_map>

namespace quant4::q4a {

namespace {

struct Node {
  Instr in; // an instruction (count == 0): fields of the first iteration
  uint64_t count = 0; // a loop: its iterations, and its body
  std::vector<Node> body;
  uint64_t shape = 0;         // hash of everything but the steppable values
  std::vector<uint64_t> vals; // the steppable field values, in order
  unsigned innerDepth = 0;    // loops inside the node (a loop counts itself)
  unsigned leaves = 0;        // instructions inside it, loops excluded
  bool halts = false;

  bool isLoop() const { return count != 0; }
};

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

/// Fills a node's summary fields from its instruction or body.
void summarize(Node &n) {
  n.vals.clear();
  if (!n.isLoop()) {
    const OpInfo *info = lookup(n.in.opcode);
    uint64_t h = mix(uint8_t(n.in.opcode), n.in.source);
    for (size_t i = 0; i < n.in.fields.size(); ++i) {
      if (isSteppable(info->fields[i]))
        n.vals.push_back(n.in.fields[i]);
      else
        h = mix(h, n.in.fields[i]);
    }
    for (const std::vector<int64_t> &s : n.in.steps)
      for (int64_t v : s)
        h = mix(h, uint64_t(v));
    n.shape = mix(h, n.in.steps.size());
    n.innerDepth = 0;
    n.leaves = 1;
    n.halts = n.in.opcode == Opcode::HALT;
    return;
  }
  uint64_t h = mix(0x100, n.count);
  n.innerDepth = 0;
  n.leaves = 0;
  n.halts = false;
  for (const Node &c : n.body) {
    h = mix(h, c.shape);
    n.vals.insert(n.vals.end(), c.vals.begin(), c.vals.end());
    n.innerDepth = std::max(n.innerDepth, c.innerDepth);
    n.leaves += c.leaves;
    n.halts |= c.halts;
  }
  n.shape = mix(h, n.body.size());
  n.innerDepth += 1;
}

bool sameShape(const Node &a, const Node &b) {
  if (a.shape != b.shape || a.count != b.count ||
      a.body.size() != b.body.size())
    return false;
  if (!a.isLoop()) {
    if (a.in.opcode != b.in.opcode || a.in.source != b.in.source ||
        a.in.steps != b.in.steps)
      return false;
    const OpInfo *info = lookup(a.in.opcode);
    for (size_t i = 0; i < a.in.fields.size(); ++i)
      if (!isSteppable(info->fields[i]) && a.in.fields[i] != b.in.fields[i])
        return false;
    return true;
  }
  for (size_t i = 0; i < a.body.size(); ++i)
    if (!sameShape(a.body[i], b.body[i]))
      return false;
  return true;
}

/// Code words of a node `depth` loops deep (an instruction: itself and a
/// step word per loop around it).
uint64_t words(const Node &n, unsigned depth) {
  if (!n.isLoop())
    return 1 + depth;
  uint64_t w = 1;
  for (const Node &c : n.body)
    w += words(c, depth + 1);
  return w;
}

/// Inserts, in every instruction of `n`, the steps `delta` (consumed in
/// order, one per steppable field) for a new loop at `depth`.
void insertSteps(Node &n, unsigned depth, const uint64_t *&delta) {
  if (n.isLoop()) {
    for (Node &c : n.body)
      insertSteps(c, depth, delta);
  } else {
    const OpInfo *info = lookup(n.in.opcode);
    std::vector<int64_t> s(n.in.fields.size(), 0);
    for (size_t i = 0; i < s.size(); ++i)
      if (isSteppable(info->fields[i]))
        s[i] = int64_t(*delta++);
    n.in.steps.insert(n.in.steps.begin() + depth, std::move(s));
  }
  summarize(n);
}

class Roller {
public:
  explicit Roller(const LoopOptions &o) : opts(o) {}

  /// Rolls `seq`, which `depth` loops enclose, until nothing more rolls.
  std::vector<Node> roll(std::vector<Node> seq, unsigned depth) {
    while (true) {
      std::vector<Node> out = pass(seq, depth);
      bool changed = out.size() != seq.size();
      seq = std::move(out);
      if (!changed)
        return seq;
    }
  }

private:
  const LoopOptions &opts;
  /// How far ahead a better run is looked for before rolling one.
  static constexpr size_t kLookahead = 8;
  /// How many later nodes of the same shape are tried as the start of the
  /// second period.
  static constexpr unsigned kMaxCandidates = 256;

  struct Run {
    size_t period = 0;
    uint64_t count = 0;
    int64_t saving = 0;
  };

  std::vector<Node> pass(std::vector<Node> &seq, unsigned depth) {
    size_t n = seq.size();
    // Block hashes in O(1): prefix sums of shape hashes times powers.
    const uint64_t base = 0x100000001b3ull;
    std::vector<uint64_t> prefix(n + 1, 0), power(n + 1, 1);
    for (size_t i = 0; i < n; ++i) {
      prefix[i + 1] = prefix[i] * base + seq[i].shape;
      power[i + 1] = power[i] * base;
    }
    auto blockHash = [&](size_t i, size_t p) {
      return prefix[i + p] - prefix[i] * power[p];
    };
    std::unordered_map<uint64_t, std::vector<size_t>> where;
    for (size_t i = 0; i < n; ++i)
      where[seq[i].shape].push_back(i);

    // The run at i that saves the most.
    auto bestAt = [&](size_t i) {
      Run best;
      const std::vector<size_t> &same = where[seq[i].shape];
      auto it = std::upper_bound(same.begin(), same.end(), i);
      for (unsigned tried = 0; it != same.end() && tried < kMaxCandidates;
           ++it, ++tried) {
        size_t p = *it - i;
        if (p > opts.maxBody || i + 2 * p > n)
          break;
        if (blockHash(i, p) != blockHash(*it, p))
          continue;
        Run r = measure(seq, i, p, depth, blockHash);
        if (r.saving > best.saving)
          best = r;
      }
      return best;
    };
    std::vector<Node> out;
    Run next = n ? bestAt(0) : Run();
    for (size_t i = 0; i < n;) {
      Run best = next;
      // Lazy matching: a run starting a few nodes later that saves more
      // wins; the nodes before it stay as they are.
      size_t defer = 0;
      for (size_t j = 1; best.count && j <= kLookahead && i + j < n; ++j)
        if (Run later = bestAt(i + j); later.saving > best.saving) {
          defer = j;
          next = later;
          break;
        }
      if (!best.count || defer) {
        size_t k = best.count ? defer : 1;
        for (size_t t = 0; t < k; ++t)
          out.push_back(std::move(seq[i++]));
        if (!best.count && i < n)
          next = bestAt(i);
        continue;
      }
      out.push_back(makeLoop(seq, i, best, depth));
      i += best.period * best.count;
      if (i < n)
        next = bestAt(i);
    }
    return out;
  }

  /// How many blocks of p nodes from i repeat affinely, and what rolling
  /// them saves (0 if it may not roll).
  template <typename BlockHash>
  Run measure(const std::vector<Node> &seq, size_t i, size_t p, unsigned depth,
              const BlockHash &blockHash) {
    Run r;
    unsigned inner = 0, leaves = 0;
    uint64_t blockWords = 0;
    for (size_t t = 0; t < p; ++t) {
      const Node &a = seq[i + t];
      if (a.halts)
        return r;
      inner = std::max(inner, a.innerDepth);
      leaves += a.leaves;
      blockWords += words(a, depth);
    }
    if (depth + inner + 1 > kMaxLoopDepth)
      return r;
    // Block 1 against block 0 gives the steps; block k must equal block 0
    // plus k steps (modulo 2^64, as q4a::Execution computes a field).
    auto matches = [&](size_t k) {
      size_t b = i + k * p;
      for (size_t t = 0; t < p; ++t) {
        const Node &x = seq[i + t], &y = seq[i + p + t], &z = seq[b + t];
        if (!sameShape(x, z))
          return false;
        for (size_t v = 0; v < x.vals.size(); ++v)
          if (z.vals[v] != x.vals[v] + uint64_t(k) * (y.vals[v] - x.vals[v]))
            return false;
      }
      return true;
    };
    if (!matches(1))
      return r;
    uint64_t c = 2;
    while (i + (c + 1) * p <= seq.size() &&
           blockHash(i + c * p, p) == blockHash(i, p) && matches(c))
      ++c;
    int64_t before = int64_t(c * blockWords);
    int64_t after = int64_t(1 + blockWords + leaves);
    if (before <= after)
      return r;
    r.period = p;
    r.count = c;
    r.saving = before - after;
    return r;
  }

  Node makeLoop(std::vector<Node> &seq, size_t i, const Run &r,
                unsigned depth) {
    std::vector<uint64_t> delta;
    for (size_t t = 0; t < r.period; ++t) {
      const Node &x = seq[i + t], &y = seq[i + r.period + t];
      for (size_t v = 0; v < x.vals.size(); ++v)
        delta.push_back(y.vals[v] - x.vals[v]);
    }
    std::vector<Node> body(
        std::make_move_iterator(seq.begin() + long(i)),
        std::make_move_iterator(seq.begin() + long(i + r.period)));
    const uint64_t *d = delta.data();
    for (Node &c : body)
      insertSteps(c, depth, d);
    Node loop;
    loop.count = r.count;
    loop.body = roll(std::move(body), depth + 1);
    summarize(loop);
    return loop;
  }
};

size_t staticSize(const Node &n) {
  if (!n.isLoop())
    return 1;
  size_t s = 1;
  for (const Node &c : n.body)
    s += staticSize(c);
  return s;
}

void emit(const Node &n, std::vector<Instr> &out) {
  if (!n.isLoop()) {
    out.push_back(n.in);
    return;
  }
  Instr loop = Instr::make(Opcode::LOOP);
  loop.set("count", n.count);
  loop.set("len", staticSize(n) - 1);
  // The loop belongs to what its first instruction was lowered from.
  const Node *first = &n;
  while (first->isLoop())
    first = &first->body.front();
  loop.source = first->in.source;
  out.push_back(std::move(loop));
  for (const Node &c : n.body)
    emit(c, out);
}

} // namespace

std::vector<Instr> materializeLoops(const std::vector<Instr> &code,
                                    const LoopOptions &opts) {
  std::vector<Node> seq(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    seq[i].in = code[i];
    summarize(seq[i]);
  }
  Roller roller(opts);
  seq = roller.roll(std::move(seq), 0);
  std::vector<Instr> out;
  out.reserve(code.size());
  for (const Node &n : seq)
    emit(n, out);
  return out;
}

std::vector<Instr> unrollLoops(const std::vector<Instr> &code) {
  Program p;
  p.code = code;
  Execution ex(p);
  std::vector<Instr> out;
  while (const Instr *in = ex.next()) {
    if (in->opcode == Opcode::LOOP)
      continue;
    Instr copy = *in;
    copy.steps.clear();
    out.push_back(std::move(copy));
  }
  return out;
}

} // namespace quant4::q4a
