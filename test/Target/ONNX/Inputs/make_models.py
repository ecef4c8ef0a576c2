#!/usr/bin/python3
"""Writes the tiny ONNX models of the importer's lit tests (test/Target/ONNX).

  /usr/bin/python3 make_models.py OUT_DIR NAME...   writes OUT_DIR/NAME.onnx
  /usr/bin/python3 make_models.py --list            prints the names

Runs with Debian's interpreter and python3-onnx (onnx.helper); the models are
made at test time, so the repository holds this script instead of binaries.
Weights are small and deterministic (numpy with a fixed seed). Models whose
name starts with `bad_` are deliberately wrong (negative tests).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64

MODELS = {}


def model(fn):
    MODELS[fn.__name__] = fn
    return fn


def rng():
    return np.random.default_rng(17)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def make(nodes, inputs, outputs, initializers=(), opset=13, name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quant4-tests")
    m.ir_version = 8
    return m


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


# --- Elementwise ---------------------------------------------------------


@model
def elementwise():
    # Broadcasting arithmetic, activations, comparison, Where, Cast.
    nodes = [
        helper.make_node("Add", ["x", "b"], ["s"], name="add"),
        helper.make_node("Mul", ["s", "y"], ["m"], name="mul"),
        helper.make_node("LeakyRelu", ["m"], ["lr"], alpha=0.2, name="leaky"),
        helper.make_node("Clip", ["lr", "lo", "hi"], ["c"], name="clip"),
        helper.make_node("Sigmoid", ["c"], ["sg"], name="sigmoid"),
        helper.make_node("Erf", ["sg"], ["e"], name="erf"),
        helper.make_node("Greater", ["x", "y"], ["gt"], name="greater"),
        helper.make_node("Where", ["gt", "e", "x"], ["w"], name="where"),
        helper.make_node("Cast", ["gt"], ["gi"], to=I64, name="cast"),
        helper.make_node("Pow", ["w", "two"], ["p"], name="pow"),
    ]
    return make(nodes,
                [vi("x", F, [2, 3, 4]), vi("y", F, [3, 1])],
                [vi("p", F, [2, 3, 4]), vi("gi", I64, [2, 3, 4])],
                [init("b", np.arange(4, dtype=np.float32)),
                 init("lo", np.float32(-1.0)), init("hi", np.float32(1.0)),
                 init("two", np.float32(2.0))])


# --- Linear ----------------------------------------------------------------


@model
def mlp():
    # PyTorch's Linear export: Gemm with transB = 1; batch is symbolic.
    r = rng()
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"],
                         transB=1, name="fc1"),
        helper.make_node("Relu", ["h"], ["a"], name="relu"),
        helper.make_node("Gemm", ["a", "fc2.weight", "fc2.bias"], ["logits"],
                         transB=1, alpha=1.0, beta=1.0, name="fc2"),
    ]
    return make(nodes, [vi("x", F, ["N", 8])], [vi("logits", F, ["N", 3])],
                [init("fc1.weight", r.standard_normal((16, 8), np.float32)),
                 init("fc1.bias", r.standard_normal(16, np.float32)),
                 init("fc2.weight", r.standard_normal((3, 16), np.float32)),
                 init("fc2.bias", r.standard_normal(3, np.float32))])


@model
def mlp_dropout():
    # A PyTorch-style MLP on 784 pixels exported in training mode with
    # nn.Dropout(0.25): Dropout's ratio and training_mode are Constant nodes,
    # and it has its mask output (unused).
    r = rng()
    nodes = [
        helper.make_node("Constant", [], ["ratio"], name="ratio",
                         value=numpy_helper.from_array(np.float32(0.25))),
        helper.make_node("Constant", [], ["training_mode"], name="training",
                         value=numpy_helper.from_array(np.bool_(True))),
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"],
                         transB=1, name="fc1"),
        helper.make_node("Relu", ["h"], ["a"], name="relu"),
        helper.make_node("Dropout", ["a", "ratio", "training_mode"],
                         ["d", "mask"], name="dropout"),
        helper.make_node("Gemm", ["d", "fc2.weight", "fc2.bias"], ["logits"],
                         transB=1, name="fc2"),
    ]
    return make(nodes, [vi("x", F, ["N", 784])], [vi("logits", F, ["N", 10])],
                [init("fc1.weight", 0.05 * r.standard_normal((32, 784), np.float32)),
                 init("fc1.bias", np.zeros(32, np.float32)),
                 init("fc2.weight", 0.2 * r.standard_normal((10, 32), np.float32)),
                 init("fc2.bias", np.zeros(10, np.float32))])


@model
def matmul_bcast():
    nodes = [
        helper.make_node("MatMul", ["a", "b"], ["ab"], name="batched"),
        helper.make_node("MatMul", ["ab", "w"], ["y"], name="weight"),
    ]
    return make(nodes, [vi("a", F, [2, 1, 3, 4]), vi("b", F, [5, 4, 6])],
                [vi("y", F, [2, 5, 3, 2])],
                [init("w", np.ones((6, 2), np.float32))])


@model
def gemm_attrs():
    nodes = [helper.make_node("Gemm", ["a", "b", "c"], ["y"], alpha=0.5,
                              beta=2.0, transA=1, name="gemm")]
    return make(nodes, [vi("a", F, [4, 3]), vi("b", F, [4, 5]),
                        vi("c", F, [1, 5])], [vi("y", F, [3, 5])])


# --- Conv ------------------------------------------------------------------


@model
def conv():
    r = rng()
    nodes = [
        helper.make_node("Conv", ["x", "w", "bias"], ["c"], strides=[2, 1],
                         pads=[1, 0, 0, 2], dilations=[1, 2], name="conv"),
        helper.make_node("Conv", ["c", "dw"], ["d"], group=4,
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="depthwise"),
        helper.make_node("Conv", ["d", "gw"], ["g"], group=2,
                         auto_pad="SAME_UPPER", name="grouped"),
        helper.make_node("MaxPool", ["g"], ["mp"], kernel_shape=[2, 2],
                         strides=[2, 2], ceil_mode=1, name="maxpool"),
        helper.make_node("AveragePool", ["mp"], ["ap"], kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], count_include_pad=0, name="avgpool"),
        helper.make_node("GlobalAveragePool", ["ap"], ["y"], name="gap"),
    ]
    return make(nodes, [vi("x", F, [1, 3, 9, 8])], [vi("y", F, [1, 8, 1, 1])],
                [init("w", r.standard_normal((4, 3, 3, 3), np.float32)),
                 init("bias", r.standard_normal(4, np.float32)),
                 init("dw", r.standard_normal((4, 1, 3, 3), np.float32)),
                 init("gw", r.standard_normal((8, 2, 1, 1), np.float32))])


@model
def conv1d():
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], strides=[2],
                              pads=[1, 1], name="conv1d")]
    return make(nodes, [vi("x", F, [2, 3, 10])], [vi("y", F, [2, 5, 5])],
                [init("w", np.ones((5, 3, 3), np.float32))])


# --- Shape -----------------------------------------------------------------


@model
def shape_fold():
    # x.view(x.size(0), -1) as PyTorch exports it, with a symbolic batch,
    # then Transpose/Unsqueeze/Slice/Concat/Split/Gather/Expand.
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0, name="gather_n"),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze_n"),
        helper.make_node("Concat", ["n1", "minus1"], ["newshape"], axis=0, name="concat_shape"),
        helper.make_node("Reshape", ["x", "newshape"], ["flat"], name="reshape"),
        helper.make_node("Transpose", ["flat"], ["t"], perm=[1, 0], name="transpose"),
        helper.make_node("Slice", ["t", "starts", "ends", "axes0", "steps"], ["sl"],
                         name="slice"),
        helper.make_node("Split", ["sl", "split"], ["s0", "s1"], axis=0, name="split"),
        helper.make_node("Concat", ["s1", "s0"], ["cat"], axis=0, name="concat"),
        helper.make_node("Gather", ["cat", "idx"], ["gat"], axis=0, name="gather_rows"),
        helper.make_node("Expand", ["gat", "eshape"], ["y"], name="expand"),
    ]
    return make(nodes, [vi("x", F, ["batch", 3, 4])],
                [vi("y", F, [3, 2, 2, 2])],
                [init("zero", np.int64(0)), init("axes0", np.array([0], np.int64)),
                 init("minus1", np.array([-1], np.int64)),
                 init("starts", np.array([-2], np.int64)),
                 init("ends", np.array([-100], np.int64)),
                 init("steps", np.array([-3], np.int64)),
                 init("split", np.array([1, 3], np.int64)),
                 init("idx", np.array([[3, 0], [1, -1]], np.int64)),
                 init("eshape", np.array([3, 1, 1, 1], np.int64))])


@model
def shape_input():
    # The target shape is a graph input: --input-value=shape=...
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")]
    return make(nodes, [vi("x", F, [2, 6]), vi("shape", I64, [3])],
                [vi("y", F, None)])


@model
def constants():
    nodes = [
        helper.make_node("Constant", [], ["c"], value=helper.make_tensor(
            "c", F, [2, 3], np.arange(6, dtype=np.float32).tolist()), name="const"),
        helper.make_node("ConstantOfShape", ["shape"], ["ones"],
                         value=helper.make_tensor("v", F, [1], [1.0]), name="cos"),
        helper.make_node("Range", ["start", "limit", "delta"], ["r"], name="range"),
        helper.make_node("Cast", ["r"], ["rf"], to=F, name="cast"),
        helper.make_node("Add", ["c", "ones"], ["a"], name="add"),
        helper.make_node("Add", ["a", "rf"], ["y"], name="add_range"),
        helper.make_node("Dropout", ["y"], ["z"], name="dropout"),
        helper.make_node("Identity", ["z"], ["out"], name="identity"),
    ]
    return make(nodes, [], [vi("out", F, [2, 3])],
                [init("shape", np.array([2, 3], np.int64)),
                 init("start", np.int64(0)), init("limit", np.int64(3)),
                 init("delta", np.int64(1))])


@model
def pad_flatten():
    nodes = [
        helper.make_node("Pad", ["x", "pads", "v"], ["p"], mode="constant", name="pad"),
        helper.make_node("Flatten", ["p"], ["y"], axis=2, name="flatten"),
    ]
    return make(nodes, [vi("x", F, [1, 2, 3])], [vi("y", F, [2, 3])],
                [init("pads", np.array([0, 0, 1, 0, 0, -1], np.int64)),
                 init("v", np.float32(0.5))])


# --- Normalization -----------------------------------------------------------


@model
def batchnorm():
    r = rng()
    c = 3
    nodes = [helper.make_node("BatchNormalization",
                              ["x", "scale", "bias", "mean", "var"], ["y"],
                              epsilon=1e-3, name="bn")]
    return make(nodes, [vi("x", F, [2, c, 4, 4])], [vi("y", F, [2, c, 4, 4])],
                [init("scale", r.standard_normal(c, np.float32)),
                 init("bias", r.standard_normal(c, np.float32)),
                 init("mean", r.standard_normal(c, np.float32)),
                 init("var", r.random(c, np.float32) + 0.5)])


@model
def batchnorm_training():
    c = 3
    nodes = [helper.make_node("BatchNormalization",
                              ["x", "scale", "bias", "mean", "var"],
                              ["y", "running_mean", "running_var"],
                              training_mode=1, momentum=0.9, name="bn")]
    return make(nodes, [vi("x", F, [2, c, 4, 4])],
                [vi("y", F, [2, c, 4, 4]), vi("running_mean", F, [c]),
                 vi("running_var", F, [c])],
                [init("scale", np.ones(c, np.float32)),
                 init("bias", np.zeros(c, np.float32)),
                 init("mean", np.zeros(c, np.float32)),
                 init("var", np.ones(c, np.float32))], opset=15)


@model
def cnn_train():
    # A small CNN with every new GEMM form of training: a convolution,
    # BatchNormalization in training mode, a depthwise and a grouped
    # convolution, global average pooling and a linear layer.
    r = rng()
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1],
                         name="conv"),
        helper.make_node("BatchNormalization",
                         ["c", "bn.weight", "bn.bias", "bn.running_mean",
                          "bn.running_var"], ["b", "bn_mean", "bn_var"],
                         training_mode=1, momentum=0.9, name="bn"),
        helper.make_node("Relu", ["b"], ["a"], name="relu"),
        helper.make_node("Conv", ["a", "dw"], ["d"], group=4,
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         name="depthwise"),
        helper.make_node("Conv", ["d", "gw"], ["g"], group=2, name="grouped"),
        helper.make_node("GlobalAveragePool", ["g"], ["p"], name="gap"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"],
                         transB=1, name="fc"),
    ]
    return make(nodes, [vi("x", F, [2, 3, 8, 8])], [vi("y", F, [2, 3])],
                [init("w", r.standard_normal((4, 3, 3, 3), np.float32) * 0.3),
                 init("bn.weight", np.ones(4, np.float32)),
                 init("bn.bias", np.zeros(4, np.float32)),
                 init("bn.running_mean", np.zeros(4, np.float32)),
                 init("bn.running_var", np.ones(4, np.float32)),
                 init("dw", r.standard_normal((4, 1, 3, 3), np.float32) * 0.3),
                 init("gw", r.standard_normal((4, 2, 1, 1), np.float32) * 0.5),
                 init("fc.weight", r.standard_normal((3, 4), np.float32) * 0.5),
                 init("fc.bias", np.zeros(3, np.float32))], opset=15)


@model
def gather_matmul():
    # An embedding lookup feeding a GEMM directly: the gathered table is an
    # activation of the GEMM, the other operand its weight.
    r = rng()
    nodes = [helper.make_node("Gather", ["embed.weight", "ids"], ["h"],
                              name="embed"),
             helper.make_node("MatMul", ["h", "head.weight"], ["y"],
                              name="head")]
    return make(nodes, [vi("ids", I64, [2, 8])], [vi("y", F, [2, 8, 32])],
                [init("embed.weight", r.standard_normal((32, 16), np.float32)),
                 init("head.weight", r.standard_normal((16, 32), np.float32))])


@model
def masked_add():
    # A float initializer with -inf entries (a causal attention mask) and a
    # plain weight: the mask is a constant, the weight a parameter.
    mask = np.triu(np.full((3, 3), -np.inf, np.float32), k=1)
    nodes = [helper.make_node("Add", ["x", "mask"], ["m"], name="mask_add"),
             helper.make_node("Mul", ["m", "w"], ["y"], name="scale")]
    return make(nodes, [vi("x", F, [3, 3])], [vi("y", F, [3, 3])],
                [init("mask", mask), init("w", np.full((3, 3), 2, np.float32))])


@model
def layernorm_softmax():
    nodes = [
        helper.make_node("LayerNormalization", ["x", "g", "b"], ["ln"], axis=-1,
                         epsilon=1e-5, name="ln"),
        helper.make_node("Softmax", ["ln"], ["sm"], axis=-1, name="softmax"),
        helper.make_node("LogSoftmax", ["sm"], ["y"], axis=1, name="logsoftmax"),
    ]
    return make(nodes, [vi("x", F, [2, 5, 8])], [vi("y", F, [2, 5, 8])],
                [init("g", np.ones(8, np.float32)),
                 init("b", np.zeros(8, np.float32))], opset=17)


# --- Reduce ------------------------------------------------------------------


@model
def reduce():
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=[1], keepdims=1, name="mean"),
        helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=0, name="sum"),
        helper.make_node("ReduceMax", ["x"], ["mx"], axes=[-1], keepdims=0, name="max"),
        helper.make_node("ArgMax", ["x"], ["am"], axis=2, keepdims=0, name="argmax"),
    ]
    return make(nodes, [vi("x", F, [2, 3, 4])],
                [vi("m", F, [2, 1, 4]), vi("s", F, [3]), vi("mx", F, [2, 3]),
                 vi("am", I64, [2, 3])],
                [init("axes", np.array([0, 2], np.int64))])


# --- Bad input -----------------------------------------------------------------


@model
def bad_unsupported_op():
    nodes = [helper.make_node("NonZero", ["x"], ["y"], name="nz")]
    return make(nodes, [vi("x", F, [4])], [vi("y", I64, None)])


@model
def bad_attribute():
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_MIDDLE",
                              name="conv1")]
    return make(nodes, [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None)],
                [init("w", np.ones((1, 1, 3, 3), np.float32))])


@model
def bad_unknown_attribute():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu1", flavour=3)]
    return make(nodes, [vi("x", F, [4])], [vi("y", F, [4])])


@model
def bad_pad_mode():
    nodes = [helper.make_node("Pad", ["x", "pads"], ["y"], mode="reflect",
                              name="pad1")]
    return make(nodes, [vi("x", F, [4])], [vi("y", F, None)],
                [init("pads", np.array([1, 1], np.int64))])


@model
def bad_symbolic():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return make(nodes, [vi("x", F, ["N", "seq"])], [vi("y", F, None)])


@model
def bad_overflow_input():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return make(nodes, [vi("x", F, [1 << 20, 1 << 20, 1 << 20])],
                [vi("y", F, None)])


@model
def bad_overflow_reshape():
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["y"], name="huge")]
    return make(nodes, [], [vi("y", F, None)],
                [init("shape", np.array([1 << 31, 1 << 31, 1 << 31], np.int64))])


@model
def bad_external_data():
    t = numpy_helper.from_array(np.ones((4,), np.float32), "w")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "weights.bin"
    nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add")]
    return make(nodes, [vi("x", F, [4])], [vi("y", F, [4])], [t])


@model
def bad_undefined_input():
    nodes = [helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")]
    return make(nodes, [vi("x", F, [4])], [vi("y", F, [4])])


@model
def bad_raw_size():
    t = numpy_helper.from_array(np.ones((4,), np.float32), "w")
    t.raw_data = t.raw_data[:10]
    nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add")]
    return make(nodes, [vi("x", F, [4])], [vi("y", F, [4])], [t])


@model
def bad_missing_data():
    # A float initializer of 2^38 elements (1 TiB, just within the 2^40-byte
    # limit) without any values: refused before anything of its claimed size
    # is allocated (found by onnx-fuzzer).
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([2 ** 38])
    nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add")]
    return make(nodes, [vi("x", F, [1])], [vi("y", F, [2 ** 38])], [t])


@model
def bad_shape_mismatch():
    nodes = [helper.make_node("Add", ["x", "y"], ["z"], name="add")]
    return make(nodes, [vi("x", F, [2, 3]), vi("y", F, [4])], [vi("z", F, None)])


@model
def bad_opset():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return make(nodes, [vi("x", F, [4])], [vi("y", F, [4])], opset=19)


@model
def bad_string_input():
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="id")]
    return make(nodes, [vi("x", TensorProto.STRING, [2])],
                [vi("y", TensorProto.STRING, [2])])


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(sorted(MODELS)))
        return 0
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for name in argv[2:]:
        if name not in MODELS:
            print("make_models.py: unknown model '%s'" % name, file=sys.stderr)
            return 2
        m = MODELS[name]()
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
