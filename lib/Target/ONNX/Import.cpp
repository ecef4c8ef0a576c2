//===- Import.cpp - ONNX ModelProto to a module ---------------------------===//
//
// The model level: parse and check the protobuf, choose the default-domain
// opset, build @<name>(params..., inputs...) from the initializers and graph
// inputs (symbolic dimensions resolved with the batch size, shape-setting
// inputs specialised), import the nodes in order, return the graph outputs,
// and add @<name>_params with the parameters' values.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Support/Sizes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/onnx_pb.h>

#include <climits>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {
/// The lowest and highest default-domain opsets the importer accepts; each
/// operator importer further declares its own range.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = OpRegistry::kMaxOpset;

/// A graph input that becomes a function argument.
struct InputSlot {
  std::string name;
  DType dtype;
  SmallVector<int64_t> shape;
  std::optional<HostTensor> host; // --input-value
};

/// A parameter: an initializer passed as an argument.
struct ParamSlot {
  std::shared_ptr<const RawTensor> raw;
  bool buffer = false; // a BatchNormalization running statistic
};

/// Whether a floating-point tensor holds a NaN or an infinity.
bool hasNonFinite(const RawTensor &t) {
  HostTensor h = t.toHost();
  return llvm::any_of(h.floats, [](double v) { return !std::isfinite(v); });
}

class ModelImporter {
public:
  ModelImporter(MLIRContext *ctx, StringRef bufferName,
                const ImportOptions &options)
      : ctx(ctx), options(options), bufferName(bufferName.str()),
        fileLoc(FileLineColLoc::get(ctx, bufferName, 0, 0)) {}

  OwningOpRef<ModuleOp> run(StringRef bytes);

private:
  InFlightDiagnostic error() { return emitError(fileLoc); }
  LogicalResult checkModel(const onnx::ModelProto &model, int64_t &opset);
  LogicalResult collectInitializers(const onnx::GraphProto &graph);
  LogicalResult collectInputs(const onnx::GraphProto &graph);
  FailureOr<SmallVector<int64_t>>
  resolveShape(const onnx::ValueInfoProto &info, StringRef what,
               const llvm::StringSet<> &batchNames);
  LogicalResult checkOutput(const onnx::ValueInfoProto &info,
                            const TensorValue &v);

  MLIRContext *ctx;
  const ImportOptions &options;
  std::string bufferName;
  Location fileLoc;

  std::vector<ParamSlot> params;
  /// Initializers that are constants: name -> value.
  std::vector<std::pair<std::string, TensorValue>> constants;
  std::vector<InputSlot> inputs;
};
} // namespace

LogicalResult ModelImporter::checkModel(const onnx::ModelProto &model,
                                        int64_t &opset) {
  if (!model.has_graph()) {
    error() << "not an ONNX model: the file has no graph";
    return failure();
  }
  opset = -1;
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 0) {
    // IR version 1-2 models have no opset_import: opset 1.
    if (model.ir_version() >= 3 || model.opset_import_size() > 0) {
      error() << "the model imports no opset of the default ONNX domain";
      return failure();
    }
    opset = 1;
  }
  if (opset < kMinOpset || opset > kMaxOpset) {
    error() << "the model uses opset " << opset
            << " of the default ONNX domain; quant4 imports opsets "
            << kMinOpset << " to " << kMaxOpset;
    return failure();
  }
  return success();
}

LogicalResult
ModelImporter::collectInitializers(const onnx::GraphProto &graph) {
  if (graph.sparse_initializer_size() > 0) {
    error() << "sparse initializer '"
            << graph.sparse_initializer(0).values().name()
            << "' is not supported";
    return failure();
  }
  // Names that nodes or the graph's outputs read; the running statistics
  // of BatchNormalization (inputs 3 and 4) are buffers.
  llvm::StringSet<> used, buffers;
  for (const onnx::NodeProto &n : graph.node()) {
    for (const std::string &in : n.input())
      used.insert(in);
    if (n.op_type() == "BatchNormalization" && n.domain().empty())
      for (int i = 3; i < std::min(5, n.input_size()); ++i)
        buffers.insert(n.input(i));
  }
  for (const onnx::ValueInfoProto &o : graph.output())
    used.insert(o.name());
  llvm::StringSet<> seen;
  for (const onnx::TensorProto &t : graph.initializer()) {
    if (t.name().empty()) {
      error() << "an initializer has no name";
      return failure();
    }
    if (!seen.insert(t.name()).second) {
      error() << "initializer '" << t.name() << "' is defined twice";
      return failure();
    }
    if (!used.contains(t.name()))
      continue;
    std::string err;
    FailureOr<RawTensor> raw =
        decodeTensorProto(t, "initializer '" + t.name() + "'", err);
    if (failed(raw)) {
      error() << err;
      return failure();
    }
    auto shared = std::make_shared<const RawTensor>(std::move(*raw));
    if (!options.paramsAsConstants && isFloat(shared->dtype) &&
        !hasNonFinite(*shared)) {
      params.push_back({shared, buffers.contains(t.name())});
      continue;
    }
    TensorValue v;
    v.dtype = shared->dtype;
    v.shape = shared->shape;
    if (shared->numElements() <= kMaxHostElements)
      v.host = std::make_shared<HostTensor>(shared->toHost());
    v.raw = shared;
    constants.emplace_back(t.name(), std::move(v));
  }
  return success();
}

