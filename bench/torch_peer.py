#!/usr/bin/env python3
"""PyTorch peers of `quant4-run train` for bench/peers.sh (issue 19).

Trains the example architectures of quant4 (examples/mlp.mlir: 784-256-256-10;
examples/lenet.mlir: conv 5x5 1->6, max-pool 2, conv 5x5 6->16, max-pool 2,
fc 256->128, fc 128->10; ReLU; resnet18: torchvision's ResNet-18 with a
1-channel 3x3 stem and no max-pool, as the README exports it to ONNX for
quant4) on Fashion-MNIST with what a user would run
instead of quant4, and prints one line `samples_per_s=<float>` with the
training throughput (data already in memory as tensors, batch 64, SGD with
momentum 0.9, lr 0.05, weight decay 5e-4, one thread unless --threads):

  fp32       plain PyTorch FP32 training.
  fakequant  a PyTorch *fake-quantisation emulation* of ultralow4, the way
             users emulate 4-bit training today (QPyTorch / microxcaling
             style): every GEMM/conv operand is quantised and dequantised in
             FP32 around an FP32 GEMM -- weights INT4 with the SAWB clip,
             activations UINT4 clipped at a per-layer PACT alpha (INT4 amax
             for the first layer's input), and the output gradient radix-4
             log-quantised (7 magnitudes, per-tensor amax scale, nearest in
             the linear domain) in backward; first and last layer FP32 as in
             ultralow4 (ResNet-18: every convolution but the stem; the fc
             layer is the last). This is a benchmark peer, not quant4's numerics (no
             FP16 accumulation, no Two-Phase Rounding, no GradScale state).

PyTorch (Debian's python3-torch) is an optional benchmark dependency; it is
never needed to build or test quant4.
"""
import argparse
import gzip
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_idx_images(path, limit):
    with gzip.open(path, "rb") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        n = min(n, limit)
        data = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8)
    return data.reshape(n, 1, rows, cols).astype(np.float32) / 255.0


def load_idx_labels(path, limit):
    with gzip.open(path, "rb") as f:
        _, n = struct.unpack(">II", f.read(8))
        n = min(n, limit)
        return np.frombuffer(f.read(n), dtype=np.uint8).astype(np.int64)


# -- ultralow4 fake quantisation (forward and backward) ---------------------

SAWB_C1, SAWB_C2 = 12.68, -12.80  # 4-bit SAWB coefficients (NUMERICS-FACTS)


def fq_int4_sawb(w):
    clip = SAWB_C1 * torch.sqrt(torch.mean(w * w)) + SAWB_C2 * torch.mean(w.abs())
    clip = torch.clamp(clip, min=1e-8)
    s = clip / 7.0
    return torch.clamp(torch.round(w / s), -7, 7) * s


def fq_uint4(x, alpha):
    s = alpha / 15.0
    return torch.clamp(torch.round(x / s), 0, 15) * s


def fq_int4_amax(x):
    s = torch.clamp(x.abs().max(), min=1e-8) / 7.0
    return torch.clamp(torch.round(x / s), -7, 7) * s


def fq_log4(g):
    """Radix-4 log quantisation: levels 4^-3..4^3 times a per-tensor scale
    mapping amax to 4^3, nearest in the linear domain, zero below half the
    smallest level."""
    amax = g.abs().max()
    if not torch.isfinite(amax) or amax == 0:
        return g
    s = amax / 64.0
    a = g.abs() / s
    e = torch.floor(torch.log(torch.clamp(a, min=1e-30)) / np.log(4.0))
    e = torch.clamp(e, -3, 3)
    lo = torch.pow(4.0, e)
    hi = lo * 4.0
    q = torch.where(a - lo > hi - a, hi, lo)
    q = torch.where(a < 4.0 ** -3 / 2, torch.zeros_like(q), torch.clamp(q, max=64.0))
    return torch.sign(g) * q * s


class GradLog4(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return fq_log4(g)


class FQ(nn.Module):
    """Quantises a layer's input activation and weight (STE) and its output
    gradient (log4) around an FP32 op."""

    def __init__(self, op, first):
        super().__init__()
        self.op, self.first = op, first
        self.alpha = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        if self.first:
            xq = x + (fq_int4_amax(x) - x).detach()
        else:
            xc = torch.minimum(torch.relu(x), self.alpha)
            xq = xc + (fq_uint4(xc, self.alpha) - xc).detach()
        w = self.op.weight
        wq = w + (fq_int4_sawb(w) - w).detach()
        if isinstance(self.op, nn.Conv2d):
            y = F.conv2d(xq, wq, self.op.bias, self.op.stride, self.op.padding,
                         self.op.dilation, self.op.groups)
        else:
            y = F.linear(xq, wq, self.op.bias)
        return GradLog4.apply(y)


def resnet18(fakequant):
    import torchvision
    m = torchvision.models.resnet18(num_classes=10)
    m.conv1 = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
    m.maxpool = nn.Identity()
    if fakequant:  # every convolution inside the stages (inputs post-ReLU)
        for parent in list(m.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Conv2d) and child is not m.conv1:
                    setattr(parent, name, FQ(child, False))
    return m


def build(model, fakequant):
    if model == "resnet18":
        return resnet18(fakequant)
    if model == "mlp":
        layers = [nn.Linear(784, 256), nn.Linear(256, 256), nn.Linear(256, 10)]
    else:
        layers = [nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Linear(256, 128),
                  nn.Linear(128, 10)]
    n = len(layers)
    wrapped = [FQ(l, i == 0) if fakequant and 0 < i < n - 1 else l
               for i, l in enumerate(layers)]
    return nn.ModuleList(wrapped)


def forward(model, layers, x):
    if model == "resnet18":
        return layers(x)
    if model == "mlp":
        h = x.reshape(x.shape[0], -1)
        h = F.relu(layers[0](h))
        h = F.relu(layers[1](h))
        return layers[2](h)
    h = F.max_pool2d(F.relu(layers[0](x)), 2)
    h = F.max_pool2d(F.relu(layers[1](h)), 2)
    h = h.reshape(h.shape[0], -1)
    h = F.relu(layers[2](h))
    return layers[3](h)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["mlp", "lenet", "resnet18"],
                   required=True)
    p.add_argument("--mode", choices=["fp32", "fakequant"], required=True)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--train-limit", type=int, default=60000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.from_numpy(load_idx_images(a.data + "/train-images-idx3-ubyte.gz", a.train_limit))
    y = torch.from_numpy(load_idx_labels(a.data + "/train-labels-idx1-ubyte.gz", a.train_limit))
    layers = build(a.model, a.mode == "fakequant")
    opt = torch.optim.SGD(layers.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    steps = x.shape[0] // a.batch
    perm = torch.randperm(x.shape[0])
    t0 = time.perf_counter()
    for s in range(steps):
        idx = perm[s * a.batch:(s + 1) * a.batch]
        loss = F.cross_entropy(forward(a.model, layers, x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    if not np.isfinite(loss.item()):
        print("error: the loss is not finite", file=sys.stderr)
        return 1
    print("samples_per_s=%.1f loss=%.4f" % (steps * a.batch / dt, loss.item()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
