"""The profile summary charges each sample to the innermost known component."""

from __future__ import annotations

from loadtest.profile import NO_FRAME, STARTUP, render, summarise

LINES = [
    "run (moderation/cli.py:1);_run_once (asyncio/base_events.py:9);"
    "create (anthropic/_client.py:3);dumps (json/encoder.py:2) 5\n",
    "run (moderation/cli.py:1);_process (moderation/streaming/runner.py:4);"
    "start_span (trace/__init__.py:8) 3\n",
    "run (moderation/cli.py:1);_process (moderation/streaming/runner.py:4) 2\n",
    "<module> (moderation/worker/app.py:1);_find_and_load (<frozen importlib._bootstrap>:1) 4\n",
    "_run_once (asyncio/base_events.py:9);select (selectors.py:3) 1\n",
    " 2\n",
    "garbage\n",
]


def test_samples_go_to_the_innermost_component() -> None:
    counts = summarise(LINES)
    assert counts == {
        "SDK + HTTP client": 5,
        "telemetry (OpenTelemetry)": 3,
        "intake + runner (ours)": 2,
        STARTUP: 4,
        "event loop + sockets": 1,
        NO_FRAME: 2,
    }


def test_start_up_is_left_out_of_the_shares() -> None:
    table = render(summarise(LINES))
    assert "SDK + HTTP client                 38.5%" in table
    assert table.splitlines()[-1].split()[-1] == "4"
