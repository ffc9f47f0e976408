"""``moderation eval``: measure configurations on a labelled dataset before switching.

Exit status: 0 report written; 2 bad arguments, configuration or dataset; 3 report written but
incomplete (``--max-cost`` stopped the run; run again with a higher limit to continue).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moderation.rollout.configs import RolloutConfig

EXIT_CONFIG = 2
EXIT_INCOMPLETE = 3
BUNDLED_CONFIGS = Path(__file__).parent / "bundled" / "configs"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "eval",
        help="score configurations (models, policy, tier settings) on a labelled dataset",
        description=(
            "Run the real classification path (prompt builder, gateway, policy, routing table) "
            "over a labelled dataset with one or two configurations and write a report "
            "(markdown, JSON, PNG): per-category precision/recall/F1/FPR and PR-AUC, a threshold "
            "sweep, escalation rates, refusals, invalid outputs, cost per 1,000 items, latency; "
            "with two configs the paired difference with bootstrap intervals and Cohen's kappa. "
            "The API is the one ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL name (or --simulate). "
            "Answers are cached on disk: an interrupted run continues where it stopped. "
            "Exit 3: the report is incomplete because --max-cost stopped the run."
        ),
    )
    parser.add_argument(
        "dataset",
        nargs="?",
        help="JSONL file (project or OpenAI moderation-eval format), or 'bundled' for the "
        "labelled set shipped with the service",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="CONFIG",
        help="a configuration YAML (id, triage, review, policy_file), a bundled one by name "
        f"({', '.join(sorted(p.stem for p in BUNDLED_CONFIGS.glob('*.yaml')))}), or 'current' "
        "for the worker's MODERATION_* settings; give it twice to compare",
    )
    parser.add_argument(
        "--format", choices=("auto", "project", "openai"), default="auto", help="dataset format"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(".run/eval"), help="report folder (default .run/eval)"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(".run/eval/answers"),
        help="answer cache, reused by later runs (default .run/eval/answers)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="items in flight (default 8)")
    parser.add_argument(
        "--max-cost", type=float, metavar="USD", help="stop starting items before spending this"
    )
    parser.add_argument("--limit", type=int, help="only the first N items of the dataset")
    parser.add_argument(
        "--bootstrap-rounds", type=int, default=1000, help="resamples for the intervals"
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="start the simulated Anthropic API in this process and use it (no key needed)",
    )
    parser.add_argument(
        "--from-decisions",
        type=Path,
        metavar="OUTPUT",
        help="first write a labelled set built from final human decisions on the topics "
        "(KAFKA_BOOTSTRAP_SERVERS, MODERATION_TOPICS__*) to OUTPUT; evaluate it when --config "
        "is given",
    )
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_CONFIG


def _config_path(value: str) -> Path:
    bundled = BUNDLED_CONFIGS / f"{value}.yaml"
    if os.sep not in value and not value.endswith((".yaml", ".yml")) and bundled.exists():
        return bundled
    return Path(value)


def simulated(base_url: str | None) -> bool:
    """Does ``base_url`` answer like the project's simulator (``GET /_sim/stats``)?"""
    if not base_url:
        return False
    try:
        url = base_url.rstrip("/") + "/_sim/stats"
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - the configured API
            return answer.status == 200 and isinstance(json.loads(answer.read()), dict)
    except (OSError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    from moderation.errors import ConfigurationError
    from moderation.evaluation.datasets import DatasetError

    if args.concurrency < 1:
        return _fail("--concurrency must be at least 1")
    if args.max_cost is not None and args.max_cost <= 0:
        return _fail("--max-cost must be a positive amount of USD")
    if args.from_decisions is None and args.dataset is None:
        return _fail("give a DATASET (a JSONL file or 'bundled'), or --from-decisions OUTPUT")
    if args.from_decisions is None and not args.config:
        return _fail("give at least one --config (e.g. --config baseline)")
    if len(args.config) > 2:
        return _fail("--config at most twice (a baseline and a candidate)")
    try:
        if args.from_decisions is not None:
            dataset = _from_decisions(args.from_decisions)
            if not args.config:
                return 0
        else:
            dataset = args.dataset
        return asyncio.run(_evaluate(args, dataset))
    except (ConfigurationError, DatasetError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("\ninterrupted: answers so far are cached; run the same command to continue")
        return 130


def _from_decisions(output: Path) -> str:
    from moderation.deadletter.kafka_io import read_all
    from moderation.evaluation.datasets import to_project_line
    from moderation.evaluation.decisions import labelled_from_decisions
    from moderation.policy import PolicyBook
    from moderation.settings import Settings
    from moderation.worker.kafka_config import client_security

    settings = Settings()
    security = client_security(settings)

    async def read(topic: str) -> list[bytes]:
        group = f"{settings.app_id}-eval-{os.getpid()}"
        found = await read_all(settings.bootstrap_servers, topic, group=group, security=security)
        return [selection.value for selection in found]

    tasks = asyncio.run(read(settings.topics.human_review))
    decisions = asyncio.run(read(settings.topics.human_decisions))
    categories = PolicyBook.load(settings.policy_file).default.category_names()
    items, unusable = labelled_from_decisions(tasks, decisions, categories)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("".join(to_project_line(item) + "\n" for item in items), encoding="utf-8")
    print(f"wrote {len(items)} labelled items to {output} ({unusable} records unusable)")
    return str(output)


async def _evaluate(args: argparse.Namespace, dataset: str) -> int:
    from moderation.rollout.configs import from_settings, load_config
    from moderation.settings import Settings

    settings = Settings()
    configs = [
        from_settings(settings, "current")
        if value == "current"
        else load_config(_config_path(value))
        for value in args.config
    ]
    if len({c.id for c in configs}) != len(configs):
        return _fail("the two configurations need different ids")
    base_url: str | None
    async with AsyncExitStack() as stack:
        if args.simulate:
            from moderation_dev.simulator.testing import running_simulator

            sim = await stack.enter_async_context(running_simulator())
            api_key, base_url, is_sim = "sim-key", str(sim.base_url), True
        else:
            secret = settings.anthropic_api_key
            if secret is None:
                return _fail(
                    "ANTHROPIC_API_KEY is not set (any value works for the simulated API; "
                    "or pass --simulate)"
                )
            api_key, base_url = secret.get_secret_value(), settings.anthropic_base_url
            is_sim = await asyncio.to_thread(simulated, base_url)
        return await _score(args, dataset, configs, api_key, base_url, is_sim)


async def _score(
    args: argparse.Namespace,
    dataset: str,
    configs: Sequence[RolloutConfig],
    api_key: str | None,
    base_url: str | None,
    is_sim: bool,
) -> int:
    from moderation.evaluation import charts
    from moderation.evaluation.answers import AnswerCache
    from moderation.evaluation.datasets import BUNDLED, DatasetFormat, load
    from moderation.evaluation.render import ReportInput, to_json, to_markdown
    from moderation.evaluation.runner import ConfigPath, Progress, run
    from moderation.evaluation.summary import compare, figures
    from moderation.progress import ProgressLine

    paths = [ConfigPath.build(c, api_key, base_url) for c in configs]
    first_policy = paths[0].policies.default
    categories = first_policy.category_names()
    source = BUNDLED if dataset == "bundled" else Path(dataset)
    items = load(source, categories, DatasetFormat(args.format))
    if args.limit is not None:
        items = items[: max(0, args.limit)]
    caches = [AnswerCache(args.cache_dir, p.config, p.policies.default) for p in paths]
    line = ProgressLine(sys.stderr, every_s=5.0)
    started = time.monotonic()

    def show(progress: Progress) -> None:
        line.show(progress.text(time.monotonic() - started), time.monotonic() - started)

    try:
        answers, progress = await run(
            items,
            paths,
            caches,
            concurrency=args.concurrency,
            max_cost_usd=args.max_cost,
            on_progress=show,
        )
    finally:
        for cache in caches:
            cache.close()
    line.finish(progress.text(time.monotonic() - started))
    per_config = []
    aligned = {}
    for path in paths:
        found = {a.item_id: a for a in answers[path.config.id]}
        pairs = [(item, found[item.item_id]) for item in items if item.item_id in found]
        aligned[path.config.id] = found
        per_config.append(
            figures(
                path.config.id,
                [item for item, _ in pairs],
                [answer for _, answer in pairs],
                categories,
            )
        )
    comparison = None
    if len(paths) == 2:
        a, b = (aligned[p.config.id] for p in paths)
        both = [item for item in items if item.item_id in a and item.item_id in b]
        comparison = compare(
            both,
            [a[item.item_id] for item in both],
            [b[item.item_id] for item in both],
            categories,
            rounds=args.bootstrap_rounds,
        )
    incomplete = ""
    if progress.stopped_for_cost:
        incomplete = (
            f"--max-cost ${args.max_cost:.2f} stopped the run after {progress.done} of "
            f"{progress.total} answers; run again with a higher limit to continue."
        )
    notes = []
    args.out.mkdir(parents=True, exist_ok=True)
    chart_name = None
    if charts.available():
        title = f"{source.name}: " + " vs ".join(p.config.id for p in paths)
        charts.draw(per_config, args.out / "report.png", title)
        chart_name = "report.png"
    else:
        notes.append(charts.MISSING)
    report = ReportInput(
        dataset=str(dataset),
        items=len(items),
        simulated=is_sim,
        configs=per_config,
        comparison=comparison,
        incomplete=incomplete,
        notes=notes,
    )
    markdown = to_markdown(report, chart_name)
    (args.out / "report.md").write_text(markdown, encoding="utf-8")
    (args.out / "report.json").write_text(to_json(report), encoding="utf-8")
    print(markdown)
    written = ", ".join(
        str(args.out / name) for name in ("report.md", "report.json", chart_name) if name
    )
    print(f"written: {written}")
    return EXIT_INCOMPLETE if incomplete else 0
