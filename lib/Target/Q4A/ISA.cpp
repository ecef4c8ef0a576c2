//===- ISA.cpp - Q4A instruction table, encoding and validation -----------===//
//
// docs/ISA.md §3-§6. The table below is the single description of every
// instruction's fields; encoder, decoder, validator, assembly printer and
// parser, the q4a dialect's verifier and the generated encoding tables all
// read it.
//
//===----------------------------------------------------------------------===//
#include "quant4/Target/Q4A/ISA.h"

#include "quant4/Numerics/Accumulate.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Numerics/Scale.h"
#include "quant4/Support/Sizes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace quant4::q4a {

std::string Arch::validate() const {
  if (spBytes < 1024 || spBytes > (1u << 20))
    return "scratchpad size must be in [1024, 1048576] bytes, got " +
           std::to_string(spBytes);
  if (arrayRows < 1 || arrayRows > 63 || arrayCols < 1 || arrayCols > 63)
    return "MXU array must be between 1x1 and 63x63, got " +
           std::to_string(arrayRows) + "x" + std::to_string(arrayCols);
  return "";
}

std::string_view unitName(Unit u) {
  switch (u) {
  case Unit::Scalar: return "scalar";
  case Unit::DMA: return "dma";
  case Unit::MXU: return "mxu";
  case Unit::VPU: return "vpu";
  case Unit::SFU: return "sfu";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

namespace {
constexpr uint64_t maxOf(unsigned w) {
  return w >= 64 ? ~uint64_t(0) : ((uint64_t(1) << w) - 1);
}
FieldInfo F(const char *name, FieldKind kind, uint8_t width, uint64_t lo = 0,
            uint64_t hi = ~uint64_t(0), bool dest = false) {
  FieldInfo f{name, kind, width, 0, lo, std::min(hi, maxOf(width)), dest};
  return f;
}
FieldInfo X(const char *name, bool dest = false) {
  return F(name, FieldKind::XReg, 5, 0, 31, dest);
}
FieldInfo FR(const char *name, bool dest = false) {
  return F(name, FieldKind::FReg, 5, 0, 31, dest);
}
FieldInfo A20(const char *name) { return F(name, FieldKind::Addr, 20); }
/// dma.ld / dma.st: rows × bytes between an SP and a DRAM address, each with
/// its row pitch.
std::vector<FieldInfo> dmaFields() {
  return {A20("sp"), F("dram", FieldKind::Addr, 32),
          F("rows", FieldKind::UInt, 12, 1), F("bytes", FieldKind::UInt, 16, 1),
          F("dstride", FieldKind::Addr, 24), F("sstride", FieldKind::Addr, 16)};
}
FieldInfo N20(const char *name, uint64_t lo = 1) {
  return F(name, FieldKind::UInt, 20, lo);
}
FieldInfo Fmt(const char *name) { return F(name, FieldKind::Fmt, 20); }

std::vector<OpInfo> buildTable() {
  using K = FieldKind;
  // Each entry: opcode, mnemonic, unit, fields, summary (laid out by hand).
  // clang-format off
  std::vector<OpInfo> t = {
      {Opcode::NOP, "nop", Unit::Scalar, {}, "no operation"},
      {Opcode::HALT, "halt", Unit::Scalar, {}, "end of program"},
      {Opcode::SYNC, "sync", Unit::Scalar,
       {F("mask", K::Mask, 8, 0, kAllUnitsMask)},
       "wait until every instruction issued earlier to a unit in mask has "
       "completed"},
      {Opcode::DEP_SIGNAL, "dep.signal", Unit::Scalar,
       {F("unit", K::UnitId, 3, 1, 4), F("peer", K::UnitId, 3, 1, 4)},
       "in unit's queue: once unit's earlier instructions have completed, "
       "push a token to peer"},
      {Opcode::DEP_WAIT, "dep.wait", Unit::Scalar,
       {F("unit", K::UnitId, 3, 1, 4), F("peer", K::UnitId, 3, 1, 4)},
       "in unit's queue: unit's later instructions start after it pops a "
       "token pushed by peer"},
      {Opcode::LOOP, "loop", Unit::Scalar,
       {F("count", K::UInt, 32, 1), F("len", K::UInt, 24, 1)},
       "execute the next len instructions count times, each instruction "
       "advanced by its step words every iteration"},
      {Opcode::LI, "li", Unit::Scalar, {X("xd", true), F("imm", K::Imm, 64)},
       "xd = imm"},
      {Opcode::LIF, "lif", Unit::Scalar, {FR("fd", true), F("imm", K::F32, 32)},
       "fd = the binary32 value with bit pattern imm"},
      {Opcode::XLD, "xld", Unit::Scalar, {X("xd", true), A20("addr")},
       "xd = 64-bit little-endian load from SP[addr]"},
      {Opcode::FLD, "fld", Unit::Scalar, {FR("fd", true), A20("addr")},
       "fd = binary32 load from SP[addr]"},
      {Opcode::FST, "fst", Unit::Scalar, {FR("fs"), A20("addr")},
       "SP[addr] = fs (4 bytes)"},
      {Opcode::FOP, "fop", Unit::SFU,
       {F("fn", K::VFn, 6), FR("fd", true), FR("fa"), FR("fb")},
       "fd = fn(fa[, fb]) on scalars"},
      {Opcode::DMA_LD, "dma.ld", Unit::DMA, dmaFields(),
       "copy rows x bytes from DRAM (row pitch dstride) to SP (row pitch "
       "sstride)"},
      {Opcode::DMA_ST, "dma.st", Unit::DMA, dmaFields(),
       "copy rows x bytes from SP (row pitch sstride) to DRAM (row pitch "
       "dstride)"},
      {Opcode::DMA_LDP, "dma.ldp", Unit::DMA, dmaFields(),
       "load rows x `bytes` 4-bit codes packed two per DRAM byte (low nibble "
       "first; dram and dstride count nibbles) to one code per SP byte"},
      {Opcode::DMA_STP, "dma.stp", Unit::DMA, dmaFields(),
       "store rows x `bytes` SP bytes, each a 4-bit code (at most 15), "
       "packed two per DRAM byte (dram and dstride count nibbles; the other "
       "nibble of a byte is kept)"},
      {Opcode::MCFG, "mcfg", Unit::MXU,
       {Fmt("fa"), Fmt("fb"), F("acc", K::Acc, 2, 0, 3),
        F("chunk", K::UInt, 16)},
       "set the MXU operand formats and accumulation mode"},
      {Opcode::MMA, "mma", Unit::MXU,
       {F("tile", K::UInt, 3, 0, kNumAccTiles - 1), F("accum", K::UInt, 1),
        F("ta", K::UInt, 1), F("tb", K::UInt, 1), F("m", K::UInt, 6, 1),
        F("n", K::UInt, 6, 1), F("k", K::UInt, 16, 1), A20("a"), A20("b"),
        F("lda", K::UInt, 16, 1), F("ldb", K::UInt, 16, 1)},
       "ACC[tile] (+)= A(m x k) * B(k x n) on codes, under the MCFG mode"},
      {Opcode::MST, "mst", Unit::MXU,
       {F("tile", K::UInt, 3, 0, kNumAccTiles - 1), F("m", K::UInt, 6, 1),
        F("n", K::UInt, 6, 1), A20("d"), F("ldc", K::UInt, 16, 1),
        F("sam", K::UInt, 1), A20("sa"), F("sbm", K::UInt, 1), A20("sb"),
        FR("ts")},
       "SP f32 C = (dot * (sa * sb)) * ts from ACC[tile]"},
      {Opcode::VOP, "vop", Unit::VPU,
       {F("fn", K::VFn, 6), N20("n"), A20("d"), A20("a"), A20("b"), A20("c"),
        F("ra", K::UInt, 1), F("rb", K::UInt, 1), F("rc", K::UInt, 1)},
       "elementwise d[i] = fn(a[i], b[i], c[i]) on f32 (operands may be f "
       "registers)"},
      {Opcode::VRED, "vred", Unit::VPU,
       {F("red", K::Red, 2, 0, 3), F("axis", K::Axis, 2, 0, 2),
        F("init", K::UInt, 1), F("rows", K::UInt, 16, 1),
        F("cols", K::UInt, 16, 1), A20("d"), A20("s")},
       "reduce an f32 rows x cols matrix to a scalar, per row or per column"},
      {Opcode::VTR, "vtr", Unit::VPU,
       {F("esz", K::UInt, 2, 0, 2), F("rows", K::UInt, 16, 1),
        F("cols", K::UInt, 16, 1), A20("d"), A20("s")},
       "transpose a rows x cols matrix of 2^esz-byte elements"},
      {Opcode::QUANT, "quant", Unit::SFU,
       {Fmt("fmt"), F("rnd", K::Rnd, 3, 0, 4), N20("n"), A20("d"), A20("s"),
        A20("sc"), X("key"), X("grp"), FR("ts")},
       "d[i] = num::quantize(fmt, s[i], scale, rnd, key, index)"},
      {Opcode::DEQ, "deq", Unit::SFU,
       {Fmt("fmt"), N20("n"), A20("d"), A20("s"), A20("sc"), X("grp"),
        FR("ts")},
       "d[i] = num::dequantize(fmt, s[i], scale) * ts"},
      {Opcode::SAMAX, "samax", Unit::SFU,
       {FR("fd", true), FR("fa"), Fmt("fmt"), F("pow2", K::UInt, 1)},
       "fd = num::amaxScale(fmt, fa, pow2)"},
      {Opcode::SGRAD, "sgrad", Unit::SFU,
       {FR("fd", true), FR("fs"), FR("fa"), Fmt("fmt")},
       "fd = num::gradScaleUpdate(fmt, fs, fa)"},
      {Opcode::SDLY, "sdly", Unit::SFU,
       {FR("fd", true), FR("fs"), Fmt("fmt"), F("pow2", K::UInt, 1),
        F("margin", K::SInt, 8), F("h", K::UInt, 16, 1), A20("hist")},
       "fd = num::delayedScale(fmt, hist[0..h), margin, fs, pow2)"},
      {Opcode::HPUSH, "hpush", Unit::SFU,
       {FR("fa"), F("h", K::UInt, 16, 1), A20("hist")},
       "push amax fa at the front of an amax history (if finite)"},
      {Opcode::SSAWB, "ssawb", Unit::SFU,
       {FR("fd", true), Fmt("fmt"), A20("s"), N20("n")},
       "fd = num::sawbScale(s[0..n), bits(fmt))"},
      {Opcode::SPACT, "spact", Unit::SFU,
       {FR("fd", true), FR("fa"), Fmt("fmt")},
       "fd = num::pactScale(fa, bits(fmt))"},
      {Opcode::SAWB_ACC, "sawb.acc", Unit::SFU,
       {A20("s"), N20("n"), F("lane", K::UInt, 4), F("init", K::UInt, 1)},
       "SAWB statistics += s[0..n), element i in lane (lane + i) mod 16 "
       "(init: reset first)"},
      {Opcode::SAWB_FIN, "sawb.fin", Unit::SFU, {FR("fd", true), Fmt("fmt")},
       "fd = the SAWB scale of the statistics gathered by sawb.acc"},
  };
  // clang-format on
  for (OpInfo &op : t) {
    unsigned pos = 8;
    for (FieldInfo &f : op.fields) {
      f.lsb = uint8_t(pos);
      pos += f.width;
      f.steppable = f.kind == K::Addr || f.kind == K::Imm ||
                    std::string_view(f.name) == "tile";
    }
  }
  return t;
}
} // namespace

const std::vector<OpInfo> &instructionTable() {
  static const std::vector<OpInfo> table = buildTable();
  return table;
}

const OpInfo *lookup(Opcode op) { return lookupOpcodeByte(uint8_t(op)); }

const OpInfo *lookupOpcodeByte(uint8_t byte) {
  for (const OpInfo &i : instructionTable())
    if (uint8_t(i.opcode) == byte)
      return &i;
  return nullptr;
}

const OpInfo *lookupMnemonic(std::string_view mnemonic) {
  for (const OpInfo &i : instructionTable())
    if (mnemonic == i.mnemonic)
      return &i;
  return nullptr;
}

int fieldIndex(const OpInfo &info, std::string_view name) {
  for (size_t i = 0; i < info.fields.size(); ++i)
    if (name == info.fields[i].name)
      return int(i);
  return -1;
}

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

namespace {
struct VFnEntry {
  VFn fn;
  const char *name;
};
const VFnEntry kVFns[] = {
    {VFn::Mov, "mov"},     {VFn::Neg, "neg"},       {VFn::Abs, "abs"},
    {VFn::Exp, "exp"},     {VFn::Log, "log"},       {VFn::Sqrt, "sqrt"},
    {VFn::Rsqrt, "rsqrt"}, {VFn::Recip, "recip"},   {VFn::Tanh, "tanh"},
    {VFn::Floor, "floor"}, {VFn::Ceil, "ceil"},     {VFn::Add, "add"},
    {VFn::Sub, "sub"},     {VFn::Mul, "mul"},       {VFn::Div, "div"},
    {VFn::Max, "max"},     {VFn::Min, "min"},       {VFn::MaxNum, "maxnum"},
    {VFn::MinNum, "minnum"}, {VFn::CmpEq, "cmp.eq"}, {VFn::CmpNe, "cmp.ne"},
    {VFn::CmpGt, "cmp.gt"}, {VFn::CmpGe, "cmp.ge"}, {VFn::CmpLt, "cmp.lt"},
    {VFn::CmpLe, "cmp.le"}, {VFn::Sel, "sel"},
};
const char *const kRedNames[] = {"sum", "max", "min", "amax"};
const char *const kAxisNames[] = {"all", "row", "col"};
} // namespace

std::optional<std::string_view> vfnName(uint64_t code) {
  for (const VFnEntry &e : kVFns)
    if (uint64_t(e.fn) == code)
      return std::string_view(e.name);
  return std::nullopt;
}

std::optional<VFn> parseVFn(std::string_view s) {
  for (const VFnEntry &e : kVFns)
    if (s == e.name)
      return e.fn;
  return std::nullopt;
}

int vfnArity(VFn f) {
  unsigned c = unsigned(f);
  return c < 16 ? 1 : c < 32 ? 2 : 3;
}

namespace {
float maximumF(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<float>::quiet_NaN();
  if (a == 0.0f && b == 0.0f)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
float minimumF(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<float>::quiet_NaN();
  if (a == 0.0f && b == 0.0f)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
float mask(bool b) { return b ? 1.0f : 0.0f; }
} // namespace

float applyVFn(VFn f, float a, float b, float c) {
  switch (f) {
  case VFn::Mov: return a;
  case VFn::Neg: return -a;
  case VFn::Abs: return std::fabs(a);
  case VFn::Exp: return float(std::exp(double(a)));
  case VFn::Log: return float(std::log(double(a)));
  case VFn::Sqrt: return std::sqrt(a);
  case VFn::Rsqrt: return 1.0f / std::sqrt(a);
  case VFn::Recip: return 1.0f / a;
  case VFn::Tanh: return float(std::tanh(double(a)));
  case VFn::Floor: return std::floor(a);
  case VFn::Ceil: return std::ceil(a);
  case VFn::Add: return a + b;
  case VFn::Sub: return a - b;
  case VFn::Mul: return a * b;
  case VFn::Div: return a / b;
  case VFn::Max: return maximumF(a, b);
  case VFn::Min: return minimumF(a, b);
  case VFn::MaxNum: return std::fmax(a, b);
  case VFn::MinNum: return std::fmin(a, b);
  case VFn::CmpEq: return mask(a == b);
  case VFn::CmpNe: return mask(!(a == b));
  case VFn::CmpGt: return mask(a > b);
  case VFn::CmpGe: return mask(a >= b);
  case VFn::CmpLt: return mask(a < b);
  case VFn::CmpLe: return mask(a <= b);
  case VFn::Sel: return a == 0.0f ? c : b;
  }
  return std::numeric_limits<float>::quiet_NaN();
}

std::optional<std::string_view> redName(uint64_t code) {
  if (code < 4)
    return std::string_view(kRedNames[code]);
  return std::nullopt;
}
std::optional<std::string_view> axisName(uint64_t code) {
  if (code < 3)
    return std::string_view(kAxisNames[code]);
  return std::nullopt;
}

float reduceStep(Red r, float acc, float x) {
  switch (r) {
  case Red::Sum: return acc + x;
  case Red::Max: return maximumF(acc, x);
  case Red::Min: return minimumF(acc, x);
  case Red::Amax:
    if (std::isnan(acc) || std::isnan(x))
      return std::numeric_limits<float>::quiet_NaN();
    return std::max(acc, std::fabs(x));
  }
  return acc;
}

//===----------------------------------------------------------------------===//
// Format descriptors
//===----------------------------------------------------------------------===//

uint32_t encodeFormat(const num::Format &f) {
  using num::FormatKind;
  switch (f.kind) {
  case FormatKind::Log: {
    uint32_t r = 0;
    for (int v = f.radix; v > 1; v >>= 1)
      ++r;
    return uint32_t(FmtCode::Log) | (r << 4) | (uint32_t(f.ebits) << 8) |
           (uint32_t(f.phase) << 11) | ((uint32_t(f.bias) & 0xFF) << 12);
  }
  case FormatKind::Int: return uint32_t(FmtCode::Int) | (uint32_t(f.bits) << 4);
  case FormatKind::UInt:
    return uint32_t(FmtCode::UInt) | (uint32_t(f.bits) << 4);
  case FormatKind::FP4E2M1: return uint32_t(FmtCode::E2M1);
  case FormatKind::FP8E4M3: return uint32_t(FmtCode::E4M3);
  case FormatKind::FP8E5M2: return uint32_t(FmtCode::E5M2);
  case FormatKind::E8M0: return uint32_t(FmtCode::E8M0);
  case FormatKind::FP16: return uint32_t(FmtCode::F16);
  case FormatKind::BF16: return uint32_t(FmtCode::BF16);
  case FormatKind::FP32: return uint32_t(FmtCode::F32);
  }
  return 0xF;
}

std::optional<num::Format> decodeFormat(uint64_t desc, std::string *error) {
  auto fail = [&](const std::string &m) -> std::optional<num::Format> {
    if (error)
      *error = m;
    return std::nullopt;
  };
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%05llx", (unsigned long long)desc);
  if (desc >> 20)
    return fail(std::string("format descriptor ") + hex +
                " does not fit 20 bits");
  unsigned kind = desc & 0xF;
  uint64_t params = desc >> 4;
  num::Format f;
  if (kind > unsigned(FmtCode::F32))
    return fail(std::string("format descriptor ") + hex +
                ": unknown format kind " + std::to_string(kind));
  switch (FmtCode(kind)) {
  case FmtCode::Log: {
    unsigned r = params & 0xF, ebits = (desc >> 8) & 7,
             phase = (desc >> 11) & 1;
    int bias = int(int8_t(uint8_t((desc >> 12) & 0xFF)));
    if (r < 1 || r > 4)
      return fail(std::string("format descriptor ") + hex +
                  ": log radix code must be 1..4 (radix 2..16), got " +
                  std::to_string(r));
    std::string v = num::validateLog(1 << r, int(ebits), int(phase), bias);
    if (!v.empty())
      return fail(std::string("format descriptor ") + hex + ": " + v);
    return num::Format::log(1 << r, int(ebits), int(phase), bias);
  }
  case FmtCode::Int:
  case FmtCode::UInt: {
    if (params >> 4)
      return fail(std::string("format descriptor ") + hex +
                  ": bits 19:8 must be zero for int/uint");
    std::string v = num::validateInt(int(params & 0xF));
    if (!v.empty())
      return fail(std::string("format descriptor ") + hex + ": " + v);
    return FmtCode(kind) == FmtCode::Int ? num::Format::sint(int(params))
                                         : num::Format::uint(int(params));
  }
  case FmtCode::E2M1: f = num::Format::fp4e2m1(); break;
  case FmtCode::E4M3: f = num::Format::fp8e4m3(); break;
  case FmtCode::E5M2: f = num::Format::fp8e5m2(); break;
  case FmtCode::E8M0: f = num::Format::e8m0(); break;
  case FmtCode::F16: f = num::Format::fp16(); break;
  case FmtCode::BF16: f = num::Format::bf16(); break;
  case FmtCode::F32: f = num::Format::fp32(); break;
  }
  if (params)
    return fail(std::string("format descriptor ") + hex +
                ": bits 19:4 must be zero for " + f.str());
  return f;
}

unsigned elementBytes(const num::Format &f) {
  int w = f.bitWidth();
  return w <= 8 ? 1 : w <= 16 ? 2 : 4;
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

uint64_t Instr::get(std::string_view name) const {
  const OpInfo *info = lookup(opcode);
  int i = info ? fieldIndex(*info, name) : -1;
  return i < 0 || size_t(i) >= fields.size() ? 0 : fields[size_t(i)];
}

void Instr::set(std::string_view name, uint64_t v) {
  const OpInfo *info = lookup(opcode);
  int i = info ? fieldIndex(*info, name) : -1;
  if (i >= 0 && size_t(i) < fields.size())
    fields[size_t(i)] = v;
}

Unit executingUnit(const Instr &in) {
  if (isDependencyToken(in.opcode))
    return Unit(in.get("unit"));
  const OpInfo *info = lookup(in.opcode);
  return info ? info->unit : Unit::Scalar;
}

Instr Instr::make(Opcode op) {
  Instr in;
  in.opcode = op;
  if (const OpInfo *info = lookup(op))
    in.fields.assign(info->fields.size(), 0);
  return in;
}

namespace {
std::string hexStr(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
  return b;
}

std::string shapeText(const std::vector<uint32_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Checks that [addr, addr + bytes) lies in the scratchpad.
std::string spRange(const char *op, const char *what, uint64_t addr,
                    uint64_t bytes, const Arch &arch) {
  if (addr + bytes > arch.spBytes)
    return std::string(op) + ": " + what + " [" + hexStr(addr) + ", " +
           hexStr(addr + bytes) + ") exceeds the " +
           std::to_string(arch.spBytes) + "-byte scratchpad (Q6)";
  return "";
}

bool isMmaFormat(const num::Format &f) {
  return f.kind != num::FormatKind::E8M0;
}
bool isQuantFormat(const num::Format &f) {
  return f.kind != num::FormatKind::E8M0 && f.kind != num::FormatKind::FP32;
}

std::string checkFields(const Instr &in, const OpInfo &info) {
  if (in.fields.size() != info.fields.size())
    return std::string(info.mnemonic) + ": expected " +
           std::to_string(info.fields.size()) + " fields, got " +
           std::to_string(in.fields.size());
  for (size_t i = 0; i < info.fields.size(); ++i) {
    const FieldInfo &f = info.fields[i];
    uint64_t v = in.fields[i];
    std::string pre = std::string(info.mnemonic) + ": field '" + f.name + "' ";
    if (f.kind == FieldKind::SInt) {
      int64_t s = int64_t(v), lo = -(int64_t(1) << (f.width - 1)),
              hi = (int64_t(1) << (f.width - 1)) - 1;
      if (s < lo || s > hi)
        return pre + "= " + std::to_string(s) + " is out of range [" +
               std::to_string(lo) + ", " + std::to_string(hi) + "] (Q4)";
      continue;
    }
    if (v < f.min || v > f.max)
      return pre + "= " + std::to_string(v) + " is out of range [" +
             std::to_string(f.min) + ", " + std::to_string(f.max) + "] (Q4)";
    if (f.dest && v == 0)
      return pre + "writes " + (f.kind == FieldKind::XReg ? "x0" : "f0") +
             ", which is hard-wired (Q5)";
    if (f.kind == FieldKind::VFn && !vfnName(v))
      return pre + "= " + std::to_string(v) + " is not a function code (Q4)";
    if (f.kind == FieldKind::Fmt) {
      std::string err;
      if (!decodeFormat(v, &err))
        return pre + "holds an invalid " + err + " (Q3)";
    }
  }
  return "";
}
} // namespace

std::string validate(const Instr &in, const Arch &arch) {
  const OpInfo *info = lookup(in.opcode);
  if (!info)
    return "unknown opcode " + hexStr(uint8_t(in.opcode));
  std::string e = checkFields(in, *info);
  if (!e.empty())
    return e;
  const char *mn = info->mnemonic;
  auto g = [&](const char *n) { return in.get(n); };
  auto fmtOf = [&](const char *n) { return *decodeFormat(g(n), nullptr); };
  auto err = [&](const std::string &m) { return std::string(mn) + ": " + m; };
  switch (in.opcode) {
  case Opcode::DEP_SIGNAL:
  case Opcode::DEP_WAIT:
    if (g("unit") == g("peer"))
      return err("unit and peer are both " +
                 std::string(unitName(Unit(g("unit")))) +
                 "; a token goes between two units (Q25)");
    return "";
  case Opcode::XLD:
    return spRange(mn, "load", g("addr"), 8, arch);
  case Opcode::FLD:
  case Opcode::FST:
    return spRange(mn, "access", g("addr"), 4, arch);
  case Opcode::FOP: {
    VFn fn = VFn(g("fn"));
    if (vfnArity(fn) == 3)
      return err("'sel' needs three operands and is VOP-only (Q7)");
    if (vfnArity(fn) == 1 && g("fb") != 0)
      return err("unary function '" + std::string(*vfnName(g("fn"))) +
                 "' needs fb = f0 (Q7)");
    return "";
  }
  case Opcode::DMA_LD:
  case Opcode::DMA_ST:
  case Opcode::DMA_LDP:
  case Opcode::DMA_STP: {
    uint64_t rows = g("rows"), bytes = g("bytes"), ss = g("sstride");
    if (rows > 1 && ss < bytes)
      return err("sstride " + std::to_string(ss) +
                 " is smaller than the row size " + std::to_string(bytes) +
                 " (rows would overlap) (Q8)");
    return spRange(mn, "scratchpad region", g("sp"),
                   (rows - 1) * ss + bytes, arch);
  }
  case Opcode::MCFG: {
    num::Format fa = fmtOf("fa"), fb = fmtOf("fb");
    for (auto [name, f] : {std::pair<const char *, num::Format>{"fa", fa},
                           {"fb", fb}})
      if (!isMmaFormat(f))
        return err(std::string("field '") + name + "': " + f.str() +
                   " is not an MXU operand format (Q9)");
    num::Accumulation acc{num::AccumKind(g("acc")), int(g("chunk"))};
    std::string v = num::validateAccumulation(acc);
    if (!v.empty())
      return err(v + " (Q9)");
    if (acc.kind == num::AccumKind::Exact) {
      v = num::exactAccumulationSupported(fa, fb);
      if (!v.empty())
        return err(v + " (Q9)");
    }
    return "";
  }
  case Opcode::MMA:
  case Opcode::MST: {
    if (g("m") > arch.arrayRows)
      return err("m = " + std::to_string(g("m")) + " exceeds the " +
                 std::to_string(arch.arrayRows) + "-row MXU array (Q10)");
    if (g("n") > arch.arrayCols)
      return err("n = " + std::to_string(g("n")) + " exceeds the " +
                 std::to_string(arch.arrayCols) + "-column MXU array (Q10)");
    if (in.opcode == Opcode::MMA) {
      uint64_t rowLenA = g("ta") ? g("m") : g("k");
      uint64_t rowLenB = g("tb") ? g("k") : g("n");
      if (g("lda") < rowLenA)
        return err("lda = " + std::to_string(g("lda")) +
                   " is smaller than the stored row length " +
                   std::to_string(rowLenA) + " (Q10)");
      if (g("ldb") < rowLenB)
        return err("ldb = " + std::to_string(g("ldb")) +
                   " is smaller than the stored row length " +
                   std::to_string(rowLenB) + " (Q10)");
      return ""; // operand extents depend on MCFG: checked per program
    }
    if (g("ldc") < g("n"))
      return err("ldc = " + std::to_string(g("ldc")) + " is smaller than n = " +
                 std::to_string(g("n")) + " (Q10)");
    e = spRange(mn, "result", g("d"), ((g("m") - 1) * g("ldc") + g("n")) * 4,
                arch);
    if (e.empty())
      e = spRange(mn, "row scales", g("sa"), 4 * (g("sam") ? g("m") : 1), arch);
    if (e.empty())
      e = spRange(mn, "column scales", g("sb"), 4 * (g("sbm") ? g("n") : 1),
                  arch);
    return e;
  }
  case Opcode::VOP: {
    VFn fn = VFn(g("fn"));
    int arity = vfnArity(fn);
    uint64_t n = g("n");
    e = spRange(mn, "destination", g("d"), 4 * n, arch);
    if (!e.empty())
      return e;
    const char *ops[3] = {"a", "b", "c"}, *regs[3] = {"ra", "rb", "rc"};
    for (int i = 0; i < 3; ++i) {
      uint64_t v = g(ops[i]), r = g(regs[i]);
      if (i >= arity) {
        if (v || r)
          return err("function '" + std::string(*vfnName(g("fn"))) +
                     "' takes " + std::to_string(arity) +
                     " operand(s): field '" + ops[i] + "' and '" + regs[i] +
                     "' must be 0 (Q7)");
        continue;
      }
      if (r) {
        if (v > 31)
          return err(std::string("field '") + ops[i] +
                     "' names an f register (" + regs[i] +
                     " = 1) but is > 31 (Q7)");
        continue;
      }
      e = spRange(mn, (std::string("operand ") + ops[i]).c_str(), v, 4 * n,
                  arch);
      if (!e.empty())
        return e;
    }
    return "";
  }
  case Opcode::VRED: {
    uint64_t rows = g("rows"), cols = g("cols");
    uint64_t out = g("axis") == 0 ? 1 : g("axis") == 1 ? rows : cols;
    e = spRange(mn, "source", g("s"), 4 * rows * cols, arch);
    return e.empty() ? spRange(mn, "destination", g("d"), 4 * out, arch) : e;
  }
  case Opcode::VTR: {
    uint64_t bytes = g("rows") * g("cols") << g("esz");
    e = spRange(mn, "source", g("s"), bytes, arch);
    if (e.empty())
      e = spRange(mn, "destination", g("d"), bytes, arch);
    if (e.empty() && g("s") < g("d") + bytes && g("d") < g("s") + bytes)
      return err("source and destination overlap (Q11)");
    return e;
  }
  case Opcode::QUANT:
  case Opcode::DEQ: {
    num::Format f = fmtOf("fmt");
    if (!isQuantFormat(f))
      return err(f.str() + " is not a quantized storage format (Q12)");
    bool q = in.opcode == Opcode::QUANT;
    if (q) {
      num::Rounding r = num::Rounding(g("rnd"));
      bool logOnly = r == num::Rounding::NearestLog ||
                     r == num::Rounding::StochasticUnderflow;
      if (logOnly && f.kind != num::FormatKind::Log)
        return err("rounding '" + std::string(num::roundingName(r)) +
                   "' needs a log format, got " + f.str() + " (Q12)");
      bool stoch = r == num::Rounding::Stochastic ||
                   r == num::Rounding::StochasticUnderflow;
      if (stoch && (g("key") == 0 || g("key") > 30))
        return err("stochastic rounding needs a key register pair x1..x30 "
                   "(seed, stream) (Q12)");
      if (!stoch && g("key") != 0)
        return err("deterministic rounding takes no key: key must be x0 "
                   "(Q12)");
    }
    if (g("grp") > 30)
      return err("grp names a register pair and must be x0..x30 (Q12)");
    uint64_t n = g("n"), esz = elementBytes(f);
    e = spRange(mn, "source", g("s"), n * (q ? 4 : esz), arch);
    if (e.empty())
      e = spRange(mn, "destination", g("d"), n * (q ? esz : 4), arch);
    if (e.empty())
      e = spRange(mn, "scales", g("sc"), 4, arch);
    return e;
  }
  case Opcode::SDLY:
  case Opcode::HPUSH:
    return spRange(mn, "history", g("hist"), 4 * g("h"), arch);
  case Opcode::SSAWB:
  case Opcode::SAWB_FIN: {
    num::Format f = fmtOf("fmt");
    if (f.kind != num::FormatKind::Int || !num::sawbCoefficients(f.bits))
      return err("SAWB needs int2/3/4/5/8, got " + f.str() + " (Q12)");
    return in.opcode == Opcode::SSAWB
               ? spRange(mn, "source", g("s"), 4 * g("n"), arch)
               : "";
  }
  case Opcode::SAWB_ACC:
    return spRange(mn, "source", g("s"), 4 * g("n"), arch);
  case Opcode::SPACT: {
    num::Format f = fmtOf("fmt");
    if (f.kind != num::FormatKind::UInt)
      return err("PACT needs an unsigned int format, got " + f.str() +
                 " (Q12)");
    return "";
  }
  default:
    return "";
  }
}

namespace {
void setBits(Word &w, unsigned lsb, unsigned width, uint64_t v) {
  for (unsigned i = 0; i < width; ++i) {
    unsigned b = lsb + i;
    uint64_t bit = (v >> i) & 1;
    w[b / 64] |= bit << (b % 64);
  }
}
uint64_t getBits(const Word &w, unsigned lsb, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    unsigned b = lsb + i;
    v |= ((w[b / 64] >> (b % 64)) & 1) << i;
  }
  return v;
}
} // namespace

Word encode(const Instr &in) {
  Word w{0, 0};
  setBits(w, 0, 8, uint8_t(in.opcode));
  const OpInfo *info = lookup(in.opcode);
  if (!info)
    return w;
  for (size_t i = 0; i < info->fields.size() && i < in.fields.size(); ++i) {
    const FieldInfo &f = info->fields[i];
    setBits(w, f.lsb, f.width, in.fields[i] & maxOf(f.width));
  }
  return w;
}

std::optional<Instr> decode(const Word &w, const Arch &arch,
                            std::string *error) {
  uint8_t byte = uint8_t(w[0] & 0xFF);
  const OpInfo *info = lookupOpcodeByte(byte);
  if (!info) {
    if (error)
      *error = "unknown opcode " + hexStr(byte);
    return std::nullopt;
  }
  Instr in = Instr::make(info->opcode);
  Word used{0xFF, 0};
  for (size_t i = 0; i < info->fields.size(); ++i) {
    const FieldInfo &f = info->fields[i];
    uint64_t v = getBits(w, f.lsb, f.width);
    if (f.kind == FieldKind::SInt && f.width < 64 && (v >> (f.width - 1)) & 1)
      v |= ~maxOf(f.width);
    in.fields[i] = v;
    setBits(used, f.lsb, f.width, maxOf(f.width));
  }
  if ((w[0] & ~used[0]) || (w[1] & ~used[1])) {
    if (error) {
      unsigned first = 0;
      for (unsigned b = 0; b < 128; ++b)
        if ((w[b / 64] >> (b % 64)) & 1 && !((used[b / 64] >> (b % 64)) & 1)) {
          first = b;
          break;
        }
      *error = std::string(info->mnemonic) + ": reserved bit " +
               std::to_string(first) + " is set (Q4)";
    }
    return std::nullopt;
  }
  std::string v = validate(in, arch);
  if (!v.empty()) {
    if (error)
      *error = v;
    return std::nullopt;
  }
  return in;
}

Word encodeSteps(const Instr &in, size_t loop) {
  Word w{0, 0};
  setBits(w, 0, 8, kStepWordOpcode);
  const OpInfo *info = lookup(in.opcode);
  if (!info || loop >= in.steps.size())
    return w;
  const std::vector<int64_t> &s = in.steps[loop];
  for (size_t i = 0; i < info->fields.size() && i < s.size(); ++i) {
    const FieldInfo &f = info->fields[i];
    setBits(w, f.lsb, f.width, uint64_t(s[i]) & maxOf(f.width));
  }
  return w;
}

std::optional<std::vector<int64_t>> decodeSteps(const Word &w, const Instr &in,
                                                std::string *error) {
  auto fail = [&](const std::string &m) {
    if (error)
      *error = m;
    return std::nullopt;
  };
  const OpInfo *info = lookup(in.opcode);
  if (!info)
    return fail("step word after an unknown instruction");
  if ((w[0] & 0xFF) != kStepWordOpcode)
    return fail(std::string(info->mnemonic) +
                ": inside a loop, a step word (opcode " +
                hexStr(kStepWordOpcode) + ") must follow it, got opcode " +
                hexStr(uint8_t(w[0] & 0xFF)) + " (Q28)");
  std::vector<int64_t> steps(info->fields.size(), 0);
  Word used{0xFF, 0};
  for (size_t i = 0; i < info->fields.size(); ++i) {
    const FieldInfo &f = info->fields[i];
    uint64_t v = getBits(w, f.lsb, f.width);
    if (f.width < 64 && (v >> (f.width - 1)) & 1)
      v |= ~maxOf(f.width); // two's complement in the field's width
    if (v && !isSteppable(f))
      return fail(std::string(info->mnemonic) + ": field '" + f.name +
                  "' cannot step (Q28)");
    steps[i] = int64_t(v);
    setBits(used, f.lsb, f.width, maxOf(f.width));
  }
  if ((w[0] & ~used[0]) || (w[1] & ~used[1]))
    return fail(std::string(info->mnemonic) +
                ": a reserved bit of its step word is set (Q4)");
  return steps;
}

//===----------------------------------------------------------------------===//
// Programs
//===----------------------------------------------------------------------===//

std::string_view dtypeName(DType d) {
  switch (d) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I8: return "i8";
  case DType::U8: return "u8";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::Code: return "code";
  }
  return "?";
}

unsigned dtypeBytes(DType d, const num::Format &fmt) {
  switch (d) {
  case DType::F32:
  case DType::I32: return 4;
  case DType::F16:
  case DType::BF16: return 2;
  case DType::I8:
  case DType::U8: return 1;
  case DType::I64: return 8;
  case DType::Code: return elementBytes(fmt);
  }
  return 1;
}

uint64_t TensorDesc::byteSize() const {
  return checkedTensorBytes(shape, dtypeBytes(dtype, format), UINT64_MAX)
      .value_or(UINT64_MAX);
}

namespace {
/// Program::validate's walk over the code (Q23, Q21 for DMAs, Q26 for
/// source indices, Q27 and Q28 for loops). Each instruction is checked as
/// it executes: outside loops as it is; inside loops at every corner of
/// its iteration space (each loop at its first or last iteration), which
/// bounds every iteration because a stepped field is affine in the
/// iterations and every rule on it is a bound on a sum of such fields
/// (Q11's overlap of vtr's operands is checked over the whole span).
class CodeChecker {
public:
  explicit CodeChecker(const Program &p) : p(p) {}

  std::string run() { return walk(0, p.code.size()); }

private:
  const Program &p;
  std::optional<num::Format> fa, fb; // the MXU configuration in force
  std::vector<uint64_t> counts;      // of the loops around the walk

  std::string walk(size_t begin, size_t end) {
    for (size_t pc = begin; pc < end;) {
      const Instr &in = p.code[pc];
      std::string at = "instruction " + std::to_string(pc) + ": ";
      if (in.source > p.sources.size())
        return at + "source label " + std::to_string(in.source) +
               " does not exist (the program has " +
               std::to_string(p.sources.size()) + ") (Q26)";
      if (in.opcode != Opcode::LOOP) {
        if (std::string e = instance(in); !e.empty())
          return at + e;
        ++pc;
        continue;
      }
      if (std::string e = q4a::validate(in, p.arch); !e.empty())
        return at + e;
      if (!in.steps.empty())
        return at + "loop: a loop instruction has no step words (Q28)";
      uint64_t len = in.get("len");
      if (counts.size() == kMaxLoopDepth)
        return at + "loop: loops nest deeper than " +
               std::to_string(kMaxLoopDepth) + " (Q27)";
      if (len > end - pc - 1)
        return at + "loop: its body of " + std::to_string(len) +
               " instructions runs past the end of " +
               (counts.empty() ? std::string("the code")
                               : std::string("the enclosing loop's body")) +
               " (Q27)";
      counts.push_back(in.get("count"));
      // A body with an mcfg starts its second and later iterations under
      // the configuration its first one leaves: walk it again under that.
      auto before = std::make_pair(fa, fb);
      std::string e = walk(pc + 1, pc + 1 + len);
      if (e.empty() && counts.back() > 1 && std::make_pair(fa, fb) != before)
        e = walk(pc + 1, pc + 1 + len);
      counts.pop_back();
      if (!e.empty())
        return e;
      pc += 1 + len;
    }
    return "";
  }

  /// Checks every corner of `in`'s iteration space.
  std::string instance(const Instr &in) {
    const OpInfo *info = lookup(in.opcode);
    if (!info)
      return "unknown opcode " + hexStr(uint8_t(in.opcode));
    if (in.opcode == Opcode::HALT && !counts.empty())
      return "halt: inside a loop (Q27)";
    if (in.steps.size() != counts.size())
      return std::string(info->mnemonic) + ": inside " +
             std::to_string(counts.size()) +
             " loop(s) it needs as many step words, it has " +
             std::to_string(in.steps.size()) + " (Q28)";
    bool stepped = false;
    for (const std::vector<int64_t> &s : in.steps) {
      if (s.size() != info->fields.size())
        return std::string(info->mnemonic) + ": a step word needs " +
               std::to_string(info->fields.size()) + " steps, got " +
               std::to_string(s.size()) + " (Q28)";
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] && !isSteppable(info->fields[i]))
          return std::string(info->mnemonic) + ": field '" +
                 info->fields[i].name + "' cannot step (Q28)";
        stepped |= s[i] != 0;
      }
    }
    if (!stepped)
      return check(in);
    if (in.opcode == Opcode::VTR)
      if (std::string e = vtrSpan(in, *info); !e.empty())
        return e;
    Instr corner = in;
    corner.steps.clear();
    for (uint32_t mask = 0; mask < (1u << counts.size()); ++mask) {
      for (size_t i = 0; i < info->fields.size(); ++i) {
        const FieldInfo &f = info->fields[i];
        __int128 v = __int128(in.fields[i]);
        for (size_t k = 0; k < counts.size(); ++k)
          if (mask >> k & 1)
            v += __int128(counts[k] - 1) * in.steps[k][i];
        if (f.width >= 64) { // li's immediate wraps modulo 2^64
          corner.fields[i] = uint64_t(v);
          continue;
        }
        if (v < __int128(f.min) || v > __int128(f.max))
          return std::string(info->mnemonic) + ": field '" + f.name +
                 "' leaves its range [" + hexStr(f.min) + ", " + hexStr(f.max) +
                 "] in " + cornerText(mask) + " (Q28)";
        corner.fields[i] = uint64_t(v);
      }
      if (std::string e = check(corner); !e.empty())
        return e + " (in " + cornerText(mask) + ")";
    }
    return "";
  }

  std::string cornerText(uint32_t mask) const {
    std::string s = "the iteration (";
    for (size_t k = 0; k < counts.size(); ++k)
      s += (k ? ", " : "") + std::to_string(mask >> k & 1 ? counts[k] - 1 : 0);
    return s + ")";
  }

  /// vtr's source and destination must not overlap in any iteration: the
  /// difference of their addresses is affine, so its range over the loops
  /// is that of its corners (Q11).
  std::string vtrSpan(const Instr &in, const OpInfo &info) {
    int si = fieldIndex(info, "s"), di = fieldIndex(info, "d");
    uint64_t bytes = in.get("rows") * in.get("cols") << in.get("esz");
    __int128 lo =
        __int128(in.fields[size_t(si)]) - __int128(in.fields[size_t(di)]);
    __int128 hi = lo;
    for (size_t k = 0; k < counts.size(); ++k) {
      __int128 d = __int128(counts[k] - 1) *
                   (in.steps[k][size_t(si)] - in.steps[k][size_t(di)]);
      (d < 0 ? lo : hi) += d;
    }
    if (lo < __int128(bytes) && hi > -__int128(bytes))
      return "vtr: source and destination may overlap in some iteration "
             "(Q11)";
    return "";
  }

  /// The rules of one executed instruction: its own (q4a::validate) and
  /// those that depend on the program (MMA operands under the MCFG in
  /// force, DMA ranges in DRAM).
  std::string check(const Instr &in) {
    if (std::string e = q4a::validate(in, p.arch); !e.empty())
      return e;
    switch (in.opcode) {
    case Opcode::MCFG:
      fa = decodeFormat(in.get("fa"), nullptr);
      fb = decodeFormat(in.get("fb"), nullptr);
      return "";
    case Opcode::MMA: {
      if (!fa)
        return "mma: no mcfg precedes it (Q23)";
      uint64_t m = in.get("m"), n = in.get("n"), k = in.get("k");
      uint64_t rowsA = in.get("ta") ? k : m, lenA = in.get("ta") ? m : k;
      uint64_t rowsB = in.get("tb") ? n : k, lenB = in.get("tb") ? k : n;
      std::string e = spRange(
          "mma", "operand a", in.get("a"),
          ((rowsA - 1) * in.get("lda") + lenA) * elementBytes(*fa), p.arch);
      if (e.empty())
        e = spRange("mma", "operand b", in.get("b"),
                    ((rowsB - 1) * in.get("ldb") + lenB) * elementBytes(*fb),
                    p.arch);
      return e;
    }
    case Opcode::DMA_LD:
    case Opcode::DMA_ST:
    case Opcode::DMA_LDP:
    case Opcode::DMA_STP: {
      uint64_t ext = (in.get("rows") - 1) * in.get("dstride") + in.get("bytes");
      auto [lo, hi] = dmaDramBytes(in.opcode, in.get("dram"), ext);
      if (hi > p.dramSize)
        return std::string(lookup(in.opcode)->mnemonic) + ": DRAM region [" +
               hexStr(lo) + ", " + hexStr(hi) +
               ") exceeds the program's DRAM size " + hexStr(p.dramSize) +
               " (Q21)";
      return "";
    }
    default:
      return "";
    }
  }
};
} // namespace

std::string Program::validate() const {
  std::string e = arch.validate();
  if (!e.empty())
    return e;
  struct Range {
    std::string what;
    uint64_t lo, hi;
  };
  std::vector<Range> ranges;
  auto addRange = [&](const std::string &what, uint64_t lo,
                      uint64_t size) -> std::string {
    if (lo + size > dramSize || lo + size < lo)
      return what + " [" + hexStr(lo) + ", " + hexStr(lo + size) +
             ") exceeds the program's DRAM size " + hexStr(dramSize) + " (Q21)";
    for (const Range &r : ranges)
      if (size && lo < r.hi && r.lo < lo + size)
        return what + " overlaps " + r.what + " in DRAM (Q22)";
    if (size)
      ranges.push_back({what, lo, lo + size});
    return "";
  };
  std::vector<std::string> names;
  for (const auto *list : {&inputs, &outputs}) {
    const char *kind = list == &inputs ? "input" : "output";
    for (const TensorDesc &t : *list) {
      if (t.name.empty())
        return std::string(kind) + " tensors need a non-empty name (Q20)";
      if (std::find(names.begin(), names.end(), t.name) != names.end())
        return "tensor name '" + t.name + "' is used twice (Q20)";
      names.push_back(t.name);
      if (t.shape.size() > 8)
        return std::string(kind) + " '" + t.name +
               "' has rank > 8 (Q20)";
      if (t.dtype == DType::Code && !num::isValidFormat(t.format))
        return std::string(kind) + " '" + t.name + "' has an invalid format";
      if (t.byteSize() == UINT64_MAX)
        return std::string(kind) + " '" + t.name + "' of shape " +
               shapeText(t.shape) +
               " has a byte size beyond 64 bits, no DRAM holds it (Q21)";
      e = addRange(std::string(kind) + " '" + t.name + "'", t.address,
                   t.byteSize());
      if (!e.empty())
        return e;
    }
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    e = addRange("data segment " + std::to_string(i), segments[i].address,
                 segments[i].bytes.size());
    if (!e.empty())
      return e;
  }
  // Source labels: non-empty and unique, each instruction's index in range.
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].empty())
      return "source label " + std::to_string(i) + " is empty (Q26)";
    if (sources[i].find('\0') != std::string::npos)
      return "source label " + std::to_string(i) +
             " contains a NUL byte, which ends a string of the binary (Q26)";
    for (size_t j = 0; j < i; ++j)
      if (sources[j] == sources[i])
        return "source label '" + sources[i] + "' is listed twice (Q26)";
  }
  return CodeChecker(*this).run();
}

