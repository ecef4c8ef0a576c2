#!/usr/bin/env bash
# Regenerates the dialect and pass reference docs from the ODS/TableGen sources
# and copies them under docs/Dialects, docs/Interfaces and docs/Passes
# (test/Docs/generated-docs.test fails when the committed copies are stale).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
cmake --build "$build" --target mlir-doc
for d in Dialects Interfaces Passes; do
  rm -rf "$root/docs/$d"
  cp -r "$build/docs/$d" "$root/docs/$d"
done
echo "docs/Dialects, docs/Interfaces and docs/Passes updated from $build/docs"
