"""Local fake servers of HubSpot, Salesforce, Zoho CRM and SMTP for the tests.

Each CRM fake answers on loopback as its API documents: the same paths,
status codes and error bodies, with just enough state to tell a create from
an update. `fail_next` makes the next calls answer as an outage, a rate
limit or a proxy in the way does (a text body is sent as an HTML page).
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

HUBSPOT_TOKEN = "pat-na1-test-token"  # noqa: S105 - a fake's token
SALESFORCE_TOKEN = "00Dtest!session"  # noqa: S105 - a fake's token
ZOHO_TOKEN = "1000.test.token"  # noqa: S105 - a fake's token
EXTERNAL_ID_FIELD = "Orderflow_Customer_Id__c"
CLIENT_ID = "1000.CLIENT"
CLIENT_SECRET = "client-secret"  # noqa: S105 - a fake's secret
REFRESH_TOKEN = "1000.refresh"  # noqa: S105 - a fake's token
TOKEN_PATHS = ("/services/oauth2/token", "/oauth/v2/token")


@dataclass
class FakeCrm:
    """State shared by the fakes: records, requests seen, failures queued."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[int, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def fail_next(self, status: int, body: Any, times: int = 1) -> None:
        self.failures.extend([(status, body)] * times)

    def new_id(self) -> str:
        return str(next(self._ids))

    def by(self, name: str, value: Any) -> tuple[str, dict[str, Any]] | None:
        for record_id, record in self.records.items():
            if value is not None and record.get(name) == value:
                return record_id, record
        return None

    def app(self, scheme: str, error_for_auth: tuple[int, Any]) -> FastAPI:
        """The fake's app; it accepts `<scheme> <token>` for any live token."""
        app = FastAPI()

        @app.middleware("http")
        async def gate(request: Request, call_next: Any) -> Response:
            self.requests.append((request.method, request.url.path))
            live = {f"{scheme} {token}" for token in self.tokens}
            token_call = request.url.path in TOKEN_PATHS
            if not token_call and request.headers.get("authorization") not in live:
                return JSONResponse(error_for_auth[1], status_code=error_for_auth[0])
            if self.failures and not token_call:
                status, body = self.failures.pop(0)
                if isinstance(body, str):
                    return HTMLResponse(body, status_code=status)
                return JSONResponse(body, status_code=status)
            response: Response = await call_next(request)
            return response

        return app

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def refresh(self, form: Mapping[str, Any]) -> str | None:
        """A new access token for a valid refresh request, else None."""
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != REFRESH_TOKEN
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
        ):
            return None
        token = f"fresh-{self.new_id()}"
        self.tokens.add(token)
        return token


class FakeHubSpot(FakeCrm):
    """CRM v3 contacts. Search only sees indexed contacts, as in HubSpot,
    whose search index trails writes by a few seconds."""

    unindexed: set[str]

    def __init__(self) -> None:
        super().__init__()
        self.unindexed = set()
        self.tokens.add(HUBSPOT_TOKEN)

    def add_unindexed(self, email: str) -> str:
        contact_id = self.new_id()
        self.records[contact_id] = {"email": email}
        self.unindexed.add(contact_id)
        return contact_id

    def build(self) -> FastAPI:
        unauthorized = {
            "status": "error",
            "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION",
        }
        app = self.app("Bearer", (401, unauthorized))

        @app.post("/crm/v3/objects/contacts/search")
        async def search(request: Request) -> Any:
            query = await request.json()
            wanted = query["filterGroups"][0]["filters"][0]["value"]
            results = [
                {"id": contact_id, "properties": record, "archived": False}
                for contact_id, record in self.records.items()
                if record.get("email") == wanted and contact_id not in self.unindexed
            ]
            return {"total": len(results), "results": results[: query["limit"]]}

        @app.post("/crm/v3/objects/contacts", status_code=201)
        async def create(request: Request) -> Any:
            properties = (await request.json())["properties"]
            if invalid := _invalid_hubspot(properties):
                return invalid
            existing = self.by("email", properties.get("email"))
            if existing:
                return _hubspot_conflict(existing[0], properties["email"])
            contact_id = self.new_id()
            self.records[contact_id] = dict(properties)
            return {"id": contact_id, "properties": properties, "archived": False}

        @app.post("/crm/v3/objects/contacts/gdpr-delete", status_code=204)
        async def gdpr_delete(request: Request) -> Response:
            contact_id = (await request.json())["objectId"]
            if self.records.pop(contact_id, None) is None:
                return _hubspot_not_found()
            return Response(status_code=204)

        @app.patch("/crm/v3/objects/contacts/{contact_id}")
        async def update(contact_id: str, request: Request) -> Any:
            properties = (await request.json())["properties"]
            if contact_id not in self.records:
                return _hubspot_not_found()
            if invalid := _invalid_hubspot(properties):
                return invalid
            self.records[contact_id].update(properties)
            return {"id": contact_id, "properties": self.records[contact_id]}

        return app


