"""API keys on HTTP routes, sent in `X-Api-Key` or as a bearer token.

Two keys can be valid at once (the current one and the previous one), so
that a key is rotated without refusing the clients that still hold the old.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence

from fastapi import HTTPException, Request
from pydantic import SecretStr


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries, in `X-Api-Key` or `Authorization: Bearer`."""
    given = headers.get("x-api-key")
    if given is not None:
        return given
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def configured_keys(*keys: SecretStr | None) -> tuple[bytes, ...]:
    """The keys of those settings that are set, ready to compare."""
    return tuple(key.get_secret_value().encode() for key in keys if key is not None)


def is_one_of(given: str, keys: Sequence[bytes]) -> bool:
    """Whether `given` is one of `keys`, compared in constant time."""
    given_bytes = given.encode()
    return any([hmac.compare_digest(given_bytes, key) for key in keys])


def require_api_key(keys: Sequence[bytes], setting: str) -> Callable[[Request], None]:
    """A route dependency refusing, with 401, a request without a valid key.

    With no key configured every request is refused: routes guarded by a key
    are never open by default. `setting` names the variable that sets it.
    """

    def check(request: Request) -> None:
        given = presented_key(request.headers)
        if not keys:
            reason = f"no API key is configured; set {setting}"
        elif given is None:
            reason = "an API key is required, in X-Api-Key or as a bearer token"
        elif not is_one_of(given, keys):
            reason = "the API key is not a valid one"
        else:
            return
        raise HTTPException(
            status_code=401, detail=reason, headers={"WWW-Authenticate": "Bearer"}
        )

    return check
