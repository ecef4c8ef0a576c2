//===- ISA.h - the Q4A instruction set: table, encoding, container -*- C++ -*-===//
//
// Plain C++17 (no MLIR/LLVM dependency): the Q4A accelerator's instruction
// table, 128-bit instruction encoding/decoding with validation, the assembly
// syntax (printer and parser) and the binary container (writer and reader).
// docs/ISA.md is the specification; constraint labels (Q1, Q2, ...) refer to
// it. The quant4 compiler (dialect q4a, quant4-translate) and the Q4A
// simulator both use this library, so they agree on every bit.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TARGET_Q4A_ISA_H
#define QUANT4_TARGET_Q4A_ISA_H

#include "quant4/Numerics/Format.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quant4::q4a {

//===-- Architecture parameters (ISA.md §1) -------------------------------===//

struct Arch {
  uint32_t spBytes = 512 * 1024; // scratchpad size (<= 2^20, Q1)
  uint16_t arrayRows = 32;       // MXU rows: max M of one MMA
  uint16_t arrayCols = 32;       // MXU columns: max N of one MMA
  /// "" if the parameters are legal, else a sentence.
  std::string validate() const;
};
constexpr unsigned kNumXRegs = 32;
constexpr unsigned kNumFRegs = 32;
constexpr unsigned kNumAccTiles = 8;
constexpr unsigned kInstrBytes = 16;

/// Functional units (SYNC mask bits).
enum class Unit : uint8_t { Scalar = 0, DMA = 1, MXU = 2, VPU = 3, SFU = 4 };
constexpr uint8_t kAllUnitsMask = 0x1F;
std::string_view unitName(Unit u);

//===-- Opcodes and fields -------------------------------------------------===//

enum class Opcode : uint8_t {
  NOP = 0x00,
  HALT = 0x01,
  SYNC = 0x02,
  DEP_SIGNAL = 0x03,
  DEP_WAIT = 0x04,
  LOOP = 0x05,
  LI = 0x08,
  LIF = 0x09,
  XLD = 0x0A,
  FLD = 0x0B,
  FST = 0x0C,
  FOP = 0x0D,
  DMA_LD = 0x10,
  DMA_ST = 0x11,
  DMA_LDP = 0x12,
  DMA_STP = 0x13,
  MCFG = 0x20,
  MMA = 0x21,
  MST = 0x22,
  VOP = 0x30,
  VRED = 0x31,
  VTR = 0x32,
  QUANT = 0x40,
  DEQ = 0x41,
  SAMAX = 0x48,
  SGRAD = 0x49,
  SDLY = 0x4A,
  HPUSH = 0x4B,
  SSAWB = 0x4C,
  SPACT = 0x4D,
  SAWB_ACC = 0x4E,
  SAWB_FIN = 0x4F,
};

enum class FieldKind : uint8_t {
  UInt,  // unsigned integer, printed in decimal
  SInt,  // signed (two's complement in `width` bits), printed in decimal
  Addr,  // scratchpad/DRAM byte address or stride, printed in hex
  Imm,   // 64-bit immediate, printed in decimal (parsed signed or unsigned)
  F32,   // IEEE binary32 bit pattern, printed in hex
  XReg,  // integer register x0..x31
  FReg,  // float register f0..f31
  Fmt,   // 20-bit format descriptor (Q3)
  Rnd,   // rounding mode (num::Rounding)
  Acc,   // accumulation kind (num::AccumKind)
  VFn,   // vector/scalar function (VFn)
  Red,   // reduction (Red)
  Axis,  // reduction axis (Axis)
  Mask,  // unit mask, printed in hex
  UnitId, // a unit other than the scalar one, printed by name (dma, mxu, ...)
};

struct FieldInfo {
  const char *name;
  FieldKind kind;
  uint8_t width;
  uint8_t lsb;       // bit position in the 128-bit word (filled by the table)
  uint64_t min, max; // legal range of the value (inclusive)
  bool dest;         // register written by the instruction (x0/f0 illegal)
  bool steppable = false; // a loop may step it (isSteppable; set by the table)
};

