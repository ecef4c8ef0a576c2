#!/usr/bin/env bash
# Compile time and peak memory of the full CPU pipeline (ultralow4 recipe,
# then quant4-cpu-pipeline to the LLVM dialect) for generated MLP training
# steps (bench/gen_mlp_step.py, width 64, batch 16), by default 16, 32, 64,
# 128 and 256 layers (QUANT4_BENCH_LAYERS to choose). Fastest of 5 runs of
# `quant4-opt ... -o /dev/null` (wall time, includes parsing and printing the
# LLVM-dialect text), plus the passes alone: --mlir-timing's wall total minus
# its Parser and Output lines, fastest of 5 more runs (this virtual machine's
# speed drifts by tens of percent between seconds; noise only adds time, so
# the fastest run is the steadiest estimate). Prints a Markdown table.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
opt="$build/bin/quant4-opt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(--quant4-apply-recipe="recipe=ultralow4" --quant4-cpu-pipeline -o /dev/null)
echo "| layers | GEMMs | wall s (fastest of 5) | wall s per layer | passes s (fastest of 5) | passes s per layer | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for L in ${QUANT4_BENCH_LAYERS:-16 32 64 128 256}; do
  python3 "$root/bench/gen_mlp_step.py" "$L" > "$tmp/step.mlir"
  times=() passes=()
  for i in 1 2 3 4 5; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$opt" "$tmp/step.mlir" "${flags[@]}"
    times+=("$(cat "$tmp/time")")
    "$opt" "$tmp/step.mlir" "${flags[@]}" --mlir-timing 2> "$tmp/timing"
    # Each line: [user s (pct)] wall s (pct) name (the user column only when
    # it differs from wall): take the last "s (pct)" pair.
    passes+=("$(awk '{ w = ""; for (i = 1; i < NF; ++i) if ($i ~ /^[0-9]+\.[0-9]+$/ && $(i + 1) ~ /^\(/) w = $i }
                     $NF == "Total" && w != "" { t = w } $NF == "Parser" || $NF == "Output" { x += w }
                     END { if (t == "") { print "no Total line in --mlir-timing output" > "/dev/stderr"; exit 1 }
                           printf "%.4f", t - x }' "$tmp/timing")")
  done
  fastest=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 1p)
  p=$(printf '%s\n' "${passes[@]}" | sort -n | sed -n 1p)
  secs=${fastest% *}; kb=${fastest#* }
  gemms=$((3 * L - 1))
  awk -v L="$L" -v g="$gemms" -v s="$secs" -v p="$p" -v kb="$kb" \
    'BEGIN { printf "| %d | %d | %.2f | %.4f | %.2f | %.4f | %.0f |\n", L, g, s, s / L, p, p / L, kb / 1024 }'
done
