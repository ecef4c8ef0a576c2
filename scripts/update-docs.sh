#!/usr/bin/env bash
# Regenerates the dialect and pass reference docs from the ODS/TableGen sources
# and copies them under docs/ (test/Docs/generated-docs.test fails when the
# committed copies are stale).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
cmake --build "$build" --target mlir-doc
for f in Dialects/Quant4Dialect.md Passes/Quant4Passes.md; do
  mkdir -p "$root/docs/$(dirname "$f")"
  cp "$build/docs/$f" "$root/docs/$f"
done
echo "docs/Dialects and docs/Passes updated from $build/docs"
