//===- AdjointOpInterface.td - reverse-mode derivative rules -*- tablegen -*-===//
//
// The derivative rules of quant4-build-training-step (docs/Training.md,
// "Derivative rules"). One rule per op, attached to ops quant4 does not own
// (linalg, tensor, arith, math) as external models, the way upstream
// attaches bufferization to them: adding an operator means adding one rule.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TRAINING_ADJOINTOPINTERFACE_TD
#define QUANT4_TRAINING_ADJOINTOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def Quant4_AdjointOpInterface : OpInterface<"AdjointOpInterface"> {
  let cppNamespace = "::mlir::quant4";
  let description = [{
    A tensor op with a reverse-mode derivative rule. Given the adjoints of
    the op's results (`AdjointContext::adjointOf`), the rule builds, at the
    context's insertion point, the adjoint contribution of each operand that
    depends on a trained parameter (`isVaried`) and adds it with
    `accumulate`. A rule that cannot differentiate this instance (an
    unsupported form or attribute) reports it with `unsupported` and fails.
    GEMM-like rules tag the GEMMs they create with a role and the forward
    op's layer (`tagGemm`), the contract the recipes read.
  }];
  let methods = [
    InterfaceMethod<
      "Builds the adjoints of the varied operands from those of the results.",
      "::mlir::LogicalResult", "buildAdjoint",
      (ins "::mlir::quant4::AdjointContext &":$ad)>,
  ];
}

def Quant4_ScalarAdjointOpInterface : OpInterface<"ScalarAdjointOpInterface"> {
  let cppNamespace = "::mlir::quant4";
  let description = [{
    A scalar op (arith, math) inside the body of a `linalg.generic` with a
    derivative rule: given the adjoint of its single result, it passes
    contributions to its operands through `accumulate(operand, adjoint)`
    (which ignores operands that do not depend on the differentiated
    value). The linalg.generic rule differentiates a body op by op with
    these rules.
  }];
  let methods = [
    InterfaceMethod<
      "Passes the adjoint of the result on to the operands.",
      "void", "buildScalarAdjoint",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Value":$resultAdjoint,
           "::llvm::function_ref<void(::mlir::Value, ::mlir::Value)>":$accumulate)>,
  ];
}

#endif // QUANT4_TRAINING_ADJOINTOPINTERFACE_TD
