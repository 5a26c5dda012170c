"""Names and declarations of everything Orderflow puts on RabbitMQ.

    orderflow.events        topic    every event, routing key `order.placed.v1`
    <service>.<event>       quorum   one queue per subscription, bound to the
                                     events by type and to orderflow.retry by
                                     its own name
    orderflow.delay         headers  routes a retried message to the delay
                                     queue of its tier, by `orderflow-delay-ms`
    orderflow.delay.<ms>ms  quorum   holds messages for one tier's TTL, then
                                     dead-letters them to orderflow.retry
    orderflow.retry         direct   routing key is the queue a message goes
                                     back to: retries and replays
    orderflow.dead-letter   direct   routing key `<service>.dlq`
    <service>.dlq           quorum   the messages that failed for good

Every declaration is idempotent. The arguments a queue is declared with are
fixed here, since RabbitMQ refuses to redeclare a queue with other ones.
"""

from __future__ import annotations

from typing import Any

from faststream.rabbit import (
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)

EVENTS_EXCHANGE = RabbitExchange(
    "orderflow.events", type=ExchangeType.TOPIC, durable=True
)
DELAY_EXCHANGE = RabbitExchange(
    "orderflow.delay", type=ExchangeType.HEADERS, durable=True
)
RETRY_EXCHANGE = RabbitExchange(
    "orderflow.retry", type=ExchangeType.DIRECT, durable=True
)
DEAD_LETTER_EXCHANGE = RabbitExchange(
    "orderflow.dead-letter", type=ExchangeType.DIRECT, durable=True
)

ATTEMPT_HEADER = "x-orderflow-attempt"
FIRST_FAILED_HEADER = "x-orderflow-first-failed-at"
# NOTE: a headers exchange ignores binding arguments that start with "x-".
DELAY_HEADER = "orderflow-delay-ms"
ORIGINAL_QUEUE_HEADER = "x-orderflow-original-queue"
REASON_HEADER = "x-orderflow-reason"
ERROR_TYPE_HEADER = "x-orderflow-error-type"
ERROR_MESSAGE_HEADER = "x-orderflow-error-message"
DEAD_LETTERED_AT_HEADER = "x-orderflow-dead-lettered-at"
# What RabbitMQ adds when it dead-letters a message itself (a delay tier's
# TTL, a queue's delivery limit); a message sent on again starts without them.
BROKER_DEATH_HEADERS = frozenset(
    {
        "x-death",
        "x-delivery-count",
        "x-first-death-exchange",
        "x-first-death-queue",
        "x-first-death-reason",
        "x-last-death-exchange",
        "x-last-death-queue",
        "x-last-death-reason",
    }
)

# NOTE: RabbitMQ 4.x gives quorum queues a delivery limit of 20 by default and
# drops a message past it unless the queue dead-letters. We count attempts in
# our own header; this limit only catches a message that keeps crashing the
# consumer before it can be acknowledged, and sends it to the service's DLQ.
DELIVERY_LIMIT = 50


def subscription_queue_name(service: str, routing_key: str) -> str:
    return f"{service}.{routing_key}"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dlq"


def delay_queue_name(delay_ms: int) -> str:
    return f"orderflow.delay.{delay_ms}ms"


def delay_ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def subscription_queue(service: str, routing_key: str) -> RabbitQueue:
    """The durable quorum queue of one service's subscription to one event."""
    arguments: Any = {
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
        "x-dead-letter-routing-key": dead_letter_queue_name(service),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    return RabbitQueue(
        subscription_queue_name(service, routing_key),
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments=arguments,
        routing_key=routing_key,
    )


async def declare_exchanges(broker: RabbitBroker) -> None:
    for exchange in (
        EVENTS_EXCHANGE,
        DELAY_EXCHANGE,
        RETRY_EXCHANGE,
        DEAD_LETTER_EXCHANGE,
    ):
        await broker.declare_exchange(exchange)


async def declare_delay_tiers(broker: RabbitBroker, delays: list[float]) -> None:
    """One delay queue per tier, shared by every service on the broker."""
    delay = await broker.declare_exchange(DELAY_EXCHANGE)
    await broker.declare_exchange(RETRY_EXCHANGE)
    for ms in sorted({delay_ms(seconds) for seconds in delays}):
        arguments: Any = {
            "x-message-ttl": ms,
            "x-dead-letter-exchange": RETRY_EXCHANGE.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        queue = await broker.declare_queue(
            RabbitQueue(
                delay_queue_name(ms),
                queue_type=QueueType.QUORUM,
                durable=True,
                arguments=arguments,
            )
        )
        await queue.bind(delay, arguments={"x-match": "all", DELAY_HEADER: str(ms)})


async def declare_dead_letter_queue(broker: RabbitBroker, service: str) -> None:
    exchange = await broker.declare_exchange(DEAD_LETTER_EXCHANGE)
    name = dead_letter_queue_name(service)
    queue = await broker.declare_queue(
        RabbitQueue(name, queue_type=QueueType.QUORUM, durable=True)
    )
    await queue.bind(exchange, routing_key=name)


async def bind_for_retries(broker: RabbitBroker, queue: RabbitQueue) -> None:
    """Let retries and replays reach the queue by its own name."""
    retry = await broker.declare_exchange(RETRY_EXCHANGE)
    declared = await broker.declare_queue(queue)
    await declared.bind(retry, routing_key=queue.name)
