#!/usr/bin/env python3
"""Writes the tables of the study "the paper's model families" (scripts/study.sh)
into docs/Results.md, between the markers "<!-- study:begin -->" and
"<!-- study:end -->", from the run logs in STUDY_DIR.

  python3 scripts/study-report.py STUDY_DIR docs/Results.md [--seeds 1 2 3] [--models M...]
  python3 scripts/study-report.py STUDY_DIR -            # print only

Per model and recipe: the test metric (accuracy of the recipe's own forward,
or bits per byte for the LM) as mean ± sample standard deviation over the
seeds, its gap to FP32, and paired comparisons (same seed = same initial
weights and data order) of the ablations with ultralow4 and of every recipe
with FP32: the mean difference and a paired t-test at 5 % (two-sided).
Standard library only.
"""
import argparse
import math
import os
import re
import statistics
import sys

MODELS = [
    ("resnet18", "ResNet-18, Fashion-MNIST", "acc"),
    ("mobilenet", "MobileNetV2, Fashion-MNIST", "acc"),
    ("bytelm", "byte-level Transformer LM, fortunes", "bpc"),
]
RECIPES = [
    ("fp32", "FP32"),
    ("ultralow4", "ultralow4 (first and last layer FP32)"),
    ("ultralow4:keep-first=false,keep-last=false", "ultralow4, every layer 4-bit"),
    ("luq", "LUQ"),
    ("mxfp4", "MXFP4"),
    ("nvfp4", "NVFP4"),
    ("fp8", "FP8 (E4M3 / E5M2, delayed scaling)"),
    ("ultralow4-notpr", "ablation: ultralow4 without TPR"),
    ("ultralow4-nogradscale", "ablation: ultralow4 without GradScale"),
    ("ultralow4-radix2", "ablation: ultralow4, radix-2 gradients (no TPR)"),
    ("ultralow4:signed-act=true",
     "variant: ultralow4 with signed activations (`signed-act=true`)"),
]
# The gap of the 4-bit recipe to full precision that the 4-bit training
# papers report for the model family (as tabulated by the LUQ paper, for
# Sun et al. 2020's radix-4 FP4 with TPR); other datasets and full training.
PAPER_GAP = {
    "resnet18": "−1.4 pp (ImageNet top-1)",
    "mobilenet": "−3.0 pp (ImageNet top-1)",
    "bytelm": "−2.1 BLEU (Transformer, translation)",
}
# Two-sided 5 % critical values of Student's t, by degrees of freedom.
T_CRIT = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
          7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def parse_log(path):
    """The metrics of one run: from the epoch line and the final line."""
    if not os.path.exists(path):
        return None
    text = open(path, encoding="utf-8", errors="replace").read()
    final = re.search(r"^final: (.*)$", text, re.M)
    if not final:
        return {"failed": True}
    run = {"failed": False}
    epochs = re.findall(r"^epoch \d+/\d+: (.*)$", text, re.M)
    for line in ([epochs[-1]] if epochs else []) + [final.group(1)]:
        for key, value in re.findall(r"(\w+)=(\S+)", line):
            try:
                run[key] = float(value)
            except ValueError:
                run[key] = value
    compiled = re.search(r"compiled in ([0-9.]+) s", text)
    run["compile_s"] = float(compiled.group(1)) if compiled else float("nan")
    # NaN anywhere: the training loss, or either evaluation (the recipe's
    # forward and the FP32 forward of the same weights).
    run["nan"] = any(isinstance(run.get(k), float) and math.isnan(run[k])
                     for k in ("train_loss", "test_loss", "test_acc",
                               "test_loss_fp32", "test_acc_fp32",
                               "test_bpc", "test_bpc_fp32"))
    return run


def metric(run, kind):
    return run.get("test_bpc" if kind == "bpc" else "test_acc", float("nan"))


def mean_sd(vals):
    if not vals:
        return float("nan"), float("nan")
    return statistics.mean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def paired(a, b):
    """Mean of a - b over the seeds both have, and whether a paired t-test
    rejects a zero mean at 5 %."""
    diffs = [a[s] - b[s] for s in a if s in b
             and not math.isnan(a[s]) and not math.isnan(b[s])]
    if len(diffs) < 2:
        return (statistics.mean(diffs) if diffs else float("nan")), None, len(diffs)
    m, sd = mean_sd(diffs)
    if sd == 0:
        return m, m != 0, len(diffs)
    t = m / (sd / math.sqrt(len(diffs)))
    return m, abs(t) > T_CRIT.get(len(diffs) - 1, 1.96), len(diffs)


def fmt(kind, m, sd=None):
    if math.isnan(m):
        return "n/a"
    if kind == "acc":
        return f"{100 * m:.2f}" + ("" if sd is None else f" ± {100 * sd:.2f}")
    return f"{m:.3f}" + ("" if sd is None else f" ± {sd:.3f}")


def fmt_diff(kind, d, sig):
    if math.isnan(d):
        return "n/a"
    text = f"{100 * d:+.2f} pp" if kind == "acc" else f"{d:+.3f} bpc"
    if sig is None:
        return text + " (1 seed)"
    return text + (" **significant**" if sig else " (not significant)")


