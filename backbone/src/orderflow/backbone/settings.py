"""Settings shared by every service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/orderflow"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class BackboneSettings(BaseSettings):
    """What every service needs to reach the broker and the database.

    A service's own `Settings` class inherits these and adds its fields.
    """

    model_config = SettingsConfigDict(
        env_prefix="ORDERFLOW_", env_file=".env", extra="ignore"
    )

    environment: Environment = Environment.DEVELOPMENT
    amqp_url: SecretStr = SecretStr(LOCAL_AMQP_URL)
    database_url: SecretStr = SecretStr(LOCAL_DATABASE_URL)
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(
        default=None, description="Overrides the service's own default port."
    )
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.AUTO
    retry_delays: list[float] = Field(
        default=[1.0, 10.0, 60.0, 600.0],
        min_length=1,
        description="Seconds a failed message waits before each further attempt.",
    )
    prefetch: int = Field(default=32, ge=1, le=1000)
    database_pool_size: int = Field(default=10, ge=1)
    batch_size: int = Field(
        default=50,
        ge=1,
        description="Most deliveries a batched subscription applies at once.",
    )
    outbox_batch_size: int = Field(default=200, ge=1, le=5000)
    outbox_poll_interval: float = Field(default=1.0, gt=0)
    outbox_retention_days: int = Field(
        default=7, ge=1, description="Days a published event stays in the outbox."
    )
    inbox_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days a handled event's id is kept to recognise it again; "
        "RabbitMQ redelivers within minutes, and a replayed dead letter was "
        "never handled, so this only bounds the table.",
    )
    shutdown_grace: float = Field(
        default=20.0, gt=0, description="Seconds to finish in-flight messages."
    )

    @property
    def attempts(self) -> int:
        """How often a message is tried before it is dead-lettered."""
        return len(self.retry_delays) + 1

    @model_validator(mode="after")
    def _refuse_local_defaults_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            for name in ("amqp_url", "database_url"):
                url = getattr(self, name).get_secret_value()
                if url in (LOCAL_AMQP_URL, LOCAL_DATABASE_URL):
                    raise ValueError(
                        f"ORDERFLOW_{name.upper()} must be set in production"
                    )
        return self
