//===- Roles.cpp - roles of the GEMMs of a training step ------------------===//
//
// Inference rules (docs/Recipes.md, "Roles"):
//  R1 parameters: function arguments marked `quant4.param`, and arguments p
//     such that a returned value r of p's type is produced (not by a GEMM) by
//     an op that reads p (through data-movement ops) and depends on a GEMM;
//     that op is p's update. A parameter read by a GEMM defines a layer.
//  R2 forward / dgrad: a GEMM reading parameter p is the dgrad of p's layer
//     if its other operand depends on another GEMM reading p, else forward.
//  R3 wgrad: a GEMM reading no parameter is the wgrad of layer L if it feeds
//     L's update (or, in a split step's gradient function, the result
//     tagged `quant4.grad` with L's parameter name) without passing through
//     another GEMM, or else if one
//     operand is L's forward activation (through data-movement ops) and the
//     other depends on L's forward GEMM.
//  R4 layer order: program order of the forward GEMMs.
//  Explicit `quant4.role` / `quant4.layer_name` on a GEMM override R2/R3.
//  R5 activation GEMMs: a layer named by `quant4.layer_name` without a
//     parameter multiplies two activations (act_lhs, act_rhs); its dgrad
//     and wgrad each read the gradient and one of them.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Quant4/Analysis/Roles.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::quant4;

std::optional<GemmKind> RoleAnalysis::getGemmKind(Operation *op) {
  std::optional<GemmKind> kind;
  if (isa<linalg::MatmulOp>(op))
    kind = GemmKind::Matmul;
  else if (isa<linalg::BatchMatmulOp>(op))
    kind = GemmKind::BatchMatmul;
  else if (isa<linalg::Conv2DNhwcHwcfOp>(op))
    kind = GemmKind::ConvNhwcHwcf;
  else if (isa<linalg::Conv2DNhwcFhwcOp>(op))
    kind = GemmKind::ConvNhwcFhwc;
  else if (isa<linalg::DepthwiseConv2DNhwcHwcOp>(op))
    kind = GemmKind::DepthwiseConvNhwcHwc;
  else if (isa<linalg::Conv2DNhwgcGfhwcOp>(op))
    kind = GemmKind::GroupedConvNhwgcGfhwc;
  if (!kind)
    return std::nullopt;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  if (!linalgOp.hasPureTensorSemantics() || linalgOp.getNumDpsInputs() != 2 ||
      op->getNumResults() != 1)
    return std::nullopt;
  return kind;
}

bool RoleAnalysis::isGemm(Operation *op) { return getGemmKind(op).has_value(); }

Value RoleAnalysis::stripViews(Value v, bool *viaGather) {
  if (viaGather)
    *viaGather = false;
  for (int guard = 0; guard < 256; ++guard) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return v;
    Value next;
    if (auto t = dyn_cast<linalg::TransposeOp>(def)) {
      next = t.getInput();
    } else if (auto c = dyn_cast<linalg::CopyOp>(def)) {
      next = c.getInputs()[0];
    } else if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                   tensor::CastOp, tensor::PadOp, tensor::ExtractSliceOp>(
                   def)) {
      next = def->getOperand(0);
    } else if (llvm::is_contained({StringRef("tosa.transpose"),
                                   StringRef("tosa.reshape"),
                                   StringRef("tosa.reverse")},
                                  def->getName().getStringRef())) {
      next = def->getOperand(0);
    } else if (auto g = dyn_cast<linalg::GenericOp>(def)) {
      // A copy: the body only yields an input element (any indexing maps,
      // e.g. a permutation or a reversal), or an element extracted from a
      // tensor defined outside the body.
      Block &b = g.getRegion().front();
      auto y = cast<linalg::YieldOp>(b.getTerminator());
      if (g->getNumResults() == 1 && y.getNumOperands() == 1) {
        Value yielded = y.getOperand(0);
        auto arg = dyn_cast<BlockArgument>(yielded);
        if (arg && arg.getOwner() == &b &&
            arg.getArgNumber() < (unsigned)g.getNumDpsInputs() &&
            g.getNumDpsInputs() == 1)
          next = g.getDpsInputOperand(0)->get();
        else if (auto ex = yielded.getDefiningOp<tensor::ExtractOp>())
          if (ex->getBlock() == &b &&
              ex.getTensor().getParentRegion() != &g.getRegion()) {
            next = ex.getTensor();
            if (viaGather)
              *viaGather = true;
          }
      }
    }
    if (!next)
      return v;
    v = next;
  }
  return v;
}

