"""The errors of the orders service; each one is an answer to a delivery.

    OrdersError                   root; messages carry ids, never personal data
    ├── DeliveryRejected          permanent: the platform must not send it again
    │   ├── NotAuthentic          401: signature, URL secret or API key wrong,
    │   │                         or no secret configured for the platform
    │   ├── UnknownPlatform       404: no endpoint for that platform
    │   ├── OrderNotFound         404: no order with that id
    │   ├── BodyTooLarge          413: more than `max_body_bytes`
    │   ├── MalformedBody         400: not JSON (or form data) at all
    │   └── PayloadMisfit         422: parses, but does not fit; names the fields
    └── IntakeUnavailable         transient, 503: the delivery could not be stored
                                  now; the platform retries it

Every rejection stores nothing: it is raised before the delivery reaches the
database, or by the transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence

from orderflow.backbone.errors import OrderflowError, PermanentError, TransientError


class OrdersError(OrderflowError):
    """Root of the orders service's errors."""

    status_code = 500
    code = "error"


class DeliveryRejected(OrdersError, PermanentError):
    """A delivery that will be refused however often it is sent."""


class NotAuthentic(DeliveryRejected):
    status_code = 401
    code = "not_authentic"


class UnknownPlatform(DeliveryRejected):
    status_code = 404
    code = "unknown_platform"

    def __init__(self, platform: str) -> None:
        super().__init__(f"no webhook endpoint for platform {platform[:40]!r}")


class OrderNotFound(DeliveryRejected):
    status_code = 404
    code = "order_not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id[:64]!r}")


class BodyTooLarge(DeliveryRejected):
    status_code = 413
    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")


class MalformedBody(DeliveryRejected):
    status_code = 400
    code = "malformed_body"


class PayloadMisfit(DeliveryRejected):
    """The body parses but does not have the shape the platform documents."""

    status_code = 422
    code = "payload_misfit"

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        fields = ", ".join(path for path, _ in self.problems[:10])
        super().__init__(f"the payload does not fit at: {fields}")


class IntakeUnavailable(OrdersError, TransientError):
    status_code = 503
    code = "intake_unavailable"
