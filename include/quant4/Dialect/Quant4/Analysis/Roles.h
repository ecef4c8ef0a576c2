//===- Roles.h - roles of the GEMMs of a training step ----------*- C++ -*-===//
//
// Classifies every GEMM and convolution of a joint forward/backward/update
// function as forward, dgrad (dX = dY·Wᵀ) or wgrad (dW = Xᵀ·dY), links the
// GEMMs of each layer and orders the layers. See docs/Recipes.md ("Roles").
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_QUANT4_ANALYSIS_ROLES_H
#define QUANT4_DIALECT_QUANT4_ANALYSIS_ROLES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "llvm/ADT/DenseMap.h"
#include <optional>
#include <string>

namespace mlir::quant4 {

// GemmRole (fwd, dgrad, wgrad) and OperandKind (act, weight, grad) are ODS
// enums of the dialect (Quant4Enums.td); the annotations the analysis reads
// and writes (quant4.role, quant4.layer, quant4.layer_name, quant4.param,
// quant4.num_layers) are declared in Quant4Dialect.td
// (quant4/Dialect/Quant4/IR/DiscardableAttrs.h).

/// The GEMM-like ops the analysis knows.
enum class GemmKind {
  Matmul,
  BatchMatmul,
  ConvNhwcHwcf,
  ConvNhwcFhwc,
  DepthwiseConvNhwcHwc, ///< linalg.depthwise_conv_2d_nhwc_hwc
  GroupedConvNhwgcGfhwc ///< linalg.conv_2d_nhwgc_gfhwc
};

struct GemmInfo {
  Operation *op = nullptr;
  GemmKind kind = GemmKind::Matmul;
  GemmRole role = GemmRole::Forward;
  /// Index into RoleAnalysis::getLayers().
  int64_t layer = -1;
  /// What operand 0 (lhs / conv input) and operand 1 (rhs / filter) hold.
  OperandKind operands[2] = {OperandKind::Activation, OperandKind::Weight};
  /// Position of the op in the function body (program order).
  unsigned position = 0;
};

struct LayerInfo {
  int64_t index = -1;
  std::string name;
  /// The parameter (weight) value, if known (a function argument).
  Value param;
  /// The op producing the updated parameter that the function returns.
  Operation *update = nullptr;
  Operation *fwd = nullptr, *dgrad = nullptr, *wgrad = nullptr;
};

/// Role inference over one function. Construct, then call run(); run()
/// emits a diagnostic naming the op for every GEMM it cannot classify.
class RoleAnalysis {
public:
  explicit RoleAnalysis(func::FuncOp func) : func(func) {}

  LogicalResult run();

  llvm::ArrayRef<LayerInfo> getLayers() const { return layers; }
  llvm::ArrayRef<GemmInfo> getGemms() const { return gemms; }
  /// The info of a classified GEMM, or null.
  const GemmInfo *lookup(Operation *op) const;
  /// Writes quant4.role / quant4.layer / quant4.layer_name on every GEMM and
  /// quant4.num_layers on the function.
  void annotate() const;

  /// True for the ops the analysis classifies.
  static bool isGemm(Operation *op);
  static std::optional<GemmKind> getGemmKind(Operation *op);
  /// Follows data-movement ops (transpose, reshape, pad, slice, cast, and
  /// linalg.generic / tensor.extract copies) back to the value they move.
  /// `viaGather` (optional) tells whether the path went through a gather
  /// (a generic yielding a tensor.extract at computed indices: an embedding
  /// lookup, whose result is an activation).
  static Value stripViews(Value v, bool *viaGather = nullptr);

private:
  func::FuncOp func;
  llvm::SmallVector<GemmInfo> gemms;
  llvm::SmallVector<LayerInfo> layers;
  llvm::DenseMap<Operation *, unsigned> gemmIndex;
};

} // namespace mlir::quant4

#endif // QUANT4_DIALECT_QUANT4_ANALYSIS_ROLES_H
