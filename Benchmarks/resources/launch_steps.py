#!/usr/bin/env python3
"""Where a relaunch's time goes, step by step, from the app's log: the CLI starts → the supervisor logs
`supervising` → the queue serves → the worker serves → the CLI returns. For several soma builds in turns,
round by round, on fresh homes (a queue and a sqlite database, as provision.py). Usage:
launch_steps.py [--runs N] SOMA [SOMA ...]"""
import argparse, datetime, os, shutil, statistics, subprocess, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=16)
parser.add_argument("somas", nargs="+")
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
steps = ["CLI → supervising", "→ queue serves", "→ worker serves", "→ CLI returns", "total"]

def stamp(line):
    return datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()

def first(lines, text):
    return next(stamp(line) for line in lines if text in line)

results = {soma: [] for soma in somas}
for run in range(arguments.runs):
    for soma in somas:
        folder = tempfile.mkdtemp(prefix="soma-steps-")
        try:
            with open(os.path.join(folder, "bench.cell"), "w") as file:
                file.write(program)
            env = dict(os.environ, SOMA_HOME=os.path.join(folder, "home"))
            run_soma = lambda *args: subprocess.run([soma, *args], cwd=folder, env=env, check=True, capture_output=True)
            run_soma("launch", "bench.cell")
            run_soma("stop")
            log = os.path.join(folder, "home/apps/bench/logs/app.log")
            seen = len(open(log).readlines())
            started = time.time()
            run_soma("launch", "bench.cell")
            returned = time.time()
            lines = open(log).readlines()[seen:]
            supervising, queue, worker = first(lines, "supervising"), first(lines, "serving queue"), first(lines, "serving on")
            results[soma].append([supervising - started, queue - supervising, worker - queue, returned - worker, returned - started])
            run_soma("stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

print(" " * 8 + "".join(f"{step:>20}" for step in steps))
for soma in somas:
    columns = zip(*results[soma])
    print(soma)
    print(" " * 8 + "".join(f"{statistics.median(column) * 1000:>17.1f} ms" for column in columns))
