"""A local Stripe API on loopback that answers the requests billing makes.

It speaks Stripe's wire format: form-encoded bodies with bracketed keys
(`metadata[sku]=...`), JSON objects with `id` and `object`, errors as
`{"error": {...}}`. Idempotency works as Stripe documents it: the first
answer to an `Idempotency-Key` is saved once the request starts executing
and replayed to every retry with the same parameters; the same key with
other parameters is refused with an `idempotency_error`. `signed_event`
builds a webhook body with a valid `Stripe-Signature` header, as Stripe
signs them.

Two failures can be injected: `fail` answers 503 before the request
executes (nothing is saved, as when Stripe never started it), `lose`
executes and saves the request but the answer never arrives (a 502 from
the way back), as when a connection drops after Stripe did the work.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from orderflow.backbone.testing import eventually

WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - the fake's own secret
API_KEY = "sk_test_fake"
_KEY_REUSED = (
    "Keys for idempotent requests can only be used with the same parameters"
    " they were first used with. Try using a key other than '{}' if you meant"
    " to execute a different request."
)


@dataclass
class StripeCall:
    path: str
    idempotency_key: str | None
    params: dict[str, Any]


@dataclass
class FakeStripe:
    calls: list[StripeCall] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    _answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    url: str = ""
    failures: dict[str, int] = field(default_factory=dict)
    losses: dict[str, int] = field(default_factory=dict)
    _requests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fail(self, path: str, times: int) -> None:
        """Answer the next `times` requests to `path` with a 503."""
        self.failures[path] = times

    def lose(self, path: str, times: int) -> None:
        """Carry out the next `times` requests to `path` but lose the answers."""
        self.losses[path] = times

    def objects_of(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects.values() if obj["object"] == kind]

    def creations(self, path: str) -> list[StripeCall]:
        return [call for call in self.calls if call.path == path]

    def app(self) -> Starlette:
        routes = [
            Route("/v1/products", self._create("prod", "product"), methods=["POST"]),
            Route("/v1/prices", self._create("price", "price"), methods=["POST"]),
            Route(
                "/v1/checkout/sessions",
                self._create("cs_test", "checkout.session"),
                methods=["POST"],
            ),
            Route(
                "/v1/checkout/sessions/{session_id}/expire",
                self._expire,
                methods=["POST"],
            ),
            Route("/v1/refunds", self._create("re", "refund"), methods=["POST"]),
            Route("/v1/payment_intents/{intent_id}", self._retrieve, methods=["GET"]),
        ]
        return Starlette(routes=routes)

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Make an object known, as if Stripe had created it (a PaymentIntent)."""
        self.objects[obj["id"]] = obj
        return obj

    async def _retrieve(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return _error(401, "invalid_request_error", "Invalid API Key provided")
        intent_id = request.path_params["intent_id"]
        self.calls.append(StripeCall(request.url.path, None, {}))
        found = self.objects.get(intent_id)
        if found is None or found["object"] != "payment_intent":
            message = f"No such payment_intent: '{intent_id}'"
            return _error(404, "invalid_request_error", message)
        return JSONResponse(found, headers=_headers())

    async def _expire(self, request: Request) -> JSONResponse:
        """Close an open session; anything else is not in an expirable state."""
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return _error(401, "invalid_request_error", "Invalid API Key provided")
        key = request.headers.get("idempotency-key")
        self.calls.append(StripeCall(request.url.path, key, {}))
        if key and key in self._answers:
            return JSONResponse(self._answers[key], headers=_headers())
        session = self.objects.get(request.path_params["session_id"])
        if session is None or session["object"] != "checkout.session":
            return _error(404, "invalid_request_error", "No such checkout.session")
        if session["status"] != "open":
            message = "Only Checkout Sessions with a status in [open] can be expired"
            return _error(400, "invalid_request_error", message)
        session["status"] = "expired"
        if key:
            self._answers[key] = session
            self._requests[key] = {"path": request.url.path}
        return JSONResponse(session, headers=_headers())

    def _create(self, prefix: str, kind: str) -> Any:
        async def create(request: Request) -> JSONResponse:
            if request.headers.get("authorization") != f"Bearer {API_KEY}":
                return _error(401, "invalid_request_error", "Invalid API Key provided")
            params = _nested(parse_qsl((await request.body()).decode()))
            key = request.headers.get("idempotency-key")
            self.calls.append(StripeCall(request.url.path, key, params))
            if self.failures.get(request.url.path, 0) > 0:
                self.failures[request.url.path] -= 1
                return _error(503, "api_error", "Stripe is having a moment")
            asked = {"path": request.url.path} | params
            if key and key in self._answers:
                if self._requests[key] != asked:
                    return _error(400, "idempotency_error", _KEY_REUSED.format(key))
                answer = self._answers[key]
            else:
                answer = self._object(prefix, kind, params)
                self.objects[answer["id"]] = answer
                if key:
                    self._answers[key] = answer
                    self._requests[key] = asked
            if self.losses.get(request.url.path, 0) > 0:
                self.losses[request.url.path] -= 1
                return _error(502, "api_error", "The answer was lost on its way")
            return JSONResponse(answer, headers=_headers())

        return create

    def _object(self, prefix: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        object_id = f"{prefix}_{next(self._ids):06d}"
        answer: dict[str, Any] = {
            "id": object_id,
            "object": kind,
            "created": int(time.time()),
            "livemode": False,
            "metadata": params.get("metadata", {}),
        }
        if kind == "price":
            answer |= {
                "product": params["product"],
                "unit_amount": int(params["unit_amount"]),
                "currency": params["currency"],
                "active": True,
                "type": "one_time",
            }
        elif kind == "checkout.session":
            item = params["line_items"]["0"]
            amount = int(item["price_data"]["unit_amount"]) * int(item["quantity"])
            answer |= {
                "url": f"https://checkout.stripe.com/c/pay/{object_id}",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": amount,
                "currency": item["price_data"]["currency"],
                "client_reference_id": params.get("client_reference_id"),
                "customer_email": params.get("customer_email"),
                "payment_intent": None,
            }
        elif kind == "refund":
            answer |= {
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
                "status": "succeeded",
                "currency": "eur",
            }
        else:
            answer |= {"name": params.get("name"), "active": True}
        return answer

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeStripe]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        await eventually(_started(server))
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            await task
            sock.close()


def _started(server: uvicorn.Server) -> Callable[[], Awaitable[bool]]:
    async def started() -> bool:
        return server.started

    return started


def _headers() -> dict[str, str]:
    return {"Request-Id": f"req_{time.monotonic_ns()}"}


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status)


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][c]=v` pairs as nested dicts, as Stripe reads its form bodies."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def signed_event(
    event_type: str, obj: dict[str, Any], *, event_id: str, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, str]:
    """A webhook body and its `Stripe-Signature` header."""
    event = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }
    return signed_body(json.dumps(event).encode(), secret=secret)


def signed_body(
    body: bytes, *, secret: str = WEBHOOK_SECRET, age: int = 0
) -> tuple[bytes, str]:
    """Any body, signed as Stripe signs its webhooks `age` seconds ago."""
    timestamp = int(time.time()) - age
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={timestamp},v1={signature}"
