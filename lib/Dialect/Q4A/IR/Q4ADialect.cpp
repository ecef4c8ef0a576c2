//===- Q4ADialect.cpp - the q4a dialect -----------------------------------===//
//
// Instruction ops share one syntax, one verifier and one conversion to the
// encoder's Instr, all driven by the ISA table (quant4/Target/Q4A/ISA.h).
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Q4A/IR/Q4A.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::q4a;

#include "quant4/Dialect/Q4A/IR/Q4ADialect.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "quant4/Dialect/Q4A/IR/Q4AAttrs.cpp.inc"
#define GET_OP_CLASSES
#include "quant4/Dialect/Q4A/IR/Q4AOps.cpp.inc"

void Q4ADialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "quant4/Dialect/Q4A/IR/Q4AAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "quant4/Dialect/Q4A/IR/Q4AOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Formats and tensor types
//===----------------------------------------------------------------------===//

Type mlir::q4a::formatToType(MLIRContext *ctx, const num::Format &f) {
  using num::FormatKind;
  switch (f.kind) {
  case FormatKind::Log:
    return mlir::quant4::LogType::get(ctx, unsigned(f.radix), unsigned(f.ebits),
                                unsigned(f.phase), f.bias);
  case FormatKind::Int: return mlir::quant4::IntType::get(ctx, unsigned(f.bits));
  case FormatKind::UInt: return mlir::quant4::UIntType::get(ctx, unsigned(f.bits));
  case FormatKind::FP4E2M1: return Float4E2M1FNType::get(ctx);
  case FormatKind::FP8E4M3: return Float8E4M3FNType::get(ctx);
  case FormatKind::FP8E5M2: return Float8E5M2Type::get(ctx);
  case FormatKind::E8M0: return Float8E8M0FNUType::get(ctx);
  case FormatKind::FP16: return Float16Type::get(ctx);
  case FormatKind::BF16: return BFloat16Type::get(ctx);
  case FormatKind::FP32: return Float32Type::get(ctx);
  }
  return {};
}

/// dtype (and format) of a tensor element type; nullopt if unsupported.
static std::optional<std::pair<hw::DType, num::Format>>
elementDType(Type t) {
  using D = hw::DType;
  if (mlir::quant4::isQuantizedFormat(t))
    return std::make_pair(D::Code, *mlir::quant4::getFormat(t));
  num::Format none;
  if (t.isF32())
    return std::make_pair(D::F32, none);
  if (t.isF16())
    return std::make_pair(D::F16, none);
  if (t.isBF16())
    return std::make_pair(D::BF16, none);
  if (t.isSignlessInteger(8))
    return std::make_pair(D::I8, none);
  if (t.isUnsignedInteger(8))
    return std::make_pair(D::U8, none);
  if (t.isSignlessInteger(32))
    return std::make_pair(D::I32, none);
  if (t.isSignlessInteger(64))
    return std::make_pair(D::I64, none);
  return std::nullopt;
}

static Type dtypeToType(MLIRContext *ctx, hw::DType d,
                        const num::Format &f) {
  using D = hw::DType;
  switch (d) {
  case D::F32: return Float32Type::get(ctx);
  case D::F16: return Float16Type::get(ctx);
  case D::BF16: return BFloat16Type::get(ctx);
  case D::I8: return IntegerType::get(ctx, 8);
  case D::U8: return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case D::I32: return IntegerType::get(ctx, 32);
  case D::I64: return IntegerType::get(ctx, 64);
  case D::Code: return formatToType(ctx, f);
  }
  return {};
}

LogicalResult TensorAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, uint64_t address, Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return emitError() << "tensor '" << name
                       << "' needs a statically shaped ranked tensor type, got "
                       << type;
  if (t.getRank() > 8)
    return emitError() << "tensor '" << name << "' has rank " << t.getRank()
                       << ", more than 8 (Q20)";
  if (!elementDType(t.getElementType()))
    return emitError() << "tensor '" << name << "': element type "
                       << t.getElementType()
                       << " has no Q4A dtype (f32, f16, bf16, i8, ui8, i32, "
                          "i64 or a quantized format)";
  if (name.empty())
    return emitError() << "tensor names must not be empty (Q20)";
  (void)address;
  return success();
}

LogicalResult SegmentAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  uint64_t, DenseIntElementsAttr bytes) {
  if (!bytes || bytes.getType().getRank() != 1 ||
      !bytes.getType().getElementType().isUnsignedInteger(8))
    return emitError() << "segment bytes must be a 1-D tensor of ui8";
  return success();
}