FailureOr<SmallVector<int64_t>>
ModelImporter::resolveShape(const onnx::ValueInfoProto &info, StringRef what,
                            const llvm::StringSet<> &batchNames) {
  const onnx::TypeProto_Tensor &tt = info.type().tensor_type();
  if (!tt.has_shape()) {
    error() << what << " has no shape (unknown rank); quant4 imports "
            << "statically shaped graphs";
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int d = 0; d < tt.shape().dim_size(); ++d) {
    const onnx::TensorShapeProto_Dimension &dim = tt.shape().dim(d);
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) {
        error() << what << " has a negative dimension " << dim.dim_value();
        return failure();
      }
      shape.push_back(dim.dim_value());
      continue;
    }
    std::string param = dim.has_dim_param() ? dim.dim_param() : "";
    bool isBatch = d == 0 || (!param.empty() && batchNames.contains(param));
    std::string label = param.empty() ? std::string("an unknown dimension")
                                      : "the symbolic dimension '" + param +
                                            "'";
    if (!isBatch) {
      error() << what << " has " << label << " at position " << d
              << "; only the batch dimension (position 0, and dimensions "
                 "sharing its name) can be made static, with --batch";
      return failure();
    }
    if (!options.batch) {
      error() << what << " has " << label << " at position " << d
              << " (the batch); give its size with --batch=N";
      return failure();
    }
    shape.push_back(*options.batch);
  }
  return shape;
}

LogicalResult ModelImporter::collectInputs(const onnx::GraphProto &graph) {
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &t : graph.initializer())
    initializers.insert(t.name());
  // dim_params used at position 0 are batch dimensions wherever they occur.
  llvm::StringSet<> batchNames;
  for (const onnx::ValueInfoProto &in : graph.input())
    if (in.type().has_tensor_type() && in.type().tensor_type().has_shape() &&
        in.type().tensor_type().shape().dim_size() > 0 &&
        in.type().tensor_type().shape().dim(0).has_dim_param())
      batchNames.insert(in.type().tensor_type().shape().dim(0).dim_param());
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (initializers.contains(in.name()))
      continue; // a parameter with a default value
    std::string what = "graph input '" + in.name() + "'";
    if (in.name().empty()) {
      error() << "a graph input has no name";
      return failure();
    }
    if (!inputNames.insert(in.name()).second) {
      error() << what << " is declared twice";
      return failure();
    }
    if (!in.type().has_tensor_type()) {
      error() << what
              << " is not a tensor (sequence, map, optional and sparse "
                 "inputs are not supported)";
      return failure();
    }
    InputSlot slot;
    slot.name = in.name();
    slot.dtype = dtypeFromCode(in.type().tensor_type().elem_type());
    if (!isSupported(slot.dtype)) {
      error() << what << " has element type " << dtypeName(slot.dtype)
              << ", which quant4 does not import";
      return failure();
    }
    auto valued = options.inputValues.find(in.name());
    std::optional<std::vector<int64_t>> given;
    if (valued != options.inputValues.end())
      given = valued->second;
    else if (options.inputValueAt)
      given = options.inputValueAt(unsigned(inputs.size()));
    if (given) {
      // The value decides the shape of a 1-D input with a symbolic length.
      const std::vector<int64_t> &vals = *given;
      const onnx::TypeProto_Tensor &tt = in.type().tensor_type();
      if (tt.has_shape() && tt.shape().dim_size() == 1 &&
          !tt.shape().dim(0).has_dim_value()) {
        slot.shape = {int64_t(vals.size())};
      } else {
        FailureOr<SmallVector<int64_t>> s =
            resolveShape(in, what, batchNames);
        if (failed(s))
          return failure();
        slot.shape = *s;
      }
      std::optional<int64_t> n = checkedNumElements(slot.shape, 8);
      if (!n || *n != int64_t(vals.size())) {
        error() << (valued != options.inputValues.end()
                        ? "--input-value gives "
                        : "the value given has ")
                << vals.size() << " values for " << what << " of shape "
                << shapeString(slot.shape);
        return failure();
      }
      if (isFloat(slot.dtype)) {
        std::vector<double> f(vals.begin(), vals.end());
        slot.host = HostTensor::ofFloats(slot.dtype, slot.shape, f)
                        .castTo(slot.dtype);
      } else {
        slot.host =
            HostTensor::ofInts(DType::Int64, slot.shape, vals).castTo(slot.dtype);
      }
    } else {
      FailureOr<SmallVector<int64_t>> s = resolveShape(in, what, batchNames);
      if (failed(s))
        return failure();
      slot.shape = *s;
    }
    if (!checkedNumElements(slot.shape, elementBytes(slot.dtype))) {
      error() << what << " of shape " << shapeString(slot.shape)
              << " exceeds the tensor size limit of 2^40 bytes";
      return failure();
    }
    inputs.push_back(std::move(slot));
  }
  for (const auto &e : options.inputValues)
    if (!inputNames.contains(e.getKey())) {
      error() << "--input-value names '" << e.getKey()
              << "', which is not a graph input (that is not an initializer)";
      return failure();
    }
  return success();
}

