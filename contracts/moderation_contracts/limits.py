"""Limits that every payload must respect; they protect the service from hostile or broken input.

The numbers are part of the public contract: they appear in the JSON Schemas and in
contracts/README.md. Raising a limit is an additive change; lowering one is breaking.
"""

from __future__ import annotations

from typing import Final

MAX_MESSAGE_BYTES: Final = 1024 * 1024
"""Largest raw message accepted from outside (requests, human decisions): 1 MiB."""

MAX_INTERNAL_MESSAGE_BYTES: Final = 2 * 1024 * 1024
"""Largest raw message on internal topics, which embed a request plus verdicts: 2 MiB."""

MAX_DEAD_LETTER_BYTES: Final = 4 * 1024 * 1024
"""Largest dead letter: a 2 MiB original grows by a third in base64, plus the error: 4 MiB."""

MAX_JSON_DEPTH: Final = 32
"""Deepest nesting of JSON arrays and objects; checked before any recursive parser runs."""

MAX_TEXT_CHARS: Final = 32 * 1024
"""Longest moderated text, in Unicode code points."""

MAX_PARENT_TEXT_CHARS: Final = 4 * 1024
"""Longest parent-item text given as context."""

MAX_ATTACHMENTS: Final = 4
"""Most attachments in one request."""

MAX_ATTACHMENT_B64_CHARS: Final = 512 * 1024
"""Longest inline base64 attachment, in base64 characters (about 384 KiB of image)."""

MAX_URL_CHARS: Final = 2048
"""Longest attachment URL."""

MAX_ID_CHARS: Final = 128
"""Longest identifier (content, tenant, author, reviewer, task, policy ids)."""

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
"""Identifiers: ASCII letters, digits and . _ : - ; no spaces, no control characters."""

CATEGORY_PATTERN: Final = r"^[a-z][a-z_-]*(/[a-z][a-z_-]*)?$"
"""Category names such as ``violence/graphic`` or ``personal_data``."""

MAX_CATEGORY_CHARS: Final = 64
MAX_CATEGORIES: Final = 32
"""Most category scores in one verdict or decision."""

MAX_RATIONALE_CHARS: Final = 4000
MAX_NOTES_CHARS: Final = 4000
MAX_REASON_CHARS: Final = 500
MAX_ERROR_MESSAGE_CHARS: Final = 2000
MAX_MODELS: Final = 8
MAX_COST_TIERS: Final = 16
MAX_HEADERS: Final = 64
MAX_HEADER_KEY_CHARS: Final = 256
MAX_SHORT_TEXT_CHARS: Final = 64
"""Short free-form labels: surface, stop reason, stage, error code."""