//===----------------------------------------------------------------------===//
// Instruction ops <-> Instr
//===----------------------------------------------------------------------===//

static std::string mnemonicOf(StringRef opName) {
  std::string m = opName.drop_front(StringRef("q4a.").size()).str();
  for (char &c : m)
    if (c == '_')
      c = '.';
  return m;
}

const hw::OpInfo *mlir::q4a::getOpInfo(Operation *op) {
  if (op->getName().getDialectNamespace() != "q4a")
    return nullptr;
  return hw::lookupMnemonic(mnemonicOf(op->getName().getStringRef()));
}

hw::Arch mlir::q4a::getArch(ProgramOp program) {
  hw::Arch a;
  if (!program)
    return a;
  a.spBytes = uint32_t(program.getSpSize());
  a.arrayRows = uint16_t(program.getArrayRows());
  a.arrayCols = uint16_t(program.getArrayCols());
  return a;
}

FailureOr<hw::Instr> mlir::q4a::toInstr(Operation *op, bool emit) {
  const hw::OpInfo *info = getOpInfo(op);
  if (!info) {
    if (emit)
      op->emitOpError("is not a Q4A instruction");
    return failure();
  }
  hw::Instr in = hw::Instr::make(info->opcode);
  for (size_t i = 0; i < info->fields.size(); ++i) {
    const hw::FieldInfo &f = info->fields[i];
    Attribute a = op->getAttr(f.name);
    if (f.kind == hw::FieldKind::Fmt) {
      auto ta = dyn_cast_or_null<TypeAttr>(a);
      std::optional<num::Format> fmt =
          ta ? mlir::quant4::getFormat(ta.getValue()) : std::nullopt;
      if (!fmt) {
        if (emit)
          op->emitOpError("field '")
              << f.name << "' must be a format type, got " << a;
        return failure();
      }
      in.fields[i] = hw::encodeFormat(*fmt);
      continue;
    }
    auto ia = dyn_cast_or_null<IntegerAttr>(a);
    if (!ia) {
      if (emit)
        op->emitOpError("field '") << f.name << "' must be an integer";
      return failure();
    }
    in.fields[i] = uint64_t(ia.getInt());
  }
  return in;
}

Operation *mlir::q4a::createInstrOp(OpBuilder &b, Location loc,
                                    const hw::Instr &in) {
  const hw::OpInfo *info = hw::lookup(in.opcode);
  std::string name = std::string("q4a.") + info->mnemonic;
  for (char &c : name)
    if (c == '.' && &c != &name[3])
      c = '_';
  OperationState st(loc, name);
  MLIRContext *ctx = b.getContext();
  for (size_t i = 0; i < info->fields.size(); ++i) {
    const hw::FieldInfo &f = info->fields[i];
    Attribute a;
    if (f.kind == hw::FieldKind::Fmt)
      a = TypeAttr::get(
          formatToType(ctx, *hw::decodeFormat(in.fields[i], nullptr)));
    else
      a = b.getI64IntegerAttr(int64_t(in.fields[i]));
    st.addAttribute(f.name, a);
  }
  return b.create(st);
}

//===----------------------------------------------------------------------===//
// Shared syntax and verifier
//===----------------------------------------------------------------------===//

static bool isHexKind(hw::FieldKind k) {
  return k == hw::FieldKind::Addr || k == hw::FieldKind::F32 ||
         k == hw::FieldKind::Mask;
}

static std::vector<std::string> enumNames(hw::FieldKind k) {
  std::vector<std::string> n;
  switch (k) {
  case hw::FieldKind::Rnd:
    for (int i = 0; i < 5; ++i)
      n.emplace_back(num::roundingName(num::Rounding(i)));
    break;
  case hw::FieldKind::Acc:
    for (int i = 0; i < 4; ++i)
      n.emplace_back(num::accumName(num::AccumKind(i)));
    break;
  case hw::FieldKind::VFn:
    for (int i = 0; i < 64; ++i) {
      auto s = hw::vfnName(uint64_t(i));
      n.emplace_back(s ? std::string(*s) : std::string());
    }
    break;
  case hw::FieldKind::Red:
    for (int i = 0; i < 4; ++i)
      n.emplace_back(*hw::redName(uint64_t(i)));
    break;
  case hw::FieldKind::Axis:
    for (int i = 0; i < 3; ++i)
      n.emplace_back(*hw::axisName(uint64_t(i)));
    break;
  default:
    break;
  }
  return n;
}

