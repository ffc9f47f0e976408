"""Every setting of the service, read from the environment (prefix ``MODERATION_``).

Nested settings use ``__``: ``MODERATION_TRIAGE__MAX_IN_FLIGHT=64``. Standard variables keep their
standard names: ``KAFKA_BOOTSTRAP_SERVERS``, ``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL`` and the
``OTEL_*`` family (read by the telemetry package).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from moderation.levers import BatchSettings, CanarySettings, ShadowSettings, VerdictCacheSettings
from moderation.pricing import ModelPrice, PriceTable, UnknownModelError
from moderation_contracts import topics as contract_topics

MIN_THINKING_BUDGET = 1024
"""The API's smallest extended-thinking budget."""


class Stage(StrEnum):
    TRIAGE = "triage"
    REVIEW = "review"
    FINALIZE = "finalize"
    APPEAL = "appeal"


class HttpTransport(StrEnum):
    """The HTTP transport under the Anthropic SDK (both are the SDK's own clients)."""

    AIOHTTP = "aiohttp"
    HTTPX = "httpx"


ALL_STAGES: tuple[Stage, ...] = (Stage.TRIAGE, Stage.REVIEW, Stage.FINALIZE, Stage.APPEAL)


class TopicNames(BaseModel):
    """Topic names; the defaults come from the contracts' topic map."""

    requests: str = Field(
        default=contract_topics.REQUESTS.name, description="input: content from upstream"
    )
    review: str = Field(
        default=contract_topics.SONNET_REVIEW.name, description="triage -> Sonnet review"
    )
    human_review: str = Field(
        default=contract_topics.HUMAN_REVIEW.name, description="tasks for human reviewers"
    )
    decisions: str = Field(
        default=contract_topics.DECISIONS.name, description="output: decisions for upstream"
    )
    human_decisions: str = Field(
        default=contract_topics.HUMAN_DECISIONS.name, description="input: reviewers' decisions"
    )
    deadletter: str = Field(
        default=contract_topics.DEAD_LETTERS.name, description="output: what could not be processed"
    )
    shadow: str = Field(
        default=contract_topics.SHADOW.name, description="output: shadow-mode comparisons"
    )
    finalize_events: str = Field(
        default=contract_topics.FINALIZE_EVENTS.name,
        description="internal: tasks and reviewers' decisions re-keyed by the service",
    )
    finalize_state: str = Field(
        default=contract_topics.FINALIZE_STATE.name,
        description="internal, compacted: finalize's per-item state",
    )
    appeals: str = Field(default=contract_topics.APPEALS.name, description="input: users' appeals")
    appeal_tasks: str = Field(
        default=contract_topics.APPEAL_TASKS.name, description="appeals for the appeals queue"
    )
    appeal_decisions: str = Field(
        default=contract_topics.APPEAL_DECISIONS.name,
        description="input: reviewers' decisions on appeals",
    )
    appeal_outcomes: str = Field(
        default=contract_topics.APPEAL_OUTCOMES.name,
        description="output: every appeal's answers for upstream",
    )
    statements: str = Field(
        default=contract_topics.STATEMENTS.name,
        description="output: statements of reasons (DSA) for restricting decisions",
    )
    appeal_events: str = Field(
        default=contract_topics.APPEAL_EVENTS.name,
        description="internal: decisions, appeals and answers re-keyed by the service",
    )
    appeal_state: str = Field(
        default=contract_topics.APPEAL_STATE.name,
        description="internal, compacted: the appeal stage's per-item state",
    )

    def all(self) -> tuple[str, ...]:
        return (
            self.requests,
            self.review,
            self.human_review,
            self.decisions,
            self.human_decisions,
            self.deadletter,
            self.shadow,
            self.finalize_events,
            self.finalize_state,
            self.appeals,
            self.appeal_tasks,
            self.appeal_decisions,
            self.appeal_outcomes,
            self.statements,
            self.appeal_events,
            self.appeal_state,
        )

    def compacted(self) -> tuple[str, ...]:
        """Topics that keep the latest record per key (created with cleanup.policy=compact)."""
        return (self.finalize_state, self.appeal_state)


class PriceOverride(BaseModel):
    """USD per million tokens, for a model the packaged price table does not list."""

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_read: Decimal | None = Field(default=None, ge=0, description="default: input x 0.1")
    batch_discount: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)

    def model_price(self) -> ModelPrice:
        cache_read = self.cache_read if self.cache_read is not None else self.input / 10
        return ModelPrice(
            input=self.input,
            output=self.output,
            cache_write_5m=self.input * Decimal("1.25"),
            cache_write_1h=self.input * 2,
            cache_read=cache_read,
            batch_discount=self.batch_discount,
        )


