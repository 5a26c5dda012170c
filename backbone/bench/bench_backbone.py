"""`make bench-backbone`: one subscription with inbox and outbox beside bare aio-pika.

Both consume the same events from a queue of their own and emit one event
for each to a sink queue. The bare consumer republishes and acks; the
Orderflow subscription runs the real path: envelope validation, one
transaction with the inbox row, a state change and an outbox row, then the
relay publishes with confirms. It runs twice: a transaction per message, and
batched (deliveries that arrive together share a transaction, as a
subscription whose handler only touches the database may). Two figures
each, in one run:

- throughput: a backlog of events drained as fast as it goes (events/s);
- latency: events sent at a fixed moderate rate, time from send to the
  emitted event's arrival at the sink (p50, p99).

The three take turns, round after round, so that a change in the machine's
load during the run falls on all of them; the summary gives each one's
median rate, the latencies of every round together, and the median of the
rounds' ratios. It runs on uvloop, as `orderflow run` does under uvicorn,
on its own RabbitMQ virtual host and database, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import aio_pika
import asyncpg
import uvloop

from orderflow.backbone import topology
from orderflow.backbone.database import quote_ident
from orderflow.backbone.logging import configure_logging
from orderflow.backbone.service import Service
from orderflow.backbone.settings import BackboneSettings
from orderflow.backbone.testing import virtual_host
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts.envelope import Envelope, EventPayload, wrap

ADMIN_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class BenchRequested(EventPayload):
    event_type: ClassVar[str] = "bench.requested"
    version: ClassVar[int] = 1
    n: int
    sent_at: float


class BenchProcessed(EventPayload):
    event_type: ClassVar[str] = "bench.processed"
    version: ClassVar[int] = 1
    n: int
    sent_at: float


class Sink:
    """Counts emitted events and keeps their send-to-arrival latency."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.done = asyncio.Event()
        self.expected = 0

    def expect(self, count: int) -> None:
        self.latencies = []
        self.expected = count
        self.done.clear()

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        sent_at = float(str(message.headers.get("sent_at") or _sent_at(message.body)))
        self.latencies.append(time.time() - sent_at)
        await message.ack()
        if len(self.latencies) >= self.expected:
            self.done.set()


def _sent_at(body: bytes) -> float:
    return Envelope[BenchProcessed].model_validate_json(body).payload.sent_at


