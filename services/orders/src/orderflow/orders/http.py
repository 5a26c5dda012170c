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

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from orderflow.backbone.logging import get_logger
from orderflow.orders.errors import (
    BodyTooLarge,
    IntakeUnavailable,
    OrdersError,
    UnknownPlatform,
)
from orderflow.orders.handlers import Intake, Receipt, Webhook

log = get_logger(__name__)

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]

_WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "description": "The platform's payload, exactly as it signed it.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class IntakeRoute(APIRoute):
    """A route whose errors become clear JSON answers and one log line each."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            started = time.perf_counter()
            try:
                return await handler(request)
            except OrdersError as error:
                return _rejected(request, error, started)
            except Exception:
                log.exception("delivery.failed", path=request.url.path)
                return _rejected(
                    request, IntakeUnavailable("the delivery was not stored"), started
                )

        return answer

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allowed = ", ".join(sorted(self.methods))
            log.warning(
                "delivery.rejected",
                path=scope["path"],
                status=405,
                error="method_not_allowed",
            )
            response = JSONResponse(
                {
                    "error": "method_not_allowed",
                    "message": f"{scope['method']} is not allowed here; use {allowed}",
                },
                status_code=405,
                headers={"Allow": allowed},
            )
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


def webhook_router(intake: Intake) -> APIRouter:
    """`POST /webhooks/<platform>` for each platform, and the order API."""
    router = APIRouter(route_class=IntakeRoute)
    for name, webhook in intake.webhooks.items():
        router.add_api_route(
            f"/webhooks/{name}",
            _webhook_endpoint(intake, webhook),
            methods=["POST"],
            tags=["webhooks"],
            summary=f"Take a {webhook.platform.value} webhook",
            openapi_extra=_WEBHOOK_BODY,
            name=f"webhook_{name}",
        )

    @router.post("/webhooks/{platform}", include_in_schema=False)
    async def unknown_platform(platform: str) -> Response:
        raise UnknownPlatform(platform)

    return router


def _webhook_endpoint(intake: Intake, webhook: Webhook) -> Endpoint:
    async def take_webhook(request: Request) -> Response:
        started = time.perf_counter()
        request.state.delivery_id = webhook.delivery_id(request.headers)
        body = await read_body(request, intake.settings.max_body_bytes)
        receipt = await intake.take(
            webhook, request.headers, request.query_params, body
        )
        return _accepted(request, webhook.platform.value, receipt, started)

    take_webhook.__doc__ = (
        f"Authenticate a {webhook.platform.value} delivery as the platform signs"
        " it, and store it with its events before answering."
    )
    return take_webhook


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused once it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _accepted(
    request: Request, platform: str, receipt: Receipt, started: float
) -> Response:
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
        delivery_id=getattr(request.state, "delivery_id", None),
        status=error.status_code,
        error=error.code,
        reason=str(error),
        duration_ms=_elapsed_ms(started),
    )
    content: dict[str, Any] = {"error": error.code, "message": str(error)}
    problems = getattr(error, "problems", None)
    if problems:
        content["fields"] = [{"path": path, "problem": msg} for path, msg in problems]
    return JSONResponse(content, status_code=error.status_code)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
