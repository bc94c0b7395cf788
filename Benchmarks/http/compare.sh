#!/usr/bin/env bash
# Two soma builds side by side on the HTTP benchmark, in interleaved rounds whose order alternates (A B, B A,
# A B …, so that neither side always runs just after the other's writes settle), with the median of each side
# and each round's ratio: how much a change costs on the request path, measured in one run on one machine.
#   Benchmarks/http/compare.sh OLD_SOMA NEW_SOMA            # 5 rounds of 10 s each side, 32 connections
#   ROUNDS=7 DURATION=15s Benchmarks/http/compare.sh …
# Build the older one from its commit in a worktree of its own, for example:
#   git worktree add /tmp/soma-base COMMIT && (cd /tmp/soma-base && swift build -c release --product soma)
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1 new=$2
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"; $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null; }; }

work=$(mktemp -d)
cleanup() {
  for side in old new; do SOMA_HOME="$work/$side" "${!side}" stop --app bench >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cp Benchmarks/http/bench.cell "$work/bench.cell"

# The CPU ticks of one side's processes (supervisor, worker, queues): all of them name its home.
ticks_of() { local total=0; for pid in $(pgrep -f "$work/$1/" || true); do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo $total; }
port_of() { SOMA_HOME="$work/$1" "${!1}" status --app bench --json | python3 -c "import json,sys; print(json.load(sys.stdin)['port'])"; }
for side in old new; do
  SOMA_HOME="$work/$side" "${!side}" launch "$work/bench.cell" >/dev/null
done

echo "== $(nproc) cores, $(uname -r); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds, POST /Bench/put"
declare -A rates latencies
ratios=""
for round in $(seq "$ROUNDS"); do
  order="old new"; [ $((round % 2)) = 0 ] && order="new old"
  for side in $order; do
    other=old; [ "$side" = old ] && other=new
    idle_before=$(ticks_of $other) busy_before=$(ticks_of $side)
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s Benchmarks/http/unique-put.lua "http://127.0.0.1:$(port_of $side)")
    rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    rates[$side]+="$rate "
    latencies[$side]+="$p99 "
    busy_after=$(ticks_of $side) idle_after=$(ticks_of $other)
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    cpu=$(python3 -c "t = $(getconf CLK_TCK); print(f'{($busy_after - $busy_before) / t * 1e6 / $requests:.1f} µs of CPU a request; the idle app used {($idle_after - $idle_before) / t:.2f} s')")
    echo "round $round $side: $rate req/s, p99 $p99, $cpu"
  done
  ratios+="$(python3 -c "print(f'{$(awk '{ print $NF }' <<<"${rates[new]}") / $(awk '{ print $NF }' <<<"${rates[old]}"):.3f}')") "
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
old_rate=$(median <<<"${rates[old]}") new_rate=$(median <<<"${rates[new]}")
echo "median: old $old_rate req/s, new $new_rate req/s, new/old $(python3 -c "print(f'{$new_rate / $old_rate:.3f}')")"
echo "new/old per round: $ratios"
echo "p99 per round: old ${latencies[old]}| new ${latencies[new]}"
