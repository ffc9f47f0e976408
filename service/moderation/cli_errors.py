"""One line for every mistake a user can make: what went wrong, which variable or flag, what next.

Every ``moderation`` command runs through :func:`explain`: a known failure becomes one line on
stderr and an exit status (2 for usage or configuration, 1 for a runtime problem); anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic_settings import BaseSettings

USAGE = 2
RUNTIME = 1
DEV_TOOLS_MISSING = (
    "error: the development tools are not installed (package moderation-devtools, folder "
    "devtools/); in a source checkout run `make install`"
)
KAFKA_UP_HINT = "start a local broker with `.venv/bin/moderation dev kafka up`"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
_SECRET_WORDS = ("KEY", "PASSWORD", "SECRET", "TOKEN")


class UsageError(Exception):
    """A setting or flag the user gave is wrong; the message names it. Exit status 2."""


class RuntimeProblem(Exception):
    """Something outside the process is not as needed (broker down, API unreachable). Exit 1."""


@dataclass(frozen=True)
class Explained:
    status: int
    line: str


def bootstrap_servers(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("KAFKA_BOOTSTRAP_SERVERS") or env.get(
        "MODERATION_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP
    )


def kafka_unreachable(servers: str) -> str:
    return (
        f"cannot reach Kafka at {servers} (KAFKA_BOOTSTRAP_SERVERS); {KAFKA_UP_HINT}, "
        "or set KAFKA_BOOTSTRAP_SERVERS to your cluster"
    )


def port_taken(host: str, port: int, variable: str) -> str:
    return (
        f"{variable}={port}: {host}:{port} is already in use by another process; "
        f"stop that process or choose another port with {variable}"
    )


def _settings_classes(root: type[BaseSettings] = BaseSettings) -> Iterator[type[BaseSettings]]:
    for sub in root.__subclasses__():
        yield sub
        yield from _settings_classes(sub)


def _model_for(title: str) -> type[BaseSettings] | None:
    for cls in _settings_classes():
        if cls.__name__ == title:
            return cls
    return None


def env_variable(model: type[BaseModel], loc: tuple[Any, ...], environ: Mapping[str, str]) -> str:
    """The environment variable a pydantic-settings error location came from."""
    parts = [str(part) for part in loc if isinstance(part, str)]
    if not parts:
        return "MODERATION_*"
    field = model.model_fields.get(parts[0])
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices):
        names = [choice for choice in alias.choices if isinstance(choice, str)]
        present = [name for name in names if name in environ]
        if names:
            return (present or names)[0]
    if isinstance(alias, str):
        return alias
    config = getattr(model, "model_config", {})
    prefix = str(config.get("env_prefix", ""))
    delimiter = str(config.get("env_nested_delimiter") or "__")
    return (prefix + delimiter.join(parts)).upper()


_FIELD_PATH = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\b")


def _is_field_path(model: type[BaseModel], path: str) -> bool:
    node: Any = model
    for part in path.split("."):
        fields = getattr(node, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            return False
        node = fields[part].annotation
    return True


def _name_variables(model: type[BaseModel], message: str, environ: Mapping[str, str]) -> str:
    """Field paths in a model-level message (``triage.call_budget_s``) as variable names."""

    def swap(match: re.Match[str]) -> str:
        path = match.group(0)
        if "_" not in path and "." not in path:  # plain words of the sentence
            return path
        if not _is_field_path(model, path):
            return path
        return env_variable(model, tuple(path.split(".")), environ)

    return _FIELD_PATH.sub(swap, message)


def _shown(variable: str, value: Any) -> str:
    if any(word in variable for word in _SECRET_WORDS):
        return "(hidden)"
    return repr(value)


def explain_validation(
    error: ValidationError, environ: Mapping[str, str] | None = None
) -> Explained:
    """``MODERATION_X__Y='bad': what is allowed; fix or unset MODERATION_X__Y``, one per error."""
    env = os.environ if environ is None else environ
    model = _model_for(error.title)
    lines = []
    for problem in error.errors(include_url=False):
        message = problem["msg"].removeprefix("Value error, ")
        if model is None:
            lines.append(f"invalid settings ({error.title}): {message}")
            continue
        if not problem["loc"]:
            named = _name_variables(model, message, env)
            lines.append(f"invalid settings: {named}; change one of the variables it names")
            continue
        variable = env_variable(model, tuple(problem["loc"]), env)
        value = _shown(variable, problem.get("input"))
        lines.append(f"{variable}={value}: {message}; fix or unset {variable}")
    return Explained(USAGE, "\n".join(f"error: {line}" for line in lines))


def _is_kafka_unreachable(error: BaseException) -> bool:
    from aiokafka.errors import KafkaConnectionError

    return isinstance(error, KafkaConnectionError)


def _leaf(error: BaseException) -> BaseException:
    """The one exception inside an exception group (asyncio.TaskGroup wraps them)."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def explain(error: BaseException) -> Explained | None:
    """One line and an exit status for a known failure; None for a bug (keep the traceback)."""
    from moderation.telemetry.errors import TelemetryConfigError

    error = _leaf(error)
    if isinstance(error, UsageError | TelemetryConfigError):
        return Explained(USAGE, f"error: {error}")
    if isinstance(error, RuntimeProblem):
        return Explained(RUNTIME, f"error: {error}")
    if isinstance(error, ValidationError):
        return explain_validation(error)
    if _is_kafka_unreachable(error):
        return Explained(RUNTIME, f"error: {kafka_unreachable(bootstrap_servers())}")
    if isinstance(error, ModuleNotFoundError) and (error.name or "").startswith("moderation_dev"):
        return Explained(USAGE, DEV_TOOLS_MISSING)  # e.g. `moderation eval --simulate`
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return Explained(USAGE, f"error: address already in use: {error.strerror}")
    return None
