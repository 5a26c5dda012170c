"""A service's HTTP face and lifecycle: health, metrics, AsyncAPI, shutdown."""

from __future__ import annotations

import asyncio
import gc

import httpx
import pytest
from backbone_harness import Harness, ThingHappened, eventually, record_effect, thing
from pydantic import ValidationError

from orderflow.backbone.service import Service
from orderflow.backbone.settings import BackboneSettings
from orderflow.backbone.shop import ShopIdentity
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts.envelope import Envelope


def _client(service: Service) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=service.app())
    return httpx.AsyncClient(transport=transport, base_url="http://service")


async def test_ready_when_database_and_broker_are_reachable(harness: Harness) -> None:
    service = harness.service()

    async with harness.running(service), _client(service) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")

    assert live.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "broker": True}


async def test_a_consumer_is_not_ready_without_the_broker(harness: Harness) -> None:
    service = harness.service(amqp_url="amqp://guest:guest@127.0.0.1:1/")

    async with service.running(), _client(service) as client:
        ready = await client.get("/health/ready")

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "broker": False}


async def test_a_producer_may_be_ready_without_the_broker(harness: Harness) -> None:
    service = harness.service(handler=None, amqp_url="amqp://guest:guest@127.0.0.1:1/")
    service.ready_without_broker = True

    async with service.running(), _client(service) as client:
        ready = await client.get("/health/ready")
        async with service.unit_of_work() as uow:
            uow.emit(ThingHappened(thing_id="accepted"), correlation_id="accepted")

    assert ready.status_code == 200
    [row] = await harness.fetch("SELECT published_at FROM outbox")
    assert row["published_at"] is None


async def test_a_served_service_leaves_its_startup_heap_out_of_collections(
    harness: Harness,
) -> None:
    service = harness.service()
    app = service.app()
    before = gc.get_freeze_count()

    try:
        async with app.router.lifespan_context(app), _client(service) as client:
            frozen = gc.get_freeze_count()
            await eventually(service.broker_ready)
            ready = await client.get("/health/ready")
    finally:
        gc.unfreeze()

    assert before == 0
    assert frozen > 0
    assert ready.status_code == 200


async def test_metrics_count_the_messages_handled(harness: Harness) -> None:
    service = harness.service()

    async with harness.running(service), _client(service) as client:
        await harness.send(thing())
        await eventually(lambda: _effects(harness, 1))
        metrics = (await client.get("/metrics")).text

    labels = f'service="{harness.name}",subscription="{harness.queue}"'
    assert f'orderflow_messages_handled_total{{outcome="applied",{labels}}}' in metrics
    assert f"orderflow_handler_seconds_count{{{labels}}}" in metrics
    assert f'orderflow_outbox_backlog{{service="{harness.name}"}}' in metrics


async def test_asyncapi_document_names_what_is_consumed_and_emitted(
    harness: Harness,
) -> None:
    service = harness.service()

    async with harness.running(service), _client(service) as client:
        document = (await client.get("/asyncapi.json")).json()

    key = ThingHappened.routing_key()
    assert document["asyncapi"] == "3.0.0"
    assert document["operations"][f"receive {key}"]["action"] == "receive"
    assert document["operations"][f"send {key}"]["action"] == "send"
    schema = document["components"]["messages"]["ThingHappenedV1"]["payload"]
    assert "payload" in schema["required"]


async def test_shutdown_finishes_the_message_in_flight(harness: Harness) -> None:
    started = asyncio.Event()

    async def slow(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        started.set()
        await asyncio.sleep(1.0)
        await record_effect(event, uow)

    service = harness.service(slow)

    async with harness.running(service):
        await harness.send(thing())
        await started.wait()

    assert await harness.effects() == 1
    assert harness.handled() == 1


def test_production_refuses_the_local_defaults() -> None:
    with pytest.raises(ValidationError, match="ORDERFLOW_AMQP_URL must be set"):
        BackboneSettings(environment="production")


async def _effects(harness: Harness, count: int) -> bool:
    return await harness.effects() >= count


def test_production_refuses_the_example_shop() -> None:
    with pytest.raises(ValidationError) as refused:
        ShopIdentity(environment="production", name="Tienda Sol")

    message = str(refused.value)
    assert "ORDERFLOW_SHOP_LEGAL_NAME" in message
    assert "ORDERFLOW_SHOP_IBAN" in message
    assert "ORDERFLOW_SHOP_NAME" not in message


def test_production_takes_a_shop_that_names_itself() -> None:
    shop = ShopIdentity(
        environment="production",
        name="Tienda Sol",
        legal_name="Tienda Sol S.L.",
        street="Calle Mayor 5",
        postal_code="28013",
        city="Madrid",
        country="ES",
        vat_id="ESB12345674",
        email="hola@tiendasol.es",
        website="https://tiendasol.es",
        bank_name="Banco Ejemplar",
        iban="ES9121000418450200051332",
        bic="CAIXESBBXXX",
    )

    assert shop.mail_domain == "tiendasol.es"
