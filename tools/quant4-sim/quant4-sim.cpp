//===- quant4-sim.cpp - run a Q4A binary on the simulator -----------------===//
//
//   quant4-sim PROG.q4a [--input X.npy | --input NAME=X.npy]...
//              [--output-dir DIR] [--print] [--stats] [--stats-sources N]
//              [--trace FILE] [--max-instructions N] [--timing NAME=V]...
//              [--f32-as-fp16]
//              [--packed-codes] [--strict-sync] [--no-uninit-check]
//              [--random-inputs SEED]
//
// Reads the binary with the ISA library's reader (every corruption check of
// docs/ISA.md §8.3), binds the .npy inputs to the program's input tensors
// (in order, or by name), runs the functional simulator with the cycle model
// and writes each output to DIR/<name>.npy (temp file + rename, nothing on
// error). docs/Simulator.md is the manual.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Format.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Runtime/Npy.h"
#include "quant4/Sim/Sim.h"
#include "quant4/Sim/Trace.h"
#include "quant4/Target/Q4A/ISA.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace quant4;

namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char *const kUsage =
    "usage: quant4-sim PROG.q4a [--input X.npy | --input NAME=X.npy]...\n"
    "                  [--output-dir DIR] [--print] [--stats]\n"
    "                  [--stats-sources N] [--trace FILE]\n"
    "                  [--max-instructions N] [--timing NAME=V]...\n"
    "                  [--f32-as-fp16] [--packed-codes] [--strict-sync]\n"
    "                  [--no-uninit-check]\n"
    "\n"
    "Runs a Q4A binary bit-exactly and times it with the cycle model.\n"
    "  --input F          .npy file of the next input (program order), or\n"
    "                     NAME=F to bind the input called NAME\n"
    "  --output-dir DIR   write output NAME to DIR/NAME.npy\n"
    "  --print            print the outputs on stdout\n"
    "  --stats            print cycles, unit utilisation, bytes moved, MACs,\n"
    "                     and the same per source (the binary's source map)\n"
    "  --stats-sources N  rows of the per-source table (default 20, 0: all)\n"
    "  --trace FILE       per-instruction trace: pc, unit, "
    "issue/start/finish;\n"
    "                     FILE.json: Chrome trace events (Perfetto, "
    "about:tracing)\n"
    "  --max-instructions N  instruction budget (default 100000000, 0: none)\n"
    "  --timing NAME=V    cycle-model parameter (dma-latency, dram-bw, rate4,\n"
    "                     rate8, rate16, rate32, vpu-lanes, vtr-lanes,\n"
    "                     sawb-lanes, op-latency, clock-ghz)\n"
    "  --f32-as-fp16      cost f32 GEMMs and f32 DMA bytes as FP16 (what-if)\n"
    "  --packed-codes     cost <=4-bit codes at half a byte of DMA (what-if)\n"
    "  --strict-sync      a missing sync between dependent units is an error\n"
    "  --no-uninit-check  do not stop on reads of never-written memory\n"
    "  --random-inputs S  instead of --input: deterministic values from seed "
    "S\n"
    "                     (f32 in [0.001, 0.1], integers in [0, 10), random\n"
    "                     codes) - for timing and benchmarks\n";

struct Args {
  std::string prog;
  std::vector<std::string> inputs;
  std::string outDir, trace;
  bool print = false, stats = false;
  uint64_t statsSources = 20; // rows of the per-source table, 0: all
  bool randomInputs = false;
  uint64_t randomSeed = 0;
  sim::Options opts;
};

[[noreturn]] void die(const std::string &m, bool usage = false) {
  std::fprintf(stderr, "quant4-sim: error: %s\n", m.c_str());
  if (usage)
    std::fputs(kUsage, stderr);
  std::exit(1);
}

/// The non-negative integer value of `option`, or a usage error.
uint64_t count(const std::string &option, const std::string &v,
               const char *what = "integer") {
  char *end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || v[0] == '-')
    die(option + " needs a non-negative " + what + ", got '" + v + "'", true);
  return n;
}

