"""The console's settings, read from the environment (prefix ``MODERATION_CONSOLE_``)."""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from moderation_contracts import topics as contract_topics

DEFAULT_DATABASE_URL = "sqlite:///.run/console.db"


class AuthMode(StrEnum):
    """How reviewers prove who they are (API tokens work in every mode)."""

    SESSION = "session"
    """Username and password on the console's sign-in page; a server-side session cookie."""
    PROXY = "proxy"
    """An SSO reverse proxy signs people in and passes the user name in a header."""


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MODERATION_CONSOLE_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL),
        validation_alias=AliasChoices("DATABASE_URL", "MODERATION_CONSOLE_DATABASE_URL"),
        description="SQLAlchemy URL: postgresql+psycopg://... in production, sqlite:///file",
    )
    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "MODERATION_BOOTSTRAP_SERVERS"),
        description="Kafka brokers, host:port[,host:port]",
    )
    human_review_topic: str = Field(
        default=contract_topics.HUMAN_REVIEW.name,
        validation_alias=AliasChoices(
            "MODERATION_TOPICS__HUMAN_REVIEW", "MODERATION_CONSOLE_HUMAN_REVIEW_TOPIC"
        ),
        description="tasks to ingest",
    )
    human_decisions_topic: str = Field(
        default=contract_topics.HUMAN_DECISIONS.name,
        validation_alias=AliasChoices(
            "MODERATION_TOPICS__HUMAN_DECISIONS", "MODERATION_CONSOLE_HUMAN_DECISIONS_TOPIC"
        ),
        description="where reviewers' decisions are published",
    )
    appeal_tasks_topic: str = Field(
        default=contract_topics.APPEAL_TASKS.name,
        validation_alias=AliasChoices(
            "MODERATION_TOPICS__APPEAL_TASKS", "MODERATION_CONSOLE_APPEAL_TASKS_TOPIC"
        ),
        description="appeals to ingest into the appeals queue",
    )
    appeal_decisions_topic: str = Field(
        default=contract_topics.APPEAL_DECISIONS.name,
        validation_alias=AliasChoices(
            "MODERATION_TOPICS__APPEAL_DECISIONS", "MODERATION_CONSOLE_APPEAL_DECISIONS_TOPIC"
        ),
        description="where reviewers' appeal decisions are published",
    )
    deadletter_topic: str = Field(
        default=contract_topics.DEAD_LETTERS.name,
        validation_alias=AliasChoices(
            "MODERATION_TOPICS__DEADLETTER", "MODERATION_CONSOLE_DEADLETTER_TOPIC"
        ),
        description="tasks that break the contract go here with their original bytes",
    )
    group_id: str = Field(default="moderation-console", description="consumer group of ingest")
    host: str = Field(default="127.0.0.1", description="address the web server binds")
    port: int = Field(default=8080, ge=0, le=65535, description="web UI, JSON API, /metrics")
    auth_mode: AuthMode = Field(default=AuthMode.SESSION, description="session or proxy")
    proxy_user_header: str = Field(
        default="X-Forwarded-User", description="proxy mode: the header naming the user"
    )
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = Field(
        default=(ip_network("127.0.0.1/32"), ip_network("::1/128")),
        description="proxy mode: comma-separated CIDRs whose user header is believed",
    )
    secure_cookies: bool = Field(
        default=True, description="mark cookies Secure (turn off only for plain-http local runs)"
    )
    session_hours: float = Field(default=12.0, gt=0, description="a sign-in lasts this long")
    lease_s: float = Field(
        default=600.0, gt=0, description="a claim lasts this long unless the reviewer works on"
    )
    sla_warning_s: float = Field(
        default=3600.0, ge=0, description="tasks this close to their deadline are highlighted"
    )
    log_level: str = Field(default="info", pattern="^(debug|info|warn|error)$")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_cidrs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
        return value

    def url(self) -> str:
        """The database URL (a secret: it may carry a password)."""
        return self.database_url.get_secret_value()