const GemmInfo *RoleAnalysis::lookup(Operation *op) const {
  auto it = gemmIndex.find(op);
  return it == gemmIndex.end() ? nullptr : &gemms[it->second];
}

void RoleAnalysis::annotate() const {
  if (gemms.empty())
    return;
  for (const GemmInfo &g : gemms) {
    setGemmRole(g.op, g.role);
    setLayerIndex(g.op, g.layer);
    setLayerName(g.op, layers[g.layer].name);
  }
  setNumLayers(func, layers.size());
}

/// Calls `fn` on every operand of `op` and of the ops nested in it that is
/// defined outside `op`.
static void forEachUsedValue(Operation *op, function_ref<void(Value)> fn) {
  for (Value v : op->getOperands())
    fn(v);
  op->walk([&](Operation *inner) {
    if (inner == op)
      return;
    for (Value v : inner->getOperands())
      if (!op->isProperAncestor(v.getParentBlock()->getParentOp()) &&
          v.getParentBlock()->getParentOp() != op)
        fn(v);
  });
}

namespace {
/// A layer under construction, keyed by its parameter and/or its name.
struct Proto {
  std::string name;
  Value param;
  /// The op producing the parameter's update, or (split step) its
  /// returned gradient.
  Operation *update = nullptr;
  int fwd = -1, dgrad = -1, wgrad = -1;
};
} // namespace

