//===- Timing.cpp - the Q4A cycle model -----------------------------------===//
#include "quant4/Sim/Timing.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace quant4::sim {

using q4a::Opcode;
using q4a::Unit;

std::string TimingParams::validate() const {
  if (!(clockGHz > 0) || !std::isfinite(clockGHz))
    return "clock-ghz must be positive";
  if (dramBytesPerCycle == 0)
    return "dram-bw must be at least 1 byte per cycle";
  for (double r : {rate4, rate8, rate16, rate32})
    if (!(r > 0) || !std::isfinite(r))
      return "MXU rates must be positive";
  if (vpuLanes == 0 || vtrLanes == 0 || sawbLanes == 0)
    return "lane counts must be at least 1";
  return "";
}

std::string TimingParams::set(std::string_view a) {
  size_t eq = a.find('=');
  if (eq == std::string_view::npos)
    return "expected NAME=VALUE, got '" + std::string(a) + "'";
  std::string name(a.substr(0, eq)), val(a.substr(eq + 1));
  char *end = nullptr;
  double v = std::strtod(val.c_str(), &end);
  if (val.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
    return "bad value '" + val + "' for " + name;
  auto whole = [&](uint32_t &dst) -> std::string {
    if (v != std::floor(v) || v > 1e9)
      return name + " needs a whole number, got '" + val + "'";
    dst = uint32_t(v);
    return "";
  };
  std::string e;
  if (name == "clock-ghz") clockGHz = v;
  else if (name == "dma-latency") e = whole(dmaLatency);
  else if (name == "dram-bw") e = whole(dramBytesPerCycle);
  else if (name == "rate4") rate4 = v;
  else if (name == "rate8") rate8 = v;
  else if (name == "rate16") rate16 = v;
  else if (name == "rate32") rate32 = v;
  else if (name == "vpu-lanes") e = whole(vpuLanes);
  else if (name == "vtr-lanes") e = whole(vtrLanes);
  else if (name == "sawb-lanes") e = whole(sawbLanes);
  else if (name == "op-latency") e = whole(opLatency);
  else
    return "unknown timing parameter '" + name + "'";
  if (!e.empty())
    return e;
  return validate();
}

static double classRate(const TimingParams &t, const num::Format &f) {
  int w = f.bitWidth();
  if (w <= 4) return t.rate4;
  if (w <= 8) return t.rate8;
  if (w <= 16) return t.rate16;
  return t.f32AsFp16 ? t.rate16 : t.rate32;
}

double mxuRate(const TimingParams &t, const num::Format &fa,
               const num::Format &fb) {
  return std::min(classRate(t, fa), classRate(t, fb));
}

uint64_t chargedBytes(const TimingParams &t, const DmaBytes &b) {
  // Half-byte units, rounded up to whole bytes.
  uint64_t halves = 2 * b.code8 + 2 * b.packed +
                    (t.packedCodes ? b.code4 : 2 * b.code4) +
                    (t.f32AsFp16 ? b.other : 2 * b.other);
  return (halves + 1) / 2;
}

static uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint64_t instrCycles(const TimingParams &t, const q4a::Instr &in,
                     const num::Format &fa, const num::Format &fb,
                     const DmaBytes &dma) {
  auto g = [&](const char *n) { return in.get(n); };
  uint64_t lat = t.opLatency;
  switch (in.opcode) {
  case Opcode::NOP:
  case Opcode::HALT:
  case Opcode::SYNC:
  case Opcode::DEP_SIGNAL:
  case Opcode::DEP_WAIT:
  case Opcode::LOOP:
  case Opcode::LI:
  case Opcode::LIF:
  case Opcode::XLD:
  case Opcode::FLD:
  case Opcode::FST:
    return 0;
  case Opcode::DMA_LD:
  case Opcode::DMA_ST:
  case Opcode::DMA_LDP:
  case Opcode::DMA_STP:
    return t.dmaLatency + ceilDiv(chargedBytes(t, dma), t.dramBytesPerCycle);
  case Opcode::MCFG:
    return 1;
  case Opcode::MMA: {
    double steps = std::ceil(double(g("k")) / mxuRate(t, fa, fb));
    return uint64_t(steps) + g("m") + g("n");
  }
  case Opcode::MST:
    return ceilDiv(g("m") * g("n"), t.vpuLanes) + lat;
  case Opcode::VOP:
  case Opcode::QUANT:
  case Opcode::DEQ:
    return ceilDiv(g("n"), t.vpuLanes) + lat;
  case Opcode::VRED:
    return ceilDiv(g("rows") * g("cols"), t.vpuLanes) + lat;
  case Opcode::VTR:
    return ceilDiv(g("rows") * g("cols"), t.vtrLanes) + lat;
  case Opcode::FOP:
  case Opcode::SAMAX:
  case Opcode::SGRAD:
  case Opcode::SPACT:
    return lat;
  case Opcode::SDLY:
  case Opcode::HPUSH:
    return g("h") + lat;
  case Opcode::SSAWB:
    return ceilDiv(g("n"), t.sawbLanes) + 2 * lat;
  case Opcode::SAWB_ACC:
    return ceilDiv(g("n"), t.sawbLanes) + lat;
  case Opcode::SAWB_FIN:
    return 2 * lat;
  }
  return 1;
}

Scoreboard::Slot Scoreboard::takeIssueCycle(unsigned unit) {
  Slot s;
  s.issue = next_;
  next_ = s.issue + 1;
  ++count_[unit];
  return s;
}

Scoreboard::Slot Scoreboard::issue(Unit u, uint64_t duration) {
  unsigned i = unsigned(u);
  Slot s = takeIssueCycle(i);
  if (u == Unit::Scalar) {
    s.start = s.issue;
    s.finish = s.issue + 1;
    busy_[i] += 1;
    free_[i] = std::max(free_[i], s.finish);
    return s;
  }
  s.start = std::max(s.issue, free_[i]);
  s.finish = s.start + duration;
  free_[i] = s.finish;
  busy_[i] += duration;
  return s;
}

Scoreboard::Slot Scoreboard::sync(uint8_t mask) {
  Slot s;
  uint64_t ready = next_;
  for (unsigned u = 0; u < kNumUnits; ++u)
    if (mask & (1u << u))
      ready = std::max(ready, free_[u]);
  stall_ += ready - next_;
  s.issue = s.start = ready;
  s.finish = ready + 1;
  next_ = ready + 1;
  ++count_[unsigned(Unit::Scalar)];
  busy_[unsigned(Unit::Scalar)] += 1;
  ++syncs_;
  return s;
}

bool Scoreboard::signal(Unit unit, Unit peer, Slot &s) {
  unsigned u = unsigned(unit);
  std::deque<uint64_t> &q = tokens_[u][unsigned(peer)];
  if (q.size() >= q4a::kTokenQueueDepth)
    return false;
  s = takeIssueCycle(u);
  s.start = s.finish = std::max(s.issue, free_[u]);
  q.push_back(s.finish);
  return true;
}

bool Scoreboard::wait(Unit unit, Unit peer, Slot &s) {
  unsigned u = unsigned(unit);
  std::deque<uint64_t> &q = tokens_[unsigned(peer)][u];
  if (q.empty())
    return false;
  s = takeIssueCycle(u);
  s.start = s.finish = std::max({s.issue, free_[u], q.front()});
  q.pop_front();
  free_[u] = s.finish;
  return true;
}

uint64_t Scoreboard::total() const {
  uint64_t t = next_;
  for (uint64_t f : free_)
    t = std::max(t, f);
  return t;
}

} // namespace quant4::sim
