#!/usr/bin/env bash
# Compares the outputs of two quant4 builds, e.g. before and after a change
# meant to keep behaviour ("no change of behaviour": issue 16):
#
#   git worktree add /tmp/q4-old <commit>      # configured like build/
#   cmake -G Ninja -S /tmp/q4-old -B /tmp/q4-old/build ... && cmake --build /tmp/q4-old/build
#   bash scripts/compare-builds.sh /tmp/q4-old/build build [WORK_DIR] [PART...]
#
# Both builds run the inputs of this checkout -- every lit test's RUN lines
# (IR text, .npy results of quant4-run and quant4-sim, Q4A binaries and
# assembly, statuses and messages), the examples through every recipe and
# pipeline, the 64-layer benchmark step, and short `quant4-run train` runs
# (metrics CSV without its timing columns) -- and every output is compared
# byte for byte, timings masked. A build that does not know a pass by its
# current name gets its earlier one. PART: run-lines, examples, train
# (default: all three); QUANT4_COMPARE_TESTS=REGEX limits run-lines to the
# tests whose path (under test/) matches; QUANT4_COMPARE_EXPECTED=FILE lists
# intended changes (a regex of the difference's key per line, "  # why"),
# reported as EXPECTED. Details and masks: scripts/compare-builds.py. Prints
# each difference and a summary ("N identical, M different, K only in one
# build, E expected differences"), also in WORK_DIR/report.txt (default
# WORK_DIR: /tmp/quant4-compare); blobs of every output are kept under
# WORK_DIR/{old,new}/blobs for diffing. Exit status 1 when anything differs
# that is not expected. Takes ~2x the test suite's time plus ~5 min.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -lt 2 ]; then
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
work=${3:-/tmp/quant4-compare}
shift $(( $# < 3 ? $# : 3 ))
for b in "$old" "$new"; do
  for t in quant4-opt quant4-translate quant4-run quant4-sim quant4-ref; do
    [ -x "$b/bin/$t" ] || { echo "compare-builds: $b/bin/$t is missing (build it first)" >&2; exit 2; }
  done
done
exec python3 "$root/scripts/compare-builds.py" "$old" "$new" "$work" "$@"
