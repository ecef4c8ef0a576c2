//===- Conv.cpp - Conv, MaxPool, AveragePool, global pools ----------------===//
//
// ONNX is NCHW with OIHW filters. quant4's GEMM recognizers (role analysis,
// recipes, quant4-build-training-step, the Q4A conversion) work on
// linalg.conv_2d_nhwc_hwcf and linalg.pooling_nhwc_max, so the importer
// emits those: the activation is transposed to NHWC (linalg.transpose),
// padded (tensor.pad), convolved or pooled, and transposed back; the filter
// is transposed to HWCF. Depthwise convolutions become
// linalg.depthwise_conv_2d_nhwc_hwc(m), other grouped ones
// linalg.conv_2d_nhwgc_gfhwc. 1-D convolutions and pools are 2-D ones with
// a unit height. Average pooling is a linalg.pooling_nhwc_sum divided by
// the number of counted elements of each window (count_include_pad and
// ceil_mode decide it; computed at import).
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {

/// Attribute values above this are refused (no size arithmetic below can
/// overflow with them).
constexpr int64_t kMaxWindowAttr = int64_t(1) << 30;

/// The geometry of a 2-D window op.
struct Window {
  int64_t in[2], kernel[2], stride[2], dilation[2];
  int64_t padBegin[2], padEnd[2];
  /// Extra end padding that ceil_mode adds (never counted by AveragePool).
  int64_t ceilPad[2] = {0, 0};
  int64_t out[2];
  int64_t extent(int d) const { return (kernel[d] - 1) * dilation[d] + 1; }
};

/// Reads kernel_shape/strides/dilations/pads/auto_pad (and ceil_mode when
/// `allowCeil`) for `spatial` (1 or 2) dimensions of sizes `in`; 1-D values
/// are mapped to height 1.
std::optional<Window> readWindow(NodeContext &ctx, int spatial,
                                 ArrayRef<int64_t> in,
                                 std::optional<ArrayRef<int64_t>> kernelFromW,
                                 bool allowCeil, bool allowDilations) {
  SmallVector<int64_t> one(spatial, 1), zero(2 * spatial, 0);
  std::optional<SmallVector<int64_t>> kernel = ctx.attrIntsOpt("kernel_shape");
  SmallVector<int64_t> strides = ctx.attrInts("strides", one);
  SmallVector<int64_t> dilations = one;
  if (allowDilations)
    dilations = ctx.attrInts("dilations", one);
  SmallVector<int64_t> pads = ctx.attrInts("pads", zero);
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  int64_t ceil = allowCeil ? ctx.attrInt("ceil_mode", 0) : 0;
  if (ctx.failed())
    return std::nullopt;
  if (!kernel) {
    if (!kernelFromW) {
      ctx.error() << "attribute 'kernel_shape' is required";
      return std::nullopt;
    }
    kernel = SmallVector<int64_t>(*kernelFromW);
  } else if (kernelFromW && ArrayRef<int64_t>(*kernel) != *kernelFromW) {
    ctx.error() << "kernel_shape " << shapeString(*kernel)
                << " differs from the filter's " << shapeString(*kernelFromW);
    return std::nullopt;
  }
  auto checkList = [&](StringRef name, ArrayRef<int64_t> v, size_t n,
                       int64_t min) {
    if (v.size() != n) {
      ctx.error() << "attribute '" << name << "' has " << v.size()
                  << " values, expected " << n;
      return false;
    }
    for (int64_t x : v)
      if (x < min || x > kMaxWindowAttr) {
        std::string list;
        for (size_t i = 0; i < v.size(); ++i)
          list += (i ? ", " : "") + std::to_string(v[i]);
        (void)ctx.unsupportedAttr(name, "[" + list + "]",
                                  "values must be in [" + std::to_string(min) +
                                      ", 2^30]");
        return false;
      }
    return true;
  };
  if (!checkList("kernel_shape", *kernel, spatial, 1) ||
      !checkList("strides", strides, spatial, 1) ||
      !checkList("dilations", dilations, spatial, 1) ||
      !checkList("pads", pads, 2 * spatial, 0))
    return std::nullopt;
  if (ceil != 0 && ceil != 1) {
    (void)ctx.unsupportedAttr("ceil_mode", std::to_string(ceil));
    return std::nullopt;
  }
  Window w;
  int off = 2 - spatial; // 1-D: height 1
  for (int d = 0; d < 2; ++d) {
    int s = d - off;
    bool real = s >= 0;
    w.in[d] = real ? in[s] : 1;
    w.kernel[d] = real ? (*kernel)[s] : 1;
    w.stride[d] = real ? strides[s] : 1;
    w.dilation[d] = real ? dilations[s] : 1;
    w.padBegin[d] = real ? pads[s] : 0;
    w.padEnd[d] = real ? pads[s + spatial] : 0;
  }
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "NOTSET" && autoPad != "VALID") {
    (void)ctx.unsupportedAttr("auto_pad", "\"" + autoPad + "\"");
    return std::nullopt;
  }
  for (int d = 0; d < 2; ++d) {
    int64_t ext = w.extent(d);
    if (same) {
      int64_t out = (w.in[d] + w.stride[d] - 1) / w.stride[d];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.stride[d] + ext - w.in[d]);
      w.padBegin[d] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.padEnd[d] = total - w.padBegin[d];
      w.out[d] = out;
      continue;
    }
    if (autoPad == "VALID")
      w.padBegin[d] = w.padEnd[d] = 0;
    int64_t span = w.in[d] + w.padBegin[d] + w.padEnd[d];
    if (span < ext) {
      ctx.error() << "the window (" << ext
                  << " with dilation) is larger than the padded input ("
                  << span << ")";
      return std::nullopt;
    }
    int64_t num = span - ext;
    if (ceil) {
      int64_t out = (num + w.stride[d] - 1) / w.stride[d] + 1;
      // The last window must start inside the input or its begin padding.
      if ((out - 1) * w.stride[d] >= w.in[d] + w.padBegin[d])
        --out;
      w.out[d] = out;
      w.ceilPad[d] =
          std::max<int64_t>(0, (out - 1) * w.stride[d] + ext - span);
    } else {
      w.out[d] = num / w.stride[d] + 1;
    }
  }
  return w;
}

