//===- Sim.h - the Q4A functional simulator ---------------------*- C++ -*-===//
//
// Plain C++17 (Quant4Q4AISA + Quant4Numerics, no MLIR). Executes a Q4A
// program (q4a::Program, e.g. from q4a::readBinary) bit-exactly as
// docs/ISA.md defines it — every numeric step through quant4::num — and
// times it with the cycle model of Timing.h. Beyond the ISA's static rules
// it stops with an error naming the instruction (pc and disassembly) when a
// program reads memory it never initialised, indexes a scale outside the
// scratchpad, or exceeds its instruction budget. docs/Simulator.md documents
// the behaviour.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_SIM_SIM_H
#define QUANT4_SIM_SIM_H

#include "quant4/Sim/Timing.h"
#include "quant4/Target/Q4A/ISA.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace quant4::sim {

/// The largest DRAM a program may declare (docs/Simulator.md, limits).
constexpr uint64_t kMaxDramBytes = uint64_t(1) << 31;

struct Options {
  TimingParams timing;
  /// Stop after this many executed instructions (0: no limit).
  uint64_t maxInstructions = 100000000;
  /// Stop on reads of never-written DRAM/SP bytes and ACC entries.
  bool checkUninitialised = true;
  /// Record one TraceEntry per executed instruction.
  bool trace = false;
  /// Treat a missing `sync` between dependent instructions of different
  /// units (docs/ISA.md §2.3, "well synchronised") as an error instead of
  /// counting it in Stats::hazards.
  bool strictSync = false;
};

struct TraceEntry {
  uint32_t pc = 0;
  q4a::Unit unit = q4a::Unit::Scalar;
  uint64_t issue = 0, start = 0, finish = 0;
};

/// What the instructions of one source label (q4a::Program::sources, the
/// source map's runs) cost: the busy cycles they occupied on each unit,
/// their DMA bytes as charged and their MACs.
struct SourceStats {
  uint64_t instructions = 0;
  std::array<uint64_t, kNumUnits> unitBusy{};
  uint64_t chargedDmaBytes = 0, macs = 0;
};

struct Stats {
  uint64_t instructions = 0; // executed (halt included)
  uint64_t cycles = 0;
  std::array<uint64_t, kNumUnits> unitBusy{}, unitInstrs{};
  uint64_t syncs = 0, syncStallCycles = 0;
  uint64_t dramToSpBytes = 0, spToDramBytes = 0; // moved by DMA
  uint64_t chargedDmaBytes = 0; // as the cycle model charged them
  uint64_t macs = 0;            // sum of m*n*k over mma
  std::map<std::string, uint64_t> macsByFormats; // "int4 x int4" -> MACs
  std::map<std::string, uint64_t> mmaCyclesByFormats;
  uint64_t hazards = 0;       // unsynchronised cross-unit dependences
  std::string firstHazard;    // description of the first one
  double hostSeconds = 0;     // wall time of run()
  /// Per source label: [0] the instructions before the first labelled one,
  /// [i] those of q4a::Program::sources[i - 1] (Program::sourceRuns()).
  std::vector<SourceStats> sources;
};

class Simulator {
public:
  /// `prog` must be valid (q4a::Program::validate() == ""); readBinary and
  /// parseAssembly guarantee it. The simulator keeps a reference.
  explicit Simulator(const q4a::Program &prog, Options opts = {});
  ~Simulator();
  Simulator(const Simulator &) = delete;
  Simulator &operator=(const Simulator &) = delete;

  /// Writes input `i` (row-major, little-endian, exactly byteSize() bytes)
  /// into DRAM. "" or a sentence naming the input.
  std::string setInput(size_t i, const uint8_t *data, size_t size);
  /// Loads (zeroed DRAM, data segments, inputs already set), runs to `halt`
  /// or the end of the code, times every instruction. Returns "" or the
  /// error, "pc N (ASSEMBLY): MESSAGE". Call once.
  std::string run();
  /// The bytes of output `i` after run(); "" or a sentence (an output with
  /// bytes the program never wrote is an error naming the output).
  std::string output(size_t i, std::vector<uint8_t> &bytes) const;

  const Stats &stats() const;
  const std::vector<TraceEntry> &trace() const;

  // Architectural state, for tests.
  /// Bytes of DRAM (data and shadow tags) allocated so far: pages of 64 KiB
  /// as the program, its segments and its inputs write them, never the
  /// program's whole DRAM size up front.
  uint64_t dramBytesAllocated() const;
  const std::vector<uint8_t> &scratchpad() const;
  uint64_t xreg(unsigned i) const;
  float freg(unsigned i) const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

/// "int4 x int4" style name of an MXU operand pair.
std::string formatPairName(const num::Format &fa, const num::Format &fb);

} // namespace quant4::sim

#endif // QUANT4_SIM_SIM_H
