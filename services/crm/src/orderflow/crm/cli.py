"""`orderflow customer ...`: crm's commands, mounted by the `orderflow` CLI.

The erasure is written to crm's outbox like any other; the running crm
service's relay publishes `customer.erased.v1`, so the command itself needs
only the database.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from orderflow.backbone.database import create_pool
from orderflow.backbone.logging import configure_logging
from orderflow.backbone.unit_of_work import unit_of_work
from orderflow.contracts.values import EmailAddress, ShopId
from orderflow.crm.handlers import erase_customer
from orderflow.crm.main import create_service
from orderflow.crm.settings import Settings

app = typer.Typer(help="Customers in the crm store.")

_EMAIL: TypeAdapter[str] = TypeAdapter(EmailAddress)
_SHOP: TypeAdapter[str] = TypeAdapter(ShopId)


def _email_address(value: str) -> str:
    try:
        return _EMAIL.validate_python(value.strip())
    except ValidationError:
        raise typer.BadParameter("not an email address") from None


def _shop_id(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _SHOP.validate_python(value)
    except ValidationError:
        raise typer.BadParameter(
            "not a shop id: a platform, a colon and the shop's domain or account"
        ) from None


@app.callback()
def customer() -> None:
    """Customers in the crm store."""


@app.command()
def erase(
    email: Annotated[
        str,
        typer.Argument(help="The customer's email address.", callback=_email_address),
    ],
    shop: Annotated[
        str | None,
        typer.Option(
            help="Only in this shop, e.g. shopify:x.example.", callback=_shop_id
        ),
    ] = None,
) -> None:
    """Erase a customer's personal data and tell every service to erase theirs."""
    configure_logging(service="crm")
    erased = asyncio.run(_erase(Settings(), email, shop))
    if not erased:
        typer.secho("no customer with that email address", err=True)
        raise typer.Exit(code=1)
    for customer_id in erased:
        typer.echo(f"erased customer {customer_id}")


async def _erase(settings: Settings, email: str, shop: str | None) -> list[str]:
    service = create_service(settings)
    await service.migrate()
    pool = await create_pool(
        settings.database_url.get_secret_value(), schema=service.name, max_size=1
    )
    try:
        async with unit_of_work(
            pool, producer=service.name, schema=service.name
        ) as uow:
            return await erase_customer(uow, email, shop)
    finally:
        await pool.close()