LogicalResult ModelImporter::checkOutput(const onnx::ValueInfoProto &info,
                                         const TensorValue &v) {
  if (!info.has_type())
    return success();
  if (!info.type().has_tensor_type()) {
    error() << "graph output '" << info.name() << "' is not a tensor";
    return failure();
  }
  const onnx::TypeProto_Tensor &tt = info.type().tensor_type();
  DType declared = dtypeFromCode(tt.elem_type());
  if (tt.elem_type() != 0 && declared != v.dtype) {
    error() << "graph output '" << info.name() << "' is declared "
            << dtypeName(declared) << " but computes " << dtypeName(v.dtype);
    return failure();
  }
  if (!tt.has_shape())
    return success();
  bool mismatch = tt.shape().dim_size() != int(v.shape.size());
  for (int d = 0; !mismatch && d < tt.shape().dim_size(); ++d)
    if (tt.shape().dim(d).has_dim_value() &&
        tt.shape().dim(d).dim_value() != v.shape[d])
      mismatch = true;
  if (mismatch) {
    std::string declaredShape;
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const auto &dim = tt.shape().dim(d);
      declaredShape += (d ? "x" : "") + (dim.has_dim_value()
                                             ? std::to_string(dim.dim_value())
                                             : std::string("?"));
    }
    error() << "graph output '" << info.name() << "' is declared "
            << (declaredShape.empty() ? "scalar" : declaredShape)
            << " but computes " << shapeString(v.shape);
    return failure();
  }
  return success();
}

