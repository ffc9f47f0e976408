"""W3C trace context in Kafka headers, and the CONSUMER / PRODUCER spans of each hop.

Faust's own tracing sees nothing with manual acks, so every agent calls these directly:
``consume_span`` around the handling of one record (continuing the upstream trace from its
headers), ``produce_span`` around each send, whose headers carry the trace downstream.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeAlias

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from moderation.telemetry import attributes as attr
from moderation.telemetry.spans import current_span, mark_error

HeaderValue: TypeAlias = bytes | str
Headers: TypeAlias = Sequence[tuple[str, HeaderValue]] | Mapping[str, HeaderValue]
TRACE_HEADERS: frozenset[str] = frozenset({"traceparent", "tracestate"})

_PROPAGATOR = TraceContextTextMapPropagator()


def _decode(value: HeaderValue) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def _carrier(headers: Headers | None) -> dict[str, str]:
    """Lower-cased header names to text; the first occurrence of a name wins."""
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    carrier: dict[str, str] = {}
    for name, value in items:
        if value is not None:
            carrier.setdefault(name.lower(), _decode(value))
    return carrier


def extract_context(headers: Headers | None) -> Context:
    """The upstream trace context from Kafka headers; an empty context starts a new trace."""
    return _PROPAGATOR.extract(carrier=_carrier(headers), context=Context())


def inject_headers(context: Context | None = None) -> list[tuple[str, bytes]]:
    """``traceparent`` (and ``tracestate``) headers for ``context`` (default: the current one)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return [(name, value.encode("ascii")) for name, value in carrier.items()]


def with_trace_headers(
    headers: Headers | None, trace_headers: Sequence[tuple[str, bytes]]
) -> list[tuple[str, bytes]]:
    """``headers`` with any old trace headers replaced by ``trace_headers`` (for forwarding)."""
    items = (headers.items() if isinstance(headers, Mapping) else headers) if headers else []
    kept = [
        (name, value.encode("utf-8") if isinstance(value, str) else value)
        for name, value in items
        if name.lower() not in TRACE_HEADERS
    ]
    return [*kept, *trace_headers]


def _key_text(key: bytes | str | None) -> str | None:
    if key is None:
        return None
    return key if isinstance(key, str) else key.decode("utf-8", errors="replace")


@contextmanager
def consume_span(
    tracer: Tracer,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | str | None,
    group: str | None,
    headers: Headers | None,
    *,
    content_id: str | None = None,
    tenant_id: str | None = None,
    stage: str | None = None,
    route: str | None = None,
    content_hash: str | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[Span]:
    """CONSUMER span ``process <topic>``, child of the trace in ``headers``, made current.

    An exception escaping the block marks the span failed (type only) and propagates.
    """
    span_attributes: dict[str, AttributeValue] = {
        attr.MESSAGING_SYSTEM: attr.KAFKA,
        attr.MESSAGING_OPERATION_TYPE: "process",
        attr.MESSAGING_OPERATION_NAME: "process",
        attr.MESSAGING_DESTINATION: topic,
        attr.MESSAGING_PARTITION: str(partition),
        attr.KAFKA_OFFSET: offset,
    }
    if (key_text := _key_text(key)) is not None:
        span_attributes[attr.KAFKA_KEY] = key_text
    if group is not None:
        span_attributes[attr.MESSAGING_CONSUMER_GROUP] = group
    span_attributes.update(
        attr.moderation_attributes(
            content_id=content_id,
            tenant_id=tenant_id,
            stage=stage,
            route=route,
            content_hash=content_hash,
            extra=attributes,
        )
    )
    with current_span(
        tracer, f"process {topic}", SpanKind.CONSUMER, extract_context(headers), span_attributes
    ) as span:
        yield span


@dataclass
class ProducedMessage:
    """Handle of a ``send <topic>`` span: headers to send, and delivery to record."""

    span: Span
    headers: list[tuple[str, bytes]] = field(default_factory=list)

    def delivered(self, partition: int, offset: int) -> None:
        """Record where the broker stored the message (call after the send future resolved)."""
        self.span.set_attribute(attr.MESSAGING_PARTITION, str(partition))
        self.span.set_attribute(attr.KAFKA_OFFSET, offset)

    def failed(self, exc: BaseException | str) -> None:
        """Mark the send failed (error type only)."""
        mark_error(self.span, exc)


@contextmanager
def produce_span(
    tracer: Tracer,
    topic: str,
    key: bytes | str | None,
    *,
    context: Context | None = None,
    content_id: str | None = None,
    tenant_id: str | None = None,
    stage: str | None = None,
    route: str | None = None,
    content_hash: str | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[ProducedMessage]:
    """PRODUCER span ``send <topic>`` (child of ``context`` or the current span).

    Yields a ``ProducedMessage`` whose ``headers`` carry this span's ``traceparent``: send them
    with the record, await the broker's acknowledgement inside the block, then call
    ``delivered(partition, offset)``.
    """
    span_attributes: dict[str, AttributeValue] = {
        attr.MESSAGING_SYSTEM: attr.KAFKA,
        attr.MESSAGING_OPERATION_TYPE: "send",
        attr.MESSAGING_OPERATION_NAME: "send",
        attr.MESSAGING_DESTINATION: topic,
    }
    if (key_text := _key_text(key)) is not None:
        span_attributes[attr.KAFKA_KEY] = key_text
    span_attributes.update(
        attr.moderation_attributes(
            content_id=content_id,
            tenant_id=tenant_id,
            stage=stage,
            route=route,
            content_hash=content_hash,
            extra=attributes,
        )
    )
    parent = context if context is not None else otel_context.get_current()
    with current_span(tracer, f"send {topic}", SpanKind.PRODUCER, parent, span_attributes) as span:
        yield ProducedMessage(span=span, headers=inject_headers())
