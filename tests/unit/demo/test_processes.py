from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from moderation.progress import ProgressLine, progress_text
from moderation.settings import ALL_STAGES, Settings, TopicNames
from moderation_dev.demo.corpus import CorpusItem
from moderation_dev.demo.ledger import Ledger
from moderation_dev.demo.processes import SIM_API_KEY, demo_topics, uses_real_api, worker_env


@pytest.mark.parametrize(
    ("env", "real"),
    [
        ({}, False),
        ({"ANTHROPIC_API_KEY": "k"}, True),
        ({"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}, False),
        ({"ANTHROPIC_API_KEY": " "}, False),
        ({"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}, False),
    ],
)
def test_the_real_api_needs_a_key_and_no_base_url(env: dict[str, str], real: bool) -> None:
    assert uses_real_api(env) is real


def make_env(base: dict[str, str], base_url: str | None) -> dict[str, str]:
    return worker_env(
        base,
        bootstrap="127.0.0.1:1234",
        topics=demo_topics("abc"),
        app_id="demo-abc",
        trace_file=Path("run/t.jsonl"),
        data_dir=Path("run/data"),
        partitions=3,
        anthropic_base_url=base_url,
    )


def test_the_worker_settings_read_the_runs_topics_and_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = make_env({"MODERATION_STAGES": "triage", "PATH": "/bin"}, "http://127.0.0.1:9")
    prefixes = ("MODERATION_", "ANTHROPIC_", "KAFKA_")
    for name in [n for n in os.environ if n.startswith(prefixes)]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.topics == demo_topics("abc")
    assert all(name.endswith(".demo-abc") for name in settings.topics.all())
    assert len(set(settings.topics.all())) == len(TopicNames.model_fields)
    assert settings.app_id == "demo-abc"
    assert settings.bootstrap_servers == "127.0.0.1:1234"
    assert settings.topic_partitions == 3
    assert settings.stages == ALL_STAGES, "an inherited MODERATION_STAGES must not narrow the demo"
    assert settings.anthropic_base_url == "http://127.0.0.1:9"
    assert settings.anthropic_api_key is not None
    assert settings.anthropic_api_key.get_secret_value() == SIM_API_KEY
    assert env["OTEL_TRACES_EXPORTER"] == env["OTEL_METRICS_EXPORTER"] == "none"
    assert env["MODERATION_TRACE_FILE"] == "run/t.jsonl"
    assert env["PATH"] == "/bin"


def test_the_real_api_keeps_the_callers_key_and_no_base_url() -> None:
    env = make_env({"ANTHROPIC_API_KEY": "sk-real"}, None)
    assert env["ANTHROPIC_API_KEY"] == "sk-real"
    assert "ANTHROPIC_BASE_URL" not in env
    simulated = make_env({"ANTHROPIC_API_KEY": "sk-own"}, "http://127.0.0.1:9")
    assert simulated["ANTHROPIC_API_KEY"] == "sk-own"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    ledger = Ledger([CorpusItem("a", "benign", None, b"{}", None)], "h")
    text = progress_text(ledger, 1, 2.345)
    assert text == "published 0/1 | decided 0 | pending human 0 | dead letters 0 | 2.3s"
    out = FakeTerminal()
    line = ProgressLine(out)
    line.show("long text here", 0.0)
    line.show("short", 0.1)
    line.finish("done")
    assert out.getvalue() == "\rlong text here\rshort         \rdone \n"


def test_progress_prints_now_and_then_without_a_terminal() -> None:
    out = io.StringIO()
    line = ProgressLine(out, every_s=5.0)
    for second in range(11):
        line.show(f"t{second}", float(second))
    line.finish("end")
    assert out.getvalue().splitlines() == ["t0", "t5", "t10", "end"]
