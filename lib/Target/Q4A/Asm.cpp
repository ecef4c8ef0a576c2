//===- Asm.cpp - Q4A assembly printer and parser --------------------------===//
//
// docs/ISA.md §7. One instruction per line: `mnemonic field=value, ...`, the
// fields in table order; `;` starts a comment. Directives describe the
// program container: .program .arch .dram .input .output .data .hex .text,
// and .source "LABEL" within .text (the source map).
//
//===----------------------------------------------------------------------===//
#include "quant4/Target/Q4A/ISA.h"

#include "quant4/Numerics/Accumulate.h"
#include "quant4/Numerics/Rounding.h"

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

namespace quant4::q4a {

namespace {
std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

std::string printValue(const FieldInfo &f, uint64_t v) {
  switch (f.kind) {
  case FieldKind::UInt:
  case FieldKind::Imm: return std::to_string(v);
  case FieldKind::SInt: return std::to_string(int64_t(v));
  case FieldKind::Addr:
  case FieldKind::F32:
  case FieldKind::Mask: return hex(v);
  case FieldKind::XReg: return "x" + std::to_string(v);
  case FieldKind::FReg: return "f" + std::to_string(v);
  case FieldKind::Fmt: {
    auto fmt = decodeFormat(v, nullptr);
    return fmt ? fmt->str() : "fmt(" + hex(v) + ")";
  }
  case FieldKind::Rnd:
    return v < 5 ? std::string(num::roundingName(num::Rounding(v)))
                 : std::to_string(v);
  case FieldKind::Acc:
    return v < 4 ? std::string(num::accumName(num::AccumKind(v)))
                 : std::to_string(v);
  case FieldKind::VFn: {
    auto n = vfnName(v);
    return n ? std::string(*n) : std::to_string(v);
  }
  case FieldKind::Red: {
    auto n = redName(v);
    return n ? std::string(*n) : std::to_string(v);
  }
  case FieldKind::Axis: {
    auto n = axisName(v);
    return n ? std::string(*n) : std::to_string(v);
  }
  case FieldKind::UnitId:
    return v <= uint64_t(Unit::SFU) ? std::string(unitName(Unit(v)))
                                    : std::to_string(v);
  }
  return std::to_string(v);
}

std::string tensorType(const TensorDesc &t) {
  std::string s = t.dtype == DType::Code ? "code<" + t.format.str() + ">"
                                         : std::string(dtypeName(t.dtype));
  s += "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(t.shape[i]);
  return s + "]";
}
} // namespace

std::string printInstr(const Instr &in) {
  const OpInfo *info = lookup(in.opcode);
  if (!info)
    return "; unknown opcode " + hex(uint8_t(in.opcode));
  std::string s = info->mnemonic;
  for (size_t i = 0; i < info->fields.size() && i < in.fields.size(); ++i) {
    const FieldInfo &f = info->fields[i];
    s += i ? ", " : " ";
    s += f.name;
    s += "=";
    s += printValue(f, in.fields[i]);
    // Steps inside loops (ISA.md §7): "+STEP*iK" per enclosing loop K.
    for (size_t k = 0; k < in.steps.size(); ++k) {
      int64_t st = i < in.steps[k].size() ? in.steps[k][i] : 0;
      if (!st)
        continue;
      uint64_t mag = st < 0 ? uint64_t(0) - uint64_t(st) : uint64_t(st);
      s += st < 0 ? "-" : "+";
      s += f.kind == FieldKind::Addr ? hex(mag) : std::to_string(mag);
      s += "*i" + std::to_string(k);
    }
  }
  return s;
}

/// `label` in double quotes; '"', '\\' and line breaks escaped.
static std::string quoted(const std::string &label) {
  std::string q = "\"";
  for (char c : label) {
    if (c == '"' || c == '\\')
      q += '\\';
    if (c == '\n')
      q += "\\n";
    else
      q += c;
  }
  return q + "\"";
}

std::string printAssembly(const Program &p) {
  std::string s = "; Q4A assembly (docs/ISA.md)\n";
  s += ".program " + p.name + "\n";
  s += ".arch sp=" + std::to_string(p.arch.spBytes) +
       " rows=" + std::to_string(p.arch.arrayRows) +
       " cols=" + std::to_string(p.arch.arrayCols) + "\n";
  s += ".dram " + hex(p.dramSize) + "\n";
  for (const TensorDesc &t : p.inputs)
    s += ".input " + t.name + " " + tensorType(t) + " @" + hex(t.address) + "\n";
  for (const TensorDesc &t : p.outputs)
    s += ".output " + t.name + " " + tensorType(t) + " @" + hex(t.address) +
         "\n";
  for (const Segment &seg : p.segments) {
    s += ".data @" + hex(seg.address) + " size=" +
         std::to_string(seg.bytes.size()) + "\n";
    for (size_t i = 0; i < seg.bytes.size(); i += 32) {
      s += ".hex ";
      for (size_t j = i; j < seg.bytes.size() && j < i + 32; ++j) {
        char b[4];
        std::snprintf(b, sizeof b, "%02x", seg.bytes[j]);
        s += b;
      }
      s += "\n";
    }
  }
  s += ".text\n";
  uint32_t current = 0;
  LoopNest nest; // loop bodies are indented
  for (size_t pc = 0; pc < p.code.size(); ++pc) {
    const Instr &in = p.code[pc];
    unsigned depth = nest.depthAt(pc);
    if (in.source && in.source != current) {
      s += ".source " + quoted(p.sources[in.source - 1]) + "\n";
      current = in.source;
    }
    s += std::string(2 + 2 * depth, ' ') + printInstr(in) + "\n";
    if (in.opcode == Opcode::LOOP)
      nest.open(pc, in);
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {
struct LineParser {
  std::string_view text;
  size_t pos = 0;
  unsigned line;
  AsmError *err;

  bool fail(const std::string &m) {
    err->line = line;
    err->column = unsigned(pos + 1);
    err->message = m;
    return false;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
      ++pos;
  }
  bool atEnd() {
    skipSpace();
    return pos >= text.size();
  }
  static bool identChar(char c) {
    return std::isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$' ||
           c == '-';
  }
  std::string_view ident() {
    skipSpace();
    size_t b = pos;
    while (pos < text.size() && identChar(text[pos]))
      ++pos;
    return text.substr(b, pos - b);
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  /// A value: everything up to a ',' at bracket depth 0 (or end of line).
  std::string_view value() {
    skipSpace();
    size_t b = pos;
    int depth = 0;
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '<' || c == '[' || c == '(')
        ++depth;
      else if (c == '>' || c == ']' || c == ')')
        --depth;
      else if (c == ',' && depth <= 0)
        break;
      ++pos;
    }
    size_t e = pos;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t'))
      --e;
    return text.substr(b, e - b);
  }
};

std::optional<uint64_t> parseUnsigned(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  uint64_t v = 0;
  int base = 10;
  size_t i = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  for (; i < s.size(); ++i) {
    char c = char(std::tolower((unsigned char)s[i]));
    int d = std::isdigit((unsigned char)c) ? c - '0'
            : (base == 16 && c >= 'a' && c <= 'f') ? c - 'a' + 10
                                                    : -1;
    if (d < 0)
      return std::nullopt;
    if (v > (~uint64_t(0) - uint64_t(d)) / uint64_t(base))
      return std::nullopt; // overflow
    v = v * uint64_t(base) + uint64_t(d);
  }
  return v;
}

std::optional<uint64_t> parseSigned(std::string_view s) {
  if (!s.empty() && s[0] == '-') {
    auto v = parseUnsigned(s.substr(1));
    if (!v || *v > uint64_t(1) << 63)
      return std::nullopt;
    return uint64_t(0) - *v;
  }
  return parseUnsigned(s);
}

/// Parses one field value; on error returns nullopt and a reason.
std::optional<uint64_t> parseFieldValue(const FieldInfo &f, std::string_view s,
                                        std::string &why) {
  auto reg = [&](char prefix) -> std::optional<uint64_t> {
    if (s.size() < 2 || s[0] != prefix) {
      why = std::string("expected a register ") + prefix + "0.." + prefix +
            "31";
      return std::nullopt;
    }
    auto v = parseUnsigned(s.substr(1));
    if (!v || *v > 31) {
      why = std::string("expected a register ") + prefix + "0.." + prefix +
            "31";
      return std::nullopt;
    }
    return v;
  };
  switch (f.kind) {
  case FieldKind::UInt:
  case FieldKind::Addr:
  case FieldKind::F32:
  case FieldKind::Mask: {
    auto v = parseUnsigned(s);
    if (!v)
      why = "expected an unsigned integer";
    return v;
  }
  case FieldKind::Imm:
  case FieldKind::SInt: {
    auto v = parseSigned(s);
    if (!v)
      why = "expected an integer";
    return v;
  }
  case FieldKind::XReg: return reg('x');
  case FieldKind::FReg: return reg('f');
  case FieldKind::Fmt: {
    auto fmt = num::parseFormat(s);
    if (!fmt || !num::isValidFormat(*fmt)) {
      why = "expected a format (log<r,e,p,b>, int4, uint4, e2m1, e4m3, e5m2, "
            "e8m0, f16, bf16, f32)";
      return std::nullopt;
    }
    return encodeFormat(*fmt);
  }
  case FieldKind::Rnd: {
    auto r = num::parseRounding(s);
    if (!r)
      why = "expected a rounding mode (nearest, nearest_log, nearest_even, "
            "stochastic, stochastic_underflow)";
    return r ? std::optional<uint64_t>(uint64_t(*r)) : std::nullopt;
  }
  case FieldKind::Acc: {
    auto a = num::parseAccum(s);
    if (!a)
      why = "expected an accumulation (f32, f16, f16_chunked, exact)";
    return a ? std::optional<uint64_t>(uint64_t(*a)) : std::nullopt;
  }
  case FieldKind::VFn: {
    auto fn = parseVFn(s);
    if (!fn)
      why = "expected a function name (mov, add, cmp.gt, sel, ...)";
    return fn ? std::optional<uint64_t>(uint64_t(*fn)) : std::nullopt;
  }
  case FieldKind::Red:
    for (uint64_t i = 0; i < 4; ++i)
      if (s == *redName(i))
        return i;
    why = "expected sum, max, min or amax";
    return std::nullopt;
  case FieldKind::Axis:
    for (uint64_t i = 0; i < 3; ++i)
      if (s == *axisName(i))
        return i;
    why = "expected all, row or col";
    return std::nullopt;
  case FieldKind::UnitId: // the units with a queue
    for (uint64_t i = uint64_t(Unit::DMA); i <= uint64_t(Unit::SFU); ++i)
      if (s == unitName(Unit(i)))
        return i;
    why = "expected a unit: dma, mxu, vpu or sfu";
    return std::nullopt;
  }
  return std::nullopt;
}

/// Splits the steps off a field value inside loops, "BASE+STEP*iK-STEP*iK"
/// (ISA.md §7), into steps[K][field]; `v` keeps the base. False with a
/// reason on a malformed term or a loop K that does not enclose the
/// instruction (a term on a field that cannot step fails as a bad value).
bool parseSteps(const FieldInfo &f, std::string_view &v, size_t field,
                std::vector<std::vector<int64_t>> &steps, std::string &why) {
  if (!isSteppable(f))
    return true; // a value of another kind has no terms ('-' in a format)
  size_t cut = v.find_first_of("+-", 1);
  if (cut == std::string_view::npos)
    return true;
  std::string_view terms = v.substr(cut);
  v = v.substr(0, cut);
  while (!terms.empty()) {
    bool neg = terms[0] == '-';
    size_t next = terms.find_first_of("+-", 1);
    std::string_view term = terms.substr(
        1, next == std::string_view::npos ? std::string_view::npos : next - 1);
    terms = next == std::string_view::npos ? std::string_view()
                                           : terms.substr(next);
    size_t star = term.find("*i");
    std::optional<uint64_t> mag = parseUnsigned(term.substr(0, star));
    std::optional<uint64_t> loop = star == std::string_view::npos
                                       ? std::nullopt
                                       : parseUnsigned(term.substr(star + 2));
    if (!mag || !loop || *mag > uint64_t(1) << 63) {
      why = "expected steps '+STEP*iK' or '-STEP*iK'";
      return false;
    }
    if (*loop >= steps.size()) {
      why = "i" + std::to_string(*loop) +
            " names no loop around the "
            "instruction (" +
            std::to_string(steps.size()) + " enclose it)";
      return false;
    }
    steps[*loop][field] += neg ? int64_t(uint64_t(0) - *mag) : int64_t(*mag);
  }
  return true;
}

bool parseTensor(LineParser &lp, TensorDesc &t) {
  std::string_view name = lp.ident();
  if (name.empty())
    return lp.fail("expected a tensor name");
  t.name = std::string(name);
  lp.skipSpace();
  std::string_view ty = lp.ident();
  if (ty == "code") {
    if (!lp.consume('<'))
      return lp.fail("expected '<' after 'code'");
    size_t b = lp.pos;
    int depth = 1;
    while (lp.pos < lp.text.size() && depth) {
      if (lp.text[lp.pos] == '<')
        ++depth;
      else if (lp.text[lp.pos] == '>')
        --depth;
      ++lp.pos;
    }
    if (depth)
      return lp.fail("unterminated 'code<...>'");
    auto f = num::parseFormat(lp.text.substr(b, lp.pos - 1 - b));
    if (!f || !num::isValidFormat(*f))
      return lp.fail("invalid format in 'code<...>'");
    t.dtype = DType::Code;
    t.format = *f;
  } else {
    bool found = false;
    for (uint8_t d = 0; d < 7; ++d)
      if (ty == dtypeName(DType(d))) {
        t.dtype = DType(d);
        found = true;
      }
    if (!found)
      return lp.fail("unknown element type '" + std::string(ty) +
                     "' (expected f32, f16, bf16, i8, u8, i32, i64, code<fmt>)");
  }
  if (!lp.consume('['))
    return lp.fail("expected '[' (shape)");
  if (!lp.consume(']')) {
    do {
      lp.skipSpace();
      size_t b = lp.pos;
      while (lp.pos < lp.text.size() && std::isalnum((unsigned char)lp.text[lp.pos]))
        ++lp.pos;
      auto d = parseUnsigned(lp.text.substr(b, lp.pos - b));
      if (!d || *d > 0xFFFFFFFFu)
        return lp.fail("expected a dimension size");
      t.shape.push_back(uint32_t(*d));
    } while (lp.consume(','));
    if (!lp.consume(']'))
      return lp.fail("expected ']'");
  }
  if (!lp.consume('@'))
    return lp.fail("expected '@address'");
  auto a = parseUnsigned(lp.value());
  if (!a)
    return lp.fail("expected an address");
  t.address = *a;
  return true;
}

bool parseKeyValues(LineParser &lp, std::map<std::string, uint64_t> &kv) {
  while (!lp.atEnd()) {
    std::string_view k = lp.ident();
    if (k.empty() || !lp.consume('='))
      return lp.fail("expected key=value");
    lp.skipSpace();
    size_t b = lp.pos;
    while (lp.pos < lp.text.size() && !std::isspace((unsigned char)lp.text[lp.pos]))
      ++lp.pos;
    auto v = parseUnsigned(lp.text.substr(b, lp.pos - b));
    if (!v)
      return lp.fail("expected an unsigned integer for '" + std::string(k) +
                     "'");
    kv[std::string(k)] = *v;
  }
  return true;
}
/// Where the comment of `line` starts: its first ';' outside a quoted
/// string (only `.source` labels are quoted); the line's size if none.
size_t commentStart(std::string_view line) {
  bool inQuotes = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (inQuotes && line[i] == '\\')
      ++i;
    else if (line[i] == '"')
      inQuotes = !inQuotes;
    else if (line[i] == ';' && !inQuotes)
      return i;
  }
  return line.size();
}

/// A double-quoted label with the escapes of quoted(); nullopt (and a
/// reason) if it is not one.
std::optional<std::string> unquote(LineParser &lp) {
  if (!lp.consume('"'))
    return lp.fail("expected a double-quoted label"), std::nullopt;
  std::string out;
  while (lp.pos < lp.text.size() && lp.text[lp.pos] != '"') {
    if (lp.text[lp.pos] == '\0')
      return lp.fail("a NUL byte in a label (Q26)"), std::nullopt;
    char c = lp.text[lp.pos++];
    if (c == '\\') {
      if (lp.pos >= lp.text.size())
        break;
      char e = lp.text[lp.pos++];
      if (e == 'n')
        c = '\n';
      else if (e == '"' || e == '\\')
        c = e;
      else
        return lp.fail(std::string("unknown escape '\\") + e + "' in a label"),
               std::nullopt;
    }
    out += c;
  }
  if (!lp.consume('"'))
    return lp.fail("unterminated label (missing '\"')"), std::nullopt;
  if (out.empty())
    return lp.fail("empty label (Q26)"), std::nullopt;
  return out;
}
} // namespace

std::optional<Program> parseAssembly(std::string_view text, AsmError &err) {
  Program p;
  bool inText = false, haveName = false;
  uint32_t source = 0; // the label of the last .source directive
  Segment *cur = nullptr;
  size_t curSize = 0;
  unsigned lineNo = 0;
  size_t start = 0;
  std::vector<unsigned> lines; // source line of each instruction
  LoopNest nest;               // how many step vectors an instruction gets
  auto finishSegment = [&](LineParser &lp) {
    if (cur && cur->bytes.size() != curSize)
      return lp.fail("data segment declares size=" + std::to_string(curSize) +
                     " but has " + std::to_string(cur->bytes.size()) +
                     " bytes of .hex");
    return true;
  };
  LineParser last{std::string_view(), 0, 0, &err};
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(start, end - start);
    ++lineNo;
    line = line.substr(0, commentStart(line));
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    LineParser lp{line, 0, lineNo, &err};
    last = lp;
    start = end + 1;
    if (lp.atEnd()) {
      if (end == text.size())
        break;
      continue;
    }
    if (lp.text[lp.pos] == '.' && !inText) {
      std::string_view d = lp.ident();
      if (d != ".hex" && !finishSegment(lp))
        return std::nullopt;
      if (d != ".hex")
        cur = nullptr;
      if (d == ".program") {
        std::string_view n = lp.ident();
        if (n.empty())
          return lp.fail("expected a program name"), std::nullopt;
        p.name = std::string(n);
        haveName = true;
      } else if (d == ".arch") {
        std::map<std::string, uint64_t> kv;
        if (!parseKeyValues(lp, kv))
          return std::nullopt;
        for (auto &[k, v] : kv) {
          if (k == "sp" && v <= 0xFFFFFFFFu)
            p.arch.spBytes = uint32_t(v);
          else if (k == "rows" && v <= 0xFFFF)
            p.arch.arrayRows = uint16_t(v);
          else if (k == "cols" && v <= 0xFFFF)
            p.arch.arrayCols = uint16_t(v);
          else
            return lp.fail("unknown or out-of-range .arch key '" + k + "'"),
                   std::nullopt;
        }
        std::string e = p.arch.validate();
        if (!e.empty())
          return lp.fail(e), std::nullopt;
      } else if (d == ".dram") {
        auto v = parseUnsigned(lp.value());
        if (!v)
          return lp.fail("expected the DRAM size"), std::nullopt;
        p.dramSize = *v;
      } else if (d == ".input" || d == ".output") {
        TensorDesc t;
        if (!parseTensor(lp, t))
          return std::nullopt;
        (d == ".input" ? p.inputs : p.outputs).push_back(std::move(t));
      } else if (d == ".data") {
        if (!lp.consume('@'))
          return lp.fail("expected '@address'"), std::nullopt;
        lp.skipSpace();
        size_t b = lp.pos;
        while (lp.pos < lp.text.size() && !std::isspace((unsigned char)lp.text[lp.pos]))
          ++lp.pos;
        auto a = parseUnsigned(lp.text.substr(b, lp.pos - b));
        std::map<std::string, uint64_t> kv;
        if (!a)
          return lp.fail("expected an address"), std::nullopt;
        if (!parseKeyValues(lp, kv))
          return std::nullopt;
        if (kv.size() != 1 || !kv.count("size"))
          return lp.fail("expected 'size=N'"), std::nullopt;
        p.segments.push_back(Segment{*a, {}});
        cur = &p.segments.back();
        curSize = kv["size"];
      } else if (d == ".hex") {
        if (!cur)
          return lp.fail("'.hex' outside a '.data' segment"), std::nullopt;
        std::string_view h = lp.ident();
        if (h.size() % 2)
          return lp.fail("odd number of hex digits"), std::nullopt;
        for (size_t i = 0; i < h.size(); i += 2) {
          auto v = parseUnsigned(std::string("0x") + std::string(h.substr(i, 2)));
          if (!v)
            return lp.fail("invalid hex byte '" + std::string(h.substr(i, 2)) +
                           "'"),
                   std::nullopt;
          cur->bytes.push_back(uint8_t(*v));
        }
        if (cur->bytes.size() > curSize)
          return lp.fail("more .hex bytes than the segment's size=" +
                         std::to_string(curSize)),
                 std::nullopt;
      } else if (d == ".text") {
        inText = true;
      } else if (d == ".source") {
        return lp.fail("'.source' labels instructions: it belongs after "
                       "'.text'"),
               std::nullopt;
      } else {
        return lp.fail("unknown directive '" + std::string(d) + "'"),
               std::nullopt;
      }
      if (!lp.atEnd())
        return lp.fail("unexpected text after the directive"), std::nullopt;
      if (end == text.size())
        break;
      continue;
    }
    if (!inText)
      return lp.fail("instruction before '.text'"), std::nullopt;
    lp.skipSpace();
    if (lp.text.substr(lp.pos).rfind(".source", 0) == 0) {
      lp.ident();
      std::optional<std::string> label = unquote(lp);
      if (!label)
        return std::nullopt;
      if (!lp.atEnd())
        return lp.fail("unexpected text after the directive"), std::nullopt;
      source = p.internSource(*label);
      if (end == text.size())
        break;
      continue;
    }
    size_t mpos = lp.pos;
    std::string_view mn = lp.ident();
    const OpInfo *info = lookupMnemonic(mn);
    if (!info) {
      lp.pos = mpos;
      return lp.fail("unknown mnemonic '" + std::string(mn) + "'"),
             std::nullopt;
    }
    Instr in = Instr::make(info->opcode);
    unsigned depth = nest.depthAt(p.code.size());
    if (in.opcode != Opcode::LOOP)
      in.steps.assign(depth, std::vector<int64_t>(info->fields.size(), 0));
    std::vector<bool> seen(info->fields.size(), false);
    bool first = true;
    while (!lp.atEnd()) {
      if (!first && !lp.consume(','))
        return lp.fail("expected ',' between fields"), std::nullopt;
      first = false;
      lp.skipSpace();
      size_t fpos = lp.pos;
      std::string_view name = lp.ident();
      int idx = fieldIndex(*info, name);
      if (idx < 0) {
        lp.pos = fpos;
        return lp.fail(std::string(info->mnemonic) + " has no field '" +
                       std::string(name) + "'"),
               std::nullopt;
      }
      if (seen[size_t(idx)]) {
        lp.pos = fpos;
        return lp.fail("field '" + std::string(name) + "' given twice"),
               std::nullopt;
      }
      if (!lp.consume('='))
        return lp.fail("expected '=' after field name"), std::nullopt;
      lp.skipSpace();
      size_t vpos = lp.pos;
      std::string_view v = lp.value();
      std::string why;
      const FieldInfo &f = info->fields[size_t(idx)];
      std::string_view whole = v;
      if (!parseSteps(f, v, size_t(idx), in.steps, why)) {
        lp.pos = vpos;
        return lp.fail("field '" + std::string(name) + "': " + why + ", got '" +
                       std::string(whole) + "'"),
               std::nullopt;
      }
      auto val = parseFieldValue(f, v, why);
      if (!val) {
        lp.pos = vpos;
        return lp.fail("field '" + std::string(name) + "': " + why + ", got '" +
                       std::string(v) + "'"),
               std::nullopt;
      }
      seen[size_t(idx)] = true;
      in.fields[size_t(idx)] = *val;
    }
    for (size_t i = 0; i < seen.size(); ++i)
      if (!seen[i])
        return lp.fail(std::string(info->mnemonic) + ": missing field '" +
                       info->fields[i].name + "'"),
               std::nullopt;
    std::string e = validate(in, p.arch);
    if (!e.empty()) {
      lp.pos = mpos;
      return lp.fail(e), std::nullopt;
    }
    in.source = source;
    if (in.opcode == Opcode::LOOP)
      nest.open(p.code.size(), in);
    p.code.push_back(std::move(in));
    lines.push_back(lineNo);
    if (end == text.size())
      break;
  }
  if (!finishSegment(last))
    return std::nullopt;
  if (!haveName) {
    err = AsmError{1, 1, "missing '.program NAME' directive"};
    return std::nullopt;
  }
  std::string e = p.validate();
  if (!e.empty()) {
    unsigned long idx;
    err = AsmError{0, 0, e};
    if (std::sscanf(e.c_str(), "instruction %lu:", &idx) == 1 &&
        idx < lines.size())
      err = AsmError{lines[idx], 3, e};
    return std::nullopt;
  }
  return p;
}

} // namespace quant4::q4a
