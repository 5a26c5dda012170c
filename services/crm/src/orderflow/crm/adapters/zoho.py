"""Zoho CRM REST API (v8 unless configured): upsert a Contact by email address.

`POST /crm/<version>/Contacts/upsert` with `duplicate_check_fields:
["Email"]` updates the contact with that address or adds one. A contact
known by its Zoho id and without an address is updated by id (`PUT
/crm/<version>/Contacts`). Zoho reports each record's outcome in `data[i]`
(`status`, `code`, `message`, `details`), and errors of the whole call in
the top-level body. Erasure deletes by id (`DELETE
/crm/<version>/Contacts?ids=`), which moves the contact to Zoho's recycle
bin for 60 days; Zoho calls the id of a contact already deleted
`INVALID_DATA`, which counts as done.
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
from orderflow.crm.errors import CrmRejected


class Zoho:
    """Keeps a Zoho CRM Contact per customer."""

    name = "zoho"

    def __init__(self, client: httpx.AsyncClient, *, api_version: str) -> None:
        self._client = client
        self._contacts = f"/crm/{api_version}/Contacts"

    async def upsert(self, contact: Contact, known_id: str | None) -> str:
        record = _fields(contact)
        if contact.email or not known_id:
            path = f"{self._contacts}/upsert"
            body = {"data": [record], "duplicate_check_fields": ["Email"]}
            method = "POST"
        else:
            path, method = self._contacts, "PUT"
            body = {"data": [record | {"id": known_id}]}
        response = await call(self.name, self._client, method, path, json=body)
        with contact.refusals():
            check(self.name, response, _explain)
            outcome = _first_record(answer_of(self.name, response))
            if outcome.get("status") != "success":
                raise CrmRejected(self.name, response.status_code, _describe(outcome))
        details = outcome.get("details")
        found = details.get("id") if isinstance(details, dict) else None
        return id_in(self.name, response, found)

    async def delete(self, external_id: str) -> None:
        response = await call(
            self.name,
            self._client,
            "DELETE",
            self._contacts,
            params={"ids": external_id},
        )
        outcome = _first_record(body_of(response))
        if outcome.get("code") == "INVALID_DATA":
            return
        check(self.name, response, _explain)
        if outcome.get("status") != "success":
            raise CrmRejected(self.name, response.status_code, _describe(outcome))


def _fields(contact: Contact) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "Last_Name": contact.required_last_name,
        "First_Name": contact.first_name,
        "Email": contact.email,
        "Phone": contact.phone,
    }
    if contact.marketing_consent is not None:
        fields["Email_Opt_Out"] = not contact.marketing_consent
    return {name: value for name, value in fields.items() if value is not None}


def _first_record(body: Any) -> dict[str, Any]:
    records = body.get("data") if isinstance(body, dict) else None
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return records[0]
    return body if isinstance(body, dict) else {}


def _describe(outcome: dict[str, Any]) -> str:
    if not outcome:
        return ""
    code = outcome.get("code", "ERROR")
    message = outcome.get("message", "")
    details = outcome.get("details")
    field = details.get("api_name") if isinstance(details, dict) else None
    return f"{code}: {message}" + (f" ({field})" if field else "")


def _explain(body: Any) -> str:
    return _describe(_first_record(body))