OwningOpRef<ModuleOp> ModelImporter::run(StringRef bytes) {
  if (bytes.size() > size_t(INT_MAX)) {
    error() << "the model is " << bytes.size()
            << " bytes; protobuf models are limited to 2 GiB";
    return nullptr;
  }
  onnx::ModelProto model;
  if (!model.ParsePartialFromArray(bytes.data(), int(bytes.size()))) {
    error() << "not a valid ONNX model: the protobuf data is malformed or "
               "truncated";
    return nullptr;
  }
  int64_t opset;
  if (failed(checkModel(model, opset)))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();
  if (options.functionName.empty()) {
    error() << "the function name is empty";
    return nullptr;
  }
  if (options.batch && *options.batch <= 0) {
    error() << "the batch size must be positive, got " << *options.batch;
    return nullptr;
  }
  if (failed(collectInitializers(graph)) || failed(collectInputs(graph)))
    return nullptr;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module->getBody());

  SmallVector<Type> argTypes;
  for (const ParamSlot &p : params)
    argTypes.push_back(RankedTensorType::get(
        p.raw->shape, toMlirType(p.raw->dtype, ctx)));
  for (const InputSlot &in : inputs)
    argTypes.push_back(
        RankedTensorType::get(in.shape, toMlirType(in.dtype, ctx)));
  auto func = func::FuncOp::create(b, fileLoc, options.functionName,
                                   b.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);

  GraphImporter g(ctx, b, bufferName, opset, options);
  unsigned arg = 0;
  auto slotOf = [&](const ParamSlot &p) {
    return mlir::quant4::getSlotAttr(
        ctx,
        p.buffer ? mlir::quant4::SlotKind::Buffer
                 : mlir::quant4::SlotKind::Param,
        p.raw->name);
  };
  for (const ParamSlot &p : params) {
    func.setArgAttrs(arg, ArrayRef<NamedAttribute>{slotOf(p)});
    g.define(p.raw->name,
             TensorValue::ofValue(body->getArgument(arg++), p.raw->dtype));
    if (p.buffer)
      g.markBuffer(p.raw->name);
  }
  for (InputSlot &in : inputs) {
    TensorValue v = TensorValue::ofValue(body->getArgument(arg++), in.dtype);
    v.dependsOn = in.name;
    if (in.host)
      v.host = std::make_shared<HostTensor>(std::move(*in.host));
    g.define(in.name, std::move(v));
    g.markGraphInput(in.name);
  }
  for (auto &c : constants)
    g.define(c.first, std::move(c.second));

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(g.importNode(graph.node(i), unsigned(i))))
      return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    TensorValue *v = g.lookup(out.name());
    if (!v) {
      error() << "graph output '" << out.name()
              << "' is not computed by any node, input or initializer";
      return nullptr;
    }
    if (failed(checkOutput(out, *v)))
      return nullptr;
    results.push_back(g.materialize(*v, fileLoc));
  }
  if (graph.output_size() == 0) {
    error() << "the graph has no outputs";
    return nullptr;
  }
  // Then the buffers that training-mode BatchNormalization updated.
  SmallVector<const ParamSlot *> updated;
  for (const ParamSlot &p : params)
    if (TensorValue *v = p.buffer ? g.bufferUpdate(p.raw->name) : nullptr) {
      results.push_back(g.materialize(*v, fileLoc));
      updated.push_back(&p);
    }
  func::ReturnOp::create(b, fileLoc, results);
  // Drop what the importer made and no longer uses (e.g. the NCHW form of
  // a convolution's result that the next convolution reads in NHWC).
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  if (Value seed = g.dropoutSeedIfUsed()) {
    // The entry block gained the seed argument: the signature follows.
    SmallVector<DictionaryAttr> argAttrs;
    func.getAllArgAttrs(argAttrs);
    argAttrs.push_back(DictionaryAttr::get(
        ctx, {mlir::quant4::getSlotAttr(ctx, mlir::quant4::SlotKind::Seed)}));
    argTypes.push_back(seed.getType());
    func.setFunctionType(b.getFunctionType(argTypes, {}));
    func.setAllArgAttrs(argAttrs);
  }
  func.setFunctionType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, p] : llvm::enumerate(updated))
    func.setResultAttrs(graph.output_size() + i,
                        ArrayRef<NamedAttribute>{slotOf(*p)});

  // The parameters' values.
  if (!params.empty()) {
    b.setInsertionPointToEnd(module->getBody());
    SmallVector<Type> types(argTypes.begin(), argTypes.begin() + params.size());
    auto pf = func::FuncOp::create(b, fileLoc, options.functionName + "_params",
                                   b.getFunctionType({}, types));
    mlir::quant4::setParamsOf(pf, func.getSymNameAttr());
    Block *pb = pf.addEntryBlock();
    b.setInsertionPointToEnd(pb);
    SmallVector<Value> values;
    for (unsigned i = 0; i < params.size(); ++i) {
      values.push_back(g.constantOf(*params[i].raw, fileLoc));
      pf.setResultAttrs(i, ArrayRef<NamedAttribute>{slotOf(params[i])});
    }
    func::ReturnOp::create(b, fileLoc, values);
  }

  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp>
q4onnx::importOnnx(StringRef bytes, StringRef bufferName,
                                MLIRContext *ctx,
                                const ImportOptions &options) {
  ctx->loadDialect<func::FuncDialect, arith::ArithDialect,
                   linalg::LinalgDialect, tensor::TensorDialect,
                   math::MathDialect, mlir::quant4::Quant4Dialect>();
  return ModelImporter(ctx, bufferName, options).run(bytes);
}

OwningOpRef<ModuleOp>
q4onnx::importOnnxFile(StringRef path, MLIRContext *ctx,
                                    const ImportOptions &options) {
  auto buf = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                                /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(FileLineColLoc::get(ctx, path, 0, 0))
        << "cannot read '" << path << "': " << buf.getError().message();
    return nullptr;
  }
  return importOnnx((*buf)->getBuffer(), path, ctx, options);
}

std::string
q4onnx::parseInputValue(StringRef text,
                                     llvm::StringMap<std::vector<int64_t>> &values) {
  size_t eq = text.rfind('=');
  if (eq == StringRef::npos || eq == 0)
    return "--input-value expects NAME=v1,v2,... (got '" + text.str() + "')";
  StringRef name = text.take_front(eq), list = text.drop_front(eq + 1);
  std::vector<int64_t> vals;
  if (!list.trim().empty()) {
    SmallVector<StringRef> parts;
    list.split(parts, ',');
    for (StringRef p : parts) {
      int64_t v;
      if (p.trim().getAsInteger(10, v))
        return "--input-value " + name.str() + ": '" + p.str() +
               "' is not an integer";
      vals.push_back(v);
    }
  }
  if (values.count(name))
    return "--input-value gives '" + name.str() + "' twice";
  values[name] = std::move(vals);
  return "";
}
