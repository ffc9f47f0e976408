"""A terminal waterfall of one item's trace(s), built from the local JSON-lines trace file.

Pure: ``traces_for`` selects and orders spans, ``render`` turns them into text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from moderation.telemetry import attributes as attr
from moderation.telemetry.records import JsonAttribute, SpanRecord

_NAME_WIDTH_MIN, _NAME_WIDTH_MAX = 20, 60
_BAR_ON, _BAR_OFF = "█", "·"


@dataclass(frozen=True, slots=True)
class Hop:
    """A span placed in its trace: ``depth`` is how far below a root it sits."""

    span: SpanRecord
    depth: int

    @property
    def duration_ns(self) -> int:
        return max(0, self.span["end_ns"] - self.span["start_ns"])

    def attribute(self, name: str) -> JsonAttribute:
        return self.span["attributes"].get(name)

    @property
    def is_llm_call(self) -> bool:
        return self.attribute(attr.GENAI_OPERATION) is not None

    @property
    def cost_usd(self) -> Decimal:
        value = self.attribute(attr.GENAI_COST_AMOUNT)
        if value is None:
            value = self.attribute(attr.GENAI_COST)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        return Decimal(0)

    def tokens(self, name: str) -> int:
        value = self.attribute(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True, slots=True)
class TraceView:
    """One trace in display order, with its totals."""

    trace_id: str
    hops: tuple[Hop, ...]

    @property
    def start_ns(self) -> int:
        return min(hop.span["start_ns"] for hop in self.hops)

    @property
    def end_ns(self) -> int:
        return max(hop.span["end_ns"] for hop in self.hops)

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def llm_calls(self) -> tuple[Hop, ...]:
        return tuple(hop for hop in self.hops if hop.is_llm_call)

    @property
    def cost_usd(self) -> Decimal:
        return sum((hop.cost_usd for hop in self.llm_calls), Decimal(0))

    @property
    def input_tokens(self) -> int:
        return sum(hop.tokens(attr.GENAI_INPUT_TOKENS) for hop in self.llm_calls)

    @property
    def output_tokens(self) -> int:
        return sum(hop.tokens(attr.GENAI_OUTPUT_TOKENS) for hop in self.llm_calls)


def traces_for(records: Iterable[SpanRecord], content_id: str) -> list[TraceView]:
    """Every trace with a span whose ``moderation.content_id`` is ``content_id``, oldest first."""
    by_trace: dict[str, dict[str, SpanRecord]] = defaultdict(dict)
    wanted: set[str] = set()
    for record in records:
        by_trace[record["trace_id"]].setdefault(record["span_id"], record)
        if record["attributes"].get(attr.CONTENT_ID) == content_id:
            wanted.add(record["trace_id"])
    views = [TraceView(trace_id, _ordered(by_trace[trace_id])) for trace_id in wanted]
    return sorted(views, key=lambda view: (view.start_ns, view.trace_id))


def _ordered(spans: dict[str, SpanRecord]) -> tuple[Hop, ...]:
    """Depth-first by parentage, siblings by start time; spans whose parent is absent are roots."""
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for span in spans.values():
        parent = span["parent_span_id"]
        children[parent if parent in spans else None].append(span)
    for siblings in children.values():
        siblings.sort(key=lambda span: (span["start_ns"], span["span_id"]))
    hops: list[Hop] = []
    stack = [(span, 0) for span in reversed(children[None])]
    while stack:
        span, depth = stack.pop()
        hops.append(Hop(span, depth))
        stack.extend((child, depth + 1) for child in reversed(children[span["span_id"]]))
    return tuple(hops)


def _ms(duration_ns: int) -> str:
    return f"{duration_ns / 1e6:,.1f} ms"


def _bar(hop: Hop, view: TraceView, width: int) -> str:
    total = view.duration_ns or 1
    offset = round((hop.span["start_ns"] - view.start_ns) * width / total)
    length = max(1, round(hop.duration_ns * width / total))
    offset = min(offset, width - 1)
    length = min(length, width - offset)
    return _BAR_OFF * offset + _BAR_ON * length + _BAR_OFF * (width - offset - length)


def _label(hop: Hop, width: int) -> str:
    label = "  " * hop.depth + hop.span["name"]
    return label if len(label) <= width else label[: width - 1] + "…"


def _details(hop: Hop) -> str:
    parts: list[str] = []
    if hop.span["status"]["code"] == "ERROR":
        parts.append(f"✗ {hop.attribute(attr.ERROR_TYPE) or hop.span['status']['description']}")
    if hop.is_llm_call:
        model = hop.attribute(attr.GENAI_RESPONSE_MODEL) or hop.attribute(attr.GENAI_REQUEST_MODEL)
        parts.append(str(model))
        if hop.attribute(attr.GENAI_INPUT_TOKENS) is not None:
            cached = hop.tokens(attr.GENAI_CACHE_READ_TOKENS)
            parts.append(
                f"{hop.tokens(attr.GENAI_INPUT_TOKENS):,} in"
                + (f" ({cached:,} cached)" if cached else "")
                + f" / {hop.tokens(attr.GENAI_OUTPUT_TOKENS):,} out"
            )
            parts.append(f"${hop.cost_usd:.6f}")
    partition = hop.attribute(attr.MESSAGING_PARTITION)
    offset = hop.attribute(attr.KAFKA_OFFSET)
    if partition is not None and offset is not None:
        parts.append(f"partition {partition} offset {offset}")
    return "  ".join(parts)


def render(views: Iterable[TraceView], content_id: str, *, width: int = 40) -> str:
    """The waterfall text: one block per trace, then the grand total if there are several."""
    width = max(10, width)
    views = list(views)
    lines: list[str] = []
    for view in views:
        name_width = max(len("  " * hop.depth + hop.span["name"]) for hop in view.hops)
        name_width = min(max(name_width, _NAME_WIDTH_MIN), _NAME_WIDTH_MAX)
        lines.append(f"trace {view.trace_id}  content_id={content_id}  {len(view.hops)} spans")
        half = width // 2
        scale = f"{'0':<{half}}{_ms(view.duration_ns):>{width - half}}"
        lines.append(f"{'hop':<{name_width}} |{scale}| {'latency':>12}  details")
        for hop in view.hops:
            lines.append(
                f"{_label(hop, name_width):<{name_width}} |{_bar(hop, view, width)}| "
                f"{_ms(hop.duration_ns):>12}  {_details(hop)}".rstrip()
            )
        lines.append(_total_line("total", [view]))
        lines.append("")
    if len(views) > 1:
        lines.append(_total_line(f"all {len(views)} traces", views))
    return "\n".join(lines).rstrip() + "\n"


def _total_line(label: str, views: list[TraceView]) -> str:
    start = min(view.start_ns for view in views)
    end = max(view.end_ns for view in views)
    calls = sum(len(view.llm_calls) for view in views)
    cost = sum((view.cost_usd for view in views), Decimal(0))
    tokens_in = sum(view.input_tokens for view in views)
    tokens_out = sum(view.output_tokens for view in views)
    return (
        f"{label}: {_ms(end - start)} end to end, {calls} LLM call{'s' if calls != 1 else ''}, "
        f"{tokens_in:,} in / {tokens_out:,} out tokens, ${cost:.6f}"
    )
