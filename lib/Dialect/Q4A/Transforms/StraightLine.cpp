//===- StraightLine.cpp - a q4a.program's code in and out of the passes ---===//
#include "StraightLine.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::q4a;

FailureOr<std::vector<hw::Instr>>
mlir::q4a::straightLineCode(ProgramOp program, SourceKey key,
                            StringRef loopsError,
                            SmallVectorImpl<Location> &locs) {
  std::vector<hw::Instr> code;
  llvm::DenseMap<StringAttr, uint32_t> labels;
  for (Operation &op : program.getBody().front()) {
    if (isa<LoopOp>(op))
      return op.emitOpError(loopsError);
    FailureOr<hw::Instr> in = toInstr(&op);
    if (failed(in))
      return failure();
    if (key == SourceKey::Position) {
      locs.push_back(op.getLoc());
      in->source = uint32_t(locs.size());
    } else if (auto name = dyn_cast<NameLoc>(op.getLoc())) {
      auto [it, added] = labels.try_emplace(name.getName(), locs.size() + 1);
      if (added)
        locs.push_back(name);
      in->source = it->second;
    }
    code.push_back(std::move(*in));
  }
  return code;
}

void mlir::q4a::replaceCode(ProgramOp program, ArrayRef<hw::Instr> code,
                            ArrayRef<Location> locs) {
  Block &body = program.getBody().front();
  body.clear();
  OpBuilder b = OpBuilder::atBlockEnd(&body);
  buildCode(b, code, [&](const hw::Instr &in) -> Location {
    return in.source ? locs[in.source - 1] : program.getLoc();
  });
}
