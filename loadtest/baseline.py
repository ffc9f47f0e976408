"""The baseline: a minimal consume -> model call -> produce loop with no framework.

Plain aiokafka (auto-commit), the same prompt and SDK call as the service's triage tier, the
same simulated API, a bounded number of calls in flight, one small JSON output per item. It
has none of the service's guarantees (no in-order acks, no dead letters, no tracing, no
review tier): it is the yardstick for what the framework costs.

Run by the load test as ``python -m loadtest.baseline --bootstrap ... --count N``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

import anthropic
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from moderation.policy import PolicyBook
from moderation.pricing import PriceTable, TokenUsage
from moderation.prompts import system_blocks, triage_messages, verdict_tool
from moderation_contracts import ModerationRequest


async def run(args: argparse.Namespace) -> int:
    policy = PolicyBook.load().for_tenant(args.tenant)
    system = system_blocks(policy, "triage")
    tools = [verdict_tool(policy)]
    prices = PriceTable.default()
    # The SDK's default client (httpx) unless told otherwise: what a minimal loop gets.
    http_client = (
        anthropic.DefaultAioHttpClient(timeout=15.0) if args.transport == "aiohttp" else None
    )
    client = anthropic.AsyncAnthropic(
        api_key=args.api_key,
        base_url=args.base_url,
        timeout=15.0,
        open_telemetry=False,
        http_client=http_client,
    )
    consumer = AIOKafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    print("baseline ready", flush=True)  # the load test waits for this line
    slots = asyncio.Semaphore(args.window)
    done = 0
    finished = asyncio.Event()

    async def handle(value: bytes) -> None:
        nonlocal done
        try:
            request = ModerationRequest.model_validate_json(value)
            message = await client.messages.create(
                model=args.model,
                max_tokens=args.max_tokens,
                system=system,
                messages=triage_messages(request),
                tools=tools,
                tool_choice={"type": "tool", "name": "record_verdict"},
            )
            usage = TokenUsage.of(message.usage)
            cost = float(prices.cost(message.model, usage).total_usd)
            tier = {
                "model": message.model,
                "calls": 1,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cache_read_input_tokens": usage.cache_read_tokens,
                "cache_write_input_tokens": usage.cache_write_tokens,
                "cost_usd": cost,
            }
            out = {"content_id": request.content_id, "cost": {"total_usd": cost, "tiers": [tier]}}
            await producer.send_and_wait(
                args.out_topic, json.dumps(out).encode(), key=request.content_id.encode()
            )
        finally:
            slots.release()
            done += 1
            if done >= args.count:
                finished.set()

    tasks: set[asyncio.Task[None]] = set()

    async def intake() -> None:
        async for record in consumer:
            await slots.acquire()
            task = asyncio.create_task(handle(record.value or b""))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    reader = asyncio.create_task(intake())
    try:
        await finished.wait()
    finally:
        reader.cancel()
        await asyncio.gather(reader, *tasks, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        await client.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.baseline", description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--out-topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", default="sk-loadtest-not-a-real-key")
    parser.add_argument("--count", type=int, required=True, help="stop after this many items")
    parser.add_argument("--window", type=int, default=128, help="calls in flight")
    parser.add_argument("--model", default="claude-haiku-4-5")
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--tenant", default="acme")
    parser.add_argument(
        "--transport",
        choices=("httpx", "aiohttp"),
        default="httpx",
        help="the SDK's HTTP transport: httpx (its default) or aiohttp (DefaultAioHttpClient)",
    )
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
