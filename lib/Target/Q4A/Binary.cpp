//===- Binary.cpp - the Q4A binary container ------------------------------===//
//
// docs/ISA.md §8. Little-endian throughout. Layout: 80-byte header (96 with
// a source map), then the sections code, segment table, tensor table, data,
// string table and source map (each starting at a multiple of 16, zero
// padding between), then a 4-byte CRC-32 of every preceding byte.
//
//===----------------------------------------------------------------------===//
#include "quant4/Target/Q4A/ISA.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace quant4::q4a {

uint32_t crc32(const uint8_t *data, size_t n, uint32_t crc) {
  static uint32_t table[256];
  static bool init = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)init;
  crc = ~crc;
  for (size_t i = 0; i < n; ++i)
    crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

namespace {
constexpr uint32_t kSegEntryBytes = 16;
constexpr uint32_t kTensorEntryBytes = 56;
constexpr uint32_t kSourceEntryBytes = 8;

void put(std::vector<uint8_t> &b, size_t off, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    b[off + i] = uint8_t(v >> (8 * i));
}
uint64_t get(const uint8_t *b, size_t off, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i)
    v |= uint64_t(b[off + i]) << (8 * i);
  return v;
}
uint32_t align16(uint64_t v) { return uint32_t((v + 15) & ~uint64_t(15)); }

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}
} // namespace

std::vector<uint8_t> writeBinary(const Program &p) {
  // String table: program name, then tensor names, in order.
  std::vector<uint8_t> strtab;
  auto addStr = [&](const std::string &s) {
    uint32_t off = uint32_t(strtab.size());
    strtab.insert(strtab.end(), s.begin(), s.end());
    strtab.push_back(0);
    return off;
  };
  uint32_t nameOff = addStr(p.name);
  std::vector<uint32_t> tensorNames;
  for (const auto *list : {&p.inputs, &p.outputs})
    for (const TensorDesc &t : *list)
      tensorNames.push_back(addStr(t.name));
  // The source map: one (pc, label) entry where a run of instructions with
  // the same label starts; an instruction without a label continues the
  // run before it.
  std::vector<std::pair<uint32_t, uint32_t>> runs;
  std::vector<uint32_t> labelOffsets(p.sources.size(), 0);
  for (size_t i = 0; i < p.sources.size(); ++i)
    labelOffsets[i] = addStr(p.sources[i]);
  uint32_t current = 0;
  for (size_t pc = 0; pc < p.code.size(); ++pc)
    if (uint32_t src = p.code[pc].source; src && src != current) {
      runs.push_back({uint32_t(pc), labelOffsets[src - 1]});
      current = src;
    }
  uint64_t dataSize = 0;
  for (const Segment &s : p.segments)
    dataSize += s.bytes.size();
  uint32_t nTensors = uint32_t(p.inputs.size() + p.outputs.size());

  uint32_t headerBytes = runs.empty() ? kHeaderBytes : kHeaderBytesWithSources;
  uint32_t codeOff = headerBytes;
  uint64_t words = p.codeWords();
  uint32_t segOff = align16(codeOff + words * kInstrBytes);
  uint32_t ioOff = align16(segOff + uint64_t(p.segments.size()) * kSegEntryBytes);
  uint32_t dataOff = align16(ioOff + uint64_t(nTensors) * kTensorEntryBytes);
  uint32_t strOff = align16(dataOff + dataSize);
  uint32_t srcOff = align16(strOff + strtab.size());
  uint32_t end = align16(srcOff + uint64_t(runs.size()) * kSourceEntryBytes);
  uint32_t fileSize = end + 4;
  std::vector<uint8_t> b(fileSize, 0);

  std::memcpy(b.data(), "Q4AB", 4);
  put(b, 4, kVersionMajor, 2);
  put(b, 6, kVersionMinor, 2);
  put(b, 8, headerBytes, 4);
  put(b, 12, fileSize, 4);
  put(b, 16, 0, 4); // flags
  put(b, 20, nameOff, 4);
  put(b, 24, p.dramSize, 8);
  put(b, 32, p.arch.spBytes, 4);
  put(b, 36, p.arch.arrayRows, 2);
  put(b, 38, p.arch.arrayCols, 2);
  put(b, 40, codeOff, 4);
  put(b, 44, words, 4);
  put(b, 48, segOff, 4);
  put(b, 52, p.segments.size(), 4);
  put(b, 56, ioOff, 4);
  put(b, 60, nTensors, 4);
  put(b, 64, dataOff, 4);
  put(b, 68, dataSize, 4);
  put(b, 72, strOff, 4);
  put(b, 76, strtab.size(), 4);
  if (!runs.empty()) {
    put(b, 80, srcOff, 4);
    put(b, 84, runs.size(), 4);
    for (size_t i = 0; i < runs.size(); ++i) {
      put(b, srcOff + i * kSourceEntryBytes, runs[i].first, 4);
      put(b, srcOff + i * kSourceEntryBytes + 4, runs[i].second, 4);
    }
  }

  uint64_t at = codeOff;
  auto putWord = [&](const Word &w) {
    put(b, at, w[0], 8);
    put(b, at + 8, w[1], 8);
    at += kInstrBytes;
  };
  for (const Instr &in : p.code) {
    putWord(encode(in));
    for (size_t k = 0; k < in.steps.size(); ++k)
      putWord(encodeSteps(in, k));
  }
  uint64_t dpos = 0;
  for (size_t i = 0; i < p.segments.size(); ++i) {
    size_t e = segOff + i * kSegEntryBytes;
    put(b, e, p.segments[i].address, 8);
    put(b, e + 8, dpos, 4);
    put(b, e + 12, p.segments[i].bytes.size(), 4);
    std::copy(p.segments[i].bytes.begin(), p.segments[i].bytes.end(),
              b.begin() + long(dataOff + dpos));
    dpos += p.segments[i].bytes.size();
  }
  size_t ti = 0;
  for (const auto *list : {&p.inputs, &p.outputs})
    for (const TensorDesc &t : *list) {
      size_t e = ioOff + ti * kTensorEntryBytes;
      put(b, e, tensorNames[ti], 4);
      b[e + 4] = list == &p.inputs ? 0 : 1;
      b[e + 5] = uint8_t(t.dtype);
      b[e + 6] = uint8_t(t.shape.size());
      put(b, e + 8, t.dtype == DType::Code ? encodeFormat(t.format) : 0, 4);
      put(b, e + 16, t.address, 8);
      for (size_t d = 0; d < t.shape.size() && d < 8; ++d)
        put(b, e + 24 + 4 * d, t.shape[d], 4);
      ++ti;
    }
  std::copy(strtab.begin(), strtab.end(), b.begin() + strOff);
  put(b, end, crc32(b.data(), end), 4);
  return b;
}

