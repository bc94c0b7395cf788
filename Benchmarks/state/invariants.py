#!/usr/bin/env python3
"""What an invariant over a whole Map costs a turn (issue 18, docs/state.md "Invariants"). A cell keeps a Map of
N entries and their sum, and its invariant says the sum is right: `sum == items.values().sum()`. For each soma
binary in turns, on a home filled by SQL with rows exactly as the worker writes them:

- the first `put` after the relaunch (a build that keeps the sum reads the Map once, if it has not kept it);
- `put` (writes the Map and the sum: the invariant must hold again) and `hit` (writes another slot only), by HTTP,
  one at a time: p50 and p99;
- whether every turn succeeded (a Map past the step budget aborts each turn that scans it).

Usage: invariants.py [--entries N] [--turns T] SOMA ..."""
import argparse, os, sqlite3, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stored_rows  # noqa: E402
import soma_home  # noqa: E402
from soma_home import percentile, post, soma  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--entries", type=int, default=100_000)
parser.add_argument("--turns", type=int, default=200)
parser.add_argument("somas", nargs="+")
arguments = parser.parse_args()

program = """
cell Ledger {
  face {
    signal put(id: String, n: Int) -> Int
    signal hit() -> Int
  }
  memory {
    items: Map<String, Int> [persistent]
    sum: Int [persistent] = 0
    hits: Int [persistent] = 0
  }
  invariant summed { sum == items.values().sum() }
  on put(id: String, n: Int) { sum = sum - items.get(id).unwrap_or(0) + n; items.set(id, n); sum }
  on hit() { hits = hits + 1; hits }
}
"""


def call(port, signal, body):
    return post(port, f"/Ledger/{signal}", body)


def port_of(binary, home):
    return soma_home.status(binary, home, "ledger")["port"]


def fill(binary, home, entries):
    """One put through the worker (the rows' shapes and versions are its own), then the rest by SQL, sum included."""
    soma(binary, home, "launch", "ledger.cell")
    call(port_of(binary, home), "put", {"id": "k0", "n": 0})
    soma(binary, home, "stop", "--app", "ledger")
    database = sqlite3.connect(os.path.join(home, "home", "apps", "ledger", "state", "state.sqlite"))
    (version,) = database.execute("SELECT version FROM slot_values WHERE slot = 'items'").fetchone()
    for start in range(1, entries, 100_000):
        stored_rows.insert(database, "Ledger", "items", version, [(f"k{n}", n % 100) for n in range(start, min(entries, start + 100_000))])
    total = sum(n % 100 for n in range(1, entries))
    database.execute("INSERT OR REPLACE INTO slot_values (cell, slot, key, version, value) VALUES ('Ledger', 'sum', '', 1, ?)", (str(total),))
    # A sum kept while the Map held one entry would be stale now: the rows above were written behind the worker.
    if database.execute("SELECT 1 FROM sqlite_master WHERE name = 'slot_aggregates'").fetchone():
        database.execute("DELETE FROM slot_aggregates")
    database.commit()
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()




print(f"== {os.cpu_count()} cores; {arguments.entries:,} entries; {arguments.turns} turns of each kind, one at a time", flush=True)
for binary in arguments.somas:
    home = tempfile.mkdtemp(prefix="soma-invariants-")
    with open(os.path.join(home, "ledger.cell"), "w") as file:
        file.write(program)
    fill(binary, home, arguments.entries)
    soma(binary, home, "launch", "ledger.cell")
    port = port_of(binary, home)
    first, status, body = call(port, "put", {"id": "k1", "n": 1})
    times = {"put": [], "hit": []}
    failed = {"put": 0, "hit": 0}
    bodies = {}
    for turn in range(arguments.turns):
        for signal, payload in (("put", {"id": f"k{(turn * 7919) % arguments.entries}", "n": turn % 100}), ("hit", {})):
            elapsed, code, text = call(port, signal, payload)
            times[signal].append(elapsed)
            if code != 200:
                failed[signal] += 1
                bodies[signal] = text[:160].decode(errors="replace")
    print(f"{binary}:")
    print(f"  first put after the relaunch: {first:.1f} ms ({status})")
    for signal in ("put", "hit"):
        note = f", {failed[signal]} failed: {bodies[signal]}" if failed[signal] else ""
        print(f"  {signal}: p50 {percentile(times[signal], 0.5):.2f} ms, p99 {percentile(times[signal], 0.99):.2f} ms{note}")
    soma(binary, home, "stop", "--app", "ledger", check=False)
    subprocess.run(["rm", "-rf", home])
