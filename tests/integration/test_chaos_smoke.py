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
    soak = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = soak.communicate(timeout=780)
    except subprocess.TimeoutExpired:
        soak.terminate()  # the soak stops its broker, workers and simulator on SIGTERM
        stdout, stderr = soak.communicate(timeout=100)
    report = stdout[-3000:] + stderr[-1500:]
    result_files = list(tmp_path.glob("chaos-*.json"))
    assert len(result_files) == 1, f"the soak did not finish (code {soak.returncode}):\n{report}"
    runs = json.loads(result_files[0].read_text())["runs"]
    assert [r["broker_restarted"] for r in runs] == [False, True], report
    assert all(r["killed_worker"] in (0, 1) and r["human_tasks"] > 0 for r in runs), report
    assert [(r["lost"], r["stalled"], r["no_open_task"]) for r in runs] == [(0, 0, 0)] * 2, report
    assert soak.returncode == 0, report
    assert "2 runs: lost 0, stalled 0" in stdout
