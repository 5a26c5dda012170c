"""What every CRM adapter shares: the contact it sends and HTTP error mapping.

A 429, a 5xx, a timeout or a network failure is `CrmUnavailable` (retried
through the backbone's delay tiers); any other 4xx is `CrmRejected` with the
API's own explanation, so the dead letter says what to fix. The contact's
own values are blanked out of that explanation (`Contact.refusals`): it ends
up in logs and dead-letter headers, which hold ids only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from orderflow.crm.domain.customers import CustomerRecord
from orderflow.crm.errors import CrmAnswerUnreadable, CrmRejected, CrmUnavailable

_NOT_PROVIDED = "[not provided]"


@dataclass(frozen=True)
class Contact:
    """The customer as the CRMs see them."""

    customer_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    phone: str | None
    marketing_consent: bool | None

    @classmethod
    def of(cls, record: CustomerRecord) -> Contact:
        customer = record.customer
        return cls(
            customer_id=record.customer_id,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            company=customer.company,
            phone=customer.phone,
            marketing_consent=customer.marketing_consent,
        )

    @property
    def required_last_name(self) -> str:
        """Salesforce and Zoho refuse a contact without a last name."""
        return self.last_name or _NOT_PROVIDED

    @contextmanager
    def refusals(self) -> Iterator[None]:
        """Blank this contact's personal values out of a refusal raised inside."""
        try:
            yield
        except CrmRejected as refused:
            values = (
                self.email,
                self.first_name,
                self.last_name,
                self.company,
                self.phone,
            )
            raise refused.without(values) from None


class CrmAdapter(Protocol):
    """One external CRM that keeps a contact per customer."""

    name: str

    async def upsert(self, contact: Contact, known_id: str | None) -> str:
        """Create or update the contact; return the CRM's id of it."""

    async def delete(self, external_id: str) -> None:
        """Delete the contact for good; a contact already gone is no error."""


async def call(
    crm: str,
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request; a failure to get any answer is `CrmUnavailable`."""
    try:
        return await client.request(method, url, json=json, params=params)
    except httpx.TransportError as exc:
        raise CrmUnavailable(crm, type(exc).__name__) from None


def check(
    crm: str,
    response: httpx.Response,
    explain: Callable[[Any], str],
    *,
    transient: Callable[[Any], bool] = lambda _: False,
) -> None:
    """Raise the error a failed response means.

    `explain` turns the API's error body into its message; `transient` says
    whether a 4xx body is a rate limit in disguise (Salesforce answers its
    daily API limit with a 403).
    """
    if response.is_success:
        return
    body = body_of(response)
    status = response.status_code
    if status == 429 or status >= 500 or transient(body):
        raise CrmUnavailable(crm, f"HTTP {status}")
    raise CrmRejected(crm, status, explain(body) or response.reason_phrase)


def body_of(response: httpx.Response) -> Any:
    """The response's JSON, or its text when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return response.text


def answer_of(crm: str, response: httpx.Response) -> dict[str, Any]:
    """The JSON object a successful call answers with."""
    body = body_of(response)
    if not isinstance(body, dict):
        raise CrmAnswerUnreadable(crm, response.status_code)
    return body


def id_in(crm: str, response: httpx.Response, found: Any) -> str:
    """The record id an answer holds at `found`, which must be one."""
    if not isinstance(found, str | int) or isinstance(found, bool) or found == "":
        raise CrmAnswerUnreadable(crm, response.status_code)
    return str(found)
