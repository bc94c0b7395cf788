#!/usr/bin/env python3
"""Provisioning time of a local queue and a local sqlite database: from the ledger's intent row (created_at)
to the outcome (updated_at, state ready), over fresh app homes; and `soma launch` to serving, first and again
after a stop, with the relaunch's time by step from the app's log (the CLI starts → the supervisor logs
`supervising` → the queue serves → the worker serves → the CLI returns). Given several soma binaries, runs
them in turns, round by round, so that they share the machine's state. Usage: provision.py [--runs N] [SOMA ...]"""
import argparse, datetime, os, sqlite3, statistics, subprocess, tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=10)
parser.add_argument("somas", nargs="*", default=[".build/release/soma"])
arguments = parser.parse_args()
somas = [os.path.abspath(path) for path in arguments.somas]
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

steps = ["CLI → supervising", "→ queue serves", "→ worker serves", "→ CLI returns"]

def stamp(line):
    return parse(line.split()[0]).timestamp()

def relaunch_steps(log_lines, started, returned):
    first = lambda text: next(stamp(line) for line in log_lines if text in line)
    supervising, queue, worker = first("supervising"), first("serving queue"), first("serving on")
    return [supervising - started, queue - supervising, worker - queue, returned - worker]

def timed(command, **options):
    start = datetime.datetime.now()
    subprocess.run(command, check=True, capture_output=True, **options)
    return (datetime.datetime.now() - start).total_seconds() * 1000

results = {soma: {"queue": [], "database": [], "launch": [], "relaunch": [], "steps": []} for soma in somas}
for run in range(arguments.runs):
    for soma in somas:
        result = results[soma]
        with tempfile.TemporaryDirectory(prefix="soma-prov-") as folder:
            with open(os.path.join(folder, "bench.cell"), "w") as file:
                file.write(program)
            env = dict(os.environ, SOMA_HOME=os.path.join(folder, "home"))
            result["launch"].append(timed([soma, "launch", "bench.cell"], cwd=folder, env=env))
            ledger = sqlite3.connect(os.path.join(folder, "home/apps/bench/ledger.sqlite"))
            for kind, created, updated, state in ledger.execute("SELECT kind, created_at, updated_at, state FROM resources"):
                assert state == "ready", state
                result[kind].append((parse(updated) - parse(created)).total_seconds() * 1000)
            ledger.close()
            subprocess.run([soma, "stop"], cwd=folder, env=env, check=True, capture_output=True)
            log = os.path.join(folder, "home/apps/bench/logs/app.log")
            seen = len(open(log).readlines())
            started = datetime.datetime.now().timestamp()
            result["relaunch"].append(timed([soma, "launch", "bench.cell"], cwd=folder, env=env))
            result["steps"].append(relaunch_steps(open(log).readlines()[seen:], started, datetime.datetime.now().timestamp()))
            subprocess.run([soma, "stop"], cwd=folder, env=env, check=True, capture_output=True)

for soma in somas:
    print(soma)
    for what, values in results[soma].items():
        if what == "steps":
            medians = [statistics.median(column) * 1000 for column in zip(*values)]
            print("  relaunch by step (medians)  " + ", ".join(f"{step} {median:.1f} ms" for step, median in zip(steps, medians)))
            continue
        label = f"{what} intent → ready" if what in ("queue", "database") else f"{what} to serving"
        print(f"  {label:28} median {statistics.median(values):6.1f} ms, min {min(values):6.1f}, max {max(values):6.1f} ({len(values)} runs)")
