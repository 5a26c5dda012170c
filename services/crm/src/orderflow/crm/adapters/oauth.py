"""How crm authenticates to the CRMs: fixed tokens, or OAuth renewed on 401.

Salesforce and Zoho hand out access tokens that expire (Zoho's after an
hour). Given a refresh token, `RefreshingToken` fetches an access token
before the first call and again whenever the API answers 401, then repeats
the call once with the new token. The token endpoint's refusal (a revoked
refresh token, a wrong client secret) is `CrmRejected`; its 5xx or 429 is
`CrmUnavailable`.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import SecretStr

from orderflow.crm.adapters.crm_http import body_of, check
from orderflow.crm.errors import CrmRejected


class StaticToken(httpx.Auth):
    """A token that does not expire, such as a HubSpot private app's."""

    def __init__(self, scheme: str, token: SecretStr) -> None:
        self._authorization = f"{scheme} {token.get_secret_value()}"

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._authorization
        yield request


class RefreshingToken(httpx.Auth):
    """Bearer-style authorization with an access token renewed on 401."""

    requires_response_body = True

    def __init__(
        self,
        crm: str,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        scheme: str = "Bearer",
    ) -> None:
        self._crm = crm
        self._token_url = token_url
        self._form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        self._scheme = scheme
        self._access_token: str | None = None

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if self._access_token is None:
            self._renew((yield self._token_request()))
        request.headers["Authorization"] = f"{self._scheme} {self._access_token}"
        response = yield request
        if response.status_code == 401:
            self._renew((yield self._token_request()))
            request.headers["Authorization"] = f"{self._scheme} {self._access_token}"
            yield request

    def _token_request(self) -> httpx.Request:
        return httpx.Request("POST", self._token_url, data=self._form)

    def _renew(self, response: httpx.Response) -> None:
        check(self._crm, response, _explain)
        body = body_of(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            # Zoho answers a bad refresh token with 200 and {"error": ...}.
            raise CrmRejected(self._crm, response.status_code, _explain(body))
        self._access_token = str(token)


def _explain(body: object) -> str:
    """OAuth errors: {"error": "invalid_grant", "error_description": ...}."""
    if isinstance(body, dict):
        parts = (body.get("error"), body.get("error_description"))
        return ": ".join(str(part) for part in parts if part)
    return str(body)
