"""Settings of the support service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8006


class Settings(BackboneSettings):
    """The backbone's settings; the support service adds its own here."""
