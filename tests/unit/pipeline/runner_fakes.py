"""A consumed record, its event and a sender, as the stage runner sees them (no Kafka)."""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.streaming.records import Headers, Outbound


@dataclass
class FakeMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: float | None = None


@dataclass
class FakeEvent:
    message: FakeMessage
    acks: list[int] = field(default_factory=list)

    def ack(self) -> bool:
        self.acks.append(self.message.offset)
        return True


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes]] = field(default_factory=list)
    fail_first: int = 0
    log: list[str] = field(default_factory=list)

    async def send(self, record: Outbound, headers: Headers) -> tuple[int, int]:
        if self.fail_first > 0:
            self.fail_first -= 1
            raise ConnectionError("broker away")
        self.sent.append((record.topic, record.value))
        self.log.append(f"sent {record.value.decode()}")
        assert any(name == "traceparent" for name, _ in headers)
        return 0, len(self.sent) - 1
