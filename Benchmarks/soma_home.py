"""What the benchmarks do with a soma and an app home in a temporary folder: run a command against the home, read
the app's status, time a request to its face, read a process's resident memory."""
import http.client, json, os, subprocess, time


def soma(binary, home, *command, check=True):
    """Runs `binary command...` in `home` with SOMA_HOME at `home`/home."""
    return subprocess.run([binary, *command], cwd=home, env={**os.environ, "SOMA_HOME": os.path.join(home, "home")},
                          check=check, capture_output=True, text=True)


def status(binary, home, app):
    return json.loads(soma(binary, home, "status", "--app", app, "--json").stdout)


def post(port, path, body, timeout=120):
    """One request on a connection of its own: (milliseconds, status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    text = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, response.status, text


def resident_mb(pid):
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")
