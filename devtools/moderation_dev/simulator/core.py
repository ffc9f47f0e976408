"""The simulator's state and its two operations: answer a Messages call, run a batch item.

Holds the prompt cache, rate limiter, once-only memory, batches and stats of one server.
Everything here runs on the event loop; the only waiting is ``asyncio.sleep`` for latency.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace

from moderation_dev.simulator.batches import BatchStore
from moderation_dev.simulator.caching import CacheUsage, PromptCache
from moderation_dev.simulator.config import SimConfig
from moderation_dev.simulator.errors import ApiError, ConfigError, SimulatorError, status_error
from moderation_dev.simulator.faults import (
    HeaderFaults,
    OnceMemory,
    parse_simulate_header,
    plan_faults,
)
from moderation_dev.simulator.markers import Script, script_for
from moderation_dev.simulator.ratelimit import RateLimiter
from moderation_dev.simulator.request import ApiVersion, JsonDict, MessagesRequest
from moderation_dev.simulator.responses import build_message
from moderation_dev.simulator.stats import Stats
from moderation_dev.simulator.tokens import prompt_blocks
from moderation_dev.simulator.validation import validate_messages
from moderation_dev.simulator.verdict import Content, Verdict, extract_content, judge


class DropConnection(SimulatorError):
    """Close the connection without answering (an injected network failure)."""


@dataclass(frozen=True)
class Reply:
    """A successful answer: JSON body plus extra headers."""

    body: JsonDict
    headers: dict[str, str]


def _script(content: Content, request: MessagesRequest) -> Script:
    try:
        return script_for(content.text, request.model.model_class)
    except ConfigError as exc:
        raise ApiError(400, f"simulator marker: {exc}") from exc


class Simulator:
    """One simulated API: configuration plus all in-memory state."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.cache = PromptCache()
        self.limiter = RateLimiter(config)
        self.once = OnceMemory()
        self.stats = Stats()
        self.batches = BatchStore(config.batch_delay_s, self._run_batch_item, config.seed)
        self._calls = 0

    def reset(self) -> None:
        """Forget everything: stats, cache, once-only state, buckets and batches."""
        self.cache.clear()
        self.limiter.clear()
        self.once.clear()
        self.stats.clear()
        self.batches.clear()
        self._calls = 0

    def _verdict(
        self, request: MessagesRequest, content: Content, script: Script, header: HeaderFaults
    ) -> Verdict:
        cls = request.model.model_class
        if header.refuse:
            script = replace(script, refuse=True)
        elif header.malformed:
            script = replace(script, malformed=True)
        elif script.malformed_once and not self.once.first(content.digest, cls, "malformed"):
            script = replace(script, malformed_once=False)
        return judge(content, cls, script)

    def _record(self, model_id: str, usage: CacheUsage, body: JsonDict, verdict: Verdict) -> None:
        entry = self.stats.model(model_id)
        entry["succeeded"] += 1
        entry["input_tokens"] += usage.input_tokens
        entry["cache_read_input_tokens"] += usage.cache_read_input_tokens
        entry["cache_creation_input_tokens"] += usage.cache_creation_input_tokens
        entry["cache_hits"] += 1 if usage.cache_read_input_tokens else 0
        usage_body = body["usage"]
        assert isinstance(usage_body, dict)
        out = usage_body["output_tokens"]
        entry["output_tokens"] += out if isinstance(out, int) else 0
        entry["refusals"] += 1 if verdict.outcome == "refuse" else 0
        entry["malformed"] += 1 if verdict.outcome == "malformed" else 0

    async def create_message(
        self, body: object, version: ApiVersion, simulate: str | None
    ) -> Reply:
        """Answer ``POST /v1/messages``; raises ApiError or DropConnection."""
        request = validate_messages(body, version)
        try:
            header = parse_simulate_header(simulate)
        except ConfigError as exc:
            raise ApiError(400, str(exc)) from exc
        model_id, cls = request.model.model_id, request.model.model_class
        content = extract_content(request)
        script = _script(content, request)
        self.stats.request(model_id)
        self._calls += 1
        rng = random.Random(f"{self.config.seed}:{self._calls}")  # noqa: S311  # simulation
        plan = plan_faults(self.config, cls, script, header, rng, self.once, content.digest)
        blocks = prompt_blocks(request)
        model = request.model
        preview = self.cache.account(model_id, model.cache_min_tokens, blocks, write=False)
        try:
            self.limiter.check(cls, preview.input_tokens + preview.cache_creation_input_tokens)
        except ApiError:
            self.stats.model(model_id)["rate_limited"] += 1
            raise
        if plan.kind is not None:
            self.stats.fault(model_id, plan.kind)
        if plan.drop or plan.status is not None:
            await asyncio.sleep(plan.latency_ms / 1000)
            if plan.drop:
                raise DropConnection(model_id)
            assert plan.status is not None
            retry_after = header.retry_after_s or self.config.retry_after_s
            error = status_error(plan.status, retry_after_s=retry_after)
            error.headers.update(self.limiter.headers(cls))
            raise error
        verdict = self._verdict(request, content, script, header)
        usage = self.cache.account(model_id, model.cache_min_tokens, blocks)
        message = build_message(request, verdict, usage)
        usage_body = message["usage"]
        assert isinstance(usage_body, dict)
        out = int(str(usage_body["output_tokens"]))
        delay_ms = plan.latency_ms + self.config.ms_per_output_token * out
        await asyncio.sleep(delay_ms / 1000)
        self.limiter.spend(cls, usage.input_tokens + usage.cache_creation_input_tokens, out)
        self._record(model_id, usage, message, verdict)
        return Reply(message, self.limiter.headers(cls))

    def count_tokens(self, body: object, version: ApiVersion) -> JsonDict:
        """Answer ``POST /v1/messages/count_tokens`` with the same estimate as usage."""
        request = validate_messages(body, version, count_tokens=True)
        self.stats.count_tokens()
        usage = self.cache.account(
            request.model.model_id,
            request.model.cache_min_tokens,
            prompt_blocks(request),
            write=False,
        )
        return {"input_tokens": usage.total_input_tokens}

    def _run_batch_item(self, params: object) -> JsonDict:
        """One batch request: no latency or random faults; markers still apply."""
        try:
            request = validate_messages(params, "2026-10-21")
            content = extract_content(request)
            script = _script(content, request)
            model_id, cls = request.model.model_id, request.model.model_class
            self.stats.request(model_id, batch=True)
            status = script.status
            once = script.status_once
            if (
                status is None
                and once is not None
                and self.once.first(content.digest, cls, "status")
            ):
                status = once
            if status is not None:
                self.stats.fault(model_id, str(status))
                raise status_error(status)
            verdict = self._verdict(request, content, script, HeaderFaults())
            usage = self.cache.account(
                model_id, request.model.cache_min_tokens, prompt_blocks(request)
            )
            message = build_message(request, verdict, usage, tier="batch")
            self._record(model_id, usage, message, verdict)
            return {"type": "succeeded", "message": message}
        except ApiError as exc:
            error = {"type": exc.error_type, "message": exc.message}
            return {"type": "errored", "error": {"type": "error", "error": error}}