Value nhwc(Emitter &em, Value x) { return em.transpose(x, {0, 2, 3, 1}); }
Value nchw(Emitter &em, Value x) { return em.transpose(x, {0, 3, 1, 2}); }

/// X (NCHW or NCL) as 4-D NCHW.
Value as4d(Emitter &em, Value x) {
  ArrayRef<int64_t> s = Emitter::shapeOf(x);
  if (s.size() == 4)
    return x;
  return em.reshape(x, {s[0], s[1], 1, s[2]});
}

/// The NCHW result back to the input's rank.
Value fromNd(Emitter &em, Value y, int spatial) {
  if (spatial == 2)
    return y;
  ArrayRef<int64_t> s = Emitter::shapeOf(y);
  return em.reshape(y, {s[0], s[1], s[3]});
}

/// Pads an NHWC tensor's spatial dimensions.
Value padSpatial(Emitter &em, Value x, const Window &w, Value padValue,
                 bool withCeil) {
  SmallVector<int64_t> low{0, w.padBegin[0], w.padBegin[1], 0};
  SmallVector<int64_t> high{0, w.padEnd[0] + (withCeil ? w.ceilPad[0] : 0),
                            w.padEnd[1] + (withCeil ? w.ceilPad[1] : 0), 0};
  return em.pad(x, low, high, padValue);
}

int spatialRank(NodeContext &ctx, const TensorValue &x) {
  int s = int(x.rank()) - 2;
  if (s != 1 && s != 2) {
    ctx.error() << "input of shape " << shapeString(x.shape)
                << " is not supported (1-D and 2-D: N x C x [H x] W)";
    return 0;
  }
  return s;
}

