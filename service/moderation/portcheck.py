"""Is a listening port free? Checked before a server starts, so a clash is one clear line."""

from __future__ import annotations

import errno
import socket

from moderation.cli_errors import UsageError, port_taken


def ensure_port_free(host: str, port: int, variable: str) -> None:
    """Raise UsageError naming ``variable`` when ``host:port`` cannot be bound."""
    if not 0 <= port <= 65535:
        raise UsageError(f"{variable}={port}: a port is 0 to 65535 (0 = any free port)")
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UsageError(port_taken(host, port, variable)) from None
            raise UsageError(
                f"{variable}={port}: cannot listen on {host}:{port} ({error.strerror}); "
                f"choose another port with {variable}"
            ) from None
