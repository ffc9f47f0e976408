"""The policy book in force, replaced without a restart when its file changes.

:class:`LivePolicies` answers ``for_tenant`` like a :class:`PolicyBook` (stages read it through
the :class:`PolicyLookup` protocol) and swaps in a new book when the file's modification time
or size changes (polled) or when the worker receives SIGHUP. A file that does not load keeps
the old book: one ERROR line naming the problem and ``moderation.policy.reloads`` counted with
``result=invalid``. Items already in flight finish under the book they started with; the
next item sees the new one.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from moderation.policy.book import PolicyBook
from moderation.policy.errors import PolicyError
from moderation.policy.models import Policy

if TYPE_CHECKING:
    from moderation.telemetry import Metrics

_log = logging.getLogger(__name__)


class PolicyLookup(Protocol):
    """What the stages need of the policies: the tenant's policy, and the default one."""

    def for_tenant(self, tenant_id: str) -> Policy: ...

    @property
    def default(self) -> Policy: ...


class LivePolicies:
    """A :class:`PolicyLookup` over a policy file that may change while the worker runs."""

    def __init__(self, path: Path | None, book: PolicyBook, metrics: Metrics | None = None) -> None:
        self.path = path
        self._book = book
        self._metrics = metrics
        self._seen = self._stamp()

    @classmethod
    def load(cls, path: Path | None, metrics: Metrics | None = None) -> LivePolicies:
        """Load the book now; raises PolicyError (the worker refuses to start on it)."""
        return cls(path, PolicyBook.load(path), metrics)

    @property
    def book(self) -> PolicyBook:
        return self._book

    @property
    def default(self) -> Policy:
        return self._book.default

    def for_tenant(self, tenant_id: str) -> Policy:
        return self._book.for_tenant(tenant_id)

    def reload(self) -> bool:
        """Load the file again; True when the new book is in force, False when it was kept."""
        self._seen = self._stamp()
        try:
            book = PolicyBook.load(self.path)
        except PolicyError as error:
            _log.error("policy reload failed, keeping the current policy: %s", error)
            self._count("invalid")
            return False
        self._book = book
        tenants = ", ".join(f"{t}={p.version}" for t, p in sorted(book.tenants.items()))
        _log.info(
            "policy reloaded from %s: %s %s%s",
            self.path,
            book.default.policy_id,
            book.default.version,
            f" (tenants: {tenants})" if tenants else "",
        )
        self._count("ok")
        return True

    def changed(self) -> bool:
        """Whether the file's modification time or size moved since the last (re)load."""
        return self.path is not None and self._stamp() != self._seen

    async def watch(self, interval_s: float) -> None:
        """Poll the file every ``interval_s`` and reload it when it changed (runs for ever)."""
        while True:
            await asyncio.sleep(interval_s)
            if self.changed():
                self.reload()

    def reload_on_sighup(self, loop: asyncio.AbstractEventLoop) -> None:
        """``kill -HUP <worker>`` reloads the file (the loop's own signal handling)."""
        loop.add_signal_handler(signal.SIGHUP, self.reload)

    def _stamp(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
        except OSError:
            return (-1, -1)  # gone or unreadable: a change; reload() reports why
        return (stat.st_mtime_ns, stat.st_size)

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.policy_reload(result)
