//===- Graph.cpp - the value table and node dispatch ----------------------===//
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

TensorValue TensorValue::ofValue(Value v, DType t) {
  TensorValue r;
  r.dtype = t;
  auto type = cast<RankedTensorType>(v.getType());
  r.shape.assign(type.getShape().begin(), type.getShape().end());
  r.value = v;
  return r;
}

TensorValue TensorValue::ofHost(HostTensor h) {
  TensorValue r;
  r.dtype = h.dtype;
  r.shape = h.shape;
  r.host = std::make_shared<HostTensor>(std::move(h));
  return r;
}

GraphImporter::GraphImporter(MLIRContext *ctx, OpBuilder &builder,
                             StringRef bufferName, int64_t opset,
                             const ImportOptions &options)
    : ctx(ctx), builder(builder), opset(opset), options(options),
      fileLoc(FileLineColLoc::get(ctx, bufferName, 0, 0)),
      bufferName(bufferName.str()), entry(builder.getInsertionBlock()) {}

Value GraphImporter::dropoutSeed() {
  if (!seed)
    seed = entry->addArgument(builder.getI64Type(), fileLoc);
  return seed;
}

TensorValue *GraphImporter::lookup(StringRef name) {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

void GraphImporter::define(StringRef name, TensorValue v) {
  values[name] = std::move(v);
}

std::string GraphImporter::blobKey(StringRef name) {
  std::string key;
  for (char c : name)
    key += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
  if (key.empty() || !llvm::isAlpha(key.front()))
    key = "t_" + key;
  std::string unique = key;
  for (int n = 1; blobKeys.contains(unique); ++n)
    unique = key + "_" + std::to_string(n);
  blobKeys.insert(unique);
  return unique;
}

Value GraphImporter::constantOf(const RawTensor &t, Location loc) {
  // Small tensors and bool ones (no i1 blobs) inline; others as blobs.
  if (t.numElements() <= 16 || t.dtype == DType::Bool)
    return arith::ConstantOp::create(builder, loc, t.toHost().toAttr(ctx));
  auto type = RankedTensorType::get(t.shape, toMlirType(t.dtype, ctx));
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(t.bytes), std::max<size_t>(elementBytes(t.dtype), 1));
  auto attr = DenseResourceElementsAttr::get(type, blobKey(t.name),
                                             std::move(blob));
  return arith::ConstantOp::create(builder, loc, attr);
}

Value GraphImporter::materialize(TensorValue &v, Location loc) {
  if (v.value)
    return v.value;
  // A decoded tensor keeps its bytes (a blob when large); computed host
  // values become dense constants.
  if (v.raw)
    v.value = constantOf(*v.raw, loc);
  else if (v.host)
    v.value = Emitter(builder, loc).constant(*v.host);
  return v.value;
}

Location GraphImporter::nodeLocation(const onnx::NodeProto &node,
                                     unsigned index) {
  std::string name = node.name();
  if (name.empty())
    name = node.op_type() + "#" + std::to_string(index);
  return NameLoc::get(StringAttr::get(ctx, name), fileLoc);
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        unsigned index) {
  Location loc = nodeLocation(node, index);
  NodeContext nc(*this, node, loc);
  if (!node.domain().empty() && node.domain() != "ai.onnx") {
    nc.error() << "operator domain '" << node.domain()
               << "' is not supported (only the default ONNX domain)";
    return failure();
  }
  std::string why;
  ImportFn fn = getOpRegistry().lookup(node.op_type(), opset, why);
  if (!fn) {
    InFlightDiagnostic d = nc.error();
    d << "operator not supported";
    if (!why.empty())
      d << " " << why;
    return failure();
  }
  if (failed(fn(nc)) || nc.failed()) {
    if (!nc.failed())
      nc.error() << "import failed";
    return failure();
  }
  std::vector<std::string> unread = nc.unreadAttrs();
  if (!unread.empty()) {
    nc.error() << "attribute " << unread.front() << " is not supported";
    return failure();
  }
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &out = node.output(i);
    if (!out.empty() && !lookup(out)) {
      nc.error() << "output " << i << " ('" << out
                 << "') is not supported";
      return failure();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

void OpRegistry::add(StringRef opType, ImportFn fn, int64_t minOpset,
                     int64_t maxOpset) {
  entries[opType].push_back({minOpset, maxOpset, fn});
}

ImportFn OpRegistry::lookup(StringRef opType, int64_t opset,
                            std::string &why) const {
  auto it = entries.find(opType);
  if (it == entries.end())
    return nullptr;
  std::string ranges;
  for (const Entry &e : it->second) {
    if (opset >= e.minOpset && opset <= e.maxOpset)
      return e.fn;
    ranges += (ranges.empty() ? "" : ", ") + std::to_string(e.minOpset) +
              "-" + std::to_string(e.maxOpset);
  }
  why = "at opset " + std::to_string(opset) + " (supported: opsets " + ranges +
        ")";
  return nullptr;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> r;
  for (const auto &e : entries)
    r.push_back(e.getKey().str());
  llvm::sort(r);
  return r;
}

const OpRegistry &q4onnx::getOpRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerLinearOps(r);
    registerConvOps(r);
    registerShapeOps(r);
    registerNormalizationOps(r);
    registerReduceOps(r);
    return r;
  }();
  return registry;
}
