"""What the stage builders share while the worker is assembled (:mod:`moderation.worker.app`).

An :class:`Assembly` holds the parts every stage uses (settings, telemetry, the producer, the
halt switch) and collects what the builders add: one runner per input topic, the intake's
partition hooks and the background tasks the app starts once it runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from moderation.halt import IntakeHalt
from moderation.settings import Settings
from moderation.stages.deadletters import failure_handler
from moderation.streaming.intake import PartitionHooks
from moderation.streaming.runner import Handler, RunnerConfig, Sender, StageRunner, TraceParent
from moderation.telemetry import Telemetry

Background = Callable[[], Awaitable[Any]]


@dataclass
class Assembly:
    settings: Settings
    telemetry: Telemetry
    sender: Sender
    halt: IntakeHalt
    runners: dict[str, StageRunner] = field(default_factory=dict)
    hooks: list[PartitionHooks] = field(default_factory=list)
    background: list[Background] = field(default_factory=list)

    def read(
        self,
        topic: str,
        stage: str,
        window: int,
        handler: Handler,
        trace_parent: TraceParent | None = None,
    ) -> None:
        """``stage`` reads ``topic``: one runner with its own in-flight window."""
        settings = self.settings
        self.runners[topic] = StageRunner(
            RunnerConfig(
                stage=stage,
                group=settings.group_id,
                window=window,
                item_deadline_s=settings.item_deadline_s,
            ),
            handler,
            failure_handler(settings.topics, stage),
            self.sender,
            self.telemetry.tracer,
            self.telemetry.metrics,
            trace_parent,
            halt=self.halt,
        )
