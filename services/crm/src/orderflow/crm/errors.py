"""The errors of the crm service, each either retried or dead-lettered.

    CrmError                      root; messages carry ids, never personal data
    ├── CrmUnavailable            transient: a CRM's 429, 5xx, timeout or network
    ├── CrmRejected               permanent: a CRM refused the record (4xx), with
    │                             the API's own message, addresses blanked out
    ├── ConfirmationRejected      permanent: the mail server refused the order
    │                             confirmation for good (SMTP 5xx)
    └── UnaddressableCustomer     permanent: the customer's address cannot be
                                  written into a mail header

Mail that cannot be sent now raises the backbone's `MailDeferred`, which is
transient and retried as it is.
"""

from __future__ import annotations

import re

from orderflow.backbone.errors import OrderflowError, PermanentError, TransientError

_EMAIL = re.compile(r"[^@\s\"'<>,;:]+@[^@\s\"'<>,;:]+")


def without_addresses(text: str) -> str:
    """Blank out email addresses, which APIs like to quote in their errors."""
    return _EMAIL.sub("<address>", text)


class CrmError(OrderflowError):
    """Root of the crm service's errors."""


class CrmUnavailable(CrmError, TransientError):
    """A CRM could not take the call now; a later attempt may succeed."""

    def __init__(self, crm: str, reason: str) -> None:
        super().__init__(f"{crm} unavailable: {reason}")
        self.crm = crm


class CrmRejected(CrmError, PermanentError):
    """A CRM refused the record; the same call would be refused again."""

    def __init__(self, crm: str, status: int, api_message: str) -> None:
        super().__init__(
            f"{crm} rejected the record ({status}): {without_addresses(api_message)}"
        )
        self.crm = crm
        self.status = status


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
