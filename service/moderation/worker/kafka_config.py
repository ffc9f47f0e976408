"""Kafka client security settings (TLS, SASL) passed through to aiokafka and faust."""

from __future__ import annotations

import ssl
from typing import Any

from moderation.settings import KafkaSecurity, Settings


def ssl_context(security: KafkaSecurity) -> ssl.SSLContext | None:
    if "SSL" not in security.security_protocol:
        return None
    context = ssl.create_default_context(
        cafile=str(security.ssl_cafile) if security.ssl_cafile else None
    )
    return context


def client_security(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments for aiokafka clients (producer, consumer, admin)."""
    security = (settings or Settings()).kafka
    options: dict[str, Any] = {"security_protocol": security.security_protocol}
    context = ssl_context(security)
    if context is not None:
        options["ssl_context"] = context
    if security.security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = security.sasl_mechanism or "PLAIN"
        options["sasl_plain_username"] = security.sasl_username
        options["sasl_plain_password"] = (
            security.sasl_password.get_secret_value() if security.sasl_password else None
        )
    return options


def faust_credentials(settings: Settings) -> Any:
    """faust's ``broker_credentials`` for the configured protocol (None for PLAINTEXT)."""
    import faust

    security = settings.kafka
    context = ssl_context(security)
    if security.security_protocol.startswith("SASL"):
        password = security.sasl_password.get_secret_value() if security.sasl_password else ""
        mechanism = security.sasl_mechanism or "PLAIN"
        return faust.SASLCredentials(
            username=security.sasl_username or "",
            password=password,
            mechanism=mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None
