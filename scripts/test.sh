#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs every test: the lit/FileCheck
# suite (IR, plugin, C API, docs, installed-package consumer) and the
# GoogleTest units, through the check-quant4 target of the Release build;
# then the sanitizer suite (scripts/sanitize.sh: the same tests built with
# ASan + UBSan in build-san/, and every fuzz target for 30 s). CI (.ci/run)
# runs this, so both suites gate every change.
#
#   QUANT4_SANITIZE=0        skip the sanitizer suite (Release suite only).
#                            On a 2-core machine it adds 10-25 min: a fresh
#                            build-san ~9.5 min (a rebuild seconds to
#                            minutes), its lit run 6-13 min, fuzzing
#                            3.5 min (docs/Reliability.md, "Sanitizers")
#   QUANT4_FUZZ_SECONDS=N    seconds per fuzz target in it (default 30)
#
# The last line is "N passed, N failed", all results together: the lit tests
# of both builds (a GoogleTest binary's shard counts as one), one per fuzz
# target, and a build that fails counts as one failure. Exits 1 if anything
# failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
counts() { sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed$/\2 \3/p' "$1" | tail -1; }

passed=0 failed=0
if ! bash "$root/scripts/setup.sh"; then
  echo "test.sh: setup or the Release build failed" >&2
  failed=$((failed + 1))
else
  rm -f "$build/lit-results.xml"
  rc=0
  LIT_OPTS="${LIT_OPTS:-} --xunit-xml-output=$build/lit-results.xml" \
    cmake --build "$build" --target check-quant4 || rc=$?
  read -r p f < <(python3 "$root/scripts/lit-results.py" "$build/lit-results.xml") || true
  p=${p:-0} f=${f:-1}
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1 # lit failed without saying which test
  echo "Release suite: $p passed, $f failed"
  passed=$((passed + p)) failed=$((failed + f))
fi

if [ "${QUANT4_SANITIZE:-1}" != 0 ]; then
  mkdir -p "$build"
  bash "$root/scripts/sanitize.sh" "${QUANT4_FUZZ_SECONDS:-30}" 2>&1 | tee "$build/sanitize.log"
  read -r p f < <(counts "$build/sanitize.log") || true
  if [ -z "${p:-}" ]; then p=0 f=1; fi # the suite broke off before its summary
  passed=$((passed + p)) failed=$((failed + f))
else
  echo "test.sh: sanitizer suite skipped (QUANT4_SANITIZE=0)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
