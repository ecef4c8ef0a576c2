//===- Synchronize.h - Q4A footprints and scheduling ------------*- C++ -*-===//
//
// Plain C++17 (no MLIR). What a Q4A compiler needs after instruction
// selection (docs/ISA.md §2.3-2.4, docs/Q4ACompiler.md):
//
//  * the static footprint of an instruction: the scratchpad and DRAM byte
//    ranges, registers, accumulator tiles, MXU configuration and SAWB
//    statistics it reads and writes, computed from its fields and what is
//    known of the registers at that point of a straight-line program;
//  * relocation of an instruction's scratchpad addresses (an op lowered in
//    a window of the scratchpad);
//  * load hoisting: each `dma.ld` of a sequential program moved up to just
//    after the last instruction it depends on;
//  * synchronisation: given a program in sequential order with no `sync` or
//    dependency token, insert what makes it well synchronised — either a
//    `sync` on every change of unit (serial), or a `dep.signal` / `dep.wait`
//    pair from each producer to each consumer on another unit (tokens), so
//    that independent work of different units overlaps.
//
// All of it works on straight-line code (no `loop`, ISA.md §2.5): loops are
// made afterwards (Loops.h), and the MLIR passes refuse a program that has
// them.
//
// The simulator's hazard check (quant4-sim, docs/Simulator.md) records the
// accesses an instruction actually makes while it runs; it does not use this
// code, so it checks the scheduler independently.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TARGET_Q4A_SYNCHRONIZE_H
#define QUANT4_TARGET_Q4A_SYNCHRONIZE_H

#include "quant4/Target/Q4A/ISA.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quant4::q4a {

/// The kinds of architectural state an instruction can touch.
enum class Space : uint8_t { SP, DRAM, XReg, FReg, Acc, MxuConfig, SawbStats };
constexpr unsigned kNumSpaces = unsigned(Space::SawbStats) + 1;
std::string_view spaceName(Space s);

/// One read or write: [lo, hi) in its space (register and tile numbers for
/// XReg, FReg and Acc; MxuConfig and SawbStats, the SFU's SAWB statistics,
/// are single cells [0, 1)).
struct Access {
  Space space;
  bool write;
  uint64_t lo, hi;
};

/// What is known of the machine before an instruction of a straight-line
/// program: the value of each x register set by `li` (none after `xld`), and
/// the operand element bytes of the MCFG in force (0 before any mcfg).
struct StaticState {
  std::array<std::optional<uint64_t>, kNumXRegs> x;
  unsigned elementBytesA = 0, elementBytesB = 0;
  StaticState() { x[0] = 0; }
};

/// Appends the accesses of `in` (a valid instruction) to `out` and advances
/// `state` past it. Strided DMA and MMA operands are described row by row up
/// to 64 rows and by their enclosing range beyond that; a scale table indexed
/// through an x register whose value is unknown is the whole scratchpad. The
/// result covers every byte the instruction can read or write (it may cover
/// more).
void footprint(const Instr &in, const Arch &arch, StaticState &state,
               std::vector<Access> &out);

/// Adds `delta` to every scratchpad address field of `in` (not to DRAM
/// addresses, strides or register operands): the same instruction working on
/// a scratchpad window that starts `delta` bytes further.
void relocateScratchpad(Instr &in, uint64_t delta);

/// True if two access lists conflict: they touch a common element of one
/// space and at least one of the two accesses writes it.
bool conflicts(const std::vector<Access> &a, const std::vector<Access> &b);

/// `code` without its `sync`, `dep.signal` and `dep.wait` instructions: the
/// sequential program (docs/ISA.md §2.2) they order.
std::vector<Instr> withoutSynchronization(const std::vector<Instr> &code);

/// Returns `code` without synchronisation (withoutSynchronization: it would
/// pin the loads) and with every `dma.ld` moved as early as its dependencies
/// allow, but at most `window` instructions: right
/// after the last earlier instruction whose footprint conflicts with it. The
/// other instructions keep their order, so the sequential result is
/// unchanged; in-order units then start loads for later work (the next
/// op's operands, the next chunk) before they finish earlier stores. Loads
/// may also pass earlier independent loads: on the LeNet step, keeping the
/// loads in order instead costs 8-20 % of the cycles (docs/Q4ACompiler.md).
std::vector<Instr> hoistLoads(const std::vector<Instr> &code, const Arch &arch,
                              size_t window = 256);

enum class SyncMode {
  /// A `sync` of every unit with outstanding work whenever the next
  /// instruction goes to another unit or is a scalar instruction: units never
  /// overlap.
  Serial,
  /// Dependency tokens between the units that actually depend on each other
  /// (RAW, WAR, WAW on any state); `sync` only before a scalar instruction
  /// that depends on outstanding work, and before `halt`.
  Tokens,
};

struct SyncStats {
  uint64_t syncs = 0, signals = 0, waits = 0;
};

/// Returns `code` with every `sync`, `dep.signal` and `dep.wait` removed and
/// the synchronisation of `mode` inserted. The order of the other
/// instructions is kept, so the sequential result (docs/ISA.md §2.2) is
/// unchanged; the result is well synchronised (§2.3) and respects the token
/// queue depth (§2.4).
std::vector<Instr> synchronize(const std::vector<Instr> &code, const Arch &arch,
                               SyncMode mode, SyncStats *stats = nullptr);

} // namespace quant4::q4a

#endif // QUANT4_TARGET_Q4A_SYNCHRONIZE_H
