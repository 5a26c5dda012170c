"""HubSpot CRM v3 contacts: search by email, then create or update.

A known HubSpot id is updated directly. Otherwise the contact is searched by
email address, updated when found and created when not. When two syncs race
to create the same address, HubSpot answers the loser with 409 and the id of
the existing contact ("Contact already exists. Existing ID: 123"), and the
loser updates that contact instead.

Erasure uses HubSpot's GDPR delete, which removes the contact for good
rather than moving it to the recycle bin for 90 days.
"""

from __future__ import annotations

import re
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
from orderflow.crm.errors import CrmAnswerUnreadable, CrmRejected

CONTACTS = "/crm/v3/objects/contacts"
_EXISTING_ID = re.compile(r"Existing ID: *(\d+)")


class HubSpot:
    """Keeps a HubSpot contact per customer."""

    name = "hubspot"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def upsert(self, contact: Contact, known_id: str | None) -> str:
        with contact.refusals():
            return await self._upsert(contact, known_id)

    async def _upsert(self, contact: Contact, known_id: str | None) -> str:
        properties = _properties(contact)
        if known_id and await self._update(known_id, properties):
            return known_id

        found = await self._search(contact.email) if contact.email else None
        if found:
            await self._update(found, properties)
            return found

        return await self._create(properties)

    async def delete(self, external_id: str) -> None:
        response = await call(
            self.name,
            self._client,
            "POST",
            f"{CONTACTS}/gdpr-delete",
            json={"objectId": external_id},
        )
        if response.status_code != 404:
            check(self.name, response, _message)

    async def _search(self, email: str) -> str | None:
        query = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "email", "operator": "EQ", "value": email}
                    ]
                }
            ],
            "properties": ["email"],
            "limit": 1,
        }
        response = await self._call("POST", f"{CONTACTS}/search", query)
        results = answer_of(self.name, response).get("results")
        if not isinstance(results, list):
            raise CrmAnswerUnreadable(self.name, response.status_code)
        if not results:
            return None
        first = results[0] if isinstance(results[0], dict) else {}
        return id_in(self.name, response, first.get("id"))

    async def _create(self, properties: dict[str, str]) -> str:
        response = await call(
            self.name,
            self._client,
            "POST",
            CONTACTS,
            json={"properties": properties},
        )
        if response.status_code == 409:
            existing = _EXISTING_ID.search(_message(body_of(response)))
            if existing is None:
                raise CrmRejected(self.name, 409, _message(body_of(response)))
            await self._update(existing[1], properties)
            return existing[1]
        check(self.name, response, _message)
        return id_in(self.name, response, answer_of(self.name, response).get("id"))

    async def _update(self, contact_id: str, properties: dict[str, str]) -> bool:
        """Update a contact; False when HubSpot no longer has it."""
        response = await call(
            self.name,
            self._client,
            "PATCH",
            f"{CONTACTS}/{contact_id}",
            json={"properties": properties},
        )
        if response.status_code == 404:
            return False
        check(self.name, response, _message)
        return True

    async def _call(self, method: str, path: str, body: Any) -> httpx.Response:
        response = await call(self.name, self._client, method, path, json=body)
        check(self.name, response, _message)
        return response


def _properties(contact: Contact) -> dict[str, str]:
    # TODO: marketing consent is not synced to HubSpot. It lives per
    # subscription type there, not in a contact property: it would take a
    # setting for the subscription type's id and a call to the communication
    # preferences API (subscribe, or unsubscribe) after each upsert.
    values = {
        "email": contact.email,
        "firstname": contact.first_name,
        "lastname": contact.last_name,
        "company": contact.company,
        "phone": contact.phone,
    }
    return {name: value for name, value in values.items() if value is not None}


def _message(body: Any) -> str:
    """HubSpot's error body: {"status": "error", "message": ..., "category": ...}."""
    if isinstance(body, dict):
        return str(body.get("message", ""))
    return str(body)
