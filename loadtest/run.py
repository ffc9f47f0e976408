"""One load-test run: the service and the baseline on the same items, the same simulated API.

Order: start (or reuse) the broker and the simulator; drive the service (one worker running
every stage) through the scenario and read its outputs; reset the simulator; drive the
baseline loop through the same scenario; compute the figures.
"""

from __future__ import annotations

import asyncio
import os
import platform
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from loadtest import kafka_io, measure, processes
from loadtest.resources import FootprintSampler
from loadtest.reviewer import Reviewer
from loadtest.scenarios import Scenario, Shape
from loadtest.traffic import Item, TrafficSpec, generate
from moderation.settings import Settings, TopicNames
from moderation.telemetry.records import read_records
from moderation_dev.devkafka import local_kafka


@dataclass(frozen=True)
class RunConfig:
    scenario: Scenario
    traffic: TrafficSpec
    rate: float
    latency_ms: float
    partitions: int = 4
    window: int = 256
    workers: int = 1
    baseline: bool = True
    #: Also run the baseline on the worker's HTTP transport when it is not the SDK's default,
    #: which separates the framework's own cost from the transport's.
    same_transport_baseline: bool = True
    trace: bool = True
    batch: bool = False
    batch_delay_s: float = 1.0
    worker_env: dict[str, str] = field(default_factory=dict)
    reviewer: bool = False  # answer human-review tasks on librdkafka's (CRC32) partition
    class_latency_ms: dict[str, float] = field(default_factory=dict)  # per model class
    timeout_s: float = 150.0
    workdir: Path = Path(".run/loadtest")


def _topics(suffix: str) -> TopicNames:
    base = TopicNames()
    return TopicNames(**{k: f"{v}.lt-{suffix}" for k, v in base.model_dump().items()})


