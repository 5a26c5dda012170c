"""The routes every service serves: liveness, readiness and metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Check = Callable[[], Awaitable[bool]]


def health_router(checks: Mapping[str, Check], required: set[str]) -> APIRouter:
    """`/health/ready` is 200 when every check in `required` passes."""
    router = APIRouter(tags=["operations"])

    @router.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/health/ready", summary="The service can do its job")
    async def ready() -> JSONResponse:
        results = {name: await check() for name, check in checks.items()}
        is_ready = all(results[name] for name in required)
        return JSONResponse(
            {"status": "ready" if is_ready else "not ready", "checks": results},
            status_code=200 if is_ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