struct OpInfo {
  Opcode opcode;
  const char *mnemonic; // assembly mnemonic, e.g. "dma.ld"
  Unit unit;
  std::vector<FieldInfo> fields;
  const char *summary;
};

/// Loops (ISA.md §2.5): the opcode byte of a step word, the extension word
/// that follows an instruction inside a loop once per enclosing loop; and
/// how deep loops nest.
constexpr uint8_t kStepWordOpcode = 0x06;
constexpr unsigned kMaxLoopDepth = 4;

/// Dependency tokens (ISA.md §2.4): the most tokens a (signalling unit,
/// waiting unit) queue holds.
constexpr unsigned kTokenQueueDepth = 16;

/// The instruction table, in opcode order.
const std::vector<OpInfo> &instructionTable();
/// nullptr for an unknown opcode / mnemonic.
const OpInfo *lookup(Opcode op);
const OpInfo *lookupOpcodeByte(uint8_t byte);
const OpInfo *lookupMnemonic(std::string_view mnemonic);
/// Index of the field called `name` in info.fields, or -1.
int fieldIndex(const OpInfo &info, std::string_view name);

//===-- Enumerations used by fields -----------------------------------------===//

/// Vector/scalar functions (VOP, FOP). Arity: < 16 unary, 16..31 binary,
/// 32 ternary.
enum class VFn : uint8_t {
  Mov = 0, Neg = 1, Abs = 2, Exp = 3, Log = 4, Sqrt = 5, Rsqrt = 6, Recip = 7,
  Tanh = 8, Floor = 9, Ceil = 10,
  Add = 16, Sub = 17, Mul = 18, Div = 19, Max = 20, Min = 21, MaxNum = 22,
  MinNum = 23, CmpEq = 24, CmpNe = 25, CmpGt = 26, CmpGe = 27, CmpLt = 28,
  CmpLe = 29,
  Sel = 32,
};
std::optional<std::string_view> vfnName(uint64_t code);
std::optional<VFn> parseVFn(std::string_view s);
int vfnArity(VFn f);
/// The function's value (ISA.md §5.1); `c` only for Sel.
float applyVFn(VFn f, float a, float b = 0.0f, float c = 0.0f);

enum class Red : uint8_t { Sum = 0, Max = 1, Min = 2, Amax = 3 };
enum class Axis : uint8_t { All = 0, Row = 1, Col = 2 };
std::optional<std::string_view> redName(uint64_t code);
std::optional<std::string_view> axisName(uint64_t code);
/// One step of a reduction: acc' = combine(acc, x) (ISA.md §5.2).
float reduceStep(Red r, float acc, float x);

//===-- Format descriptors (Q3) ------------------------------------------===//

/// Descriptor kind codes (bits 3:0).
enum class FmtCode : uint8_t {
  Log = 0, Int = 1, UInt = 2, E2M1 = 3, E4M3 = 4, E5M2 = 5, E8M0 = 6,
  F16 = 7, BF16 = 8, F32 = 9
};
/// Packs a valid format into its 20-bit descriptor.
uint32_t encodeFormat(const num::Format &f);
/// Unpacks and validates a descriptor; on failure returns nullopt and sets
/// `error` to a sentence.
std::optional<num::Format> decodeFormat(uint64_t desc, std::string *error);
/// Bytes one element of `f` occupies in memory: 1 (<= 8 bits), 2, 4.
unsigned elementBytes(const num::Format &f);

//===-- Instructions -----------------------------------------------------===//

struct Instr {
  Opcode opcode = Opcode::NOP;
  /// One value per field of the opcode's OpInfo (same order). Signed fields
  /// hold the sign-extended value cast to uint64_t.
  std::vector<uint64_t> fields;
  /// Debug information, not encoded in the instruction word: which source
  /// op the instruction was compiled from, as an index into
  /// Program::sources plus one (0: none). Passes that reorder or insert
  /// instructions carry it along; the binary keeps it in its source map.
  uint32_t source = 0;
  /// Inside loops (ISA.md §2.5): per enclosing loop, outermost first, what
  /// each field (same order as `fields`) adds per iteration of that loop;
  /// only steppable fields (isSteppable) may step. Empty outside loops.
  std::vector<std::vector<int64_t>> steps;