_MODEL = "model id (priced in service/moderation/pricing/prices.yaml)"
_IN_FLIGHT = "items processed concurrently by this stage in one worker"
_MAX_TOKENS = "output token limit per call (terse structured output)"


class ModelTier(BaseModel):
    """One LLM tier: which model, how much work in flight, how long a call may take."""

    model: str = Field(description=_MODEL)
    price: PriceOverride | None = Field(
        default=None,
        description="for a model the price table lacks: __PRICE__INPUT, __PRICE__OUTPUT (USD/Mtok)",
    )
    max_in_flight: int = Field(default=64, ge=1, le=4096, description=_IN_FLIGHT)
    max_tokens: int = Field(
        default=512, ge=64, description="output token limit per call, extended thinking included"
    )
    timeout_s: float = Field(default=15.0, gt=0, description="per attempt; SDK retries add up")
    max_retries: int = Field(
        default=2, ge=0, le=5, description="retries on 429/5xx/timeouts (the gateway's; SDK's off)"
    )
    thinking_budget: int = Field(
        default=0, ge=0, description="0 = no extended thinking; else >= 1024 and < max_tokens"
    )
    call_budget_s: float = Field(
        default=20.0, gt=0, description="one call with all its retries and waits; < item deadline"
    )
    retry_after_max_s: float = Field(
        default=15.0, ge=0, description="longest retry-after honoured; longer = tier unavailable"
    )
    backoff_base_s: float = Field(
        default=0.5, gt=0, description="first backoff without retry-after"
    )
    backoff_max_s: float = Field(default=8.0, gt=0, description="longest backoff between retries")
    circuit_failure_threshold: int = Field(
        default=5, ge=1, description="consecutive failed calls that open the model's circuit"
    )
    circuit_cool_down_s: float = Field(default=30.0, gt=0, description="open time before a probe")
    rate_limit_adaptive: bool = Field(
        default=True, description="pace calls from the anthropic-ratelimit-* headers"
    )
    rate_limit_max_wait_s: float = Field(
        default=10.0, ge=0, description="longest wait for local rate-limit capacity"
    )


class TriageTier(ModelTier):
    model: str = Field(default="claude-haiku-4-5", description=_MODEL)
    max_in_flight: int = Field(default=128, ge=1, le=4096, description=_IN_FLIGHT)
    max_tokens: int = Field(default=400, ge=64, description=_MAX_TOKENS)


class ReviewTier(ModelTier):
    model: str = Field(default="claude-sonnet-4-6", description=_MODEL)
    max_in_flight: int = Field(default=32, ge=1, le=4096, description=_IN_FLIGHT)
    max_tokens: int = Field(default=800, ge=64, description=_MAX_TOKENS)


class FinalizeTier(BaseModel):
    max_in_flight: int = Field(default=64, ge=1, le=4096, description=_IN_FLIGHT)
    park_max_age_s: float = Field(
        default=86400.0,
        gt=0,
        description="a reviewer's answer that arrived before its task waits this long for it",
    )
    park_max_items: int = Field(
        default=10000,
        ge=1,
        description="parked answers per partition; beyond it the oldest is dead-lettered",
    )


class AppealTier(BaseModel):
    max_in_flight: int = Field(default=64, ge=1, le=4096, description=_IN_FLIGHT)
    decision_deadline_h: float = Field(
        default=72.0, gt=0, description="review deadline of an appeal task (without undue delay)"
    )
    state_grace_days: float = Field(
        default=7.0,
        ge=0,
        description=(
            "an item's appeal state is dropped this long after its appeal window closed"
            " (and after its last event), unless an appeal of it is open"
        ),
    )
    sweep_interval_s: float = Field(
        default=3600.0, ge=1, description="how often the appeal stage looks for state to drop"
    )
    unknown_wait_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "an appeal read before any final decision it could contest (the two come on topics"
            " read independently) waits this long for one before it is answered unknown_item"
        ),
    )


