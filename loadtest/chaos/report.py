"""The chaos soak's printed table and verdict (pure: result dicts in, text out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

COLUMNS: tuple[tuple[str, str, int], ...] = (
    # (header, result key, width)
    ("run", "run", 3),
    ("items", "items", 5),
    ("broker", "broker_restarted", 6),
    ("kill@s", "kill_at_s", 6),
    ("ready_s", "worker_ready_after_kill_s", 7),
    ("lost", "lost", 4),
    ("stalled", "stalled", 7),
    ("dup", "duplicates", 4),
    ("no_open_task", "no_open_task", 12),
    ("other_dl", "other_dead_letters", 8),
    ("recovery_s", "recovery_s", 10),
    ("broker_rec_s", "broker_recovery_s", 12),
    ("livez_503", "livez_failures", 9),
    ("wall_s", "wall_s", 6),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def other_dead_letters(result: Mapping[str, Any]) -> int:
    """Dead letters besides no_open_task: the item's own, and other rejected answers."""
    rejected = sum(v for k, v in result["rejected_answers"].items() if k != "no_open_task")
    return int(rejected + sum(result["terminal_dead_letters"].values()))


def _recovery(seconds: Any, complete: Any) -> str | None:
    """``41.2``, or ``41.2*`` when some item sent before the fault never ended."""
    if seconds is None:
        return None
    return f"{seconds}{'' if complete else '*'}"


def row(result: Mapping[str, Any]) -> str:
    values = {
        **result,
        "other_dead_letters": other_dead_letters(result),
        "recovery_s": _recovery(result["recovery_s"], result["recovery_complete"]),
        "broker_recovery_s": _recovery(
            result["broker_recovery_s"], result["broker_recovery_complete"]
        ),
    }
    return "  ".join(_cell(values[key]).rjust(width) for _, key, width in COLUMNS)


def header() -> str:
    return "  ".join(title.rjust(width) for title, _, width in COLUMNS)


def failed(result: Mapping[str, Any]) -> bool:
    return bool(result["lost"] or result["stalled"])


def details(result: Mapping[str, Any]) -> str | None:
    """One line on what went wrong in a run, or None when nothing did."""
    parts = []
    if failed(result):
        routes = ", ".join(f"{k} {v}" for k, v in sorted(result["stalled_by_route"].items()))
        stuck = ", ".join(f"{k} {v}" for k, v in sorted(result["stuck_at"].items()))
        parts.append(f"stalled by route: {routes}; stuck at the deadline: {stuck or '-'}")
    codes = {**result["terminal_dead_letters"], **result["rejected_answers"]}
    if codes:
        parts.append("dead letters: " + ", ".join(f"{k} {v}" for k, v in sorted(codes.items())))
    if result.get("failed_answers"):
        parts.append(f"reviewer answers not sent: {result['failed_answers']}")
    if not parts:
        return None
    return f"run {result['run']}: " + "; ".join(parts) + f" (logs: {result['workdir']})"


def table(results: Sequence[Mapping[str, Any]]) -> str:
    lines = [header(), *(row(r) for r in results)]
    lines += [line for r in results if (line := details(r)) is not None]
    failing = [r["run"] for r in results if failed(r)]
    total = {k: sum(int(r[k]) for r in results) for k in ("lost", "stalled", "duplicates")}
    recoveries = [float(r["recovery_s"]) for r in results]
    worst = f"{max(recoveries):.1f}" if recoveries else "-"
    if any(not r["recovery_complete"] for r in results):
        lines.append("* recovery of the items that ended; some sent before the fault never did")
    lines.append(
        f"{len(results)} runs: lost {total['lost']}, stalled {total['stalled']}, duplicates "
        f"{total['duplicates']}, no_open_task {sum(int(r['no_open_task']) for r in results)}, "
        f"worst recovery {worst} s -> "
        + (f"FAIL (runs {', '.join(map(str, failing))})" if failing else "PASS")
    )
    return "\n".join(lines)
