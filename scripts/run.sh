#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the main job: quantize the
# example training step (forward, backward, SGD update of a two-layer MLP)
# and print the quantized IR.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh"
echo "== quant4-opt examples/mlp_train_step.mlir --quant4-quantize-gemms (INT4 operands, FP16 accumulation)"
"$build/bin/quant4-opt" "$root/examples/mlp_train_step.mlir" \
  --quant4-quantize-gemms="lhs-format=!quant4.int<4> rhs-format=!quant4.int<4> accumulation=f16" \
  --canonicalize
