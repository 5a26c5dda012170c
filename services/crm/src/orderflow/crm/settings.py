"""Settings of the crm service, read from `ORDERFLOW_*` variables.

A CRM is on when its credentials are set; with none set, the crm service's
own customer store is the only record. Mail and the shop's identity have
settings of their own in the backbone (`ORDERFLOW_SMTP_*`, `ORDERFLOW_SHOP_*`).
"""

from __future__ import annotations

from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, model_validator

from orderflow.backbone.settings import BackboneSettings, Environment

DEFAULT_PORT = 8002

_SECRETS = (
    "admin_api_key",
    "admin_api_key_previous",
    "hubspot_token",
    "salesforce_token",
    "salesforce_client_secret",
    "salesforce_refresh_token",
    "zoho_token",
    "zoho_client_secret",
    "zoho_refresh_token",
)
_PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "token", "xxx", "todo"})
# A CRM's refresh settings: all of them or none.
_REFRESH_SETS = {
    crm: (f"{crm}_client_id", f"{crm}_client_secret", f"{crm}_refresh_token")
    for crm in ("salesforce", "zoho")
}


def _base_url(url: str) -> str:
    """An API's address: http(s) and a host, without a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http:// or https:// address with a host")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or a fragment")
    return url.strip().rstrip("/")


BaseUrl = Annotated[str, AfterValidator(_base_url)]


class Settings(BackboneSettings):
    """The backbone's settings and the CRM accounts to keep in step."""

    hubspot_token: SecretStr | None = Field(
        default=None, description="A HubSpot private app's access token."
    )
    hubspot_url: BaseUrl = "https://api.hubapi.com"

    salesforce_instance_url: BaseUrl | None = Field(
        default=None, description="e.g. https://example.my.salesforce.com"
    )
    salesforce_token: SecretStr | None = Field(
        default=None,
        description="An OAuth access token of the integration user; it expires, "
        "so prefer the refresh token and client below.",
    )
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_refresh_token: SecretStr | None = None
    salesforce_api_version: str = Field(default="v60.0", pattern=r"^v\d+\.\d+$")
    salesforce_external_id_field: str = Field(
        default="Orderflow_Customer_Id__c",
        description="The Contact field marked External ID that holds our id.",
    )

    zoho_token: SecretStr | None = Field(
        default=None,
        description="A Zoho CRM OAuth access token; it expires within an hour, "
        "so prefer the refresh token and client below.",
    )
    zoho_client_id: str | None = None
    zoho_client_secret: SecretStr | None = None
    zoho_refresh_token: SecretStr | None = None
    zoho_accounts_url: BaseUrl = Field(
        default="https://accounts.zoho.com",
        description="The accounts server of the account's region.",
    )
    zoho_api_domain: BaseUrl = "https://www.zohoapis.com"
    zoho_api_version: str = Field(
        default="v8",
        pattern=r"^v\d+(\.\d+)?$",
        description="The version of Zoho CRM's REST API, in its URLs.",
    )

    admin_api_key: SecretStr | None = Field(
        default=None,
        description="The key of crm's HTTP routes (customer data, erasure), "
        "in X-Api-Key or as a bearer token; with none set they refuse every call.",
    )
    admin_api_key_previous: SecretStr | None = Field(
        default=None, description="The key before the last rotation, still valid."
    )

    crm_timeout: float = Field(default=10.0, gt=0, description="Seconds per call.")

    @model_validator(mode="after")
    def _refuse_half_configured_crms(self) -> Self:
        """A CRM given some of its settings is a mistake, not a CRM turned off."""
        for crm, names in _REFRESH_SETS.items():
            given = [name for name in names if getattr(self, name)]
            if given and len(given) < len(names):
                missing = sorted(set(names) - set(given))
                raise ValueError(f"{crm} needs {', '.join(missing)} as well")
        credentials = self.salesforce_token or self.salesforce_refresh_token
        if credentials and not self.salesforce_instance_url:
            raise ValueError("salesforce needs salesforce_instance_url as well")
        if self.salesforce_instance_url and not credentials:
            raise ValueError(
                "salesforce needs salesforce_refresh_token (with its client) "
                "or salesforce_token as well"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Self:
        if self.environment is not Environment.PRODUCTION:
            return self
        for name in _SECRETS:
            secret: SecretStr | None = getattr(self, name)
            value = secret.get_secret_value().strip().lower() if secret else None
            if value is not None and (value in _PLACEHOLDERS or value.startswith("<")):
                raise ValueError(f"ORDERFLOW_{name.upper()} is a placeholder")
        return self
