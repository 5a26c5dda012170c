"""Settings of the orders service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8001


class Settings(BackboneSettings):
    """The backbone's settings; the orders service adds its own here."""
