"""Each CRM adapter with the real HTTP client against its fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from crm_fakes import (
    CLIENT_ID,
    CLIENT_SECRET,
    EXTERNAL_ID_FIELD,
    HUBSPOT_TOKEN,
    REFRESH_TOKEN,
    SALESFORCE_TOKEN,
    ZOHO_TOKEN,
    FakeHubSpot,
    FakeSalesforce,
    FakeZoho,
    serving,
)

from orderflow.crm.adapters.crm_http import Contact, CrmAdapter
from orderflow.crm.adapters.crms import ConfiguredCrms
from orderflow.crm.errors import CrmAnswerUnreadable, CrmRejected, CrmUnavailable
from orderflow.crm.settings import Settings

ADA = Contact(
    customer_id="cus-1",
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    company=None,
    phone="+49 30 1234567",
    marketing_consent=True,
)


@asynccontextmanager
async def adapter(**settings: Any) -> AsyncIterator[CrmAdapter]:
    crms = ConfiguredCrms(Settings(**settings))
    assert len(crms.adapters) == 1
    try:
        yield crms.adapters[0]
    finally:
        await crms.aclose()


@asynccontextmanager
async def hubspot(fake: FakeHubSpot, token: str = HUBSPOT_TOKEN) -> AsyncIterator[Any]:
    async with (
        serving(fake.build()) as url,
        adapter(hubspot_token=token, hubspot_url=url) as crm,
    ):
        yield crm


@asynccontextmanager
async def salesforce(fake: FakeSalesforce, **extra: Any) -> AsyncIterator[Any]:
    values = {"salesforce_token": SALESFORCE_TOKEN} | extra
    async with (
        serving(fake.build()) as url,
        adapter(salesforce_instance_url=url, **values) as crm,
    ):
        yield crm


@asynccontextmanager
async def zoho(fake: FakeZoho, **extra: Any) -> AsyncIterator[Any]:
    values = {"zoho_token": ZOHO_TOKEN} | extra
    async with (
        serving(fake.build()) as url,
        adapter(zoho_api_domain=url, zoho_accounts_url=url, **values) as crm,
    ):
        yield crm


REFRESHING = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def refreshing(crm: str, refresh_token: str = REFRESH_TOKEN) -> dict[str, str]:
    """Settings of a CRM that renews its access token from a refresh token."""
    values = REFRESHING | {"refresh_token": refresh_token}
    return {f"{crm}_{name}": value for name, value in values.items()}


def test_no_crm_is_configured_by_default() -> None:
    assert ConfiguredCrms(Settings()).adapters == []


class TestHubSpot:
    async def test_new_customer_is_searched_then_created(self) -> None:
        fake = FakeHubSpot()
        async with hubspot(fake) as crm:
            contact_id = await crm.upsert(ADA, None)

        assert fake.records[contact_id]["email"] == "ada@example.com"
        assert fake.records[contact_id]["firstname"] == "Ada"
        assert [method for method, _ in fake.requests] == ["POST", "POST"]

    async def test_existing_contact_is_found_and_updated(self) -> None:
        fake = FakeHubSpot()
        fake.records["77"] = {"email": "ada@example.com", "firstname": "A."}
        async with hubspot(fake) as crm:
            contact_id = await crm.upsert(ADA, None)

        assert contact_id == "77"
        assert fake.records["77"]["firstname"] == "Ada"
        assert len(fake.records) == 1

    async def test_known_contact_is_updated_without_a_search(self) -> None:
        fake = FakeHubSpot()
        fake.records["77"] = {"email": "ada@example.com"}
        async with hubspot(fake) as crm:
            await crm.upsert(ADA, "77")

        assert fake.requests == [("PATCH", "/crm/v3/objects/contacts/77")]

    async def test_contact_deleted_in_hubspot_is_made_again(self) -> None:
        fake = FakeHubSpot()
        async with hubspot(fake) as crm:
            contact_id = await crm.upsert(ADA, "99")

        assert contact_id != "99"
        assert fake.records[contact_id]["email"] == "ada@example.com"

    async def test_conflict_on_create_updates_the_existing_contact(self) -> None:
        fake = FakeHubSpot()
        existing = fake.add_unindexed("ada@example.com")
        async with hubspot(fake) as crm:
            contact_id = await crm.upsert(ADA, None)

        assert contact_id == existing
        assert fake.records[existing]["lastname"] == "Lovelace"
        assert len(fake.records) == 1

    async def test_delete_removes_the_contact_and_tolerates_it_gone(self) -> None:
        fake = FakeHubSpot()
        fake.records["77"] = {"email": "ada@example.com"}
        async with hubspot(fake) as crm:
            await crm.delete("77")
            await crm.delete("77")

        assert fake.records == {}
        assert fake.requests[0] == ("POST", "/crm/v3/objects/contacts/gdpr-delete")

    async def test_rate_limit_is_transient(self) -> None:
        fake = FakeHubSpot()
        fake.fail_next(
            429,
            {
                "status": "error",
                "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT",
                "policyName": "SECONDLY",
            },
        )
        async with hubspot(fake) as crm:
            with pytest.raises(CrmUnavailable):
                await crm.upsert(ADA, None)

    async def test_server_error_is_transient(self) -> None:
        fake = FakeHubSpot()
        fake.fail_next(502, {"status": "error", "message": "Bad gateway"})
        async with hubspot(fake) as crm:
            with pytest.raises(CrmUnavailable):
                await crm.upsert(ADA, None)

    async def test_invalid_email_is_rejected_with_the_api_message(self) -> None:
        fake = FakeHubSpot()
        contact = Contact(**(vars(ADA) | {"email": "ada@localhost"}))
        async with hubspot(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(contact, None)

        assert rejected.value.status == 400
        assert "Property values were not valid" in str(rejected.value)
        assert "ada@localhost" not in str(rejected.value)

    async def test_refusal_quoting_the_contact_leaves_their_values_out(
        self,
    ) -> None:
        fake = FakeHubSpot()
        fake.fail_next(
            400,
            {
                "status": "error",
                "message": "Property values were not valid: "
                '[{"isValid":false,"message":"+49 30 1234567 is not a valid '
                'phone number for Lovelace","error":"INVALID_PHONE_NUMBER",'
                '"name":"phone"}]',
                "category": "VALIDATION_ERROR",
            },
        )
        async with hubspot(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(ADA, None)

        message = str(rejected.value)
        assert "INVALID_PHONE_NUMBER" in message
        assert "1234567" not in message
        assert "Lovelace" not in message

    async def test_success_in_a_body_that_is_no_json_is_transient(self) -> None:
        fake = FakeHubSpot()
        fake.fail_next(200, "<html><body>Maintenance</body></html>")
        async with hubspot(fake) as crm:
            with pytest.raises(CrmAnswerUnreadable):
                await crm.upsert(ADA, None)

        assert fake.records == {}

    async def test_wrong_token_is_rejected(self) -> None:
        fake = FakeHubSpot()
        async with hubspot(fake, token="pat-wrong") as crm:  # noqa: S106
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(ADA, None)

        assert rejected.value.status == 401
        assert "Authentication credentials not found" in str(rejected.value)


class TestSalesforce:
    async def test_upsert_creates_then_updates_by_external_id(self) -> None:
        fake = FakeSalesforce()
        async with salesforce(fake) as crm:
            created = await crm.upsert(ADA, None)
            updated = await crm.upsert(
                Contact(**(vars(ADA) | {"marketing_consent": False})), created
            )

        assert created == updated
        record = fake.records[created]
        assert record[EXTERNAL_ID_FIELD] == "cus-1"
        assert record["HasOptedOutOfEmail"] is True
        assert fake.requests[0] == (
            "PATCH",
            f"/services/data/v60.0/sobjects/Contact/{EXTERNAL_ID_FIELD}/cus-1",
        )

    async def test_missing_last_name_is_sent_as_not_provided(self) -> None:
        fake = FakeSalesforce()
        async with salesforce(fake) as crm:
            record_id = await crm.upsert(
                Contact(**(vars(ADA) | {"last_name": None})), None
            )

        assert fake.records[record_id]["LastName"] == "[not provided]"

    async def test_delete_removes_the_contact_and_tolerates_it_gone(self) -> None:
        fake = FakeSalesforce()
        async with salesforce(fake) as crm:
            record_id = await crm.upsert(ADA, None)
            await crm.delete(record_id)
            await crm.delete(record_id)
            await crm.delete("003never")

        assert fake.records == {}
        assert fake.recycle_bin == {record_id}

    async def test_delete_refused_for_want_of_rights_is_rejected(self) -> None:
        fake = FakeSalesforce()
        fake.fail_next(
            403,
            [
                {
                    "message": "insufficient access rights on object id",
                    "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY",
                    "fields": [],
                }
            ],
        )
        async with salesforce(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.delete("003123")

        assert "INSUFFICIENT_ACCESS_OR_READONLY" in str(rejected.value)

    async def test_expired_token_is_renewed_and_the_call_repeated(self) -> None:
        fake = FakeSalesforce()
        async with salesforce(fake, **refreshing("salesforce")) as crm:
            await crm.upsert(ADA, None)
            fake.expire_tokens()
            await crm.upsert(ADA, None)

        token_calls = [r for r in fake.requests if r[1] == "/services/oauth2/token"]
        assert len(token_calls) == 2
        assert len(fake.records) == 1

    async def test_revoked_refresh_token_is_rejected(self) -> None:
        fake = FakeSalesforce()
        settings = refreshing("salesforce", refresh_token="revoked")  # noqa: S106
        async with salesforce(fake, **settings) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(ADA, None)

        assert "invalid_grant: expired access/refresh token" in str(rejected.value)

    async def test_request_limit_is_transient(self) -> None:
        fake = FakeSalesforce()
        fake.fail_next(
            403,
            [
                {
                    "message": "TotalRequests Limit exceeded.",
                    "errorCode": "REQUEST_LIMIT_EXCEEDED",
                }
            ],
        )
        async with salesforce(fake) as crm:
            with pytest.raises(CrmUnavailable):
                await crm.upsert(ADA, None)

    async def test_unavailable_server_is_transient(self) -> None:
        fake = FakeSalesforce()
        fake.fail_next(
            503, [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
        )
        async with salesforce(fake) as crm:
            with pytest.raises(CrmUnavailable):
                await crm.upsert(ADA, None)

    async def test_unknown_external_id_field_is_rejected(self) -> None:
        fake = FakeSalesforce()
        async with salesforce(fake, salesforce_external_id_field="Nope__c") as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(ADA, None)

        assert rejected.value.status == 404
        assert "NOT_FOUND: Provided external ID field" in str(rejected.value)

    async def test_invalid_email_is_rejected_with_the_api_message(self) -> None:
        fake = FakeSalesforce()
        async with salesforce(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(Contact(**(vars(ADA) | {"email": "ada@host"})), None)

        assert "INVALID_EMAIL_ADDRESS" in str(rejected.value)
        assert "ada@host" not in str(rejected.value)

    async def test_refused_last_name_is_not_quoted_in_the_error(self) -> None:
        fake = FakeSalesforce()
        contact = Contact(**(vars(ADA) | {"last_name": "Lovelace" * 11}))
        async with salesforce(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(contact, None)

        message = str(rejected.value)
        assert "STRING_TOO_LONG: Last Name: data value too large" in message
        assert "Lovelace" not in message

    async def test_success_in_a_body_that_is_no_json_is_transient(self) -> None:
        fake = FakeSalesforce()
        fake.fail_next(201, "<html>Gateway</html>")
        async with salesforce(fake) as crm:
            with pytest.raises(CrmAnswerUnreadable):
                await crm.upsert(ADA, None)


class TestZoho:
    async def test_upsert_adds_then_updates_by_email(self) -> None:
        fake = FakeZoho()
        async with zoho(fake) as crm:
            added = await crm.upsert(ADA, None)
            updated = await crm.upsert(
                Contact(**(vars(ADA) | {"first_name": "Augusta"})), None
            )

        assert added == updated
        assert fake.records[added]["First_Name"] == "Augusta"
        assert fake.records[added]["Email_Opt_Out"] is False

    async def test_contact_without_email_is_updated_by_id(self) -> None:
        fake = FakeZoho()
        fake.records["57"] = {"Last_Name": "Lovelace"}
        async with zoho(fake) as crm:
            await crm.upsert(Contact(**(vars(ADA) | {"email": None})), "57")

        assert fake.requests == [("PUT", "/crm/v8/Contacts")]
        assert fake.records["57"]["First_Name"] == "Ada"

    async def test_delete_removes_the_contact_and_tolerates_it_gone(self) -> None:
        fake = FakeZoho()
        async with zoho(fake) as crm:
            record_id = await crm.upsert(ADA, None)
            await crm.delete(record_id)
            await crm.delete(record_id)

        assert fake.records == {}

    async def test_expired_token_is_renewed_and_the_call_repeated(self) -> None:
        fake = FakeZoho()
        async with zoho(fake, **refreshing("zoho")) as crm:
            await crm.upsert(ADA, None)
            fake.expire_tokens()
            await crm.upsert(ADA, None)

        token_calls = [r for r in fake.requests if r[1] == "/oauth/v2/token"]
        assert len(token_calls) == 2
        assert len(fake.records) == 1

    async def test_refused_refresh_token_is_rejected(self) -> None:
        fake = FakeZoho()
        settings = refreshing("zoho", refresh_token="wrong")  # noqa: S106
        async with zoho(fake, **settings) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(ADA, None)

        assert "invalid_code" in str(rejected.value)

    async def test_rate_limit_is_transient(self) -> None:
        fake = FakeZoho()
        fake.fail_next(
            429,
            {
                "code": "TOO_MANY_REQUESTS",
                "details": {},
                "message": "too many requests",
                "status": "error",
            },
        )
        async with zoho(fake) as crm:
            with pytest.raises(CrmUnavailable):
                await crm.upsert(ADA, None)

    async def test_invalid_record_is_rejected_with_code_and_field(self) -> None:
        fake = FakeZoho()
        async with zoho(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(Contact(**(vars(ADA) | {"email": "ada@host"})), None)

        assert "INVALID_DATA: invalid data (Email)" in str(rejected.value)

    async def test_success_without_the_records_id_is_transient(self) -> None:
        fake = FakeZoho()
        fake.fail_next(200, {"data": [{"status": "success", "details": {}}]})
        async with zoho(fake) as crm:
            with pytest.raises(CrmAnswerUnreadable):
                await crm.upsert(ADA, None)

    async def test_refusal_in_a_body_that_is_no_json_keeps_the_http_reason(
        self,
    ) -> None:
        fake = FakeZoho()
        fake.fail_next(400, "<html>Bad Request</html>")
        async with zoho(fake) as crm:
            with pytest.raises(CrmRejected) as rejected:
                await crm.upsert(ADA, None)

        assert str(rejected.value) == "zoho rejected the record (400): Bad Request"

    async def test_unreachable_server_is_transient(self) -> None:
        async with adapter(
            zoho_token=ZOHO_TOKEN, zoho_api_domain="http://127.0.0.1:9"
        ) as crm:
            with pytest.raises(CrmUnavailable):
                await crm.upsert(ADA, None)
