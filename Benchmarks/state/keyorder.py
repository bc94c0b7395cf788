#!/usr/bin/env python3
"""What a whole-Map operation costs over a Map that memory does not hold (issue 18, docs/state.md step 3). A cell
keeps a Map of Ints whose stored keys' text sorts otherwise than the Ints, under a cache much smaller than it.
For each soma binary in turns, on a home filled by SQL with rows exactly as that build's worker writes them:

- `keys` (m.keys().count(): every entry read in key order), one at a time: p50 and p99;
- `put` (one write, which now also keeps the order-key index), one at a time: p50 and p99;
- with --over N: a Map of N entries, past the step budget (10^6): how long the turn that fails takes, and the
  worker's resident memory after it;
- with --backfill N: a home of N entries filled as the first soma writes them (an older build: no order keys),
  opened by the last soma, which gives the rows their order keys in the background: how long that takes (its log
  line), and the `keys` turn before it is done.

Usage: keyorder.py [--entries N] [--turns T] [--over N] [--backfill N] SOMA ..."""
import argparse, os, sqlite3, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stored_rows  # noqa: E402
import soma_home  # noqa: E402
from soma_home import percentile, post, resident_mb, soma  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--entries", type=int, default=100_000)
parser.add_argument("--turns", type=int, default=30)
parser.add_argument("--over", type=int, default=0)
parser.add_argument("--backfill", type=int, default=0)
parser.add_argument("somas", nargs="+")
arguments = parser.parse_args()

program = """
cell Book {
  face {
    signal put(k: Int, v: Int) -> Int
    signal keys() -> Int
  }
  memory {
    m: Map<Int, Int> [persistent]
  }
  on put(k: Int, v: Int) { m.set(k, v); v }
  on keys() { m.keys().count() }
}
"""


def call(port, signal, body):
    return post(port, f"/Book/{signal}", body, timeout=300)


def status(binary, home):
    return soma_home.status(binary, home, "book")


def fill(binary, home, entries):
    """One put through the worker (the row's shape and version are its own), then the rest by SQL: keys spread
    over negative and positive Ints, so that their stored text sorts otherwise than they do."""
    soma(binary, home, "launch", "book.cell")
    call(status(binary, home)["port"], "put", {"k": 0, "v": 0})
    soma(binary, home, "stop", "--app", "book")
    database = sqlite3.connect(os.path.join(home, "home", "apps", "book", "state", "state.sqlite"))
    (version,) = database.execute("SELECT version FROM slot_values WHERE slot = 'm'").fetchone()
    for start in range(1, entries, 100_000):
        stored_rows.insert(database, "Book", "m", version, [(key, n % 100) for n in range(start, min(entries, start + 100_000))
                                                           if (key := (n * 7919) % (4 * entries) - 2 * entries) != 0])
        database.commit()
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()


def new_home(binary, entries):
    home = tempfile.mkdtemp(prefix="soma-keyorder-")
    with open(os.path.join(home, "book.cell"), "w") as file:
        file.write(program)
    with open(os.path.join(home, "soma.toml"), "w") as file:
        file.write('[memory]\ncache = "4MB"\n')
    fill(binary, home, entries)
    return home


def state_mb(home):
    return os.path.getsize(os.path.join(home, "home", "apps", "book", "state", "state.sqlite")) / 2**20


def run(binary, entries, turns):
    home = new_home(binary, entries)
    stored = state_mb(home)
    soma(binary, home, "launch", "book.cell")
    port = status(binary, home)["port"]
    times = {"keys": [], "put": []}
    failed, bodies = {"keys": 0, "put": 0}, {}
    for turn in range(turns):
        for signal, payload in (("keys", {}), ("put", {"k": 3 * entries + turn, "v": 1})):
            elapsed, code, text = call(port, signal, payload)
            times[signal].append(elapsed)
            if code != 200:
                failed[signal] += 1
                bodies[signal] = text[:160].decode(errors="replace")
    memory = resident_mb(status(binary, home)["worker_pid"])
    soma(binary, home, "stop", "--app", "book", check=False)
    subprocess.run(["rm", "-rf", home])
    return times, failed, bodies, memory, stored


def backfill(older, newer, entries):
    home = new_home(older, entries)
    soma(newer, home, "launch", "book.cell")
    elapsed, code, _ = call(status(newer, home)["port"], "keys", {})
    log = os.path.join(home, "home", "apps", "book", "logs", "app.log")
    line = None
    for _ in range(1200):
        with open(log) as file:
            line = next((found for found in file if "their order key" in found), None)
        if line:
            break
        time.sleep(0.5)
    soma(newer, home, "stop", "--app", "book", check=False)
    subprocess.run(["rm", "-rf", home])
    return elapsed, code, (line or "no backfill logged in 10 minutes").strip()


print(f"== {os.cpu_count()} cores; {arguments.entries:,} entries under a 4MB cache; {arguments.turns} turns of each kind", flush=True)
for binary in arguments.somas:
    times, failed, bodies, memory, stored = run(binary, arguments.entries, arguments.turns)
    print(f"{binary}: state.sqlite {stored:.1f} MB")
    for signal in ("keys", "put"):
        note = f", {failed[signal]} failed: {bodies[signal]}" if failed[signal] else ""
        print(f"  {signal}: p50 {percentile(times[signal], 0.5):.2f} ms, p99 {percentile(times[signal], 0.99):.2f} ms{note}")
    print(f"  worker resident: {memory:.0f} MB", flush=True)
if arguments.over:
    print(f"== {arguments.over:,} entries, past the step budget: one `keys` turn", flush=True)
    for binary in arguments.somas:
        times, failed, bodies, memory, _ = run(binary, arguments.over, 1)
        print(f"{binary}: keys {times['keys'][0]:.0f} ms ({'failed: ' + bodies['keys'] if failed['keys'] else 'served'}); worker resident after: {memory:.0f} MB", flush=True)
if arguments.backfill:
    print(f"== {arguments.backfill:,} entries written by {arguments.somas[0]}, opened by {arguments.somas[-1]}", flush=True)
    elapsed, code, line = backfill(arguments.somas[0], arguments.somas[-1], arguments.backfill)
    print(f"  keys while the backfill runs: {elapsed:.0f} ms ({code})\n  {line}", flush=True)
