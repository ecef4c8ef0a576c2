//===- Scalar.cpp - derivative rules of scalar arith and math ops ---------===//
//
// The ops of linalg.generic bodies. Each rule gets the adjoint `g` of the
// op's result and passes d(result)/d(operand)·g to its float operands.
// Piecewise-constant ops (floor, ceil, rounding) and conversions from
// integers pass nothing: their derivative is zero almost everywhere.
//
//===----------------------------------------------------------------------===//
#include "Rules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "quant4/Training/AdjointOpInterface.h"

#include <cmath>

using namespace mlir;
using namespace mlir::quant4;

namespace {

using Acc = function_ref<void(Value, Value)>;

/// Shorthand for a rule: `Rule::adjoint(op, b, loc, g, acc)`.
template <typename Rule, typename Op>
struct Scalar : ScalarAdjointOpInterface::ExternalModel<Rule, Op> {
  void buildScalarAdjoint(Operation *op, OpBuilder &b, Value g,
                          Acc acc) const {
    Rule::adjoint(cast<Op>(op), b, op->getLoc(), g, acc);
  }
};

Value cst(OpBuilder &b, Location l, Type t, double v) {
  return arith::ConstantOp::create(b, l, b.getFloatAttr(t, v));
}
Value mul(OpBuilder &b, Location l, Value x, Value y) {
  return arith::MulFOp::create(b, l, x, y);
}
Value div(OpBuilder &b, Location l, Value x, Value y) {
  return arith::DivFOp::create(b, l, x, y);
}
Value neg(OpBuilder &b, Location l, Value x) {
  return arith::NegFOp::create(b, l, x);
}

struct AddF : Scalar<AddF, arith::AddFOp> {
  static void adjoint(arith::AddFOp o, OpBuilder &, Location, Value g, Acc acc) {
    acc(o.getLhs(), g);
    acc(o.getRhs(), g);
  }
};
struct SubF : Scalar<SubF, arith::SubFOp> {
  static void adjoint(arith::SubFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getLhs(), g);
    acc(o.getRhs(), neg(b, l, g));
  }
};
struct MulF : Scalar<MulF, arith::MulFOp> {
  static void adjoint(arith::MulFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getLhs(), mul(b, l, g, o.getRhs()));
    acc(o.getRhs(), mul(b, l, g, o.getLhs()));
  }
};
struct DivF : Scalar<DivF, arith::DivFOp> {
  // d(a/b) = da/b - db·(a/b)/b
  static void adjoint(arith::DivFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getLhs(), div(b, l, g, o.getRhs()));
    Value q = div(b, l, o.getResult(), o.getRhs());
    acc(o.getRhs(), neg(b, l, mul(b, l, g, q)));
  }
};
struct NegF : Scalar<NegF, arith::NegFOp> {
  static void adjoint(arith::NegFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getOperand(), neg(b, l, g));
  }
};

/// max/min: the whole gradient goes to the first operand when it is
/// selected (ties included), else to the second.
template <typename Op, arith::CmpFPredicate FirstWins>
struct Extremum : Scalar<Extremum<Op, FirstWins>, Op> {
  static void adjoint(Op o, OpBuilder &b, Location l, Value g, Acc acc) {
    Value lhs = o.getLhs(), rhs = o.getRhs();
    Value first = arith::CmpFOp::create(b, l, FirstWins, lhs, rhs);
    Value zero = cst(b, l, g.getType(), 0.0);
    acc(lhs, arith::SelectOp::create(b, l, first, g, zero));
    acc(rhs, arith::SelectOp::create(b, l, first, zero, g));
  }
};

struct Select : Scalar<Select, arith::SelectOp> {
  static void adjoint(arith::SelectOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value zero = cst(b, l, g.getType(), 0.0);
    acc(o.getTrueValue(),
        arith::SelectOp::create(b, l, o.getCondition(), g, zero));
    acc(o.getFalseValue(),
        arith::SelectOp::create(b, l, o.getCondition(), zero, g));
  }
};

/// Float-to-float conversions pass the gradient on, converted back.
struct ExtF : Scalar<ExtF, arith::ExtFOp> {
  static void adjoint(arith::ExtFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getIn(), arith::TruncFOp::create(b, l, o.getIn().getType(), g));
  }
};
struct TruncF : Scalar<TruncF, arith::TruncFOp> {
  static void adjoint(arith::TruncFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getIn(), arith::ExtFOp::create(b, l, o.getIn().getType(), g));
  }
};

