"""Settings of the feedback service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8005


class Settings(BackboneSettings):
    """The backbone's settings; the feedback service adds its own here."""
