"""The moderation request that upstream services publish: one item of user content."""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from moderation_contracts.common import (
    NO_NUL_PATTERN,
    ContractModel,
    FreeText,
    Identifier,
    Payload,
    ShortLabel,
    UtcDatetime,
)
from moderation_contracts.limits import (
    MAX_ATTACHMENT_B64_CHARS,
    MAX_ATTACHMENTS,
    MAX_MESSAGE_BYTES,
    MAX_PARENT_TEXT_CHARS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
)

URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f]+$"
LOCALE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$"
BASE64_PATTERN = r"^[A-Za-z0-9+/]*={0,2}$"


class ImageMediaType(StrEnum):
    """Image formats the models accept."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    GIF = "image/gif"
    WEBP = "image/webp"


def _check_base64(value: str) -> str:
    if len(value) % 4:
        raise ValueError("base64 length must be a multiple of 4 (standard alphabet, padded)")
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not valid base64: {exc}") from None
    return value


Base64Data = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_ATTACHMENT_B64_CHARS, pattern=BASE64_PATTERN),
    AfterValidator(_check_base64),
]

ModeratedText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS, pattern=NO_NUL_PATTERN),
    FreeText,
]
ParentText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_PARENT_TEXT_CHARS, pattern=NO_NUL_PATTERN),
    FreeText,
]


class Attachment(ContractModel):
    """An image, either fetched from ``url`` or given inline as base64 ``data``."""

    kind: Literal["image"] = "image"
    url: Annotated[str, StringConstraints(max_length=MAX_URL_CHARS, pattern=URL_PATTERN)] | None = (
        Field(default=None, description="http(s) URL the service may fetch; no credentials.")
    )
    data: Base64Data | None = Field(
        default=None, description="Standard padded base64 of the image bytes, no data: prefix."
    )
    media_type: ImageMediaType | None = Field(
        default=None, description="Required with data; optional with url."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.url is None) == (self.data is None):
            raise ValueError("an attachment needs exactly one of url or data")
        if self.data is not None and self.media_type is None:
            raise ValueError("media_type is required when data is given")
        return self

    def decoded(self) -> bytes | None:
        """The inline image bytes, or None for a URL attachment."""
        return None if self.data is None else base64.b64decode(self.data)


class RequestContext(ContractModel):
    """Where the content appears; helps the judge without being moderated itself."""

    surface: ShortLabel | None = Field(
        default=None, description="Product surface, e.g. comment, post, message, profile."
    )
    parent_id: Identifier | None = Field(
        default=None, description="content_id of the item this one replies to."
    )
    parent_text: ParentText | None = Field(
        default=None, description="Text of the parent item, for context only."
    )


class ModerationRequest(Payload):
    """One item of user content to moderate. ``content_id`` is the idempotency key."""

    schema_name: ClassVar[str] = "moderation-request"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    content_id: Identifier = Field(
        description="Unique per item within the tenant; the Kafka key; re-sends are deduplicated."
    )
    tenant_id: Identifier
    text: ModeratedText | None = Field(default=None, description="The text to moderate.")
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    author_id: Identifier | None = None
    locale: Annotated[str, StringConstraints(max_length=35, pattern=LOCALE_PATTERN)] | None = Field(
        default=None, description="BCP 47 language tag, e.g. en or pt-BR."
    )
    context: RequestContext | None = None
    submitted_at: UtcDatetime = Field(description="When the user submitted the content.")

    @model_validator(mode="after")
    def _has_content(self) -> Self:
        if self.text is None and not self.attachments:
            raise ValueError("a request needs text, attachments, or both")
        return self
