#!/usr/bin/env bash
# Futex calls, context switches and CPU per request of the worker under the HTTP benchmark's load (perf stat
# over 8 s after a 3 s warm-up), for several soma builds in turns, each on a fresh app that runs alone: how
# much a change costs in synchronization, where throughput alone is too noisy to tell.
#   Benchmarks/http/syscalls_per_request.sh ROUNDS SOMA [SOMA ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; shift
command -v perf >/dev/null || { echo "syscalls_per_request.sh needs perf (linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"; $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; }; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Benchmarks/http/bench.cell "$work/bench.cell"
for round in $(seq "$rounds"); do
  for soma in "$@"; do
    export SOMA_HOME="$work/home"
    rm -rf "$SOMA_HOME"
    "$soma" launch "$work/bench.cell" --name bench >/dev/null
    status=$("$soma" status --app bench --json)
    port=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['port'])" "$status")
    worker=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['worker_pid'])" "$status")
    url="http://127.0.0.1:$port"
    wrk -t2 -c32 -d3s -s Benchmarks/http/unique-put.lua "$url" >/dev/null
    wrk -t2 -c32 -d9s -s Benchmarks/http/unique-put.lua "$url" > "$work/wrk.txt" &
    sleep 0.5
    perf stat -x, -e task-clock,context-switches,syscalls:sys_enter_futex -p "$worker" -- sleep 8 2> "$work/stat.txt"
    wait
    python3 - "$soma" "$round" "$work/wrk.txt" "$work/stat.txt" <<'PY'
import sys
soma, round_, wrk, stat = sys.argv[1:]
text = open(wrk).read()
rate = float(text.split("Requests/sec:")[1].split()[0])
requests = rate * 8
counts = {}
for line in open(stat):
    fields = line.strip().split(",")
    if len(fields) > 2 and fields[0].replace(".", "").isdigit():
        counts[fields[2]] = float(fields[0])
print(f"round {round_} {soma}: {rate:.0f} req/s, {counts.get('syscalls:sys_enter_futex', 0) / requests:.2f} futex calls, "
      f"{counts.get('context-switches', 0) / requests:.2f} context switches, {counts.get('task-clock', 0) * 1000 / requests:.0f} µs of CPU a request")
PY
    "$soma" stop --app bench >/dev/null
  done
done
