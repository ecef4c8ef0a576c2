#!/usr/bin/env bash
# The sanitizer suite: builds <repo>/build-san with AddressSanitizer +
# UndefinedBehaviorSanitizer (QUANT4_ENABLE_SANITIZERS) and the libFuzzer
# targets (QUANT4_ENABLE_FUZZERS), runs the GoogleTest units and the whole
# lit suite there (check-quant4), then every fuzz target for FUZZ_SECONDS
# (scripts/fuzz.sh). scripts/test.sh runs it after the Release suite.
#
#   bash scripts/sanitize.sh [FUZZ_SECONDS]   default 30; 0: no fuzzing
#   bash scripts/sanitize.sh --build-only     configure and build only
#
#   QUANT4_SAN_BUILD_DIR  build directory (default: <repo>/build-san)
#   QUANT4_JOBS           parallel build jobs (default: ninja's)
#
# A sanitizer report from any process a test starts fails that test, with
# the report in the test's output (test/sanitizers/quant4_sanitizers.py).
# The last line is "sanitizer suite: N passed, N failed" (the lit results of
# this build, plus one test per fuzz target); exits 1 if anything failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
san=${QUANT4_SAN_BUILD_DIR:-$root/build-san}
llvm=/usr/lib/llvm-22
build_only=0 fuzz_seconds=30
case "${1:-}" in
  --build-only) build_only=1 ;;
  "") ;;
  *[!0-9]*) echo "usage: sanitize.sh [FUZZ_SECONDS | --build-only]" >&2; exit 2 ;;
  *) fuzz_seconds=$1 ;;
esac
jobs=()
[ -n "${QUANT4_JOBS:-}" ] && jobs=(-j "$QUANT4_JOBS")

bash "$root/scripts/setup.sh" --no-build

source "$root/scripts/cmake-flags.sh"
mkdir -p "$san"
if foreign_compiler "$san"; then
  rm -rf "$san/CMakeCache.txt" "$san/CMakeFiles"
fi
# -O1: what the sanitizers are meant for (accurate stacks, checks not
# optimized away) and quicker to compile than -O3; assertions stay off as in
# the Release build, so both suites test the same code. (Quant4Kernels keeps
# its own -O3.)
cmake -G Ninja -S "$root" -B "$san" \
  -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG" \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" \
  -DQUANT4_ENABLE_SANITIZERS=ON \
  -DQUANT4_ENABLE_FUZZERS=ON \
  "${cmake_flags[@]}" > "$san/configure.log" 2>&1 || { cat "$san/configure.log" >&2; exit 1; }

if [ "$build_only" = 1 ]; then
  cmake --build "$san" "${jobs[@]}"
  exit 0
fi

# Results: "PASSED FAILED" from lines "... N passed, N failed".
counts() { sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed$/\2 \3/p' "$1" | tail -1; }

passed=0 failed=0
start=$(date +%s)
if ! cmake --build "$san" "${jobs[@]}"; then
  echo "sanitize.sh: the sanitizer build failed" >&2
  failed=1
else
  echo "sanitize.sh: build $(( $(date +%s) - start )) s"
  start=$(date +%s)
  rm -f "$san/lit-results.xml"
  rc=0
  LIT_OPTS="${LIT_OPTS:-} --xunit-xml-output=$san/lit-results.xml" \
    cmake --build "$san" "${jobs[@]}" --target check-quant4 || rc=$?
  read -r p f < <(python3 "$root/scripts/lit-results.py" "$san/lit-results.xml") || true
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1 # lit failed without saying which test
  passed=$((passed + p)) failed=$((failed + f))
  echo "sanitize.sh: lit $(( $(date +%s) - start )) s: $p passed, $f failed"

  if [ "$fuzz_seconds" -gt 0 ]; then
    start=$(date +%s)
    rc=0
    bash "$root/scripts/fuzz.sh" --no-build "$fuzz_seconds" 2>&1 | tee "$san/fuzz.log" || rc=$?
    read -r p f < <(counts "$san/fuzz.log") || true
    if [ -z "${p:-}" ]; then p=0 f=1; fi # fuzz.sh broke off: count it
    [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
    passed=$((passed + p)) failed=$((failed + f))
    echo "sanitize.sh: fuzzing $(( $(date +%s) - start )) s"
  fi
fi
echo "sanitizer suite: $passed passed, $failed failed"
[ "$failed" = 0 ]