LogicalResult importConv(NodeContext &ctx) {
  TensorValue *xv = ctx.input(0), *wv = ctx.input(1);
  if (!xv || !wv)
    return failure();
  if (!isFloat(xv->dtype) || xv->dtype != wv->dtype) {
    ctx.error() << "element types " << dtypeName(xv->dtype) << " and "
                << dtypeName(wv->dtype) << " are not supported";
    return failure();
  }
  int spatial = spatialRank(ctx, *xv);
  if (!spatial)
    return failure();
  if (wv->rank() != xv->rank()) {
    ctx.error() << "filter of shape " << shapeString(wv->shape)
                << " does not match the input " << shapeString(xv->shape);
    return failure();
  }
  int64_t group = ctx.attrInt("group", 1);
  ArrayRef<int64_t> wsh = wv->shape;
  auto win = readWindow(ctx, spatial, ArrayRef<int64_t>(xv->shape).drop_front(2),
                        wsh.drop_front(2), /*allowCeil=*/false,
                        /*allowDilations=*/true);
  if (!win)
    return failure();
  int64_t n = xv->shape[0], c = xv->shape[1], m = wsh[0], cg = wsh[1];
  if (group < 1 || c % group != 0 || m % group != 0 || cg != c / group) {
    if (group < 1 || c % group != 0)
      return ctx.unsupportedAttr("group", std::to_string(group),
                                 "it must divide the " + std::to_string(c) +
                                     " input channels");
    ctx.error() << "filter of shape " << shapeString(wsh)
                << " does not fit " << c << " input channels in " << group
                << " groups";
    return failure();
  }
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  Value x = nhwc(em, as4d(em, ctx.materialize(*xv)));
  Value w = ctx.materialize(*wv);
  if (spatial == 1)
    w = em.reshape(w, {m, cg, 1, wsh[2]});
  int64_t kh = win->kernel[0], kw = win->kernel[1];
  x = padSpatial(em, x, *win, em.scalar(et, 0.0), false);
  auto strides = em.b.getI64TensorAttr({win->stride[0], win->stride[1]});
  auto dil = em.b.getI64TensorAttr({win->dilation[0], win->dilation[1]});
  int64_t oh = win->out[0], ow = win->out[1];
  Value y;
  if (group == 1) {
    Value f = em.transpose(w, {2, 3, 1, 0}); // OIHW -> HWCF
    Value init = em.filled({n, oh, ow, m}, et, 0.0);
    y = linalg::Conv2DNhwcHwcfOp::create(em.b, em.loc,
                                         TypeRange{init.getType()},
                                         ValueRange{x, f}, ValueRange{init},
                                         strides, dil)
            .getResult(0);
  } else if (cg == 1) {
    // Depthwise: group == C, output channel o = c * mult + j.
    int64_t mult = m / c;
    if (mult == 1) {
      Value f = em.transpose(em.reshape(w, {c, kh, kw}), {1, 2, 0});
      Value init = em.filled({n, oh, ow, c}, et, 0.0);
      y = linalg::DepthwiseConv2DNhwcHwcOp::create(
              em.b, em.loc, TypeRange{init.getType()}, ValueRange{x, f},
              ValueRange{init}, strides, dil)
              .getResult(0);
    } else {
      Value f = em.transpose(em.reshape(w, {c, mult, kh, kw}), {2, 3, 0, 1});
      Value init = em.filled({n, oh, ow, c, mult}, et, 0.0);
      y = linalg::DepthwiseConv2DNhwcHwcmOp::create(
              em.b, em.loc, TypeRange{init.getType()}, ValueRange{x, f},
              ValueRange{init}, strides, dil)
              .getResult(0);
      y = em.reshape(y, {n, oh, ow, m});
    }
  } else {
    int64_t fg = m / group;
    ArrayRef<int64_t> xs = Emitter::shapeOf(x);
    Value xg = em.reshape(x, {xs[0], xs[1], xs[2], group, cg});
    Value f = em.transpose(em.reshape(w, {group, fg, cg, kh, kw}),
                           {0, 1, 3, 4, 2}); // G F H W C
    Value init = em.filled({n, oh, ow, group, fg}, et, 0.0);
    y = linalg::Conv2DNhwgcGfhwcOp::create(em.b, em.loc,
                                           TypeRange{init.getType()},
                                           ValueRange{xg, f}, ValueRange{init},
                                           strides, dil)
            .getResult(0);
    y = em.reshape(y, {n, oh, ow, m});
  }
  if (ctx.hasInput(2)) {
    TensorValue *bv = ctx.input(2);
    if (!bv)
      return failure();
    if (bv->dtype != xv->dtype || bv->rank() != 1 || bv->shape[0] != m) {
      ctx.error() << "bias of shape " << shapeString(bv->shape)
                  << " does not match " << m << " output channels";
      return failure();
    }
    y = em.elementwise(ValueRange{y, ctx.materialize(*bv)}, {n, oh, ow, m}, et,
                       [](OpBuilder &b, Location l, ValueRange s) -> Value {
                         return arith::AddFOp::create(b, l, s[0], s[1]);
                       });
  }
  ctx.setOutput(0, fromNd(em, nchw(em, y), spatial), xv->dtype);
  return success();
}

