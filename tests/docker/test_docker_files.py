"""The container setup: docker/Dockerfile, docker/compose.yaml and docker/.env.example.

These checks need no engine (test_docker_e2e.py builds and runs the image): hadolint lints the Dockerfile,
and docker-compose validates and resolves the compose file (`config`), whose resolved form the tests read for
the wiring. The gateways' health checks are bash scripts; they run here for real against local stand-in
servers that behave like IB Gateway behind socat (IB Gateway itself cannot run here).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nautilus_node.live.gateway_probe import handshake_request

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE_FILE = DOCKER / "compose.yaml"
ENV_EXAMPLE = DOCKER / ".env.example"

CREDENTIAL_NAME = re.compile(r"PASSWORD|USERID|SECRET|TOKEN|PASSPHRASE", re.IGNORECASE)
HANDSHAKE_REPLY = b"200\x0020261125 12:00:00 UTC\x00"
NODE_SERVICES = {"paper": "node", "sim": "node-sim"}
GATEWAY_SERVICES = {"paper": ("ib-gateway", 4004), "sim": ("sim-gateway", 4002)}


def _tool(name: str) -> str:
    """The project's own copy of a linter (a dev dependency), else one on PATH; a missing one is a failure."""
    local = REPO / ".venv" / "bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (dev dependency: uv sync installs it into .venv)")
    return found


