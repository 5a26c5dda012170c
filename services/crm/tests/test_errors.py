"""crm's errors keep personal data out of what ends up in logs."""

from __future__ import annotations

from orderflow.crm.errors import CrmRejected


def test_refusal_blanks_addresses_and_the_records_own_values() -> None:
    refused = CrmRejected(
        "hubspot",
        400,
        'Property values were not valid: [{"message":"J\\u00f6rg M\\u00fcller '
        'and joerg@example.com are taken","name":"lastname"}]',
    )

    message = str(refused.without(["Jörg", "Müller", None, "A"]))

    assert message == (
        "hubspot rejected the record (400): Property values were not valid: "
        '[{"message":"<redacted> <redacted> and <address> are taken",'
        '"name":"lastname"}]'
    )


def test_refusal_keeps_its_status_and_crm() -> None:
    refused = CrmRejected("zoho", 400, "INVALID_DATA: invalid data (Email)")

    blanked = refused.without(["Ada"])

    assert (blanked.crm, blanked.status) == ("zoho", 400)
    assert str(blanked) == str(refused)