ParseResult mlir::q4a::parseInstrOp(OpAsmParser &parser,
                                    OperationState &result) {
  const hw::OpInfo *info =
      hw::lookupMnemonic(mnemonicOf(result.name.getStringRef()));
  if (!info)
    return parser.emitError(parser.getCurrentLocation(),
                            "not a Q4A instruction");
  Builder &b = parser.getBuilder();
  for (size_t i = 0; i < info->fields.size(); ++i) {
    const hw::FieldInfo &f = info->fields[i];
    if (i && parser.parseComma())
      return failure();
    if (parser.parseKeyword(f.name) || parser.parseEqual())
      return failure();
    SMLoc loc = parser.getCurrentLocation();
    Attribute a;
    switch (f.kind) {
    case hw::FieldKind::Fmt: {
      Type t;
      if (parser.parseType(t))
        return failure();
      a = TypeAttr::get(t);
      break;
    }
    case hw::FieldKind::XReg:
    case hw::FieldKind::FReg: {
      char prefix = f.kind == hw::FieldKind::XReg ? 'x' : 'f';
      StringRef kw;
      unsigned idx = 0;
      if (parser.parseKeyword(&kw) || kw.size() < 2 || kw[0] != prefix ||
          kw.drop_front().getAsInteger(10, idx) || idx > 31)
        return parser.emitError(loc, "field '")
               << f.name << "' expects a register " << prefix << "0.."
               << prefix << "31";
      a = b.getI64IntegerAttr(idx);
      break;
    }
    case hw::FieldKind::Rnd:
    case hw::FieldKind::Acc:
    case hw::FieldKind::VFn:
    case hw::FieldKind::Red:
    case hw::FieldKind::Axis: {
      StringRef kw;
      if (parser.parseKeyword(&kw))
        return failure();
      std::vector<std::string> names = enumNames(f.kind);
      auto it = std::find(names.begin(), names.end(), kw.str());
      if (kw.empty() || it == names.end())
        return parser.emitError(loc, "field '")
               << f.name << "': unknown value '" << kw << "'";
      a = b.getI64IntegerAttr(int64_t(it - names.begin()));
      break;
    }
    default: {
      int64_t v;
      if (parser.parseInteger(v))
        return failure();
      a = b.getI64IntegerAttr(v);
      break;
    }
    }
    result.addAttribute(f.name, a);
  }
  return parser.parseOptionalAttrDict(result.attributes);
}

void mlir::q4a::printInstrOp(OpAsmPrinter &p, Operation *op) {
  const hw::OpInfo *info = getOpInfo(op);
  SmallVector<StringRef> elided;
  for (size_t i = 0; info && i < info->fields.size(); ++i) {
    const hw::FieldInfo &f = info->fields[i];
    elided.push_back(f.name);
    p << (i ? ", " : " ") << f.name << " = ";
    Attribute a = op->getAttr(f.name);
    if (f.kind == hw::FieldKind::Fmt) {
      if (auto ta = dyn_cast_or_null<TypeAttr>(a))
        p.printType(ta.getValue());
      else
        p.printAttribute(a);
      continue;
    }
    auto ia = dyn_cast_or_null<IntegerAttr>(a);
    if (!ia) {
      p.printAttribute(a);
      continue;
    }
    int64_t v = ia.getInt();
    std::vector<std::string> names = enumNames(f.kind);
    if (f.kind == hw::FieldKind::XReg)
      p << "x" << v;
    else if (f.kind == hw::FieldKind::FReg)
      p << "f" << v;
    else if (!names.empty() && v >= 0 && size_t(v) < names.size() &&
             !names[size_t(v)].empty())
      p << names[size_t(v)];
    else if (isHexKind(f.kind) && v >= 0)
      p << "0x" << llvm::utohexstr(uint64_t(v), /*LowerCase=*/true);
    else
      p << v;
  }
  p.printOptionalAttrDict(op->getAttrs(), elided);
}

LogicalResult mlir::q4a::verifyInstrOp(Operation *op) {
  FailureOr<hw::Instr> in = toInstr(op);
  if (failed(in))
    return failure();
  std::string e =
      hw::validate(*in, getArch(op->getParentOfType<ProgramOp>()));
  if (!e.empty())
    return op->emitOpError(e);
  return success();
}

//===----------------------------------------------------------------------===//
// q4a.program <-> Program
//===----------------------------------------------------------------------===//

void ProgramOp::build(OpBuilder &b, OperationState &st, StringRef name) {
  st.addAttribute(getSymNameAttrName(st.name), b.getStringAttr(name));
  st.addAttribute(getDramSizeAttrName(st.name), b.getI64IntegerAttr(0));
  st.addAttribute(getInputsAttrName(st.name), b.getArrayAttr({}));
  st.addAttribute(getOutputsAttrName(st.name), b.getArrayAttr({}));
  Region *r = st.addRegion();
  r->push_back(new Block());
}

