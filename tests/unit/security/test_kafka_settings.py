"""Kafka TLS and SASL settings reach aiokafka and faust as configured; secrets stay masked."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import ValidationError

from moderation.settings import Settings
from moderation.worker.kafka_config import client_security, faust_credentials

SASL_ENV = {
    "MODERATION_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
    "MODERATION_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
    "MODERATION_KAFKA__SASL_USERNAME": "svc-moderation",
    "MODERATION_KAFKA__SASL_PASSWORD": "kafka-pass-do-not-print",
    "ANTHROPIC_API_KEY": "sk-ant-do-not-print",
}


@pytest.fixture
def sasl_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in SASL_ENV.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_sasl_ssl_from_the_environment_reaches_aiokafka(sasl_settings: Settings) -> None:
    options = client_security(sasl_settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "svc-moderation"
    assert options["sasl_plain_password"] == "kafka-pass-do-not-print"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_sasl_ssl_reaches_faust(sasl_settings: Settings) -> None:
    credentials = faust_credentials(sasl_settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.username == "svc-moderation"
    assert credentials.password == "kafka-pass-do-not-print"
    # What faust's aiokafka driver finally hands to the consumer and producer:
    options = credentials_to_aiokafka_auth(credentials)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_password"] == "kafka-pass-do-not-print"
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_sasl_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_KAFKA__SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("MODERATION_KAFKA__SASL_USERNAME", "u")
    settings = Settings()
    assert "ssl_context" not in client_security(settings)
    options = credentials_to_aiokafka_auth(faust_credentials(settings))
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "PLAIN"


def test_tls_only_with_a_private_ca(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing_ca = tmp_path / "ca.pem"
    monkeypatch.setenv("MODERATION_KAFKA__SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("MODERATION_KAFKA__SSL_CAFILE", str(missing_ca))
    settings = Settings()
    assert settings.kafka.ssl_cafile == missing_ca
    with pytest.raises(FileNotFoundError):
        client_security(settings)  # the CA file is really read, not ignored


def test_plaintext_passes_nothing_extra() -> None:
    settings = Settings()
    assert client_security(settings) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(settings) is None


def test_unknown_protocols_and_mechanisms_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("MODERATION_KAFKA__SASL_MECHANISM", "GSSAPI")
    with pytest.raises(ValidationError, match="sasl_mechanism"):
        Settings()


def test_the_masked_dump_hides_every_secret(sasl_settings: Settings) -> None:
    dumped = repr(sasl_settings.masked()) + repr(sasl_settings) + str(sasl_settings)
    for secret in ("kafka-pass-do-not-print", "sk-ant-do-not-print"):
        assert secret not in dumped
    assert "svc-moderation" in dumped, "non-secret settings stay readable"
