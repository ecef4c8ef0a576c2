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
  if (auto steps = op->getAttrOfType<ArrayAttr>("steps")) {
    for (Attribute a : steps) {
      auto s = dyn_cast<DenseI64ArrayAttr>(a);
      if (!s || s.size() != int64_t(info->fields.size())) {
        if (emit)
          op->emitOpError("'steps' must hold one array<i64> of ")
              << info->fields.size() << " steps per loop";
        return failure();
      }
      in.steps.emplace_back(s.asArrayRef().begin(), s.asArrayRef().end());
    }
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
  // Steps up to the innermost loop that steps a field.
  size_t used = in.steps.size();
  while (used &&
         llvm::all_of(in.steps[used - 1], [](int64_t v) { return v == 0; }))
    --used;
  if (used) {
    SmallVector<Attribute> steps;
    for (size_t k = 0; k < used; ++k)
      steps.push_back(b.getDenseI64ArrayAttr(in.steps[k]));
    st.addAttribute("steps", b.getArrayAttr(steps));
  }
  return b.create(st);
}

LogicalResult mlir::q4a::appendCode(Block &block, unsigned depth,
                                    std::vector<hw::Instr> &code,
                                    SmallVectorImpl<Operation *> &ops) {
  for (Operation &op : block) {
    if (auto loop = dyn_cast<LoopOp>(op)) {
      if (loop.getBody().front().empty())
        return loop.emitOpError("needs an instruction in its body (Q27)");
      size_t at = code.size();
      hw::Instr in = hw::Instr::make(hw::Opcode::LOOP);
      in.set("count", uint64_t(loop.getCount()));
      code.push_back(std::move(in));
      ops.push_back(&op);
      if (failed(appendCode(loop.getBody().front(), depth + 1, code, ops)))
        return failure();
      code[at].set("len", code.size() - at - 1);
      continue;
    }
    FailureOr<hw::Instr> in = toInstr(&op);
    if (failed(in))
      return failure();
    // An instruction that steps nothing in the inner loops around it has
    // zero steps for them.
    if (in->steps.size() < depth)
      in->steps.resize(depth, std::vector<int64_t>(in->fields.size(), 0));
    code.push_back(std::move(*in));
    ops.push_back(&op);
  }
  return success();
}

void mlir::q4a::buildCode(OpBuilder &b, ArrayRef<hw::Instr> code,
                          function_ref<Location(const hw::Instr &)> locOf) {
  OpBuilder::InsertionGuard guard(b);
  hw::LoopNest nest;
  unsigned open = 0; // q4a.loop bodies the insertion point is in
  for (size_t pc = 0; pc < code.size(); ++pc) {
    for (unsigned depth = nest.depthAt(pc); open > depth; --open)
      b.setInsertionPointAfter(b.getInsertionBlock()->getParentOp());
    const hw::Instr &in = code[pc];
    if (in.opcode != hw::Opcode::LOOP) {
      createInstrOp(b, locOf(in), in);
      continue;
    }
    auto loop = LoopOp::create(b, locOf(in), int64_t(in.get("count")));
    Block *body = new Block();
    loop.getBody().push_back(body);
    b.setInsertionPointToEnd(body);
    nest.open(pc, in);
    ++open;
  }
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
  SmallVector<SmallVector<int64_t>> steps; // per loop, per field
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
      // Inside loops: `+ STEP * iK` / `- STEP * iK` per loop K stepping it.
      while (true) {
        bool neg = succeeded(parser.parseOptionalMinus());
        if (!neg && failed(parser.parseOptionalPlus()))
          break;
        SMLoc stepLoc = parser.getCurrentLocation();
        uint64_t mag;
        StringRef kw;
        unsigned loop = 0;
        if (parser.parseInteger(mag) || parser.parseStar() ||
            parser.parseKeyword(&kw) || !kw.consume_front("i") ||
            kw.getAsInteger(10, loop) || loop >= hw::kMaxLoopDepth)
          return parser.emitError(stepLoc, "field '")
                 << f.name << "': expected a step 'STEP * iK' (K < "
                 << hw::kMaxLoopDepth << ")";
        if (!hw::isSteppable(f))
          return parser.emitError(stepLoc, "field '")
                 << f.name << "' cannot step (Q28)";
        if (steps.size() <= loop)
          steps.resize(loop + 1, SmallVector<int64_t>(info->fields.size(), 0));
        steps[loop][i] += neg ? int64_t(0 - mag) : int64_t(mag);
      }
      break;
    }
    }
    result.addAttribute(f.name, a);
  }
  if (!steps.empty()) {
    SmallVector<Attribute> arrays;
    for (const SmallVector<int64_t> &s : steps)
      arrays.push_back(b.getDenseI64ArrayAttr(s));
    result.addAttribute("steps", b.getArrayAttr(arrays));
  }
  return parser.parseOptionalAttrDict(result.attributes);
}

void mlir::q4a::printInstrOp(OpAsmPrinter &p, Operation *op) {
  const hw::OpInfo *info = getOpInfo(op);
  SmallVector<StringRef> elided;
  // Well-formed steps print with the fields they step; malformed ones stay
  // in the attribute dictionary for the verifier's error.
  auto steps = op->getAttrOfType<ArrayAttr>("steps");
  if (steps && llvm::all_of(steps, [&](Attribute a) {
        auto s = dyn_cast<DenseI64ArrayAttr>(a);
        return s && info && s.size() == int64_t(info->fields.size());
      }))
    elided.push_back("steps");
  else
    steps = nullptr;
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
    for (size_t k = 0; steps && k < steps.size(); ++k) {
      int64_t st = cast<DenseI64ArrayAttr>(steps[k])[i];
      if (!st)
        continue;
      uint64_t mag = st < 0 ? uint64_t(0) - uint64_t(st) : uint64_t(st);
      p << (st < 0 ? " - " : " + ");
      if (isHexKind(f.kind))
        p << "0x" << llvm::utohexstr(mag, /*LowerCase=*/true);
      else
        p << mag;
      p << " * i" << k;
    }
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
  SmallVector<Operation *> ops;
  if (failed(appendCode(program.getBody().front(), 0, p.code, ops)))
    return failure();
  // The source map comes from the instructions' name locations.
  for (size_t pc = 0; pc < ops.size(); ++pc)
    if (auto name = dyn_cast<NameLoc>(ops[pc]->getLoc()))
      p.code[pc].source = p.internSource(name.getName().str());
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
  buildCode(b, p.code, [&](const hw::Instr &in) -> Location {
    return in.source ? sourceLocs[in.source - 1] : loc;
  });
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
    std::vector<hw::Instr> code;
    SmallVector<Operation *> ops;
    if (succeeded(appendCode(getBody().front(), 0, code, ops)) &&
        idx < ops.size())
      return ops[idx]->emitOpError(e);
  }
  return emitOpError(e);
}