/// The lowest value of an element type (max pooling's padding and init).
Value lowest(Emitter &em, Type et, DType t) {
  if (isa<FloatType>(et))
    return em.scalar(et, -std::numeric_limits<double>::infinity());
  unsigned w = et.getIntOrFloatBitWidth();
  APInt v = isUnsigned(t) ? APInt::getZero(w) : APInt::getSignedMinValue(w);
  return arith::ConstantOp::create(em.b, em.loc, IntegerAttr::get(et, v));
}

LogicalResult importMaxPool(NodeContext &ctx) {
  TensorValue *xv = ctx.input(0);
  if (!xv)
    return failure();
  if (failed(ctx.requireNoOutput(1, "the indices of the maxima")))
    return failure();
  if (xv->dtype == DType::Bool) {
    ctx.error() << "bool input is not supported";
    return failure();
  }
  int spatial = spatialRank(ctx, *xv);
  if (!spatial)
    return failure();
  ctx.ignoreAttr("storage_order"); // only affects the Indices output
  auto win = readWindow(ctx, spatial, ArrayRef<int64_t>(xv->shape).drop_front(2),
                        std::nullopt, /*allowCeil=*/ctx.opset() >= 10,
                        /*allowDilations=*/ctx.opset() >= 10);
  if (!win)
    return failure();
  Emitter em = ctx.emitter();
  DType t = xv->dtype;
  Type et = toMlirType(t, ctx.context());
  Value x = nhwc(em, as4d(em, ctx.materialize(*xv)));
  Value low = lowest(em, et, t);
  x = padSpatial(em, x, *win, low, true);
  int64_t n = xv->shape[0], c = xv->shape[1];
  Value init = em.fill({n, win->out[0], win->out[1], c}, low);
  Value window = em.empty({win->kernel[0], win->kernel[1]}, et);
  auto strides = em.b.getI64TensorAttr({win->stride[0], win->stride[1]});
  auto dil = em.b.getI64TensorAttr({win->dilation[0], win->dilation[1]});
  Value y;
  if (isUnsigned(t))
    y = linalg::PoolingNhwcMaxUnsignedOp::create(
            em.b, em.loc, TypeRange{init.getType()}, ValueRange{x, window},
            ValueRange{init}, strides, dil)
            .getResult(0);
  else
    y = linalg::PoolingNhwcMaxOp::create(em.b, em.loc,
                                         TypeRange{init.getType()},
                                         ValueRange{x, window},
                                         ValueRange{init}, strides, dil)
            .getResult(0);
  ctx.setOutput(0, fromNd(em, nchw(em, y), spatial), t);
  return success();
}

/// Number of the window positions of output `o` along dimension d that
/// AveragePool counts.
int64_t windowCount(const Window &w, int d, int64_t o, bool includePad) {
  int64_t lo = includePad ? -w.padBegin[d] : 0;
  int64_t hi = includePad ? w.in[d] + w.padEnd[d] : w.in[d];
  int64_t count = 0;
  for (int64_t k = 0; k < w.kernel[d]; ++k) {
    int64_t p = o * w.stride[d] + k * w.dilation[d] - w.padBegin[d];
    count += p >= lo && p < hi;
  }
  return count;
}

