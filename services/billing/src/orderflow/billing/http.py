"""billing's HTTP routes: Stripe's webhooks and the documents' PDFs."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Query, Request, Response

from orderflow.backbone.errors import PermanentError, TransientError
from orderflow.backbone.logging import get_logger
from orderflow.backbone.service import Service
from orderflow.billing.adapters import invoice_store
from orderflow.billing.delivery import DocumentDelivery
from orderflow.billing.errors import WebhookMalformed, WebhookNotVerified
from orderflow.billing.handlers import Billing
from orderflow.billing.stripe_events import apply_stripe_event

log = get_logger(__name__)


def billing_routes(
    service: Service, billing: Billing, delivery: DocumentDelivery
) -> APIRouter:
    router = APIRouter(tags=["billing"])

    @router.post("/stripe/webhook", summary="Receive Stripe's events")
    async def stripe_webhook(request: Request) -> dict[str, str]:
        gateway = billing.gateway
        if gateway is None:
            raise HTTPException(404, "Stripe is not configured")
        signature = request.headers.get("Stripe-Signature", "")
        try:
            event = gateway.verified_event(await request.body(), signature)
        except WebhookNotVerified:
            log.warning("stripe_webhook.refused")
            raise HTTPException(400, "signature does not match") from None
        except WebhookMalformed as exc:
            log.warning("stripe_webhook.refused", event_id=exc.event_id)
            raise HTTPException(400, "not a Stripe event") from None
        try:
            async with service.unit_of_work() as uow:
                await apply_stripe_event(event, uow, gateway)
        except TransientError as exc:
            log.info("stripe_webhook.deferred", event_id=event.event_id)
            raise HTTPException(503, type(exc).__name__) from None
        except PermanentError as exc:
            # NOTE: Stripe would resend it for days; the log line is the
            # dead letter, with the event id to look it up in Stripe.
            log.error(
                "stripe_webhook.rejected",
                event_id=event.event_id,
                type=event.type,
                error=type(exc).__name__,
            )
            return {"status": "rejected"}
        log.info("stripe_webhook.applied", event_id=event.event_id, type=event.type)
        return {"status": "ok"}

    @router.get(
        "/invoices/{number}.pdf",
        summary="An invoice's or credit note's PDF",
        response_class=Response,
    )
    async def document_pdf(number: str, token: str = Query(...)) -> Response:
        async with service.pool.acquire() as conn:
            found = await invoice_store.by_number(conn, number)
        allowed = [
            issued
            for issued in found
            if secrets.compare_digest(issued.access_token, token)
        ]
        if not allowed:
            raise HTTPException(404, "no such document")
        pdf = await delivery.pdf(allowed[0])
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
        )

    return router
