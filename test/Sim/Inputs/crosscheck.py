#!/usr/bin/env python3
"""Runs consecutive training steps on the CPU emulation (quant4-run) and on
the Q4A simulator (quant4-sim) and checks that every output is byte-identical
(docs/Simulator.md, "Cross-check").

usage: crosscheck.py WORKDIR STEP.mlir ENTRY PROG.q4a STEPS
           --arg SPEC... --feedback RESULT:ARG,...
           [--cpu-pipeline PIPELINE | --cpu-flag FLAG...]
           [--loss N] [--correct N --batch B]

Each --arg SPEC makes one input .npy with `quant4-ref gen` (in argument
order): `SHAPE:DTYPE:random:SEED:LO:HI`, `SHAPE:DTYPE:zeros`,
`SHAPE:DTYPE:values:V1/V2/...` (SHAPE like 4x8, empty for a 0-d tensor), or
`:int64:step:BASE`, a 0-d int64 (an `i64` scalar argument such as the seed
of a stochastic-rounding recipe) of value BASE + k at step k.
--feedback lists which result of step k becomes which argument of step k+1.
The CPU side runs STEP.mlir with quant4-run (plus each --cpu-flag, e.g.
--no-blas: f32 GEMMs as loops, not OpenBLAS, whose summation order is not
bit-exact), or first lowers it once with
`quant4-opt --pass-pipeline=builtin.module(PIPELINE)` when --cpu-pipeline
PIPELINE is given (e.g. `quant4-cpu-pipeline{blas=false}`) and runs that;
tools come from PATH. Every output of every step is compared byte for byte;
the outputs of step k named by --feedback are the inputs of step k+1 on
both sides.
Prints one line per step with the loss (result N of --loss: a 0-d float32)
and the correct count (result N of --correct: a 0-d int32), and fails unless,
on both sides, the loss is finite and the count lies in [0, B] (--batch B).
"""
import argparse
import ast
import filecmp
import math
import os
import shutil
import struct
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" %
                         (" ".join(cmd), p.stdout[-4000:], p.stderr[-4000:]))
        sys.exit(1)
    return p.stdout


NPY_SCALARS = {"<f4": "<f", "<i4": "<i", "<i8": "<q"}


def npy_scalar(path):
    """The value of a 0-d float32/int32/int64 .npy file (version 1.0)."""
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY" or data[6] != 1:
        sys.exit("%s: not a version 1.0 .npy file" % path)
    hlen = struct.unpack_from("<H", data, 8)[0]
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    fmt = NPY_SCALARS.get(header["descr"])
    if fmt is None or header["shape"] != ():
        sys.exit("%s: not a 0-d float32/int32/int64 array (%s %s)" %
                 (path, header["descr"], header["shape"]))
    return struct.unpack_from(fmt, data, 10 + hlen)[0]


def write_npy_i64_scalar(path, value):
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
                header.encode("latin1") + struct.pack("<q", value))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("step")
    ap.add_argument("entry")
    ap.add_argument("prog")
    ap.add_argument("steps", type=int)
    ap.add_argument("--arg", action="append", default=[])
    ap.add_argument("--feedback", required=True)
    ap.add_argument("--loss", type=int, default=-1)
    ap.add_argument("--correct", type=int, default=-1)
    ap.add_argument("--batch", type=int, default=-1)
    ap.add_argument("--cpu-pipeline",
                    help="module pass pipeline (quant4-opt) that lowers "
                         "STEP.mlir once for quant4-run")
    ap.add_argument("--cpu-flag", action="append", default=[],
                    help="extra quant4-run option (repeatable)")
    a = ap.parse_args()
    if (a.correct >= 0) != (a.batch >= 0):
        sys.exit("--correct and --batch go together")

    os.makedirs(a.workdir, exist_ok=True)
    if a.cpu_pipeline:
        lowered = os.path.join(a.workdir, "cpu-lowered.mlir")
        run(["quant4-opt", a.step,
             "--pass-pipeline=builtin.module(%s)" % a.cpu_pipeline,
             "-o", lowered])
        a.step = lowered
    args = []
    per_step = {}  # argument -> BASE of a `step` spec
    for i, spec in enumerate(a.arg):
        shape, dtype, kind, *rest = spec.split(":")
        path = os.path.join(a.workdir, "init%d.npy" % i)
        if kind == "step":
            if shape or dtype != "int64":
                sys.exit("a `step` --arg is a 0-d int64: " + spec)
            per_step[i] = int(rest[0])
            args.append(path)
            continue
        cmd = ["quant4-ref", "gen", path, "--dtype", dtype]
        if shape:
            cmd += ["--shape", shape]
        if kind == "random":
            cmd += ["--random", rest[0], "--lo", rest[1], "--hi", rest[2]]
        elif kind == "zeros":  # lo + (hi - lo) * u with lo = hi = 0
            cmd += ["--random", "0", "--lo", "0", "--hi", "0"]
        elif kind == "values":
            cmd += ["--values", rest[0].replace("/", ",")]
        else:
            sys.exit("bad --arg kind " + kind)
        run(cmd)
        args.append(path)

    feedback = [tuple(int(x) for x in p.split(":"))
                for p in a.feedback.split(",")]
    for k in range(a.steps):
        for i, base in per_step.items():
            args[i] = os.path.join(a.workdir, "step%d-arg%d.npy" % (k, i))
            write_npy_i64_scalar(args[i], base + k)
        outs = {}
        for side in ("cpu", "sim"):
            d = os.path.join(a.workdir, "%s%d" % (side, k))
            shutil.rmtree(d, ignore_errors=True)
            inputs = []
            for f in args:
                inputs += ["--input", f]
            if side == "cpu":
                run(["quant4-run", a.step, "--entry", a.entry, "--output-dir", d]
                    + a.cpu_flag + inputs)
            else:
                run(["quant4-sim", a.prog, "--strict-sync", "--output-dir", d] + inputs)
            outs[side] = d
        names = sorted(os.listdir(outs["cpu"]))
        sim_names = sorted(os.listdir(outs["sim"]))
        if names != sim_names:
            sys.exit("step %d: different output files: %s vs %s" %
                     (k, names, sim_names))
        # Plausibility on both sides, then the bytes.
        values = ""
        for side in ("cpu", "sim"):
            values = ""
            if a.loss >= 0:
                loss = npy_scalar(os.path.join(outs[side],
                                               "result%d.npy" % a.loss))
                if not math.isfinite(loss):
                    sys.exit("step %d: %s: the loss (result%d) is not finite: "
                             "%r" % (k, side, a.loss, loss))
                values += " loss=%.9g" % loss
            if a.correct >= 0:
                correct = npy_scalar(os.path.join(outs[side],
                                                  "result%d.npy" % a.correct))
                if not 0 <= correct <= a.batch:
                    sys.exit("step %d: %s: the correct count (result%d) %d is "
                             "not in [0, %d]" % (k, side, a.correct, correct,
                                                 a.batch))
                values += " correct=%d/%d" % (correct, a.batch)
        diff = [n for n in names
                if not filecmp.cmp(os.path.join(outs["cpu"], n),
                                   os.path.join(outs["sim"], n), shallow=False)]
        if diff:
            print("step %d: MISMATCH in %s%s" % (k, " ".join(diff), values))
            sys.exit(1)
        print("step %d: %d outputs byte-identical%s" % (k, len(names), values))
        for r, i in feedback:
            args[i] = os.path.join(outs["cpu"], "result%d.npy" % r)


if __name__ == "__main__":
    main()
