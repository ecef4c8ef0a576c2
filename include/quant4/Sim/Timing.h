//===- Timing.h - the Q4A cycle model ---------------------------*- C++ -*-===//
//
// Plain C++17 (no MLIR). The cycle model of quant4-sim (docs/Simulator.md):
// per-instruction durations from docs/ISA.md §2.3 refined by the operand
// format of the MXU, and an in-order issue scoreboard in which the DMA, MXU,
// VPU and SFU run concurrently and `sync` waits for the units of its mask.
// The model is not part of the functional specification: it never changes a
// result bit.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_SIM_TIMING_H
#define QUANT4_SIM_TIMING_H

#include "quant4/Target/Q4A/ISA.h"

#include <array>
#include <deque>
#include <cstdint>
#include <string>
#include <string_view>

namespace quant4::sim {

constexpr unsigned kNumUnits = 5; // q4a::Unit: scalar, DMA, MXU, VPU, SFU

/// Machine parameters of the cycle model. The defaults are those of
/// docs/ISA.md §1/§2.3 (1 GHz, 64 B/cycle DRAM, 8-cycle DMA latency, a 32-lane
/// VPU), with the MXU rate per operand class that docs/Simulator.md states:
/// one k-step per cycle for 16-bit products (the ISA's `k + m + n`), two for
/// 8-bit, four for products of two formats of at most 4 bits, and a quarter
/// for f32 products.
struct TimingParams {
  double clockGHz = 1.0;
  uint32_t dmaLatency = 8;        // cycles added to every dma.ld / dma.st
  uint32_t dramBytesPerCycle = 64;
  double rate4 = 4.0;             // k-steps per cycle, both operands <= 4 bits
  double rate8 = 2.0;             // ... <= 8 bits
  double rate16 = 1.0;            // ... <= 16 bits (FP16, BF16)
  double rate32 = 0.25;           // ... f32
  uint32_t vpuLanes = 32;         // vop/quant/deq/vred/mst elements per cycle
  uint32_t vtrLanes = 16;         // vtr elements per cycle
  uint32_t sawbLanes = 16;        // ssawb elements per cycle
  uint32_t opLatency = 4;         // fixed pipeline latency of VPU/SFU/mst ops
  /// What-if costing (never changes results): f32 GEMMs at the 16-bit rate
  /// and f32 (non-code) bytes moved by DMA at half their size, i.e. the same
  /// program on an FP16 machine (docs/Simulator.md, "Projected speed-up").
  bool f32AsFp16 = false;
  /// What-if costing: codes of formats of at most 4 bits that a dma.ld /
  /// dma.st moves one per byte cost half a byte of DMA bandwidth (as if
  /// they were packed; dma.ldp / dma.stp pack them for real).
  bool packedCodes = false;

  /// "" if the parameters are usable, else a sentence.
  std::string validate() const;
  /// Sets one parameter from "name=value" (names as in docs/Simulator.md:
  /// dma-latency, dram-bw, rate4, rate8, rate16, rate32, vpu-lanes,
  /// vtr-lanes, sawb-lanes, op-latency, clock-ghz); "" or a sentence.
  std::string set(std::string_view assignment);
};

/// k-steps per cycle of an MMA with these operand formats (the slower
/// operand decides; f32 products at rate16 when f32AsFp16).
double mxuRate(const TimingParams &t, const num::Format &fa,
               const num::Format &fb);

/// DMA bytes as the model charges them: `other` bytes of f32/integer data,
/// `code4` bytes of <= 4-bit codes one per byte, `code8` of wider codes,
/// `packed` DRAM bytes of dma.ldp / dma.stp (two codes each, charged in
/// full).
struct DmaBytes {
  uint64_t other = 0, code4 = 0, code8 = 0, packed = 0;
  uint64_t total() const { return other + code4 + code8 + packed; }
};
/// Bytes charged for a transfer under the what-if options (rounded up).
uint64_t chargedBytes(const TimingParams &t, const DmaBytes &b);

/// Duration in cycles of one instruction on its unit (0 for scalar
/// instructions and sync, which complete at issue). `mxuFa/mxuFb` are the
/// operand formats of the MCFG in force (MMA only); `dma` the bytes of a
/// dma.ld / dma.st by kind (its total must be rows*bytes).
uint64_t instrCycles(const TimingParams &t, const q4a::Instr &in,
                     const num::Format &mxuFa, const num::Format &mxuFb,
                     const DmaBytes &dma);

/// The issue model: in order, one instruction per cycle; each non-scalar
/// unit executes its own instructions in order, one at a time (an unbounded
/// queue in front of it, so issue never waits for a busy unit); `sync mask`
/// issues only once every earlier instruction of the units in mask has
/// finished. An instruction issued in cycle t on a unit that is free at
/// cycle f runs in [max(t, f), max(t, f) + duration).
class Scoreboard {
public:
  struct Slot {
    uint64_t issue = 0, start = 0, finish = 0;
  };
  /// A scalar or unit instruction (not sync).
  Slot issue(q4a::Unit u, uint64_t duration);
  /// A sync with this unit mask.
  Slot sync(uint8_t mask);
  /// dep.signal in `unit`'s queue: completes (taking no unit time) when
  /// unit's earlier instructions have, and pushes a token stamped with that
  /// cycle onto the (unit, peer) queue. False when the queue already holds
  /// q4a::kTokenQueueDepth tokens.
  bool signal(q4a::Unit unit, q4a::Unit peer, Slot &slot);
  /// dep.wait in `unit`'s queue: pops the oldest token of (peer, unit);
  /// unit's later instructions start no earlier than its stamp. False when
  /// the queue is empty (its dep.signal must come earlier in program order).
  bool wait(q4a::Unit unit, q4a::Unit peer, Slot &slot);
  /// Cycles until everything issued so far has finished.
  uint64_t total() const;
  uint64_t busy(q4a::Unit u) const { return busy_[unsigned(u)]; }
  uint64_t count(q4a::Unit u) const { return count_[unsigned(u)]; }
  /// Issue cycles lost waiting in sync.
  uint64_t syncStall() const { return stall_; }
  uint64_t syncs() const { return syncs_; }

private:
  /// The next issue cycle, counted as an instruction of `unit`.
  Slot takeIssueCycle(unsigned unit);

  uint64_t next_ = 0; // first cycle the next instruction may issue in
  std::array<uint64_t, kNumUnits> free_{}, busy_{}, count_{};
  uint64_t stall_ = 0, syncs_ = 0;
  /// Token stamps of each (signalling unit, waiting unit) queue.
  std::array<std::array<std::deque<uint64_t>, kNumUnits>, kNumUnits> tokens_;
};

} // namespace quant4::sim

#endif // QUANT4_SIM_TIMING_H
