"""The CRMs this deployment keeps in step, chosen by which are configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from orderflow.crm.adapters.crm_http import CrmAdapter
from orderflow.crm.adapters.hubspot import HubSpot
from orderflow.crm.adapters.salesforce import Salesforce
from orderflow.crm.adapters.zoho import Zoho
from orderflow.crm.settings import Settings


@asynccontextmanager
async def configured_crms(settings: Settings) -> AsyncIterator[list[CrmAdapter]]:
    """Open an HTTP client per configured CRM and close them all after."""
    async with AsyncExitStack() as clients:

        async def client(base_url: str, authorization: str) -> httpx.AsyncClient:
            return await clients.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url,
                    headers={"Authorization": authorization},
                    timeout=settings.crm_timeout,
                )
            )

        crms: list[CrmAdapter] = []
        if settings.hubspot_token:
            token = settings.hubspot_token.get_secret_value()
            crms.append(HubSpot(await client(settings.hubspot_url, f"Bearer {token}")))
        if settings.salesforce_token and settings.salesforce_instance_url:
            token = settings.salesforce_token.get_secret_value()
            crms.append(
                Salesforce(
                    await client(settings.salesforce_instance_url, f"Bearer {token}"),
                    api_version=settings.salesforce_api_version,
                    external_id_field=settings.salesforce_external_id_field,
                )
            )
        if settings.zoho_token:
            token = settings.zoho_token.get_secret_value()
            crms.append(
                Zoho(await client(settings.zoho_api_domain, f"Zoho-oauthtoken {token}"))
            )
        yield crms