static hw::TensorDesc toDesc(TensorAttr t) {
  hw::TensorDesc d;
  d.name = t.getName().str();
  d.address = t.getAddress();
  auto type = cast<RankedTensorType>(t.getType());
  auto [dt, fmt] = *elementDType(type.getElementType());
  d.dtype = dt;
  d.format = fmt;
  for (int64_t s : type.getShape())
    d.shape.push_back(uint32_t(s));
  return d;
}

FailureOr<hw::Program> mlir::q4a::toProgram(ProgramOp program) {
  hw::Program p;
  p.name = program.getSymName().str();
  p.arch = getArch(program);
  p.dramSize = uint64_t(program.getDramSize());
  for (Attribute a : program.getInputs())
    p.inputs.push_back(toDesc(cast<TensorAttr>(a)));
  for (Attribute a : program.getOutputs())
    p.outputs.push_back(toDesc(cast<TensorAttr>(a)));
  for (Attribute a : program.getSegments()) {
    auto s = cast<SegmentAttr>(a);
    hw::Segment seg;
    seg.address = s.getAddress();
    for (const APInt &v : s.getBytes().getValues<APInt>())
      seg.bytes.push_back(uint8_t(v.getZExtValue()));
    p.segments.push_back(std::move(seg));
  }
  // The source map comes from the instructions' name locations.
  for (Operation &op : program.getBody().front()) {
    FailureOr<hw::Instr> in = toInstr(&op);
    if (failed(in))
      return failure();
    if (auto name = dyn_cast<NameLoc>(op.getLoc()))
      in->source = p.internSource(name.getName().str());
    p.code.push_back(std::move(*in));
  }
  return p;
}

ProgramOp mlir::q4a::fromProgram(OpBuilder &b, Location loc,
                                 const hw::Program &p) {
  MLIRContext *ctx = b.getContext();
  auto prog = ProgramOp::create(b, loc, p.name);
  prog.setDramSize(int64_t(p.dramSize));
  prog.setSpSize(int64_t(p.arch.spBytes));
  prog.setArrayRows(int64_t(p.arch.arrayRows));
  prog.setArrayCols(int64_t(p.arch.arrayCols));
  auto tensors = [&](const std::vector<hw::TensorDesc> &list) {
    SmallVector<Attribute> out;
    for (const hw::TensorDesc &t : list) {
      SmallVector<int64_t> shape(t.shape.begin(), t.shape.end());
      auto type = RankedTensorType::get(shape,
                                        dtypeToType(ctx, t.dtype, t.format));
      out.push_back(TensorAttr::get(ctx, t.name, t.address, type));
    }
    return b.getArrayAttr(out);
  };
  prog.setInputsAttr(tensors(p.inputs));
  prog.setOutputsAttr(tensors(p.outputs));
  SmallVector<Attribute> segs;
  for (const hw::Segment &s : p.segments) {
    auto type = RankedTensorType::get(
        {int64_t(s.bytes.size())},
        IntegerType::get(ctx, 8, IntegerType::Unsigned));
    segs.push_back(SegmentAttr::get(
        ctx, s.address,
        cast<DenseIntElementsAttr>(DenseElementsAttr::get(
            type, ArrayRef<uint8_t>(s.bytes.data(), s.bytes.size())))));
  }
  if (!segs.empty())
    prog.setSegmentsAttr(b.getArrayAttr(segs));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToEnd(&prog.getBody().front());
  SmallVector<Location> sourceLocs;
  for (const std::string &label : p.sources)
    sourceLocs.push_back(NameLoc::get(StringAttr::get(ctx, label), loc));
  for (const hw::Instr &in : p.code)
    createInstrOp(b, in.source ? sourceLocs[in.source - 1] : loc, in);
  return prog;
}

LogicalResult ProgramOp::verifyRegions() {
  hw::Arch arch = getArch(*this);
  if (std::string e = arch.validate(); !e.empty())
    return emitOpError(e);
  if (getDramSize() < 0)
    return emitOpError("dram_size must be non-negative");
  FailureOr<hw::Program> p = toProgram(*this);
  if (failed(p))
    return failure();
  std::string e = p->validate();
  if (e.empty())
    return success();
  unsigned long idx;
  if (std::sscanf(e.c_str(), "instruction %lu:", &idx) == 1) {
    auto &ops = getBody().front().getOperations();
    if (idx < ops.size())
      return std::next(ops.begin(), long(idx))->emitOpError(e);
  }
  return emitOpError(e);
}
