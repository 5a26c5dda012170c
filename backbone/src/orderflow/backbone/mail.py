"""Sending email: SMTP when configured, `.eml` files in a folder otherwise.

    MailError                  root, never carries an address in its message
    ├── MailDeferred           transient: connection failures, timeouts, 4xx
    │   └── MailLoginRefused   the server refused our credentials (535)
    └── MailRejected           permanent: 5xx, e.g. a recipient that does not exist

A message's `Message-ID` is chosen by the caller from what the message is
about (`message_id_for("order-confirmation", order_id, domain)`), so a retry
after a transient failure sends the same message again, not a new one, and
the folder mailer writes each Message-ID once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import aiosmtplib
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderflow.backbone.errors import PermanentError, TransientError
from orderflow.backbone.logging import get_logger

log = get_logger(__name__)


class MailError(Exception):
    """Root of the mail errors."""


class MailDeferred(MailError, TransientError):
    """The message could not be sent now; a later attempt may succeed."""


class MailLoginRefused(MailDeferred):
    """The server refused the SMTP username or password.

    It says nothing about the message: the retries, and at the end a replay of
    the dead letter once the credentials are fixed, send it.
    """


class MailRejected(MailError, PermanentError):
    """The server refused the message for good."""


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class MailSettings(BaseSettings):
    """`ORDERFLOW_SMTP_*`; with no host, mail goes to `.eml` files."""

    model_config = SettingsConfigDict(
        env_prefix="ORDERFLOW_SMTP_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    timeout: float = Field(default=30.0, gt=0)
    mail_dir: Path = Field(
        default=Path("var/mail"),
        validation_alias="ORDERFLOW_MAIL_DIR",
        description="Where messages are written when no SMTP host is set.",
    )


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver `message`, raising MailDeferred or MailRejected."""


def message_id_for(kind: str, key: str, domain: str) -> str:
    """A Message-ID that is the same every time for the same thing."""
    digest = hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:32]
    return f"<{kind}.{digest}@{domain}>"


class SmtpMailer:
    """Sends through an SMTP server with aiosmtplib."""

    def __init__(self, settings: MailSettings) -> None:
        if settings.host is None:
            raise ValueError("SmtpMailer needs ORDERFLOW_SMTP_HOST")
        self._settings = settings
        self._host = settings.host

    async def send(self, message: EmailMessage) -> None:
        settings = self._settings
        password = settings.password.get_secret_value() if settings.password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=settings.port,
                username=settings.username,
                password=password,
                use_tls=settings.security is SmtpSecurity.TLS,
                start_tls=settings.security is SmtpSecurity.STARTTLS,
                timeout=settings.timeout,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise MailLoginRefused(f"SMTP {exc.code}: login refused") from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            raise _by_code(min(codes), "recipient refused") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, type(exc).__name__) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailDeferred(
                f"SMTP server unreachable: {type(exc).__name__}"
            ) from None
        log.info("mail.sent", message_id=message["Message-ID"])


def _by_code(code: int, what: str) -> MailError:
    if 400 <= code < 500:
        return MailDeferred(f"SMTP {code}: {what}")
    return MailRejected(f"SMTP {code}: {what}")


class MailFolder:
    """Writes each message as `<mail_dir>/<message id>.eml`, once."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def path_for(self, message: EmailMessage) -> Path:
        message_id = str(message["Message-ID"] or "")
        name = re.sub(r"[^A-Za-z0-9._@-]", "", message_id) or "message"
        return self._folder / f"{name}.eml"

    async def send(self, message: EmailMessage) -> None:
        path = self.path_for(message)
        if path.exists():
            return
        await asyncio.to_thread(self._write, message.as_bytes(), path)
        log.info("mail.written", message_id=message["Message-ID"], path=str(path))

    def _write(self, content: bytes, path: Path) -> None:
        """Write to a temporary file first, so a reader never sees half a message."""
        self._folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)


def create_mailer(settings: MailSettings | None = None) -> Mailer:
    """SMTP when a host is configured, the mail folder otherwise."""
    settings = settings or MailSettings()
    if settings.host:
        return SmtpMailer(settings)
    return MailFolder(settings.mail_dir)
