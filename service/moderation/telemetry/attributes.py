"""Span and metric attribute names, and the moderation attributes every hop carries.

Names follow the OpenTelemetry messaging and GenAI semantic conventions (checked against
opentelemetry-semantic-conventions 0.66b2). Moderated text never becomes an attribute; a
SHA-256 ``content_hash`` may.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Final

from opentelemetry.util.types import AttributeValue

# moderation.*
CONTENT_ID: Final = "moderation.content_id"
TENANT_ID: Final = "moderation.tenant_id"
STAGE: Final = "moderation.stage"
ROUTE: Final = "moderation.route"
CONTENT_HASH: Final = "moderation.content_hash"
COST_UNPRICED: Final = "moderation.cost.unpriced"
BATCH: Final = "moderation.batch"

# messaging.*
MESSAGING_SYSTEM: Final = "messaging.system"
MESSAGING_DESTINATION: Final = "messaging.destination.name"
MESSAGING_PARTITION: Final = "messaging.destination.partition.id"
MESSAGING_OPERATION_TYPE: Final = "messaging.operation.type"
MESSAGING_OPERATION_NAME: Final = "messaging.operation.name"
MESSAGING_CONSUMER_GROUP: Final = "messaging.consumer.group.name"
KAFKA_OFFSET: Final = "messaging.kafka.offset"
KAFKA_KEY: Final = "messaging.kafka.message.key"

# gen_ai.*
GENAI_PROVIDER: Final = "gen_ai.provider.name"
GENAI_OPERATION: Final = "gen_ai.operation.name"
GENAI_REQUEST_MODEL: Final = "gen_ai.request.model"
GENAI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GENAI_RESPONSE_ID: Final = "gen_ai.response.id"
GENAI_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GENAI_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GENAI_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GENAI_CACHE_READ_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
# The installed semconv names cache writes "cache_creation"; REFERENCE.md says "cache_write".
# Both are set so either kind of backend query finds them.
GENAI_CACHE_CREATION_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GENAI_CACHE_WRITE_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
GENAI_COST: Final = "gen_ai.usage.cost"
GENAI_COST_AMOUNT: Final = "gen_ai.usage.cost.amount"
GENAI_COST_CURRENCY: Final = "gen_ai.usage.cost.currency"
GENAI_TOKEN_TYPE: Final = "gen_ai.token.type"  # noqa: S105 - an attribute name, not a secret
ERROR_TYPE: Final = "error.type"
SERVER_ADDRESS: Final = "server.address"

PROVIDER_ANTHROPIC: Final = "anthropic"
KAFKA: Final = "kafka"


_content_key: bytes = secrets.token_bytes(32)
"""The HMAC key of :func:`content_hash`: random per process unless the deployment sets one."""


def set_content_hash_key(key: bytes | None) -> None:
    """Use the deployment's secret (``MODERATION_CONTENT_HASH_KEY``) so hashes match across
    workers; None keeps a random per-process key."""
    global _content_key
    _content_key = key if key else secrets.token_bytes(32)


def content_hash(text: str | bytes) -> str:
    """``hmac-sha256:<hex>`` of the content under a secret key, safe to put on a span in place of
    the text: without the key, short common texts cannot be recovered by hashing a dictionary."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return "hmac-sha256:" + hmac.new(_content_key, data, hashlib.sha256).hexdigest()


def error_type(exc_or_type: BaseException | str) -> str:
    """The ``error.type`` value: a given string, else the exception's class name (no message)."""
    return exc_or_type if isinstance(exc_or_type, str) else type(exc_or_type).__name__


def moderation_attributes(
    *,
    content_id: str | None = None,
    tenant_id: str | None = None,
    stage: str | None = None,
    route: str | None = None,
    content_hash: str | None = None,
    extra: Mapping[str, AttributeValue] | None = None,
) -> dict[str, AttributeValue]:
    """The ``moderation.*`` attributes that are set, plus ``extra`` (extra wins on conflicts)."""
    named = {
        CONTENT_ID: content_id,
        TENANT_ID: tenant_id,
        STAGE: stage,
        ROUTE: route,
        CONTENT_HASH: content_hash,
    }
    attributes: dict[str, AttributeValue] = {k: v for k, v in named.items() if v is not None}
    if extra:
        attributes.update(extra)
    return attributes
