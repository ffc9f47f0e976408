"""Span plumbing shared by the Kafka and LLM helpers: privacy-safe error marking."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from moderation.telemetry import attributes as attr


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
    """A current span that records only the exception *type* on failure (privacy)."""
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
            mark_error(span, exc)
            raise
