//===- Importer.h - the ONNX graph walker and its node context --*- C++ -*-===//
//
// Internal to lib/Target/ONNX. The pieces of the importer:
//
//   Import.cpp      ModelProto -> module: parse, opset, signature (parameters,
//                   inputs), outputs, the parameters function
//   Graph.cpp       GraphImporter: the value table (ONNX name -> TensorValue),
//                   constant materialization, node dispatch; OpRegistry
//   Node.cpp        NodeContext: what an operator importer sees of its node
//                   (inputs, outputs, typed attribute access, diagnostics)
//   Emit.cpp        Emitter: the IR building blocks (broadcasting
//                   linalg.generic, reshapes, transposes, pads, reductions)
//   Tensor.cpp      element types, host tensors, TensorProto decoding
//   Translate.cpp   the quant4-translate --import-onnx registration
//   ops/*.cpp       one file per operator family
//
// Operator importers see only NodeContext and Emitter; no protobuf.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_TARGET_ONNX_IMPORTER_H
#define QUANT4_LIB_TARGET_ONNX_IMPORTER_H

#include "Emit.h"
#include "Tensor.h"

#include "quant4/Target/ONNX/Import.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <memory>

namespace onnx {
class NodeProto;
class AttributeProto;
} // namespace onnx

namespace quant4::onnx_import {

/// A value of the ONNX graph: its element type and static shape, and the
/// MLIR value and/or the values known at import time.
struct TensorValue {
  DType dtype = DType::Undefined;
  llvm::SmallVector<int64_t> shape;
  /// The MLIR value; null until a constant is first used as one.
  mlir::Value value;
  /// Values known at import (small constants and what folds from them).
  std::shared_ptr<const HostTensor> host;
  /// A large constant (initializer or Constant node) not yet materialized.
  std::shared_ptr<const RawTensor> raw;
  /// A graph input this run-time value is computed from (for the error
  /// that asks for --input-value); empty for constants.
  std::string dependsOn;

  static TensorValue ofValue(mlir::Value v, DType t);
  static TensorValue ofHost(HostTensor h);
  int64_t rank() const { return int64_t(shape.size()); }
};

class GraphImporter;

/// What an operator importer sees of the node it imports. Getters that can
/// fail (a missing input, an attribute of the wrong kind) emit the error at
/// the node and return a default; `failed()` then says so, and the importer
/// returns failure. Every attribute of the node must be read (or
/// `ignoreAttr`ed): one left unread is reported as unsupported.
class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
              mlir::Location loc);
  ~NodeContext();

  llvm::StringRef opType() const;
  /// The node's name, or "<op_type>#<index>" when it has none.
  llvm::StringRef name() const { return displayName; }
  int64_t opset() const;
  mlir::Location loc() const { return location; }
  mlir::OpBuilder &builder();
  mlir::MLIRContext *context();
  Emitter emitter() { return Emitter(builder(), location); }
  const ImportOptions &options() const;

  // -- Diagnostics ---------------------------------------------------------
  /// An error at the node: "node 'NAME' (OpType): " followed by the text.
  mlir::InFlightDiagnostic error();
  /// "attribute 'NAME' = VALUE is not supported[: WHY]".
  mlir::LogicalResult unsupportedAttr(llvm::StringRef attr,
                                      llvm::StringRef value,
                                      llvm::StringRef why = {});
  bool failed() const { return hasFailed; }

  // -- Inputs --------------------------------------------------------------
  unsigned numInputs() const;
  /// Whether optional input i is given (present and not "").
  bool hasInput(unsigned i) const;
  /// Input i (required: error if absent or undefined); null on error.
  TensorValue *input(unsigned i);
  /// Input i as an MLIR value (constants are materialized); null on error.
  mlir::Value value(unsigned i);
  /// Input i's values, which must be known at import (shape data); `role`
  /// names the input in the error ("shape", "axes", ...). Null on error.
  const HostTensor *host(unsigned i, llvm::StringRef role);
  /// `host` as integers.
  std::optional<std::vector<int64_t>> hostInts(unsigned i,
                                               llvm::StringRef role);
  /// The MLIR value of a TensorValue of this graph (materializing it).
  mlir::Value materialize(TensorValue &v);
  /// Random dropout's seed and streams (GraphImporter::dropoutSeed).
  mlir::Value dropoutSeed();
  int64_t nextDropoutStream();

  // -- Outputs -------------------------------------------------------------
  unsigned numOutputs() const;
  bool hasOutput(unsigned i) const;
  void setOutput(unsigned i, TensorValue v);
  void setOutput(unsigned i, mlir::Value v, DType t) {
    setOutput(i, TensorValue::ofValue(v, t));
  }
  /// When input `i` is a buffer (GraphImporter::markBuffer), records `v`
  /// as its new value (a result of the imported function).
  void updateBufferInput(unsigned i, mlir::Value v, DType t);
  void setOutput(unsigned i, HostTensor h) {
    setOutput(i, TensorValue::ofHost(std::move(h)));
  }
  /// An error when the node asks for optional output i, which the importer
  /// does not compute (`what` names it, e.g. MaxPool's indices).
  mlir::LogicalResult requireNoOutput(unsigned i, llvm::StringRef what);

  // -- Attributes ----------------------------------------------------------
  bool hasAttr(llvm::StringRef name) const;
  void ignoreAttr(llvm::StringRef name);
  int64_t attrInt(llvm::StringRef name, int64_t dflt);
  std::optional<int64_t> attrIntOpt(llvm::StringRef name);
  double attrFloat(llvm::StringRef name, double dflt);
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt);
  llvm::SmallVector<int64_t> attrInts(llvm::StringRef name,
                                      llvm::ArrayRef<int64_t> dflt = {});
  std::optional<llvm::SmallVector<int64_t>> attrIntsOpt(llvm::StringRef name);
  std::optional<std::vector<double>> attrFloatsOpt(llvm::StringRef name);
  /// A tensor attribute (Constant's value, ConstantOfShape's value).
  std::optional<RawTensor> attrTensor(llvm::StringRef name);
  /// The attributes not read, as "'name' = value"; empty when all were.
  std::vector<std::string> unreadAttrs() const;

  /// An axis attribute or value in [-rank, rank), normalized; error naming
  /// `what` otherwise.
  std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                       llvm::StringRef what);

