#!/usr/bin/env bash
# Compile time and peak memory of the full CPU pipeline (ultralow4 recipe,
# then quant4-cpu-pipeline to the LLVM dialect) for generated MLP training
# steps of 16, 64 and 256 layers (bench/gen_mlp_step.py, width 64, batch 16).
# Median of 3 runs. Prints a Markdown table.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
opt="$build/bin/quant4-opt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| layers | GEMMs | compile s (median of 3) | s per layer | peak RSS MB |"
echo "|---|---|---|---|---|"
for L in ${QUANT4_BENCH_LAYERS:-16 64 256}; do
  python3 "$root/bench/gen_mlp_step.py" "$L" > "$tmp/step.mlir"
  times=()
  for i in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$opt" "$tmp/step.mlir" \
      --quant4-apply-recipe="recipe=ultralow4" --quant4-cpu-pipeline -o /dev/null
    times+=("$(cat "$tmp/time")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  secs=${median% *}; kb=${median#* }
  gemms=$((3 * L - 1))
  awk -v L="$L" -v g="$gemms" -v s="$secs" -v kb="$kb" \
    'BEGIN { printf "| %d | %d | %.2f | %.3f | %.0f |\n", L, g, s, s / L, kb / 1024 }'
done
