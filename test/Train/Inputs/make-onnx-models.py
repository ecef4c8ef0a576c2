#!/usr/bin/python3
"""Writes small MNIST-shaped ONNX models for the tests of
`quant4-run train --model MODEL.onnx` (test/Train/onnx-*.test).

  /usr/bin/python3 make-onnx-models.py OUT_DIR NAME...   writes OUT_DIR/NAME.onnx

Built with onnx.helper and numpy only (no PyTorch needed), in the form
torch.onnx.export gives these layers: Flatten, Gemm with transB = 1 (weights
(out, in)), Conv with OIHW filters, Relu, MaxPool. Weights are PyTorch's
default initialisation (uniform in +-1/sqrt(fan_in)) from a fixed numpy seed.

  mlp        N x 1 x 28 x 28 (symbolic batch "N") -> Flatten -> 784-32-10
  mlp_static 32 x 784 (static batch 32) -> 784-16-10
  mlp_hw     N x 28 x 28 -> Flatten -> 784-16-10
  mlp_nhwc   N x 28 x 28 x 1 -> Flatten -> 784-16-10
  cnn        N x 1 x 28 x 28 -> Conv 5x5 1->4, Relu, MaxPool 2x2/2 ->
             Flatten (4*12*12) -> 576-10
  rgb32      N x 3 x 32 x 32 -> Flatten -> 3072-10 (not MNIST-shaped)
  bn_cnn     N x 1 x 28 x 28 -> Conv 5x5/2 1->4 -> BatchNormalization
             (training_mode = 1, as exported from a model in train mode:
             outputs the running statistics) -> Relu -> Flatten (4*12*12)
             -> 576-10 (opset 15)
  byte_lm    token ids N x 16 (int64) -> Gather (embedding 256 x 16) ->
             Relu -> MatMul 16x256 -> Add bias -> logits N x 16 x 256
  byte_lm_v128  the same with 128 classes (fewer than the byte values)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def uniform(rng, shape, fan_in):
    b = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-b, b, size=shape).astype(np.float32)


def linear(rng, name, x, y, n_in, n_out, inits, nodes):
    inits.append(numpy_helper.from_array(
        uniform(rng, (n_out, n_in), n_in), name + ".weight"))
    inits.append(numpy_helper.from_array(
        uniform(rng, (n_out,), n_in), name + ".bias"))
    nodes.append(helper.make_node(
        "Gemm", [x, name + ".weight", name + ".bias"], [y], alpha=1.0,
        beta=1.0, transB=1, name=name))


def model(name, in_shape, body, opset=13, in_type=F, out_shape=None):
    rng = np.random.default_rng(7)
    nodes, inits = [], []
    body(rng, nodes, inits)
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", in_type,
                                                    in_shape)],
        [helper.make_tensor_value_info("logits", F,
                                       out_shape or [in_shape[0], 10])],
        initializer=inits)
    m = helper.make_model(graph,
                          opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quant4-tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def mlp_body(n_in, hidden):
    def body(rng, nodes, inits):
        nodes.append(helper.make_node("Flatten", ["input"], ["flat"], axis=1,
                                      name="flatten"))
        linear(rng, "fc1", "flat", "h", n_in, hidden, inits, nodes)
        nodes.append(helper.make_node("Relu", ["h"], ["hr"], name="relu"))
        linear(rng, "fc2", "hr", "logits", hidden, 10, inits, nodes)
    return body


def cnn_body(rng, nodes, inits):
    inits.append(numpy_helper.from_array(
        uniform(rng, (4, 1, 5, 5), 25), "conv1.weight"))
    inits.append(numpy_helper.from_array(
        uniform(rng, (4,), 25), "conv1.bias"))
    nodes += [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"],
                         ["c"], kernel_shape=[5, 5], name="conv1"),
        helper.make_node("Relu", ["c"], ["cr"], name="relu"),
        helper.make_node("MaxPool", ["cr"], ["p"], kernel_shape=[2, 2],
                         strides=[2, 2], name="pool"),
        helper.make_node("Flatten", ["p"], ["flat"], axis=1, name="flatten"),
    ]
    linear(rng, "fc", "flat", "logits", 4 * 12 * 12, 10, inits, nodes)


def bn_cnn_body(rng, nodes, inits):
    inits += [
        numpy_helper.from_array(uniform(rng, (4, 1, 5, 5), 25),
                                "conv1.weight"),
        numpy_helper.from_array(uniform(rng, (4,), 25), "conv1.bias"),
        # PyTorch's BatchNorm2d initialisation.
        numpy_helper.from_array(np.ones(4, np.float32), "bn1.weight"),
        numpy_helper.from_array(np.zeros(4, np.float32), "bn1.bias"),
        numpy_helper.from_array(np.zeros(4, np.float32), "bn1.running_mean"),
        numpy_helper.from_array(np.ones(4, np.float32), "bn1.running_var"),
    ]
    nodes += [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"],
                         ["c"], kernel_shape=[5, 5], strides=[2, 2],
                         name="conv1"),
        helper.make_node("BatchNormalization",
                         ["c", "bn1.weight", "bn1.bias", "bn1.running_mean",
                          "bn1.running_var"],
                         ["b", "bn1.running_mean_out", "bn1.running_var_out"],
                         epsilon=1e-5, momentum=0.9, training_mode=1,
                         name="bn1"),
        helper.make_node("Relu", ["b"], ["br"], name="relu"),
        helper.make_node("Flatten", ["br"], ["flat"], axis=1, name="flatten"),
    ]
    linear(rng, "fc", "flat", "logits", 4 * 12 * 12, 10, inits, nodes)


def byte_lm_body(vocab):
    def body(rng, nodes, inits):
        inits += [
            numpy_helper.from_array(
                rng.normal(0, 1, (256, 16)).astype(np.float32), "emb.weight"),
            numpy_helper.from_array(uniform(rng, (16, vocab), 16),
                                    "head.weight"),
            numpy_helper.from_array(uniform(rng, (vocab,), 16), "head.bias"),
        ]
        nodes += [
            helper.make_node("Gather", ["emb.weight", "input"], ["e"], axis=0,
                             name="emb"),
            # (A GEMM straight on the gathered embedding is refused by the
            # recipes' role analysis: its wgrad reads a gather of a
            # parameter.)
            helper.make_node("Relu", ["e"], ["er"], name="relu"),
            helper.make_node("MatMul", ["er", "head.weight"], ["h"],
                             name="head"),
            helper.make_node("Add", ["h", "head.bias"], ["logits"],
                             name="head_bias"),
        ]
    return body


MODELS = {
    "mlp": lambda: model("mlp", ["N", 1, 28, 28], mlp_body(784, 32)),
    "mlp_static": lambda: model("mlp_static", [32, 784], mlp_body(784, 16)),
    "mlp_hw": lambda: model("mlp_hw", ["N", 28, 28], mlp_body(784, 16)),
    "mlp_nhwc": lambda: model("mlp_nhwc", ["N", 28, 28, 1], mlp_body(784, 16)),
    "cnn": lambda: model("cnn", ["N", 1, 28, 28], cnn_body),
    "rgb32": lambda: model("rgb32", ["N", 3, 32, 32], mlp_body(3072, 16)),
    "bn_cnn": lambda: model("bn_cnn", ["N", 1, 28, 28], bn_cnn_body, opset=15),
    "byte_lm": lambda: model("byte_lm", ["N", 16], byte_lm_body(256),
                             in_type=TensorProto.INT64,
                             out_shape=["N", 16, 256]),
    "byte_lm_v128": lambda: model("byte_lm_v128", ["N", 16],
                                  byte_lm_body(128),
                                  in_type=TensorProto.INT64,
                                  out_shape=["N", 16, 128]),
}

if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:]:
        onnx.save(MODELS[name](), os.path.join(out, name + ".onnx"))
