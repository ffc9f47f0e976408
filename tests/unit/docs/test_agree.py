"""The READMEs agree with the code and with each other (figures, names, commands)."""

from __future__ import annotations

import re
from pathlib import Path

from moderation.cli import build_parser
from moderation.stages.appeal import appeal_task_id
from moderation.stages.outputs import task_id_for
from moderation_contracts import AppealDecision, AppealTask
from moderation_contracts.examples import examples, final_decision
from moderation_contracts.examples_appeals import appeal as example_appeal

ROOT = Path(__file__).resolve().parents[3]
READMES = sorted(p for p in ROOT.rglob("README.md") if ".venv" not in p.parts)


def _text(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def _shell_lines(text: str) -> list[str]:
    blocks = re.findall(r"```(?:sh|bash|shell)[^\n]*\n(.*?)```", text, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines()]


def test_commands_are_shown_the_way_the_install_puts_them() -> None:
    bare = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in READMES
        if "helm" not in path.parts  # inside the image the command is on PATH
        for line in _shell_lines(path.read_text(encoding="utf-8"))
        if line.startswith("moderation ")
    ]
    assert bare == [], "use .venv/bin/moderation in README commands"


def test_kcat_producers_hash_keys_like_the_java_clients() -> None:
    for path in READMES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "kcat -P" in line:
                assert "-X partitioner=murmur2_random" in line, f"{path}: {line}"


def test_example_task_id_has_the_produced_format() -> None:
    produced = re.compile(r"^task-[0-9a-f]{24}(-e\d+)?$")
    assert produced.match(task_id_for("acme", "c-1"))
    for example in examples().values():
        task_id = getattr(example, "task_id", None)
        if isinstance(example, AppealTask):  # appeal tasks: the appeal stage's format
            assert task_id == appeal_task_id(example.appeal)
        elif isinstance(example, AppealDecision):
            assert task_id == appeal_task_id(example_appeal(final_decision()))
        elif task_id is not None:
            assert produced.match(task_id), task_id


def test_load_test_figures_agree_between_readmes() -> None:
    top, detail = _text("README.md"), _text("loadtest/README.md")
    current = detail[detail.index("### Where it stands") : detail.index("### History")]
    runs = re.findall(
        r"^\| \d\d:\d\d \| [\d.]+ \| [\d.]+ \| \*\*(\d\.\d+)\*\* \| \d+ / \d+ \| "
        r"\*\*(\d\.\d+)\*\* \|",
        current,
        re.M,
    )
    assert len(runs) == 3, "the three `make loadtest` runs in a row"
    cpu = sorted(float(ratio) for ratio, _ in runs)
    throughput = sorted(float(ratio) for _, ratio in runs)
    assert f"{cpu[0]:.2f}-{cpu[-1]:.2f}x CPU" in top
    assert f"throughput {throughput[0]:.2f}-{throughput[-1]:.2f}x" in top
    make_default = re.search(r"--items (\d+) --no-trace", _text("Makefile"))
    assert make_default is not None
    for text in (top, detail):
        for items in re.findall(r"backlog --items (\d+) --no-trace", text):
            assert items == make_default[1]
    cost = re.search(r"\$(\d\.\d\d) vs \$(\d+\.\d\d) naive", current)
    assert cost is not None
    assert f"${cost[1]} vs ${cost[2]} naive" in top


def test_the_cached_prefix_has_one_size_everywhere() -> None:
    sizes = {
        (path.name, size)
        for path in READMES
        for size in re.findall(
            r"(?:prefix[^.]{0,60}?about |cached prefix of about )(\d,\d{3}) tokens",
            path.read_text(encoding="utf-8"),
        )
    }
    assert len({size for _, size in sizes}) == 1, sizes
    assert not re.search(r"\d,\d{3}-token cached prefix", _text("README.md"))


def test_chart_readme_names_each_stages_own_variables() -> None:
    for line in _text("helm/moderation/README.md").splitlines():
        row = re.match(r"\| `stages\.(\w+)\.[^`]+` .*MODERATION_(\w+?)__", line)
        if row:
            assert row[2].lower() == row[1], line


def test_deadletter_help_promises_only_commands_that_exist() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    deadletter = commands.choices["deadletter"]  # type: ignore[index]
    tools = next(a for a in deadletter._actions if a.dest == "deadletter_command")
    assert {"inspect", "replay"} <= set(tools.choices)  # type: ignore[arg-type]
    assert "inspect" in deadletter.format_help()


def test_loadtest_batch_help_matches_its_readme() -> None:
    # loadtest is not an installed package; its parser is read from the source
    batch = re.search(r'"--batch", action="store_true", help="([^"]+)"', _text("loadtest/cli.py"))
    assert batch is not None
    assert "triage and review" in batch[1]
    assert "`--batch`, `--batch-delay` | triage and review" in _text("loadtest/README.md")
