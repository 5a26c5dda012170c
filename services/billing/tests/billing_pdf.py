"""Reading rendered PDFs back: their text and their embedded Factur-X XML."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from facturx import get_facturx_xml_from_pdf, xml_check_xsd


def pdf_text(pdf: bytes, tmp: Path) -> str:
    """The PDF's text as pdftotext (poppler-utils) extracts it."""
    executable = shutil.which("pdftotext")
    assert executable, "pdftotext (poppler-utils) is needed"
    path = tmp / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603
        [executable, "-layout", str(path), "-"], check=True, capture_output=True
    )
    return result.stdout.decode()


def shows(text: str, wanted: str) -> bool:
    """Whether `wanted` is in the text, whatever the spacing of the layout."""
    return "".join(wanted.split()) in "".join(text.split())


def embedded_xml(pdf: bytes) -> bytes:
    """The Factur-X XML inside the PDF, after checking it against its XSD."""
    filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return bytes(xml)
