"""Step 5, feedback: review requests, reviews and testimonials."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from orderflow.contracts.values import Identifier, OrderEvent

Rating = Annotated[int, Field(strict=True, ge=1, le=5, description="1 to 5 stars.")]


class ReviewRequested(OrderEvent):
    """The customer was asked to review the order."""

    event_type: ClassVar[str] = "review.requested"
    version: ClassVar[int] = 1

    request_id: Identifier
    customer_id: Identifier | None = Field(
        default=None, description="crm's id of the customer asked."
    )
    line_ids: tuple[Identifier, ...] = Field(
        default=(), description="The lines asked about; empty for the whole order."
    )


class ReviewReceived(OrderEvent):
    """A customer reviewed an order or one of its products."""

    event_type: ClassVar[str] = "review.received"
    version: ClassVar[int] = 1

    review_id: Identifier
    request_id: Identifier | None = None
    rating: Rating
    line_id: Identifier | None = Field(
        default=None, description="The line reviewed; None for the whole order."
    )
    sku: str | None = None


class TestimonialPublished(OrderEvent):
    """A review was published, with the customer's consent, as a testimonial."""

    # NOTE: keeps pytest from taking this class for a test class.
    __test__: ClassVar[bool] = False

    event_type: ClassVar[str] = "testimonial.published"
    version: ClassVar[int] = 1

    testimonial_id: Identifier
    review_id: Identifier
    rating: Rating
    quote: str = Field(description="The published text.")
    author_name: str = Field(description="The name shown, as the customer agreed.")
