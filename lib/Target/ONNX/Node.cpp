//===- Node.cpp - what an operator importer sees of its node --------------===//
#include "Importer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

using AttrType = onnx::AttributeProto_AttributeType;

/// The kind of an attribute; old models leave `type` unset.
static int attrKind(const onnx::AttributeProto &a) {
  if (a.type() != onnx::AttributeProto_AttributeType_UNDEFINED)
    return a.type();
  if (a.has_f())
    return onnx::AttributeProto_AttributeType_FLOAT;
  if (a.has_i())
    return onnx::AttributeProto_AttributeType_INT;
  if (a.has_s())
    return onnx::AttributeProto_AttributeType_STRING;
  if (a.has_t())
    return onnx::AttributeProto_AttributeType_TENSOR;
  if (a.has_g())
    return onnx::AttributeProto_AttributeType_GRAPH;
  if (a.floats_size())
    return onnx::AttributeProto_AttributeType_FLOATS;
  if (a.ints_size())
    return onnx::AttributeProto_AttributeType_INTS;
  if (a.strings_size())
    return onnx::AttributeProto_AttributeType_STRINGS;
  return onnx::AttributeProto_AttributeType_UNDEFINED;
}

static std::string kindName(int kind) {
  switch (kind) {
  case onnx::AttributeProto_AttributeType_FLOAT:
    return "a float";
  case onnx::AttributeProto_AttributeType_INT:
    return "an integer";
  case onnx::AttributeProto_AttributeType_STRING:
    return "a string";
  case onnx::AttributeProto_AttributeType_TENSOR:
    return "a tensor";
  case onnx::AttributeProto_AttributeType_GRAPH:
    return "a graph";
  case onnx::AttributeProto_AttributeType_FLOATS:
    return "a list of floats";
  case onnx::AttributeProto_AttributeType_INTS:
    return "a list of integers";
  case onnx::AttributeProto_AttributeType_STRINGS:
    return "a list of strings";
  default:
    return "an attribute of kind " + std::to_string(kind);
  }
}

/// The value of an attribute as text, for messages.
static std::string attrValueText(const onnx::AttributeProto &a) {
  auto limited = [](auto &list, auto fmt) {
    std::string s = "[";
    int n = list.size();
    for (int i = 0; i < n && i < 8; ++i)
      s += (i ? ", " : "") + fmt(list.Get(i));
    if (n > 8)
      s += ", ...";
    return s + "]";
  };
  switch (attrKind(a)) {
  case onnx::AttributeProto_AttributeType_FLOAT:
    return llvm::formatv("{0}", a.f()).str();
  case onnx::AttributeProto_AttributeType_INT:
    return std::to_string(a.i());
  case onnx::AttributeProto_AttributeType_STRING:
    return "\"" + a.s().substr(0, 64) + "\"";
  case onnx::AttributeProto_AttributeType_FLOATS:
    return limited(a.floats(),
                   [](float f) { return llvm::formatv("{0}", f).str(); });
  case onnx::AttributeProto_AttributeType_INTS:
    return limited(a.ints(), [](int64_t i) { return std::to_string(i); });
  case onnx::AttributeProto_AttributeType_STRINGS:
    return limited(a.strings(), [](const std::string &s) {
      return "\"" + s.substr(0, 32) + "\"";
    });
  case onnx::AttributeProto_AttributeType_TENSOR:
    return "<tensor>";
  case onnx::AttributeProto_AttributeType_GRAPH:
    return "<graph>";
  default:
    return "<" + kindName(attrKind(a)) + ">";
  }
}

NodeContext::NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
                         Location loc)
    : graph(graph), node(node), location(loc) {
  displayName = node.name();
}

NodeContext::~NodeContext() = default;

StringRef NodeContext::opType() const { return node.op_type(); }
int64_t NodeContext::opset() const { return graph.opset; }
OpBuilder &NodeContext::builder() { return graph.builder; }
MLIRContext *NodeContext::context() { return graph.ctx; }
const ImportOptions &NodeContext::options() const { return graph.options; }

Value NodeContext::dropoutSeed() { return graph.dropoutSeed(); }
int64_t NodeContext::nextDropoutStream() { return graph.nextDropoutStream(); }

