"""A throwaway PostgreSQL server for tests and benchmarks, from Debian's ``postgresql`` binaries.

With ``DATABASE_URL`` set, that server is used and nothing starts. Otherwise the binaries under
``/usr/lib/postgresql/*/bin`` are used (installed with apt-get when missing and allowed), a
cluster is initialised in a temporary folder on a free loopback port, run as a non-root user
(PostgreSQL refuses to run as root), and removed again on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from moderation_dev.devkafka import free_port

DATABASE_URL_ENV = "DATABASE_URL"
SUPERUSER = "console"


class PostgresUnavailable(RuntimeError):
    """No server and no way to start one; the message says what to install or set."""


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL ``bin`` folder that has ``initdb``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def install_postgres() -> Path:
    """``apt-get install postgresql`` (root only); returns the bin folder."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresUnavailable(
            "PostgreSQL is not installed: run `apt-get install postgresql` (Debian) or set "
            f"{DATABASE_URL_ENV} to an existing server"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
    )
    found = find_bin_dir()
    if found is None:
        raise PostgresUnavailable("apt-get installed postgresql but initdb is still missing")
    return found


def _run_as() -> tuple[list[str], int | None, int | None]:
    """Command prefix and uid/gid to run the server as someone other than root."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], entry.pw_uid, entry.pw_gid
    raise PostgresUnavailable("running as root and neither user postgres nor nobody exists")


@contextlib.contextmanager
def local_postgres(*, install: bool = True, quiet: bool = True) -> Iterator[str]:
    """Yield a SQLAlchemy URL of a server: ``DATABASE_URL`` if set, else a throwaway cluster."""
    existing = os.environ.get(DATABASE_URL_ENV, "").strip()
    if existing:
        yield existing
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if not install:
            raise PostgresUnavailable(
                f"PostgreSQL binaries missing; install postgresql or set {DATABASE_URL_ENV}"
            )
        bin_dir = install_postgres()
    prefix, uid, gid = _run_as()
    root = Path(tempfile.mkdtemp(prefix="console-pg-"))
    data = root / "data"
    data.mkdir()
    if uid is not None and gid is not None:
        for path in (root, data):
            os.chown(path, uid, gid)
    output = subprocess.DEVNULL if quiet else None
    port = free_port()
    try:
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            stdout=output,
            stderr=output,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            stdout=output,
            stderr=output,
        )
    except subprocess.CalledProcessError as error:
        log = root / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"could not start PostgreSQL ({error}); log:\n{tail}") from None
    try:
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)
