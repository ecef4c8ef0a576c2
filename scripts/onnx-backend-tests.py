#!/usr/bin/python3
"""Runs ONNX backend tests (Debian's libonnx-testdata) through quant4.

Each test is a directory with model.onnx and test_data_set_*/input_*.pb,
output_*.pb. For each data set the script converts the inputs to .npy and runs the
model with `quant4-run model.onnx --input ...` (which imports it with its
weights as constants, the batch and the shape-determining inputs' values
taken from the inputs) and compares every result with the expected
output: floating point with rtol/atol (default 1e-3 / 1e-4, NaN equal to
NaN), integers and bools exactly, shapes and dtypes exactly.

  /usr/bin/python3 scripts/onnx-backend-tests.py [options] TEST...
      TEST: a test directory, or a test name looked up in the suites
      (e.g. test_add_bcast)
  /usr/bin/python3 scripts/onnx-backend-tests.py --suite node [--table]
      every test of a suite (node, pytorch-converted, pytorch-operator,
      simple; `all` for the four)

Options:
  --bin DIR            where quant4-translate and quant4-run are (default:
                       build/bin of this checkout)
  --data DIR           the test data root (default
                       /usr/share/libonnx-testdata/data)
  --work DIR           keep the intermediate files there (default: a
                       temporary directory, removed)
  --rtol R, --atol A   tolerances
  --timeout S          per command (default 120 s)
  --table              print a per-operator table (Markdown) of passed /
                       failed / unsupported tests after the list
  --quiet              print only failures and the summary

Every test prints one line: PASS, FAIL (why), or UNSUPPORTED (the
importer's error: an operator, attribute or type quant4 does not import).
Exit status: 0 when no test failed (unsupported ones do not count), 1
otherwise, 2 on usage errors.

Needs Debian's /usr/bin/python3 with python3-onnx (onnx, numpy); never
PyTorch.
"""
import argparse
import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]

# Errors of the importer that mean "not supported" rather than "wrong".
UNSUPPORTED = re.compile(
    r"operator not supported|is not supported|are not supported|not imported|"
    r"quant4 does not import|quant4 imports opsets|not a tensor|"
    r"is not supported|only constant padding|domain|"
    r"must be known at import time")


UNSIGNED = {onnx.TensorProto.UINT8, onnx.TensorProto.UINT16,
            onnx.TensorProto.UINT32, onnx.TensorProto.UINT64}


def to_signless(a, elem_type):
    """quant4 tensors are signless: unsigned integers travel as the signed
    type of their width (same bits). (bfloat16 data is uint16 bits, which
    quant4-run takes as they are.)"""
    if elem_type in UNSIGNED and a.dtype.kind == "u":
        return a.view(np.dtype("i%d" % a.dtype.itemsize))
    return a


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def sorted_pbs(d, prefix):
    files = glob.glob(os.path.join(d, prefix + "_*.pb"))
    return sorted(files, key=lambda p: int(re.findall(r"_(\d+)\.pb$", p)[0]))


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return -1, "", "timed out after %s s" % timeout


def first_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return ""


def graph_inputs(model):
    inits = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def input_types(model):
    inits = {t.name for t in model.graph.initializer}
    return [i.type.tensor_type.elem_type for i in model.graph.input
            if i.name not in inits]


def operators(model):
    return sorted({n.op_type for n in model.graph.node})


