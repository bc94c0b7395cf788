#!/usr/bin/env bash
# The HTTP benchmark of docs/performance.md: requests/s and latency of a signal whose turn writes one
# persistent Map entry, against a plain Hummingbird + GRDB server doing the same write in one transaction
# per request, and against the same server with a batching writer (concurrent requests' rows in one
# transaction); all SQLite WAL with synchronous = FULL, driven by wrk over keep-alive, in one run.
# Also: launch-to-serving time and the supervisor's and worker's resident memory.
#   Benchmarks/http/run.sh                  # 10 s per side, 32 connections
#   DURATION=30s CONNECTIONS=64 Benchmarks/http/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  # A fresh machine's package lists may be empty: update them only when the install needs it.
  $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; }
fi
swift build -c release --product soma 2>&1 | tail -n 1
swift build -c release --product soma-baseline 2>&1 | tail -n 1
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
export SOMA_HOME="$work/home"
cp Benchmarks/http/bench.cell "$work/bench.cell"
cleanup() { "$bin/soma" stop --app bench >/dev/null 2>&1 || true; [ -n "${baseline:-}" ] && kill "$baseline" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

rss() { awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$1/status"; }
field() { "$bin/soma" status --app bench --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r); wrk -t$THREADS -c$CONNECTIONS -d$DURATION"

start=$(date +%s%N)
"$bin/soma" launch "$work/bench.cell" >/dev/null
echo "launch to serving (first launch, new app home): $(( ($(date +%s%N) - start) / 1000000 )) ms"
port=$(field port)
echo "idle resident memory: supervisor $(rss "$(field supervisor_pid)"), worker $(rss "$(field worker_pid)")"

echo "== soma: POST /Bench/put (one persistent Map entry per turn)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s Benchmarks/http/unique-put.lua "http://127.0.0.1:$port" \
  | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
echo "resident memory after the load: supervisor $(rss "$(field supervisor_pid)"), worker $(rss "$(field worker_pid)")"
"$bin/soma" stop --app bench >/dev/null

times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  "$bin/soma" launch "$work/bench.cell" >/dev/null
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
  "$bin/soma" stop --app bench >/dev/null
done
rows=$(sqlite3 "$SOMA_HOME/apps/bench/state/state.sqlite" "SELECT count(*) FROM slot_values")
echo "launch to serving (relaunch with $rows stored entries to load, 5 runs): ${times[*]} ms"

echo "== baseline: Hummingbird + GRDB, one transaction per request"
"$bin/soma-baseline" "$work/baseline.sqlite" "$port" >/dev/null 2>&1 &
baseline=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s Benchmarks/http/unique-put.lua "http://127.0.0.1:$port" \
  | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
echo "baseline resident memory after the load: $(rss "$baseline")"
kill "$baseline"; wait "$baseline" 2>/dev/null || true

echo "== baseline: Hummingbird + GRDB, a batching writer (concurrent requests share one transaction and one sync)"
"$bin/soma-baseline" "$work/batching.sqlite" "$port" --batching >/dev/null 2>&1 &
baseline=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s Benchmarks/http/unique-put.lua "http://127.0.0.1:$port" \
  | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
echo "batching baseline resident memory after the load: $(rss "$baseline")"
