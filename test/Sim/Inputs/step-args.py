#!/usr/bin/env python3
"""Prints crosscheck.py's argument options for a training step built by
quant4-build-training-step (and a recipe), read from its MLIR signature.

usage: step-args.py STEP.mlir ENTRY [--classes N]

Arguments get `--arg` specs by their attributes: parameters random in
[-0.3, 0.3] (seeded by position), BatchNorm running variances ones and other
buffers zeros, momenta and recipe state zeros except scale-like state (ones),
the batch random in [0, 1], labels cycling 0..N-1 (--classes, default 10),
lr 0.05, momentum 0.9, weight decay 5e-4. `--feedback` maps every result that
names a parameter, buffer, momentum or state back to the argument of the same
name, and `--loss`, `--correct`, `--batch` point at the loss and the
correct count. One line, for `$(...)` in a RUN line.
"""
import math
import re
import sys


def split_top(s):
    """Splits s at commas outside <>, (), {}, []."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "<({[":
            depth += 1
        elif ch in ">)}]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def signature(text, entry):
    start = text.index("func.func @%s(" % entry) + len("func.func @%s(" % entry)
    depth, i = 1, start
    while depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    args = split_top(text[start:i - 1])
    rest = text[i:]
    m = re.match(r"\s*->\s*\(", rest)
    res = []
    if m:
        j, depth = m.end(), 1
        k = j
        while depth:
            depth += {"(": 1, ")": -1}.get(rest[k], 0)
            k += 1
        res = split_top(rest[j:k - 1])
    return args, res


def parse(item):
    ty = re.search(r"tensor<([^>]*)>", item).group(1)
    parts = ty.split("x")
    shape, dtype = "x".join(parts[:-1]), parts[-1]
    attrs = dict(re.findall(r"(quant4\.\w+)(?: = \"([^\"]*)\")?", item))
    return shape, dtype, attrs


def filled(shape, dtype, value):
    """An --arg spec of a tensor whose every element is `value`."""
    numel = math.prod(int(d) for d in shape.split("x")) if shape else 1
    return "%s:%s:values:%s" % (shape, dtype, "/".join([str(value)] * numel))


def main():
    path, entry = sys.argv[1], sys.argv[2]
    classes = 10
    if "--classes" in sys.argv:
        classes = int(sys.argv[sys.argv.index("--classes") + 1])
    args, results = signature(open(path).read(), entry)
    names = {}
    out, batch = [], 1
    np_dtype = {"f32": "float32", "i32": "int32", "i64": "int64"}
    for i, a in enumerate(args):
        shape, dtype, at = parse(a)
        dt = np_dtype[dtype]
        for key in ("quant4.param", "quant4.buffer", "quant4.momentum",
                    "quant4.second_moment", "quant4.state"):
            if key in at:
                names[(key, at[key])] = i
        if "quant4.param" in at:
            spec = "%s:%s:random:%d:-0.3:0.3" % (shape, dt, i + 1)
        elif "quant4.buffer" in at:
            var = at["quant4.buffer"].endswith("var")
            spec = filled(shape, dt, 1) if var else "%s:%s:zeros" % (shape, dt)
        elif "quant4.batch" in at:
            batch = int(shape.split("x")[0])
            spec = "%s:%s:random:%d:0:1" % (shape, dt, 1000 + i)
        elif "quant4.labels" in at:
            n = int(shape)
            spec = "%s:%s:values:%s" % (shape, dt, "/".join(
                str((3 * k) % classes) for k in range(n)))
        elif "quant4.hyper" in at:
            v = {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.0005}.get(
                at["quant4.hyper"], 0.0)
            spec = "%s:%s:values:%s" % (shape, dt, v)
        elif "quant4.state" in at:
            # Scales start at 1 and PACT's clip at 8; histories at 0.
            kind = at["quant4.state"].rsplit(".", 1)[-1]
            start = {"gradscale": 1, "scale": 1, "pact_alpha": 8}.get(kind)
            spec = (filled(shape, dt, start) if start is not None
                    else "%s:%s:zeros" % (shape, dt))
        else:
            spec = "%s:%s:zeros" % (shape, dt)
        out.append("--arg " + spec)
    feedback, loss, correct = [], None, None
    for j, r in enumerate(results):
        _, _, at = parse(r)
        if "quant4.loss" in at:
            loss = j
        if "quant4.correct" in at:
            correct = j
        for key in ("quant4.param", "quant4.buffer", "quant4.momentum",
                    "quant4.second_moment", "quant4.state"):
            if key in at and (key, at[key]) in names:
                feedback.append("%d:%d" % (j, names[(key, at[key])]))
    opts = ["--feedback " + ",".join(feedback)]
    if loss is not None:
        opts.append("--loss %d" % loss)
    if correct is not None:
        opts.append("--correct %d --batch %d" % (correct, batch))
    print(" ".join(opts + out))


if __name__ == "__main__":
    main()
