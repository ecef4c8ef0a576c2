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
#include "llvm/ADT/DenseMap.h"
#include <optional>
#include <string>

namespace mlir::quant4 {

/// Attribute names read (as explicit annotations) and written by the role
/// analysis and the passes that use it.
namespace roles {
/// On a GEMM: "fwd", "dgrad" or "wgrad".
constexpr llvm::StringLiteral kRoleAttr = "quant4.role";
/// On a GEMM: the layer index (0 = first in forward order). Output only.
constexpr llvm::StringLiteral kLayerAttr = "quant4.layer";
/// On a GEMM: the layer's name.
constexpr llvm::StringLiteral kLayerNameAttr = "quant4.layer_name";
/// On a function argument: marks a parameter and names its layer.
constexpr llvm::StringLiteral kParamAttr = "quant4.param";
/// On a function: number of layers found. Output only.
constexpr llvm::StringLiteral kNumLayersAttr = "quant4.num_layers";
} // namespace roles

enum class GemmRole { Forward, DGrad, WGrad };
llvm::StringRef stringifyGemmRole(GemmRole role);
std::optional<GemmRole> symbolizeGemmRole(llvm::StringRef text);

/// What an operand of a classified GEMM holds.
enum class OperandKind { Activation, Weight, Gradient };
llvm::StringRef stringifyOperandKind(OperandKind kind);

/// The GEMM-like ops the analysis knows.
enum class GemmKind { Matmul, BatchMatmul, ConvNhwcHwcf, ConvNhwcFhwc };

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
  static Value stripViews(Value v);

private:
  func::FuncOp func;
  llvm::SmallVector<GemmInfo> gemms;
  llvm::SmallVector<LayerInfo> layers;
  llvm::DenseMap<Operation *, unsigned> gemmIndex;
};

} // namespace mlir::quant4

#endif // QUANT4_DIALECT_QUANT4_ANALYSIS_ROLES_H
