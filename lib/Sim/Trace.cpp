//===- Trace.cpp - the simulator's schedule as text or a Chrome trace ------===//
#include "quant4/Sim/Trace.h"

#include <cstdio>

namespace quant4::sim {

namespace {
/// `s` as a JSON string literal.
std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

/// Cycles as microseconds, exactly enough for a timeline (JSON number).
std::string micros(uint64_t cycles, double clockGHz) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", double(cycles) / (clockGHz * 1e3));
  return buf;
}
} // namespace

std::string textTrace(const q4a::Program &program,
                      const std::vector<TraceEntry> &trace) {
  std::string out = "# pc unit issue start finish  instruction\n";
  // The trace has one entry per executed instruction, in order: walking
  // the program alongside gives each its fields in that iteration.
  q4a::Execution ex(program);
  for (const TraceEntry &e : trace) {
    const q4a::Instr *in = ex.next();
    out += std::to_string(e.pc) + ' ' + std::string(q4a::unitName(e.unit)) +
           ' ' + std::to_string(e.issue) + ' ' + std::to_string(e.start) + ' ' +
           std::to_string(e.finish) + "  " +
           (in ? q4a::printInstr(*in) : std::string("?")) + '\n';
  }
  return out;
}

std::string chromeTrace(const q4a::Program &program,
                        const std::vector<TraceEntry> &trace,
                        double clockGHz) {
  std::string out = "{\"displayTimeUnit\": \"ns\", \"otherData\": {\"program\": " +
                    quoted(program.name) + ", \"clock_ghz\": ";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", clockGHz);
  out += std::string(buf) + "},\n\"traceEvents\": [\n";
  out += "{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": 0, \"args\": "
         "{\"name\": " + quoted("Q4A " + program.name) + "}}";
  for (unsigned u = 0; u < kNumUnits; ++u)
    out += ",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 0, \"tid\": " +
           std::to_string(u) + ", \"args\": {\"name\": " +
           quoted(std::string(q4a::unitName(q4a::Unit(u)))) + "}}";
  std::vector<uint32_t> sourceOf = program.sourceRuns();
  q4a::Execution ex(program); // as in textTrace
  for (const TraceEntry &e : trace) {
    const q4a::Instr *next = ex.next();
    if (!next)
      break;
    const q4a::Instr &in = *next;
    std::string source;
    if (uint32_t src = sourceOf[e.pc])
      source = ", \"source\": " + quoted(program.sources[src - 1]);
    std::string text = q4a::printInstr(in);
    std::string name = text.substr(0, text.find(' '));
    out += ",\n{\"name\": " + quoted(name) +
           ", \"cat\": " + quoted(std::string(q4a::unitName(e.unit))) +
           ", \"ph\": \"X\", \"pid\": 0, \"tid\": " +
           std::to_string(unsigned(e.unit)) +
           ", \"ts\": " + micros(e.start, clockGHz) +
           ", \"dur\": " + micros(e.finish - e.start, clockGHz) +
           ", \"args\": {\"pc\": " + std::to_string(e.pc) +
           ", \"issue_cycle\": " + std::to_string(e.issue) +
           ", \"start_cycle\": " + std::to_string(e.start) +
           ", \"finish_cycle\": " + std::to_string(e.finish) +
           ", \"asm\": " + quoted(text) + source + "}}";
  }
  return out + "\n]}\n";
}

} // namespace quant4::sim
