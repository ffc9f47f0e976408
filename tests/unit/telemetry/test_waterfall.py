"""Waterfall selection, ordering and text from span records (no files)."""

from __future__ import annotations

from decimal import Decimal

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from moderation.pricing import TokenUsage
from moderation.telemetry import Telemetry
from moderation.telemetry.genai import llm_span
from moderation.telemetry.kafka import consume_span, produce_span
from moderation.telemetry.records import JsonAttribute, SpanRecord, span_record
from moderation.telemetry.waterfall import render, traces_for

MS = 1_000_000
TRACE = "0af7651916cd43dd8448eb211c80319c"


def _span(
    span_id: str,
    parent: str | None,
    name: str,
    start_ms: int,
    end_ms: int,
    trace_id: str = TRACE,
    **attributes: JsonAttribute,
) -> SpanRecord:
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind="INTERNAL",
        start_ns=start_ms * MS,
        end_ns=end_ms * MS,
        attributes={key.replace("__", "."): value for key, value in attributes.items()},
        status={"code": "UNSET", "description": None},
        service="test",
    )


def _fixture() -> list[SpanRecord]:
    return [
        _span(
            "b" * 16,
            "a" * 16,
            "chat claude-haiku-4-5",
            10,
            110,
            gen_ai__operation__name="chat",
            gen_ai__request__model="claude-haiku-4-5",
            gen_ai__usage__input_tokens=5_000,
            gen_ai__usage__output_tokens=100,
            gen_ai__usage__cost__amount=0.0042,
            moderation__content_id="c-1",
        ),
        _span(
            "a" * 16,
            "f" * 16,
            "process requests",
            0,
            120,
            moderation__content_id="c-1",
            messaging__destination__partition__id="0",
            messaging__kafka__offset=5,
        ),
        _span("c" * 16, "a" * 16, "send review", 112, 118),
        _span("d" * 16, "c" * 16, "process review", 130, 400),
        _span(
            "e" * 16,
            "d" * 16,
            "chat claude-sonnet-4-6",
            140,
            390,
            gen_ai__operation__name="chat",
            gen_ai__response__model="claude-sonnet-4-6",
            gen_ai__usage__input_tokens=2_000,
            gen_ai__usage__output_tokens=300,
            gen_ai__usage__cost=0.0105,
        ),
        _span(
            "9" * 16,
            None,
            "process requests",
            0,
            50,
            trace_id="1" * 32,
            moderation__content_id="c-2",
        ),
    ]


def test_selects_the_items_trace_and_orders_by_parentage() -> None:
    (view,) = traces_for(_fixture(), "c-1")
    assert view.trace_id == TRACE
    assert [(hop.span["name"], hop.depth) for hop in view.hops] == [
        ("process requests", 0),  # its parent (upstream producer) is not in the file
        ("chat claude-haiku-4-5", 1),
        ("send review", 1),
        ("process review", 2),
        ("chat claude-sonnet-4-6", 3),
    ]
    assert view.duration_ns == 400 * MS
    assert view.cost_usd == Decimal("0.0147")
    assert (view.input_tokens, view.output_tokens) == (7_000, 400)
    assert traces_for(_fixture(), "c-404") == []


def test_render_shows_bars_latency_model_tokens_cost_and_total() -> None:
    text = render(traces_for(_fixture(), "c-1"), "c-1", width=40)
    lines = text.splitlines()
    assert lines[0].startswith(f"trace {TRACE}")
    process_row = next(line for line in lines if line.startswith("process requests"))
    assert "|" + "█" * 12 + "·" * 28 + "|" in process_row  # 0-120 ms of 400 ms on 40 columns
    assert "120.0 ms" in process_row
    assert "partition 0 offset 5" in process_row
    sonnet_row = next(line for line in lines if "chat claude-sonnet-4-6" in line)
    assert sonnet_row.startswith("      chat")  # depth 3
    assert "|" + "·" * 14 + "█" * 25 + "·" * 1 + "|" in sonnet_row  # 140-390 ms
    assert "250.0 ms" in sonnet_row
    assert "2,000 in / 300 out" in sonnet_row
    assert "$0.010500" in sonnet_row
    assert (
        lines[-1] == "total: 400.0 ms end to end, 2 LLM calls, 7,000 in / 400 out tokens, $0.014700"
    )


def test_several_traces_get_a_grand_total() -> None:
    records = [*_fixture(), _span("8" * 16, None, "process human-decisions", 1_000, 1_100,
                                  trace_id="2" * 32, moderation__content_id="c-1")]  # fmt: skip
    views = traces_for(records, "c-1")
    assert [view.trace_id for view in views] == [TRACE, "2" * 32]
    text = render(views, "c-1")
    assert text.splitlines()[-1].startswith("all 2 traces: 1,100.0 ms end to end, 2 LLM calls")


def test_records_of_real_spans_render(telemetry: Telemetry, spans: InMemorySpanExporter) -> None:
    with consume_span(telemetry.tracer, "requests", 1, 2, b"c-7", "g", None, content_id="c-7"):
        with llm_span(telemetry.tracer, "claude-haiku-4-5", stage="triage") as call:
            call.record_response("claude-haiku-4-5", "m", "end_turn", TokenUsage(1_000_000, 0))
        with produce_span(telemetry.tracer, "decisions", b"c-7") as sent:
            sent.delivered(0, 1)
    records = [span_record(span) for span in spans.get_finished_spans()]
    chat = next(r for r in records if r["kind"] == "CLIENT")
    assert chat["attributes"]["gen_ai.response.finish_reasons"] == ["end_turn"]
    assert chat["status"] == {"code": "UNSET", "description": None}
    (view,) = traces_for(records, "c-7")
    assert [hop.span["name"] for hop in view.hops] == [
        "process requests",
        "chat claude-haiku-4-5",
        "send decisions",
    ]
    assert view.cost_usd == Decimal(1)
    assert "$1.000000" in render([view], "c-7")