Args parseArgs(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&]() -> std::string {
      size_t eq = s.find('=');
      if (s.rfind("--", 0) == 0 && eq != std::string::npos)
        return s.substr(eq + 1);
      if (i + 1 >= argc)
        die("option '" + s + "' needs a value", true);
      return argv[++i];
    };
    std::string name = s;
    if (s.rfind("--", 0) == 0) {
      size_t eq = s.find('=');
      name = s.substr(0, eq);
      // --input NAME=FILE keeps its '=' inside the value.
      if (name == "--input" && eq != std::string::npos) {
        a.inputs.push_back(s.substr(eq + 1));
        continue;
      }
    }
    if (s == "-h" || s == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (name == "--input") {
      a.inputs.push_back(value());
    } else if (name == "--output-dir") {
      a.outDir = value();
    } else if (name == "--trace") {
      a.trace = value();
      a.opts.trace = true;
    } else if (s == "--print") {
      a.print = true;
    } else if (s == "--stats") {
      a.stats = true;
    } else if (s == "--f32-as-fp16") {
      a.opts.timing.f32AsFp16 = true;
    } else if (s == "--packed-codes") {
      a.opts.timing.packedCodes = true;
    } else if (s == "--strict-sync") {
      a.opts.strictSync = true;
    } else if (s == "--no-uninit-check") {
      a.opts.checkUninitialised = false;
    } else if (name == "--max-instructions") {
      a.opts.maxInstructions = count(name, value());
    } else if (name == "--stats-sources") {
      a.statsSources = count(name, value());
    } else if (name == "--random-inputs") {
      a.randomSeed = count(name, value(), "integer seed");
      a.randomInputs = true;
    } else if (name == "--timing") {
      if (std::string e = a.opts.timing.set(value()); !e.empty())
        die("--timing: " + e, true);
    } else if (s.rfind("-", 0) == 0 && s.size() > 1) {
      die("unknown option '" + s + "'", true);
    } else if (a.prog.empty()) {
      a.prog = s;
    } else {
      die("more than one program given ('" + a.prog + "', '" + s + "')", true);
    }
  }
  if (a.prog.empty())
    die("no program given", true);
  return a;
}

