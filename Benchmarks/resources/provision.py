#!/usr/bin/env python3
"""Provisioning time of a local queue and a local sqlite database: from the ledger's intent row (created_at)
to the outcome (updated_at, state ready), over fresh app homes. Usage: provision.py [SOMA] [RUNS]"""
import datetime, os, sqlite3, statistics, subprocess, sys, tempfile

soma = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/soma")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
program = """
type Job = { id: String }
type Row = { id: String, n: Int }
type Db = { rows: Table<Row> }
cell Bench {
  face { signal ping() -> Int }
  let work = QueueService<Job>("work")
  let db = Database<Db>("db")
  on ping() { 1 }
}
"""

def parse(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))

timings = {"queue": [], "database": []}
launches = []
for run in range(runs):
    with tempfile.TemporaryDirectory(prefix="soma-prov-") as folder:
        with open(os.path.join(folder, "bench.cell"), "w") as file:
            file.write(program)
        env = dict(os.environ, SOMA_HOME=os.path.join(folder, "home"))
        start = datetime.datetime.now()
        subprocess.run([soma, "launch", "bench.cell"], cwd=folder, env=env, check=True, capture_output=True)
        launches.append((datetime.datetime.now() - start).total_seconds() * 1000)
        ledger = sqlite3.connect(os.path.join(folder, "home/apps/bench/ledger.sqlite"))
        for kind, created, updated, state in ledger.execute("SELECT kind, created_at, updated_at, state FROM resources"):
            assert state == "ready", state
            timings[kind].append((parse(updated) - parse(created)).total_seconds() * 1000)
        subprocess.run([soma, "stop"], cwd=folder, env=env, check=True, capture_output=True)

for kind, values in timings.items():
    print(f"{kind:9} intent → ready: median {statistics.median(values):.1f} ms, min {min(values):.1f}, max {max(values):.1f} ({runs} runs)")
print(f"launch (check, provision both, serving): median {statistics.median(launches):.0f} ms")
