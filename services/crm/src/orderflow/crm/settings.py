"""Settings of the crm service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8002


class Settings(BackboneSettings):
    """The backbone's settings; the crm service adds its own here."""