  uint64_t get(std::string_view name) const;
  void set(std::string_view name, uint64_t v);
  static Instr make(Opcode op); // all fields zero
};

/// The DMA transfers: dma.ld, dma.st and their packed-code forms dma.ldp,
/// dma.stp (4-bit codes two per DRAM byte, low nibble first; `dram` and
/// `dstride` count nibbles; one code per SP byte).
inline bool isDma(Opcode op) {
  return op == Opcode::DMA_LD || op == Opcode::DMA_ST ||
         op == Opcode::DMA_LDP || op == Opcode::DMA_STP;
}
inline bool isDmaLoad(Opcode op) {
  return op == Opcode::DMA_LD || op == Opcode::DMA_LDP;
}
inline bool isPackedDma(Opcode op) {
  return op == Opcode::DMA_LDP || op == Opcode::DMA_STP;
}
/// The DRAM bytes [first, end) a DMA row of `n` elements from element
/// address `a` touches: bytes, or nibbles of packed codes.
inline std::pair<uint64_t, uint64_t> dmaDramBytes(Opcode op, uint64_t a,
                                                  uint64_t n) {
  if (isPackedDma(op))
    return {a / 2, (a + n + 1) / 2};
  return {a, a + n};
}

/// Fields a loop may step (ISA.md §2.5): addresses and strides and the
/// accumulator tile of `mma`/`mst` (which must stay in their field's range
/// in every iteration), and `li`'s 64-bit immediate (which wraps modulo
/// 2^64). No rule multiplies two of them, so every rule on a stepped
/// instruction holds in all iterations if it holds in the corner ones.
inline bool isSteppable(const FieldInfo &f) { return f.steppable; }

/// dep.signal and dep.wait: their unit is a field, not the table's.
inline bool isDependencyToken(Opcode op) {
  return op == Opcode::DEP_SIGNAL || op == Opcode::DEP_WAIT;
}

/// The unit whose queue `in` enters: the table's, or for dep.signal and
/// dep.wait their `unit` field.
Unit executingUnit(const Instr &in);

using Word = std::array<uint64_t, 2>; // bits 0..63, bits 64..127

/// "" if the instruction is encodable and legal for `arch` (field ranges,
/// register rules, formats, scratchpad bounds), else a sentence naming the
/// field (Q4..Q12).
std::string validate(const Instr &in, const Arch &arch);
/// Packs a validated instruction (its fields; the step words are separate).
Word encode(const Instr &in);
/// The step word of `in` for its enclosing loop `loop` (ISA.md §2.5): each
/// step in its field's bit positions, two's complement in the field's width.
Word encodeSteps(const Instr &in, size_t loop);
/// Unpacks a step word of `in` into its steps (sign-extended); the opcode
/// byte, reserved bits and steps of fields no loop may step are errors.
std::optional<std::vector<int64_t>> decodeSteps(const Word &w, const Instr &in,
                                                std::string *error);
/// Unpacks a word: unknown opcode, non-zero reserved bits and every
/// validate() rule are reported in `error`.
std::optional<Instr> decode(const Word &w, const Arch &arch,
                            std::string *error);

//===-- Programs -----------------------------------------------------------===//

enum class DType : uint8_t {
  F32 = 0, F16 = 1, BF16 = 2, I8 = 3, U8 = 4, I32 = 5, I64 = 6, Code = 7
};
std::string_view dtypeName(DType d);
unsigned dtypeBytes(DType d, const num::Format &fmt);

/// A named input or output tensor in DRAM.
struct TensorDesc {
  std::string name;
  DType dtype = DType::F32;
  num::Format format; // DType::Code only
  std::vector<uint32_t> shape;
  uint64_t address = 0;
  /// product(shape) * element bytes, or UINT64_MAX when that overflows 64
  /// bits (no DRAM holds such a tensor; Program::validate rejects it).
  uint64_t byteSize() const;
};

/// Constant bytes loaded into DRAM before the program starts.
struct Segment {
  uint64_t address = 0;
  std::vector<uint8_t> bytes;
};

