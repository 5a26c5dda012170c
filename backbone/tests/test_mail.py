"""The mailer: SMTP through aiosmtplib, or `.eml` files when none is set."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from pydantic import SecretStr

from orderflow.backbone.mail import (
    MailDeferred,
    MailFolder,
    MailLoginRefused,
    MailRejected,
    MailSettings,
    SmtpSecurity,
    create_mailer,
    message_id_for,
)


class Inbox:
    """An SMTP handler that keeps what it receives, or answers `reply`."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.reply: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, _: Any
    ) -> str:
        if self.reply:
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.received.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _no_login(*_: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_refusing_every_login() -> Iterator[int]:
    controller = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_no_login,
        auth_require_tls=False,
    )
    controller.start()
    yield controller.port
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _message(message_id: str = "<m-1@shop.example>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "shop@shop.example"
    message["To"] = "customer@example.org"
    message["Subject"] = "Your order"
    message["Message-ID"] = message_id
    message.set_content("Thank you.")
    return message


def _smtp_settings(port: int) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, security=SmtpSecurity.NONE)


async def test_smtp_delivers_the_message_with_its_message_id(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp

    await create_mailer(_smtp_settings(port)).send(_message())

    [envelope] = inbox.received
    assert envelope.rcpt_tos == ["customer@example.org"]
    delivered = message_from_bytes(envelope.original_content or b"")
    assert delivered["Message-ID"] == "<m-1@shop.example>"


async def test_a_temporary_refusal_is_deferred(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    inbox.reply = "451 Try again later"

    with pytest.raises(MailDeferred, match="SMTP 451"):
        await create_mailer(_smtp_settings(port)).send(_message())


async def test_an_unknown_recipient_is_rejected_for_good(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    inbox.reply = "550 No such user"

    with pytest.raises(MailRejected, match="SMTP 550"):
        await create_mailer(_smtp_settings(port)).send(_message())


async def test_a_refused_login_is_deferred_not_blamed_on_the_message(
    smtp_refusing_every_login: int,
) -> None:
    settings = _smtp_settings(smtp_refusing_every_login)
    settings.username, settings.password = "shop", SecretStr("not-the-password")

    with pytest.raises(MailLoginRefused, match="SMTP 535"):
        await create_mailer(settings).send(_message())


async def test_an_unreachable_server_is_deferred() -> None:
    with pytest.raises(MailDeferred, match="unreachable"):
        await create_mailer(_smtp_settings(_free_port())).send(_message())


async def test_without_smtp_each_message_is_written_once(tmp_path: Path) -> None:
    mailer = create_mailer(MailSettings(mail_dir=tmp_path))
    first = _message()
    retried = _message()
    del retried["Subject"]
    retried["Subject"] = "Changed on the retry"

    await mailer.send(first)
    await mailer.send(retried)

    assert isinstance(mailer, MailFolder)
    [written] = _written(tmp_path)
    assert message_from_bytes(written)["Subject"] == "Your order"


def test_the_message_id_is_the_same_for_the_same_thing() -> None:
    first = message_id_for("order-confirmation", "order-1", "shop.example")

    assert first == message_id_for("order-confirmation", "order-1", "shop.example")
    assert first != message_id_for("order-confirmation", "order-2", "shop.example")
    assert first.startswith("<order-confirmation.")
    assert first.endswith("@shop.example>")


def _written(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in folder.glob("*.eml")]
