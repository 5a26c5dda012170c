"""crm's HTTP routes: look a customer up, and erase one on request.

Both need the admin API key (`ORDERFLOW_ADMIN_API_KEY`). The address to
erase travels in the request body, never in the URL, so it does not end up in
access logs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from orderflow.backbone.api_keys import configured_keys, require_api_key
from orderflow.backbone.service import Service
from orderflow.contracts import Customer
from orderflow.contracts.values import EmailAddress, ShopId
from orderflow.crm.adapters import customer_store as store
from orderflow.crm.handlers import erase_customer
from orderflow.crm.settings import Settings


class ErasureRequest(BaseModel):
    email: EmailAddress
    shop_id: ShopId | None = None


class ErasureDone(BaseModel):
    erased: list[str]


class PastOrderPublic(BaseModel):
    order_id: str
    order_number: str
    placed_at: datetime
    currency: str
    total: Decimal
    refunded: Decimal
    cancelled: bool


class CustomerPublic(BaseModel):
    customer_id: str
    shop_id: str
    customer: Customer
    orders: int
    lifetime_value: dict[str, Decimal]
    history: list[PastOrderPublic]


def customer_router(service: Service, settings: Settings) -> APIRouter:
    """The routes of the crm service, working in `service`'s transactions."""
    keys = configured_keys(settings.admin_api_key, settings.admin_api_key_previous)
    router = APIRouter(
        prefix="/customers",
        tags=["customers"],
        dependencies=[Depends(require_api_key(keys, "ORDERFLOW_ADMIN_API_KEY"))],
        responses={401: {"description": "No valid admin API key"}},
    )

    @router.post("/erasure", response_model=ErasureDone)
    async def erase(request: ErasureRequest) -> ErasureDone:
        """Erase a customer's personal data and tell every service to."""
        async with service.unit_of_work() as uow:
            erased = await erase_customer(uow, request.email, request.shop_id)
        if not erased:
            raise HTTPException(status_code=404, detail="no customer with that email")
        return ErasureDone(erased=erased)

    @router.get("/{customer_id}", response_model=CustomerPublic)
    async def show(customer_id: str) -> CustomerPublic:
        """A customer with their orders and lifetime value per currency."""
        async with service.pool.acquire() as conn:
            record = await store.load_customer(conn, customer_id)
            if record is None:
                raise HTTPException(status_code=404, detail="no such customer")
            history = await store.customer_history(conn, customer_id)
        return CustomerPublic(
            customer_id=record.customer_id,
            shop_id=record.shop_id,
            customer=record.customer,
            orders=len(history.orders),
            lifetime_value=history.lifetime_value,
            history=[PastOrderPublic(**vars(order)) for order in history.orders],
        )

    return router
