"""The Prometheus metrics every service exposes on `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_HANDLED = Counter(
    "orderflow_messages_handled_total",
    "Messages handled, by outcome: applied, or skipped as a duplicate.",
    ["service", "subscription", "outcome"],
)
MESSAGES_FAILED = Counter(
    "orderflow_messages_failed_total",
    "Handler attempts that failed, by error type.",
    ["service", "subscription", "error_type"],
)
MESSAGES_RETRIED = Counter(
    "orderflow_messages_retried_total",
    "Messages sent to a delay tier for another attempt.",
    ["service", "subscription"],
)
MESSAGES_DEAD_LETTERED = Counter(
    "orderflow_messages_dead_lettered_total",
    "Messages moved to the service's dead-letter queue, by reason.",
    ["service", "subscription", "reason"],
)
HANDLER_SECONDS = Histogram(
    "orderflow_handler_seconds",
    "Time from delivery to acknowledgement of a message.",
    ["service", "subscription"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
OUTBOX_BACKLOG = Gauge(
    "orderflow_outbox_backlog",
    "Events written to the outbox and not yet published.",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "orderflow_outbox_published_total",
    "Events the outbox relay published with a broker confirm.",
    ["service"],
)
OUTBOX_UNROUTABLE = Counter(
    "orderflow_outbox_unroutable_total",
    "Publications the broker returned because no queue was bound.",
    ["service", "routing_key"],
)