def worker_env(config: RunConfig) -> dict[str, str]:
    env = {"MODERATION_TRIAGE__MAX_IN_FLIGHT": str(config.window)}
    if config.batch:
        # A batch goes out when the window is full or after 500 ms; review gets a quarter.
        env |= {
            "MODERATION_BATCH__ENABLED": "true",
            "MODERATION_BATCH__TIERS": "triage,review",
            "MODERATION_BATCH__MAX_ITEMS": str(config.window),
            "MODERATION_BATCH__MAX_WAIT_MS": "500",
            "MODERATION_BATCH__POLL_INTERVAL_S": "0.2",
            "MODERATION_REVIEW__MAX_IN_FLIGHT": str(max(32, config.window // 4)),
        }
    return env | config.worker_env


def machine() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_avg_at_start": [round(v, 2) for v in load],
    }


async def _drive(
    bootstrap: str,
    topic: str,
    outputs: list[str],
    items: list[Item],
    shape: Shape,
    classify: Any,
    timeout_s: float,
    reviewer: Reviewer | None = None,
) -> tuple[measure.Observation, float]:
    observed = measure.Observation()
    times = shape.send_times(len(items))
    wanted = {item.request.content_id for item in items}

    def done() -> bool:
        settled = reviewer is None or reviewer.settled()
        sent = len(observed.sent_ms) == len(items)
        return sent and wanted <= observed.terminal.keys() and settled

    on_record = reviewer.on_record if reviewer is not None else None
    reader = asyncio.create_task(
        kafka_io.collect(
            bootstrap, outputs, observed, classify, done, timeout_s + times[-1], on_record
        )
    )
    lateness = await kafka_io.publish(bootstrap, topic, items, times, observed)
    await reader
    return observed, lateness


def _summary(observed: measure.Observation, scenario: Scenario, lateness: float) -> dict[str, Any]:
    rate = (
        measure.drain_throughput(observed)
        if scenario is Scenario.BACKLOG
        else measure.throughput(observed)
    )
    hits = measure.verdict_cache_hits(observed)
    return {
        "items": len(observed.sent_ms),
        "completed": len(observed.terminal),
        "lost": len(observed.lost),
        "duplicate_outputs": observed.extra_outputs,
        "throughput_items_per_s": rate,
        "publish_lateness_s": round(lateness, 3),
        "latency_ms": measure.latency_table(observed),
        "llm": measure.token_figures(observed),
        "verdict_cache_hits": hits,
        "verdict_cache_hit_ratio": round(hits / max(len(observed.terminal), 1), 4),
        "cost": measure.cost_figures(observed),
        "timeline": measure.timeline(observed),
    }


def prompt_cache(stats: dict[str, Any]) -> dict[str, Any]:
    models = stats.get("models", {})
    calls = sum(int(m.get("succeeded", 0)) for m in models.values())
    hits = sum(int(m.get("cache_hits", 0)) for m in models.values())
    read = sum(int(m.get("cache_read_input_tokens", 0)) for m in models.values())
    written = sum(int(m.get("cache_creation_input_tokens", 0)) for m in models.values())
    uncached = sum(int(m.get("input_tokens", 0)) for m in models.values())
    return {
        "calls": calls,
        "hit_ratio": round(hits / calls, 4) if calls else 0.0,
        "cache_read_tokens": read,
        "cache_write_tokens": written,
        "uncached_input_tokens": uncached,
        "read_share_of_input": round(read / max(read + written + uncached, 1), 4),
        "batch_requests": sum(int(m.get("batch_requests", 0)) for m in models.values()),
    }


async def _service(
    config: RunConfig, bootstrap: str, sim: processes.SimApi, items: list[Item], workdir: Path
) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    topics = _topics(suffix)
    await kafka_io.create_topics(
        bootstrap, topics.all(), config.partitions, compacted=topics.compacted()
    )
    shape = Shape(config.scenario, config.rate)
    trace_file = workdir / "traces.jsonl" if config.trace else None
    outputs = [topics.decisions, topics.human_review, topics.deadletter]
    classify = kafka_io.service_classifier(topics)

    def start() -> Any:
        return processes.workers(
            config.workers,
            bootstrap=bootstrap,
            sim_url=sim.base_url,
            topics=topics,
            app_id=f"lt-{suffix}",
            partitions=config.partitions,
            workdir=workdir,
            extra_env=worker_env(config),
            trace_file=trace_file,
        )

    def cpu(children: list[Any]) -> list[float]:
        return [processes.cpu_seconds(c.pid) for c in children]

    def used(children: list[Any], before: list[float]) -> list[float]:
        return [round(now - then, 3) for now, then in zip(cpu(children), before, strict=True)]

    def footprint(children: list[Any]) -> FootprintSampler:
        return FootprintSampler([(c.pid, c.web_port) for c in children]).start()

    reviewer = await stack_reviewer(config, bootstrap, topics) if config.reviewer else None
    with ExitStack() as stack:
        if config.scenario is not Scenario.BACKLOG:
            children = stack.enter_context(start())
            sampler = footprint(children)
            cpu0 = cpu(children)
            observed, lateness = await _drive(
                bootstrap,
                topics.requests,
                outputs,
                items,
                shape,
                classify,
                config.timeout_s,
                reviewer,
            )
            cpu_s = used(children, cpu0)
        else:
            # Fill the topic first, then let the worker at it.
            observed = measure.Observation()
            await kafka_io.publish(bootstrap, topics.requests, items, [0.0] * len(items), observed)
            children = stack.enter_context(start())
            sampler = footprint(children)
            # Each from its own readiness: with several workers the first ones are at the
            # backlog while the later ones start.
            cpu0 = [child.cpu_at_ready for child in children]
            wanted = {item.request.content_id for item in items}
            await kafka_io.collect(
                bootstrap,
                outputs,
                observed,
                classify,
                lambda: (
                    wanted <= observed.terminal.keys() and (reviewer is None or reviewer.settled())
                ),
                config.timeout_s,
                reviewer.on_record if reviewer is not None else None,
            )
            lateness = 0.0
            cpu_s = used(children, cpu0)
        worker_footprint = sampler.stop()  # before the workers stop
    summary = _summary(observed, config.scenario, lateness)
    summary["cpu_ms_per_item"] = round(sum(cpu_s) * 1000 / max(len(observed.terminal), 1), 3)
    summary["cpu_s_per_worker"] = cpu_s
    summary["prompt_cache"] = prompt_cache(sim.stats())
    summary["worker_footprint"] = worker_footprint
    if reviewer is not None:
        await reviewer.wait_sent()
        await reviewer.close()
        summary["human_review"] = reviewer.figures()
    if trace_file is not None and trace_file.exists():
        summary["hop_overhead_ms"] = measure.hop_overheads(read_records(trace_file))
    else:
        summary["hop_overhead_ms"] = {}
    return summary


async def stack_reviewer(config: RunConfig, bootstrap: str, topics: TopicNames) -> Reviewer:
    """The ``--reviewer``: a producer publishing answers to the partition CRC32 picks."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()

    async def send(topic: str, key: bytes, value: bytes, partition: int) -> None:
        await producer.send_and_wait(topic, value, key=key, partition=partition)

    return Reviewer(topics, config.partitions, send, close=producer.stop)


def worker_transport(config: RunConfig) -> str:
    """The HTTP transport under the worker's model clients (its setting, else the default)."""
    chosen = worker_env(config).get("MODERATION_HTTP_TRANSPORT")
    return chosen or Settings.model_fields["http_transport"].default.value


async def _baseline(
    config: RunConfig,
    bootstrap: str,
    sim: processes.SimApi,
    items: list[Item],
    workdir: Path,
    transport: str = "httpx",
) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    topic, out = f"loadtest.baseline.in.{suffix}", f"loadtest.baseline.out.{suffix}"
    await kafka_io.create_topics(bootstrap, [topic, out], config.partitions)
    shape = Shape(config.scenario, config.rate)
    window = int(worker_env(config)["MODERATION_TRIAGE__MAX_IN_FLIGHT"])

    def start() -> Any:
        return processes.baseline(
            bootstrap, sim.base_url, topic, out, len(items), window, workdir, transport
        )

    with ExitStack() as stack:
        if config.scenario is not Scenario.BACKLOG:
            child = stack.enter_context(start())
            cpu0 = processes.cpu_seconds(child.pid)
            observed, lateness = await _drive(
                bootstrap,
                topic,
                [out],
                items,
                shape,
                kafka_io.baseline_classifier,
                config.timeout_s,
            )
            cpu_s = processes.cpu_seconds(child.pid) - cpu0
        else:
            observed = measure.Observation()
            await kafka_io.publish(bootstrap, topic, items, [0.0] * len(items), observed)
            child = stack.enter_context(start())
            cpu0 = processes.cpu_seconds(child.pid)
            wanted = {item.request.content_id for item in items}
            await kafka_io.collect(
                bootstrap,
                [out],
                observed,
                kafka_io.baseline_classifier,
                lambda: wanted <= observed.terminal.keys(),
                config.timeout_s,
            )
            lateness = 0.0
            cpu_s = processes.cpu_seconds(child.pid) - cpu0
    summary = _summary(observed, config.scenario, lateness)
    summary["cpu_ms_per_item"] = round(cpu_s * 1000 / max(len(observed.terminal), 1), 3)
    summary["prompt_cache"] = prompt_cache(sim.stats())
    summary["transport"] = transport
    return summary


async def run(config: RunConfig) -> dict[str, Any]:
    """Run the scenario against the service and the baseline; return the result document."""
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:4]
    workdir = config.workdir / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    items = generate(config.traffic, f"lt{run_id[-4:]}")
    result: dict[str, Any] = {
        "run_id": run_id,
        "scenario": config.scenario.value,
        "config": {
            "items": config.traffic.items,
            "rate": config.rate,
            "model_latency_ms": config.latency_ms,
            "mix": {k.value: v for k, v in config.traffic.mix.items()},
            "duplicate_share": config.traffic.duplicate_share,
            "partitions": config.partitions,
            "workers": config.workers,
            "worker_env": worker_env(config),
            "batch": config.batch,
        },
        "machine": machine(),
        "workdir": str(workdir),
    }
    with ExitStack() as stack:
        bootstrap = _broker(stack, workdir)
        sim = stack.enter_context(
            processes.sim_api(
                config.latency_ms, config.batch_delay_s, workdir, config.class_latency_ms
            )
        )
        started = time.monotonic()
        result["service"] = await _service(config, bootstrap, sim, items, workdir)
        result["service"]["wall_s"] = round(time.monotonic() - started, 2)
        if config.baseline:
            sim.reset()
            started = time.monotonic()
            result["baseline"] = await _baseline(config, bootstrap, sim, items, workdir)
            result["baseline"]["wall_s"] = round(time.monotonic() - started, 2)
            transport = worker_transport(config)
            if config.same_transport_baseline and transport != "httpx":
                sim.reset()
                result["baseline_same_transport"] = await _baseline(
                    config, bootstrap, sim, items, workdir, transport
                )
    result["service"]["transport"] = worker_transport(config)
    result["baseline_ratio"] = baseline_ratio(result)
    result["cpu_ratio"] = cpu_ratio(result)
    result["cpu_ratio_same_transport"] = cpu_ratio(result, "baseline_same_transport")
    return result


def _broker(stack: ExitStack, workdir: Path) -> str:
    """The broker's bootstrap address: KAFKA_BOOTSTRAP_SERVERS, or a throwaway local broker."""
    return str(stack.enter_context(local_kafka(workdir / "kafka")))


def cpu_ratio(result: dict[str, Any], which: str = "baseline") -> float | None:
    """Worker CPU per item as a multiple of the baseline's, measured in the same run."""
    baseline = result.get(which)
    if not baseline or not baseline["cpu_ms_per_item"]:
        return None
    service = float(result["service"]["cpu_ms_per_item"])
    return round(service / float(baseline["cpu_ms_per_item"]), 3)


def baseline_ratio(result: dict[str, Any]) -> float | None:
    """Service throughput as a share of the baseline's, measured in the same run."""
    baseline = result.get("baseline")
    if not baseline or not baseline["throughput_items_per_s"]:
        return None
    service = float(result["service"]["throughput_items_per_s"])
    return round(service / float(baseline["throughput_items_per_s"]), 3)
