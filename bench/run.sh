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
echo "Compile time of the full pipeline (bench/compile_time.sh):"
echo
bash "$root/bench/compile_time.sh"
echo
echo "Training epochs (bench/training.sh):"
echo
bash "$root/bench/training.sh"
