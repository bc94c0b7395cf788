#!/usr/bin/env python3
"""Lease latency of soma's queue process, one client, one request at a time: MESSAGES messages of 1 KiB are
pushed, then leased one at a time, either acking each (nothing stays in flight) or not (every message leased
stays in flight, up to MESSAGES at the end). Prints the median round trip of a lease, as the client sees it.

Usage: Benchmarks/resources/queue_lease_latency.py [SOMA] [MESSAGES]
"""
import asyncio, json, os, statistics, subprocess, sys, tempfile, time

soma = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/soma")
total = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
payload = "x" * 1024


async def measure(ack):
    with tempfile.TemporaryDirectory(prefix="queue-lease-") as folder:
        server = subprocess.Popen([soma, "queue-serve", "--data", folder, "--name", "bench"], stderr=subprocess.DEVNULL)
        path = os.path.join(folder, "queue.sock")
        try:
            while not os.path.exists(path):
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            reader, writer = await asyncio.open_unix_connection(path, limit=1 << 26)
            # The queue protocol's hello (docs/protocol.md): sent first, the queue's own hello read back.
            writer.write((json.dumps({"hello": {"protocol": "soma-queue", "version": {"major": 2, "minor": 0},
                                                "build": "bench", "peer": "worker"}}) + "\n").encode())
            await writer.drain()
            greeting = json.loads(await reader.readline())
            # soma before protocol versions answers it as a malformed request and reads on.
            if "hello" not in greeting and greeting.get("ok") is not False:
                raise RuntimeError(greeting)

            async def call(request):
                writer.write((json.dumps(request) + "\n").encode())
                await writer.drain()
                reply = json.loads(await reader.readline())
                if not reply.get("ok"):
                    raise RuntimeError(reply)
                return reply

            for number in range(total):
                await call({"op": "push", "messages": [{"id": f"m{number}", "version": 1, "body": payload}]})
            times = []
            for _ in range(total):
                started = time.perf_counter()
                reply = await call({"op": "lease", "max": 1, "waitMilliseconds": 500})
                times.append(time.perf_counter() - started)
                if ack:
                    await call({"op": "ack", "ids": [message["id"] for message in reply["messages"]]})
            return statistics.median(times) * 1e6
        finally:
            server.terminate()
            server.wait()


async def main():
    print(f"{total} messages of 1 KiB; median lease round trip")
    print(f"  each acked (none in flight):         {await measure(True):,.0f} µs")
    print(f"  none acked (up to {total} in flight): {await measure(False):,.0f} µs")


asyncio.run(main())
