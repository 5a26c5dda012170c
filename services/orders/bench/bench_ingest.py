"""Signed Shopify webhooks against a running orders service, over loopback.

Starts `orderflow run orders` on a database and a RabbitMQ virtual host of
its own (both removed at the end), then loads it from this process (a
separate process from the service) with pre-signed, real-sized
`orders/create` deliveries, each a new order:

1. as fast as it takes them, with a fixed number of open connections, to
   find the sustained accepted rate;
2. at a fixed rate of 300 per second, open loop: latency counts from the
   moment a request was due, so a slow answer cannot hide the queue behind
   it.

Both phases are bounded in time and in count. At the end the stored orders
are counted: every accepted webhook must be in the database, or the run
fails.

    .venv/bin/python services/orders/bench/bench_ingest.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import asyncpg

from orderflow.backbone.testing import virtual_host

SIGNING_KEY = "bench-shopify-signing-key"
SINK_QUEUE = "orders-bench.sink"
ADMIN_URL = os.environ.get(
    "ORDERFLOW_BENCH_DATABASE_ADMIN_URL",
    "postgresql://postgres@127.0.0.1:5432/postgres",
)
DATABASE = "orderflow_bench_ingest"
ROOT = Path(__file__).resolve().parents[3]
ORDER = json.loads((Path(__file__).parent / "shopify_order.json").read_text())


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def report(self) -> str:
        rate = self.accepted / self.seconds if self.seconds else 0.0
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) if ordered else float("nan")
        p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else float("nan")
        return (
            f"{self.name}: sent {self.sent}, accepted {self.accepted}, failed"
            f" {self.failed} in {self.seconds:.1f} s = {rate:.0f} accepted/s;"
            f" latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
        )


def shopify_order(number: int) -> bytes:
    """The sample order (about 10 KB) as a new order with its own ids."""
    order = dict(ORDER)
    order["id"] = 5600000000000 + number
    order["name"] = f"#{number}"
    order["order_number"] = order["number"] = number
    order["line_items"] = [
        line | {"id": 13510000000000 + number * 100 + index}
        for index, line in enumerate(ORDER["line_items"])
    ]
    return json.dumps(order).encode()


def signed_request(number: int, port: int) -> bytes:
    body = shopify_order(number)
    digest = hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).digest()
    head = (
        f"POST /webhooks/shopify HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Shopify-Topic: orders/create\r\n"
        f"X-Shopify-Hmac-Sha256: {base64.b64encode(digest).decode()}\r\n"
        f"X-Shopify-Shop-Domain: bench.myshopify.com\r\n"
        f"X-Shopify-Webhook-Id: bench-{number}\r\n"
        f"X-Shopify-API-Version: 2025-10\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One keep-alive HTTP/1.1 connection that sends prepared requests."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def flat_out(
    port: int, requests: list[bytes], seconds: float, connections: int
) -> Phase:
    phase = Phase(f"as fast as accepted ({connections} connections)")
    pending = iter(requests)
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        connection = await Connection.open(port)
        try:
            for request in pending:
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                phase.sent += 1
                status = await connection.send(request)
                phase.latencies.append(time.perf_counter() - started)
                if status == 200:
                    phase.accepted += 1
                else:
                    phase.failed += 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    phase.seconds = time.perf_counter() - started
    return phase


async def fixed_rate(port: int, requests: list[bytes], rate: float) -> Phase:
    phase = Phase(f"fixed rate {rate:.0f}/s")
    idle: deque[Connection] = deque([await Connection.open(port) for _ in range(16)])
    interval = 1.0 / rate
    started = time.perf_counter()

    async def one(request: bytes, due: float) -> None:
        connection = idle.popleft() if idle else await Connection.open(port)
        try:
            status = await connection.send(request)
        except (OSError, asyncio.IncompleteReadError):
            # The server closes a keep-alive connection left idle too long.
            connection = await Connection.open(port)
            status = await connection.send(request)
        phase.latencies.append(time.perf_counter() - due)
        idle.append(connection)
        if status == 200:
            phase.accepted += 1
        else:
            phase.failed += 1

    tasks = []
    for index, request in enumerate(requests):
        due = started + index * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        phase.sent += 1
        tasks.append(asyncio.create_task(one(request, due)))
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - started
    for connection in idle:
        connection.close()
    return phase


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def own_database() -> AsyncIterator[str]:
    """A database of the bench's own, dropped when the bench ends."""
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.close()


async def stored_orders(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM orders.orders"))
    finally:
        await conn.close()


@asynccontextmanager
async def event_sink(amqp_url: str) -> AsyncIterator[None]:
    """A bounded queue that takes the published events, as consumers would.

    Without a bound queue the broker returns every event as unroutable and
    the relay keeps postponing them, work a real deployment never does.
    """
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "orderflow.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            SINK_QUEUE, arguments={"x-max-length": 1000}
        )
        await queue.bind(exchange, "order.#")
        try:
            yield
        finally:
            await queue.delete(if_unused=False, if_empty=False)


def start_service(
    amqp_url: str, database_url: str, port: int, log: Path
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "ORDERFLOW_AMQP_URL": amqp_url,
        "ORDERFLOW_DATABASE_URL": database_url,
        "ORDERFLOW_HTTP_PORT": str(port),
        "ORDERFLOW_SHOPIFY_SECRET": SIGNING_KEY,
        "ORDERFLOW_LOG_FORMAT": "json",
    }
    orderflow = str(ROOT / ".venv" / "bin" / "orderflow")
    return subprocess.Popen(  # noqa: S603 - our own command
        [orderflow, "run", "orders"], env=env, stderr=log.open("wb"), cwd=ROOT
    )


def wait_until_ready(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/health/ready"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1.0) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the orders service did not become ready")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


async def main(seconds: float, connections: int, rate: float) -> None:
    load_before = " ".join(f"{n:.2f}" for n in os.getloadavg())
    port = free_port()
    log = Path("/tmp/orderflow-bench-ingest.log")  # noqa: S108
    with virtual_host("orderflow-bench") as amqp_url:
        async with own_database() as database_url:
            async with event_sink(amqp_url):
                phases = await _load(
                    amqp_url, database_url, port, log, seconds, connections, rate
                )
            stored = await stored_orders(database_url)
    _, first, second = phases
    accepted = sum(phase.accepted for phase in phases)
    print(f"machine: {os.cpu_count()} cores (nproc), {cpu_name()}")
    print(f"load average before: {load_before}")
    print(f"python {sys.version.split()[0]}, load generator in a separate process")
    print(first.report())
    print(second.report())
    print(f"orders stored: {stored} of {accepted} accepted (warm-up included)")
    print(f"service log: {log}")
    if stored < accepted:
        raise SystemExit("accepted webhooks are missing from the database")


async def _load(
    amqp_url: str,
    database_url: str,
    port: int,
    log: Path,
    seconds: float,
    connections: int,
    rate: float,
) -> tuple[Phase, Phase, Phase]:
    service = start_service(amqp_url, database_url, port, log)
    try:
        wait_until_ready(port)
        warm = await flat_out(
            port, [signed_request(n, port) for n in range(1, 501)], 2.0, connections
        )
        most = int(seconds * 3000)
        flat = [signed_request(n, port) for n in range(1000, 1000 + most)]
        first = await flat_out(port, flat, seconds, connections)
        paced_count = int(seconds * rate)
        base = 1000 + most
        paced = [signed_request(n, port) for n in range(base, base + paced_count)]
        second = await fixed_rate(port, paced, rate)
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
    return warm, first, second


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300.0)
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(arguments.seconds, arguments.connections, arguments.rate))
