#!/usr/bin/env bash
# Time per training epoch and peak memory of the example models under the
# fp32 and ultralow4 recipes (quant4-run train, default MNIST digits,
# 1 epoch = 8495 samples, batch 64, 1 thread). The MLP's epoch is short, so it
# trains 5 epochs and the table gives the time per epoch. Prints a Markdown
# table.
set -euo pipefail
# The fp32 epochs run on OpenBLAS: let it pick its best kernel for this CPU
# (this machine's environment forces Haswell for the tests).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
run="$build/bin/quant4-run"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| model | recipe | epochs run | train time per epoch s (median of ${QUANT4_BENCH_REPS:-3}) | ratio to fp32 | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for model in ${QUANT4_BENCH_MODELS:-mlp lenet}; do
  epochs=1
  [ "$model" = mlp ] && epochs=${QUANT4_BENCH_MLP_EPOCHS:-5}
  base=""
  for recipe in fp32 ultralow4; do
    ts=()
    for i in $(seq "${QUANT4_BENCH_REPS:-3}"); do
      /usr/bin/time -f "%M" -o "$tmp/rss" "$run" train --model "$root/examples/$model.mlir" \
        --recipe "$recipe" --epochs "$epochs" --seed 1 --test-limit 256 > "$tmp/out"
      t=$(tail -n1 "$tmp/out" | sed -n 's/.*train_time_s=\([0-9.]*\).*/\1/p')
      ts+=("$t $(cat "$tmp/rss")")
    done
    med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (${#ts[@]} + 1) / 2 ))p")
    t=$(awk -v t="${med% *}" -v e="$epochs" 'BEGIN { printf "%.4f", t / e }'); kb=${med#* }
    [ -z "$base" ] && base=$t
    awk -v m="$model" -v r="$recipe" -v e="$epochs" -v t="$t" -v b="$base" -v kb="$kb" \
      'BEGIN { printf "| %s | %s | %d | %.3f | %.2f | %.0f |\n", m, r, e, t, t / b, kb / 1024 }'
  done
done
