//===- Quant4AttrInterfaces.td - quant4 attribute interfaces -*- tablegen -*-===//
#ifndef QUANT4_ATTRINTERFACES_TD
#define QUANT4_ATTRINTERFACES_TD

include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Scale-policy interface
//===----------------------------------------------------------------------===//

def Quant4_ScalePolicyAttrInterface : AttrInterface<"ScalePolicyAttrInterface"> {
  let cppNamespace = "::mlir::quant4";
  let description = [{
    An adaptive-scale policy: how `quant4.scale` computes a scale from a
    tensor and, for stateful policies, from state threaded through the
    training step. The interface tells the verifier and the passes how many
    state operands the policy reads and how many extra results it yields.
  }];
  let methods = [
    InterfaceMethod<"Name of the policy, as in docs and diagnostics.",
      "::llvm::StringRef", "getPolicyName">,
    InterfaceMethod<"Number of state operands `quant4.scale` takes.",
      "unsigned", "getNumStateOperands">,
    InterfaceMethod<"Number of results after the scale (new state, or the "
      "tensor scale of a two-level block policy).",
      "unsigned", "getNumExtraResults">,
  ];
}

#endif // QUANT4_ATTRINTERFACES_TD
