"""The CRM sync subscription: every configured CRM, retried or dead-lettered."""

from __future__ import annotations

import asyncio

from crm_fakes import three_crms
from crm_harness import CrmHarness, placed

from orderflow.backbone.testing import eventually
from orderflow.contracts import CustomerUpserted
from orderflow.crm.domain.events import ContactSyncRequested


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


async def test_crm_outage_retries_that_crms_sync_alone(crm: CrmHarness) -> None:
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
    assert len(fakes.salesforce.requests) == 1
    assert len(fakes.zoho.requests) == 1
    assert len(await crm.events(CustomerUpserted)) == 1
    assert await crm.dead_letters() == []


async def test_record_one_crm_refuses_is_dead_lettered_and_the_others_synced(
    crm: CrmHarness,
) -> None:
    async with three_crms() as fakes:
        fakes.hubspot.fail_next(
            400,
            {
                "status": "error",
                "message": "Property values were not valid: "
                '[{"isValid":false,"message":"1 is not a valid phone number",'
                '"error":"INVALID_PHONE_NUMBER","name":"phone"}]',
                "category": "VALIDATION_ERROR",
            },
        )
        service = crm.service(**fakes.settings)
        async with crm.running(service):
            await crm.send(placed("ord-1"))
            [letter] = await crm.wait_for_dead_letters()
            links = await _links(crm, 2)

    assert set(links) == {"salesforce", "zoho"}
    assert fakes.hubspot.records == {}
    assert letter.reason == "permanent"
    assert letter.error_type == "CrmRejected"
    assert letter.original_queue.endswith("crm.contact_sync_requested.v1")
    assert letter.error_message is not None
    assert "hubspot rejected the record (400)" in letter.error_message
    assert "INVALID_PHONE_NUMBER" in letter.error_message


async def test_address_every_crm_refuses_is_dead_lettered_once_per_crm(
    crm: CrmHarness,
) -> None:
    async with three_crms() as fakes:
        service = crm.service(**fakes.settings)
        async with crm.running(service):
            await crm.send(placed("ord-1", email="ada@localhost"))
            letters = await crm.wait_for_dead_letters(3)

    messages = sorted(letter.error_message or "" for letter in letters)
    assert [message.split(" ", 1)[0] for message in messages] == [
        "hubspot",
        "salesforce",
        "zoho",
    ]
    assert "Property values were not valid" in messages[0]
    assert "INVALID_EMAIL_ADDRESS" in messages[1]
    assert "INVALID_DATA: invalid data (Email)" in messages[2]
    assert all("ada@localhost" not in message for message in messages)
    assert {letter.reason for letter in letters} == {"permanent"}


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
    hubspot_deletes = [r for r in fakes.hubspot.requests if r[1].endswith("delete")]
    assert len(hubspot_deletes) == 1


async def test_without_a_crm_the_own_store_keeps_the_customer(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1"))
        await crm.wait_for_events(CustomerUpserted)

        async def upsert_handled() -> bool:
            rows = await crm.fetch(
                "SELECT count(*) AS n FROM inbox WHERE subscription LIKE $1",
                "%.customer.upserted.v1",
            )
            return bool(rows[0]["n"])

        await eventually(upsert_handled)

    assert await crm.count("customers") == 1
    assert await crm.events(ContactSyncRequested) == []
    assert await crm.count("crm_links") == 0


async def test_two_first_orders_at_once_make_one_contact_in_each_crm(
    crm: CrmHarness,
) -> None:
    async with three_crms() as fakes:
        service = crm.service(prefetch=10, **fakes.settings)
        async with crm.running(service):
            await asyncio.gather(
                crm.send(placed("ord-1")), crm.send(placed("ord-2", minutes_later=1))
            )
            await _links(crm, 3)

            async def both_synced() -> bool:
                rows = await crm.fetch(
                    "SELECT count(*) AS n FROM inbox WHERE subscription LIKE $1",
                    "%contact_sync_requested.v1",
                )
                return bool(rows[0]["n"] == 6)

            await eventually(both_synced)

    for fake in (fakes.hubspot, fakes.salesforce, fakes.zoho):
        assert len(fake.records) == 1
    assert await crm.dead_letters() == []
