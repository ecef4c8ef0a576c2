//===- Quant4Dialect.cpp - quant4 dialect, types and attributes -----------===//
#include "quant4/Dialect/Quant4/IR/Quant4.h"

#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::quant4;

#include "quant4/Dialect/Quant4/IR/Quant4Dialect.cpp.inc"
#include "quant4/Dialect/Quant4/IR/Quant4Enums.cpp.inc"
#include "quant4/Dialect/Quant4/IR/Quant4AttrInterfaces.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "quant4/Dialect/Quant4/IR/Quant4Types.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "quant4/Dialect/Quant4/IR/Quant4Attrs.cpp.inc"

namespace {
/// Type aliases for the printer. A lowered training step returns its ~3L
/// results (one memref descriptor each) packed into one literal
/// `!llvm.struct`, and each of the O(L) `llvm.insertvalue`s that build it
/// (and the `llvm.func`, `llvm.call` and `llvm.return` that pass it) would
/// print that whole type: O(L^2) text. The LLVM dialect aliases none of its
/// types, so quant4 names every literal struct of at least
/// `kMinAliasedStructElements` elements `!llvm_struct` (the printer numbers
/// distinct ones: `!llvm_struct1`, ...) and the module prints its body once,
/// at the top. Only the text changes; the parser reads the alias back.
/// Smaller structs (memref descriptors: 5 elements) print inline as before.
constexpr unsigned kMinAliasedStructElements = 8;

struct Quant4OpAsmDialectInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;

  AliasResult getAlias(Type type, raw_ostream &os) const override {
    auto s = dyn_cast<LLVM::LLVMStructType>(type);
    if (!s || s.isIdentified() || s.isOpaque() ||
        s.getBody().size() < kMinAliasedStructElements)
      return AliasResult::NoAlias;
    os << "llvm_struct";
    return AliasResult::OverridableAlias;
  }
};
} // namespace

void Quant4Dialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "quant4/Dialect/Quant4/IR/Quant4Ops.cpp.inc"
      >();
  addInterfaces<Quant4OpAsmDialectInterface>();
}

void Quant4Dialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "quant4/Dialect/Quant4/IR/Quant4Types.cpp.inc"
      >();
}

void Quant4Dialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "quant4/Dialect/Quant4/IR/Quant4Attrs.cpp.inc"
      >();
}

Operation *Quant4Dialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return nullptr;
  if (isQuantizedFormat(tensorType.getElementType())) {
    auto codes = dyn_cast<DenseIntElementsAttr>(value);
    if (!codes || !codes.getType().getElementType().isUnsignedInteger(8))
      return nullptr;
    return ConstantOp::create(builder, loc, type, codes);
  }
  if (auto dense = dyn_cast<DenseFPElementsAttr>(value);
      dense && dense.getType() == type)
    return arith::ConstantOp::create(builder, loc, type, dense);
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Bridge to the Numerics library
//===----------------------------------------------------------------------===//

std::optional<num::Format> mlir::quant4::getFormat(Type type) {
  if (auto t = dyn_cast<LogType>(type))
    return num::Format::log(t.getRadix(), t.getEbits(), t.getPhase(),
                            t.getBias());
  if (auto t = dyn_cast<IntType>(type))
    return num::Format::sint(t.getBits());
  if (auto t = dyn_cast<UIntType>(type))
    return num::Format::uint(t.getBits());
  if (isa<Float4E2M1FNType>(type))
    return num::Format::fp4e2m1();
  if (isa<Float8E4M3FNType>(type))
    return num::Format::fp8e4m3();
  if (isa<Float8E5M2Type>(type))
    return num::Format::fp8e5m2();
  if (isa<Float8E8M0FNUType>(type))
    return num::Format::e8m0();
  if (type.isF16())
    return num::Format::fp16();
  if (type.isBF16())
    return num::Format::bf16();
  if (type.isF32())
    return num::Format::fp32();
  return std::nullopt;
}

bool mlir::quant4::isQuantizedFormat(Type type) {
  return isa<LogType, IntType, UIntType, Float4E2M1FNType, Float8E4M3FNType,
             Float8E5M2Type>(type);
}

unsigned mlir::quant4::getFormatWidth(Type type) {
  auto f = getFormat(type);
  return f ? f->bitWidth() : 0;
}

num::Rounding mlir::quant4::toNumerics(RoundingKind kind) {
  switch (kind) {
  case RoundingKind::nearest:
    return num::Rounding::NearestLinear;
  case RoundingKind::nearest_log:
    return num::Rounding::NearestLog;
  case RoundingKind::nearest_even:
    return num::Rounding::NearestEven;
  case RoundingKind::stochastic:
    return num::Rounding::Stochastic;
  case RoundingKind::stochastic_underflow:
    return num::Rounding::StochasticUnderflow;
  }
  llvm_unreachable("unknown rounding kind");
}

