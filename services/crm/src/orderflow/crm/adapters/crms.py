"""The CRMs this deployment keeps in step, chosen by which are configured.

A CRM is on when its credentials are set: HubSpot's private app token;
Salesforce's instance URL with a refresh token and client (or a bare access
token); Zoho's refresh token and client (or a bare access token).
"""

from __future__ import annotations

import httpx

from orderflow.crm.adapters.crm_http import CrmAdapter
from orderflow.crm.adapters.hubspot import HubSpot
from orderflow.crm.adapters.oauth import RefreshingToken, StaticToken
from orderflow.crm.adapters.salesforce import Salesforce
from orderflow.crm.adapters.zoho import Zoho
from orderflow.crm.settings import Settings


class ConfiguredCrms:
    """An adapter and its HTTP client for each CRM whose credentials are set.

    The clients are made at once, so the adapters are ready before the first
    message arrives; `aclose` closes them when the service stops.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: list[httpx.AsyncClient] = []
        self.adapters: list[CrmAdapter] = []
        if settings.hubspot_token:
            hubspot_auth = StaticToken("Bearer", settings.hubspot_token)
            client = self._client(settings.hubspot_url, hubspot_auth)
            self.adapters.append(HubSpot(client))
        if salesforce_auth := self._salesforce_auth():
            assert settings.salesforce_instance_url
            self.adapters.append(
                Salesforce(
                    self._client(settings.salesforce_instance_url, salesforce_auth),
                    api_version=settings.salesforce_api_version,
                    external_id_field=settings.salesforce_external_id_field,
                )
            )
        if zoho_auth := self._zoho_auth():
            client = self._client(settings.zoho_api_domain, zoho_auth)
            self.adapters.append(Zoho(client, api_version=settings.zoho_api_version))

    def _salesforce_auth(self) -> httpx.Auth | None:
        settings = self._settings
        if not settings.salesforce_instance_url:
            return None
        if (
            settings.salesforce_refresh_token
            and settings.salesforce_client_id
            and settings.salesforce_client_secret
        ):
            return RefreshingToken(
                "salesforce",
                token_url=f"{settings.salesforce_instance_url}/services/oauth2/token",
                client_id=settings.salesforce_client_id,
                client_secret=settings.salesforce_client_secret.get_secret_value(),
                refresh_token=settings.salesforce_refresh_token.get_secret_value(),
            )
        if settings.salesforce_token:
            return StaticToken("Bearer", settings.salesforce_token)
        return None

    def _zoho_auth(self) -> httpx.Auth | None:
        settings = self._settings
        if (
            settings.zoho_refresh_token
            and settings.zoho_client_id
            and settings.zoho_client_secret
        ):
            return RefreshingToken(
                "zoho",
                token_url=f"{settings.zoho_accounts_url}/oauth/v2/token",
                client_id=settings.zoho_client_id,
                client_secret=settings.zoho_client_secret.get_secret_value(),
                refresh_token=settings.zoho_refresh_token.get_secret_value(),
                scheme="Zoho-oauthtoken",
            )
        if settings.zoho_token:
            return StaticToken("Zoho-oauthtoken", settings.zoho_token)
        return None

    def _client(self, base_url: str, auth: httpx.Auth) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            base_url=base_url, auth=auth, timeout=self._settings.crm_timeout
        )
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