private:
  const onnx::AttributeProto *findAttr(llvm::StringRef name);
  mlir::LogicalResult wrongKind(const onnx::AttributeProto &a,
                                llvm::StringRef expected);

  GraphImporter &graph;
  const onnx::NodeProto &node;
  mlir::Location location;
  std::string displayName;
  llvm::StringSet<> readAttrs;
  bool hasFailed = false;
};

/// The value table and the dispatch of nodes to operator importers.
class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *ctx, mlir::OpBuilder &builder,
                llvm::StringRef bufferName, int64_t opset,
                const ImportOptions &options);

  /// The value named `name`, or null.
  TensorValue *lookup(llvm::StringRef name);
  void define(llvm::StringRef name, TensorValue v);
  /// Graph inputs whose values are not known: an error that needs their
  /// value names them.
  void markGraphInput(llvm::StringRef name) { graphInputs.insert(name); }
  bool isGraphInput(llvm::StringRef name) const {
    return graphInputs.contains(name);
  }
  /// Buffers: initializers that are state of the model (BatchNormalization's
  /// running statistics), and the values a node updates them to.
  void markBuffer(llvm::StringRef name) { buffers.insert(name); }
  bool isBuffer(llvm::StringRef name) const { return buffers.contains(name); }
  void setBufferUpdate(llvm::StringRef name, TensorValue v) {
    bufferUpdates[name] = std::move(v);
  }
  TensorValue *bufferUpdate(llvm::StringRef name) {
    auto it = bufferUpdates.find(name);
    return it == bufferUpdates.end() ? nullptr : &it->second;
  }

  /// The i64 seed of random dropout: an argument appended to the entry
  /// block on first use (Import.cpp tags it quant4.seed), or null when no
  /// node asked for it.
  mlir::Value dropoutSeed();
  mlir::Value dropoutSeedIfUsed() const { return seed; }
  /// The stream of the next random dropout: 2^40 + k for the k-th one in
  /// node order (quantization streams are below 2^40).
  int64_t nextDropoutStream() { return (int64_t(1) << 40) + dropouts++; }

  /// The MLIR value of `v` at the builder's insertion point; constants are
  /// created once.
  mlir::Value materialize(TensorValue &v, mlir::Location loc);

  /// Imports node `index` of the graph.
  mlir::LogicalResult importNode(const onnx::NodeProto &node, unsigned index);

  /// The location of a node: NameLoc(node name, file).
  mlir::Location nodeLocation(const onnx::NodeProto &node, unsigned index);
  mlir::Location fileLocation() const { return fileLoc; }

  /// A dense_resource blob key derived from `name`, unique in the module.
  std::string blobKey(llvm::StringRef name);
  /// A constant (dense for small tensors, dense_resource otherwise).
  mlir::Value constantOf(const RawTensor &t, mlir::Location loc);

  mlir::MLIRContext *ctx;
  mlir::OpBuilder &builder;
  int64_t opset;
  const ImportOptions &options;

private:
  llvm::StringMap<TensorValue> values;
  llvm::StringSet<> graphInputs;
  llvm::StringSet<> buffers;
  llvm::StringMap<TensorValue> bufferUpdates;
  llvm::StringSet<> blobKeys;
  mlir::Location fileLoc;
  std::string bufferName;
  mlir::Block *entry;
  mlir::Value seed;
  int64_t dropouts = 0;
};

/// An operator importer.
using ImportFn = mlir::LogicalResult (*)(NodeContext &);

/// op_type -> importer for a range of opsets.
class OpRegistry {
public:
  void add(llvm::StringRef opType, ImportFn fn, int64_t minOpset = 1,
           int64_t maxOpset = kMaxOpset);
  /// The importer of `opType` at `opset`; null with `why` set otherwise.
  ImportFn lookup(llvm::StringRef opType, int64_t opset,
                  std::string &why) const;
  /// The operator names, sorted.
  std::vector<std::string> names() const;

  static constexpr int64_t kMaxOpset = 18;

private:
  struct Entry {
    int64_t minOpset, maxOpset;
    ImportFn fn;
  };
  llvm::StringMap<llvm::SmallVector<Entry, 1>> entries;
};

/// The registry with every family below (built once).
const OpRegistry &getOpRegistry();

// One per file of ops/.
void registerElementwiseOps(OpRegistry &r);
void registerLinearOps(OpRegistry &r);
void registerConvOps(OpRegistry &r);
void registerShapeOps(OpRegistry &r);
void registerNormalizationOps(OpRegistry &r);
void registerReduceOps(OpRegistry &r);

} // namespace quant4::onnx_import

#endif // QUANT4_LIB_TARGET_ONNX_IMPORTER_H