def _hubspot_conflict(contact_id: str, email: str) -> JSONResponse:
    return JSONResponse(
        {
            "status": "error",
            "message": f"Contact already exists. Existing ID: {contact_id}",
            "errors": [
                {
                    "message": f"A contact with email {email} already exists. "
                    f"Existing ID: {contact_id}",
                    "in": "email",
                }
            ],
            "category": "OBJECT_ALREADY_EXISTS",
            "error": "CONTACT_EXISTS",
        },
        status_code=409,
    )


def _hubspot_not_found() -> JSONResponse:
    return JSONResponse(
        {
            "status": "error",
            "message": "resource not found",
            "category": "OBJECT_NOT_FOUND",
        },
        status_code=404,
    )


def _invalid_hubspot(properties: dict[str, Any]) -> JSONResponse | None:
    email = properties.get("email")
    if email is None or "." in email.rpartition("@")[2]:
        return None
    detail = (
        '[{"isValid":false,"message":"Email address ' + email + ' is invalid",'
        '"error":"INVALID_EMAIL","name":"email"}]'
    )
    return JSONResponse(
        {
            "status": "error",
            "message": f"Property values were not valid: {detail}",
            "errors": [
                {
                    "message": f"Email address {email} is invalid",
                    "code": "INVALID_EMAIL",
                    "context": {"propertyName": ["email"]},
                }
            ],
            "category": "VALIDATION_ERROR",
        },
        status_code=400,
    )


class FakeSalesforce(FakeCrm):
    """sObject Contact upsert by an external id field, API v60.0.

    A deleted contact goes to the recycle bin, as in Salesforce, where a
    second delete finds it.
    """

    recycle_bin: set[str]

    def __init__(self) -> None:
        super().__init__()
        self.recycle_bin = set()

    def build(self) -> FastAPI:
        unauthorized = [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]
        app = self.app("Bearer", (401, unauthorized))
        self.tokens.add(SALESFORCE_TOKEN)

        @app.post("/services/oauth2/token")
        async def token(request: Request) -> JSONResponse:
            access_token = self.refresh(await _form(request))
            if access_token is None:
                return JSONResponse(
                    {
                        "error": "invalid_grant",
                        "error_description": "expired access/refresh token",
                    },
                    status_code=400,
                )
            return JSONResponse(
                {
                    "access_token": access_token,
                    "instance_url": str(request.base_url).rstrip("/"),
                    "token_type": "Bearer",
                    "issued_at": "1764763200000",
                    "signature": "c2lnbmF0dXJl",
                }
            )

        @app.patch("/services/data/v60.0/sobjects/Contact/{field_name}/{value}")
        async def upsert(field_name: str, value: str, request: Request) -> Any:
            fields = await request.json()
            if field_name != EXTERNAL_ID_FIELD:
                return JSONResponse(
                    [
                        {
                            "errorCode": "NOT_FOUND",
                            "message": "Provided external ID "
                            f"field does not exist or is not accessible: {field_name}",
                        }
                    ],
                    status_code=404,
                )
            if invalid := _invalid_salesforce(fields):
                return invalid
            existing = self.by(EXTERNAL_ID_FIELD, value)
            if existing:
                existing[1].update(fields)
                return {
                    "id": existing[0],
                    "success": True,
                    "errors": [],
                    "created": False,
                }
            record_id = "003" + self.new_id()
            self.records[record_id] = fields | {EXTERNAL_ID_FIELD: value}
            return JSONResponse(
                {"id": record_id, "success": True, "errors": [], "created": True},
                status_code=201,
            )

        @app.delete("/services/data/v60.0/sobjects/Contact/{record_id}")
        async def delete(record_id: str) -> Response:
            if record_id in self.recycle_bin:
                return JSONResponse(
                    [
                        {
                            "message": "entity is deleted",
                            "errorCode": "ENTITY_IS_DELETED",
                            "fields": [],
                        }
                    ],
                    status_code=404,
                )
            if self.records.pop(record_id, None) is None:
                return JSONResponse(
                    [
                        {
                            "errorCode": "NOT_FOUND",
                            "message": "The requested resource does not exist",
                        }
                    ],
                    status_code=404,
                )
            self.recycle_bin.add(record_id)
            return Response(status_code=204)

        return app


