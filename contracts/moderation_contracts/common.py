"""Building blocks shared by every contract: versions, identifiers, timestamps, base models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from moderation_contracts.limits import (
    CATEGORY_PATTERN,
    ID_PATTERN,
    MAX_CATEGORY_CHARS,
    MAX_ID_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_SHORT_TEXT_CHARS,
)

SCHEMA_MAJOR: Final = 1
"""Major version of every contract; a new major means new topics (``*.v2``)."""

SCHEMA_MINOR: Final = 2
"""Bump when a contract gains an optional field or an enum value."""

SCHEMA_VERSION: Final = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"
"""The version this package writes into ``schema_version``."""

SCHEMA_VERSION_PATTERN: Final = rf"^{SCHEMA_MAJOR}\.(0|[1-9][0-9]{{0,3}})$"
"""Versions this package reads: any minor of the current major."""


_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _reject_control_chars(value: object) -> object:
    """Name the offending character so a producer can find it; leaves non-strings alone."""
    if isinstance(value, str) and (found := _CONTROL_CHAR.search(value)) is not None:
        raise ValueError(
            f"control character U+{ord(found.group()):04X} at position {found.start()}"
            " is not allowed"
        )
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _check_free_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    position = value.find("\x00")
    if position >= 0:
        raise ValueError(f"NUL character (U+0000) at position {position} is not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"unpaired surrogate at position {exc.start} is not valid text") from None
    return value


Identifier = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, max_length=MAX_ID_CHARS),
    BeforeValidator(_reject_control_chars),
]
"""An id: 1-128 ASCII letters, digits, ``.``, ``_``, ``:``, ``-``; starts with a letter or digit."""

CategoryName = Annotated[
    str,
    StringConstraints(pattern=CATEGORY_PATTERN, max_length=MAX_CATEGORY_CHARS),
]
"""A policy category such as ``violence/graphic``; the set of names is policy data."""

ShortLabel = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=MAX_SHORT_TEXT_CHARS, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$"
    ),
    BeforeValidator(_reject_control_chars),
]
"""A short machine label (surface, stop reason, stage, error code)."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An ISO 8601 timestamp with an offset; stored and written in UTC (``...Z``)."""

SchemaVersion = Annotated[str, StringConstraints(pattern=SCHEMA_VERSION_PATTERN)]

NO_NUL_PATTERN: Final = r"^[^\x00]*$"

FreeText = BeforeValidator(_check_free_text)
"""Validator for free text: anything but NUL and unpaired surrogates (which are not UTF-8).

Use it after ``StringConstraints(pattern=NO_NUL_PATTERN, ...)``: the pattern documents the rule
in the JSON Schema, this validator runs first and says where the offending character is.
"""


def utc_now() -> datetime:
    """The current time in UTC, the default for ``*_at`` fields the service fills in."""
    return datetime.now(UTC)


class Severity(StrEnum):
    """How harmful the content is in one category."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low up to 2 for high, for comparisons."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK: Final = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


class Tier(StrEnum):
    """Who produced a verdict or a decision."""

    HAIKU = "haiku"
    SONNET = "sonnet"
    HUMAN = "human"
    FALLBACK = "fallback"
    """The policy's fail mode decided because a tier was unavailable."""


class ContractModel(BaseModel):
    """Base of every contract model: immutable, unknown fields ignored, no NaN or infinity."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        allow_inf_nan=False,
        use_attribute_docstrings=False,
    )


class Payload(ContractModel):
    """Base of every message that travels on a topic on its own.

    ``schema_name`` names the contract in errors and in the generated schema file;
    ``max_message_bytes`` bounds the raw message before it is parsed.
    """

    schema_name: ClassVar[str] = "payload"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    schema_version: SchemaVersion = Field(
        default=SCHEMA_VERSION,
        description=(
            f"Contract version as major.minor. Optional on input; defaults to {SCHEMA_VERSION}. "
            f"Only major {SCHEMA_MAJOR} is accepted here."
        ),
    )


class CategoryScore(ContractModel):
    """One policy category with its severity and the judge's confidence."""

    category: CategoryName
    severity: Severity
    confidence: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="0..1; human reviewers may omit it (then 1.0).",
    )