def _compose(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run docker-compose on the real compose file, with `project_dir` holding the .env (as docker/ would)."""
    command = [_tool("docker-compose"), "-f", str(COMPOSE_FILE), "--project-directory", str(project_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _resolved(project_dir: Path, profile: str) -> dict[str, Any]:
    result = _compose(project_dir, "--profile", profile, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _write_env(directory: Path, **overrides: str) -> Path:
    """docker/.env as a user makes it: .env.example with dummy test values filled in."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    values = {"TWS_USERID": "dummy-paper-user", "TWS_ACCOUNT": "DU1234567", **overrides}
    out = []
    for line in lines:
        name = line.split("=", 1)[0]
        out.append(f"{name}={values.pop(name)}" if name in values and not line.startswith("#") else line)
    out += [f"{name}={value}" for name, value in values.items()]
    (directory / ".env").write_text("\n".join(out) + "\n")
    return directory


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _resolved(_write_env(tmp_path_factory.mktemp("paper")), "paper")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _resolved(tmp_path_factory.mktemp("sim-without-env"), "sim")


@pytest.fixture(scope="module")
def profiles(paper: dict[str, Any], sim: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"paper": paper, "sim": sim}


# ---- Dockerfile ---------------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint_without_findings() -> None:
    result = subprocess.run(
        [_tool("hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_reports_the_findings_of_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN pip install uv\n")
    result = subprocess.run(
        [_tool("hadolint"), "--no-color", str(careless)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image
    assert "DL3013" in result.stdout  # unpinned pip package


def test_every_hadolint_ignore_in_the_dockerfile_is_preceded_by_its_reason() -> None:
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore" in line:
            previous = lines[number - 1].strip() if number else ""
            assert previous.startswith("#") and len(previous) > 10, f"line {number + 1}: ignore without reason"


def test_dockerfile_installs_the_locked_dependencies_on_python_312_slim() -> None:
    text = DOCKERFILE.read_text()
    bases = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    stages = set(re.findall(r"^FROM \S+ AS (\S+)", text, re.MULTILINE))
    assert bases and all(base == "${BASE_IMAGE}" or base in stages for base in bases)
    assert re.search(r"^ARG BASE_IMAGE=python:3\.12-slim-bookworm$", text, re.MULTILINE)
    assert "uv sync --frozen --no-dev" in text
    for source in ("uv.lock", "nautilus_node", "strategies", "configs", "catalog"):
        assert re.search(rf"^COPY .*\b{source}\b", text, re.MULTILINE), f"{source} is not copied into the image"


def test_dockerfile_runs_the_node_as_a_non_root_user() -> None:
    users = re.findall(r"^USER (\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    assert users, "no USER instruction: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_health_check_is_the_node_status_check() -> None:
    text = DOCKERFILE.read_text()
    healthcheck = re.search(r"^HEALTHCHECK (.*?)(?<!\\)$", text, re.MULTILINE | re.DOTALL)
    assert healthcheck is not None
    assert '"nautilus_node", "status", "--check"' in healthcheck.group(1)


def test_build_context_admits_only_what_the_image_copies() -> None:
    rules = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*", "the build context must start from nothing (no .venv, .git or docker/secrets)"
    admitted = {rule[1:] for rule in rules if rule.startswith("!")}
    copied = set()
    for sources in re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", DOCKERFILE.read_text(), re.MULTILINE):
        copied.update(sources.split())
    assert copied == admitted
    assert not admitted & {".venv", ".git", "docker", "results", "logs"}


# ---- compose: validation ------------------------------------------------------------------------------------


def test_compose_file_is_valid_in_the_paper_profile_with_an_env_file(tmp_path: Path) -> None:
    result = _compose(_write_env(tmp_path), "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_file_is_valid_in_the_sim_profile_without_any_env_file(tmp_path: Path) -> None:
    result = _compose(tmp_path, "--profile", "sim", "config", "-q")
    assert result.returncode == 0, result.stderr


def test_env_example_selects_the_paper_profile_by_default(tmp_path: Path) -> None:
    result = _compose(_write_env(tmp_path), "config", "--services")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"ib-gateway", "node"}


def test_paper_profile_refuses_to_start_without_docker_env(tmp_path: Path) -> None:
    result = _compose(tmp_path, "--profile", "paper", "config", "-q")
    assert result.returncode != 0
    assert ".env" in result.stderr


def test_each_profile_runs_one_gateway_and_one_node(profiles: dict[str, dict[str, Any]]) -> None:
    assert set(profiles["paper"]["services"]) == {"ib-gateway", "node"}
    assert set(profiles["sim"]["services"]) == {"sim-gateway", "node-sim"}


def test_image_builds_from_the_repository_root(tmp_path: Path) -> None:
    build = _resolved(tmp_path, "sim")["services"]["node-sim"]["build"]
    # The project directory stands for docker/, so the build context is the repository root.
    assert os.path.relpath(build["context"], tmp_path) == ".."
    assert (DOCKER.parent / build["dockerfile"]).resolve() == DOCKERFILE


# ---- compose: wiring ----------------------------------------------------------------------------------------


def test_paper_node_reaches_ib_gateway_through_its_paper_relay_port(paper: dict[str, Any]) -> None:
    node = paper["services"]["node"]
    assert node["environment"]["IB_GATEWAY_HOST"] == "ib-gateway"
    assert node["environment"]["IB_GATEWAY_PORT"] == "4004"
    assert "ib-gateway" in node["depends_on"]


def test_sim_node_reaches_the_simulated_gateway(sim: dict[str, Any]) -> None:
    node = sim["services"]["node-sim"]
    gateway = sim["services"]["sim-gateway"]
    assert node["environment"]["IB_GATEWAY_HOST"] == "sim-gateway"
    assert node["environment"]["IB_GATEWAY_PORT"] == "4002"
    assert node["depends_on"]["sim-gateway"]["condition"] == "service_healthy"
    assert gateway["command"] == [
        "gateway",
        "--host",
        "0.0.0.0",
        "--port",
        "4002",
        "--account",
        "DU1234567",
        "--always-open",
    ]
    assert node["environment"]["TWS_ACCOUNT"] == "DU1234567"


@pytest.mark.parametrize("profile", ["paper", "sim"])
def test_node_waits_for_the_gateway_api_and_restarts_on_failure(
    profiles: dict[str, dict[str, Any]], profile: str
) -> None:
    node = profiles[profile]["services"][NODE_SERVICES[profile]]
    assert node["command"][:2] == ["run", "configs/paper.toml"]
    assert "--wait-gateway" in node["command"]
    assert node["restart"] == "on-failure"


@pytest.mark.parametrize("profile", ["paper", "sim"])
def test_node_status_server_listens_on_all_container_interfaces(
    profiles: dict[str, dict[str, Any]], profile: str
) -> None:
    environment = profiles[profile]["services"][NODE_SERVICES[profile]]["environment"]
    assert environment["NAUTILUS_NODE_STATUS_HOST"] == "0.0.0.0"
    assert environment["NAUTILUS_NODE_STATUS_PORT"] == "8001"


@pytest.mark.parametrize("profile", ["paper", "sim"])
def test_node_keeps_catalog_logs_and_results_in_volumes(profiles: dict[str, dict[str, Any]], profile: str) -> None:
    volumes = profiles[profile]["services"][NODE_SERVICES[profile]]["volumes"]
    assert {(v["type"], v["target"]) for v in volumes} >= {
        ("volume", "/app/catalog"),
        ("volume", "/app/logs"),
        ("volume", "/app/results"),
    }


@pytest.mark.parametrize("profile", ["paper", "sim"])
def test_only_the_status_port_is_published_and_only_on_localhost(
    profiles: dict[str, dict[str, Any]], profile: str
) -> None:
    published = {name: service.get("ports", []) for name, service in profiles[profile]["services"].items()}
    assert {name for name, ports in published.items() if ports} == {NODE_SERVICES[profile]}
    for ports in published.values():
        for port in ports:
            assert port["host_ip"] == "127.0.0.1", port
    assert [(p["published"], p["target"]) for p in published[NODE_SERVICES[profile]]] == [("8001", 8001)]


def test_ib_gateway_image_is_pinned_to_a_release_by_digest() -> None:
    image = re.search(r"image: (ghcr\.io/gnzsnz/ib-gateway:\S+)", COMPOSE_FILE.read_text())
    assert image is not None
    assert re.fullmatch(r"ghcr\.io/gnzsnz/ib-gateway:\d+\.\d+\.\w+@sha256:[0-9a-f]{64}", image.group(1))


def test_ib_gateway_runs_in_paper_mode_whatever_docker_env_says(tmp_path: Path) -> None:
    config = _resolved(_write_env(tmp_path, TRADING_MODE="live"), "paper")
    assert config["services"]["ib-gateway"]["environment"]["TRADING_MODE"] == "paper"


def test_ib_gateway_exposes_the_read_only_api_setting(tmp_path: Path) -> None:
    config = _resolved(_write_env(tmp_path, READ_ONLY_API="yes"), "paper")
    assert config["services"]["ib-gateway"]["environment"]["READ_ONLY_API"] == "yes"


def test_vnc_stays_off_even_when_docker_env_sets_a_vnc_password(tmp_path: Path) -> None:
    config = _resolved(_write_env(tmp_path, VNC_SERVER_PASSWORD="letmein"), "paper")
    environment = config["services"]["ib-gateway"]["environment"]
    assert environment["VNC_SERVER_PASSWORD"] == ""
    assert environment["VNC_SERVER_PASSWORD_FILE"] == ""


# ---- compose: credentials and live trading ------------------------------------------------------------------


def test_no_credential_is_interpolated_with_a_default() -> None:
    for name, operator in re.findall(r"\$\{(\w+)(:?[-?+]?)", COMPOSE_FILE.read_text()):
        if CREDENTIAL_NAME.search(name):
            assert operator not in {":-", "-", ":+", "+"}, f"${{{name}}} has a default"


def test_ib_password_reaches_the_gateway_only_as_a_docker_secret(paper: dict[str, Any]) -> None:
    gateway = paper["services"]["ib-gateway"]
    assert "TWS_PASSWORD" not in gateway["environment"]
    assert gateway["environment"]["TWS_PASSWORD_FILE"] == "/run/secrets/tws_password"
    assert gateway["secrets"] == [{"source": "tws_password", "target": "/run/secrets/tws_password"}]
    assert paper["secrets"]["tws_password"]["file"].endswith("/secrets/tws_password")
    assert not any(CREDENTIAL_NAME.search(name) for name in paper["services"]["node"]["environment"])


def test_env_example_ships_no_credentials() -> None:
    assignments = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")
    )
    assert assignments["TWS_USERID"] == ""
    assert not any(CREDENTIAL_NAME.search(name) and value for name, value in assignments.items())
    assert "TWS_PASSWORD" not in assignments


def test_env_example_documents_every_variable_the_compose_file_reads() -> None:
    documented = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if re.match(r"^\w+=", line)}
    read = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text()))
    assert read, "the compose file reads no variables at all"
    assert read <= documented, f"not in .env.example: {sorted(read - documented)}"
    assert {"COMPOSE_PROFILES", "TWS_USERID"} <= documented


def test_docker_env_and_the_password_file_are_git_ignored() -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, timeout=30).returncode == 0

    assert ignored("docker/.env")
    assert ignored("docker/secrets/tws_password")
    assert not ignored("docker/.env.example")


def test_compose_never_enables_live_trading(tmp_path: Path, profiles: dict[str, dict[str, Any]]) -> None:
    settings = [line for line in COMPOSE_FILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not any("NAUTILUS_NODE_ALLOW_LIVE" in line for line in settings)
    assert not re.search(r"^NAUTILUS_NODE_ALLOW_LIVE=", ENV_EXAMPLE.read_text(), re.MULTILINE)
    # Even a docker/.env that asks for it does not reach a node.
    asking = _resolved(_write_env(tmp_path, NAUTILUS_NODE_ALLOW_LIVE="yes"), "paper")
    for config in (asking, *profiles.values()):
        for name, service in config["services"].items():
            assert "--live" not in (service.get("command") or []), name
            if name in NODE_SERVICES.values():
                assert "NAUTILUS_NODE_ALLOW_LIVE" not in service["environment"], name


# ---- gateway health checks, run for real against stand-in servers --------------------------------------------


class StandInGateway:
    """A local TCP server in one of the states a health check must tell apart; records what it received.

    `answer`: IB Gateway logged in (replies to the handshake with a server version and time).
    `close`:  socat relaying to a gateway that is down (accepts, then hangs up at once).
    `silent`: a gateway that accepts but never answers.
    """

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.received = b""
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(20)
        self.port = self._server.getsockname()[1]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        with conn:
            if self.behaviour == "close":
                return
            conn.settimeout(10)
            expected = len(handshake_request())
            while len(self.received) < expected:
                chunk = conn.recv(expected - len(self.received))
                if not chunk:
                    return
                self.received += chunk
            if self.behaviour == "answer":
                conn.sendall(len(HANDSHAKE_REPLY).to_bytes(4, "big") + HANDSHAKE_REPLY)
            self._done.wait(15)

    def close(self) -> None:
        self._done.set()
        self._server.close()
        self._thread.join(timeout=5)


@pytest.fixture
def stand_in(request: pytest.FixtureRequest) -> Iterator[StandInGateway]:
    server = StandInGateway(request.param)
    yield server
    server.close()


def _run_health_check(config: dict[str, Any], service: str, container_port: int, port: int) -> int:
    """Run a service's own health-check command here, aimed at `port` instead of its container port."""
    test = config["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "bash", "-c"]
    script = test[3]
    assert f"/dev/tcp/127.0.0.1/{container_port}" in script
    script = script.replace(f"/dev/tcp/127.0.0.1/{container_port}", f"/dev/tcp/127.0.0.1/{port}")
    return subprocess.run(["bash", "-c", script], capture_output=True, timeout=30).returncode


@pytest.mark.parametrize("profile", ["paper", "sim"])
@pytest.mark.parametrize("stand_in", ["answer"], indirect=True)
def test_gateway_health_check_passes_when_the_api_answers_the_handshake(
    profiles: dict[str, dict[str, Any]], profile: str, stand_in: StandInGateway
) -> None:
    service, container_port = GATEWAY_SERVICES[profile]
    assert _run_health_check(profiles[profile], service, container_port, stand_in.port) == 0
    assert stand_in.received == handshake_request()


@pytest.mark.parametrize("profile", ["paper", "sim"])
@pytest.mark.parametrize("stand_in", ["close"], indirect=True)
def test_gateway_health_check_fails_when_the_relay_accepts_but_the_gateway_is_down(
    profiles: dict[str, dict[str, Any]], profile: str, stand_in: StandInGateway
) -> None:
    service, container_port = GATEWAY_SERVICES[profile]
    assert _run_health_check(profiles[profile], service, container_port, stand_in.port) != 0


@pytest.mark.parametrize("stand_in", ["silent"], indirect=True)
def test_gateway_health_check_fails_when_the_api_never_answers(paper: dict[str, Any], stand_in: StandInGateway) -> None:
    assert _run_health_check(paper, "ib-gateway", 4004, stand_in.port) != 0
    assert stand_in.received == handshake_request()


@pytest.mark.parametrize("profile", ["paper", "sim"])
def test_gateway_health_check_fails_when_nothing_listens(profiles: dict[str, dict[str, Any]], profile: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        free_port = placeholder.getsockname()[1]
    service, container_port = GATEWAY_SERVICES[profile]
    assert _run_health_check(profiles[profile], service, container_port, free_port) != 0
