#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs every test: the lit/FileCheck
# suite (IR, plugin, C API, docs, installed-package consumer) and the
# GoogleTest units, through the check-quant4 target of the Release build;
# then, with QUANT4_SANITIZE=1, the sanitizer suite (scripts/sanitize.sh:
# the same tests built with
# ASan + UBSan, and every fuzz target for 30 s).
#
#   QUANT4_SANITIZE=1        run the sanitizer suite too. Opt-in for now: the
#                            JIT-running tests (quant4-run) failed under ASan
#                            in its last full run (docs/Reliability.md)
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

if [ "${QUANT4_SANITIZE:-0}" != 0 ]; then
  mkdir -p "$build"
  bash "$root/scripts/sanitize.sh" "${QUANT4_FUZZ_SECONDS:-30}" 2>&1 | tee "$build/sanitize.log"
  read -r p f < <(counts "$build/sanitize.log") || true
  if [ -z "${p:-}" ]; then p=0 f=1; fi # the suite broke off before its summary
  passed=$((passed + p)) failed=$((failed + f))
else
  echo "test.sh: sanitizer suite not run (QUANT4_SANITIZE=1 runs it)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
