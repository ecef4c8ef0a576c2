//===- Call.h - call a JIT-compiled function with host arrays ---*- C++ -*-===//
//
// The second half of quant4's Runner library (docs/Lowering.md, "The Runner
// library"): calling a function of a module that Compile.h lowered and
// JIT-compiled, with one host array (npy::Array, the .npy model) per
// argument and result, in the tensor-level signature of the function:
//
//  * a ranked tensor is a C-order array of its element type's dtype
//    (elementInfo); quantized formats and FP8 scale types travel as one
//    uint8 code per element, packed here into the lowering's storage
//    (quant4/Conversion/Quant4ToCPU/Storage.h) and unpacked from it;
//  * a scalar f32, f64, i1, i32, i64 or index (scalarDType) is a 0-d array,
//    passed and returned by value.
//
// Everything is checked with the messages quant4-run prints (checkSignature,
// checkArgument, parseScalar); nothing runs before the arguments fit.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_CALL_H
#define QUANT4_RUNNER_CALL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "quant4/Runtime/Npy.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace quant4::runner {

/// How the elements of a tensor type travel in host arrays.
struct ElementInfo {
  npy::DType dtype;
  unsigned codeWidth = 0; // > 0: quantized codes, one uint8 each
};

/// The host representation of tensor element type `t` (f32, f16, f64, bf16
/// as uint16 bit patterns, i1 as bool, signless/unsigned integers of 8 to 64
/// bits, index as int64, quantized formats and f8E8M0FNU as uint8 codes),
/// or nullopt.
std::optional<ElementInfo> elementInfo(mlir::Type t);

/// The dtype of a scalar type passed by value (f32, f64, i1, i32, i64,
/// index), or nullopt.
std::optional<npy::DType> scalarDType(mlir::Type t);

/// "" if every argument and result of `type` is a ranked tensor whose
/// element type has a host representation or a supported scalar; else, e.g.,
/// "argument 0 has type f16; quant4-run passes ranked tensors and f32, f64,
/// i1, i32, i64 and index scalars only".
std::string checkSignature(mlir::FunctionType type);

/// "" if array `a` fits argument `index` of type `type` (dtype, shape, codes
/// within the format's bit width, bool bytes 0 or 1); else the problem.
std::string checkArgument(const npy::Array &a, mlir::Type type, unsigned index);

/// Parses `text` (e.g. 0.1, -3, true) as a 0-d array for argument `index`,
/// a scalar or a 0-d tensor of f32, f64, i1, i32, i64 or index; "" on
/// success, else the problem.
std::string parseScalar(const std::string &text, mlir::Type type,
                        unsigned index, npy::Array &out);

/// The tensor-level signature of function `name` of `module` (named
/// `moduleName` in messages): a func.func with a body, which is made public
/// for quant4-cpu-pipeline to export it; or, in a module that
/// quant4-cpu-pipeline lowered already, an llvm.func with the pipeline's
/// quant4.signature attribute and `_mlir_ciface_` wrapper.
llvm::Expected<mlir::FunctionType> prepareEntry(mlir::ModuleOp module,
                                                llvm::StringRef name,
                                                llvm::StringRef moduleName);

/// An error the quant4 runtime reported during a call
/// (quant4_rt_last_error()): the called function and the runtime's message.
class RuntimeError : public llvm::ErrorInfo<RuntimeError> {
public:
  static char ID;
  RuntimeError(std::string function, std::string message)
      : function(std::move(function)), message(std::move(message)) {}
  /// "runtime error in @F: MESSAGE".
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

  std::string function, message;
};

/// Calls function `name`, whose tensor-level signature is `type`, of the
/// JIT-compiled `engine` through its `_mlir_ciface_` wrapper, with one array
/// per argument, and fills `results` with one array per result (reusing the
/// arrays' storage). The result buffers the call returns are the caller's
/// (quant4-cpu-pipeline's deallocation contract): they are copied and freed.
/// Errors: an argument that does not fit, a failed invocation ("cannot call
/// @F: ..."), a RuntimeError, a result of an unexpected shape.
/// The results of `func` read from the IR, without compiling it, when its
/// body only returns f32 tensor constants (an imported model's initializers
/// in @main_params); std::nullopt when it computes anything, or when a
/// constant's size does not fit in memory's arithmetic. Compiling such a
/// function turns every weight into a nested LLVM array constant: for
/// MobileNetV2, 154 MB of LLVM IR and most of the JIT's time.
std::optional<std::vector<npy::Array>>
constantResults(mlir::FunctionOpInterface func);

llvm::Error callFunction(mlir::ExecutionEngine &engine, llvm::StringRef name,
                         mlir::FunctionType type,
                         llvm::ArrayRef<const npy::Array *> args,
                         std::vector<npy::Array> &results);

} // namespace quant4::runner

#endif // QUANT4_RUNNER_CALL_H
