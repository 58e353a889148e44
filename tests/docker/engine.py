"""A Docker Engine for the end-to-end tests: installed from Debian's packages when missing, started when down.

Debian's `docker.io` (dockerd, containerd, runc, the docker CLI) is what a machine with only Debian mirrors can
install. dockerd runs in the background with the overlay2 storage driver, or vfs where overlay2 cannot mount;
the caller stops it again if it started it. Installing needs root, as starting dockerd does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ENGINE_PACKAGES = ("docker.io", "iptables")
STORAGE_DRIVERS = ("overlay2", "vfs")
START_TIMEOUT_SECS = 60
APT = ("apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=600")


class EngineError(Exception):
    """No Docker Engine could be installed or started; the message says why."""


def engine_answers() -> bool:
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    return info.returncode == 0


def install_debian_packages(*packages: str) -> None:
    """apt-get install the packages (waiting for another apt to finish); the lists are refreshed first."""
    if os.geteuid() != 0:
        raise EngineError(f"installing {' '.join(packages)} needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([*APT, "update"], [*APT, "install", "--no-install-recommends", *packages]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)
        if result.returncode != 0:
            last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise EngineError(f"apt-get {' '.join(command[len(APT) :])} failed: {last[0]}")


def ensure_installed() -> None:
    """dockerd and the docker CLI, from Debian's packages when either is missing."""
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        install_debian_packages(*ENGINE_PACKAGES)


def start_dockerd(log_dir: Path) -> subprocess.Popen[bytes]:
    """Start dockerd in the background; the first storage driver that works wins. Its log stays in log_dir."""
    failures = []
    for driver in STORAGE_DRIVERS:
        log_path = log_dir / f"dockerd-{driver}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                ["dockerd", f"--storage-driver={driver}"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while time.monotonic() < deadline and process.poll() is None:
            if engine_answers():
                return process
            time.sleep(0.5)
        stop_dockerd(process)
        lines = log_path.read_text(errors="replace").strip().splitlines()
        failures.append(f"{driver}: {lines[-1] if lines else 'no output'}")
    raise EngineError(f"dockerd did not start ({'; '.join(failures)}); logs in {log_dir}")


def stop_dockerd(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
