#!/usr/bin/python3
"""Exports the model families of the 4-bit training papers from PyTorch to ONNX,
with a fixed input and PyTorch's own outputs, and compares quant4's forward
with PyTorch's (docs/ONNX.md, "Real models").

Runs with Debian's interpreter and packages (python3-torch, python3-torchvision,
python3-onnx); PyTorch is needed only here, never to build, run or test quant4.

  /usr/bin/python3 scripts/export-torch-models.py export OUT_DIR [--size tiny|full] [--opset 13..17] [MODEL...]
  /usr/bin/python3 scripts/export-torch-models.py compare OUT_DIR --quant4-run build/bin/quant4-run [MODEL...]
  /usr/bin/python3 scripts/export-torch-models.py study OUT_DIR [--seeds 1 2 3]

`export` writes, per model and mode (eval, train):
  NAME.onnx                 the exported graph (opset 13..17, weights inside)
  NAME.input0.npy, ...      the fixed inputs (seeded)
  NAME.expected0.npy, ...   PyTorch's outputs for them
`compare` runs `quant4-run NAME.onnx --input ...` on each and prints the
maximum relative error of every output against PyTorch's (max |a-b| / max |b|),
failing (exit 1) when one exceeds the tolerance (1e-4).

`study` writes the three models of docs/Results.md's study of the paper's
model families, in training mode with a symbolic batch dimension (N) and
PyTorch's default initialisation drawn with each seed S of --seeds, as
NAME.sS.onnx:
  resnet18_fmnist.onnx      torchvision resnet18(num_classes=10), its 7x7
                            stride-2 stem convolution taking 1 channel
                            (input N x 1 x 28 x 28; everything else as is)
  mobilenet_v2_fmnist.onnx  torchvision mobilenet_v2(num_classes=10), its
                            3x3 stride-2 stem taking 1 channel, classifier
                            dropout 0 (input N x 1 x 28 x 28)
  bytelm_study.onnx         the causal byte LM below at d 128, 4 heads,
                            feed-forward 512, 2 layers, sequence 64
                            (input N x 64 int64, logits N x 64 x 256)

Sizes: `tiny` (the default) keeps every model at a few hundred KB so that the
repository can ship them for its tests (test/Target/ONNX/Models); `full` is
torchvision's resnet18 and mobilenet_v2 as they are (random weights: nothing
is downloaded) and a wider Transformer.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

SEED = 1234
OPSET = 17
TOLERANCE = 1e-4


def _torch():
    import torch
    import torch.nn as nn
    return torch, nn


# ----------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------

def make_resnet(size):
    torch, nn = _torch()
    import torchvision
    from torchvision.models.resnet import BasicBlock
    if size == "full":
        return torchvision.models.resnet18(num_classes=1000), (2, 3, 64, 64)

    class TinyResNet(nn.Module):
        """resnet18's structure (stem, BasicBlock stages with a strided 1x1
        downsample, global average pool, fc) at 8..32 channels."""

        def __init__(self, classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)

            def down(cin, cout):
                return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False),
                                     nn.BatchNorm2d(cout))
            self.layer1 = BasicBlock(8, 8)
            self.layer2 = BasicBlock(8, 16, stride=2, downsample=down(8, 16))
            self.layer3 = BasicBlock(16, 32, stride=2, downsample=down(16, 32))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(32, classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return TinyResNet(), (2, 3, 32, 32)


def make_mobilenet(size):
    import torchvision
    if size == "full":
        return torchvision.models.mobilenet_v2(num_classes=1000), (2, 3, 64, 64)
    # torchvision's MobileNetV2 with a short inverted-residual table: the same
    # operators (depthwise 3x3, ReLU6 as Clip, residual adds, 1x1 expansions).
    setting = [[1, 8, 1, 1], [6, 16, 2, 2], [6, 24, 1, 2]]
    model = torchvision.models.mobilenet_v2(
        num_classes=10, width_mult=0.25, inverted_residual_setting=setting)
    return model, (2, 3, 32, 32)


def make_transformer_classifier(size):
    torch, nn = _torch()
    d, heads, ff, seq, vocab = (128, 4, 256, 32, 256) if size == "full" else (32, 2, 64, 16, 64)

    class Classifier(nn.Module):
        """Token embedding + learned positions, one TransformerEncoderLayer
        (GELU, batch first), mean over the sequence, linear head."""

        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d)
            self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
            self.encoder = nn.TransformerEncoderLayer(
                d, heads, ff, dropout=0.0, activation="gelu", batch_first=True)
            self.head = nn.Linear(d, 4)

        def forward(self, tokens):
            h = self.encoder(self.embed(tokens) + self.pos)
            return self.head(h.mean(dim=1))

    return Classifier(), (2, seq), vocab


def make_byte_lm(size):
    torch, nn = _torch()
    d, heads, ff, seq, layers = (128, 4, 512, 64, 2) if size in ("full", "study") else (32, 2, 64, 16, 1)

    class ByteLM(nn.Module):
        """Causal byte-level language model: byte embedding + positions,
        TransformerEncoderLayers under a causal mask, logits over 256 bytes
        at every position."""

        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(256, d)
            self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
            self.layers = nn.ModuleList(
                nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0,
                                           activation="gelu", batch_first=True)
                for _ in range(layers))
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, 256)
            mask = torch.triu(torch.full((seq, seq), float("-inf")), diagonal=1)
            self.register_buffer("mask", mask)

        def forward(self, tokens):
            h = self.embed(tokens) + self.pos
            for layer in self.layers:
                h = layer(h, src_mask=self.mask)
            return self.head(self.norm(h))

    return ByteLM(), (2, seq), 256


MODELS = {
    "resnet": make_resnet,
    "mobilenet": make_mobilenet,
    "transformer": make_transformer_classifier,
    "bytelm": make_byte_lm,
}


# ----------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------

def export_one(name, size, mode, out_dir, opset):
    torch, nn = _torch()
    torch.manual_seed(SEED)
    made = MODELS[name](size)
    model, shape = made[0], made[1]
    # Dropout is random in training mode; with p = 0 the exported graph keeps
    # its Dropout nodes (training_mode = 1) and the outputs stay comparable.
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    rng = np.random.default_rng(SEED)
    if len(made) == 3:  # token ids
        x = torch.from_numpy(rng.integers(0, made[2], size=shape, dtype=np.int64))
    else:
        x = torch.from_numpy(rng.standard_normal(shape, dtype=np.float32))

    if mode == "train":
        model.train()
        training = torch.onnx.TrainingMode.TRAINING
    else:
        model.eval()
        # Non-trivial running statistics, so that eval mode tests them.
        torch.manual_seed(SEED + 1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
        training = torch.onnx.TrainingMode.EVAL

    stem = os.path.join(out_dir, f"{name}_{mode}")
    with torch.no_grad():
        # Outputs before export: exporting in training mode runs the model
        # too, which would update the running statistics a second time.
        state = {k: v.clone() for k, v in model.state_dict().items()}
        expected = model(x)
        model.load_state_dict(state)
    # Exported with gradients enabled: under no_grad, PyTorch 1.13 runs (and
    # would export) its fused TransformerEncoderLayer kernel, which has no
    # ONNX form.
    torch.onnx.export(model, (x,), stem + ".onnx", opset_version=opset,
                      training=training, do_constant_folding=(mode == "eval"),
                      input_names=["input"], output_names=["logits"])
    np.save(stem + ".input0.npy", x.numpy())
    np.save(stem + ".expected0.npy", expected.numpy())
    return stem


def cmd_export(args):
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.models or MODELS:
        for mode in ("eval", "train"):
            stem = export_one(name, args.size, mode, args.out_dir, args.opset)
            kb = os.path.getsize(stem + ".onnx") / 1024
            print(f"{os.path.basename(stem)}.onnx: {kb:.0f} KB")
    return 0


# ----------------------------------------------------------------------------
# Compare
# ----------------------------------------------------------------------------

def cmd_study(args):
    torch, nn = _torch()
    import torchvision
    os.makedirs(args.out_dir, exist_ok=True)

    def resnet18():
        m = torchvision.models.resnet18(num_classes=10)
        m.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        return m, torch.zeros(2, 1, 28, 28)

    def mobilenet_v2():
        m = torchvision.models.mobilenet_v2(num_classes=10, dropout=0.0)
        m.features[0][0] = nn.Conv2d(1, 32, 3, 2, 1, bias=False)
        return m, torch.zeros(2, 1, 28, 28)

    def bytelm():
        m, shape, _ = make_byte_lm("study")
        return m, torch.zeros(shape, dtype=torch.int64)

    for name, make in (("resnet18_fmnist", resnet18),
                       ("mobilenet_v2_fmnist", mobilenet_v2),
                       ("bytelm_study", bytelm)):
        for seed in args.seeds:
            torch.manual_seed(seed)
            model, x = make()
            model.train()
            path = os.path.join(args.out_dir, f"{name}.s{seed}.onnx")
            # Batch 2 for the trace (BatchNorm needs more than one value per
            # channel); the batch dimension is symbolic in the graph.
            torch.onnx.export(model, (x,), path, opset_version=args.opset,
                              training=torch.onnx.TrainingMode.TRAINING,
                              do_constant_folding=False, input_names=["input"],
                              output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
            print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1024:.0f} KB")
    return 0


def cmd_compare(args):
    worst = 0.0
    failed = 0
    names = args.models or MODELS
    print(f"{'model':<22} {'max |quant4 - torch|':>22} {'max rel. error':>16}")
    for name in names:
        for mode in ("eval", "train"):
            stem = os.path.join(args.out_dir, f"{name}_{mode}")
            if not os.path.exists(stem + ".onnx"):
                continue
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [args.quant4_run, stem + ".onnx", "--input",
                       stem + ".input0.npy", "--output-dir", tmp]
                run = subprocess.run(cmd, capture_output=True, text=True)
                if run.returncode != 0:
                    print(f"{name}_{mode:<16} quant4-run failed: "
                          f"{run.stderr.strip().splitlines()[-1:]}")
                    failed += 1
                    continue
                got = np.load(os.path.join(tmp, "result0.npy"))
            want = np.load(stem + ".expected0.npy")
            if got.shape != want.shape:
                print(f"{name}_{mode:<16} shape {got.shape} != {want.shape}")
                failed += 1
                continue
            diff = float(np.max(np.abs(got.astype(np.float64) - want)))
            rel = diff / max(float(np.max(np.abs(want))), 1e-30)
            worst = max(worst, rel)
            ok = rel < TOLERANCE
            failed += 0 if ok else 1
            print(f"{name + '_' + mode:<22} {diff:>22.3e} {rel:>16.3e}"
                  f"{'' if ok else '  FAIL'}")
    print(f"worst relative error {worst:.3e} (tolerance {TOLERANCE:g}); "
          f"{failed} failed")
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("out_dir")
    e.add_argument("--size", choices=("tiny", "full"), default="tiny")
    e.add_argument("--opset", type=int, choices=range(13, 18), default=OPSET)
    e.add_argument("models", nargs="*", help=", ".join(MODELS))
    st = sub.add_parser("study")
    st.add_argument("out_dir")
    st.add_argument("--opset", type=int, choices=range(13, 18), default=15)
    st.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    st.set_defaults(models=[])
    c = sub.add_parser("compare")
    c.add_argument("out_dir")
    c.add_argument("--quant4-run", required=True)
    c.add_argument("models", nargs="*", help=", ".join(MODELS))
    args = p.parse_args()
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        p.error(f"unknown model {unknown[0]!r} (models: {', '.join(MODELS)})")
    return {"export": cmd_export, "study": cmd_study,
            "compare": cmd_compare}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
