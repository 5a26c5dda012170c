"""The orders service's HTTP edge: the platforms' webhooks and the order API.

Every answer is JSON and every request leaves one log line with its
platform and delivery id: `delivery.accepted` with what the delivery did,
or `delivery.rejected` with the status and the reason. A rejected delivery
stores nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from orderflow.backbone.logging import get_logger
from orderflow.orders.adapters.order_store import StoredOrder
from orderflow.orders.domain.generic import GenericOrder
from orderflow.orders.errors import (
    BodyTooLarge,
    IntakeUnavailable,
    OrderNotFound,
    OrdersError,
    UnknownPlatform,
)
from orderflow.orders.handlers import (
    Headers,
    Intake,
    Receipt,
    Webhook,
    delivery_id_in,
)

log = get_logger(__name__)

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]

_WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "description": "The platform's payload, exactly as the platform signed it.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class IntakeRoute(APIRoute):
    """A route whose refusals are clear JSON, each with one log line."""

    def get_route_handler(self) -> Endpoint:
        handler = self.inner_handler()

        async def answer(request: Request) -> Response:
            started = time.perf_counter()
            try:
                return await handler(request)
            except OrdersError as error:
                return _rejected(request, error, started)
            except Exception:
                log.exception("delivery.failed", path=request.url.path)
                unstored = IntakeUnavailable("the delivery was not stored")
                return _rejected(request, unstored, started)

        return answer

    def inner_handler(self) -> Endpoint:
        """What answers the request, FastAPI's parameter handling included."""
        return super().get_route_handler()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            refusal = _method_not_allowed(Request(scope), sorted(self.methods))
            await refusal(scope, receive, send)
            return
        await super().handle(scope, receive, send)


class DeliveryRoute(IntakeRoute):
    """A route whose endpoint reads the request itself, as a webhook must.

    FastAPI's parameter handling is left out: a delivery is its raw body and
    headers, nothing for it to parse, and at webhook rates what it costs per
    request shows.
    """

    def inner_handler(self) -> Endpoint:
        endpoint: Endpoint = self.endpoint
        return endpoint


async def _body(request: Request, headers: Headers, limit: int) -> bytes:
    """The request's body; `BodyTooLarge` past `limit` bytes, declared or sent."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _method_not_allowed(request: Request, allowed: list[str]) -> Response:
    log.warning(
        "delivery.rejected",
        path=request.url.path,
        method=request.method,
        delivery_id=delivery_id_in(request.headers),
        status=405,
        error="method_not_allowed",
    )
    return JSONResponse(
        {
            "error": "method_not_allowed",
            "message": f"this path takes {', '.join(allowed)} only",
        },
        status_code=405,
        headers={"Allow": ", ".join(allowed)},
    )


def router(intake: Intake) -> APIRouter:
    """`POST /webhooks/<platform>` for each platform, and the order API."""
    routes = APIRouter(route_class=IntakeRoute)
    for name, webhook in intake.webhooks.items():
        routes.add_api_route(
            f"/webhooks/{name}",
            _webhook_endpoint(intake, webhook),
            route_class_override=DeliveryRoute,
            methods=["POST"],
            tags=["webhooks"],
            summary=f"Take a {webhook.platform.value} webhook",
            openapi_extra=_WEBHOOK_BODY,
            name=f"webhook_{name}",
        )

    @routes.post("/webhooks/{platform}", include_in_schema=False)
    async def unknown_platform(platform: str) -> Response:
        raise UnknownPlatform(platform)

    routes.add_api_route(
        "/orders",
        _webhook_endpoint(intake, intake.api),
        route_class_override=DeliveryRoute,
        methods=["POST"],
        tags=["orders"],
        summary="Place an order from any other shop (API key)",
        openapi_extra=_order_body(),
        name="place_order",
    )

    @routes.get("/orders/{order_id}", tags=["orders"], response_model=StoredOrder)
    async def get_order(order_id: str, request: Request) -> StoredOrder:
        """The order as it stands, with every update applied (API key)."""
        intake.authenticate_api(request.headers)
        try:
            found = await intake.order(UUID(order_id))
        except ValueError:
            found = None
        if found is None:
            raise OrderNotFound(order_id)
        return found

    return routes


def _webhook_endpoint(intake: Intake, webhook: Webhook) -> Endpoint:
    limit = intake.settings.max_body_bytes

    async def take_delivery(request: Request) -> Response:
        started = time.perf_counter()
        headers = dict(request.headers.items())
        request.state.delivery_id = webhook.delivery_id(headers)
        body = await _body(request, headers, limit)
        try:
            receipt = await intake.take(webhook, headers, request.query_params, body)
        except OrdersError:
            request.state.delivery_id = webhook.delivery_id(headers, body)
            raise
        return _accepted(webhook.platform.value, receipt, started)

    take_delivery.__doc__ = (
        f"Authenticate a {webhook.platform.value} delivery and store it with its"
        " events before answering. Repeated deliveries are answered `duplicate`."
    )
    return take_delivery


def _accepted(platform: str, receipt: Receipt, started: float) -> Response:
    log.info(
        "delivery.accepted",
        platform=platform,
        delivery_id=receipt.delivery_id,
        order_id=receipt.order_id,
        outcome=str(receipt.outcome),
        duration_ms=_elapsed_ms(started),
    )
    return JSONResponse(
        {
            "status": str(receipt.outcome),
            "delivery_id": receipt.delivery_id,
            "order_id": receipt.order_id,
        }
    )


def _rejected(request: Request, error: OrdersError, started: float) -> Response:
    log.warning(
        "delivery.rejected",
        path=request.url.path,
        delivery_id=getattr(request.state, "delivery_id", None)
        or delivery_id_in(request.headers),
        status=error.status_code,
        error=error.code,
        reason=str(error),
        duration_ms=_elapsed_ms(started),
    )
    content: dict[str, Any] = {"error": error.code, "message": str(error)}
    problems = getattr(error, "problems", ())
    if problems:
        content["fields"] = [{"path": path, "problem": msg} for path, msg in problems]
    return JSONResponse(content, status_code=error.status_code)


def _order_body() -> dict[str, Any]:
    schema = GenericOrder.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, definitions)}},
        }
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every `#/$defs/...` reference replaced by its definition."""
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref", "")
    if reference.startswith("#/$defs/"):
        return _inline(definitions[reference.removeprefix("#/$defs/")], definitions)
    return {key: _inline(value, definitions) for key, value in node.items()}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
