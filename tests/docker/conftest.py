"""A real Docker Engine, the node's image and the simulated-gateway stack, for the end-to-end tests.

The engine is installed and started when missing (tests/docker/engine.py); the base image is the official
`python:3.12-slim-bookworm` when it is present or can be pulled, else the stand-in docker/local_base.py builds.
The image is built once per session and tagged per checkout; every stack runs under its own compose project
name with the status port published on a free host port, so runs beside a developer's stack do not collide.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from collections.abc import Iterator
from types import ModuleType

import pytest
from engine import EngineError, engine_answers, ensure_installed, install_debian_packages, start_dockerd, stop_dockerd
from stack import (
    HEALTHY_TIMEOUT_SECS,
    IMAGE,
    OFFICIAL_BASE,
    REPO,
    BuiltImage,
    Compose,
    clean_environment,
    docker,
    free_port,
    new_project,
)


def _load_local_base() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_base", REPO / "docker" / "local_base.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Docker Engine that answers; one started here is stopped at the end of the session."""
    started = None
    try:
        ensure_installed()
        if not engine_answers():
            started = start_dockerd(tmp_path_factory.mktemp("dockerd"))
    except EngineError as error:
        pytest.fail(f"no Docker Engine: {error}")
    yield
    if started is not None:
        stop_dockerd(started)


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    """The official base when it is here or can be pulled; otherwise the local stand-in (built once, kept)."""
    if docker("image", "inspect", OFFICIAL_BASE).returncode == 0:
        return OFFICIAL_BASE
    if docker("pull", OFFICIAL_BASE, timeout=300).returncode == 0:
        return OFFICIAL_BASE
    local_base = _load_local_base()
    try:
        if not local_base.image_exists() and shutil.which("debootstrap") is None:
            install_debian_packages("debootstrap")
        return local_base.ensure_base()
    except (EngineError, local_base.LocalBaseError) as error:
        pytest.fail(f"{OFFICIAL_BASE} cannot be pulled and no stand-in could be built: {error}")


@pytest.fixture(scope="session")
def node_image(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    """The node's image, built as a user builds it (compose build) on the base, with no docker/.env read."""
    empty_env = tmp_path_factory.mktemp("env") / "empty.env"
    empty_env.write_text("")
    env = clean_environment(NAUTILUS_NODE_IMAGE=IMAGE, NAUTILUS_NODE_BASE_IMAGE=base_image)
    build = Compose(new_project("nn-build"), env, env_file=empty_env, args=["--profile", "sim"])
    started = time.monotonic()
    result = build.run("build", timeout=1500)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:] or result.stdout[-3000:]
    print(f"\nimage {IMAGE} built on {base_image} in {seconds:.0f} s")
    return BuiltImage(IMAGE, base_image, seconds, empty_env)


@pytest.fixture(scope="module")
def sim_stack(node_image: BuiltImage) -> Iterator[Compose]:
    """`--profile sim up -d` on the built image, healthy; taken down with its volumes afterwards."""
    port = free_port()
    env = clean_environment(NAUTILUS_NODE_IMAGE=node_image.tag, NAUTILUS_NODE_HOST_PORT=str(port))
    stack = Compose(new_project("nn-e2e"), env, env_file=node_image.empty_env_file, args=["--profile", "sim"])
    stack.host_port = port
    started = time.monotonic()
    try:
        up = stack.run("up", "-d", "--no-build")
        assert up.returncode == 0, up.stderr
        stack.wait_health("sim-gateway", "healthy", HEALTHY_TIMEOUT_SECS)
        stack.wait_health("node-sim", "healthy", HEALTHY_TIMEOUT_SECS)
        print(f"\nsim stack healthy {time.monotonic() - started:.0f} s after `up -d`")
        yield stack
    finally:
        stack.run("down", "-v", "--remove-orphans", "-t", "10")
