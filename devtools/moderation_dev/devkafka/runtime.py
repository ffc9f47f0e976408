"""Fetch the Kafka broker's jars through Maven Central into a cache, once."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "4.1.1"
# Kafka's own jars bring slf4j 1.7 transitively; the broker logs through log4j2, which needs 2.x.
SLF4J_VERSION = "2.0.17"
LOG4J_VERSION = "2.24.3"

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.moderation</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>{kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>{slf4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """status = error
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
"""


class RuntimeFetchError(RuntimeError):
    """Maven could not provide the broker's jars."""


def cache_home() -> Path:
    """Where downloads and broker state live: ``$MODERATION_HOME`` or ``~/.cache/moderation``."""
    configured = os.environ.get("MODERATION_HOME")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "moderation"


@dataclass(frozen=True)
class KafkaRuntime:
    """A complete, cached set of broker jars and its logging configuration."""

    version: str
    root: Path

    @property
    def libs(self) -> Path:
        return self.root / "libs"

    @property
    def classpath(self) -> str:
        return str(self.libs / "*")

    @property
    def log4j_config(self) -> Path:
        return self.root / "log4j2.properties"

    @property
    def complete_marker(self) -> Path:
        return self.root / ".complete"

    def is_complete(self) -> bool:
        return self.complete_marker.exists() and any(self.libs.glob("kafka_2.13-*.jar"))


def runtime_for(version: str = KAFKA_VERSION, home: Path | None = None) -> KafkaRuntime:
    return KafkaRuntime(version=version, root=(home or cache_home()) / "kafka" / version)


def render_pom(version: str) -> str:
    return _POM.format(kafka=version, slf4j=SLF4J_VERSION, log4j=LOG4J_VERSION)


def ensure_runtime(
    version: str = KAFKA_VERSION, home: Path | None = None, *, quiet: bool = False
) -> tuple[KafkaRuntime, bool]:
    """Return the cached runtime, fetching it first if needed; the flag says whether it fetched."""
    runtime = runtime_for(version, home)
    if runtime.is_complete():
        return runtime, False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeFetchError(
            "Maven (mvn) is needed once to fetch the Kafka broker jars; install it (apt-get "
            "install maven) or set KAFKA_BOOTSTRAP_SERVERS to use an existing cluster."
        )
    runtime.root.mkdir(parents=True, exist_ok=True)
    staging = runtime.root / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    pom = runtime.root / "pom.xml"
    pom.write_text(render_pom(version), encoding="utf-8")
    if not quiet:
        print(f"fetching Apache Kafka {version} broker jars through Maven into {runtime.root} ...")
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RuntimeFetchError(f"mvn failed (exit {result.returncode}):\n{tail}")
    shutil.rmtree(runtime.libs, ignore_errors=True)
    staging.rename(runtime.libs)
    runtime.log4j_config.write_text(_LOG4J2, encoding="utf-8")
    runtime.complete_marker.write_text(version + "\n", encoding="utf-8")
    return runtime, True