num::Accumulation mlir::quant4::toNumerics(AccumulationAttr acc) {
  num::Accumulation r;
  switch (acc.getKind()) {
  case AccumulationKind::f32:
    r.kind = num::AccumKind::F32;
    break;
  case AccumulationKind::f16:
    r.kind = num::AccumKind::F16;
    break;
  case AccumulationKind::f16_chunked:
    r.kind = num::AccumKind::F16Chunked;
    r.chunk = acc.getChunk();
    break;
  case AccumulationKind::exact:
    r.kind = num::AccumKind::Exact;
    break;
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

int LogType::defaultBias(unsigned ebits) { return num::defaultLogBias(ebits); }

/// Parses one integer parameter into int64, so that negative and huge values
/// reach the verifier (and its precise message) instead of a parse error.
static ParseResult parseIntParam(AsmParser &parser, int64_t &value,
                                 StringRef name) {
  SMLoc loc = parser.getCurrentLocation();
  OptionalParseResult r = parser.parseOptionalInteger(value);
  if (!r.has_value())
    return parser.emitError(loc, "expected integer value for '") << name << "'";
  return *r;
}

Type LogType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t radix, ebits, phase;
  if (parser.parseLess() || parseIntParam(parser, radix, "radix") ||
      parser.parseComma() || parseIntParam(parser, ebits, "ebits") ||
      parser.parseComma() || parseIntParam(parser, phase, "phase"))
    return {};
  std::optional<int64_t> bias;
  if (succeeded(parser.parseOptionalComma())) {
    int64_t b;
    if (parseIntParam(parser, b, "bias"))
      return {};
    bias = b;
  }
  if (parser.parseGreater())
    return {};
  auto emitError = [&] { return parser.emitError(loc); };
  // Negative values wrap through `unsigned` and back to `int` in verify(), so
  // the Numerics validator sees (and names) the value the user wrote.
  auto clampInt = [](int64_t v) {
    return (int)std::clamp<int64_t>(v, -(1 << 20), 1 << 20);
  };
  int b = bias ? clampInt(*bias)
               : (ebits >= 1 && ebits <= 16 ? defaultBias(ebits) : 0);
  return LogType::getChecked(emitError, parser.getContext(), clampInt(radix),
                             clampInt(ebits), clampInt(phase), b);
}

void LogType::print(AsmPrinter &printer) const {
  printer << '<' << getRadix() << ", " << getEbits() << ", " << getPhase();
  if (getBias() != defaultBias(getEbits()))
    printer << ", " << getBias();
  printer << '>';
}

LogicalResult LogType::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned radix, unsigned ebits, unsigned phase,
                              int bias) {
  std::string msg = num::validateLog(radix, ebits, phase, bias);
  if (!msg.empty())
    return emitError() << "invalid !quant4.log: " << msg;
  return success();
}

LogicalResult IntType::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits) {
  std::string msg = num::validateInt(bits);
  if (!msg.empty())
    return emitError() << "invalid !quant4.int: " << msg;
  return success();
}

LogicalResult UIntType::verify(function_ref<InFlightDiagnostic()> emitError,
                               unsigned bits) {
  std::string msg = num::validateInt(bits);
  if (!msg.empty())
    return emitError() << "invalid !quant4.uint: " << msg;
  return success();
}

//===----------------------------------------------------------------------===//
// Scale-policy attributes
//===----------------------------------------------------------------------===//

/// Parameterless policies print as their mnemonic alone.
Attribute GradScaleAttr::parse(AsmParser &parser, Type) {
  return GradScaleAttr::get(parser.getContext());
}
void GradScaleAttr::print(AsmPrinter &) const {}
Attribute SawbAttr::parse(AsmParser &parser, Type) {
  return SawbAttr::get(parser.getContext());
}
void SawbAttr::print(AsmPrinter &) const {}
Attribute PactAttr::parse(AsmParser &parser, Type) {
  return PactAttr::get(parser.getContext());
}
void PactAttr::print(AsmPrinter &) const {}

// #quant4.amax or #quant4.amax<pow2>
Attribute AmaxAttr::parse(AsmParser &parser, Type) {
  bool pow2 = false;
  if (succeeded(parser.parseOptionalLess())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef kw;
    if (parser.parseKeyword(&kw))
      return {};
    if (kw != "pow2") {
      parser.emitError(loc, "unknown #quant4.amax parameter '")
          << kw << "', expected 'pow2'";
      return {};
    }
    pow2 = true;
    if (parser.parseGreater())
      return {};
  }
  return AmaxAttr::get(parser.getContext(), pow2);
}
void AmaxAttr::print(AsmPrinter &printer) const {
  if (getPow2())
    printer << "<pow2>";
}