LogicalResult RoleAnalysis::run() {
  gemms.clear();
  layers.clear();
  gemmIndex.clear();
  if (func.isExternal())
    return success();
  Block &body = func.getBody().front();

  // Collect the GEMMs; they must sit in the function's entry block.
  bool ok = true;
  func.walk([&](Operation *op) {
    auto kind = getGemmKind(op);
    if (!kind)
      return;
    if (op->getBlock() != &body) {
      op->emitOpError("cannot be classified: quant4 role inference handles "
                      "GEMMs at the top level of a single-block function only");
      ok = false;
      return;
    }
    GemmInfo info;
    info.op = op;
    info.kind = *kind;
    gemmIndex[op] = gemms.size();
    gemms.push_back(info);
  });
  if (!ok)
    return failure();
  if (!func.getBody().hasOneBlock())
    if (!gemms.empty())
      return gemms.front().op->emitOpError(
          "cannot be classified: the function body has more than one block");
  unsigned n = gemms.size();
  if (n == 0)
    return success();

  // Dependence of each top-level op on the GEMMs (transitively).
  DenseMap<Operation *, unsigned> position;
  DenseMap<Operation *, llvm::BitVector> deps;
  unsigned pos = 0;
  for (Operation &op : body) {
    position[&op] = pos++;
    llvm::BitVector d(n);
    forEachUsedValue(&op, [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (!def || def->getBlock() != &body)
        return;
      auto it = deps.find(def);
      if (it != deps.end())
        d |= it->second;
      auto g = gemmIndex.find(def);
      if (g != gemmIndex.end())
        d.set(g->second);
    });
    deps[&op] = std::move(d);
  }
  for (GemmInfo &g : gemms)
    g.position = position[g.op];
  auto valueDeps = [&](Value v) {
    llvm::BitVector d(n);
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != &body)
      return d;
    d = deps[def];
    auto g = gemmIndex.find(def);
    if (g != gemmIndex.end())
      d.set(g->second);
    return d;
  };
  auto input = [&](unsigned g, unsigned i) {
    return cast<linalg::LinalgOp>(gemms[g].op).getDpsInputOperand(i)->get();
  };

  // R1: parameters and their updates.
  llvm::MapVector<Value, std::string> params;
  DenseMap<Value, Operation *> updateOf;
  for (BlockArgument arg : body.getArguments())
    if (auto s = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                   attrs::kParam))
      params[arg] = s.str();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (ret) {
    for (Value r : ret.getOperands()) {
      Operation *u = r.getDefiningOp();
      if (!u || u->getBlock() != &body || isGemm(u) || valueDeps(r).none())
        continue;
      forEachUsedValue(u, [&](Value o) {
        auto ba = dyn_cast<BlockArgument>(stripViews(o));
        if (!ba || ba.getOwner() != &body || ba.getType() != r.getType())
          return;
        params.insert({ba, ""});
        updateOf.try_emplace(ba, u);
      });
    }
    // A split step's gradient function returns each parameter's gradient
    // (quant4.grad = its name): what produces it stands for the update.
    for (auto [i, r] : llvm::enumerate(ret.getOperands())) {
      auto name = func.getResultAttrOfType<StringAttr>(i, attrs::kGrad);
      Operation *u = r.getDefiningOp();
      if (!name || !u || u->getBlock() != &body)
        continue;
      for (auto [arg, pname] : params)
        if (pname == name.getValue())
          updateOf.try_emplace(arg, u);
    }
  }

  // Protos (layers under construction).
  SmallVector<Proto> protos;
  DenseMap<Value, unsigned> protoOfParam;
  llvm::StringMap<unsigned> protoOfName;
  auto protoForName = [&](StringRef name) {
    auto it = protoOfName.find(name);
    if (it != protoOfName.end())
      return it->second;
    protos.push_back(Proto{name.str(), Value(), nullptr});
    return protoOfName[name] = protos.size() - 1;
  };
  auto protoForParam = [&](Value p) {
    auto it = protoOfParam.find(p);
    if (it != protoOfParam.end())
      return it->second;
    std::string name = params.lookup(p);
    unsigned idx;
    if (!name.empty()) {
      idx = protoForName(name);
    } else {
      protos.push_back(Proto{"", Value(), nullptr});
      idx = protos.size() - 1;
    }
    protos[idx].param = p;
    protos[idx].update = updateOf.lookup(p);
    return protoOfParam[p] = idx;
  };

  // Explicit annotations and parameter operands.
  SmallVector<std::optional<GemmRole>> role(n);
  SmallVector<int> proto(n, -1);
  SmallVector<int> paramOperand(n, -1);
  for (unsigned g = 0; g < n; ++g) {
    Operation *op = gemms[g].op;
    // The dialect verifier rejects a malformed role in parsed IR; this
    // catches one set by a pass before the next verification.
    if (auto r = op->getAttr(attrs::kRole)) {
      role[g] = getGemmRole(op);
      if (!role[g])
        return op->emitOpError("has an invalid '")
               << attrs::kRole << "' annotation " << r
               << " (expected \"fwd\", \"dgrad\" or \"wgrad\")";
    }
    // The operand that is (a view of) a parameter. An embedding lookup
    // (a gather of a parameter) is an activation: when both operands reach
    // a parameter, the one reached without a gather is the weight.
    for (unsigned i = 0; i < 2; ++i) {
      bool gathered;
      if (!params.count(stripViews(input(g, i), &gathered)))
        continue;
      if (paramOperand[g] < 0 || !gathered)
        paramOperand[g] = i;
      if (!gathered)
        break;
    }
    if (StringAttr s = getLayerName(op)) {
      proto[g] = protoForName(s.getValue());
      if (paramOperand[g] >= 0 && role[g] != GemmRole::WGrad) {
        Value p = stripViews(input(g, paramOperand[g]));
        Proto &pr = protos[proto[g]];
        if (!pr.param) {
          pr.param = p;
          pr.update = updateOf.lookup(p);
          protoOfParam[p] = proto[g];
        }
      }
    }
  }

  // R2: forward and dgrad among the GEMMs that read a parameter. A GEMM is
  // a dgrad if its other operand depends on another GEMM reading the same
  // parameter; the GEMMs are grouped by parameter first, so this is linear
  // in the number of GEMMs (not a scan of all of them per GEMM).
  DenseMap<Value, SmallVector<unsigned, 2>> gemmsOfParam;
  for (unsigned g = 0; g < n; ++g)
    if (paramOperand[g] >= 0)
      gemmsOfParam[stripViews(input(g, paramOperand[g]))].push_back(g);
  for (unsigned g = 0; g < n; ++g) {
    if (paramOperand[g] < 0 || role[g] == GemmRole::WGrad)
      continue;
    Value p = stripViews(input(g, paramOperand[g]));
    if (proto[g] < 0)
      proto[g] = protoForParam(p);
    if (role[g])
      continue;
    llvm::BitVector other = valueDeps(input(g, 1 - paramOperand[g]));
    bool downstream = false;
    for (unsigned h : gemmsOfParam[p])
      if (h != g && other.test(h))
        downstream = true;
    role[g] = downstream ? GemmRole::DGrad : GemmRole::Forward;
  }
  for (unsigned g = 0; g < n; ++g) {
    if (proto[g] < 0 || role[g] != GemmRole::Forward)
      continue;
    Proto &pr = protos[proto[g]];
    if (pr.fwd >= 0) {
      InFlightDiagnostic d = gemms[g].op->emitOpError(
          "cannot be classified: it is a second forward GEMM of layer ");
      d << (pr.name.empty() ? std::string("(unnamed)") : "'" + pr.name + "'")
        << " (shared weights are not supported; annotate it with "
           "quant4.role and quant4.layer_name)";
      d.attachNote(gemms[pr.fwd].op->getLoc()) << "first forward GEMM here";
      return failure();
    }
    pr.fwd = g;
  }

  // The weight operand of a GEMM reading its layer's parameter, or -1.
  auto weightOperand = [&](unsigned g) -> int {
    if (paramOperand[g] >= 0)
      return paramOperand[g];
    if (proto[g] < 0 || !protos[proto[g]].param)
      return -1;
    for (unsigned i = 0; i < 2; ++i)
      if (stripViews(input(g, i)) == protos[proto[g]].param)
        return i;
    return -1;
  };
  // Forward activation operand of each proto's forward GEMM.
  auto fwdActOperand = [&](const Proto &pr) -> int {
    if (pr.fwd < 0)
      return -1;
    int w = weightOperand(pr.fwd);
    return w < 0 ? -1 : 1 - w;
  };

  // R3: wgrad.
  SmallVector<llvm::BitVector> feedsUpdate(protos.size(), llvm::BitVector(n));
  for (unsigned idx = 0; idx < protos.size(); ++idx) {
    Operation *update = protos[idx].update;
    if (!update)
      continue;
    if (auto gi = gemmIndex.find(update); gi != gemmIndex.end()) {
      // A gradient returned straight from its wgrad GEMM.
      feedsUpdate[idx].set(gi->second);
      continue;
    }
    SmallVector<Operation *> work{update};
    DenseSet<Operation *> seen{update};
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      forEachUsedValue(op, [&](Value v) {
        Operation *def = v.getDefiningOp();
        if (!def || def->getBlock() != &body)
          return;
        auto gi = gemmIndex.find(def);
        if (gi != gemmIndex.end()) {
          feedsUpdate[idx].set(gi->second);
          return;
        }
        if (seen.insert(def).second)
          work.push_back(def);
      });
    }
  }
  // First proto (with a forward GEMM) whose update each GEMM feeds: one
  // pass over the set bits instead of a scan of all protos per GEMM.
  SmallVector<int> firstFeeder(n, -1);
  for (unsigned p = 0; p < protos.size(); ++p)
    if (protos[p].fwd >= 0)
      for (unsigned g : feedsUpdate[p].set_bits())
        if (firstFeeder[g] < 0)
          firstFeeder[g] = p;
  for (unsigned g = 0; g < n; ++g) {
    if (proto[g] >= 0 && role[g])
      continue;
    if (role[g] && *role[g] != GemmRole::WGrad)
      continue; // explicit fwd/dgrad without a parameter: reported below
    int found = -1;
    if (proto[g] >= 0)
      found = proto[g];
    if (found < 0)
      found = firstFeeder[g];
    for (unsigned p = 0; p < protos.size() && found < 0; ++p) {
      int act = fwdActOperand(protos[p]);
      if (act < 0)
        continue;
      Value actRoot = stripViews(input(protos[p].fwd, act));
      for (unsigned i = 0; i < 2; ++i)
        if (stripViews(input(g, i)) == actRoot &&
            valueDeps(input(g, 1 - i)).test(protos[p].fwd))
          found = p;
    }
    if (found < 0)
      continue;
    proto[g] = found;
    role[g] = GemmRole::WGrad;
  }

  // Every GEMM must have a role and a layer.
  for (unsigned g = 0; g < n; ++g) {
    if (role[g] && proto[g] >= 0)
      continue;
    return gemms[g].op->emitOpError(
        "cannot be classified as forward, dgrad or wgrad: it reads no "
        "parameter (a function argument that is updated and returned, or "
        "marked quant4.param) and it neither feeds a parameter update nor "
        "reads the input activation of a known layer; annotate it with "
        "quant4.role and quant4.layer_name");
  }

  // Layers: one forward GEMM each, ordered by program order (R4).
  for (unsigned g = 0; g < n; ++g) {
    Proto &pr = protos[proto[g]];
    if (pr.fwd < 0)
      return gemms[g].op->emitOpError("is a ")
             << stringifyGemmRole(*role[g])
             << " GEMM of a layer that has no forward GEMM";
    if (*role[g] == GemmRole::DGrad || *role[g] == GemmRole::WGrad) {
      int &slot = *role[g] == GemmRole::DGrad ? pr.dgrad : pr.wgrad;
      if (slot >= 0) {
        InFlightDiagnostic d = gemms[g].op->emitOpError(
            "cannot be classified: it would be a second ");
        d << stringifyGemmRole(*role[g]) << " GEMM of the same layer";
        d.attachNote(gemms[slot].op->getLoc()) << "first one here";
        return failure();
      }
      slot = g;
    }
  }
  SmallVector<unsigned> order;
  for (unsigned p = 0; p < protos.size(); ++p)
    if (protos[p].fwd >= 0)
      order.push_back(p);
  llvm::sort(order, [&](unsigned a, unsigned b) {
    return protos[a].fwd < protos[b].fwd;
  });
  SmallVector<int> layerOfProto(protos.size(), -1);
  for (auto [i, p] : llvm::enumerate(order)) {
    layerOfProto[p] = i;
    LayerInfo info;
    info.index = i;
    info.name = protos[p].name.empty() ? "layer" + std::to_string(i)
                                       : protos[p].name;
    info.param = protos[p].param;
    info.update = protos[p].update;
    info.fwd = gemms[protos[p].fwd].op;
    info.dgrad = protos[p].dgrad >= 0 ? gemms[protos[p].dgrad].op : nullptr;
    info.wgrad = protos[p].wgrad >= 0 ? gemms[protos[p].wgrad].op : nullptr;
    layers.push_back(info);
  }

  // Operand kinds.
  for (unsigned g = 0; g < n; ++g) {
    GemmInfo &info = gemms[g];
    info.role = *role[g];
    info.layer = layerOfProto[proto[g]];
    const Proto &pr = protos[proto[g]];
    int weight = weightOperand(g);
    // A named layer without a parameter whose forward GEMM multiplies two
    // activations (attention's Q·Kᵀ, P·V): its backward GEMMs hold the
    // gradient (the operand that depends on the forward GEMM) and one of
    // the forward operands.
    if (!pr.param && weight < 0 && !pr.name.empty()) {
      if (info.role == GemmRole::Forward) {
        info.operands[0] = OperandKind::LhsActivation;
        info.operands[1] = OperandKind::RhsActivation;
        continue;
      }
      bool d0 = valueDeps(input(g, 0)).test(pr.fwd);
      bool d1 = valueDeps(input(g, 1)).test(pr.fwd);
      if (d0 == d1)
        return info.op->emitOpError("is a ")
               << stringifyGemmRole(info.role)
               << " GEMM of the activation GEMM layer '" << pr.name
               << "' but not exactly one operand depends on its forward GEMM";
      int grad = d0 ? 0 : 1;
      Value other = stripViews(input(g, 1 - grad));
      info.operands[grad] = OperandKind::Gradient;
      info.operands[1 - grad] =
          other == stripViews(input(pr.fwd, 1)) ? OperandKind::RhsActivation
                                                : OperandKind::LhsActivation;
      continue;
    }
    switch (info.role) {
    case GemmRole::Forward:
    case GemmRole::DGrad:
      if (weight < 0)
        return info.op->emitOpError("is annotated as a ")
               << stringifyGemmRole(info.role)
               << " GEMM but neither operand is a parameter; mark the weight "
                  "argument with quant4.param";
      info.operands[weight] = OperandKind::Weight;
      info.operands[1 - weight] = info.role == GemmRole::Forward
                                      ? OperandKind::Activation
                                      : OperandKind::Gradient;
      break;
    case GemmRole::WGrad: {
      int act = -1;
      if (int fa = fwdActOperand(pr); fa >= 0) {
        Value actRoot = stripViews(input(pr.fwd, fa));
        for (unsigned i = 0; i < 2 && act < 0; ++i)
          if (stripViews(input(g, i)) == actRoot)
            act = i;
      }
      if (act < 0) {
        bool d0 = valueDeps(input(g, 0)).test(pr.fwd);
        bool d1 = valueDeps(input(g, 1)).test(pr.fwd);
        if (d0 != d1)
          act = d0 ? 1 : 0;
      }
      if (act < 0)
        return info.op->emitOpError(
            "is a wgrad GEMM but neither operand is recognizably the layer's "
            "input activation");
      info.operands[act] = OperandKind::Activation;
      info.operands[1 - act] = OperandKind::Gradient;
      break;
    }
    }
  }
  return success();
}