def _invalid_salesforce(fields: dict[str, Any]) -> JSONResponse | None:
    email = fields.get("Email")
    if email is not None and "." not in email.rpartition("@")[2]:
        return JSONResponse(
            [
                {
                    "message": f"Email: invalid email address: {email}",
                    "errorCode": "INVALID_EMAIL_ADDRESS",
                    "fields": ["Email"],
                }
            ],
            status_code=400,
        )
    if len(fields.get("LastName", "")) > 80:
        return JSONResponse(
            [
                {
                    "message": "Last Name: data value too large: "
                    f"{fields['LastName']} (max length=80)",
                    "errorCode": "STRING_TOO_LONG",
                    "fields": ["LastName"],
                }
            ],
            status_code=400,
        )
    if not fields.get("LastName"):
        return JSONResponse(
            [
                {
                    "message": "Required fields are missing: [LastName]",
                    "errorCode": "REQUIRED_FIELD_MISSING",
                    "fields": ["LastName"],
                }
            ],
            status_code=400,
        )
    return None


class FakeZoho(FakeCrm):
    """Zoho CRM v8 Contacts: upsert with duplicate check, update by id."""

    def build(self) -> FastAPI:
        unauthorized = {
            "code": "INVALID_TOKEN",
            "details": {},
            "message": "invalid oauth token",
            "status": "error",
        }
        app = self.app("Zoho-oauthtoken", (401, unauthorized))
        self.tokens.add(ZOHO_TOKEN)

        @app.post("/oauth/v2/token")
        async def token(request: Request) -> JSONResponse:
            access_token = self.refresh(request.query_params or await _form(request))
            if access_token is None:
                return JSONResponse({"error": "invalid_code"})
            return JSONResponse(
                {
                    "access_token": access_token,
                    "api_domain": str(request.base_url).rstrip("/"),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                }
            )

        @app.post("/crm/v8/Contacts/upsert")
        async def upsert(request: Request) -> Any:
            body = await request.json()
            record = body["data"][0]
            if invalid := _invalid_zoho(record):
                return invalid
            duplicate = next(
                (
                    f
                    for f in body.get("duplicate_check_fields", [])
                    if self.by(f, record.get(f))
                ),
                None,
            )
            if duplicate:
                record_id, existing = self.by(duplicate, record[duplicate]) or ("", {})
                existing.update(record)
                return _zoho_success(record_id, "update", duplicate, 200)
            record_id = "5725767000000" + self.new_id()
            self.records[record_id] = dict(record)
            return _zoho_success(record_id, "insert", None, 201)

        @app.put("/crm/v8/Contacts")
        async def update(request: Request) -> Any:
            record = (await request.json())["data"][0]
            record_id = record.pop("id")
            if record_id not in self.records:
                return JSONResponse(
                    {
                        "data": [
                            {
                                "code": "INVALID_DATA",
                                "details": {"api_name": "id"},
                                "message": "the related id given seems to be invalid",
                                "status": "error",
                            }
                        ]
                    },
                    status_code=400,
                )
            self.records[record_id].update(record)
            return _zoho_success(record_id, "update", None, 200)

        @app.delete("/crm/v8/Contacts")
        async def delete(ids: str) -> JSONResponse:
            if self.records.pop(ids, None) is None:
                outcome = {
                    "code": "INVALID_DATA",
                    "details": {"id": ids},
                    "message": "record not deleted",
                    "status": "error",
                }
                return JSONResponse({"data": [outcome]}, status_code=400)
            outcome = {
                "code": "SUCCESS",
                "details": {"id": ids},
                "message": "record deleted",
                "status": "success",
            }
            return JSONResponse({"data": [outcome]})

        return app


def _zoho_success(
    record_id: str, action: str, duplicate: str | None, status: int
) -> JSONResponse:
    message = "record added" if action == "insert" else "record updated"
    outcome = {
        "code": "SUCCESS",
        "duplicate_field": duplicate,
        "action": action,
        "details": {"Modified_Time": "2026-12-03T12:00:00+01:00", "id": record_id},
        "message": message,
        "status": "success",
    }
    return JSONResponse({"data": [outcome]}, status_code=status)


def _invalid_zoho(record: dict[str, Any]) -> JSONResponse | None:
    problem = None
    email = record.get("Email")
    if email is not None and "." not in email.rpartition("@")[2]:
        problem = ("INVALID_DATA", "invalid data", "Email")
    elif not record.get("Last_Name"):
        problem = ("MANDATORY_NOT_FOUND", "required field not found", "Last_Name")
    if problem is None:
        return None
    code, message, api_name = problem
    outcome = {
        "code": code,
        "details": {"api_name": api_name},
        "message": message,
        "status": "error",
    }
    return JSONResponse({"data": [outcome]}, status_code=400)


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form, read without Starlette's python-multipart parser."""
    return dict(parse_qsl((await request.body()).decode()))


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class ThreeCrms:
    """Fakes of all three CRMs and the settings that point crm at them."""

    hubspot: FakeHubSpot = field(default_factory=FakeHubSpot)
    salesforce: FakeSalesforce = field(default_factory=FakeSalesforce)
    zoho: FakeZoho = field(default_factory=FakeZoho)
    settings: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def three_crms() -> AsyncIterator[ThreeCrms]:
    crms = ThreeCrms()
    async with (
        serving(crms.hubspot.build()) as hubspot_url,
        serving(crms.salesforce.build()) as salesforce_url,
        serving(crms.zoho.build()) as zoho_url,
    ):
        crms.settings = {
            "hubspot_token": HUBSPOT_TOKEN,
            "hubspot_url": hubspot_url,
            "salesforce_token": SALESFORCE_TOKEN,
            "salesforce_instance_url": salesforce_url,
            "zoho_token": ZOHO_TOKEN,
            "zoho_api_domain": zoho_url,
        }
        yield crms


