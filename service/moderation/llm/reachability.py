"""Is the model API there, and does it accept our key? Asked at start and then periodically.

The question goes to the free models endpoint (``GET /v1/models``), so it costs nothing. An API
that cannot be reached must be loud: every item would otherwise quietly take the policy's fail
mode. :class:`ApiWatch` keeps the answer for the readiness check and logs one ERROR line per
minute while the API stays unreachable (with how many checks failed), not one per item.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import anthropic

_log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ApiCheck:
    """One answer of the models endpoint: ``ok``, or why not."""

    ok: bool
    detail: str
    rejected_key: bool = False


def endpoint_of(client: anthropic.AsyncAnthropic) -> str:
    return str(client.base_url).rstrip("/")


async def check_api(client: anthropic.AsyncAnthropic) -> ApiCheck:
    """Ask ``GET /v1/models`` once; never raises for an API or network problem."""
    endpoint = endpoint_of(client)
    try:
        await client.models.list(limit=1, timeout=CHECK_TIMEOUT_S)
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as error:
        return ApiCheck(
            False, f"{endpoint} rejected ANTHROPIC_API_KEY (HTTP {error.status_code})", True
        )
    except anthropic.APIStatusError as error:
        return ApiCheck(False, f"{endpoint}/v1/models answered HTTP {error.status_code}")
    except anthropic.APIConnectionError as error:  # includes timeouts
        cause = error.__cause__ or error
        return ApiCheck(False, f"{endpoint} cannot be reached ({type(cause).__name__})")
    return ApiCheck(True, f"{endpoint} answers")


class ApiWatch:
    """The latest answer, for readiness; one ERROR line per ``report_every_s`` while down."""

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        report_every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._report_every_s = report_every_s
        self._clock = clock
        self.failed_checks = 0
        self._down_since: float | None = None
        self._last_report: float | None = None
        self.last: ApiCheck | None = None

    def problem(self) -> str | None:
        """Why the worker is not ready because of the API, or None."""
        if self.last is None or self.last.ok:
            return None
        return f"model API: {self.last.detail}"

    async def check(self) -> ApiCheck:
        result = await check_api(self._client)
        self.record(result)
        return result

    async def watch_forever(self, interval_s: float = 10.0) -> None:
        """Ask every ``interval_s`` until cancelled (the worker's background task)."""
        while True:
            await asyncio.sleep(interval_s)
            await self.check()

    def record(self, result: ApiCheck) -> None:
        now = self._clock()
        self.last = result
        if result.ok:
            if self._down_since is not None:
                _log.info(
                    "model API reachable again after %.0fs (%d failed checks)",
                    now - self._down_since,
                    self.failed_checks,
                )
            self._down_since = None
            self._last_report = None
            self.failed_checks = 0
            return
        self.failed_checks += 1
        if self._down_since is None:
            self._down_since = now
        due = self._last_report is None or now - self._last_report >= self._report_every_s
        if due:
            self._last_report = now
            _log.error(
                "model API unreachable for %.0fs (%d failed checks): %s; not ready, and items "
                "take the policy's fail mode until it answers",
                now - self._down_since,
                self.failed_checks,
                result.detail,
            )