std::string shapeStr(const std::vector<uint32_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

std::string typeStr(const q4a::TensorDesc &t) {
  std::string s = t.dtype == q4a::DType::Code
                      ? "code<" + t.format.str() + ">"
                      : std::string(q4a::dtypeName(t.dtype));
  s += "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(t.shape[i]);
  return s + "]";
}

/// The .npy dtype a tensor travels as (docs/Simulator.md).
npy::DType npyType(const q4a::TensorDesc &t) {
  switch (t.dtype) {
  case q4a::DType::F32: return npy::DType::F32;
  case q4a::DType::F16: return npy::DType::F16;
  case q4a::DType::BF16: return npy::DType::U16;
  case q4a::DType::I8: return npy::DType::I8;
  case q4a::DType::U8: return npy::DType::U8;
  case q4a::DType::I32: return npy::DType::I32;
  case q4a::DType::I64: return npy::DType::I64;
  case q4a::DType::Code: {
    unsigned b = q4a::elementBytes(t.format);
    return b == 1 ? npy::DType::U8 : b == 2 ? npy::DType::U16 : npy::DType::U32;
  }
  }
  return npy::DType::U8;
}

bool safeName(const std::string &n) {
  if (n.empty() || n[0] == '.' || n.size() > 200)
    return false;
  for (char c : n)
    if (!(std::isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

void printArray(const q4a::TensorDesc &t, const std::vector<uint8_t> &b) {
  std::printf("%s: %s\n", t.name.c_str(), typeStr(t).c_str());
  size_t esz = q4a::dtypeBytes(t.dtype, t.format);
  size_t n = esz ? b.size() / esz : 0;
  std::string line = "[";
  for (size_t i = 0; i < n; ++i) {
    const uint8_t *p = b.data() + i * esz;
    char buf[64];
    switch (t.dtype) {
    case q4a::DType::F32: {
      float v;
      std::memcpy(&v, p, 4);
      std::snprintf(buf, sizeof buf, "%.9g", double(v));
      break;
    }
    case q4a::DType::I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      std::snprintf(buf, sizeof buf, "%d", v);
      break;
    }
    case q4a::DType::I64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      std::snprintf(buf, sizeof buf, "%" PRId64, v);
      break;
    }
    case q4a::DType::I8:
      std::snprintf(buf, sizeof buf, "%d", int(int8_t(*p)));
      break;
    default: {
      uint64_t v = 0;
      for (size_t k = 0; k < esz; ++k)
        v |= uint64_t(p[k]) << (8 * k);
      std::snprintf(buf, sizeof buf, "%" PRIu64, v);
    }
    }
    line += (i ? ", " : "") + std::string(buf);
  }
  std::printf("%s]\n", line.c_str());
}

/// The per-source table of --stats: what each source label of the binary's
/// source map (a layer, an op) cost, busiest first — its busy cycles on each
/// unit, DMA bytes as charged, MACs and MACs per byte (against the ridge
/// point of the roofline line), and its busiest unit. `rows` limits the
/// table (0: all); the rest is summed in one line.
void printSourceStats(const q4a::Program &p, const sim::Stats &st,
                      uint64_t rows) {
  if (p.sources.empty())
    return;
  using Row = std::pair<std::string, sim::SourceStats>;
  std::vector<Row> table;
  // The unit (DMA .. SFU) with the most busy cycles.
  auto bound = [](const sim::SourceStats &x) {
    return unsigned(std::max_element(x.unitBusy.begin() + 1, x.unitBusy.end()) -
                    x.unitBusy.begin());
  };
  auto busiest = [&](const sim::SourceStats &x) {
    return x.unitBusy[bound(x)];
  };
  for (size_t i = 0; i < st.sources.size(); ++i)
    if (st.sources[i].instructions)
      table.push_back(
          {i ? p.sources[i - 1] : "(before the first label)", st.sources[i]});
  std::sort(table.begin(), table.end(), [&](const Row &a, const Row &b) {
    uint64_t x = busiest(a.second), y = busiest(b.second);
    return x != y ? x > y : a.first < b.first;
  });
  if (rows && table.size() > rows) {
    Row rest{"(" + std::to_string(table.size() - rows) + " more sources)", {}};
    for (size_t i = rows; i < table.size(); ++i) {
      const sim::SourceStats &x = table[i].second;
      rest.second.instructions += x.instructions;
      for (unsigned u = 0; u < sim::kNumUnits; ++u)
        rest.second.unitBusy[u] += x.unitBusy[u];
      rest.second.chargedDmaBytes += x.chargedDmaBytes;
      rest.second.macs += x.macs;
    }
    table.resize(rows);
    table.push_back(std::move(rest));
  }
  std::printf("by source (%zu labels, busiest first):\n", p.sources.size());
  std::printf("  %9s %11s %11s %11s %11s %12s %12s %8s %5s  %s\n", "instrs",
              "dma cycles", "mxu cycles", "vpu cycles", "sfu cycles",
              "dma bytes", "MACs", "MACs/B", "bound", "source");
  for (const auto &[label, x] : table) {
    std::string unit =
        busiest(x) ? std::string(q4a::unitName(q4a::Unit(bound(x)))) : "-";
    std::printf("  %9" PRIu64 " %11" PRIu64 " %11" PRIu64 " %11" PRIu64
                " %11" PRIu64 " %12" PRIu64 " %12" PRIu64 " %8.2f %5s  %s\n",
                x.instructions, x.unitBusy[1], x.unitBusy[2], x.unitBusy[3],
                x.unitBusy[4], x.chargedDmaBytes, x.macs,
                x.chargedDmaBytes ? double(x.macs) / double(x.chargedDmaBytes)
                                  : 0.0,
                unit.c_str(), label.c_str());
  }
}

void printStats(const q4a::Program &p, const sim::Simulator &s,
                const sim::TimingParams &tp, uint64_t statsSources) {
  const sim::Stats &st = s.stats();
  double us = double(st.cycles) / (tp.clockGHz * 1e3);
  std::printf("program '%s': %" PRIu64 " instructions executed (%zu in the "
              "binary",
              p.name.c_str(), st.instructions, p.code.size());
  if (p.hasLoops()) // and the step words of the instructions inside loops
    std::printf(", %" PRIu64 " code words", p.codeWords());
  std::printf(")\n");
  std::printf("cycles: %" PRIu64 " (%.3f us at %g GHz)%s%s\n", st.cycles, us,
              tp.clockGHz, tp.f32AsFp16 ? " [f32 costed as fp16]" : "",
              tp.packedCodes ? " [packed codes]" : "");
  std::printf("%-7s %10s %14s %7s\n", "unit", "instrs", "busy cycles", "util");
  for (unsigned u = 0; u < sim::kNumUnits; ++u) {
    double util = st.cycles ? 100.0 * double(st.unitBusy[u]) / double(st.cycles)
                            : 0.0;
    std::printf("%-7s %10" PRIu64 " %14" PRIu64 " %6.1f%%\n",
                std::string(q4a::unitName(q4a::Unit(u))).c_str(),
                st.unitInstrs[u], st.unitBusy[u], util);
  }
  std::printf("dma: %" PRIu64 " bytes DRAM->SP, %" PRIu64 " bytes SP->DRAM, "
              "%" PRIu64 " bytes charged\n",
              st.dramToSpBytes, st.spToDramBytes, st.chargedDmaBytes);
  std::printf("mxu: %" PRIu64 " MACs\n", st.macs);
  for (auto &[k, v] : st.macsByFormats) {
    auto it = st.mmaCyclesByFormats.find(k);
    std::printf("  %-24s %14" PRIu64 " MACs %12" PRIu64 " cycles\n", k.c_str(),
                v, it == st.mmaCyclesByFormats.end() ? 0 : it->second);
  }
  // Roofline: the MXU's peak is a full array at its 4-bit k-rate per
  // cycle, DRAM's the dram-bw bytes per cycle.
  double peak4 = double(p.arch.arrayRows) * p.arch.arrayCols * tp.rate4;
  double cyc = st.cycles ? double(st.cycles) : 1.0;
  double macRate = double(st.macs) / cyc,
         byteRate = double(st.chargedDmaBytes) / cyc;
  std::printf("roofline: %.1f MACs/cycle of %.0f peak (4-bit: %.1f %%), %.1f "
              "bytes/cycle of %u (%.1f %%), %.1f MACs per byte (ridge %.1f)\n",
              macRate, peak4, 100.0 * macRate / peak4, byteRate,
              tp.dramBytesPerCycle, 100.0 * byteRate / tp.dramBytesPerCycle,
              st.chargedDmaBytes ? double(st.macs) / double(st.chargedDmaBytes)
                                 : 0.0,
              peak4 / tp.dramBytesPerCycle);
  std::printf("sync: %" PRIu64 " instructions, %" PRIu64
              " issue cycles stalled\n",
              st.syncs, st.syncStallCycles);
  std::printf("hazards: %" PRIu64 "%s%s\n", st.hazards,
              st.hazards ? ", first: " : "", st.firstHazard.c_str());
  printSourceStats(p, st, statsSources);
  double secs = st.hostSeconds > 0 ? st.hostSeconds : 1e-9;
  std::printf("host: %.3f s, %.3g instructions/s, %.3g MACs/s\n",
              st.hostSeconds, double(st.instructions) / secs,
              double(st.macs) / secs);
}

} // namespace

int main(int argc, char **argv) {
  Args a = parseArgs(argc, argv);

  // The binary, through the ISA library's checked reader.
  std::ifstream f(a.prog, std::ios::binary);
  if (!f)
    die("cannot open '" + a.prog + "': " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                             std::istreambuf_iterator<char>());
  q4a::BinError berr;
  std::optional<q4a::Program> prog =
      q4a::readBinary(bytes.data(), bytes.size(), berr);
  if (!prog)
    die("'" + a.prog + "' is not a valid Q4A binary: at byte offset " +
        std::to_string(berr.offset) + ": " + berr.message);
  const q4a::Program &p = *prog;

  // Bind inputs: NAME=FILE by name, the others in program order.
  std::vector<std::string> files(p.inputs.size());
  std::vector<std::string> positional;
  for (const std::string &in : a.inputs) {
    size_t eq = in.find('=');
    bool named = false;
    if (eq != std::string::npos)
      for (size_t i = 0; i < p.inputs.size(); ++i)
        if (p.inputs[i].name == in.substr(0, eq)) {
          if (!files[i].empty())
            die("input '" + p.inputs[i].name + "' is given twice");
          files[i] = in.substr(eq + 1);
          named = true;
        }
    if (!named)
      positional.push_back(in);
  }
  size_t next = 0;
  for (const std::string &file : positional) {
    while (next < files.size() && !files[next].empty())
      ++next;
    if (next == files.size()) {
      next = files.size() + 1;
      break;
    }
    files[next++] = file;
  }
  bool complete = next <= files.size();
  for (const std::string &file : files)
    complete &= !file.empty();
  if (a.randomInputs && !a.inputs.empty())
    die("--random-inputs and --input exclude each other", true);
  if (a.randomInputs)
    complete = true;
  if (!complete) {
    std::string sig;
    for (size_t i = 0; i < p.inputs.size(); ++i)
      sig += (i ? ", " : "") + p.inputs[i].name + " " + typeStr(p.inputs[i]);
    die("program '" + p.name + "' takes " + std::to_string(p.inputs.size()) +
        " input(s) (" + sig + "), got " + std::to_string(a.inputs.size()) +
        " --input file(s)");
  }

  sim::Simulator s(p, a.opts);
  for (size_t i = 0; a.randomInputs && i < p.inputs.size(); ++i) {
    const q4a::TensorDesc &t = p.inputs[i];
    std::vector<uint8_t> b(t.byteSize());
    size_t esz = q4a::dtypeBytes(t.dtype, t.format);
    num::RngKey key{a.randomSeed, i};
    for (size_t k = 0; esz && k < b.size() / esz; ++k) {
      uint32_t r = num::randomBits(key, k);
      uint8_t *e = b.data() + k * esz;
      if (t.dtype == q4a::DType::F32) {
        float v = 0.001f + 0.099f * float(r >> 8) / 16777216.0f;
        std::memcpy(e, &v, 4);
      } else if (t.dtype == q4a::DType::Code) {
        uint32_t c = t.format.numCodes() ? r % t.format.numCodes() : r;
        std::memcpy(e, &c, esz);
      } else {
        uint64_t v = r % 10;
        std::memcpy(e, &v, esz); // little-endian
      }
    }
    if (std::string e = s.setInput(i, b.data(), b.size()); !e.empty())
      die(e);
  }
  for (size_t i = 0; !a.randomInputs && i < p.inputs.size(); ++i) {
    const q4a::TensorDesc &t = p.inputs[i];
    std::string where = "input " + std::to_string(i) + " '" + t.name + "' (" +
                        files[i] + ")";
    npy::Array arr;
    if (std::string e = npy::readNpy(files[i], arr); !e.empty())
      die(where + ": " + e);
    npy::DType want = npyType(t);
    bool shapeOk = arr.shape.size() == t.shape.size();
    for (size_t d = 0; shapeOk && d < t.shape.size(); ++d)
      shapeOk = arr.shape[d] == int64_t(t.shape[d]);
    if (arr.dtype != want || !shapeOk)
      die(where + ": expected " + typeStr(t) + " (" + npy::dtypeName(want) +
          " array of shape " + shapeStr(t.shape) + "), got " +
          npy::dtypeName(arr.dtype) + " array of shape " + arr.shapeString());
    if (t.dtype == q4a::DType::Code) {
      unsigned esz = q4a::elementBytes(t.format);
      int w = t.format.bitWidth();
      for (int64_t k = 0; k < arr.numel() && w < 32; ++k) {
        uint64_t c = 0;
        for (unsigned b = 0; b < esz; ++b)
          c |= uint64_t(uint8_t(arr.data[size_t(k) * esz + b])) << (8 * b);
        if (c >> w)
          die(where + ": code " + std::to_string(c) + " at index " +
              std::to_string(k) + " does not fit the " + std::to_string(w) +
              "-bit format " + t.format.str());
      }
    }
    if (std::string e = s.setInput(i, reinterpret_cast<const uint8_t *>(
                                          arr.data.data()),
                                   arr.data.size());
        !e.empty())
      die(where + ": " + e);
  }

  if (std::string e = s.run(); !e.empty())
    die(e);

  // Outputs: collect everything first, then write temp files, then rename.
  std::vector<std::vector<uint8_t>> outs(p.outputs.size());
  for (size_t i = 0; i < p.outputs.size(); ++i)
    if (std::string e = s.output(i, outs[i]); !e.empty())
      die(e);
  std::vector<std::pair<std::string, std::string>> renames;
  auto cleanup = [&]() {
    for (auto &[tmp, fin] : renames)
      std::remove(tmp.c_str());
  };
  if (!a.outDir.empty()) {
    ::mkdir(a.outDir.c_str(), 0777);
    struct stat sb;
    if (::stat(a.outDir.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
      die("cannot create output directory '" + a.outDir + "'");
    for (size_t i = 0; i < p.outputs.size(); ++i) {
      const q4a::TensorDesc &t = p.outputs[i];
      std::string name = safeName(t.name) ? t.name : "result" + std::to_string(i);
      std::string fin = a.outDir + "/" + name + ".npy";
      std::string tmp = fin + ".tmp." + std::to_string(getpid());
      npy::Array arr;
      arr.dtype = npyType(t);
      for (uint32_t d : t.shape)
        arr.shape.push_back(int64_t(d));
      arr.data.assign(outs[i].begin(), outs[i].end());
      renames.push_back({tmp, fin});
      if (std::string e = npy::writeNpy(tmp, arr); !e.empty()) {
        cleanup();
        die("output '" + t.name + "': " + e);
      }
    }
  }
  std::string traceText;
  if (!a.trace.empty()) {
    traceText = endsWith(a.trace, ".json")
                    ? sim::chromeTrace(p, s.trace(), a.opts.timing.clockGHz)
                    : sim::textTrace(p, s.trace());
    std::string tmp = a.trace + ".tmp." + std::to_string(getpid());
    std::ofstream t(tmp, std::ios::binary);
    t << traceText;
    t.close();
    if (!t.good()) {
      std::remove(tmp.c_str());
      cleanup();
      die("cannot write the trace '" + tmp + "'");
    }
    renames.push_back({tmp, a.trace});
  }
  for (auto &[tmp, fin] : renames)
    if (std::rename(tmp.c_str(), fin.c_str()) != 0) {
      std::string e = std::strerror(errno);
      cleanup();
      die("cannot rename '" + tmp + "' to '" + fin + "': " + e);
    }

  if (a.print)
    for (size_t i = 0; i < p.outputs.size(); ++i)
      printArray(p.outputs[i], outs[i]);
  if (a.stats)
    printStats(p, s, a.opts.timing, a.statsSources);
  return 0;
}
