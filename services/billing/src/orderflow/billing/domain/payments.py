"""The payment of one order, derived from the facts recorded about it.

Provider events arrive late, twice or out of order (a refund before the
capture it refunds). So the state is not a sequence of transitions but a
function of what is known: whether and how much was captured, whether an
attempt failed, and how much was refunded, each fact recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class PaymentStatus(StrEnum):
    REQUESTED = "requested"
    CAPTURED = "captured"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class PaymentFacts:
    amount: Decimal
    captured: Decimal
    refunded: Decimal
    failed: bool

    @property
    def status(self) -> PaymentStatus:
        if self.refunded > 0:
            if self.refunded >= max(self.captured, self.amount):
                return PaymentStatus.REFUNDED
            return PaymentStatus.PARTIALLY_REFUNDED
        if self.captured > 0:
            return PaymentStatus.CAPTURED
        if self.failed:
            return PaymentStatus.FAILED
        return PaymentStatus.REQUESTED

    @property
    def is_captured(self) -> bool:
        return self.captured > 0

    @property
    def refundable(self) -> Decimal:
        """What refunds may still give back: the rest of what was paid.

        A payment billing never saw captured (a bank transfer) counts as its
        amount, since a platform refunds only money it received.
        """
        return max(self.captured, self.amount) - self.refunded