def compare(got, want, rtol, atol):
    """An error message, or None when `got` matches `want`."""
    if got.shape != want.shape:
        return "shape %s, expected %s" % (got.shape, want.shape)
    if got.dtype != want.dtype:
        return "dtype %s, expected %s" % (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        g, w = got.astype(np.float64), want.astype(np.float64)
        ok = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
        if not ok.all():
            bad = np.argwhere(~ok)[0]
            idx = tuple(int(i) for i in bad)
            return "%d of %d values differ, e.g. at %s: %r vs %r" % (
                int((~ok).sum()), ok.size, idx, g[idx], w[idx])
        return None
    if not np.array_equal(got, want):
        return "values differ (%d of %d)" % (int((got != want).sum()), got.size)
    return None


def run_test(test_dir, args, work):
    """('PASS'|'FAIL'|'UNSUPPORTED', message, operators)."""
    name = os.path.basename(test_dir.rstrip("/"))
    model_path = os.path.join(test_dir, "model.onnx")
    try:
        model = onnx.load(model_path)
    except Exception as e:  # a broken test file
        return "FAIL", "cannot load model.onnx: %s" % e, []
    ops = operators(model)
    inputs = graph_inputs(model)
    types = input_types(model)
    sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not sets:
        return "FAIL", "no test_data_set_*", ops
    tdir = os.path.join(work, name)
    os.makedirs(tdir, exist_ok=True)
    for k, ds in enumerate(sets):
        in_pbs = sorted_pbs(ds, "input")
        out_pbs = sorted_pbs(ds, "output")
        try:
            ins = [load_tensor(p) for p in in_pbs]
        except Exception:  # a sequence or optional: see what import says
            ins = None
        if ins is None:
            rc, _, err = run([args.translate, "--import-onnx", model_path,
                              "--params-as-constants", "-o",
                              os.path.join(tdir, "probe.mlir")], args.timeout)
            if rc != 0:
                status = "UNSUPPORTED" if UNSUPPORTED.search(err) else "FAIL"
                return status, "import: " + first_line(err), ops
            return "FAIL", "an input is not a tensor", ops
        if len(ins) != len(inputs):
            return "FAIL", "data set %d has %d inputs, the graph %d" % (
                k, len(ins), len(inputs)), ops
        if any(a.dtype.kind in "OUS" for a in ins):
            return "UNSUPPORTED", "a string input", ops
        # quant4-run imports the model itself (docs/ONNX.md).
        cmd = [args.run, model_path,
               "--output-dir", os.path.join(tdir, "out%d" % k)]
        for i, a in enumerate(ins):
            p = os.path.join(tdir, "in%d_%d.npy" % (k, i))
            np.save(p, to_signless(np.array(a, order="C"), types[i]))
            cmd += ["--input", p]
        rc, _, err = run(cmd, args.timeout)
        if rc != 0:
            if "importing the ONNX model" in err:
                if "give its size with --batch" in err and \
                        any(a.ndim > 0 and a.shape[0] == 0 for a in ins[:1]):
                    return "UNSUPPORTED", "an empty batch (--batch=0)", ops
                status = "UNSUPPORTED" if UNSUPPORTED.search(err) else "FAIL"
                return status, "import: " + first_line(err), ops
            return "FAIL", "quant4-run: " + first_line(err), ops
        for j, p in enumerate(out_pbs):
            want = load_tensor(p)
            rp = os.path.join(tdir, "out%d" % k, "result%d.npy" % j)
            if not os.path.exists(rp):
                return "FAIL", "no result%d.npy" % j, ops
            got = np.load(rp)
            if want.dtype.kind == "u" and got.dtype.kind == "i" and \
                    got.dtype.itemsize == want.dtype.itemsize:
                got = got.view(want.dtype)
            msg = compare(got, want, args.rtol, args.atol)
            if msg:
                return "FAIL", "output %d: %s" % (j, msg), ops
    return "PASS", "", ops


def find_test(name, data):
    if os.path.isdir(name):
        return name
    for s in SUITES:
        d = os.path.join(data, s, name)
        if os.path.isdir(d):
            return d
    return None


def main():
    ap = argparse.ArgumentParser(
        description="ONNX backend tests through quant4 (see the module doc)")
    ap.add_argument("tests", nargs="*")
    ap.add_argument("--suite", action="append", default=[])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--work")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    args.translate = os.path.join(args.bin, "quant4-translate")
    args.run = os.path.join(args.bin, "quant4-run")
    for tool in (args.translate, args.run):
        if not os.access(tool, os.X_OK):
            print("onnx-backend-tests: %s not found (--bin)" % tool,
                  file=sys.stderr)
            return 2
    dirs = []
    for s in args.suite:
        for suite in (SUITES if s == "all" else [s]):
            root = os.path.join(args.data, suite)
            if not os.path.isdir(root):
                print("onnx-backend-tests: no suite %s" % root, file=sys.stderr)
                return 2
            dirs += sorted(d for d in glob.glob(os.path.join(root, "test_*"))
                           if os.path.isdir(d))
    for t in args.tests:
        d = find_test(t, args.data)
        if not d:
            print("onnx-backend-tests: no test '%s'" % t, file=sys.stderr)
            return 2
        dirs.append(d)
    if not dirs:
        ap.print_usage(sys.stderr)
        return 2
    work = args.work or tempfile.mkdtemp(prefix="quant4-onnx-")
    counts = collections.Counter()
    per_op = collections.defaultdict(collections.Counter)
    try:
        for d in dirs:
            try:
                status, msg, ops = run_test(d, args, work)
            except Exception as e:  # a test the script cannot handle
                status, msg, ops = "FAIL", "script error: %r" % e, []
            counts[status] += 1
            for op in ops:
                per_op[op][status] += 1
            if not args.quiet or status == "FAIL":
                print("%-11s %s%s" % (status, os.path.basename(d),
                                      (": " + msg) if msg else ""))
                sys.stdout.flush()
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed, %d unsupported" % (
        counts["PASS"], counts["FAIL"], counts["UNSUPPORTED"]))
    if args.table:
        print()
        print("| operator | passed | failed | unsupported |")
        print("|---|---|---|---|")
        for op in sorted(per_op):
            c = per_op[op]
            print("| %s | %d | %d | %d |" % (op, c["PASS"], c["FAIL"],
                                             c["UNSUPPORTED"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