InFlightDiagnostic NodeContext::error() {
  hasFailed = true;
  InFlightDiagnostic d = emitError(location);
  if (displayName.empty())
    d << "node (" << opType() << ")";
  else
    d << "node '" << displayName << "' (" << opType() << ")";
  if (node.output_size() > 0 && displayName.empty())
    d << " computing '" << node.output(0) << "'";
  d << ": ";
  return d;
}

LogicalResult NodeContext::unsupportedAttr(StringRef attr, StringRef value,
                                           StringRef why) {
  InFlightDiagnostic d = error();
  d << "attribute '" << attr << "' = " << value << " is not supported";
  if (!why.empty())
    d << ": " << why;
  return failure();
}

//===----------------------------------------------------------------------===//
// Inputs and outputs
//===----------------------------------------------------------------------===//

unsigned NodeContext::numInputs() const { return node.input_size(); }

bool NodeContext::hasInput(unsigned i) const {
  return int(i) < node.input_size() && !node.input(int(i)).empty();
}

TensorValue *NodeContext::input(unsigned i) {
  if (!hasInput(i)) {
    error() << "input " << i << " is required but missing";
    return nullptr;
  }
  const std::string &name = node.input(int(i));
  TensorValue *v = graph.lookup(name);
  if (!v)
    error() << "input '" << name
            << "' is not defined (neither a graph input, an initializer nor "
               "the output of an earlier node)";
  return v;
}

Value NodeContext::value(unsigned i) {
  TensorValue *v = input(i);
  if (!v)
    return {};
  return materialize(*v);
}

Value NodeContext::materialize(TensorValue &v) {
  return graph.materialize(v, location);
}

const HostTensor *NodeContext::host(unsigned i, StringRef role) {
  TensorValue *v = input(i);
  if (!v)
    return nullptr;
  if (v->host)
    return v->host.get();
  if (v->raw && isIntegral(v->raw->dtype) &&
      v->raw->numElements() <= kMaxHostElements) {
    v->host = std::make_shared<HostTensor>(v->raw->toHost());
    return v->host.get();
  }
  const std::string &name = node.input(int(i));
  InFlightDiagnostic d = error();
  d << "input " << i << " ('" << name << "', the " << role << ")";
  if (graph.isGraphInput(name))
    d << " is a graph input whose values determine shapes; give them with "
         "--input-value="
      << name << "=v1,v2,...";
  else if (!v->dependsOn.empty())
    d << " must be known at import time; it is computed from the graph "
         "input '"
      << v->dependsOn << "': give them with --input-value=" << v->dependsOn
      << "=v1,v2,...";
  else
    d << " must be known at import time (a constant, or computed from "
         "constants and shapes), but it depends on run-time values";
  return nullptr;
}

std::optional<std::vector<int64_t>> NodeContext::hostInts(unsigned i,
                                                          StringRef role) {
  const HostTensor *h = host(i, role);
  if (!h)
    return std::nullopt;
  return h->toInts();
}

unsigned NodeContext::numOutputs() const { return node.output_size(); }

bool NodeContext::hasOutput(unsigned i) const {
  return int(i) < node.output_size() && !node.output(int(i)).empty();
}

void NodeContext::setOutput(unsigned i, TensorValue v) {
  if (!hasOutput(i))
    return;
  if (!checkedNumElements(v.shape, std::max(1u, elementBytes(v.dtype)))) {
    error() << "output '" << node.output(int(i)) << "' would have shape "
            << shapeString(v.shape)
            << ", over the tensor size limit of 2^40 bytes";
    return;
  }
  if (graph.lookup(node.output(int(i)))) {
    error() << "output '" << node.output(int(i))
            << "' is already defined (ONNX names are assigned once)";
    return;
  }
  if (!v.host && v.dependsOn.empty())
    for (const std::string &in : node.input())
      if (const TensorValue *t = in.empty() ? nullptr : graph.lookup(in))
        if (!t->dependsOn.empty()) {
          v.dependsOn = t->dependsOn;
          break;
        }
  graph.define(node.output(int(i)), std::move(v));
}