std::optional<Program> readBinary(const uint8_t *data, size_t size,
                                  BinError &err) {
  auto fail = [&](uint64_t off, const std::string &m) -> std::optional<Program> {
    err.offset = off;
    err.message = m;
    return std::nullopt;
  };
  if (size < 4 || std::memcmp(data, "Q4AB", 4) != 0)
    return fail(0, size < 4 ? "truncated file: " + std::to_string(size) +
                                  " bytes, no magic"
                            : "bad magic: not a Q4A binary (expected 'Q4AB')");
  if (size < kHeaderBytes + 4)
    return fail(size, "truncated file: " + std::to_string(size) +
                          " bytes, the header alone needs " +
                          std::to_string(kHeaderBytes + 4));
  uint64_t major = get(data, 4, 2), minor = get(data, 6, 2);
  if (major != kVersionMajor)
    return fail(4, "unsupported version " + std::to_string(major) + "." +
                       std::to_string(minor) + " (this reader supports " +
                       std::to_string(kVersionMajor) + ".x)");
  // 80 bytes; 96 from version 1.3 on when the program has a source map.
  uint64_t headerBytes = get(data, 8, 4);
  bool withSources = minor >= 3 && headerBytes == kHeaderBytesWithSources;
  if (headerBytes != kHeaderBytes && !withSources) {
    std::string expected =
        minor >= 3
            ? " or " + std::to_string(kHeaderBytesWithSources)
            : " (version 1." + std::to_string(minor) + " has no source map)";
    return fail(8, "header size " + std::to_string(headerBytes) +
                       ", expected " + std::to_string(kHeaderBytes) + expected);
  }
  if (size < headerBytes + 4)
    return fail(size, "truncated file: " + std::to_string(size) +
                          " bytes, the header alone needs " +
                          std::to_string(headerBytes + 4));
  uint64_t fileSize = get(data, 12, 4);
  if (fileSize != size)
    return fail(12, "file size field says " + std::to_string(fileSize) +
                        " bytes but the file has " + std::to_string(size) +
                        (size < fileSize ? " (truncated)" : " (trailing bytes)"));
  uint32_t crcStored = uint32_t(get(data, size - 4, 4));
  uint32_t crcActual = crc32(data, size - 4);
  if (crcStored != crcActual)
    return fail(size - 4, "checksum mismatch: stored CRC-32 " + hex(crcStored) +
                              ", computed " + hex(crcActual));
  if (get(data, 16, 4) != 0)
    return fail(16, "unknown flags " + hex(get(data, 16, 4)) +
                        " (must be 0)");

  Program p;
  p.dramSize = get(data, 24, 8);
  p.arch.spBytes = uint32_t(get(data, 32, 4));
  p.arch.arrayRows = uint16_t(get(data, 36, 2));
  p.arch.arrayCols = uint16_t(get(data, 38, 2));
  if (std::string e = p.arch.validate(); !e.empty())
    return fail(32, "bad architecture parameters: " + e);

  struct Sec {
    const char *name;
    uint64_t hdr, off, size;
  };
  uint64_t codeCount = get(data, 44, 4), segCount = get(data, 52, 4),
           ioCount = get(data, 60, 4);
  Sec secs[] = {
      {"code", 40, get(data, 40, 4), codeCount * kInstrBytes},
      {"segment table", 48, get(data, 48, 4), segCount * kSegEntryBytes},
      {"tensor table", 56, get(data, 56, 4), ioCount * kTensorEntryBytes},
      {"data", 64, get(data, 64, 4), get(data, 68, 4)},
      {"string table", 72, get(data, 72, 4), get(data, 76, 4)},
      {"source map", 80, withSources ? get(data, 80, 4) : headerBytes,
       withSources ? get(data, 84, 4) * kSourceEntryBytes : 0},
  };
  if (withSources && get(data, 88, 8) != 0)
    return fail(88, "reserved header bytes 88..95 are not zero");
  uint64_t limit = size - 4;
  for (const Sec &s : secs) {
    if (s.off % 16 || s.off < headerBytes || s.off + s.size > limit)
      return fail(s.hdr, std::string("section '") + s.name + "' [" +
                             hex(s.off) + ", " + hex(s.off + s.size) +
                             ") is misaligned or outside the file body [" +
                             hex(headerBytes) + ", " + hex(limit) + ")");
  }
  constexpr size_t kSections = sizeof(secs) / sizeof(secs[0]);
  for (size_t i = 0; i < kSections; ++i)
    for (size_t j = i + 1; j < kSections; ++j)
      if (secs[i].size && secs[j].size && secs[i].off < secs[j].off + secs[j].size &&
          secs[j].off < secs[i].off + secs[i].size)
        return fail(secs[j].hdr, std::string("section '") + secs[j].name +
                                     "' overlaps section '" + secs[i].name +
                                     "'");
  const Sec &str = secs[4];
  auto getStr = [&](uint64_t at, uint64_t off, std::string &out) -> bool {
    if (off >= str.size)
      return fail(at, "string offset " + std::to_string(off) +
                          " is outside the string table"),
             false;
    const uint8_t *s = data + str.off + off;
    const void *nul = std::memchr(s, 0, size_t(str.size - off));
    if (!nul)
      return fail(at, "string at offset " + std::to_string(off) +
                          " is not NUL-terminated"),
             false;
    out.assign(reinterpret_cast<const char *>(s),
               size_t(static_cast<const uint8_t *>(nul) - s));
    return true;
  };
  if (!getStr(20, get(data, 20, 4), p.name))
    return std::nullopt;

  // The code: instruction words, each inside loops followed by one step
  // word per enclosing loop (ISA.md §2.5); the loops' bodies are counted in
  // instructions.
  LoopNest nest;
  for (uint64_t wi = 0; wi < codeCount;) {
    uint64_t off = secs[0].off + wi * kInstrBytes;
    Word w{get(data, off, 8), get(data, off + 8, 8)};
    std::string e;
    size_t pc = p.code.size();
    auto in = decode(w, p.arch, &e);
    if (!in)
      return fail(off, "instruction " + std::to_string(pc) + ": " + e);
    ++wi;
    unsigned depth = nest.depthAt(pc);
    if (in->opcode == Opcode::LOOP) {
      if (depth == kMaxLoopDepth)
        return fail(off, "instruction " + std::to_string(pc) +
                             ": loop: loops nest deeper than " +
                             std::to_string(kMaxLoopDepth) + " (Q27)");
      nest.open(pc, *in);
    } else {
      for (size_t k = 0; k < depth; ++k, ++wi) {
        uint64_t soff = secs[0].off + wi * kInstrBytes;
        if (wi >= codeCount)
          return fail(soff, "instruction " + std::to_string(pc) +
                                ": the code ends before its step word for "
                                "loop " +
                                std::to_string(k) + " (Q28)");
        auto steps =
            decodeSteps({get(data, soff, 8), get(data, soff + 8, 8)}, *in, &e);
        if (!steps)
          return fail(soff, "instruction " + std::to_string(pc) + ": " + e);
        in->steps.push_back(std::move(*steps));
      }
    }
    p.code.push_back(std::move(*in));
  }
  uint64_t instrCount = p.code.size();
  // The source map: runs of instructions, each from its pc to the next's.
  const Sec &map = secs[5];
  uint64_t runs = map.size / kSourceEntryBytes;
  for (uint64_t i = 0; i < runs; ++i) {
    uint64_t e = map.off + i * kSourceEntryBytes;
    uint64_t pc = get(data, e, 4);
    if (pc >= instrCount)
      return fail(e, "source map entry " + std::to_string(i) + ": pc " +
                         std::to_string(pc) +
                         " is past the last instruction (" +
                         std::to_string(instrCount) + " in the code)");
    if (i > 0 && pc <= get(data, e - kSourceEntryBytes, 4))
      return fail(e, "source map entry " + std::to_string(i) + ": pc " +
                         std::to_string(pc) +
                         " does not follow the previous entry's");
    std::string label;
    if (!getStr(e + 4, get(data, e + 4, 4), label))
      return std::nullopt;
    if (label.empty())
      return fail(e + 4, "source map entry " + std::to_string(i) +
                             ": empty label (Q26)");
    uint32_t src = p.internSource(label);
    uint64_t next =
        i + 1 < runs ? get(data, e + kSourceEntryBytes, 4) : instrCount;
    for (uint64_t k = pc; k < std::min(next, instrCount); ++k)
      p.code[k].source = src;
  }
  for (uint64_t i = 0; i < segCount; ++i) {
    uint64_t e = secs[1].off + i * kSegEntryBytes;
    uint64_t addr = get(data, e, 8), doff = get(data, e + 8, 4),
             dsize = get(data, e + 12, 4);
    if (doff + dsize > secs[3].size)
      return fail(e + 8, "data segment " + std::to_string(i) +
                             " lies outside the data section");
    Segment s;
    s.address = addr;
    s.bytes.assign(data + secs[3].off + doff,
                   data + secs[3].off + doff + dsize);
    p.segments.push_back(std::move(s));
  }
  for (uint64_t i = 0; i < ioCount; ++i) {
    uint64_t e = secs[2].off + i * kTensorEntryBytes;
    TensorDesc t;
    if (!getStr(e, get(data, e, 4), t.name))
      return std::nullopt;
    uint8_t kind = data[e + 4], dtype = data[e + 5], rank = data[e + 6];
    if (kind > 1)
      return fail(e + 4, "tensor '" + t.name + "': kind " +
                             std::to_string(kind) +
                             " is neither input (0) nor output (1)");
    if (dtype > uint8_t(DType::Code))
      return fail(e + 5, "tensor '" + t.name + "': unknown dtype " +
                             std::to_string(dtype));
    if (rank > 8)
      return fail(e + 6, "tensor '" + t.name + "': rank " +
                             std::to_string(rank) + " exceeds 8");
    if (data[e + 7] || get(data, e + 12, 4))
      return fail(e + 7, "tensor '" + t.name + "': reserved bytes not zero");
    t.dtype = DType(dtype);
    uint64_t fdesc = get(data, e + 8, 4);
    if (t.dtype == DType::Code) {
      std::string fe;
      auto f = decodeFormat(fdesc, &fe);
      if (!f)
        return fail(e + 8, "tensor '" + t.name + "': " + fe);
      t.format = *f;
    } else if (fdesc) {
      return fail(e + 8, "tensor '" + t.name +
                             "': format must be 0 for a non-code dtype");
    }
    t.address = get(data, e + 16, 8);
    for (unsigned d = 0; d < 8; ++d) {
      uint64_t v = get(data, e + 24 + 4 * d, 4);
      if (d < rank)
        t.shape.push_back(uint32_t(v));
      else if (v)
        return fail(e + 24 + 4 * d, "tensor '" + t.name +
                                        "': unused dimension slot not zero");
    }
    if (kind == 0 && !p.outputs.empty())
      return fail(e + 4, "tensor '" + t.name +
                             "': inputs must precede outputs");
    (kind == 0 ? p.inputs : p.outputs).push_back(std::move(t));
  }
  std::string e = p.validate();
  if (!e.empty()) {
    uint64_t at = 0;
    unsigned long idx;
    if (std::sscanf(e.c_str(), "instruction %lu:", &idx) == 1)
      at = secs[0].off + idx * kInstrBytes;
    return fail(at, e);
  }
  return p;
}

