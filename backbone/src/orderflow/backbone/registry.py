"""The services installed beside the backbone, found by entry point."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orderflow.backbone.service import Service

ENTRY_POINT_GROUP = "orderflow.services"


class UnknownService(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"no service named {name!r}; installed: {', '.join(known) or 'none'}"
        )


def service_names() -> list[str]:
    return sorted(point.name for point in entry_points(group=ENTRY_POINT_GROUP))


def load_service(name: str) -> Service:
    """Build the service registered under `name`."""
    for point in entry_points(group=ENTRY_POINT_GROUP, name=name):
        factory: Callable[[], Service] = point.load()
        return factory()
    raise UnknownService(name, service_names())