bool Program::hasLoops() const {
  return std::any_of(code.begin(), code.end(),
                     [](const Instr &in) { return in.opcode == Opcode::LOOP; });
}

uint64_t Program::codeWords() const {
  uint64_t n = 0;
  for (const Instr &in : code)
    n += 1 + in.steps.size();
  return n;
}

const Instr *Execution::next() {
  // Past the end of a body: the next iteration, or out of the loop.
  while (!loops.empty() && position == loops.back().end) {
    Frame &f = loops.back();
    if (++f.iteration < f.count) {
      position = f.begin;
      break;
    }
    loops.pop_back();
  }
  if (position >= code.size())
    return nullptr;
  current = position++;
  const Instr &in = code[current];
  if (in.opcode == Opcode::LOOP) {
    loops.push_back({position, position + in.get("len"), in.get("count"), 0});
    return &in;
  }
  if (in.steps.empty())
    return &in;
  stepped.opcode = in.opcode;
  stepped.source = in.source;
  stepped.fields = in.fields;
  for (size_t k = 0; k < in.steps.size() && k < loops.size(); ++k)
    if (uint64_t it = loops[k].iteration)
      for (size_t i = 0; i < stepped.fields.size(); ++i)
        stepped.fields[i] += it * uint64_t(in.steps[k][i]);
  return &stepped;
}

std::vector<uint64_t> Execution::iterations() const {
  std::vector<uint64_t> it;
  for (const Frame &f : loops)
    it.push_back(f.iteration);
  return it;
}

uint32_t Program::internSource(const std::string &label) {
  // From the most recent label back: consecutive instructions, and loads a
  // scheduler hoisted into the op before theirs, have recent labels.
  for (size_t i = sources.size(); i-- > 0;)
    if (sources[i] == label)
      return uint32_t(i) + 1;
  sources.push_back(label);
  return uint32_t(sources.size());
}

std::vector<uint32_t> Program::sourceRuns() const {
  std::vector<uint32_t> runs(code.size(), 0);
  uint32_t current = 0;
  for (size_t pc = 0; pc < code.size(); ++pc) {
    if (code[pc].source)
      current = code[pc].source;
    runs[pc] = current;
  }
  return runs;
}

} // namespace quant4::q4a
