"""The chaos soak, two short runs: a worker SIGKILLed and restarted in each, the broker too in
the second; nothing may be lost or stalled and no reviewer answer rejected.

Shortened from the soak's defaults only where the figures stay meaningful: fewer items, the
simulator's default latency (tens of ms), a larger human share (so the reviewer path is
exercised on a few dozen items), two partitions and a 10 s session timeout (the restarted
worker waits that long for the group to drop the killed one). The soak starts its own broker
(it restarts it), so this test does not use the session's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]  # loadtest/ is run from the repository root


@pytest.mark.timeout(900)
def test_two_chaos_runs_lose_and_stall_nothing(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "loadtest", "chaos", "--runs", "2", "--items", "40"]
    argv += ["--rate", "20", "--latency", "default", "--partitions", "2", "--broker-every", "2"]
    argv += ["--mix", "allow=0.7,review_clear=0.15,human=0.15", "--grace", "20"]
    argv += ["--env", "MODERATION_SESSION_TIMEOUT_S=10", "--out", str(tmp_path)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=850, check=False)
    report = done.stdout[-3000:] + done.stderr[-1500:]
    (result_file,) = tmp_path.glob("chaos-*.json")
    runs = json.loads(result_file.read_text())["runs"]
    assert [r["broker_restarted"] for r in runs] == [False, True], report
    assert all(r["killed_worker"] in (0, 1) and r["human_tasks"] > 0 for r in runs), report
    assert [(r["lost"], r["stalled"], r["no_open_task"]) for r in runs] == [(0, 0, 0)] * 2, report
    assert done.returncode == 0, report
    assert "2 runs: lost 0, stalled 0" in done.stdout
