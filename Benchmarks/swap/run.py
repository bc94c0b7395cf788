#!/usr/bin/env python3
"""The swap benchmark of docs/performance.md: `soma swap` while a load generator sends a steady stream of
requests (`POST /Store/put`, one persistent write per turn), in one run for two swaps:
  code-only  store.cell -> code-only.cell, no stored value changes shape (target: requests held < 10 ms at p99)
  migrating  store.cell -> migrating.cell, after filling VALUES stored records whose type gains a field
             (target with 10^6 values: the swap under 10 s)
For each: failed requests (must be 0), the latency of requests before the swap and of those in flight while it
ran (p50, p99, max) and what the swap added, the time turns were held and the whole swap's time. Stored values of
a migrated type are rewritten at their new version after the swap, while requests run (memory is migrated at
once): the script also reports when that finished (read from the state database) and the latency meanwhile.

Usage: Benchmarks/swap/run.py [SOMA] [VALUES]     (defaults: .build/release/soma, 1000000)
RATE (requests/s, default 400) and CONNECTIONS (default 4) shape the load; REWRITE_WAIT (s, default 300) bounds the wait
for the rewrite after the swap. FILL=sql stores the records by SQL,
with rows exactly as the worker writes them, and relaunches the app on them (10^7 turns of `fill` take long): the
worker then starts with none of them in memory.
"""
import http.client, json, os, shutil, sqlite3, statistics, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stored_rows  # noqa: E402

soma = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/soma")
values = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rate = float(os.environ.get("RATE", "400"))
connections = int(os.environ.get("CONNECTIONS", "4"))
here = os.path.dirname(os.path.abspath(__file__))


