"""Service metrics through the OpenTelemetry metrics API, and the Prometheus text page.

``Metrics`` holds every instrument and offers small typed record methods, so call sites never
spell an instrument or attribute name. Content never becomes a label.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest

from moderation.pricing import Cost, TokenUsage
from moderation.telemetry import attributes as attr

# Advisory buckets from the GenAI semantic conventions (seconds).
LATENCY_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """Consumer lag of one partition: log-end offset minus committed offset."""

    topic: str
    partition: int
    group: str
    lag: int


LagSource = Callable[[], Iterable[PartitionLag]]


@dataclass(frozen=True, slots=True)
class MetricsPage:
    """A rendered Prometheus scrape: body and the full ``Content-Type`` header value."""

    body: bytes
    content_type: str


def render_prometheus(registry: CollectorRegistry) -> MetricsPage:
    """Collect ``registry`` now and render it in the Prometheus text format."""
    return MetricsPage(body=generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)


class RunningTotals:
    """Running totals per label set, reported when the metrics are collected.

    Recording is a dictionary update under a lock; the OpenTelemetry SDK only sees the totals
    on each collection (an observable counter), instead of building, cleaning and aggregating
    a measurement for every event on the worker's event loop.
    """

    def __init__(self, labels: tuple[str, ...]) -> None:
        self._labels = labels
        self._totals: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def add(self, key: tuple[str, ...], amount: float) -> None:
        with self._lock:
            self._totals[key] = self._totals.get(key, 0) + amount

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            totals = list(self._totals.items())
        return [
            Observation(value, dict(zip(self._labels, key, strict=True))) for key, value in totals
        ]


_LLM_LABELS: Final = (attr.GENAI_REQUEST_MODEL, attr.STAGE)


class Metrics:
    """The service's instruments.

    Names (OTel -> Prometheus): ``moderation.items`` (items_total by stage/route/status),
    ``gen_ai.client.operation.duration`` (seconds), ``moderation.llm.tokens`` (by model/type),
    ``moderation.llm.cost.usd`` (by tenant/model/stage), ``moderation.llm.in_flight``,
    ``moderation.errors`` (by error.type/stage), ``moderation.consumer.lag`` (gauge),
    ``moderation.configuration.failures`` (by stage/status), ``moderation.policy.reloads``,
    ``moderation.llm.prompt_cache.calls`` (hit/miss) and ``..hit_ratio`` (gauge),
    ``moderation.llm.refusals`` (by model/stage/category), ``moderation.verdict_cache.entries``.
    ``moderation.items`` also carries the tenant.
    Per-event counters are running totals reported on collection (see ``RunningTotals``).
    """

    def __init__(self, meter: Meter) -> None:
        self._items = RunningTotals((attr.STAGE, attr.ROUTE, "moderation.status", attr.TENANT_ID))
        meter.create_observable_counter(
            "moderation.items",
            callbacks=[self._items.observe],
            unit="{item}",
            description="Items handled, by stage/route/status.",
        )
        self._latency = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="Duration of LLM calls.",
            explicit_bucket_boundaries_advisory=list(LATENCY_BUCKETS),
        )
        self._tokens = RunningTotals((*_LLM_LABELS, attr.GENAI_TOKEN_TYPE))
        meter.create_observable_counter(
            "moderation.llm.tokens",
            callbacks=[self._tokens.observe],
            unit="{token}",
            description="LLM tokens by model and type.",
        )
        self._cost = RunningTotals((attr.TENANT_ID, *_LLM_LABELS))
        meter.create_observable_counter(
            "moderation.llm.cost.usd",
            callbacks=[self._cost.observe],
            unit="{USD}",
            description="LLM cost by tenant, model and stage.",
        )
        self._in_flight = RunningTotals(_LLM_LABELS)
        meter.create_observable_up_down_counter(
            "moderation.llm.in_flight",
            callbacks=[self._in_flight.observe],
            unit="{call}",
            description="LLM calls in flight.",
        )
        self._errors = RunningTotals((attr.ERROR_TYPE, attr.STAGE))
        meter.create_observable_counter(
            "moderation.errors",
            callbacks=[self._errors.observe],
            unit="{error}",
            description="Errors by type and stage.",
        )
        self._config_failures = meter.create_counter(
            "moderation.configuration.failures",
            unit="{failure}",
            description="API answers that reject the deployment (401/402/403), by stage/status.",
        )
        self._policy_reloads = meter.create_counter(
            "moderation.policy.reloads",
            unit="{reload}",
            description="Policy file reloads by result (ok, invalid: the old policy was kept).",
        )
        self._prompt_cache = RunningTotals((*_LLM_LABELS, "moderation.result"))
        meter.create_observable_counter(
            "moderation.llm.prompt_cache.calls",
            callbacks=[self._prompt_cache.observe],
            unit="{call}",
            description="LLM calls by prompt-cache result (hit: the cached prefix was read).",
        )
        self._prompt_cache_counts: dict[tuple[str, str], list[int]] = {}
        meter.create_observable_gauge(
            "moderation.llm.prompt_cache.hit_ratio",
            callbacks=[self._observe_prompt_cache],
            unit="1",
            description="Share of LLM calls since start that read the cached prompt prefix.",
        )
        self._refusals = meter.create_counter(
            "moderation.llm.refusals",
            unit="{refusal}",
            description="Model refusals (stop_reason refusal) by model, stage and category.",
        )
        self._lag_sources: list[LagSource] = []
        self._size_sources: list[tuple[str, Callable[[], int]]] = []
        self._lock = threading.Lock()
        meter.create_observable_gauge(
            "moderation.verdict_cache.entries",
            callbacks=[self._observe_cache_size],
            unit="{entry}",
            description="Verdicts held by this worker's verdict cache.",
        )
        meter.create_observable_gauge(
            "moderation.consumer.lag",
            callbacks=[self._observe_lag],
            unit="{message}",
            description="Consumer lag per partition.",
        )

    def item(self, stage: str, route: str, status: str, tenant_id: str | None = None) -> None:
        """One item of ``tenant_id`` left ``stage`` by ``route`` with decision ``status``."""
        self._items.add((stage, route, status, tenant_id or ""), 1)

    def prompt_cache(self, model: str, stage: str, hit: bool) -> None:
        """One call that read the cached prompt prefix (hit) or did not (miss)."""
        self._prompt_cache.add((model, stage, "hit" if hit else "miss"), 1)
        with self._lock:
            counts = self._prompt_cache_counts.setdefault((model, stage), [0, 0])
            counts[0] += int(hit)
            counts[1] += 1

    def refusal(self, model: str, stage: str, category: str | None) -> None:
        """The model refused; ``category`` from the API's stop details (a fixed vocabulary)."""
        labels = {**_llm_labels(model, stage), "moderation.refusal_category": category or "none"}
        self._refusals.add(1, labels)

    def _observe_prompt_cache(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            counts = {key: list(value) for key, value in self._prompt_cache_counts.items()}
        for (model, stage), (hits, calls) in counts.items():
            yield Observation(hits / calls if calls else 0.0, _llm_labels(model, stage))

    def llm_started(self, model: str, stage: str) -> None:
        """An LLM call began (in-flight +1)."""
        self._in_flight.add((model, stage), 1)

    def llm_finished(
        self, model: str, stage: str, seconds: float, error_type: str | None = None
    ) -> None:
        """An LLM call ended after ``seconds`` (in-flight -1, latency, error on failure)."""
        self._in_flight.add((model, stage), -1)
        labels = _llm_labels(model, stage)
        if error_type is not None:
            labels = {**labels, attr.ERROR_TYPE: error_type}
            self.error(error_type, stage)
        self._latency.record(seconds, labels)

    def tokens(self, model: str, stage: str, usage: TokenUsage) -> None:
        """Token counts of one call, by type (input, output, cache_read, cache_write)."""
        by_type = {
            "input": usage.input_tokens,
            "output": usage.output_tokens,
            "cache_read": usage.cache_read_tokens,
            "cache_write": usage.cache_write_tokens,
        }
        for token_type, count in by_type.items():
            if count:
                self._tokens.add((model, stage, token_type), count)

    def cost(self, tenant_id: str, stage: str, cost: Cost) -> None:
        """Cost of one call, attributed to a tenant (model taken from ``cost``)."""
        self._cost.add((tenant_id, cost.model, stage), float(cost.total_usd))

    def error(self, error_type: str, stage: str) -> None:
        """One error of ``error_type`` in ``stage``."""
        self._errors.add((error_type, stage), 1)

    def configuration_failure(self, stage: str, status: int | None) -> None:
        """The API rejected the deployment (credentials, billing, permissions)."""
        labels = {attr.STAGE: stage, "http.response.status_code": str(status or "")}
        self._config_failures.add(1, labels)

    def policy_reload(self, result: str) -> None:
        """The policy file was loaded again: ``ok`` or ``invalid`` (old policy kept)."""
        self._policy_reloads.add(1, {"moderation.result": result})

    def register_lag_source(self, source: LagSource) -> None:
        """Add a callback that reports consumer lag; it runs on every collection."""
        with self._lock:
            self._lag_sources.append(source)

    def register_cache_size(self, tier: str, source: Callable[[], int]) -> None:
        """Report a verdict cache's size (entries) on every collection."""
        with self._lock:
            self._size_sources.append((tier, source))

    def _observe_cache_size(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            sources = list(self._size_sources)
        for tier, source in sources:
            yield Observation(source(), {"moderation.tier": tier})

    def _observe_lag(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            sources = list(self._lag_sources)
        for source in sources:
            for lag in source():
                yield Observation(
                    lag.lag,
                    {
                        attr.MESSAGING_DESTINATION: lag.topic,
                        attr.MESSAGING_PARTITION: str(lag.partition),
                        attr.MESSAGING_CONSUMER_GROUP: lag.group,
                    },
                )


def _llm_labels(model: str, stage: str) -> dict[str, str]:
    return {attr.GENAI_REQUEST_MODEL: model, attr.STAGE: stage}