void NodeContext::updateBufferInput(unsigned i, Value v, DType t) {
  if (hasInput(i) && graph.isBuffer(node.input(int(i))))
    graph.setBufferUpdate(node.input(int(i)), TensorValue::ofValue(v, t));
}

LogicalResult NodeContext::requireNoOutput(unsigned i, StringRef what) {
  if (!hasOutput(i))
    return success();
  error() << "output " << i << " ('" << node.output(int(i)) << "', " << what
          << ") is not supported";
  return failure();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *NodeContext::findAttr(StringRef name) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name) {
      readAttrs.insert(name);
      if (!a.ref_attr_name().empty()) {
        error() << "attribute '" << name
                << "' refers to a function attribute; not supported";
        return nullptr;
      }
      return &a;
    }
  return nullptr;
}

bool NodeContext::hasAttr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return true;
  return false;
}

void NodeContext::ignoreAttr(StringRef name) { readAttrs.insert(name); }

LogicalResult NodeContext::wrongKind(const onnx::AttributeProto &a,
                                     StringRef expected) {
  error() << "attribute '" << a.name() << "' must be " << expected
          << ", got " << kindName(attrKind(a));
  return failure();
}

int64_t NodeContext::attrInt(StringRef name, int64_t dflt) {
  return attrIntOpt(name).value_or(dflt);
}

std::optional<int64_t> NodeContext::attrIntOpt(StringRef name) {
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  if (attrKind(*a) != onnx::AttributeProto_AttributeType_INT) {
    (void)wrongKind(*a, "an integer");
    return std::nullopt;
  }
  return a->i();
}

double NodeContext::attrFloat(StringRef name, double dflt) {
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return dflt;
  if (attrKind(*a) != onnx::AttributeProto_AttributeType_FLOAT) {
    (void)wrongKind(*a, "a float");
    return dflt;
  }
  return a->f();
}

std::string NodeContext::attrString(StringRef name, StringRef dflt) {
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return dflt.str();
  if (attrKind(*a) != onnx::AttributeProto_AttributeType_STRING) {
    (void)wrongKind(*a, "a string");
    return dflt.str();
  }
  return a->s();
}

SmallVector<int64_t> NodeContext::attrInts(StringRef name,
                                           ArrayRef<int64_t> dflt) {
  if (auto v = attrIntsOpt(name))
    return *v;
  return SmallVector<int64_t>(dflt);
}

std::optional<SmallVector<int64_t>> NodeContext::attrIntsOpt(StringRef name) {
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  int kind = attrKind(*a);
  // An empty list has no kind in old models.
  if (kind != onnx::AttributeProto_AttributeType_INTS &&
      kind != onnx::AttributeProto_AttributeType_UNDEFINED) {
    (void)wrongKind(*a, "a list of integers");
    return std::nullopt;
  }
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<double>>
NodeContext::attrFloatsOpt(StringRef name) {
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  int kind = attrKind(*a);
  if (kind != onnx::AttributeProto_AttributeType_FLOATS &&
      kind != onnx::AttributeProto_AttributeType_UNDEFINED) {
    (void)wrongKind(*a, "a list of floats");
    return std::nullopt;
  }
  return std::vector<double>(a->floats().begin(), a->floats().end());
}

std::optional<RawTensor> NodeContext::attrTensor(StringRef name) {
  const onnx::AttributeProto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  if (attrKind(*a) != onnx::AttributeProto_AttributeType_TENSOR) {
    (void)wrongKind(*a, "a tensor");
    return std::nullopt;
  }
  std::string err;
  FailureOr<RawTensor> t =
      decodeTensorProto(a->t(), ("attribute '" + name + "'").str(), err);
  if (mlir::failed(t)) {
    error() << err;
    return std::nullopt;
  }
  return std::move(*t);
}

std::vector<std::string> NodeContext::unreadAttrs() const {
  std::vector<std::string> r;
  for (const onnx::AttributeProto &a : node.attribute())
    if (!readAttrs.contains(a.name()))
      r.push_back("'" + a.name() + "' = " + attrValueText(a));
  return r;
}

std::optional<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                                  StringRef what) {
  if (axis < -rank || axis >= rank || (rank == 0 && axis != 0)) {
    error() << what << " " << axis << " is out of range for rank " << rank;
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}
