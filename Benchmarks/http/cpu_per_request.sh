#!/usr/bin/env bash
# The worker's CPU time per request under the HTTP benchmark's load, for several soma builds in turns, each
# on a fresh app that runs alone (compare.sh keeps every side's app running at once). Reads the worker's
# utime + stime from /proc over an 8 s run after a 3 s warm-up. With SYSCALLS=1 it also counts the worker's
# futex calls and context switches a request (perf stat over the same run): what a change costs in
# synchronization, where throughput alone is too noisy to tell.
#   Benchmarks/http/cpu_per_request.sh ROUNDS SOMA [SOMA ...]
#   SYSCALLS=1 Benchmarks/http/cpu_per_request.sh ROUNDS SOMA [SOMA ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; shift
SYSCALLS=${SYSCALLS:-0}
[ "$SYSCALLS" = 0 ] || command -v perf >/dev/null || { echo "SYSCALLS=1 needs perf (linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"; $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; }; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Benchmarks/http/bench.cell "$work/bench.cell"
ticks=$(getconf CLK_TCK)
for round in $(seq "$rounds"); do
  for soma in "$@"; do
    export SOMA_HOME="$work/home"
    rm -rf "$SOMA_HOME"
    "$soma" launch "$work/bench.cell" --name bench >/dev/null
    status=$("$soma" status --app bench --json)
    port=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['port'])" "$status")
    worker=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['worker_pid'])" "$status")
    cpu() { awk '{print $14 + $15}' "/proc/$worker/stat"; }
    wrk -t2 -c32 -d3s -s Benchmarks/http/unique-put.lua "http://127.0.0.1:$port" >/dev/null
    [ "$SYSCALLS" = 0 ] || { perf stat -x, -e context-switches,syscalls:sys_enter_futex -p "$worker" 2> "$work/stat.txt" & perf=$!; }
    before=$(cpu)
    out=$(wrk -t2 -c32 -d8s -s Benchmarks/http/unique-put.lua "http://127.0.0.1:$port")
    after=$(cpu)
    syscalls=""
    if [ "$SYSCALLS" != 0 ]; then
      kill -INT $perf; wait $perf || true
      syscalls=$(awk -F, -v requests="$(awk '/requests in/ {print $1}' <<<"$out")" \
        '$3 == "context-switches" { switches = $1 } $3 == "syscalls:sys_enter_futex" { futex = $1 }
         END { printf ", %.2f futex calls and %.2f context switches a request", futex / requests, switches / requests }' "$work/stat.txt")
    fi
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    echo "round $round $soma: $rate req/s, worker CPU per request $(python3 -c "print(round(($after - $before) / $ticks * 1e6 / $requests, 1))") µs$syscalls"
    "$soma" stop --app bench >/dev/null
  done
done
