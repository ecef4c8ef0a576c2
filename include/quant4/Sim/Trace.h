//===- Trace.h - the simulator's schedule as text or a Chrome trace -*- C++ -*-===//
//
// quant4-sim --trace FILE: the timed instructions as text, or (FILE.json) in
// the Chrome trace-event format (JSON), which chrome://tracing and Perfetto
// (ui.perfetto.dev) show as a timeline, one track per unit.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_SIM_TRACE_H
#define QUANT4_SIM_TRACE_H

#include "quant4/Sim/Sim.h"

#include <string>
#include <vector>

namespace quant4::sim {

/// One line per timed instruction, `pc unit issue start finish  assembly`,
/// under a header line (quant4-sim --trace FILE).
std::string textTrace(const q4a::Program &program,
                      const std::vector<TraceEntry> &trace);

/// The trace as a JSON object {"traceEvents": [...], ...}: per unit a
/// thread-name record, per instruction a complete event ("ph": "X") on its
/// unit's track named by its mnemonic, from its start cycle for its
/// duration, in microseconds at `clockGHz` (issue cycle, pc, the
/// instruction's assembly and its source label, when the program has a
/// source map, in "args"). Scalar instructions and syncs take
/// their one issue cycle on the scalar track.
std::string chromeTrace(const q4a::Program &program,
                        const std::vector<TraceEntry> &trace,
                        double clockGHz);

} // namespace quant4::sim

#endif // QUANT4_SIM_TRACE_H
