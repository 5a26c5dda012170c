"""The CRMs this deployment keeps in step, chosen by which are configured."""

from __future__ import annotations

import httpx

from orderflow.crm.adapters.crm_http import CrmAdapter
from orderflow.crm.adapters.hubspot import HubSpot
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
            token = settings.hubspot_token.get_secret_value()
            client = self._client(settings.hubspot_url, f"Bearer {token}")
            self.adapters.append(HubSpot(client))
        if settings.salesforce_token and settings.salesforce_instance_url:
            token = settings.salesforce_token.get_secret_value()
            client = self._client(settings.salesforce_instance_url, f"Bearer {token}")
            self.adapters.append(
                Salesforce(
                    client,
                    api_version=settings.salesforce_api_version,
                    external_id_field=settings.salesforce_external_id_field,
                )
            )
        if settings.zoho_token:
            token = settings.zoho_token.get_secret_value()
            client = self._client(settings.zoho_api_domain, f"Zoho-oauthtoken {token}")
            self.adapters.append(Zoho(client))

    def _client(self, base_url: str, authorization: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": authorization},
            timeout=self._settings.crm_timeout,
        )
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
