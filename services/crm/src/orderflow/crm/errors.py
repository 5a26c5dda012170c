"""The errors of the crm service, each either retried or dead-lettered.

    CrmError                      root; messages carry ids, never personal data
    ├── CrmUnavailable            transient: a CRM's 429, 5xx, timeout or network
    │   └── CrmAnswerUnreadable   transient: a CRM said yes in a body we cannot
    │                             read (a proxy's page, a truncated answer)
    ├── CrmRejected               permanent: a CRM refused the record (4xx), with
    │                             the API's own message, the customer's own
    │                             values and any address in it blanked out
    ├── ConfirmationRejected      permanent: the mail server refused the order
    │                             confirmation for good (SMTP 5xx)
    └── UnaddressableCustomer     permanent: the customer's address cannot be
                                  written into a mail header

Mail that cannot be sent now raises the backbone's `MailDeferred`, which is
transient and retried as it is; so is the backbone's `OrderNotYetKnown`,
raised for an update of an order crm has not recorded yet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from orderflow.backbone.errors import OrderflowError, PermanentError, TransientError

_EMAIL = re.compile(r"[^@\s\"'<>,;:]+@[^@\s\"'<>,;:]+")


def without_addresses(text: str) -> str:
    """Blank out email addresses, which APIs like to quote in their errors."""
    return _EMAIL.sub("<address>", text)


def without_values(text: str, values: Iterable[str | None]) -> str:
    """Blank out the given values, as they are or as quoted inside JSON.

    APIs quote what they refuse ("data value too large: Lovelace..."); the
    record's own values are the personal data such a message can hold. A
    single character identifies nobody and is left alone.
    """
    forms = set()
    for value in values:
        if value and len(value.strip()) > 1:
            forms |= {value.strip(), json.dumps(value.strip())[1:-1]}
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(re.escape(form), "<redacted>", text, flags=re.IGNORECASE)
    return text


class CrmError(OrderflowError):
    """Root of the crm service's errors."""


class CrmUnavailable(CrmError, TransientError):
    """A CRM could not take the call now; a later attempt may succeed."""

    def __init__(self, crm: str, reason: str) -> None:
        super().__init__(f"{crm} unavailable: {reason}")
        self.crm = crm


class CrmAnswerUnreadable(CrmUnavailable):
    """A CRM answered with success, but not in the JSON its API documents."""

    def __init__(self, crm: str, status: int) -> None:
        super().__init__(crm, f"unreadable answer to a call that got HTTP {status}")
        self.status = status


class CrmRejected(CrmError, PermanentError):
    """A CRM refused the record; the same call would be refused again."""

    def __init__(self, crm: str, status: int, api_message: str) -> None:
        self.api_message = without_addresses(api_message)
        super().__init__(f"{crm} rejected the record ({status}): {self.api_message}")
        self.crm = crm
        self.status = status

    def without(self, values: Iterable[str | None]) -> CrmRejected:
        """The same refusal with these values blanked out of the API's message."""
        return CrmRejected(
            self.crm, self.status, without_values(self.api_message, values)
        )


class ConfirmationRejected(CrmError, PermanentError):
    """The mail server refused an order's confirmation for good."""

    def __init__(self, order_id: str, reason: str) -> None:
        super().__init__(f"confirmation of order {order_id} refused: {reason}")
        self.order_id = order_id


class UnaddressableCustomer(CrmError, PermanentError):
    """The customer's email address cannot be put into a `To` header."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no usable email address for order {order_id}")
        self.order_id = order_id
