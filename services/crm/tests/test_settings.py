# ruff: noqa: S106 - the secrets here are made up
"""crm's settings refuse a CRM configured by halves and placeholder secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orderflow.crm.settings import Settings


def test_salesforce_token_without_instance_is_refused() -> None:
    with pytest.raises(ValidationError, match="salesforce_instance_url"):
        Settings(salesforce_token="00Dx!token")


def test_salesforce_instance_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="salesforce_refresh_token"):
        Settings(salesforce_instance_url="https://example.my.salesforce.com")


def test_refresh_token_without_client_is_refused() -> None:
    with pytest.raises(ValidationError, match="zoho_client_id, zoho_client_secret"):
        Settings(zoho_refresh_token="1000.refresh")


def test_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="ORDERFLOW_HUBSPOT_TOKEN"):
        Settings(
            environment="production",
            amqp_url="amqp://orderflow:s3cret@rabbitmq:5672/",
            database_url="postgresql://orderflow@postgres:5432/orderflow",
            hubspot_token="changeme",
        )


def test_placeholder_secret_is_accepted_on_a_developer_machine() -> None:
    assert Settings(hubspot_token="changeme").hubspot_token is not None


@pytest.mark.parametrize(
    "url",
    ["example.my.salesforce.com", "ftp://example.com", "https://", "https://x/?a"],
)
def test_crm_address_that_is_no_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="salesforce_instance_url"):
        Settings(salesforce_instance_url=url, salesforce_token="00Dx!token")


def test_crm_address_loses_its_trailing_slash() -> None:
    settings = Settings(hubspot_url="https://api.hubapi.com/ ")

    assert settings.hubspot_url == "https://api.hubapi.com"


def test_api_version_not_in_the_apis_form_is_refused() -> None:
    with pytest.raises(ValidationError, match="zoho_api_version"):
        Settings(zoho_api_version="8")
