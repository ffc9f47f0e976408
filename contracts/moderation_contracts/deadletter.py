"""The dead letter: a message the service could not process, kept whole for replay."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, NonNegativeInt, StringConstraints

from moderation_contracts.common import (
    NO_NUL_PATTERN,
    ContractModel,
    FreeText,
    Identifier,
    Payload,
    ShortLabel,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.limits import (
    MAX_DEAD_LETTER_BYTES,
    MAX_ERROR_MESSAGE_CHARS,
    MAX_HEADER_KEY_CHARS,
    MAX_HEADERS,
)

B64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
TopicName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
ErrorMessage = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ERROR_MESSAGE_CHARS, pattern=NO_NUL_PATTERN),
    FreeText,
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _clean_message(message: str) -> str:
    cleaned = message.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return cleaned[:MAX_ERROR_MESSAGE_CHARS] or "unknown error"


class Header(ContractModel):
    """One Kafka header of the original message; the value as base64 (null for no value)."""

    key: Annotated[str, StringConstraints(max_length=MAX_HEADER_KEY_CHARS)]
    value_b64: B64 | None = None


class DeadLetter(Payload):
    """A message that failed for good, with the error and where it came from."""

    schema_name: ClassVar[str] = "dead-letter"
    max_message_bytes: ClassVar[int] = MAX_DEAD_LETTER_BYTES

    original_value_b64: B64 = Field(description="The original message value, base64.")
    original_key_b64: B64 | None = Field(default=None, description="The original key, base64.")
    error_code: ShortLabel = Field(description="Machine token, e.g. invalid_json.")
    error_message: ErrorMessage
    error_schema: ShortLabel | None = Field(
        default=None, description="The contract the message failed, e.g. moderation-request."
    )
    source_topic: TopicName
    source_partition: NonNegativeInt
    source_offset: NonNegativeInt
    stage: ShortLabel | None = Field(default=None, description="The stage that gave up.")
    content_id: Identifier | None = Field(default=None, description="When it could be read.")
    tenant_id: Identifier | None = None
    headers: list[Header] = Field(default_factory=list, max_length=MAX_HEADERS)
    failed_at: UtcDatetime = Field(default_factory=utc_now)

    @classmethod
    def capture(
        cls,
        value: bytes,
        key: bytes | None,
        *,
        error_code: str,
        error_message: str,
        source_topic: str,
        source_partition: int,
        source_offset: int,
        stage: str | None = None,
        error_schema: str | None = None,
        content_id: str | None = None,
        tenant_id: str | None = None,
        headers: Iterable[tuple[str, bytes | None]] = (),
        failed_at: datetime | None = None,
    ) -> DeadLetter:
        """Wrap a raw Kafka record and its error; the message is cut to the allowed length."""
        return cls(
            original_value_b64=_b64(value),
            original_key_b64=None if key is None else _b64(key),
            error_code=error_code,
            error_message=_clean_message(error_message),
            error_schema=error_schema,
            source_topic=source_topic,
            source_partition=source_partition,
            source_offset=source_offset,
            stage=stage,
            content_id=content_id,
            tenant_id=tenant_id,
            headers=[
                Header(key=k, value_b64=None if v is None else _b64(v))
                for k, v in list(headers)[:MAX_HEADERS]
            ],
            failed_at=failed_at or utc_now(),
        )

    def original_value(self) -> bytes:
        """The original message value, for replay."""
        return base64.b64decode(self.original_value_b64)

    def original_key(self) -> bytes | None:
        """The original key, for replay."""
        return None if self.original_key_b64 is None else base64.b64decode(self.original_key_b64)
