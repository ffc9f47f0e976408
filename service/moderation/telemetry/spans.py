"""Span plumbing shared by the Kafka and LLM helpers: privacy-safe error marking."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, set_span_in_context
from opentelemetry.util.types import AttributeValue

from moderation.telemetry import attributes as attr
from moderation.telemetry.passthrough import PassThroughTracer


def mark_error(span: Span, exc: BaseException | str) -> None:
    """Mark a span failed with only the error *type*: messages may quote content."""
    error_type = attr.error_type(exc)
    span.set_attribute(attr.ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, error_type))


@contextmanager
def current_span(
    tracer: Tracer,
    name: str,
    kind: SpanKind,
    parent: Context | None,
    attributes: Mapping[str, AttributeValue],
) -> Iterator[Span]:
    """A current span that records only the exception *type* on failure (privacy).

    An ``error.type`` set inside the block wins over the escaping exception's: the LLM span
    records the API error (``OverloadedError``) before the gateway raises its own wrapper
    (``TierUnavailable``), and the span should name the cause, like the metrics do.
    """
    if isinstance(tracer, PassThroughTracer):
        # Nothing is recorded: make the span current without the SDK's context-manager layers.
        span = tracer.start_span(name, context=parent)
        token = otel_context.attach(set_span_in_context(span))
        try:
            yield span
        finally:
            otel_context.detach(token)
        return
    with tracer.start_as_current_span(
        name,
        context=parent,
        kind=kind,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            if not _has_error_type(span):
                mark_error(span, exc)
            raise


def _has_error_type(span: Span) -> bool:
    # The API's Span has no attribute getter; the SDK's recording span exposes ``attributes``.
    attributes = getattr(span, "attributes", None)
    return isinstance(attributes, Mapping) and attr.ERROR_TYPE in attributes
