"""The report as markdown (for people) and JSON (for tools). Pure: strings in, strings out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from moderation.evaluation.metrics import Confusion
from moderation.evaluation.summary import Comparison, ConfigFigures

SIMULATED_BANNER = (
    "> **Simulated API.** These answers came from the project's simulated Anthropic API, not a "
    "model: the scores below describe the simulator's word lists, not Claude. Run against the "
    "real API (ANTHROPIC_API_KEY, no ANTHROPIC_BASE_URL) to measure a model."
)


@dataclass(frozen=True)
class ReportInput:
    dataset: str
    items: int
    simulated: bool
    configs: list[ConfigFigures]
    comparison: Comparison | None = None
    incomplete: str = ""  # why some items have no answer (e.g. --max-cost)
    notes: list[str] = field(default_factory=list)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:.4f}"


def _counts(c: Confusion) -> dict[str, Any]:
    return {
        "tp": c.tp,
        "fp": c.fp,
        "fn": c.fn,
        "tn": c.tn,
        "precision": c.precision,
        "recall": c.recall,
        "f1": c.f1,
        "fpr": c.fpr,
    }


def _config_json(f: ConfigFigures) -> dict[str, Any]:
    return {
        "config_id": f.config_id,
        "models": f.models,
        "items": f.items,
        "overall": _counts(f.overall),
        "micro": {**_counts(f.micro), "pr_auc": f.micro_pr_auc},
        "categories": {
            c.category: {**_counts(c.counts), "unknown": c.unknown, "pr_auc": c.pr_auc}
            for c in f.categories
        },
        "escalation": {"to_review": f.to_review, "to_human": f.to_human},
        "refused": f.refused,
        "invalid": f.invalid,
        "unavailable": f.unavailable,
        "cost_per_1000_usd": f.cost_per_1000_usd,
        "latency_ms": {"p50": f.latency_p50_ms, "p95": f.latency_p95_ms},
        "threshold_sweep": [{"threshold": p.threshold, **_counts(p.counts)} for p in f.sweep],
        "by_kind": {
            kind: {"items": k.items, "flagged": k.flagged, **_counts(k.counts)}
            for kind, k in f.kinds.items()
        },
    }


def to_json(report: ReportInput) -> str:
    comparison = report.comparison
    data: dict[str, Any] = {
        "dataset": report.dataset,
        "items": report.items,
        "simulated_api": report.simulated,
        "incomplete": report.incomplete or None,
        "configs": [_config_json(f) for f in report.configs],
        "comparison": None,
    }
    if comparison is not None:
        data["comparison"] = {
            "first": comparison.first,
            "second": comparison.second,
            "items": comparison.items,
            "kappa_flagged": comparison.kappa,
            "kappa_by_category": comparison.category_kappa,
            "differences": [
                {
                    "name": d.name,
                    "first": d.first,
                    "second": d.second,
                    "delta": d.delta.estimate,
                    "ci95": [d.delta.low, d.delta.high],
                }
                for d in comparison.differences
            ],
        }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def to_markdown(report: ReportInput, chart: str | None = None) -> str:
    out: list[str] = []
    if report.simulated:
        out += [SIMULATED_BANNER, ""]
    names = " vs ".join(f"`{f.config_id}`" for f in report.configs)
    out += [f"# Evaluation: {names}", "", f"Dataset `{report.dataset}`, {report.items} items."]
    if report.incomplete:
        out += ["", f"**Incomplete:** {report.incomplete}"]
    out += [""]
    configs = report.configs
    ids = [f"`{f.config_id}`" for f in configs]
    out += ["## Overview", ""]
    rows = [
        ["models", *(", ".join(f.models) or "-" for f in configs)],
        ["items answered", *(str(f.items) for f in configs)],
        ["flagged: precision", *(_num(f.overall.precision) for f in configs)],
        ["flagged: recall", *(_num(f.overall.recall) for f in configs)],
        ["flagged: F1", *(_num(f.overall.f1) for f in configs)],
        ["flagged: false-positive rate", *(_pct(f.overall.fpr) for f in configs)],
        ["all categories (micro): F1", *(_num(f.micro.f1) for f in configs)],
        ["all categories (micro): PR-AUC", *(_num(f.micro_pr_auc) for f in configs)],
        ["sent on to the review tier", *(_pct(f.to_review) for f in configs)],
        ["escalated to humans", *(_pct(f.to_human) for f in configs)],
        ["refusals", *(str(f.refused) for f in configs)],
        ["invalid outputs (after one retry)", *(str(f.invalid) for f in configs)],
        ["tier unavailable", *(str(f.unavailable) for f in configs)],
        ["cost per 1,000 items", *(_usd(f.cost_per_1000_usd) for f in configs)],
        ["latency p50 (ms)", *(_num(f.latency_p50_ms, 0) for f in configs)],
        ["latency p95 (ms)", *(_num(f.latency_p95_ms, 0) for f in configs)],
    ]
    out += _table(["", *ids], rows)
    for f in configs:
        out += ["", f"## Per category: `{f.config_id}`", ""]
        out += [
            "Operating threshold: the policy's flag rule on the final verdict. PR-AUC ranks items "
            "by the verdict's confidence. Unknown labels are left out per category.",
            "",
        ]
        rows = [
            [
                c.category,
                str(c.counts.positives),
                str(c.counts.total - c.counts.positives),
                str(c.unknown),
                _num(c.counts.precision),
                _num(c.counts.recall),
                _num(c.counts.f1),
                _pct(c.counts.fpr),
                _num(c.pr_auc),
            ]
            for c in f.categories
        ]
        header = ["category", "pos", "neg", "unknown", "precision", "recall", "F1", "FPR", "PR-AUC"]
        out += _table(header, rows)
        out += ["", "Flagged rate by kind of item:", ""]
        rows = [
            [kind, str(k.items), _pct(k.flagged_rate), _num(k.counts.f1)]
            for kind, k in f.kinds.items()
        ]
        out += _table(["kind", "items", "flagged", "F1"], rows)
    comparison = report.comparison
    if comparison is not None:
        out += [
            "",
            f"## `{comparison.second}` minus `{comparison.first}`",
            "",
            f"{comparison.items} items answered by both. Cohen's kappa (flagged vs not): "
            f"{_num(comparison.kappa)}. Intervals: paired bootstrap over items, 95%.",
            "",
        ]
        rows = [
            [
                d.name,
                _num(d.first, 4),
                _num(d.second, 4),
                _num(d.delta.estimate, 4),
                f"[{_num(d.delta.low, 4)}, {_num(d.delta.high, 4)}]",
            ]
            for d in comparison.differences
        ]
        out += _table(["figure", comparison.first, comparison.second, "difference", "95% CI"], rows)
    if chart:
        out += ["", f"![threshold sweep and per-category F1]({chart})"]
    for note in report.notes:
        out += ["", note]
    return "\n".join(out) + "\n"
