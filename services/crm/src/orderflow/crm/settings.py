"""Settings of the crm service, read from `ORDERFLOW_*` variables.

A CRM is on when its credentials are set; with none set, the crm service's
own customer store is the only record. Mail and the shop's identity have
settings of their own in the backbone (`ORDERFLOW_SMTP_*`, `ORDERFLOW_SHOP_*`).
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8002


class Settings(BackboneSettings):
    """The backbone's settings and the CRM accounts to keep in step."""

    hubspot_token: SecretStr | None = Field(
        default=None, description="A HubSpot private app's access token."
    )
    hubspot_url: str = "https://api.hubapi.com"

    salesforce_instance_url: str | None = Field(
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
    salesforce_api_version: str = "v60.0"
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
    zoho_accounts_url: str = Field(
        default="https://accounts.zoho.com",
        description="The accounts server of the account's region.",
    )
    zoho_api_domain: str = "https://www.zohoapis.com"

    crm_timeout: float = Field(default=10.0, gt=0, description="Seconds per call.")
