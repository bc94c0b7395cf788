#!/usr/bin/env python3
"""Turns per cell (docs/turns.md): requests/s and latency when every request goes to one cell, and when they
are spread over four, for each soma binary given, in rounds that alternate between them. Each turn loops
over ITERATIONS additions and writes one persistent Map entry. Driven by wrk over keep-alive.
Usage: run.py [--rounds N] [--duration 10s] [--connections 16] [--iterations 300] SOMA..."""
import argparse, json, os, re, subprocess, tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--duration", default="10s")
parser.add_argument("--connections", type=int, default=16)
parser.add_argument("--iterations", type=int, default=300)
parser.add_argument("somas", nargs="+")
arguments = parser.parse_args()
somas = [os.path.abspath(path) for path in arguments.somas]
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spread.lua")

cell = """
cell C{n} {{
  face {{ signal work(key: String) -> Int }}
  memory {{ done: Map<String, Int> [persistent] }}
  on work(key: String) {{
    var total = 0
    for i in range(0, {iterations}) {{ total = total + i }}
    done.set(key, total)
    total
  }}
}}
"""
program = "".join(cell.format(n=n, iterations=arguments.iterations) for n in range(1, 5))

def soma(binary, folder, env, *words):
    return subprocess.run([binary, *words], cwd=folder, env=env, check=True, capture_output=True, text=True).stdout

def seconds(text):
    value, unit = float(re.match(r"[\d.]+", text).group()), re.sub(r"[\d.]+", "", text)
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

def wrk(url, cells):
    out = subprocess.run(["wrk", "-t2", f"-c{arguments.connections}", f"-d{arguments.duration}", "--latency", "-s", script, url],
                         env=dict(os.environ, CELLS=str(cells)), check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = seconds(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = seconds(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(errors.group(1)) if errors else 0

apps, figures = {}, {}
for binary in somas:
    folder = tempfile.mkdtemp(prefix="soma-turns-")
    with open(os.path.join(folder, "cells.cell"), "w") as file:
        file.write(program)
    env = dict(os.environ, SOMA_HOME=os.path.join(folder, "home"))
    soma(binary, folder, env, "launch", "cells.cell")
    apps[binary] = (folder, env, json.loads(soma(binary, folder, env, "status", "--json"))["url"])
    figures[binary] = {1: [], 4: []}
try:
    for _ in range(arguments.rounds):
        for binary in somas:
            for cells in (1, 4):
                figures[binary][cells].append(wrk(apps[binary][2], cells))
finally:
    for binary, (folder, env, _) in apps.items():
        subprocess.run([binary, "stop"], cwd=folder, env=env, capture_output=True)

print(f"== {os.cpu_count()} cores; wrk -t2 -c{arguments.connections} -d{arguments.duration}; {arguments.iterations} iterations and one persistent write per turn; {arguments.rounds} rounds")
for binary in somas:
    print(binary)
    for cells, runs in figures[binary].items():
        runs.sort(key=lambda run: run[0])
        rate, p50, p99, errors = runs[len(runs) // 2]
        print(f"  {cells} cell{'s' if cells > 1 else ' '}: median {rate:8.0f} turns/s (of {', '.join(f'{r[0]:.0f}' for r in runs)}), p50 {p50 * 1000:6.2f} ms, p99 {p99 * 1000:6.2f} ms, {errors} errors")
