"""``moderation console``: serve the review console, migrate its database, manage accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

PASSWORD_ENV = "MODERATION_CONSOLE_PASSWORD"  # noqa: S105 - a variable name, not a secret


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = commands.add_parser(
        "console",
        help="the review console for trust-and-safety reviewers (web UI + JSON API)",
        description=(
            "Ingest human-review tasks into a database, serve the reviewers' web UI and JSON "
            "API, and publish their decisions through an outbox. The database comes from "
            "DATABASE_URL (default: an SQLite file under .run/); every other setting is a "
            "MODERATION_CONSOLE_* variable, see the console README."
        ),
    )
    tools = console.add_subparsers(dest="console_command", metavar="ACTION", required=True)
    serve = tools.add_parser("serve", help="run the console (web server, ingest, outbox)")
    serve.add_argument("--port", type=int, help="web port (default 8080)")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not upgrade the schema at start-up"
    )
    serve.set_defaults(handler=run_serve)
    tools.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        handler=run_migrate
    )
    user = tools.add_parser(
        "add-user",
        help="add a reviewer, senior or admin",
        description=f"The password is read from {PASSWORD_ENV} or asked for on the terminal "
        "(leave it empty for proxy-mode or token-only users).",
    )
    user.add_argument("username")
    user.add_argument("--role", choices=["reviewer", "senior", "admin"], default="reviewer")
    user.add_argument(
        "--tenants", default="", help="comma-separated tenant ids the user works on ('*' = all)"
    )
    user.add_argument("--no-password", action="store_true", help="no password sign-in")
    user.set_defaults(handler=run_add_user)
    trial = tools.add_parser(
        "demo",
        help="open the console on the human-review tasks `make demo` left (no broker)",
        description="Import .run/demo-human-tasks.jsonl into the embedded database, print a "
        "fresh password for the 'demo' admin, and serve the console offline (decisions stay "
        "in the outbox).",
    )
    trial.add_argument(
        "--tasks",
        type=Path,
        default=Path(".run/demo-human-tasks.jsonl"),
        help="JSON lines of HumanReviewTask (default: what `make demo` keeps)",
    )
    trial.add_argument("--port", type=int, help="web port (default 8080)")
    trial.set_defaults(handler=run_trial_command)
    token = tools.add_parser("add-token", help="create an API token for a user (printed once)")
    token.add_argument("username")
    token.add_argument("--name", default="script", help="what the token is for")
    token.set_defaults(handler=run_add_token)


def _settings(**flags: Any) -> object:
    """The console's settings: command-line ``flags`` (those given) over the environment."""
    from moderation.console.settings import ConsoleSettings

    try:
        return ConsoleSettings(
            **{name: value for name, value in flags.items() if value is not None}
        )
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        name = "MODERATION_CONSOLE_" + "__".join(str(p) for p in first["loc"]).upper()
        print(f"error: {name}: {first['msg']}", file=sys.stderr)
        return None


def _engine() -> object:
    from moderation.console.db import make_engine, migrate
    from moderation.console.settings import ConsoleSettings

    settings = _settings()
    if not isinstance(settings, ConsoleSettings):
        return None
    engine = make_engine(settings.url())
    migrate(engine)
    return engine


def run_serve(args: argparse.Namespace) -> int:
    from moderation.console.server import serve
    from moderation.console.settings import ConsoleSettings
    from moderation.log_privacy import cap_payload_loggers

    settings = _settings(port=args.port, host=args.host)
    if not isinstance(settings, ConsoleSettings):
        return 2
    logging.basicConfig(
        level=settings.log_level.upper().replace("WARN", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    cap_payload_loggers()
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # SQL echo would carry content
    asyncio.run(serve(settings, run_migrations=not args.no_migrate))
    return 0


def run_trial_command(args: argparse.Namespace) -> int:
    from moderation.console.settings import ConsoleSettings
    from moderation.console.trial import run_trial

    # Plain http locally: cookies without the Secure flag unless the environment says otherwise.
    plain_http = None if "MODERATION_CONSOLE_SECURE_COOKIES" in os.environ else False
    settings = _settings(port=args.port, secure_cookies=plain_http)
    if not isinstance(settings, ConsoleSettings):
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return run_trial(settings, args.tasks, sys.stdout)


def run_migrate(args: argparse.Namespace) -> int:
    engine = _engine()
    if engine is None:
        return 2
    print("console database: schema is up to date")
    return 0


def run_add_user(args: argparse.Namespace) -> int:
    from sqlalchemy import Engine

    from moderation.console.accounts import AccountError, add_user
    from moderation.console.db import sessions
    from moderation.console.models import Role

    engine = _engine()
    if not isinstance(engine, Engine):
        return 2
    password: str | None = None
    if not args.no_password:
        password = os.environ.get(PASSWORD_ENV) or getpass.getpass(
            f"password for {args.username}: "
        )
    tenants = [t.strip() for t in args.tenants.split(",") if t.strip()]
    try:
        with sessions(engine).begin() as session:
            add_user(
                session, args.username, Role(args.role), tenants, password, now=datetime.now(UTC)
            )
    except AccountError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"added {args.role} {args.username}")
    return 0


def run_add_token(args: argparse.Namespace) -> int:
    from sqlalchemy import Engine

    from moderation.console.accounts import add_token, user_named
    from moderation.console.db import sessions

    engine = _engine()
    if not isinstance(engine, Engine):
        return 2
    with sessions(engine).begin() as session:
        user = user_named(session, args.username)
        if user is None:
            print(f"error: no user {args.username!r}", file=sys.stderr)
            return 2
        token = add_token(session, user, args.name, now=datetime.now(UTC))
    print(token)
    return 0
