"""The CRM sync subscription: every configured CRM, retried or dead-lettered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from crm_fakes import (
    HUBSPOT_TOKEN,
    SALESFORCE_TOKEN,
    ZOHO_TOKEN,
    FakeHubSpot,
    FakeSalesforce,
    FakeZoho,
    serving,
)
from crm_harness import CrmHarness, placed

from orderflow.backbone.testing import eventually
from orderflow.contracts import CustomerUpserted


@dataclass
class ThreeCrms:
    """Fakes of all three CRMs and the settings that point crm at them."""

    hubspot: FakeHubSpot = field(default_factory=FakeHubSpot)
    salesforce: FakeSalesforce = field(default_factory=FakeSalesforce)
    zoho: FakeZoho = field(default_factory=FakeZoho)
    settings: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def three_crms() -> AsyncIterator[ThreeCrms]:
    crms = ThreeCrms()
    async with (
        serving(crms.hubspot.build()) as hubspot_url,
        serving(crms.salesforce.build()) as salesforce_url,
        serving(crms.zoho.build()) as zoho_url,
    ):
        crms.settings = {
            "hubspot_token": HUBSPOT_TOKEN,
            "hubspot_url": hubspot_url,
            "salesforce_token": SALESFORCE_TOKEN,
            "salesforce_instance_url": salesforce_url,
            "zoho_token": ZOHO_TOKEN,
            "zoho_api_domain": zoho_url,
        }
        yield crms


async def _links(crm: CrmHarness, count: int) -> dict[str, str]:
    async def linked() -> bool:
        return await crm.count("crm_links") >= count

    await eventually(linked)
    rows = await crm.fetch("SELECT crm, external_id FROM crm_links")
    return {row["crm"]: row["external_id"] for row in rows}


async def test_customer_is_synced_to_every_configured_crm(crm: CrmHarness) -> None:
    async with three_crms() as fakes:
        service = crm.service(**fakes.settings)
        async with crm.running(service):
            await crm.send(placed("ord-1"))
            links = await _links(crm, 3)

    assert set(links) == {"hubspot", "salesforce", "zoho"}
    assert fakes.hubspot.records[links["hubspot"]]["email"] == "ada@example.com"
    assert fakes.salesforce.records[links["salesforce"]]["Email"] == ("ada@example.com")
    assert fakes.zoho.records[links["zoho"]]["Email"] == "ada@example.com"


async def test_second_order_updates_the_contacts_it_created(crm: CrmHarness) -> None:
    async with three_crms() as fakes:
        hubspot = fakes.hubspot
        service = crm.service(**fakes.settings)
        async with crm.running(service):
            await crm.send(placed("ord-1"))
            await _links(crm, 3)
            await crm.send(placed("ord-2", minutes_later=1, phone="+49 89 123"))

            async def updated() -> bool:
                return any(
                    record.get("phone") == "+49 89 123"
                    for record in hubspot.records.values()
                )

            await eventually(updated)

    for fake in (fakes.hubspot, fakes.salesforce, fakes.zoho):
        assert len(fake.records) == 1
    [contact] = hubspot.records.values()
    assert contact["phone"] == "+49 89 123"


async def test_crm_outage_retries_the_sync_without_redoing_the_upsert(
    crm: CrmHarness,
) -> None:
    async with three_crms() as fakes:
        hubspot = fakes.hubspot
        hubspot.fail_next(503, {"status": "error", "message": "Service Unavailable"})
        service = crm.service(**fakes.settings)
        async with crm.running(service):
            await crm.send(placed("ord-1"))
            await _links(crm, 3)

    failed_then_retried = [path for _, path in hubspot.requests[:2]]
    assert failed_then_retried == ["/crm/v3/objects/contacts/search"] * 2
    assert len(hubspot.records) == 1
    assert len(await crm.events(CustomerUpserted)) == 1
    assert await crm.dead_letters() == []


async def test_rejected_record_is_dead_lettered_with_the_api_message(
    crm: CrmHarness,
) -> None:
    async with three_crms() as fakes:
        service = crm.service(**fakes.settings)
        async with crm.running(service):
            await crm.send(placed("ord-1", email="ada@localhost"))
            [letter] = await crm.wait_for_dead_letters()

    assert letter.reason == "permanent"
    assert letter.error_type == "CrmRejected"
    assert letter.original_queue.endswith("customer.upserted.v1")
    assert letter.error_message is not None
    assert "hubspot rejected the record (400)" in letter.error_message
    assert "Property values were not valid" in letter.error_message
    assert "ada@localhost" not in letter.error_message


async def test_erased_customer_is_deleted_in_every_crm(crm: CrmHarness) -> None:
    async with three_crms() as fakes:
        service = crm.service(**fakes.settings)
        async with crm.running(service), crm.client(service) as client:
            await crm.send(placed("ord-1"))
            await _links(crm, 3)
            fakes.zoho.fail_next(500, {"code": "INTERNAL_ERROR", "status": "error"})
            await client.post("/customers/erasure", json={"email": "ada@example.com"})

            async def erased_everywhere() -> bool:
                return await crm.count("crm_erasures") == 0

            await eventually(erased_everywhere)

    assert fakes.hubspot.records == {}
    assert fakes.salesforce.records == {}
    assert fakes.zoho.records == {}
    zoho_deletes = [r for r in fakes.zoho.requests if r[0] == "DELETE"]
    assert len(zoho_deletes) == 2


async def test_without_a_crm_the_own_store_keeps_the_customer(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1"))
        await crm.wait_for_events(CustomerUpserted)

        async def synced() -> bool:
            rows = await crm.fetch(
                "SELECT count(*) AS n FROM inbox WHERE subscription LIKE $1",
                "%customer.upserted.v1",
            )
            return bool(rows[0]["n"])

        await eventually(synced)

    assert await crm.count("customers") == 1
    assert await crm.count("crm_links") == 0
    assert await crm.dead_letters() == []
