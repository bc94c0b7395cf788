#!/usr/bin/env python3
"""State larger than memory (issue 18): a Map slot of N stored entries, filled by SQL with rows exactly as the
worker writes them (`{"id": "k…", "n": …}` under the key `"k…"`), then, for each soma binary in turns:

- relaunch to serving: `soma launch` after `soma stop`, until the CLI returns (the face serves);
- the worker's resident memory (VmRSS) once it serves, and again after reading a sample of keys;
- the latency of reads of keys in memory (read twice) and of keys read for the first time, by HTTP;
- with `--load SECONDS`: wrk's throughput and latency of `get` over random keys of the whole Map (most of them
  out of memory for a cache smaller than the data), then over a working set of `--hot` keys that fits in it
  (read once before it is measured), and the worker's resident memory after both.

Each binary gets its own home, filled once. Usage: relaunch.py [--entries N] [--baseline-entries M] [--runs R]
[--reads K] SOMA ...
An older soma that loads everything at start is the baseline the issue names."""
import argparse, os, random, sqlite3, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stored_rows  # noqa: E402
import soma_home  # noqa: E402
from soma_home import percentile, post, resident_mb, soma  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--entries", type=int, default=1_000_000)
parser.add_argument("--baseline-entries", type=int, default=None,
                    help="the first soma's home holds this many entries instead (the issue's baseline: today's worker at 10^6)")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--reads", type=int, default=2_000)
parser.add_argument("--load", type=int, default=0, help="seconds of wrk load per phase (0: none)")
parser.add_argument("--hot", type=int, default=20_000, help="the keys of the working set that fits")
parser.add_argument("--cache", default=None, help="soma.toml [memory] cache, when not the default")
parser.add_argument("somas", nargs="+")
arguments = parser.parse_args()
somas = [os.path.abspath(path) for path in arguments.somas]
entries = {soma: arguments.entries for soma in somas}
if arguments.baseline_entries:
    entries[somas[0]] = arguments.baseline_entries

program = """
type Item = { id: String, n: Int }
cell Store {
  face {
    signal put(item: Item) -> Int
    signal get(id: String) -> Option<Item>
    signal count() -> Int
  }
  memory { items: Map<String, Item> [persistent] }
  on put(item: Item) { items.set(item.id, item); item.n }
  on get(id: String) { items.get(id) }
  on count() { items.count() }
}
"""


def status(binary, home):
    return soma_home.status(binary, home, "store")


def call(port, signal, body):
    elapsed, code, text = post(port, f"/Store/{signal}", body, timeout=30)
    if code != 200:
        raise SystemExit(f"{signal} answered {code}: {text[:200]}")
    return elapsed, text


def fill(binary, home, entries):
    """One put through the worker (so the row's shape and version are the worker's own), then the rest by SQL."""
    soma(binary, home, "launch", "store.cell")
    call(status(binary, home)["port"], "put", {"item": {"id": "k0", "n": 0}})
    soma(binary, home, "stop", "--app", "store")
    database = sqlite3.connect(os.path.join(home, "home", "apps", "store", "state", "state.sqlite"))
    (version,) = database.execute("SELECT version FROM slot_values WHERE slot = 'items'").fetchone()
    chunk = 100_000
    for start in range(1, entries, chunk):
        stored_rows.insert(database, "Store", "items", version, [(f"k{n}", {"id": f"k{n}", "n": n}) for n in range(start, min(entries, start + chunk))])
        database.commit()
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()


homes = {}
for binary in somas:
    home = tempfile.mkdtemp(prefix="soma-state-")
    with open(os.path.join(home, "store.cell"), "w") as file:
        file.write(program)
    if arguments.cache:
        with open(os.path.join(home, "soma.toml"), "w") as file:
            file.write(f'[memory]\ncache = "{arguments.cache}"\n')
    started = time.perf_counter()
    fill(binary, home, entries[binary])
    print(f"{binary}: {entries[binary]:,} entries stored in {time.perf_counter() - started:.1f} s "
          f"({os.path.getsize(os.path.join(home, 'home', 'apps', 'store', 'state', 'state.sqlite')) / 2**20:.0f} MB)", flush=True)
    homes[binary] = home

def wrk(port, seconds, hot, stored):
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", os.path.join(os.path.dirname(__file__), "random-get.lua"),
                          f"http://127.0.0.1:{port}"], env={**os.environ, "ENTRIES": str(stored), "HOT": str(hot)},
                         check=True, capture_output=True, text=True).stdout
    rate = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    latency = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip().split(" ")[0] in ("50%", "99%")}
    errors = [line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    return f"{float(rate):,.0f} req/s, p50 {latency.get('50%')}, p99 {latency.get('99%')}" + (f" ({'; '.join(errors)})" if errors else "")


results = {binary: {"relaunch": [], "rss": [], "rss_after": [], "cold": [], "warm": [], "load": []} for binary in somas}
for run in range(arguments.runs):
    for binary in somas:
        home, result = homes[binary], results[binary]
        started = time.perf_counter()
        soma(binary, home, "launch", "store.cell")
        result["relaunch"].append((time.perf_counter() - started) * 1000)
        state = status(binary, home)
        port, pid = state["port"], state["worker_pid"]
        result["rss"].append(resident_mb(pid))
        keys = random.Random(run).sample(range(entries[binary]), arguments.reads)
        for key in keys:
            elapsed, _ = call(port, "get", {"id": f"k{key}"})
            result["cold"].append(elapsed)
        for key in keys:
            elapsed, _ = call(port, "get", {"id": f"k{key}"})
            result["warm"].append(elapsed)
        _, counted = call(port, "count", {})
        if int(counted) != entries[binary]:
            raise SystemExit(f"{binary} counts {counted.decode()} entries, not {entries[binary]}")
        result["rss_after"].append(resident_mb(pid))
        if arguments.load:
            spread = wrk(port, arguments.load, 0, entries[binary])
            wrk(port, max(2, arguments.load // 2), arguments.hot, entries[binary])   # reads the working set into memory first
            fits = wrk(port, arguments.load, arguments.hot, entries[binary])
            result["load"].append(f"random keys: {spread}; {arguments.hot:,} hot keys: {fits}; RSS after {resident_mb(pid):.0f} MB")
        soma(binary, home, "stop", "--app", "store")

print(f"== {os.cpu_count()} cores; {' and '.join(sorted({f'{n:,}' for n in entries.values()}))} entries; {arguments.runs} relaunches each, alternating; "
      f"{arguments.reads:,} reads of random keys a run, each read twice (first: from the store; second: in memory)")
for binary in somas:
    result = results[binary]
    print(f"{binary} ({entries[binary]:,} entries):")
    print(f"  relaunch to serving: median {statistics.median(result['relaunch']):.0f} ms (runs {', '.join(f'{v:.0f}' for v in result['relaunch'])})")
    print(f"  worker RSS serving: {statistics.median(result['rss']):.0f} MB; after the reads: {statistics.median(result['rss_after']):.0f} MB")
    for kind, label in (("cold", "first read of a key"), ("warm", "second read")):
        print(f"  {label}, by HTTP: p50 {percentile(result[kind], 0.5):.2f} ms, p99 {percentile(result[kind], 0.99):.2f} ms")
    for line in result["load"]:
        print(f"  wrk -t2 -c16, {arguments.load} s each: {line}")
for home in homes.values():
    for binary in somas:
        soma(binary, home, "stop", "--app", "store", check=False)
    subprocess.run(["rm", "-rf", home])