async def bare_consumer(
    channel: aio_pika.abc.AbstractChannel, queue: aio_pika.abc.AbstractQueue
) -> None:
    """Ack each event and republish it to the sink: no validation, no database."""
    exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE.name)

    async def republish(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        await exchange.publish(
            aio_pika.Message(
                message.body,
                headers={"sent_at": message.headers["sent_at"]},
                message_id=message.message_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            "bench.bare_processed.v1",
        )
        await message.ack()

    await queue.consume(republish)


async def record_and_emit(event: Envelope[BenchRequested], uow: UnitOfWork) -> None:
    await uow.conn.execute("INSERT INTO processed (n) VALUES ($1)", event.payload.n)
    uow.emit(BenchProcessed(n=event.payload.n, sent_at=event.payload.sent_at))


async def feed(
    exchange: aio_pika.abc.AbstractExchange,
    routing_key: str,
    count: int,
    rate: float | None,
) -> None:
    """Publish `count` events, at `rate` per second or as fast as confirms allow."""
    started = time.monotonic()
    pending: list[Awaitable[Any]] = []
    for n in range(count):
        if rate:
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        now = time.time()
        envelope = wrap(
            BenchRequested(n=n, sent_at=now), producer="bench", correlation_id=str(n)
        )
        pending.append(
            exchange.publish(
                aio_pika.Message(
                    envelope.model_dump_json().encode(),
                    message_id=str(envelope.event_id),
                    headers={"sent_at": str(now)},
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key,
            )
        )
        if len(pending) >= 200 or rate:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)


@dataclass
class Result:
    events_per_s: float
    latencies: list[float]


async def measure(
    name: str,
    sink: Sink,
    start: Callable[[], Awaitable[Any]],
    exchange: aio_pika.abc.AbstractExchange,
    routing_key: str,
    args: argparse.Namespace,
) -> Result:
    sink.expect(args.events)
    await feed(exchange, routing_key, args.events, rate=None)
    began = time.perf_counter()
    stop = await start()
    await asyncio.wait_for(sink.done.wait(), timeout=600)
    throughput = args.events / (time.perf_counter() - began)

    sink.expect(args.latency_events)
    await feed(exchange, routing_key, args.latency_events, rate=args.rate)
    await asyncio.wait_for(sink.done.wait(), timeout=600)
    await stop()
    result = Result(throughput, sink.latencies)
    _print_line(name, result, args)
    return result


def _print_line(name: str, result: Result, args: argparse.Namespace) -> None:
    latencies = sorted(result.latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{name:<30} {result.events_per_s:>7.0f} events/s"
        f"   p50 {p50:>6.1f} ms   p99 {p99:>6.1f} ms"
        f"   (latency at {args.rate:.0f}/s)"
    )


async def run(args: argparse.Namespace) -> None:
    database = f"orderflow_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DATABASE_URL)
    await admin.execute(f"CREATE DATABASE {quote_ident(database)}")
    try:
        with (
            virtual_host("orderflow-bench") as amqp_url,
            tempfile.TemporaryDirectory() as folder,
        ):
            migrations = pathlib.Path(folder)
            (migrations / "0001_processed.sql").write_text(
                "CREATE TABLE processed (n integer NOT NULL);"
            )
            await compare(args, amqp_url, _database_url(database), migrations)
    finally:
        await admin.execute(f"DROP DATABASE {quote_ident(database)} WITH (FORCE)")
        await admin.close()


async def compare(
    args: argparse.Namespace, amqp_url: str, database_url: str, migrations: pathlib.Path
) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=args.prefetch)
        exchange = await channel.declare_exchange(
            topology.EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        sink = Sink()
        sink_queue = await channel.declare_queue("bench.sink", durable=True)
        await sink_queue.bind(exchange, "bench.processed.v1")
        await sink_queue.bind(exchange, "bench.bare_processed.v1")
        await sink_queue.consume(sink.on_message)

        bare_queue = await channel.declare_queue(
            "bench.bare", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await bare_queue.bind(exchange, "bench.bare_requested.v1")

        async def start_bare() -> Callable[[], Awaitable[None]]:
            consumer_channel = await connection.channel(publisher_confirms=True)
            await consumer_channel.set_qos(prefetch_count=args.prefetch)
            queue = await consumer_channel.get_queue("bench.bare")
            await bare_consumer(consumer_channel, queue)
            return consumer_channel.close

        print(
            f"cores: {os.cpu_count()}   events: {args.events}"
            f"   prefetch: {args.prefetch}   pool: {args.pool}"
            f"   rounds: {args.rounds}"
        )
        results: dict[str, list[Result]] = {name: [] for name in VARIANTS}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}")
            results["bare"].append(
                await measure(
                    "  bare aio-pika (ack+publish)",
                    sink,
                    start_bare,
                    exchange,
                    "bench.bare_requested.v1",
                    args,
                )
            )
            for variant in VARIANTS[1:]:
                service = _service(variant, amqp_url, database_url, migrations, args)
                results[variant].append(
                    await measure_service(service, channel, sink, exchange, args)
                )
        summarise(results, args)


VARIANTS = ("bare", "per_message", "batched")


def summarise(results: dict[str, list[Result]], args: argparse.Namespace) -> None:
    """Median rates, latencies of all rounds together, median ratio to bare."""
    print("summary")
    for variant, rounds in results.items():
        pooled = Result(
            statistics.median(result.events_per_s for result in rounds),
            [latency for result in rounds for latency in result.latencies],
        )
        _print_line(f"  {variant}", pooled, args)
    for variant in VARIANTS[1:]:
        ratios = [
            ours.events_per_s / bare.events_per_s
            for ours, bare in zip(results[variant], results["bare"], strict=True)
        ]
        listed = " ".join(f"{ratio:.2f}" for ratio in ratios)
        print(
            f"ratio {variant}/bare: {statistics.median(ratios):.2f}"
            f" (median of rounds: {listed})"
        )


async def measure_service(
    service: Service,
    channel: aio_pika.abc.AbstractChannel,
    sink: Sink,
    exchange: aio_pika.abc.AbstractExchange,
    args: argparse.Namespace,
) -> Result:
    """Drain a backlog into the service, then feed it at the fixed rate."""
    await service.migrate()
    async with service.running():
        await asyncio.sleep(1.0)
        await service.broker.stop()
        result = await measure(
            f"  orderflow {service.name}",
            sink,
            _starter(service),
            exchange,
            "bench.requested.v1",
            args,
        )
    for subscription in service.subscriptions:
        await channel.queue_delete(subscription.queue_name)
    return result


def _starter(
    service: Service,
) -> Callable[[], Awaitable[Callable[[], Awaitable[None]]]]:
    async def start() -> Callable[[], Awaitable[None]]:
        await service.broker.start()
        return _nothing

    return start


async def _nothing() -> None:
    return None


def _service(
    variant: str,
    amqp_url: str,
    database_url: str,
    migrations: pathlib.Path,
    args: argparse.Namespace,
) -> Service:
    settings = BackboneSettings(
        amqp_url=amqp_url,
        database_url=database_url,
        prefetch=args.prefetch,
        database_pool_size=args.pool,
        log_level="WARNING",
    )
    service = Service(variant, settings, port=0, migrations=migrations)
    service.subscribe(BenchRequested, record_and_emit, batched=variant == "batched")
    return service


def _database_url(name: str) -> str:
    return ADMIN_DATABASE_URL.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--latency-events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--prefetch", type=int, default=32)
    parser.add_argument("--pool", type=int, default=10)
    args = parser.parse_args()
    configure_logging(service="bench", level="WARNING")
    uvloop.run(run(args))


if __name__ == "__main__":
    main()
