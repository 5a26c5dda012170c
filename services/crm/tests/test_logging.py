"""crm's log lines carry ids, never the customer's address, name or payload."""

from __future__ import annotations

from crm_fakes import smtp_server, three_crms
from crm_harness import CrmHarness, placed
from structlog.testing import capture_logs

from orderflow.contracts import CustomerErased

PERSONAL = ("anna", "beispiel", "ada@example.com", "nobody@bounce.test", "5550100")


async def test_a_whole_customer_life_logs_no_personal_data(crm: CrmHarness) -> None:
    async with three_crms() as fakes, smtp_server() as (_, port):
        fakes.hubspot.fail_next(
            400,
            {
                "status": "error",
                "message": "Property values were not valid: "
                '[{"isValid":false,"message":"+49 171 5550100 of Anna Beispiel '
                'is not a valid phone number","name":"phone"}]',
                "category": "VALIDATION_ERROR",
            },
        )
        service = crm.service(smtp_port=port, **fakes.settings)
        with capture_logs() as logs:
            async with crm.running(service), crm.client(service) as client:
                await crm.send(placed("ord-1", phone="+49 171 5550100"))
                await crm.wait_for_dead_letters(1)
                await crm.send(placed("ord-2", email="nobody@bounce.test"))
                letters = await crm.wait_for_dead_letters(2)
                await client.post(
                    "/customers/erasure", json={"email": "ada@example.com"}
                )
                await crm.wait_for_events(CustomerErased)

    assert {letter.error_type for letter in letters} == {
        "CrmRejected",
        "ConfirmationRejected",
    }
    events = {entry["event"] for entry in logs}
    assert {"customer.upserted", "message.dead_lettered", "customer.erased"} <= events
    written = repr(logs).lower()
    assert [value for value in PERSONAL if value in written] == []