struct Program {
  std::string name;
  Arch arch;
  uint64_t dramSize = 0;
  std::vector<TensorDesc> inputs, outputs;
  std::vector<Segment> segments;
  std::vector<Instr> code;
  /// The source labels instructions refer to (Instr::source - 1): what the
  /// compiler lowered them from, e.g. a layer ("conv1.weight
  /// (lenet.mlir:23)"). Non-empty and unique (Q26).
  std::vector<std::string> sources;
  /// "" if the program is well formed (every instruction valid, tensors and
  /// segments inside DRAM and pairwise disjoint, unique names, source labels
  /// well formed, loops nested and every iteration of a stepped instruction
  /// valid; Q20..Q28).
  std::string validate() const;
  /// Whether the code has a `loop`.
  bool hasLoops() const;
  /// The number of 16-byte words the code takes: instructions and step words.
  uint64_t codeWords() const;
  /// The index of `label` in `sources` plus one, adding it when new.
  uint32_t internSource(const std::string &label);
  /// Per instruction, its Instr::source or, when it has none, that of the
  /// nearest earlier instruction with one (0 before the first): the runs
  /// the source map stores (ISA.md §8), and how quant4-sim attributes
  /// cycles to sources.
  std::vector<uint32_t> sourceRuns() const;
};

/// The loops open at each instruction of code read or written in order
/// (ISA.md §2.5): what the assembly printer indents by, and how many step
/// words the parsers expect after an instruction.
class LoopNest {
public:
  /// How many loops enclose instruction `pc` (pcs given in increasing order).
  unsigned depthAt(size_t pc) {
    while (!ends.empty() && pc >= ends.back())
      ends.pop_back();
    return unsigned(ends.size());
  }
  /// Instruction `pc`, a `loop`, opens a body of its `len` instructions.
  void open(size_t pc, const Instr &loop) {
    ends.push_back(pc + 1 + loop.get("len"));
  }

private:
  std::vector<uint64_t> ends; // one past each open body, innermost last
};

/// Walks a valid program's code in execution order (ISA.md §2.5): a `loop`
/// is executed once each time it is reached and its body `count` times,
/// each instruction with its steps applied. Straight-line code is the code
/// itself.
class Execution {
public:
  explicit Execution(const Program &p) : code(p.code) {}
  /// The next instruction executed, or nullptr after the last; valid until
  /// the next call.
  const Instr *next();
  /// The code index (pc) of the instruction next() returned last.
  size_t pc() const { return current; }
  /// The iteration of each loop around it, outermost first.
  std::vector<uint64_t> iterations() const;

private:
  struct Frame {
    size_t begin, end;
    uint64_t count, iteration;
  };
  const std::vector<Instr> &code;
  std::vector<Frame> loops;
  size_t position = 0, current = 0;
  Instr stepped;
};

//===-- Assembly (ISA.md §7) ---------------------------------------------===//

std::string printInstr(const Instr &in);
std::string printAssembly(const Program &p);

struct AsmError {
  unsigned line = 0, column = 0;
  std::string message;
};
/// Parses a whole assembly file; on error returns nullopt and fills `err`.
std::optional<Program> parseAssembly(std::string_view text, AsmError &err);

//===-- Binary container (ISA.md §8) -------------------------------------===//

constexpr uint16_t kVersionMajor = 1, kVersionMinor = 5;
/// The header: 80 bytes, or 96 with the source map's fields (version 1.3,
/// written only for a program whose instructions have source labels).
constexpr uint32_t kHeaderBytes = 80, kHeaderBytesWithSources = 96;

/// CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and
/// final XOR 0xFFFFFFFF), the same as zlib's crc32.
uint32_t crc32(const uint8_t *data, size_t n, uint32_t crc = 0);

/// Serializes a validated program (deterministic: same program, same bytes).
std::vector<uint8_t> writeBinary(const Program &p);

struct BinError {
  uint64_t offset = 0;
  std::string message;
};
std::optional<Program> readBinary(const uint8_t *data, size_t size,
                                  BinError &err);

/// Per instruction: "OFFSET: W0 W1  ; assembly" (debug listing).
std::string printHexListing(const Program &p);
/// The encoding tables of ISA.md §6 in Markdown (generated from the table).
std::string printEncodingTables();

} // namespace quant4::q4a

#endif // QUANT4_TARGET_Q4A_ISA_H