struct Exp : Scalar<Exp, math::ExpOp> {
  static void adjoint(math::ExpOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getOperand(), mul(b, l, g, o.getResult()));
  }
};
struct Log : Scalar<Log, math::LogOp> {
  static void adjoint(math::LogOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getOperand(), div(b, l, g, o.getOperand()));
  }
};
struct Log1p : Scalar<Log1p, math::Log1pOp> {
  static void adjoint(math::Log1pOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value x = o.getOperand();
    acc(x, div(b, l, g,
               arith::AddFOp::create(b, l, x, cst(b, l, x.getType(), 1.0))));
  }
};
struct Tanh : Scalar<Tanh, math::TanhOp> {
  static void adjoint(math::TanhOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value y = o.getResult();
    Value one = cst(b, l, y.getType(), 1.0);
    acc(o.getOperand(),
        mul(b, l, g, arith::SubFOp::create(b, l, one, mul(b, l, y, y))));
  }
};
struct Sqrt : Scalar<Sqrt, math::SqrtOp> {
  static void adjoint(math::SqrtOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value y = o.getResult();
    acc(o.getOperand(), div(b, l, g, arith::AddFOp::create(b, l, y, y)));
  }
};
struct Rsqrt : Scalar<Rsqrt, math::RsqrtOp> {
  // d(x^-1/2) = -1/2 · x^-3/2 = -1/2 · y³
  static void adjoint(math::RsqrtOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value y = o.getResult();
    Value y3 = mul(b, l, mul(b, l, y, y), y);
    acc(o.getOperand(),
        mul(b, l, g, mul(b, l, y3, cst(b, l, y.getType(), -0.5))));
  }
};
struct Erf : Scalar<Erf, math::ErfOp> {
  // d erf(x) = 2/√π · exp(-x²)
  static void adjoint(math::ErfOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value x = o.getOperand();
    Value e = math::ExpOp::create(b, l, neg(b, l, mul(b, l, x, x)));
    Value k = cst(b, l, x.getType(), 2.0 / std::sqrt(M_PI));
    acc(x, mul(b, l, g, mul(b, l, k, e)));
  }
};
struct PowF : Scalar<PowF, math::PowFOp> {
  // d(a^b) = b·a^(b-1)·da + a^b·ln(a)·db
  static void adjoint(math::PowFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value x = o.getLhs(), e = o.getRhs(), y = o.getResult();
    Type t = x.getType();
    Value em1 = arith::SubFOp::create(b, l, e, cst(b, l, t, 1.0));
    Value dx = mul(b, l, e, math::PowFOp::create(b, l, x, em1));
    acc(x, mul(b, l, g, dx));
    acc(e, mul(b, l, g, mul(b, l, y, math::LogOp::create(b, l, x))));
  }
};
struct AbsF : Scalar<AbsF, math::AbsFOp> {
  // d|x| = sign(x) (0 at 0)
  static void adjoint(math::AbsFOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    Value x = o.getOperand();
    Value zero = cst(b, l, x.getType(), 0.0);
    Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, zero);
    Value negv =
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, zero);
    Value r = arith::SelectOp::create(
        b, l, pos, g, arith::SelectOp::create(b, l, negv, neg(b, l, g), zero));
    acc(x, r);
  }
};
struct Sin : Scalar<Sin, math::SinOp> {
  static void adjoint(math::SinOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getOperand(), mul(b, l, g, math::CosOp::create(b, l, o.getOperand())));
  }
};
struct Cos : Scalar<Cos, math::CosOp> {
  static void adjoint(math::CosOp o, OpBuilder &b, Location l, Value g,
                      Acc acc) {
    acc(o.getOperand(),
        neg(b, l, mul(b, l, g, math::SinOp::create(b, l, o.getOperand()))));
  }
};

/// Zero almost everywhere: nothing to pass on.
template <typename Op> struct Flat : Scalar<Flat<Op>, Op> {
  static void adjoint(Op, OpBuilder &, Location, Value, Acc) {}
};

} // namespace

void mlir::quant4::rules::registerScalarAdjoints(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    arith::AddFOp::attachInterface<AddF>(*ctx);
    arith::SubFOp::attachInterface<SubF>(*ctx);
    arith::MulFOp::attachInterface<MulF>(*ctx);
    arith::DivFOp::attachInterface<DivF>(*ctx);
    arith::NegFOp::attachInterface<NegF>(*ctx);
    arith::MaximumFOp::attachInterface<
        Extremum<arith::MaximumFOp, arith::CmpFPredicate::OGE>>(*ctx);
    arith::MaxNumFOp::attachInterface<
        Extremum<arith::MaxNumFOp, arith::CmpFPredicate::OGE>>(*ctx);
    arith::MinimumFOp::attachInterface<
        Extremum<arith::MinimumFOp, arith::CmpFPredicate::OLE>>(*ctx);
    arith::MinNumFOp::attachInterface<
        Extremum<arith::MinNumFOp, arith::CmpFPredicate::OLE>>(*ctx);
    arith::SelectOp::attachInterface<Select>(*ctx);
    arith::ExtFOp::attachInterface<ExtF>(*ctx);
    arith::TruncFOp::attachInterface<TruncF>(*ctx);
    arith::SIToFPOp::attachInterface<Flat<arith::SIToFPOp>>(*ctx);
    arith::UIToFPOp::attachInterface<Flat<arith::UIToFPOp>>(*ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, math::MathDialect *) {
    math::ExpOp::attachInterface<Exp>(*ctx);
    math::LogOp::attachInterface<Log>(*ctx);
    math::Log1pOp::attachInterface<Log1p>(*ctx);
    math::TanhOp::attachInterface<Tanh>(*ctx);
    math::SqrtOp::attachInterface<Sqrt>(*ctx);
    math::RsqrtOp::attachInterface<Rsqrt>(*ctx);
    math::ErfOp::attachInterface<Erf>(*ctx);
    math::PowFOp::attachInterface<PowF>(*ctx);
    math::AbsFOp::attachInterface<AbsF>(*ctx);
    math::SinOp::attachInterface<Sin>(*ctx);
    math::CosOp::attachInterface<Cos>(*ctx);
    math::FloorOp::attachInterface<Flat<math::FloorOp>>(*ctx);
    math::CeilOp::attachInterface<Flat<math::CeilOp>>(*ctx);
    math::RoundOp::attachInterface<Flat<math::RoundOp>>(*ctx);
    math::RoundEvenOp::attachInterface<Flat<math::RoundEvenOp>>(*ctx);
    math::TruncOp::attachInterface<Flat<math::TruncOp>>(*ctx);
  });
}
