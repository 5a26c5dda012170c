"""The AsyncAPI 3.0 document of a service, built from what it registered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderflow.backbone import topology
from orderflow.contracts.envelope import Envelope, EventPayload

if TYPE_CHECKING:
    from orderflow.backbone.service import Service


def asyncapi_document(service: Service) -> dict[str, Any]:
    """Channels, operations and message schemas of `service`."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for subscription in service.subscriptions:
        key = subscription.routing_key
        _add_channel(channels, messages, subscription.payload)
        operations[f"receive {key}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": subscription.handler.__doc__ or subscription.handler.__name__,
            "bindings": {"amqp": {"ack": True, "queue": subscription.queue_name}},
        }
    for payload in service.emits:
        _add_channel(channels, messages, payload)
        operations[f"send {payload.routing_key()}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{payload.routing_key()}"},
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Orderflow {service.name}",
            "version": "1",
            "description": service.description,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def _add_channel(
    channels: dict[str, Any], messages: dict[str, Any], payload: type[EventPayload]
) -> None:
    key = payload.routing_key()
    name = f"{payload.__name__}V{payload.version}"
    messages[name] = {
        "name": name,
        "title": key,
        "summary": _first_line(payload.__doc__),
        "payload": Envelope[payload].model_json_schema(),  # type: ignore[valid-type]
        "correlationId": {"location": "$message.header#/correlation_id"},
    }
    channels[key] = {
        "address": key,
        "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": topology.EVENTS_EXCHANGE.name,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                },
            }
        },
    }


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""
