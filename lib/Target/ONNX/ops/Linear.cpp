//===- Linear.cpp - MatMul and Gemm ---------------------------------------===//
//
// MatMul: numpy matmul semantics. A right operand without batch dimensions
// (a weight) makes one linalg.matmul over the left operand's rows (its batch
// dimensions collapsed into M); otherwise the batch dimensions are broadcast
// and collapsed into one, and the product is a linalg.batch_matmul.
// Gemm: linalg.transpose for transA/transB, linalg.matmul, then alpha/beta
// and the bias C in one element-wise op (the model convention's
// `Y = X·W + b`; PyTorch's Linear exports as Gemm with transB = 1).
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {

bool gemmType(DType t) {
  return isFloat(t) || t == DType::Int32 || t == DType::Int64;
}

Value matmul2d(Emitter &em, Value a, Value b) {
  ArrayRef<int64_t> as = Emitter::shapeOf(a), bs = Emitter::shapeOf(b);
  Type et = Emitter::elementTypeOf(a);
  Value init = em.filled({as[0], bs[1]}, et, 0.0);
  return linalg::MatmulOp::create(em.b, em.loc, TypeRange{init.getType()},
                                  ValueRange{a, b}, ValueRange{init})
      .getResult(0);
}

LogicalResult importMatMul(NodeContext &ctx) {
  TensorValue *av = ctx.input(0), *bv = ctx.input(1);
  if (!av || !bv)
    return failure();
  if (av->dtype != bv->dtype || !gemmType(av->dtype)) {
    ctx.error() << "operands of element types " << dtypeName(av->dtype)
                << " and " << dtypeName(bv->dtype) << " are not supported";
    return failure();
  }
  if (av->rank() == 0 || bv->rank() == 0) {
    ctx.error() << "operands must have rank >= 1, got "
                << shapeString(av->shape) << " and " << shapeString(bv->shape);
    return failure();
  }
  Emitter em = ctx.emitter();
  Value a = ctx.materialize(*av), b = ctx.materialize(*bv);
  SmallVector<int64_t> as = av->shape, bs = bv->shape;
  bool dropM = as.size() == 1, dropN = bs.size() == 1;
  if (dropM) {
    as.insert(as.begin(), 1);
    a = em.reshape(a, as);
  }
  if (dropN) {
    bs.push_back(1);
    b = em.reshape(b, bs);
  }
  int64_t m = as[as.size() - 2], k = as.back(), k2 = bs[bs.size() - 2],
          n = bs.back();
  if (k != k2) {
    ctx.error() << "inner dimensions differ: " << shapeString(av->shape)
                << " x " << shapeString(bv->shape);
    return failure();
  }
  SmallVector<int64_t> batchA(as.begin(), as.end() - 2),
      batchB(bs.begin(), bs.end() - 2);
  auto batch = broadcastShapes({batchA, batchB});
  if (!batch) {
    ctx.error() << "batch dimensions do not broadcast: "
                << shapeString(av->shape) << " x " << shapeString(bv->shape);
    return failure();
  }
  int64_t batchSize = 1;
  for (int64_t d : *batch)
    batchSize *= d;
  SmallVector<int64_t> outShape(batch->begin(), batch->end());
  outShape.push_back(m);
  outShape.push_back(n);
  if (!checkedNumElements(outShape, 8)) {
    ctx.error() << "the result shape " << shapeString(outShape)
                << " exceeds the tensor size limit";
    return failure();
  }
  Value y;
  bool bHasBatch = llvm::any_of(batchB, [](int64_t d) { return d != 1; });
  if (!bHasBatch) {
    // Rows of A (any batch) times one matrix B.
    Value a2 = em.reshape(em.broadcastTo(a, [&] {
                            SmallVector<int64_t> s(batch->begin(), batch->end());
                            s.push_back(m);
                            s.push_back(k);
                            return s;
                          }()),
                          {batchSize * m, k});
    Value b2 = em.reshape(b, {k, n});
    y = em.reshape(matmul2d(em, a2, b2), outShape);
  } else {
    SmallVector<int64_t> sa(batch->begin(), batch->end()), sb = sa;
    sa.append({m, k});
    sb.append({k, n});
    Value a3 = em.reshape(em.broadcastTo(a, sa), {batchSize, m, k});
    Value b3 = em.reshape(em.broadcastTo(b, sb), {batchSize, k, n});
    Type et = Emitter::elementTypeOf(a);
    Value init = em.filled({batchSize, m, n}, et, 0.0);
    y = linalg::BatchMatmulOp::create(em.b, em.loc, TypeRange{init.getType()},
                                      ValueRange{a3, b3}, ValueRange{init})
            .getResult(0);
    y = em.reshape(y, outShape);
  }
  if (dropM || dropN) {
    SmallVector<int64_t> s(batch->begin(), batch->end());
    if (!dropM)
      s.push_back(m);
    if (!dropN)
      s.push_back(n);
    y = em.reshape(y, s);
  }
  ctx.setOutput(0, y, av->dtype);
  return success();
}

LogicalResult importGemm(NodeContext &ctx) {
  double alpha = ctx.attrFloat("alpha", 1.0);
  double beta = ctx.attrFloat("beta", 1.0);
  int64_t transA = ctx.attrInt("transA", 0), transB = ctx.attrInt("transB", 0);
  if (ctx.opset() < 7)
    ctx.ignoreAttr("broadcast"); // C broadcasts either way
  TensorValue *av = ctx.input(0), *bv = ctx.input(1);
  if (!av || !bv || ctx.failed())
    return failure();
  if (av->dtype != bv->dtype || !gemmType(av->dtype)) {
    ctx.error() << "operands of element types " << dtypeName(av->dtype)
                << " and " << dtypeName(bv->dtype) << " are not supported";
    return failure();
  }
  if (av->rank() != 2 || bv->rank() != 2) {
    ctx.error() << "A and B must be matrices, got " << shapeString(av->shape)
                << " and " << shapeString(bv->shape);
    return failure();
  }
  Emitter em = ctx.emitter();
  Value a = ctx.materialize(*av), b = ctx.materialize(*bv);
  if (transA)
    a = em.transpose(a, {1, 0});
  if (transB)
    b = em.transpose(b, {1, 0});
  ArrayRef<int64_t> as = Emitter::shapeOf(a), bs = Emitter::shapeOf(b);
  if (as[1] != bs[0]) {
    ctx.error() << "inner dimensions differ: A' is " << shapeString(as)
                << ", B' is " << shapeString(bs);
    return failure();
  }
  SmallVector<int64_t> out{as[0], bs[1]};
  Value y = matmul2d(em, a, b);
  Type et = Emitter::elementTypeOf(y);
  bool fl = isFloat(av->dtype);
  Value c;
  if (ctx.hasInput(2) && beta != 0.0) {
    TensorValue *cv = ctx.input(2);
    if (!cv)
      return failure();
    auto bc = broadcastShapes(
        {cv->shape, SmallVector<int64_t>(out.begin(), out.end())});
    if (cv->dtype != av->dtype || !bc ||
        ArrayRef<int64_t>(*bc) != ArrayRef<int64_t>(out)) {
      ctx.error() << "C of type " << dtypeName(cv->dtype) << " and shape "
                  << shapeString(cv->shape) << " does not broadcast to "
                  << shapeString(out);
      return failure();
    }
    c = ctx.materialize(*cv);
  }
  if (alpha != 1.0 || c) {
    SmallVector<Value> ins{y};
    if (c)
      ins.push_back(c);
    y = em.elementwise(ins, out, et, [&](OpBuilder &nb, Location l,
                                         ValueRange s) -> Value {
      auto cst = [&](double v) -> Value {
        return fl ? Value(arith::ConstantOp::create(nb, l, FloatAttr::get(et, v)))
                  : Value(arith::ConstantOp::create(
                        nb, l, IntegerAttr::get(et, int64_t(v))));
      };
      auto mul = [&](Value x, Value z) -> Value {
        return fl ? Value(arith::MulFOp::create(nb, l, x, z))
                  : Value(arith::MulIOp::create(nb, l, x, z));
      };
      Value v = s[0];
      if (alpha != 1.0)
        v = mul(v, cst(alpha));
      if (s.size() > 1) {
        Value cc = beta != 1.0 ? mul(s[1], cst(beta)) : s[1];
        v = fl ? Value(arith::AddFOp::create(nb, l, v, cc))
               : Value(arith::AddIOp::create(nb, l, v, cc));
      }
      return v;
    });
  }
  ctx.setOutput(0, y, av->dtype);
  return success();
}

} // namespace

void q4onnx::registerLinearOps(OpRegistry &r) {
  r.add("MatMul", importMatMul, 1);
  r.add("Gemm", importGemm, 6);
}
