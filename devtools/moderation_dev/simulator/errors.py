"""The simulator's exceptions: one root, API errors that render as the real error body."""

from __future__ import annotations

from collections.abc import Mapping

# HTTP status -> the ``error.type`` the real API uses for it.
ERROR_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_DEFAULT_MESSAGES: Mapping[int, str] = {
    429: "Number of requests has exceeded your rate limit. Please try again later.",
    500: "Internal server error",
    504: "Request timed out",
    529: "Overloaded",
}


class SimulatorError(Exception):
    """Root of every error raised by the simulator."""


class ConfigError(SimulatorError):
    """A run-level option, marker or ``x-simulate`` value that cannot be understood."""


class ApiError(SimulatorError):
    """An error answered to the client with the real API's status, type and body shape."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = ERROR_TYPES.get(status, "api_error")
        self.headers: dict[str, str] = dict(headers or {})


class InvalidRequest(ApiError):
    """400 invalid_request_error."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class NotFound(ApiError):
    """404 not_found_error."""

    def __init__(self, message: str) -> None:
        super().__init__(404, message)


def status_error(status: int, message: str | None = None, retry_after_s: float = 1.0) -> ApiError:
    """An injected error for ``status``; 429 carries ``retry-after`` like the real API."""
    if status < 400 or status > 599:
        raise ConfigError(f"cannot inject HTTP status {status}: use 400-599")
    text = message or _DEFAULT_MESSAGES.get(status, f"Simulated error {status}")
    headers: dict[str, str] = {}
    if status == 429:
        headers["retry-after"] = _seconds(retry_after_s)
    if status == 529 or status >= 500:
        headers["x-should-retry"] = "true"
    return ApiError(status, text, headers)


def _seconds(value: float) -> str:
    """``retry-after`` as a whole number when it is one, else with millisecond precision."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"
