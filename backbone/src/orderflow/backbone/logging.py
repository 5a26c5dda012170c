"""structlog, configured once: JSON lines in production, readable on a terminal.

Standard-library loggers (uvicorn, faststream, aio-pika) are routed through
the same processors, so every line of a service has one shape.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from orderflow.backbone.settings import LogFormat

# Libraries that log their routine steps at info: every frame, every style
# sheet parsed. Their warnings and errors still come through.
_CHATTY_LIBRARIES = ("aiormq", "aio_pika", "weasyprint.progress")


def configure_logging(
    *, service: str, level: str = "INFO", log_format: LogFormat = LogFormat.AUTO
) -> None:
    """Set up structlog and the standard library for one service process."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _renderer(log_format),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for chatty in _CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def _renderer(log_format: LogFormat) -> Any:
    console = log_format is LogFormat.CONSOLE or (
        log_format is LogFormat.AUTO and sys.stderr.isatty()
    )
    if console:
        return structlog.dev.ConsoleRenderer()
    return structlog.processors.JSONRenderer()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
