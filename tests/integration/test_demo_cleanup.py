"""``moderation demo`` on an existing cluster leaves no topics behind (unless asked to)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

pytestmark = pytest.mark.integration


async def _topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()


async def test_the_demo_deletes_its_topics_on_an_existing_cluster(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "OTEL_"))}
    env.pop("ANTHROPIC_BASE_URL", None)
    env.pop("ANTHROPIC_API_KEY", None)
    env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    argv = [sys.executable, "-m", "moderation.cli", "demo", "--limit", "12"]
    argv += ["--profile", "instant", "--timeout", "60", "--run-dir", str(tmp_path)]
    done = await asyncio.to_thread(
        subprocess.run, argv, env=env, capture_output=True, text=True, timeout=110, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    suffix = re.search(r"topics end in \.demo-(\w+)", done.stdout)
    assert suffix is not None, done.stdout[-2000:]
    assert "deleted this run's" in done.stdout
    left = [name for name in await _topics(kafka_bootstrap) if suffix.group(1) in name]
    assert left == []
