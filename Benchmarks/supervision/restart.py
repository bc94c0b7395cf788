#!/usr/bin/env python3
"""How long an app is down when its worker is killed with -9: from the kill until the face answers again (the
supervisor notices the exit, backs off, starts a worker, which loads and serves). Also the same for a queue
process: from the kill until a new one accepts connections on the queue's socket. Given several soma binaries, runs them in
turns, round by round. Usage: restart.py [--kills N] [SOMA ...]"""
import argparse, json, os, signal, socket, statistics, subprocess, tempfile, time, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--kills", type=int, default=10)
parser.add_argument("somas", nargs="*", default=[".build/release/soma"])
arguments = parser.parse_args()
somas = [os.path.abspath(path) for path in arguments.somas]
program = """
type Job = { id: String }
cell Bench {
  face { signal ping() -> Int }
  memory { n: Int [persistent] = 0 }
  let work = QueueService<Job>("work")
  on ping() { n = n + 1; n }
}
"""

def soma(binary, folder, env, *words):
    return subprocess.run([binary, *words], cwd=folder, env=env, check=True, capture_output=True, text=True).stdout

def answers(url):
    try:
        request = urllib.request.Request(url + "/Bench/ping", data=b"{}", headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(request, timeout=1).status == 200
    except Exception:
        return False

def queue_process(home):
    """The pid of the app's queue process, from /proc: its command line names the app's home."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as file:
                words = file.read().split(b"\0")
        except OSError:
            continue
        if b"queue-serve" in words and any(home.encode() in word for word in words):
            return int(entry)
    return None

def accepts(path):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            return True
    except OSError:
        return False

apps = {}
for binary in somas:
    folder = tempfile.mkdtemp(prefix="soma-restart-")
    with open(os.path.join(folder, "bench.cell"), "w") as file:
        file.write(program)
    env = dict(os.environ, SOMA_HOME=os.path.join(folder, "home"))
    soma(binary, folder, env, "launch", "bench.cell")
    apps[binary] = (folder, env, {"worker": [], "queue": []})

try:
    for _ in range(arguments.kills):
        for binary in somas:
            folder, env, downtime = apps[binary]
            status = json.loads(soma(binary, folder, env, "status", "--json"))
            url, worker = status["url"], int(status["worker_pid"])  # older builds print it as text
            started = time.monotonic()
            os.kill(worker, signal.SIGKILL)
            while answers(url) and time.monotonic() - started < 1:
                pass  # the kill is not seen at once: wait until the face is down
            while not answers(url):
                time.sleep(0.002)
            downtime["worker"].append((time.monotonic() - started) * 1000)
            time.sleep(0.3)

            home = env["SOMA_HOME"]
            queue = next(r for r in json.loads(soma(binary, folder, env, "resources", "list", "--json")) if r["name"] == "work")
            old = queue_process(home)
            started = time.monotonic()
            os.kill(old, signal.SIGKILL)
            while True:
                now = queue_process(home)
                if now not in (None, old) and accepts(queue["endpoint"]):
                    break
                time.sleep(0.002)
            downtime["queue"].append((time.monotonic() - started) * 1000)
            # Past the restart policy's stable time (5 s), so every kill starts from the first backoff.
            time.sleep(5.5)
finally:
    for binary, (folder, env, _) in apps.items():
        subprocess.run([binary, "stop"], cwd=folder, env=env, capture_output=True)

for binary in somas:
    print(binary)
    for what, values in apps[binary][2].items():
        print(f"  {what:6} killed → back: median {statistics.median(values):6.1f} ms, min {min(values):6.1f}, max {max(values):6.1f} ({len(values)} kills)")