std::string printHexListing(const Program &p) {
  std::string s;
  char buf[96];
  size_t word = 0;
  for (const Instr &in : p.code) {
    Word w = encode(in);
    std::snprintf(buf, sizeof buf, "%04zx: %016" PRIx64 " %016" PRIx64 "  ",
                  word++ * kInstrBytes, w[1], w[0]);
    s += buf;
    s += printInstr(in) + "\n";
    for (size_t k = 0; k < in.steps.size(); ++k) {
      Word sw = encodeSteps(in, k);
      std::snprintf(buf, sizeof buf,
                    "%04zx: %016" PRIx64 " %016" PRIx64 "    step word %zu\n",
                    word++ * kInstrBytes, sw[1], sw[0], k);
      s += buf;
    }
  }
  return s;
}

std::string printEncodingTables() {
  std::string s;
  char buf[160];
  for (const OpInfo &op : instructionTable()) {
    std::string unit = isDependencyToken(op.opcode)
                           ? "the unit its `unit` field names"
                           : std::string(unitName(op.unit)) + " unit";
    std::snprintf(buf, sizeof buf, "#### `%s` — opcode 0x%02x, %s\n\n",
                  op.mnemonic, unsigned(op.opcode), unit.c_str());
    s += buf;
    s += std::string(op.summary) + ".\n\n";
    s += "| bits | field | kind | legal values |\n|---|---|---|---|\n";
    s += "| 7:0 | opcode | — | " + hex(uint8_t(op.opcode)) + " |\n";
    unsigned used = 8;
    for (const FieldInfo &f : op.fields) {
      const char *kind = "";
      switch (f.kind) {
      case FieldKind::UInt: kind = "unsigned"; break;
      case FieldKind::SInt: kind = "signed"; break;
      case FieldKind::Addr: kind = "address"; break;
      case FieldKind::Imm: kind = "immediate"; break;
      case FieldKind::F32: kind = "binary32 bits"; break;
      case FieldKind::XReg: kind = "x register"; break;
      case FieldKind::FReg: kind = "f register"; break;
      case FieldKind::Fmt: kind = "format descriptor"; break;
      case FieldKind::Rnd: kind = "rounding"; break;
      case FieldKind::Acc: kind = "accumulation"; break;
      case FieldKind::VFn: kind = "function"; break;
      case FieldKind::Red: kind = "reduction"; break;
      case FieldKind::Axis: kind = "axis"; break;
      case FieldKind::Mask: kind = "unit mask"; break;
      case FieldKind::UnitId: kind = "unit (1 dma .. 4 sfu)"; break;
      }
      std::string range;
      if (f.kind == FieldKind::SInt)
        range = std::to_string(-(int64_t(1) << (f.width - 1))) + " .. " +
                std::to_string((int64_t(1) << (f.width - 1)) - 1);
      else if (f.kind == FieldKind::Fmt)
        range = "valid descriptor (§6.1)";
      else if (f.kind == FieldKind::VFn)
        range = "§5.1";
      else
        range = std::to_string(f.min) + " .. " + std::to_string(f.max);
      if (f.dest)
        range += ", not 0";
      std::snprintf(buf, sizeof buf, "| %u:%u | `%s` | %s | %s |\n",
                    unsigned(f.lsb + f.width - 1), unsigned(f.lsb), f.name,
                    kind, range.c_str());
      s += buf;
      used = f.lsb + f.width;
    }
    if (used < 128) {
      std::snprintf(buf, sizeof buf, "| 127:%u | reserved | — | 0 |\n", used);
      s += buf;
    }
    s += "\n";
  }
  return s;
}

} // namespace quant4::q4a
