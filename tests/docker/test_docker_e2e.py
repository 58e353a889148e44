"""The image built and the stacks started on a real Docker Engine, as a user runs them from docker/compose.yaml.

The sim stack (simulated gateway + node) is brought up once for the module and taken down by the last test;
the host-gateway topology runs the simulated gateway as a process on this machine; the paper profile cannot
log in to IB here, so only its refusals without docker/.env or the password file, and its rendered config,
are checked.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from stack import REPO, BuiltImage, Compose, clean_environment, docker, free_port, new_project

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.timeout(1800)]

SIM_ACCOUNT = "DU1234567"
MAX_IMAGE_BYTES = 1_600_000_000
UNHEALTHY_WITHIN_SECS = 60
TEST_PASSWORD = "not-a-real-password-4711"


def test_image_runs_python_312_and_the_locked_nautilus_trader_as_a_non_root_user(node_image: BuiltImage) -> None:
    probe = "import os, sys, nautilus_trader; print(sys.version_info[:2], nautilus_trader.__version__, os.getuid())"
    result = docker("run", "--rm", "--entrypoint", "python", node_image.tag, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("(", 1)[1].startswith("3, 12)")
    assert " 1.231." in result.stdout
    assert result.stdout.split()[-1] == "10001"


def test_image_stays_small(node_image: BuiltImage) -> None:
    size = int(docker("image", "inspect", "-f", "{{.Size}}", node_image.tag).stdout)
    print(f"\nimage {node_image.tag}: {size / 1e6:.0f} MB on {node_image.base}, built in {node_image.build_secs:.0f} s")
    assert size < MAX_IMAGE_BYTES


def test_sim_stack_runs_both_services_healthy(sim_stack: Compose) -> None:
    assert sim_stack.health("sim-gateway") == "healthy"
    assert sim_stack.health("node-sim") == "healthy"


def test_node_answers_healthz_200_on_the_published_localhost_port(sim_stack: Compose) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{sim_stack.host_port}/healthz", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["healthy"] is True
    published = sim_stack.inspect("node-sim")["HostConfig"]["PortBindings"]["8001/tcp"]
    assert published == [{"HostIp": "127.0.0.1", "HostPort": str(sim_stack.host_port)}]


def test_status_through_compose_exec_shows_the_sim_account_and_no_warning(sim_stack: Compose) -> None:
    result = sim_stack.run("exec", "-T", "node-sim", "python", "-m", "nautilus_node", "status")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("HEALTHY")
    assert "sim-gateway:4002" in result.stdout
    assert SIM_ACCOUNT in result.stdout
    assert "warning" not in result.stdout


@pytest.mark.parametrize("service", ["node-sim", "sim-gateway"])
def test_containers_run_read_only_without_capabilities_or_privilege_gain(sim_stack: Compose, service: str) -> None:
    config = sim_stack.inspect(service)["HostConfig"]
    assert config["ReadonlyRootfs"] is True
    assert config["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in config["SecurityOpt"]
    assert config["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "5", "max-size": "10m"}}
    write = sim_stack.run("exec", "-T", service, "touch", "/app/configs/new-file")
    assert write.returncode != 0
    assert "Read-only file system" in write.stderr + write.stdout


def test_node_turns_unhealthy_within_60s_without_its_gateway_and_healthy_after_it_returns(sim_stack: Compose) -> None:
    stop = sim_stack.run("stop", "sim-gateway")
    assert stop.returncode == 0, stop.stderr
    unhealthy_after = sim_stack.wait_health("node-sim", "unhealthy", UNHEALTHY_WITHIN_SECS)
    start = sim_stack.run("start", "sim-gateway")
    assert start.returncode == 0, start.stderr
    healthy_after = sim_stack.wait_health("node-sim", "healthy", 180)
    print(f"\nnode unhealthy {unhealthy_after:.0f} s after the gateway stopped, healthy {healthy_after:.0f} s after")
    assert sim_stack.inspect("node-sim")["RestartCount"] == 0


def test_down_v_leaves_no_container_volume_or_network(sim_stack: Compose) -> None:
    assert all(sim_stack.leftovers().values())
    down = sim_stack.run("down", "-v", "--remove-orphans", "-t", "10")
    assert down.returncode == 0, down.stderr
    assert sim_stack.leftovers() == {"containers": [], "volumes": [], "networks": []}


def _bridge_gateway_address() -> str:
    """The host's address on Docker's default bridge: where `host-gateway` points."""
    result = docker("network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def host_address_and_port() -> tuple[str, int]:
    address = _bridge_gateway_address()
    with socket.socket() as probe:
        probe.bind((address, 0))
        return address, probe.getsockname()[1]


@pytest.fixture
def host_stack(node_image: BuiltImage, host_address_and_port: tuple[str, int]) -> Iterator[Compose]:
    _, port = host_address_and_port
    env = clean_environment(
        NAUTILUS_NODE_IMAGE=node_image.tag,
        NAUTILUS_NODE_HOST_PORT=str(free_port()),
        IB_GATEWAY_PORT=str(port),
        TWS_ACCOUNT=SIM_ACCOUNT,
    )
    stack = Compose(new_project("nn-host"), env, env_file=node_image.empty_env_file, args=["--profile", "host-gateway"])
    try:
        yield stack
    finally:
        stack.run("down", "-v", "--remove-orphans", "-t", "10")


def _wait_for_log(stack: Compose, service: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = stack.run("logs", service).stdout
        if text in logs:
            return next(line for line in logs.splitlines() if text in line)
        time.sleep(1)
    pytest.fail(f"{text!r} never appeared in the {service} log within {timeout:.0f} s")


def test_host_gateway_profile_waits_while_refused_then_trades_on_a_gateway_on_the_host(
    host_stack: Compose, host_address_and_port: tuple[str, int]
) -> None:
    address, port = host_address_and_port
    up = host_stack.run("up", "-d", "--no-build")
    assert up.returncode == 0, up.stderr
    refused = f"waiting for IB Gateway API at host.docker.internal:{port}: connection refused"
    line = _wait_for_log(host_stack, "node-host", refused, 90)
    assert line.rstrip().endswith("s left")
    command = [sys.executable, "-m", "nautilus_node", "gateway", "--host", address, "--port", str(port)]
    gateway = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        host_stack.wait_health("node-host", "healthy", 180)
        status = host_stack.run("exec", "-T", "node-host", "python", "-m", "nautilus_node", "status")
        assert f"host.docker.internal:{port}" in status.stdout
        assert host_stack.inspect("node-host")["RestartCount"] == 0
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)


def _paper_dir(tmp_path: Path, env: bool, password: bool) -> Path:
    """A stand-in for docker/: the user's docker/.env (from .env.example) and password file, or not."""
    if env:
        example = (REPO / "docker" / ".env.example").read_text()
        filled = example.replace("TWS_USERID=\n", "TWS_USERID=dummy-paper-user\n").replace(
            "TWS_ACCOUNT=\n", f"TWS_ACCOUNT={SIM_ACCOUNT}\n"
        )
        (tmp_path / ".env").write_text(filled)
    if password:
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "tws_password").write_text(TEST_PASSWORD)
    return tmp_path


