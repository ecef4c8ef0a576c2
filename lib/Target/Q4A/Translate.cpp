//===- Translate.cpp - q4a.program <-> Q4A assembly / binary --------------===//
#include "quant4/Target/Q4A/Translate.h"

#include "quant4/Dialect/Q4A/IR/Q4A.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::q4a;

static FailureOr<hw::Program> findProgram(Operation *op) {
  ProgramOp prog = dyn_cast<ProgramOp>(op);
  if (!prog) {
    SmallVector<ProgramOp> found;
    op->walk([&](ProgramOp p) { found.push_back(p); });
    if (found.size() != 1)
      return op->emitError("expected exactly one q4a.program, found ")
             << found.size();
    prog = found.front();
  }
  FailureOr<hw::Program> p = toProgram(prog);
  if (failed(p))
    return failure();
  if (std::string e = p->validate(); !e.empty())
    return prog.emitOpError(e);
  return p;
}

LogicalResult mlir::q4a::translateToAssembly(Operation *op,
                                             llvm::raw_ostream &os) {
  FailureOr<hw::Program> p = findProgram(op);
  if (failed(p))
    return failure();
  os << hw::printAssembly(*p);
  return success();
}

LogicalResult mlir::q4a::translateToBinary(Operation *op,
                                           llvm::raw_ostream &os) {
  FailureOr<hw::Program> p = findProgram(op);
  if (failed(p))
    return failure();
  std::vector<uint8_t> bytes = hw::writeBinary(*p);
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return success();
}

LogicalResult mlir::q4a::translateToHexListing(Operation *op,
                                               llvm::raw_ostream &os) {
  FailureOr<hw::Program> p = findProgram(op);
  if (failed(p))
    return failure();
  os << hw::printHexListing(*p);
  return success();
}

static OwningOpRef<ModuleOp> wrap(const hw::Program &p, Location loc,
                                  MLIRContext *ctx) {
  ctx->getOrLoadDialect<Q4ADialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module->getBody());
  fromProgram(b, loc, p);
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> mlir::q4a::importAssembly(llvm::StringRef text,
                                                llvm::StringRef bufferName,
                                                MLIRContext *ctx) {
  hw::AsmError err;
  std::optional<hw::Program> p =
      hw::parseAssembly(std::string_view(text.data(), text.size()), err);
  if (!p) {
    Location loc = err.line ? Location(FileLineColLoc::get(
                                  ctx, bufferName, err.line, err.column))
                            : Location(FileLineColLoc::get(ctx, bufferName,
                                                           1, 1));
    emitError(loc) << (err.line ? "" : "in the program: ") << err.message;
    return nullptr;
  }
  return wrap(*p, FileLineColLoc::get(ctx, bufferName, 1, 1), ctx);
}

OwningOpRef<ModuleOp> mlir::q4a::importBinary(llvm::StringRef bytes,
                                              llvm::StringRef bufferName,
                                              MLIRContext *ctx) {
  hw::BinError err;
  std::optional<hw::Program> p = hw::readBinary(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), err);
  Location loc = NameLoc::get(StringAttr::get(ctx, bufferName));
  if (!p) {
    emitError(loc) << "invalid Q4A binary at byte offset " << err.offset
                   << ": " << err.message;
    return nullptr;
  }
  return wrap(*p, loc, ctx);
}

void mlir::q4a::registerQ4ATranslations() {
  auto dialects = [](DialectRegistry &registry) {
    // Q4A programs may sit next to other functions (e.g. a recipe's
    // state initializer): those are parsed and ignored.
    registry.insert<Q4ADialect, mlir::quant4::Quant4Dialect,
                    mlir::func::FuncDialect, mlir::arith::ArithDialect,
                    mlir::tensor::TensorDialect, mlir::linalg::LinalgDialect,
                    mlir::math::MathDialect>();
  };
  static TranslateFromMLIRRegistration toAsm(
      "q4a-to-asm", "print a q4a.program as Q4A assembly",
      [](Operation *op, llvm::raw_ostream &os) {
        return translateToAssembly(op, os);
      },
      dialects);
  static TranslateFromMLIRRegistration toBin(
      "q4a-to-bin", "encode a q4a.program as a Q4A binary",
      [](Operation *op, llvm::raw_ostream &os) {
        return translateToBinary(op, os);
      },
      dialects);
  static TranslateFromMLIRRegistration toHex(
      "q4a-to-hex",
      "list a q4a.program's instruction words in hex (debugging)",
      [](Operation *op, llvm::raw_ostream &os) {
        return translateToHexListing(op, os);
      },
      dialects);
  static TranslateToMLIRRegistration fromAsm(
      "asm-to-q4a", "parse Q4A assembly into a q4a.program",
      [](const std::shared_ptr<llvm::SourceMgr> &sm,
         MLIRContext *ctx) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf = sm->getMemoryBuffer(sm->getMainFileID());
        return importAssembly(buf->getBuffer(), buf->getBufferIdentifier(), ctx);
      });
  static TranslateToMLIRRegistration fromBin(
      "bin-to-q4a", "disassemble a Q4A binary into a q4a.program",
      [](const std::shared_ptr<llvm::SourceMgr> &sm,
         MLIRContext *ctx) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf = sm->getMemoryBuffer(sm->getMainFileID());
        return importBinary(buf->getBuffer(), buf->getBufferIdentifier(), ctx);
      });
  static TranslateRegistration tables(
      "q4a-isa-tables",
      "print the Q4A encoding tables (docs/ISA.md) and ignore the input",
      [](const std::shared_ptr<llvm::SourceMgr> &, llvm::raw_ostream &os,
         MLIRContext *) {
        os << hw::printEncodingTables();
        return success();
      });
}