def report(study_dir, seeds, models):
    lines = []
    machine = os.path.join(study_dir, "machine.txt")
    if os.path.exists(machine):
        info = dict(l.split(": ", 1) for l in open(machine).read().splitlines() if ": " in l)
        lines.append(f"Generated by `bash scripts/study.sh` (commit {info.get('commit', '?')}, "
                     f"{info.get('date', '?')}, {info.get('cpu', '?')}"
                     + (f", {int(info['elapsed_s']) // 60} min" if "elapsed_s" in info else "")
                     + f"); seeds {', '.join(seeds)}.")
        lines.append("")
    for model, title, kind in MODELS:
        if model not in models:
            continue
        runs = {}
        for recipe, _ in RECIPES:
            safe = recipe.translate(str.maketrans(":=,", "___"))
            for s in seeds:
                r = parse_log(os.path.join(study_dir, f"{model}-{safe}-s{s}.log"))
                if r is not None:
                    runs.setdefault(recipe, {})[s] = r
        if not runs:
            continue
        unit = "test accuracy, %" if kind == "acc" else "test bits per byte (lower is better)"
        lines.append(f"#### {title}")
        lines.append("")
        lines.append(f"| recipe | {unit} | gap to FP32 (paired) | FP32 forward of the same weights | "
                     "runs with a NaN | training s/run (1 thread, shared machine) |")
        lines.append("|---|---:|---|---:|---:|---:|")
        values = {}
        for recipe, name in RECIPES:
            rs = runs.get(recipe, {})
            if not rs and recipe not in dict(RECIPES[:7]):
                continue  # an ablation or variant this model was not run with
            ok = {s: r for s, r in rs.items() if not r["failed"]}
            failed = len(rs) - len(ok)
            vals = {s: metric(r, kind) for s, r in ok.items()}
            values[recipe] = vals
            m, sd = mean_sd([v for v in vals.values() if not math.isnan(v)])
            fp32_key = "test_bpc_fp32" if kind == "bpc" else "test_acc_fp32"
            fm, fsd = mean_sd([r[fp32_key] for r in ok.values() if fp32_key in r
                               and not math.isnan(r[fp32_key])])
            nans = sum(1 for r in ok.values() if r["nan"])
            tm, _ = mean_sd([r["train_time_s"] for r in ok.values() if "train_time_s" in r])
            gap = "—" if recipe == "fp32" else fmt_diff(kind, *paired(vals, values.get("fp32", {}))[:2])
            if kind == "bpc" and recipe != "fp32":
                fp32m, _ = mean_sd([v for v in values.get("fp32", {}).values()
                                    if not math.isnan(v)])
                if not math.isnan(m) and not math.isnan(fp32m) and fp32m > 0:
                    gap += f"; {100 * (m / fp32m - 1):+.1f} % of FP32's bpc"
            n = len([v for v in vals.values() if not math.isnan(v)])
            lines.append(f"| {name} | {fmt(kind, m, sd)} (n = {n}{f', {failed} failed' if failed else ''}) "
                         f"| {gap} | {fmt(kind, fm, fsd) if recipe != 'fp32' else '—'} | {nans} "
                         f"| {'n/a' if math.isnan(tm) else f'{tm:.0f}'} |")
        lines.append("")
        u = values.get("ultralow4", {})
        abl = []
        for recipe, name in RECIPES:
            if recipe.startswith("ultralow4-") or recipe.startswith("ultralow4:signed"):
                d, sig, n = paired(values.get(recipe, {}), u)
                if not values.get(recipe):
                    continue
                abl.append(f"{name.replace('ablation: ', '').replace('variant: ', '')} − ultralow4: {fmt_diff(kind, d, sig)}")
        d, sig, n = paired(values.get("ultralow4-radix2", {}), values.get("ultralow4-notpr", {}))
        abl.append(f"radix 2 − radix 4 (both without TPR): {fmt_diff(kind, d, sig)}")
        lines.append("Ablations (paired over the seeds, t-test at 5 %): " + "; ".join(abl) + ".")
        lines.append(f"The papers' gap for this family: {PAPER_GAP[model]}.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("study_dir")
    p.add_argument("doc", help="docs/Results.md, or - to print")
    p.add_argument("--seeds", nargs="+", default=["1", "2", "3"])
    p.add_argument("--models", nargs="+", default=[m[0] for m in MODELS],
                   help="of " + ", ".join(m[0] for m in MODELS))
    args = p.parse_args()
    text = report(args.study_dir, args.seeds, args.models)
    if args.doc == "-":
        sys.stdout.write(text)
        return 0
    doc = open(args.doc, encoding="utf-8").read()
    begin, end = "<!-- study:begin -->", "<!-- study:end -->"
    if begin not in doc or end not in doc:
        print(f"study-report: {args.doc} has no {begin} ... {end} markers", file=sys.stderr)
        return 1
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    tmp = args.doc + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + text + end + tail)
    os.replace(tmp, args.doc)
    print(f"study-report: tables written to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
