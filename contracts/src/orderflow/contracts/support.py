"""Step 6, support: conversations with customers on the shop's site.

Messages travel by id only; their text stays in the support service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from orderflow.contracts.values import Identifier, ShopEvent


class ConversationChannel(StrEnum):
    """Where the customer started the conversation."""

    WEB_CHAT = "web_chat"
    EMAIL = "email"


class ReplyChannel(StrEnum):
    """Where the agent answered."""

    SLACK = "slack"
    TEAMS = "teams"
    INBOX = "inbox"


class ClosedBy(StrEnum):
    """Who or what ended a conversation."""

    CUSTOMER = "customer"
    AGENT = "agent"
    INACTIVITY = "inactivity"


class ConversationEvent(ShopEvent):
    """Base of every event about one support conversation."""

    conversation_id: Identifier


class ConversationStarted(ConversationEvent):
    """A customer opened a conversation."""

    event_type: ClassVar[str] = "conversation.started"
    version: ClassVar[int] = 1

    channel: ConversationChannel
    customer_id: Identifier | None = Field(
        default=None, description="crm's id of the customer, when known."
    )
    order_id: Identifier | None = Field(
        default=None, description="The order the customer asks about, if any."
    )


class SupportMessageReceived(ConversationEvent):
    """The customer wrote in a conversation."""

    event_type: ClassVar[str] = "support.message_received"
    version: ClassVar[int] = 1

    message_id: Identifier


class SupportReplySent(ConversationEvent):
    """An agent's answer reached the customer."""

    event_type: ClassVar[str] = "support.reply_sent"
    version: ClassVar[int] = 1

    message_id: Identifier
    via: ReplyChannel
    agent_id: Identifier | None = Field(
        default=None, description="The agent's id in that channel; never a name."
    )


class ConversationClosed(ConversationEvent):
    """The conversation ended."""

    event_type: ClassVar[str] = "conversation.closed"
    version: ClassVar[int] = 1

    closed_by: ClosedBy
