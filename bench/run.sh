#!/usr/bin/env bash
# Builds and runs the kernel benchmarks; prints Markdown tables (the ones in
# docs/Performance.md). Usage: bench/run.sh [seconds per measurement]
#   QUANT4_BENCH_SHAPES=1024x1024x1024,64x256x784  to choose GEMM shapes.
# OpenBLAS's CPU-type overrides of this machine's environment are removed for
# this command only, so that sgemm runs its best kernel for the CPU.
set -euo pipefail
# For this command only: OpenBLAS picks its best kernel for the CPU (also in
# the fp32 training epochs, which run on OpenBLAS).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh" > /dev/null
cmake --build "$build" --target quant4-gemm-bench > /dev/null
"$build/bin/quant4-gemm-bench" "${1:-1.0}"
echo
echo "FP16 accumulation with sparse A (training's gradients and ReLU"
echo "activations are 50-75 % zero codes; the MLP's backward shapes):"
echo
QUANT4_BENCH_SHAPES=64x256x256,256x256x64,1024x1024x1024 \
QUANT4_BENCH_PAIRS="log4 x int4" QUANT4_BENCH_ACCS=f16 QUANT4_BENCH_THREADS=1 \
QUANT4_BENCH_QUANTIZE=0 QUANT4_BENCH_ZEROS="0 0.4 0.6 0.75" \
  "$build/bin/quant4-gemm-bench" "${1:-1.0}" | grep -v "f16_chunked\|^CPU\|^$"
echo
echo "Compile time of the full pipeline (bench/compile_time.sh):"
echo
bash "$root/bench/compile_time.sh"
echo
echo "Per-pass growth (bench/compile_growth.py):"
echo
python3 "$root/bench/compile_growth.py"
echo
echo "Instructions and cache misses of the pipeline (bench/compile_instructions.sh):"
echo
bash "$root/bench/compile_instructions.sh"
echo
echo "Training epochs (bench/training.sh):"
echo
bash "$root/bench/training.sh"
echo
echo "Against PyTorch on Fashion-MNIST (bench/peers.sh; installs python3-torch if missing):"
echo
bash "$root/bench/peers.sh"
