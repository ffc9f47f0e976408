"""A tracer for a process that exports no spans: trace context flows through, nothing is recorded.

The SDK's tracer builds, times and hands every span to its processors even when none is
configured; at one consume, one or two calls and one send per hop that is a measurable share of
a worker's CPU. With no exporter there is no one to read those spans, so the worker uses this
tracer instead. It still propagates W3C trace context downstream: a span under a valid parent
*is* the parent's context (the hop is transparent, so a downstream service's spans attach to
the upstream producer's span), and a span with no parent starts a trace with fresh ids, sampled,
as the SDK's default sampler would, so records still carry a ``trace_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from opentelemetry.util import types

_IDS = RandomIdGenerator()
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)


class PassThroughTracer(trace.NoOpTracer):
    """Non-recording spans that carry the parent's context, or a new trace's when there is none."""

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        parent = trace.get_current_span(context).get_span_context()
        if parent.is_valid:
            return NonRecordingSpan(parent)
        root = SpanContext(
            _IDS.generate_trace_id(), _IDS.generate_span_id(), is_remote=False, trace_flags=_SAMPLED
        )
        return NonRecordingSpan(root)