def _paper(node_image: BuiltImage, project_dir: Path) -> Compose:
    env = clean_environment(NAUTILUS_NODE_IMAGE=node_image.tag, NAUTILUS_NODE_HOST_PORT=str(free_port()))
    return Compose(new_project("nn-paper"), env, project_dir=project_dir)


def test_paper_profile_without_docker_env_stops_with_one_line_naming_it(node_image: BuiltImage, tmp_path: Path) -> None:
    paper = _paper(node_image, _paper_dir(tmp_path, env=False, password=True))
    up = paper.run("--profile", "paper", "up", "-d", "--no-build")
    assert up.returncode != 0
    assert up.stderr.strip().splitlines() == [
        f"env file {tmp_path}/.env not found: stat {tmp_path}/.env: no such file or directory"
    ]
    assert paper.leftovers() == {"containers": [], "volumes": [], "networks": []}


def test_paper_profile_without_the_password_file_fails_naming_it(node_image: BuiltImage, tmp_path: Path) -> None:
    paper = _paper(node_image, _paper_dir(tmp_path, env=True, password=False))
    try:
        up = paper.run("up", "-d", "--no-build", "--pull", "never")
        assert up.returncode != 0
        assert f"bind source path does not exist: {tmp_path}/secrets/tws_password" in up.stderr
        assert docker("ps", "-q", "--filter", f"label=com.docker.compose.project={paper.project}").stdout == ""
    finally:
        paper.run("down", "-v", "-t", "5")


def test_paper_config_renders_the_password_as_a_file_reference_only(node_image: BuiltImage, tmp_path: Path) -> None:
    paper = _paper(node_image, _paper_dir(tmp_path, env=True, password=True))
    config = paper.run("config")
    assert config.returncode == 0, config.stderr
    assert TEST_PASSWORD not in config.stdout + config.stderr
    assert f"file: {tmp_path}/secrets/tws_password" in config.stdout
    assert "TWS_PASSWORD_FILE: /run/secrets/tws_password" in config.stdout
