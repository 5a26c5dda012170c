"""Salesforce REST API: upsert a Contact by an external id field.

`PATCH /services/data/vXX.X/sobjects/Contact/<field>/<customer id>` creates
the contact (201) or updates it (200, or 204 on older API versions). The
field is a custom Contact field marked External ID and Unique that holds
crm's customer id, so no search is needed and a race cannot duplicate.
Salesforce answers its API request limit with 403 `REQUEST_LIMIT_EXCEEDED`
and a record locked by a concurrent save with 400 `UNABLE_TO_LOCK_ROW`;
both are retried like a 429. Erasure deletes the Contact by its Salesforce
id. Salesforce keeps a deleted record in its recycle bin for 15 days and
answers a second delete with `ENTITY_IS_DELETED`, a record it never had
with `NOT_FOUND`; both count as done.
"""

from __future__ import annotations

from typing import Any

import httpx

from orderflow.crm.adapters.crm_http import (
    Contact,
    answer_of,
    body_of,
    call,
    check,
    id_in,
)

_RETRIED = frozenset({"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW"})
_GONE = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND"})


class Salesforce:
    """Keeps a Salesforce Contact per customer."""

    name = "salesforce"

    def __init__(
        self, client: httpx.AsyncClient, *, api_version: str, external_id_field: str
    ) -> None:
        self._client = client
        self._contacts = f"/services/data/{api_version}/sobjects/Contact"
        self._path = f"{self._contacts}/{external_id_field}"

    async def upsert(self, contact: Contact, known_id: str | None) -> str:
        response = await call(
            self.name,
            self._client,
            "PATCH",
            f"{self._path}/{contact.customer_id}",
            json=_fields(contact),
        )
        with contact.refusals():
            check(self.name, response, _explain, transient=_worth_retrying)
        if response.status_code == 204:
            return known_id or contact.customer_id

        return id_in(self.name, response, answer_of(self.name, response).get("id"))

    async def delete(self, external_id: str) -> None:
        response = await call(
            self.name, self._client, "DELETE", f"{self._contacts}/{external_id}"
        )
        if not _gone(body_of(response)):
            check(self.name, response, _explain, transient=_worth_retrying)


def _fields(contact: Contact) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "LastName": contact.required_last_name,
        "FirstName": contact.first_name,
        "Email": contact.email,
        "Phone": contact.phone,
    }
    if contact.marketing_consent is not None:
        fields["HasOptedOutOfEmail"] = not contact.marketing_consent
    return {name: value for name, value in fields.items() if value is not None}


def _errors(body: Any) -> list[dict[str, Any]]:
    """Salesforce errors: [{"message": ..., "errorCode": ..., "fields": [...]}]."""
    if isinstance(body, list):
        return [error for error in body if isinstance(error, dict)]
    return []


def _explain(body: Any) -> str:
    return "; ".join(
        f"{error.get('errorCode', 'ERROR')}: {error.get('message', '')}"
        for error in _errors(body)
    )


def _worth_retrying(body: Any) -> bool:
    return any(error.get("errorCode") in _RETRIED for error in _errors(body))


def _gone(body: Any) -> bool:
    return any(error.get("errorCode") in _GONE for error in _errors(body))
