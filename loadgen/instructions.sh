#!/usr/bin/env bash
# instructions.sh counts the instructions one iteration of a Go benchmark
# executes, with valgrind's callgrind: an A/B measure that does not move
# with the machine's load. The benchmark VMs' speed varies by up to a
# factor of two between hours, so a small change cannot be seen in
# nanoseconds; its instruction count is the same from run to run (within
# about 1 %). Usage (from the repository root):
#
#   loadgen/instructions.sh PACKAGE BENCHMARK [GIT-REF...]
#   loadgen/instructions.sh ./pipeline 'PerfHandler/focused$' 335103a
#
# It builds the package's test binary from the working tree (and from each
# GIT-REF, in a temporary worktree), runs the benchmark 10 and then 70
# times under callgrind, and prints (I70 - I10) / 60: the setup (policy
# compilation, fixtures) cancels out. GOGC=off leaves garbage collection
# out, so the count is the call's own work; -benchmem's allocations say
# what the collector will have to do. GOMAXPROCS=1 and no asynchronous
# preemption keep callgrind's thread handling stable. Each run takes about
# a minute.
set -euo pipefail
PKG=${1:?package, e.g. ./pipeline}
BENCH=${2:?benchmark regexp, e.g. PerfHandler/focused\$}
shift 2
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
OUT=$(mktemp -d)
cleanup() {
  for w in "$OUT"/wt-*; do [ -d "$w" ] && git worktree remove --force "$w" 2>/dev/null; done
  rm -rf "$OUT"
  git worktree prune
}
trap cleanup EXIT

count() { # count DIR BINARY N: instructions of the whole run, in DIR/PKG
  (cd "$1/$PKG" && GOGC=off GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
    --callgrind-out-file="$OUT/cg.out" "$2" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$3x" \
    >"$OUT/run.log" 2>&1) || { cat "$OUT/run.log" >&2; exit 1; }
  grep -o 'Collected : [0-9]*' "$OUT/run.log" | awk '{print $3}'
}

measure() { # measure LABEL DIR BINARY
  local a b
  a=$(count "$2" "$3" 10)
  b=$(count "$2" "$3" 70)
  printf '%-12s %s %s instructions per iteration\n' "$1" "$BENCH" "$(( (b - a) / 60 ))"
}

go test -c -o "$OUT/work.test" "$PKG"
for ref in "$@"; do
  git worktree add -q "$OUT/wt-$ref" "$ref"
  (cd "$OUT/wt-$ref" && go test -c -o "$OUT/$ref.test" "$PKG")
  measure "$ref" "$OUT/wt-$ref" "$OUT/$ref.test"
done
measure "working tree" "$PWD" "$OUT/work.test"