def percentile(samples, fraction):
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Load:
    """CONNECTIONS keep-alive connections, each sending at RATE/CONNECTIONS requests per second."""

    def __init__(self, port):
        self.port = port
        self.records = []  # (start, seconds, ok)
        self.stopping = False
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(connections)]

    def run(self, number):
        interval = connections / rate
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        counter = 0
        next_at = time.monotonic()
        while not self.stopping:
            counter += 1
            body = json.dumps({"key": f"c{number}-{counter}", "value": counter})
            start = time.monotonic()
            ok = False
            try:
                connection.request("POST", "/Store/put", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except Exception:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            elapsed = time.monotonic() - start
            with self.lock:
                self.records.append((start, elapsed, ok))
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping = True
        for thread in self.threads:
            thread.join()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as file:
        return next(int(line.split()[1]) / 1024 for line in file if line.startswith("VmRSS:"))


class Peak:
    """The most a process holds resident, sampled every 50 ms until stopped."""

    def __init__(self, pid):
        self.pid, self.value, self.stopping = pid, 0.0, False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stopping:
            self.value = max(self.value, rss_mb(self.pid))
            time.sleep(0.05)

    def stop(self):
        self.stopping = True
        self.thread.join()


def soma_cli(home, *arguments):
    return subprocess.run([soma, *arguments], capture_output=True, text=True, env=dict(os.environ, SOMA_HOME=home))


def post(port, path, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {data[:200]}")


def stale_values(home):
    """Stored values still at version 1 of their type: what the worker has yet to rewrite after the swap."""
    path = os.path.join(home, "apps", "store", "state", "state.sqlite")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute("SELECT COUNT(*) FROM slot_values WHERE slot = 'entries' AND version < 2").fetchone()[0]
    finally:
        connection.close()


def fill_by_sql(home, work, port, stored):
    """One record through the worker (so the row's shape and version are its own), the rest by SQL; then the
    app launched again on them. Returns its port."""
    post(port, "/Store/fill", {"start": 0, "count": 1})
    soma_cli(home, "stop", "--app", "store")
    database = sqlite3.connect(os.path.join(home, "apps", "store", "state", "state.sqlite"))
    (version, written) = database.execute("SELECT version, value FROM slot_values WHERE slot = 'entries'").fetchone()
    if written != '{"id":0,"name":"n0"}':
        raise RuntimeError(f"the worker writes an Entry as {written}, which this fill does not")
    for start in range(1, stored, 100_000):
        stored_rows.insert(database, "Store", "entries", version, [(f"e{n}", {"id": n, "name": f"n{n}"}) for n in range(start, min(stored, start + 100_000))])
        database.commit()
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    launched = soma_cli(home, "launch", os.path.join(work, "store.cell"), "--name", "store")
    if launched.returncode != 0:
        raise RuntimeError(launched.stdout + launched.stderr)
    return int(json.loads(soma_cli(home, "status", "--app", "store", "--json").stdout)["port"])


def stats(samples):
    return f"p50 {statistics.median(samples):.2f} ms, p99 {percentile(samples, 0.99):.2f} ms, max {max(samples):.2f} ms"


def scenario(name, new_version, stored):
    work = tempfile.mkdtemp(prefix="soma-swap-bench-")
    home = os.path.join(work, "home")
    try:
        for file in ["store.cell", new_version]:
            shutil.copy(os.path.join(here, file), work)
        launched = soma_cli(home, "launch", os.path.join(work, "store.cell"), "--name", "store")
        if launched.returncode != 0:
            raise RuntimeError(launched.stdout + launched.stderr)
        port = int(json.loads(soma_cli(home, "status", "--app", "store", "--json").stdout)["port"])
        if stored and os.environ.get("FILL") == "sql":
            started = time.monotonic()
            port = fill_by_sql(home, work, port, stored)
            print(f"  stored {stored:,} records by SQL and relaunched in {time.monotonic() - started:.1f} s")
        elif stored:
            started = time.monotonic()
            for start in range(0, stored, 10_000):
                post(port, "/Store/fill", {"start": start, "count": min(10_000, stored - start)})
            print(f"  filled {stored:,} records in {time.monotonic() - started:.1f} s")
        load = Load(port)
        load.start()
        time.sleep(3)
        worker = int(json.loads(soma_cli(home, "status", "--app", "store", "--json").stdout)["worker_pid"])
        rss_before = rss_mb(worker)
        peak = Peak(worker)
        swap_started = time.monotonic()
        swapped = soma_cli(home, "swap", os.path.join(work, new_version), "--app", "store", "--yes", "--json")
        swap_ended = time.monotonic()
        peak.stop()
        rewritten = swap_ended
        while stored and stale_values(home) > 0 and time.monotonic() - swap_ended < float(os.environ.get("REWRITE_WAIT", "300")):
            time.sleep(0.05)
        rewritten = time.monotonic()
        time.sleep(2)
        load.stop()
        if swapped.returncode != 0:
            raise RuntimeError(swapped.stdout + swapped.stderr)
        # --json prints the plan, then the applied plan with its timings: one line each.
        lines = swapped.stdout.strip().splitlines()
        dry_run = json.loads(lines[0]).get("dryRunMilliseconds", 0)
        plan = json.loads(lines[-1])
        records = load.records
        failed = sum(1 for _, _, ok in records if not ok)
        before = [s * 1000 for t, s, ok in records if swap_started - 3 <= t < swap_started]
        during = [s * 1000 for t, s, ok in records if t < swap_ended and t + s > swap_started]
        base50 = statistics.median(before)
        print(f"  {len(records):,} requests at {rate:.0f}/s over {connections} connections; failed: {failed}")
        print(f"  before the swap ({len(before)}): p50 {base50:.2f} ms, p99 {percentile(before, 0.99):.2f} ms, max {max(before):.2f} ms")
        print(f"  during the swap ({len(during)}): p50 {statistics.median(during):.2f} ms, p99 {percentile(during, 0.99):.2f} ms, "
              f"max {max(during):.2f} ms (added at p99: {percentile(during, 0.99) - percentile(before, 0.99):.2f} ms, at max: {max(during) - max(before):.2f} ms)")
        slowest = max(((t, s) for t, s, ok in records if t < rewritten and t + s > swap_started), key=lambda r: r[1], default=None)
        if slowest:
            print(f"  slowest request from the swap on: {slowest[1] * 1000:.1f} ms, sent {slowest[0] - swap_started:.2f} s after soma swap started "
                  f"(which returned after {swap_ended - swap_started:.2f} s)")
        if stored:
            meanwhile = [s * 1000 for t, s, ok in records if t < rewritten and t + s > swap_ended]
            print(f"  stored values rewritten at version 2 {rewritten - swap_ended:.1f} s after soma swap returned; "
                  f"requests meanwhile ({len(meanwhile)}): {stats(meanwhile) if meanwhile else '-'}")
        print(f"  worker RSS: {rss_before:.0f} MB before the swap, at most {peak.value:.0f} MB while it ran")
        print(f"  swap: turns held {plan.get('heldMilliseconds', 0):.1f} ms ({plan.get('heldTurns', 0)} waited), applied in "
              f"{plan.get('totalMilliseconds', 0):.1f} ms, dry run (in the plan) {dry_run:.1f} ms; "
              f"soma swap end to end {1000 * (swap_ended - swap_started):.0f} ms")
    finally:
        soma_cli(home, "stop", "--app", "store")
        shutil.rmtree(work, ignore_errors=True)


cores = os.cpu_count()
memory = int(open("/proc/meminfo").read().split("MemTotal:")[1].split()[0]) / 1048576
print(f"== machine: {cores} cores, {memory:.0f} GiB; {soma}")
print("== code-only swap")
scenario("code-only", "code-only.cell", 0)
print(f"== migrating swap, {values:,} stored values")
scenario("migrating", "migrating.cell", values)
