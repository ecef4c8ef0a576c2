#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs every test: the lit/FileCheck
# suite (IR, plugin, C API, docs, installed-package consumer) and the
# GoogleTest units, through the check-quant4 target.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh"
cmake --build "$build" --target check-quant4