// #quant4.delayed<history = 16[, margin = 0]>
Attribute DelayedAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t history = -1, margin = 0;
  if (parser.parseLess() || parser.parseKeyword("history") ||
      parser.parseEqual() || parser.parseInteger(history))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("margin") || parser.parseEqual() ||
        parser.parseInteger(margin))
      return {};
  }
  if (parser.parseGreater())
    return {};
  if (history < 1 || history > (1 << 20)) {
    parser.emitError(loc, "#quant4.delayed history length must be in [1, "
                          "1048576], got ")
        << history;
    return {};
  }
  if (margin < -64 || margin > 64) {
    parser.emitError(loc, "#quant4.delayed margin must be in [-64, 64], got ")
        << margin;
    return {};
  }
  return DelayedAttr::getChecked([&] { return parser.emitError(loc); },
                                 parser.getContext(), history, margin);
}
void DelayedAttr::print(AsmPrinter &printer) const {
  printer << "<history = " << getHistory();
  if (getMargin() != 0)
    printer << ", margin = " << getMargin();
  printer << '>';
}
LogicalResult DelayedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  unsigned history, int margin) {
  if (history < 1)
    return emitError() << "#quant4.delayed history length must be >= 1";
  if (margin < -64 || margin > 64)
    return emitError() << "#quant4.delayed margin must be in [-64, 64], got "
                       << margin;
  return success();
}

// #quant4.block<scale = f8E8M0FNU[, tensor_scale]>
Attribute BlockAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Type scale;
  bool tensorScale = false;
  if (parser.parseLess() || parser.parseKeyword("scale") ||
      parser.parseEqual() || parser.parseType(scale))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("tensor_scale"))
      return {};
    tensorScale = true;
  }
  if (parser.parseGreater())
    return {};
  return BlockAttr::getChecked([&] { return parser.emitError(loc); },
                               parser.getContext(), scale, tensorScale);
}
void BlockAttr::print(AsmPrinter &printer) const {
  printer << "<scale = " << getScale();
  if (getTensorScale())
    printer << ", tensor_scale";
  printer << '>';
}
LogicalResult BlockAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                Type scale, bool) {
  if (!isa<Float8E8M0FNUType, Float8E4M3FNType>(scale) && !scale.isF32())
    return emitError() << "#quant4.block scale format must be f8E8M0FNU, "
                          "f8E4M3FN or f32, got "
                       << scale;
  return success();
}

//===----------------------------------------------------------------------===//
// Granularity
//===----------------------------------------------------------------------===//

// #quant4.granularity<tensor> | <axis = 1> | <block = [1, 32]>
Attribute GranularityAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  MLIRContext *ctx = parser.getContext();
  auto emitError = [&] { return parser.emitError(loc); };
  StringRef kw;
  if (parser.parseLess() || parser.parseKeyword(&kw))
    return {};
  Attribute result;
  if (kw == "tensor") {
    result = GranularityAttr::get(ctx, GranularityKind::tensor, 0, {});
  } else if (kw == "axis") {
    int64_t axis;
    if (parser.parseEqual() || parser.parseInteger(axis))
      return {};
    result = GranularityAttr::getChecked(emitError, ctx, GranularityKind::axis,
                                         axis, {});
  } else if (kw == "block") {
    SmallVector<int64_t> sizes;
    if (parser.parseEqual() ||
        parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
          return parser.parseInteger(sizes.emplace_back());
        }))
      return {};
    result = GranularityAttr::getChecked(emitError, ctx,
                                         GranularityKind::block, 0, sizes);
  } else {
    parser.emitError(loc, "unknown granularity '")
        << kw << "', expected 'tensor', 'axis' or 'block'";
    return {};
  }
  if (!result || parser.parseGreater())
    return {};
  return result;
}

void GranularityAttr::print(AsmPrinter &printer) const {
  switch (getKind()) {
  case GranularityKind::tensor:
    printer << "<tensor>";
    return;
  case GranularityKind::axis:
    printer << "<axis = " << getAxis() << '>';
    return;
  case GranularityKind::block:
    printer << "<block = [";
    llvm::interleaveComma(getBlock(), printer);
    printer << "]>";
    return;
  }
}

LogicalResult
GranularityAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        GranularityKind kind, int64_t axis,
                        ArrayRef<int64_t> block) {
  if (kind == GranularityKind::axis && axis < 0)
    return emitError() << "granularity axis must be non-negative, got "
                       << axis;
  if (kind == GranularityKind::block) {
    if (block.empty())
      return emitError() << "block granularity needs at least one block size";
    for (int64_t b : block)
      if (b < 1)
        return emitError() << "block sizes must be positive, got " << b;
  }
  if (kind != GranularityKind::axis && axis != 0)
    return emitError() << "only axis granularity has an axis";
  if (kind != GranularityKind::block && !block.empty())
    return emitError() << "only block granularity has block sizes";
  return success();
}

//===----------------------------------------------------------------------===//
// Accumulation
//===----------------------------------------------------------------------===//

LogicalResult
AccumulationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         AccumulationKind kind, unsigned chunk) {
  if (kind == AccumulationKind::f16_chunked && chunk == 0)
    return emitError() << "accumulation 'f16_chunked' needs a positive chunk "
                          "length, e.g. #quant4.acc<f16_chunked, 64>";
  if (kind != AccumulationKind::f16_chunked && chunk != 0)
    return emitError() << "only 'f16_chunked' accumulation takes a chunk "
                          "length";
  return success();
}
