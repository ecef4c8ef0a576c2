#!/usr/bin/env python3
"""Per-pass compile time of the full CPU pipeline at two training-step sizes
(bench/gen_mlp_step.py), to see which passes grow faster than the step:

    python3 bench/compile_growth.py [SMALL LAYERS] [LARGE LAYERS]   (64 256)

Each size runs `quant4-opt --quant4-apply-recipe=recipe=ultralow4
--quant4-cpu-pipeline --mlir-timing --verify-each=0` three times; a pass's
time is its fastest wall time. Prints a Markdown table, largest excess first:
excess = t(large) - (large/small) * t(small), the time beyond linear growth.
QUANT4_BUILD_DIR selects the build (default build/)."""
import os
import re
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.environ.get("QUANT4_BUILD_DIR", os.path.join(root, "build"))
opt = os.path.join(build, "bin", "quant4-opt")
small = int(sys.argv[1]) if len(sys.argv) > 1 else 64
large = int(sys.argv[2]) if len(sys.argv) > 2 else 256
# "[user s (pct)] wall s (pct) name": MLIR prints the user column only when
# it differs from the wall column.
line = re.compile(
    r"\s*(?:[0-9.]+ \(\s*[0-9.]+%\)\s+)?([0-9.]+) \(\s*[0-9.]+%\)\s+(.*)$")


def timings(layers):
    with tempfile.NamedTemporaryFile("w", suffix=".mlir") as f:
        f.write(subprocess.run([sys.executable,
                                os.path.join(root, "bench", "gen_mlp_step.py"),
                                str(layers)], check=True, capture_output=True,
                               text=True).stdout)
        f.flush()
        best = None
        for _ in range(3):
            err = subprocess.run([opt, f.name,
                                  "--quant4-apply-recipe=recipe=ultralow4",
                                  "--quant4-cpu-pipeline", "-o", os.devnull,
                                  "--mlir-timing", "--verify-each=0"],
                                 check=True, capture_output=True,
                                 text=True).stderr
            rows = [(m.group(2).strip(), float(m.group(1)))
                    for m in map(line.match, err.splitlines()) if m]
            if not rows:
                sys.exit("compile_growth.py: no --mlir-timing lines in:\n" + err)
            best = rows if best is None else [
                (a[0], min(a[1], b[1])) for a, b in zip(best, rows)]
        return best


a, b = timings(small), timings(large)
scale = large / small
rows = sorted(((tb - scale * ta, name, ta, tb)
               for (name, ta), (_, tb) in zip(a, b)), reverse=True)
print(f"| pass | {small} layers s | {large} layers s | ratio "
      f"(linear: {scale:g}) | excess s |")
print("|---|---|---|---|---|")
for excess, name, ta, tb in rows[:int(os.environ.get("QUANT4_BENCH_TOP", "15"))]:
    ratio = tb / ta if ta > 0 else float("nan")
    print(f"| {name} | {ta:.4f} | {tb:.4f} | {ratio:.2f} | {excess:.4f} |")
