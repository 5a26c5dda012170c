"""Settings of the billing service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8003


class Settings(BackboneSettings):
    """The backbone's settings; the billing service adds its own here."""
