"""What ``moderation shadow report`` says about the shadow topic. Pure: records in, text out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from moderation.evaluation.metrics import cohen_kappa, quantile
from moderation_contracts import ShadowComparison


@dataclass
class PairSummary:
    """Every comparison of one candidate against production in one stage."""

    stage: str
    production: str
    candidate: str
    items: int = 0
    agree: int = 0
    same_route: int = 0
    production_flagged: list[bool] = field(default_factory=list)
    candidate_flagged: list[bool] = field(default_factory=list)
    candidate_flags: Counter[str] = field(default_factory=Counter)  # candidate flags, prod not
    candidate_clears: Counter[str] = field(default_factory=Counter)  # production flags, cand not
    production_cost_usd: float = 0.0
    candidate_cost_usd: float = 0.0
    production_latency_ms: list[float] = field(default_factory=list)
    candidate_latency_ms: list[float] = field(default_factory=list)
    candidate_failures: int = 0  # refused, invalid or unavailable

    @property
    def agreement(self) -> float | None:
        return self.agree / self.items if self.items else None

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.production_flagged, self.candidate_flagged)

    @property
    def cost_delta_per_1000_usd(self) -> float | None:
        if not self.items:
            return None
        return 1000 * (self.candidate_cost_usd - self.production_cost_usd) / self.items

    def add(self, record: ShadowComparison) -> None:
        self.items += 1
        self.agree += record.agree
        self.same_route += record.production.route == record.candidate.route
        self.production_flagged.append(record.production.flagged)
        self.candidate_flagged.append(record.candidate.flagged)
        theirs = set(record.candidate.flagged_categories)
        for category in record.flips:
            (self.candidate_flags if category in theirs else self.candidate_clears)[category] += 1
        self.production_cost_usd += record.production.cost_usd
        self.candidate_cost_usd += record.candidate.cost_usd
        self.production_latency_ms.append(record.production.latency_ms)
        self.candidate_latency_ms.append(record.candidate.latency_ms)
        self.candidate_failures += record.candidate.outcome != "judged"


def summarise(records: Iterable[ShadowComparison]) -> list[PairSummary]:
    pairs: dict[tuple[str, str, str], PairSummary] = {}
    for record in records:
        key = (record.stage.value, record.production.config_id, record.candidate.config_id)
        if key not in pairs:
            pairs[key] = PairSummary(*key)
        pairs[key].add(record)
    return [pairs[key] for key in sorted(pairs)]


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def table(summaries: list[PairSummary]) -> str:
    if not summaries:
        return "no shadow comparisons on the topic"
    out = []
    for s in summaries:
        out += [
            f"{s.stage}: {s.candidate} (candidate) vs {s.production} (production)",
            f"  items compared           {s.items}",
            f"  agreement (flagged)      {_fmt(s.agreement, '{:.1%}')}",
            f"  Cohen's kappa            {_fmt(s.kappa, '{:.3f}')}",
            f"  same route               {s.same_route / s.items:.1%}",
            f"  candidate not judged     {s.candidate_failures} (refused/invalid/unavailable)",
            f"  cost delta per 1,000     {_fmt(s.cost_delta_per_1000_usd, '${:+.4f}')} "
            f"(production ${s.production_cost_usd:.4f}, candidate ${s.candidate_cost_usd:.4f})",
            f"  latency p50 ms           production "
            f"{_fmt(quantile(s.production_latency_ms, 0.5), '{:.0f}')}, candidate "
            f"{_fmt(quantile(s.candidate_latency_ms, 0.5), '{:.0f}')}",
            "  flips by category        candidate flags / candidate clears",
        ]
        categories = sorted(set(s.candidate_flags) | set(s.candidate_clears))
        out += [
            f"    {c:<26} {s.candidate_flags[c]:>5} / {s.candidate_clears[c]:<5}"
            for c in categories
        ] or ["    (none)"]
    return "\n".join(out)


def draw(summaries: list[PairSummary], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, max(1, len(summaries)), figsize=(7 * max(1, len(summaries)), 5))
    for axis, s in zip(figure.axes, summaries, strict=False):
        categories = sorted(set(s.candidate_flags) | set(s.candidate_clears))
        positions = range(len(categories))
        axis.bar(positions, [s.candidate_flags[c] for c in categories], label="candidate flags")
        axis.bar(
            positions,
            [-s.candidate_clears[c] for c in categories],
            label="candidate clears",
        )
        axis.set_xticks(list(positions))
        axis.set_xticklabels(categories, rotation=60, ha="right", fontsize=8)
        axis.axhline(0, color="black", linewidth=0.5)
        axis.set_ylabel("items")
        axis.set_title(
            f"{s.stage}: {s.candidate} vs {s.production}\n"
            f"agreement {_fmt(s.agreement, '{:.1%}')}, kappa {_fmt(s.kappa, '{:.3f}')}, "
            f"cost delta/1k {_fmt(s.cost_delta_per_1000_usd, '${:+.4f}')}",
            fontsize=9,
        )
        axis.legend(fontsize=8)
    del axes
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
