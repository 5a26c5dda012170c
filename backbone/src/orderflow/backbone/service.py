"""The composition of one service: its consumers, routes, relay and lifecycle.

A service module builds a `Service`, registers its handlers with
`@service.handles(SomeEvent)` and its FastAPI routers, and names the events
it emits. `orderflow run <service>` serves it: consumers and HTTP routes in
one event loop, the outbox relay beside them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitBroker

from orderflow.backbone import topology
from orderflow.backbone.asyncapi import asyncapi_document
from orderflow.backbone.database import create_pool
from orderflow.backbone.health import health_router
from orderflow.backbone.logging import configure_logging, get_logger
from orderflow.backbone.migrations import (
    Migration,
    backbone_migrations,
    load_migrations,
    migrate,
)
from orderflow.backbone.outbox import EventPublisher, OutboxRelay
from orderflow.backbone.settings import BackboneSettings
from orderflow.backbone.subscriber import Consumer, Handler, Subscription
from orderflow.backbone.unit_of_work import UnitOfWork, unit_of_work
from orderflow.contracts.envelope import Envelope, EventPayload

log = get_logger(__name__)

P = TypeVar("P", bound=EventPayload)
Hook = Callable[["Service"], AbstractAsyncContextManager[None]]

_BROKER_RETRY_SECONDS = 2.0
_DATABASE_WAIT_SECONDS = 30.0


class Service:
    """One Orderflow service: a name, its settings, handlers and routes."""

    def __init__(
        self,
        name: str,
        settings: BackboneSettings,
        *,
        port: int,
        description: str = "",
        migrations: Traversable | None = None,
        emits: tuple[type[EventPayload], ...] = (),
        ready_without_broker: bool = False,
    ) -> None:
        self.name = name
        self.settings = settings
        self.port = settings.http_port or port
        self.description = description
        self.emits = emits
        self.ready_without_broker = ready_without_broker
        self.subscriptions: list[Subscription] = []
        self.routers: list[APIRouter] = []
        self.hooks: list[Hook] = []
        self._consumers: list[Consumer] = []
        self._migrations = migrations
        self._pool: asyncpg.Pool | None = None
        self._broker_connected = False
        self.broker = RabbitBroker(
            settings.amqp_url.get_secret_value(),
            default_channel=Channel(
                prefetch_count=settings.prefetch, on_return_raises=True
            ),
            graceful_timeout=settings.shutdown_grace,
            logger=None,
            apply_types=False,
        )

    def handles(
        self, payload: type[P], *, batched: bool = False
    ) -> Callable[[Callable[[Envelope[P], UnitOfWork], Any]], Any]:
        """Register the decorated coroutine as this service's handler of `payload`."""

        def register(handler: Callable[[Envelope[P], UnitOfWork], Any]) -> Any:
            self.subscribe(payload, handler, batched=batched)
            return handler

        return register

    def subscribe(
        self, payload: type[EventPayload], handler: Handler, *, batched: bool = False
    ) -> None:
        """Consume `payload` events with `handler`.

        `batched` applies deliveries that arrive together in one transaction
        (see `orderflow.backbone.batching`): only for handlers whose whole
        effect is in the service's database.
        """
        subscription = Subscription(self.name, payload, handler, batched)
        consumer = Consumer(
            subscription,
            broker=self.broker,
            pool=lambda: self.pool,
            settings=self.settings,
        )
        self.broker.subscriber(
            topology.subscription_queue(self.name, subscription.routing_key),
            exchange=topology.EVENTS_EXCHANGE,
            ack_policy=AckPolicy.MANUAL,
            decoder=_the_message_itself,
            title=subscription.queue_name,
        )(consumer)
        self.subscriptions.append(subscription)
        self._consumers.append(consumer)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"service {self.name} has not started")
        return self._pool

    def unit_of_work(
        self, cause: Envelope[Any] | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        """A transaction for an HTTP route; `uow.emit` writes to the outbox."""
        return unit_of_work(
            self.pool, producer=self.name, schema=self.name, cause=cause
        )

    def migrations(self) -> list[Migration]:
        own = load_migrations(self.name, self._migrations) if self._migrations else []
        return [*backbone_migrations(), *own]

    async def migrate(self) -> list[Migration]:
        url = self.settings.database_url.get_secret_value()
        conn = await asyncpg.connect(url)
        try:
            return await migrate(conn, self.name, self.migrations())
        finally:
            await conn.close()

    def app(self) -> FastAPI:
        """The FastAPI application whose lifespan runs the whole service."""
        app = FastAPI(
            title=f"Orderflow {self.name}",
            description=self.description,
            lifespan=self._lifespan,
        )
        required = {"database"} if self.ready_without_broker else {"database", "broker"}
        checks = {"database": self._database_ready, "broker": self.broker_ready}
        app.include_router(health_router(checks, required))
        app.add_api_route(
            "/asyncapi.json",
            lambda: asyncapi_document(self),
            methods=["GET"],
            tags=["operations"],
            summary="The events this service consumes and emits",
        )
        for router in self.routers:
            app.include_router(router)
        return app

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM; in-flight messages are finished."""
        configure_logging(
            service=self.name,
            level=self.settings.log_level,
            log_format=self.settings.log_format,
        )
        uvicorn.run(
            self.app(),
            host=self.settings.http_host,
            port=self.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=int(self.settings.shutdown_grace),
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start the database, the hooks, then relay and consumers; stop in reverse."""
        await self._wait_for_database()
        await self.migrate()
        self._pool = await create_pool(
            self.settings.database_url.get_secret_value(),
            schema=self.name,
            max_size=self.settings.database_pool_size,
        )
        try:
            async with contextlib.AsyncExitStack() as hooks:
                for hook in self.hooks:
                    await hooks.enter_async_context(hook(self))
                async with self._consuming_and_relaying():
                    log.info("service.started", port=self.port)
                    yield
        finally:
            await self.pool.close()
            self._pool = None
            log.info("service.stopped")

    @asynccontextmanager
    async def _consuming_and_relaying(self) -> AsyncIterator[None]:
        """The relay and the consumers, started after the hooks, stopped before."""
        publisher = EventPublisher(self.settings.amqp_url.get_secret_value())
        relay = self._relay(publisher)
        relay_task = asyncio.create_task(relay.run(), name=f"{self.name}-relay")
        broker_task = asyncio.create_task(
            self._start_broker(), name=f"{self.name}-broker"
        )
        try:
            yield
        finally:
            await self._stop_broker(broker_task)
            relay.stop()
            await relay_task
            await publisher.close()

    @asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        async with self.running():
            _freeze_startup_heap()
            yield

    def _relay(self, publisher: EventPublisher) -> OutboxRelay:
        async def connect() -> asyncpg.Connection:
            url = self.settings.database_url.get_secret_value()
            return await asyncpg.connect(url)

        return OutboxRelay(
            self.pool,
            publisher.publish,
            connect=connect,
            service=self.name,
            schema=self.name,
            batch_size=self.settings.outbox_batch_size,
            poll_interval=self.settings.outbox_poll_interval,
            retention=timedelta(days=self.settings.outbox_retention_days),
            inbox_retention=timedelta(days=self.settings.inbox_retention_days),
        )

    async def _start_broker(self) -> None:
        """Connect, declare the topology and consume; retry until it works."""
        while True:
            try:
                await self.broker.connect()
                await self._declare_topology()
                await self.broker.start()
            except Exception as exc:  # noqa: BLE001 - keep trying until stopped
                log.warning("broker_connect.failed", error=type(exc).__name__)
                await self.broker.stop()
                await asyncio.sleep(_BROKER_RETRY_SECONDS)
            else:
                self._broker_connected = True
                log.info("broker_connect.completed")
                return

    async def _declare_topology(self) -> None:
        await topology.declare_exchanges(self.broker)
        await topology.declare_delay_tiers(self.broker, self.settings.retry_delays)
        await topology.declare_dead_letter_queue(self.broker, self.name)
        for subscription in self.subscriptions:
            queue = topology.subscription_queue(self.name, subscription.routing_key)
            await topology.bind_for_retries(self.broker, queue)

    async def _stop_broker(self, broker_task: asyncio.Task[None]) -> None:
        broker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await broker_task
        await self.broker.stop()
        self._broker_connected = False
        for consumer in self._consumers:
            await consumer.close()

    async def _wait_for_database(self) -> None:
        url = self.settings.database_url.get_secret_value()
        deadline = asyncio.get_running_loop().time() + _DATABASE_WAIT_SECONDS
        while True:
            try:
                conn = await asyncpg.connect(url)
            except (OSError, asyncpg.CannotConnectNowError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("database_connect.failed")
                await asyncio.sleep(1.0)
            else:
                await conn.close()
                return

    async def _database_ready(self) -> bool:
        if self._pool is None:
            return False
        try:
            async with self._pool.acquire(timeout=2.0) as conn:
                await conn.fetchval("SELECT 1", timeout=2.0)
        except Exception:  # noqa: BLE001 - any failure means not ready
            return False
        return True

    async def broker_ready(self) -> bool:
        """Whether the service is connected and consuming."""
        if not self._broker_connected:
            return False
        try:
            return await self.broker.ping(timeout=2.0)
        except Exception:  # noqa: BLE001 - any failure means not ready
            return False


def _freeze_startup_heap() -> None:
    """Keep what start-up allocated out of the garbage collector's full passes.

    NOTE: start-up leaves some hundred thousand objects (modules, models,
    templates) that live as long as the process. A full collection walks
    them all and stops the event loop for tens of milliseconds, and every
    message and request in flight waits; frozen, it walks only what the work
    since left behind. Only a served process freezes (one service for its
    whole life), not a test that starts and stops many.
    """
    gc.collect()
    gc.freeze()


async def _the_message_itself(message: StreamMessage[Any]) -> StreamMessage[Any]:
    """Hand the consumer the whole message: it parses the body, settles the message.

    With `apply_types` off, faststream calls the handler with what the decoder
    returns; the consumer dead-letters a body that does not parse.
    """
    return message
