#!/usr/bin/env python3
"""Provisioning a postgres database with soma against doing it by hand, side by side in one run.

soma: `soma launch` of a program whose only resource is `Database<Db>("db", engine: "postgres")`; the figure is
the ledger's intent → ready (initdb, the server started by the supervisor and answering a session).
by hand: the same `initdb` (same flags, as the same account) followed by `pg_ctl start -w` on a free port.
Runs alternate; medians are printed. Usage: postgres_provision.py [SOMA] [RUNS]
"""
import datetime, os, pwd, shutil, socket, sqlite3, statistics, subprocess, sys, tempfile, time

soma = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/soma")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
program = """
type Row = { id: String, n: Int }
type Db = { rows: Table<Row> }
cell Bench {
  face { signal ping() -> Int }
  let db = Database<Db>("db", engine: "postgres")
  on ping() { 1 }
}
"""


def binaries():
    for folder in os.environ.get("PATH", "").split(":") + sorted((f"/usr/lib/postgresql/{v}/bin" for v in os.listdir("/usr/lib/postgresql")), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK) and os.access(os.path.join(folder, "pg_ctl"), os.X_OK):
            return folder
    raise SystemExit("PostgreSQL is not installed (scripts/setup.sh installs it)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def as_account(command):
    # As soma does when it is root: the postgres account, through setpriv.
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"] + command if os.geteuid() == 0 else command


def by_hand(bin_folder):
    root = tempfile.mkdtemp(prefix="pg-by-hand-", dir="/var/lib/soma/postgres" if os.geteuid() == 0 else None)
    os.chmod(root, 0o700)
    data, run = os.path.join(root, "data"), os.path.join(root, "run")
    os.makedirs(run, mode=0o700)
    password = os.path.join(root, "pw")
    with open(password, "w") as file:
        file.write("secret\n")
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for path in (root, run, password):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    started = time.perf_counter()
    subprocess.run(as_account([os.path.join(bin_folder, "initdb"), "-D", data, "-U", "soma", "-E", "UTF8", "--locale=C", "--auth-local=trust",
                               "--auth-host=scram-sha-256", f"--pwfile={password}", "--no-instructions"]), cwd=root, check=True, capture_output=True)
    subprocess.run(as_account([os.path.join(bin_folder, "pg_ctl"), "-D", data, "-w", "-l", os.path.join(root, "log"), "start",
                               "-o", f"-p {port} -k {run} -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700"]),
                   cwd=root, check=True, capture_output=True)
    elapsed = (time.perf_counter() - started) * 1000
    subprocess.run(as_account([os.path.join(bin_folder, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"]), cwd=root, check=True, capture_output=True)
    shutil.rmtree(root)
    return elapsed


def with_soma():
    with tempfile.TemporaryDirectory(prefix="soma-pg-") as folder:
        with open(os.path.join(folder, "bench.cell"), "w") as file:
            file.write(program)
        env = dict(os.environ, SOMA_HOME=os.path.join(folder, "home"))
        started = time.perf_counter()
        subprocess.run([soma, "launch", "bench.cell"], cwd=folder, env=env, check=True, capture_output=True)
        launch = (time.perf_counter() - started) * 1000
        ledger = sqlite3.connect(os.path.join(folder, "home/apps/bench/ledger.sqlite"))
        (created, updated, state), = ledger.execute("SELECT created_at, updated_at, state FROM resources WHERE name = 'db'")
        assert state == "ready", state
        subprocess.run([soma, "stop"], cwd=folder, env=env, check=True, capture_output=True)
        subprocess.run([soma, "resources", "release", "db", "--purge"], cwd=folder, env=env, check=True, capture_output=True)
        return (parse(updated) - parse(created)).total_seconds() * 1000, launch


folder = binaries()
soma_ready, soma_launch, manual = [], [], []
for _ in range(runs):
    ready, launch = with_soma()
    soma_ready.append(ready)
    soma_launch.append(launch)
    manual.append(by_hand(folder))
print(f"postgres binaries: {folder}; {runs} runs each, alternating")
print(f"soma: intent → ready  median {statistics.median(soma_ready):.0f} ms (min {min(soma_ready):.0f}, max {max(soma_ready):.0f})")
print(f"soma: whole launch    median {statistics.median(soma_launch):.0f} ms")
print(f"by hand: initdb + pg_ctl start -w  median {statistics.median(manual):.0f} ms (min {min(manual):.0f}, max {max(manual):.0f})")
print(f"soma / by hand: {statistics.median(soma_ready) / statistics.median(manual):.2f}x")
