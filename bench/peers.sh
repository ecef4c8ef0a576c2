#!/usr/bin/env bash
# quant4's whole training step against what users would run instead
# (issue 19, docs/Performance.md "Against PyTorch"): samples per second of
# one training epoch on Fashion-MNIST (QUANT4_BENCH_TRAIN samples, default
# 12800; batch 64; the same architectures: examples/mlp.mlir,
# examples/lenet.mlir, and torchvision's ResNet-18 exported to ONNX as in the
# README, QUANT4_BENCH_RESNET_TRAIN samples, default 320) for
#   quant4 fp32, quant4 ultralow4     quant4-run train
#   PyTorch FP32                      bench/torch_peer.py --mode fp32
#   PyTorch fake-quant ultralow4      bench/torch_peer.py --mode fakequant
# at 1 and 2 threads (QUANT4_BENCH_THREADS), in the same script and hour.
# Prints a Markdown table with the ratios of the targets. PyTorch is an
# optional benchmark dependency: installed here (Debian's python3-torch)
# when missing, never by the build.
set -euo pipefail
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
run="$build/bin/quant4-run"
py=/usr/bin/python3
if ! "$py" -c "import torch" 2>/dev/null; then
  echo "bench/peers.sh: installing python3-torch (benchmark peer only)" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
    --no-install-recommends python3-torch >&2
fi
n=${QUANT4_BENCH_TRAIN:-12800}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ResNet-18 (the README's ONNX export) trains on fewer samples: its
# samples/s is steady after a few steps, and JIT compilation (about a
# minute, not counted in samples/s) dominates a short run.
nres=${QUANT4_BENCH_RESNET_TRAIN:-320}
limit() { [ "$1" = resnet18 ] && echo "$nres" || echo "$n"; }
# shellcheck source=bench/models.sh
source "$root/bench/models.sh"
q4() { # model recipe threads -> samples/s
  "$run" train --model "$(model_file "$1")" --dataset fashion-mnist \
    --recipe "$2" --epochs 1 --seed 1 --train-limit "$(limit "$1")" --test-limit 256 \
    --threads "$3" > "$tmp/out"
  sed -n 's/^epoch 1\/1:.*samples_per_s=\([0-9.]*\).*/\1/p' "$tmp/out"
}
pt() { # model mode threads -> samples/s
  "$py" "$root/bench/torch_peer.py" --model "$1" --mode "$2" \
    --train-limit "$(limit "$1")" --threads "$3" | sed -n 's/^samples_per_s=\([0-9.]*\).*/\1/p'
}
echo "| model | threads | quant4 fp32 | quant4 ultralow4 | PyTorch FP32 | PyTorch fake-quant ultralow4 | ultralow4 / PyTorch FP32 | quant4 fp32 / PyTorch FP32 | ultralow4 / fake-quant |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for model in ${QUANT4_BENCH_MODELS:-mlp lenet resnet18}; do
  for th in ${QUANT4_BENCH_THREADS:-1 2}; do
    qf=$(q4 "$model" fp32 "$th"); qu=$(q4 "$model" ultralow4 "$th")
    pf=$(pt "$model" fp32 "$th"); pq=$(pt "$model" fakequant "$th")
    awk -v m="$model" -v t="$th" -v qf="$qf" -v qu="$qu" -v pf="$pf" -v pq="$pq" \
      'BEGIN { printf "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f |\n",
               m, t, qf, qu, pf, pq, qu / pf, qf / pf, qu / pq }'
  done
done
echo
echo "samples/s of one epoch of $n Fashion-MNIST samples ($nres for resnet18), batch 64; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