SMTP_LOGIN = ("orderflow", "smtp-password-of-the-tests")


class SmtpInbox:
    """An aiosmtpd handler that keeps what it receives.

    Recipients at `bounce.test` are refused with 550 (no such mailbox);
    `defer_next` answers the next messages with 451 (try again later).
    `encrypted` says for each message received whether it came over TLS,
    and `logins` who logged in with `SMTP_LOGIN`.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.deferred: list[EmailMessage] = []
        self.refused: list[str] = []
        self.encrypted: list[bool] = []
        self.logins: list[str] = []
        self.deferrals = 0

    def defer_next(self, times: int = 1) -> None:
        self.deferrals += times

    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        given = (
            (auth_data.login.decode(), auth_data.password.decode())
            if isinstance(auth_data, LoginPassword)
            else None
        )
        if given != SMTP_LOGIN:
            return AuthResult(success=False, handled=False)
        self.logins.append(SMTP_LOGIN[0])
        return AuthResult(success=True)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address.endswith("@bounce.test"):
            self.refused.append(address)
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        message = message_from_bytes(
            envelope.original_content or b"", policy=policy.default
        )
        assert isinstance(message, EmailMessage)
        if self.deferrals:
            self.deferrals -= 1
            self.deferred.append(message)
            return "451 4.3.0 Temporary failure, try again later"
        self.messages.append(message)
        transport = server.transport
        assert transport is not None
        self.encrypted.append(transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Certificate:
    """A test CA and a server certificate it signed for 127.0.0.1."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """Issue a CA and a server certificate for 127.0.0.1 with openssl."""
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key, request = folder / "server.pem", folder / "server.key", folder / "csr"
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        *("req", "-x509", *_NEW_KEY, "-keyout", ca_key, "-out", ca, "-days", "2"),
        *("-subj", "/CN=Orderflow test CA"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    _openssl(
        *("req", *_NEW_KEY, "-keyout", key, "-out", request),
        *("-subj", "/CN=127.0.0.1"),
    )
    _openssl(
        *("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key),
        *("-CAcreateserial", "-out", cert, "-days", "2", "-extfile", extensions),
    )
    return Certificate(ca=ca, cert=cert, key=key)


_NEW_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl(*arguments: str | Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the TLS tests need the openssl command")
    subprocess.run(  # noqa: S603 - arguments of our own
        [openssl, *map(str, arguments)], check=True, capture_output=True
    )


@asynccontextmanager
async def smtp_server(
    security: str = "none", certificate: Certificate | None = None
) -> AsyncIterator[tuple[SmtpInbox, int]]:
    """A real SMTP server on loopback; yields its inbox and port.

    `security` is "none", "starttls" (required before the login) or "tls"
    (from the first byte); with TLS the server takes `SMTP_LOGIN`.
    """
    inbox = SmtpInbox()
    port = free_port()
    options: dict[str, Any] = {}
    if security != "none":
        assert certificate is not None
        context = certificate.server_context()
        options = {"authenticator": inbox.authenticate, "auth_required": True}
        if security == "starttls":
            options |= {"tls_context": context, "require_starttls": True}
        else:
            # aiosmtpd counts only STARTTLS as TLS for AUTH, and warns when
            # it is to require a login without; this connection is encrypted
            # from its first byte, and `logins` shows the login happened.
            options |= {
                "ssl_context": context,
                "auth_require_tls": False,
                "auth_required": False,
            }
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    await asyncio.to_thread(controller.start)
    try:
        yield inbox, port
    finally:
        await asyncio.to_thread(controller.stop)


@dataclass
class DroppingGate:
    """A loopback port that hangs up on the first connections, then forwards."""

    port: int = 0
    drops: int = 0
    dropped: int = 0


@asynccontextmanager
async def dropping_gate(target_port: int, drops: int) -> AsyncIterator[DroppingGate]:
    """Drop the next `drops` connections at once, forward later ones."""
    gate = DroppingGate(drops=drops)

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if gate.dropped < gate.drops:
            gate.dropped += 1
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", target_port
        )
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer)
        )

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    gate.port = server.sockets[0].getsockname()[1]
    try:
        yield gate
    finally:
        server.close()
        await server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
