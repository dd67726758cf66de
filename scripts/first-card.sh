#!/usr/bin/env bash
# Measures the time from `git clone` to the first card, as a first-time
# user meets it, following the README: clone, start the service
# (go run ./cmd/labelguard serve), then send the first card's request
# (go run ./scripts/example-request | curl ...) once the service is ready.
#
#   scripts/first-card.sh [--warm] [REPO]
#
# REPO is what to clone (default: this checkout, so that the network to the
# Git host is not measured). The Go build and module caches start empty
# (in a temporary directory), so compiling and downloading the modules
# from GOPROXY are measured, as on a fresh machine; --warm keeps this
# machine's caches instead (a second clone). The service listens on
# 127.0.0.1:$PORT (default 18080; the README's 8080 may be taken).
# Nothing outside the temporary directory is written; the service started
# here is stopped at the end.
set -euo pipefail

warm=false
if [ "${1:-}" = "--warm" ]; then warm=true; shift; fi
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="${1:-$here}"
port="${PORT:-18080}"

for tool in git go curl jq; do
  command -v "$tool" >/dev/null || { echo "first-card: $tool is needed" >&2; exit 1; }
done
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "first-card: 127.0.0.1:$port is taken; set PORT" >&2; exit 1
fi

work="$(mktemp -d)"
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then
    # go run starts the service as its child: stop the process group.
    kill -TERM -- "-$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! $warm; then
  export GOCACHE="$work/gocache" GOMODCACHE="$work/gomodcache"
fi
export GOFLAGS="${GOFLAGS:-} -modcacherw"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "first-card: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3), caches $($warm && echo warm || echo empty)"
t0=$(now)
git clone -q "$repo" "$work/labelguard"
cd "$work/labelguard"
t1=$(now)

setsid go run ./cmd/labelguard serve --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
serve_pid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "first-card: serve exited:" >&2; tail -20 "$work/serve.log" >&2; exit 1
  fi
  sleep 0.5
done
t2=$(now)

cards="$(go run ./scripts/example-request | curl -s -X POST "127.0.0.1:$port/cds-services/jak-order-sign" \
  -H 'Content-Type: application/json' -d @- | jq -c '.cards[] | {indicator, summary}')"
t3=$(now)
n="$(printf '%s\n' "$cards" | grep -c indicator || true)"
if [ "$n" -eq 0 ]; then
  echo "first-card: no card came back" >&2; exit 1
fi
printf '%s\n' "$cards"
echo "first-card: clone $(secs "$t0" "$t1") s, serve ready $(secs "$t1" "$t2") s, first card $(secs "$t2" "$t3") s;" \
  "git clone to the first card: $(secs "$t0" "$t3") s ($n cards)"
