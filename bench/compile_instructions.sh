#!/usr/bin/env bash
# Work done by the full CPU pipeline (ultralow4 recipe, then
# quant4-cpu-pipeline to the LLVM dialect, printed to /dev/null) for
# generated MLP training steps (bench/gen_mlp_step.py), counted by
# valgrind's cachegrind (Debian package valgrind, installed if missing):
# instructions executed, which do not depend on the machine's load or
# caches, and the data reads that miss a simulated 32 MiB last-level cache
# (this machine's L3; 48 KiB L1d), which show when the IR outgrows it.
# Single-threaded (--mlir-disable-threading) so that counts are exact.
# Takes ~60x the native time (about 5 minutes for the default 16, 64 and
# 256 layers; QUANT4_BENCH_LAYERS to choose). Prints a Markdown table.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
opt="$build/bin/quant4-opt"
if ! command -v valgrind >/dev/null; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null ||
      { echo "compile_instructions.sh: needs valgrind; run as root or install sudo" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q valgrind >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| layers | GEMMs | instructions (G) | instructions per layer (M) | LL data-read misses (M) | LL misses per layer (k) |"
echo "|---|---|---|---|---|---|"
for L in ${QUANT4_BENCH_LAYERS:-16 64 256}; do
  python3 "$root/bench/gen_mlp_step.py" "$L" > "$tmp/step.mlir"
  valgrind --tool=cachegrind --cache-sim=yes --I1=32768,8,64 --D1=49152,12,64 \
    --LL=33554432,16,64 --cachegrind-out-file="$tmp/cg.out" \
    "$opt" "$tmp/step.mlir" --quant4-apply-recipe=recipe=ultralow4 \
    --quant4-cpu-pipeline --mlir-disable-threading -o /dev/null 2> "$tmp/log" ||
    { cat "$tmp/log" >&2; exit 1; }
  # "I   refs: N" and "LLd misses: N (R rd + W wr)": N and R.
  awk -v L="$L" -v g=$((3 * L - 1)) '
    /I *refs:/ { gsub(",", "", $4); ir = $4 }
    /LLd misses:/ { sub(/.*\(/, ""); gsub(",", ""); rd = $1 }
    END { printf "| %d | %d | %.2f | %.1f | %.2f | %.1f |\n", L, g, ir / 1e9, ir / L / 1e6, rd / 1e6, rd / L / 1e3 }' "$tmp/log"
done
