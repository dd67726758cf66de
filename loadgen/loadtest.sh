#!/usr/bin/env bash
# loadtest.sh runs the load tests of docs/performance.md against servers it
# starts on loopback: labelguard with authentication off, with ES256 and
# with ES384 client JWTs, and opa run --server on the same policies and
# data. Usage (from the repository root):
#
#   loadgen/loadtest.sh [RATE] [DURATION] [SOAK]     # defaults: 500 60s 5m
#
# It needs the opa CLI (go install github.com/open-policy-agent/opa@v1.22.2)
# for the comparison; without it that part is skipped.
set -euo pipefail
RATE=${1:-500}
DURATION=${2:-60s}
SOAK=${3:-5m}
OUT=$(mktemp -d)
OPA=${OPA:-$(command -v opa || echo "$HOME/go/bin/opa")}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

go build -o "$OUT/labelguard" ./cmd/labelguard
go build -o "$OUT/lgbench" ./loadgen/cmd/lgbench
B="$OUT/lgbench"

wait_up() { for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server $1 did not start" >&2; return 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(go version)"
echo "== load before: $(cat /proc/loadavg)"

# Authentication off.
# The prefetch and decision caches are off (--prefetch-cache-ttl 0
# --decision-cache-ttl 0) wherever parsing and evaluation must be
# measured: the corpus comes round again every second or so, and the
# caches would otherwise serve every repeat. They get their own runs below
# (warm: the prefetch cache; storm: both, as serve runs by default).
NOCACHE="--prefetch-cache-ttl 0 --decision-cache-ttl 0"
"$OUT/labelguard" serve --addr 127.0.0.1:18080 --log-level warn --data-dir "$OUT/data" --debug-addr 127.0.0.1:16060 $NOCACHE 2>"$OUT/serve.log" &
SPID=$!; PIDS+=("$SPID")
wait_up http://127.0.0.1:18080/healthz
"$B" --url http://127.0.0.1:18080 --rate "$RATE" --duration "$DURATION" --mode both --server-pid "$SPID"
# Saturation, with a CPU profile of the server over its middle 15 s.
( sleep 3; curl -fsS -o "$OUT/saturation-cpu.prof" "http://127.0.0.1:16060/debug/pprof/profile?seconds=15" ) &
PROF=$!
"$B" --url http://127.0.0.1:18080 --rate 0 --workers 4 --duration 20s --mode cold --server-pid "$SPID"
if wait "$PROF"; then
  # OPA's evaluator recurses deeper than the profiler records stacks, so
  # cumulative times under-count it: group the flat (self) time instead.
  echo "== CPU profile at saturation ($OUT/saturation-cpu.prof), self time by component:"
  go tool pprof -top -nodecount 100000 -nodefraction 0 -edgefraction 0 "$OUT/labelguard" "$OUT/saturation-cpu.prof" 2>/dev/null | awk '
    $2 ~ /%$/ && NF >= 6 {
      f = $6; t = $2; sub(/%/, "", t)
      if (f ~ /open-policy-agent/) g = "OPA evaluation (topdown, ast)"
      else if (f ~ /^encoding\/json|go-json-experiment/) g = "JSON: encoding/json and encoding/json/v2 (request, prefetch, responses)"
      else if (f ~ /^runtime\.(gc|scan|mark|sweep|bgsweep|wbBuf|findObject|greyobject|tryDefer|spanOf|spanClass|heapArenaOf|extractHeapBits|typePointers|bulkBarrier|\(\*(gcWork|mspan|gcBits|gcControllerState|sweepLocked)\))|^internal\/runtime\/gc|^gcWriteBarrier/) g = "garbage collection (marking, sweeping, write barriers)"
      else if (f ~ /^runtime\.(malloc|nextFree|memclr|(\(\*mcache\))|(\(\*mcentral\))|newobject|makeslice|growslice|mapassign|rawstring|concatstring)/) g = "allocation"
      else if (f ~ /labelguard/) g = "labelguard code"
      else if (f ~ /google\/fhir|protobuf/) g = "google/fhir/go (draft orders)"
      else if (f ~ /^(net|syscall|internal\/poll|internal\/runtime\/syscall|crypto|bufio)/ || f ~ /gin-gonic/) g = "HTTP, syscalls, gin"
      else if (f ~ /sqlite|modernc/) g = "SQLite (audit)"
      else g = "other (runtime, maps, strings, ...)"
      sum[g] += t
    }
    END { for (g in sum) printf "  %5.1f %%  %s\n", sum[g], g }' | sort -rn
fi

# OPA over REST with the input labelguard derives, same rate.
if [ -x "$OPA" ]; then
  go run ./internal/tools/policydata policies >"$OUT/data.json"
  "$OPA" run --server --addr 127.0.0.1:18181 --log-level error policies/lib policies/rules loadgen/opa "$OUT/data.json" 2>"$OUT/opa.log" &
  OPID=$!; PIDS+=("$OPID")
  wait_up http://127.0.0.1:18181/health
  "$B" --url http://127.0.0.1:18080 --opa-url http://127.0.0.1:18181 --rate "$RATE" --duration "$DURATION" --mode cold --server-pid "$SPID" --opa-pid "$OPID"
fi

# Warm with the prefetch cache, its TTL shorter than the corpus cycle, so
# that an order-sign reuses only its own order-select's decoding (the
# decision cache off: the corpus's repeats would hit it).
"$OUT/labelguard" serve --addr 127.0.0.1:18083 --log-level warn --data-dir "$OUT/data-cache" --prefetch-cache-ttl 1s --decision-cache-ttl 0 2>"$OUT/serve-cache.log" &
CPID=$!; PIDS+=("$CPID")
wait_up http://127.0.0.1:18083/healthz
echo "(prefetch cache on, TTL 1s)"
"$B" --url http://127.0.0.1:18083 --rate "$RATE" --duration "$DURATION" --mode warm --server-pid "$CPID"
curl -fsS http://127.0.0.1:18083/metrics | grep -E '^labelguard_prefetch_cache' || true
kill "$CPID"

# Storm: order sessions (four order-selects while the order is edited,
# then order-sign; each session a patient of its own) against serve with
# its default caches, at the rate and at saturation, the saturation runs
# interleaved with cold ones on the cacheless server above; a CPU profile
# of the second storm saturation, by stage.
"$OUT/labelguard" serve --addr 127.0.0.1:18084 --log-level warn --data-dir "$OUT/data-storm" --debug-addr 127.0.0.1:16064 2>"$OUT/serve-storm.log" &
TPID=$!; PIDS+=("$TPID")
wait_up http://127.0.0.1:18084/healthz
echo "(default caches: prefetch and decision, TTL 2m)"
"$B" --url http://127.0.0.1:18084 --rate "$RATE" --duration "$DURATION" --mode storm --server-pid "$TPID"
for round in 1 2; do
  "$B" --url http://127.0.0.1:18080 --rate 0 --workers 4 --duration 20s --mode cold --server-pid "$SPID"
  if [ "$round" = 2 ]; then
    ( sleep 3; curl -fsS -o "$OUT/storm-cpu.prof" "http://127.0.0.1:16064/debug/pprof/profile?seconds=15" ) &
    PROF=$!
  fi
  "$B" --url http://127.0.0.1:18084 --rate 0 --workers 4 --duration 20s --mode storm --server-pid "$TPID"
done
if wait "$PROF"; then
  echo "== CPU profile of the storm at saturation ($OUT/storm-cpu.prof), by stage:"
  go tool pprof -tags "$OUT/labelguard" "$OUT/storm-cpu.prof" 2>/dev/null | sed -n '/stage/,/^$/p'
fi
curl -fsS http://127.0.0.1:18084/metrics | grep -E '^labelguard_(prefetch|decision)_cache' || true
kill "$TPID"

# Memory soak (RSS from /proc).
"$B" --url http://127.0.0.1:18080 --rate "$RATE" --soak "$SOAK" --sample 15s --server-pid "$SPID"
kill "$SPID"

# Authentication on: one JWT per request, ES256 then ES384.
"$B" --write-issuer "$OUT/keys" --issuer https://bench.labelguard.test
"$OUT/labelguard" serve --addr 127.0.0.1:18082 --log-level warn --auth required $NOCACHE --data-dir "$OUT/data-auth" \
  --trusted-issuers "$OUT/keys/trusted-issuers.json" --base-url http://127.0.0.1:18082 2>"$OUT/serve-auth.log" &
APID=$!; PIDS+=("$APID")
wait_up http://127.0.0.1:18082/healthz
for alg in es256 es384; do
  "$B" --url http://127.0.0.1:18082 --rate "$RATE" --duration "$DURATION" --mode cold \
    --sign-key "$OUT/keys/$alg.pem" --kid "$alg" --issuer https://bench.labelguard.test --server-pid "$APID"
done
echo "== load after: $(cat /proc/loadavg)"
