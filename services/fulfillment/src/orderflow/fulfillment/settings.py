"""Settings of the fulfillment service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from orderflow.backbone.settings import BackboneSettings

DEFAULT_PORT = 8004


class Settings(BackboneSettings):
    """The backbone's settings; the fulfillment service adds its own here."""