LogicalResult importAveragePool(NodeContext &ctx) {
  TensorValue *xv = ctx.input(0);
  if (!xv)
    return failure();
  if (!isFloat(xv->dtype)) {
    ctx.error() << "input of element type " << dtypeName(xv->dtype)
                << " is not supported";
    return failure();
  }
  int spatial = spatialRank(ctx, *xv);
  if (!spatial)
    return failure();
  int64_t includePad = ctx.attrInt("count_include_pad", 0);
  auto win = readWindow(ctx, spatial, ArrayRef<int64_t>(xv->shape).drop_front(2),
                        std::nullopt, /*allowCeil=*/ctx.opset() >= 10,
                        /*allowDilations=*/ctx.opset() >= 19);
  if (!win)
    return failure();
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  Value x = nhwc(em, as4d(em, ctx.materialize(*xv)));
  x = padSpatial(em, x, *win, em.scalar(et, 0.0), true);
  int64_t n = xv->shape[0], c = xv->shape[1], oh = win->out[0],
          ow = win->out[1];
  Value init = em.filled({n, oh, ow, c}, et, 0.0);
  Value window = em.empty({win->kernel[0], win->kernel[1]}, et);
  Value sum =
      linalg::PoolingNhwcSumOp::create(
          em.b, em.loc, TypeRange{init.getType()}, ValueRange{x, window},
          ValueRange{init},
          em.b.getI64TensorAttr({win->stride[0], win->stride[1]}),
          em.b.getI64TensorAttr({win->dilation[0], win->dilation[1]}))
          .getResult(0);
  // The divisor of each output position.
  std::vector<double> counts;
  bool uniform = true;
  for (int64_t i = 0; i < oh; ++i)
    for (int64_t j = 0; j < ow; ++j) {
      counts.push_back(double(windowCount(*win, 0, i, includePad) *
                              windowCount(*win, 1, j, includePad)));
      uniform &= counts.back() == counts.front();
    }
  Value divisor;
  if (uniform)
    divisor = em.constant(HostTensor::ofFloats(xv->dtype, {}, {counts.front()}));
  else
    divisor = em.reshape(
        em.constant(HostTensor::ofFloats(xv->dtype, {oh, ow}, counts)),
        {oh, ow, 1});
  Value y = em.elementwise(ValueRange{sum, divisor}, {n, oh, ow, c}, et,
                           [](OpBuilder &b, Location l, ValueRange s) -> Value {
                             return arith::DivFOp::create(b, l, s[0], s[1]);
                           });
  ctx.setOutput(0, fromNd(em, nchw(em, y), spatial), xv->dtype);
  return success();
}

template <bool Max> LogicalResult importGlobalPool(NodeContext &ctx) {
  TensorValue *xv = ctx.input(0);
  if (!xv)
    return failure();
  if (!isFloat(xv->dtype) || xv->rank() < 3) {
    ctx.error() << "input of type " << dtypeName(xv->dtype) << " and shape "
                << shapeString(xv->shape) << " is not supported";
    return failure();
  }
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = 2; d < xv->rank(); ++d) {
    axes.push_back(d);
    count *= xv->shape[d];
  }
  Value x = ctx.materialize(*xv);
  Value r;
  if (Max) {
    r = em.reduce(x, axes, true, em.scalar(et, -INFINITY),
                  [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                    return arith::MaximumFOp::create(b, l, acc, v);
                  });
  } else {
    r = em.reduce(x, axes, true, em.scalar(et, 0.0),
                  [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                    return arith::AddFOp::create(b, l, acc, v);
                  });
    r = em.map(r, et, [&](OpBuilder &b, Location l, ValueRange s) -> Value {
      Value c = arith::ConstantOp::create(b, l, FloatAttr::get(et, double(count)));
      return arith::DivFOp::create(b, l, s[0], c);
    });
  }
  ctx.setOutput(0, r, xv->dtype);
  return success();
}

} // namespace

void q4onnx::registerConvOps(OpRegistry &r) {
  r.add("Conv", importConv, 1);
  r.add("MaxPool", importMaxPool, 1);
  r.add("AveragePool", importAveragePool, 1);
  r.add("GlobalAveragePool", importGlobalPool<false>, 1);
  r.add("GlobalMaxPool", importGlobalPool<true>, 1);
}