class KafkaSecurity(BaseModel):
    """Passed through to aiokafka/faust; secrets stay masked."""

    security_protocol: str = Field(
        default="PLAINTEXT",
        pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$",
        description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
    )
    sasl_mechanism: str | None = Field(
        default=None,
        pattern="^(PLAIN|SCRAM-SHA-256|SCRAM-SHA-512)$",
        description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL protocols)",
    )
    sasl_username: str | None = Field(default=None, description="SASL user")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (secret)")
    ssl_cafile: Path | None = Field(
        default=None, description="CA bundle for TLS (default: the system's)"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MODERATION_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    app_id: str = Field(
        default="moderation",
        pattern=r"^[a-z][a-z0-9-]{0,48}$",
        description="prefix of the consumer group (<app_id>-<stages>) and internal topics",
    )
    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "MODERATION_BOOTSTRAP_SERVERS"),
        description="Kafka brokers, host:port[,host:port]",
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY"),
        description="API key (secret; never logged)",
    )
    anthropic_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_BASE_URL"),
        description="API base URL; set it to the simulator's URL for local runs",
    )
    http_transport: HttpTransport = Field(
        default=HttpTransport.AIOHTTP,
        description=(
            "HTTP transport of the worker's Anthropic client: aiohttp (the SDK's"
            " DefaultAioHttpClient; about a third less CPU per call at a window of 256) or httpx"
            " (the SDK's default)"
        ),
    )
    stages: Annotated[tuple[Stage, ...], NoDecode] = Field(
        default=ALL_STAGES, description="comma-separated: triage,review,finalize,appeal"
    )
    topics: TopicNames = TopicNames()
    topic_partitions: int = Field(
        default=4, ge=1, le=1024, description="partitions of topics the worker creates"
    )
    topic_replication: int = Field(
        default=1, ge=1, le=7, description="replication factor of topics the worker creates"
    )
    topic_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        le=7,
        description="min.insync.replicas of topics the worker creates; <= topic_replication",
    )
    triage: TriageTier = TriageTier()
    review: ReviewTier = ReviewTier()
    finalize: FinalizeTier = FinalizeTier()
    appeal: AppealTier = AppealTier()
    policy_file: Path | None = Field(
        default=None, description="YAML policy overrides and per-tenant policies"
    )
    policy_reload_interval_s: float = Field(
        default=5.0,
        ge=0,
        description="how often the policy file is checked for changes (0 = only on SIGHUP)",
    )
    kafka: KafkaSecurity = KafkaSecurity()
    content_hash_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of content hashes on spans (secret; unset: random per process)",
    )
    web_port: int = Field(
        default=6066, ge=0, le=65535, description="/livez, /readyz, /metrics (0 = off)"
    )
    web_host: str = Field(
        default="0.0.0.0",  # noqa: S104 - probes and scrapes come from outside the pod
        description="address the health and metrics server binds",
    )
    data_dir: Path = Field(
        default=Path(".run/worker-data"), description="faust's writable state folder"
    )
    log_level: str = Field(
        default="info", pattern="^(debug|info|warn|error|crit)$", description="log level"
    )
    shutdown_timeout_s: float = Field(
        default=30.0, gt=0, description="SIGTERM drains in-flight items for this long"
    )
    item_deadline_s: float = Field(
        default=50.0,
        gt=0,
        description="hard bound on one item's processing; under rebalance timeout",
    )
    human_review_deadline_h: float = Field(
        default=24.0, gt=0, description="deadline of re-queued (escalated) human tasks"
    )
    session_timeout_s: float = Field(
        default=30.0, ge=6, description="how long the group waits for a silent worker"
    )
    revoke_timeout_s: float = Field(
        default=20.0,
        gt=0,
        description="on a rebalance, in-flight work may finish for this long, then is abandoned",
    )
    commit_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="how often finished offsets are committed"
    )
    fetch_linger_ms: int = Field(
        default=25,
        ge=0,
        le=1000,
        description=(
            "the broker may hold a fetch this long to gather records (Kafka's fetch.max.wait.ms,"
            " with fetch.min.bytes 1 MiB): fewer, fuller fetches at moderate rates (a third off"
            " CPU per item at 60/s) for at most this much latency per hop, but an idle worker"
            " fetches 1000/this times a second; 0 answers as soon as one record is there (for"
            " the lowest latency, at a fetch per record)"
        ),
    )
    send_timeout_s: float = Field(
        default=30.0,
        ge=5,
        le=300,
        description="a produce the broker has not answered by then fails and is sent again",
    )
    rebalance_timeout_s: float = Field(
        default=90.0, gt=0, description="must exceed item_deadline_s so in-flight work can finish"
    )
    # The speed, cost and rollout levers (moderation/levers.py).
    verdict_cache: VerdictCacheSettings = VerdictCacheSettings()
    batch: BatchSettings = BatchSettings()
    shadow: ShadowSettings = ShadowSettings()
    canary: CanarySettings = CanarySettings()

    @field_validator("stages", mode="before")
    @classmethod
    def _split_stages(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("stages")
    @classmethod
    def _canonical_order(cls, value: tuple[Stage, ...]) -> tuple[Stage, ...]:
        if not value:
            raise ValueError("at least one stage is needed")
        return tuple(stage for stage in ALL_STAGES if stage in value)

    @model_validator(mode="after")
    def _calls_fit_the_deadline(self) -> Settings:
        # classify() may call twice (one retry on invalid output); both must fit the deadline.
        for name, tier in (("triage", self.triage), ("review", self.review)):
            if 2 * tier.call_budget_s >= self.item_deadline_s:
                raise ValueError(
                    f"{name}.call_budget_s ({tier.call_budget_s}s) x2 must stay under "
                    f"item_deadline_s ({self.item_deadline_s}s)"
                )
        return self

    @model_validator(mode="after")
    def _insync_fits_replication(self) -> Settings:
        if self.topic_min_insync_replicas > self.topic_replication:
            raise ValueError(
                f"MODERATION_TOPIC_MIN_INSYNC_REPLICAS={self.topic_min_insync_replicas} exceeds "
                f"MODERATION_TOPIC_REPLICATION={self.topic_replication}: acks=all writes would fail"
            )
        return self

    @model_validator(mode="after")
    def _models_are_usable(self) -> Settings:
        """Every tier's model is priced and its thinking budget is one the API accepts."""
        table = PriceTable.default()
        for name, tier in (("triage", self.triage), ("review", self.review)):
            env = f"MODERATION_{name.upper()}__"
            if tier.price is None:
                try:
                    table.resolve(tier.model)
                except UnknownModelError:
                    raise ValueError(
                        f"{env}MODEL={tier.model!r} has no price in the price table "
                        f"(priced: {', '.join(table.models)}); set {env}PRICE__INPUT and "
                        f"{env}PRICE__OUTPUT (USD per million tokens) to use it"
                    ) from None
            budget = tier.thinking_budget
            if budget and budget < MIN_THINKING_BUDGET:
                raise ValueError(
                    f"{env}THINKING_BUDGET={budget} is below the API's minimum of "
                    f"{MIN_THINKING_BUDGET} (0 turns extended thinking off)"
                )
            if budget and budget >= tier.max_tokens:
                raise ValueError(
                    f"{env}THINKING_BUDGET={budget} must be below {env}MAX_TOKENS="
                    f"{tier.max_tokens} (the budget is part of max_tokens)"
                )
        return self

    def price_table(self) -> PriceTable:
        """The packaged price table plus the prices configured for unlisted models."""
        extra = {
            tier.model: tier.price.model_price()
            for tier in (self.triage, self.review)
            if tier.price is not None
        }
        return PriceTable.default().with_models(extra) if extra else PriceTable.default()

    @model_validator(mode="after")
    def _revoke_fits_the_rebalance(self) -> Settings:
        if self.revoke_timeout_s >= self.rebalance_timeout_s / 2:
            raise ValueError(
                f"revoke_timeout_s ({self.revoke_timeout_s}s) must stay under half of "
                f"rebalance_timeout_s ({self.rebalance_timeout_s}s)"
            )
        return self

    @property
    def group_id(self) -> str:
        """One consumer group per stage set: workers running the same stages share the load."""
        return "-".join([self.app_id, *self.stages])

    def masked(self) -> dict[str, Any]:
        """The effective settings for the start-up log; secrets print as '**********'."""
        dumped: dict[str, Any] = self.model_dump(mode="json")
        return dumped


def settings_problems(error: ValidationError) -> list[str]:
    """One line per problem, naming the setting; never the input (it may hold secrets)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return lines


OTHER_VARIABLES = frozenset({"MODERATION_HOME", "MODERATION_TRACE_FILE"})
"""``MODERATION_*`` variables read outside :class:`Settings`: the local tools' cache folder and
the trace file of the ``file`` exporter (telemetry)."""

OTHER_PREFIXES = ("MODERATION_CONSOLE_",)
"""Prefixes of other processes' settings roots (the review console's)."""


def known_variables(model: type[BaseModel] = Settings, prefix: str = "MODERATION_") -> set[str]:
    """Every ``MODERATION_*`` variable ``model`` reads (nested groups with ``__``)."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= known_variables(annotation, f"{prefix}{name.upper()}__")
            continue
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else ()
        names |= {choice for choice in choices if isinstance(choice, str)}
        names.add(f"{prefix}{name.upper()}")
    return names


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``MODERATION_*`` variables in ``environ`` that nothing reads (a typo or a stale name)."""
    known = known_variables() | OTHER_VARIABLES
    return sorted(
        name
        for name in environ
        if name.startswith("MODERATION_")
        and name not in known
        and not name.startswith(OTHER_PREFIXES)
    )
