"""Ask a Kafka listener whether it speaks Kafka: one ApiVersions round trip, no client library."""

from __future__ import annotations

import socket
import struct

_API_VERSIONS = 18


def _api_versions_request(correlation_id: int) -> bytes:
    client_id = b"moderation-probe"
    # Request header v1: api_key, api_version, correlation_id, client_id (int16-length string).
    body = struct.pack(">hhih", _API_VERSIONS, 0, correlation_id, len(client_id)) + client_id
    return struct.pack(">i", len(body)) + body


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        chunks.extend(chunk)
    return bytes(chunks)


def kafka_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when ``host:port`` answers an ApiVersions request without an error code."""
    correlation_id = 7
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(_api_versions_request(correlation_id))
            (size,) = struct.unpack(">i", _read_exactly(sock, 4))
            payload = _read_exactly(sock, size)
    except (OSError, ConnectionError):
        return False
    if len(payload) < 6:
        return False
    got_id, error_code = struct.unpack(">ih", payload[:6])
    return bool(got_id == correlation_id and error_code == 0)


def parse_bootstrap(servers: str) -> list[tuple[str, int]]:
    """Split ``host:port,host:port`` into pairs (IPv6 literals in brackets are allowed)."""
    pairs: list[tuple[str, int]] = []
    for item in servers.split(","):
        item = item.strip()
        if not item:
            continue
        if "://" in item:
            item = item.split("://", 1)[1]
        host, sep, port = item.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"bootstrap server {item!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))
    if not pairs:
        raise ValueError("no bootstrap servers given")
    return pairs
