#!/usr/bin/env bash
# storm-ab.sh compares cold and storm throughput at saturation between an
# earlier revision and the working tree, in one run, interleaved: each
# round runs cold (no caches) and storm (serve's default caches) on the
# old server, then on the new one, 20 s each with 4 workers. Usage (from
# the repository root):
#
#   loadgen/storm-ab.sh OLD_REV [ROUNDS]     # e.g. loadgen/storm-ab.sh 28dd57a 3
#
# It prints lgbench's report per run (throughput per hook, latencies, the
# server's CPU per call), each server's peak RSS and the caches' counters
# at the end; the
# measurements of docs/performance.md are in docs/bench/28-storm-*.txt.
set -euo pipefail
OLD=${1:?usage: loadgen/storm-ab.sh OLD_REV [ROUNDS]}
ROUNDS=${2:-3}
OUT=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; git worktree remove --force "$OUT/old" 2>/dev/null || true; }
trap cleanup EXIT

git worktree add -q --detach "$OUT/old" "$OLD"
(cd "$OUT/old" && go build -o "$OUT/lg.old" ./cmd/labelguard)
go build -o "$OUT/lg.new" ./cmd/labelguard
go build -o "$OUT/lgbench" ./loadgen/cmd/lgbench

wait_up() { for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server $1 did not start" >&2; return 1; }
serve() { # name port binary [flags...]
  local name=$1 port=$2 bin=$3; shift 3
  "$bin" serve --addr "127.0.0.1:$port" --log-level warn --data-dir "$OUT/data-$name" "$@" 2>"$OUT/$name.log" &
  PIDS+=("$!")
  wait_up "http://127.0.0.1:$port/healthz"
}
NOCACHE=(--prefetch-cache-ttl 0 --decision-cache-ttl 0)
serve cold-old 19080 "$OUT/lg.old" "${NOCACHE[@]}"
serve cold-new 19081 "$OUT/lg.new" "${NOCACHE[@]}"
serve storm-old 19082 "$OUT/lg.old"
serve storm-new 19083 "$OUT/lg.new"
pid() { echo "${PIDS[$1]}"; }

echo "== $(nproc) cores; old $OLD, new $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'); load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  i=0
  for run in "cold-old 19080 cold" "cold-new 19081 cold" "storm-old 19082 storm" "storm-new 19083 storm"; do
    read -r name port mode <<<"$run"
    echo "== round $round: $name (load $(cut -d' ' -f1 /proc/loadavg))"
    "$OUT/lgbench" --url "http://127.0.0.1:$port" --rate 0 --workers 4 --duration 20s --mode "$mode" --server-pid "$(pid $i)" | grep -v '^$'
    i=$((i + 1))
  done
done
for i in 0 1 2 3; do
  echo "== peak RSS of server $((19080 + i)): $(grep VmHWM "/proc/$(pid $i)/status" | awk '{print $2, $3}')"
done
for port in 19082 19083; do
  echo "== caches of the storm server on $port"
  curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^labelguard_(prefetch|decision)_cache_((order|derived)_)?(hits_total|misses_total|entries|bytes)' || true
done
