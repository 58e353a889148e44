"""Build a local stand-in for `python:3.12-slim-bookworm`, for a machine that cannot pull it from a registry.

The stand-in is what the official image is: Debian bookworm (debootstrap, minbase, from the Debian mirror) with
a CPython 3.12 in /usr/local and pip. The CPython is the self-contained installation running this script
(pyenv's or uv's 3.12), and the CA bundle is this machine's, so the build inside it trusts what this machine
trusts. An image already tagged is reused. Run it as root, with the project's Python 3.12:

    python3 -m uv run python docker/local_base.py        # prints the tag to pass as NAUTILUS_NODE_BASE_IMAGE
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

TAG = "nautilus-node-base:3.12-bookworm"
MIRROR = "http://deb.debian.org/debian"

# The shared libraries CPython's extension modules link against (ssl, sqlite3, ctypes, readline, curses, ...),
# plus what the official slim image adds: CA certificates, /etc/services and friends, time zones.
PACKAGES = (
    "ca-certificates",
    "netbase",
    "tzdata",
    "libssl3",
    "libffi8",
    "libsqlite3-0",
    "libreadline8",
    "libncursesw6",
    "libexpat1",
    "libbz2-1.0",
    "liblzma5",
    "libuuid1",
    "libnsl2",
    "libtirpc3",
)

# Parts of a CPython installation that the slim image leaves out or that belong to this machine only.
PYTHON_LEAVE_OUT = {"test", "idlelib", "tkinter", "turtledemo", "__phello__"}
SITE_PACKAGES_KEEP = ("pip",)
SLIM_DIRS = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)
CA_BUNDLE_IN_IMAGE = "/etc/ssl/certs/ca-certificates.crt"
IMAGE_ENV = {
    "PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "SSL_CERT_FILE": CA_BUNDLE_IN_IMAGE,
    "PIP_CERT": CA_BUNDLE_IN_IMAGE,
}
CHECK_MODULES = "ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, decimal, readline, hashlib"


class LocalBaseError(Exception):
    """The stand-in base image could not be built; the message says why, in one line."""


def python_prefix() -> Path:
    """The installation of the CPython 3.12 running this script; it must be self-contained to be copied."""
    if sys.version_info[:2] != (3, 12):
        raise LocalBaseError(f"needs CPython 3.12 to copy into the image, this is {sys.version.split()[0]}")
    prefix = Path(sys.base_prefix)
    if prefix in (Path("/usr"), Path("/")) or not (prefix / "lib" / "python3.12" / "os.py").exists():
        raise LocalBaseError(f"{prefix}: not a self-contained CPython 3.12 (use pyenv's or uv's python)")
    return prefix


def ca_bundle() -> Path:
    """This machine's CA bundle: SSL_CERT_FILE when set, else OpenSSL's default file."""
    bundle = Path(os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().openssl_cafile)
    if not bundle.is_file():
        raise LocalBaseError(f"{bundle}: no CA bundle on this machine (set SSL_CERT_FILE)")
    return bundle


def image_exists(tag: str = TAG) -> bool:
    inspect = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    return inspect.returncode == 0


def _run(command: list[str], what: str, stdin: IO[bytes] | None = None) -> None:
    result = subprocess.run(command, stdin=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise LocalBaseError(f"{what} failed (exit {result.returncode}): {last[0]}")


def bootstrap_debian(root: Path, mirror: str) -> None:
    if shutil.which("debootstrap") is None:
        raise LocalBaseError("debootstrap is not installed (apt-get install debootstrap)")
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", "bookworm", str(root), mirror]
    _run(command, f"debootstrap bookworm from {mirror}")


def _python_ignore(prefix: Path) -> Callable[[str, list[str]], set[str]]:
    stdlib = prefix / "lib" / "python3.12"

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        if here == stdlib:
            return PYTHON_LEAVE_OUT | {name for name in names if name.startswith("config-3.12")}
        if here == stdlib / "site-packages":
            return {name for name in names if not name.startswith(SITE_PACKAGES_KEEP)}
        if here == stdlib / "lib-dynload":
            return {name for name in names if name.startswith("_tkinter")}
        if here == prefix / "bin":
            return {name for name in names if name.startswith(("idle", "uv", "2to3"))}
        return {name for name in names if name.endswith((".opt-1.pyc", ".opt-2.pyc"))}

    return ignore


def install_python(root: Path, prefix: Path) -> None:
    """CPython into /usr/local, where the official image has it; the loader finds libpython there."""
    for part in ("bin", "lib", "include"):
        if (prefix / part).is_dir():
            shutil.copytree(
                prefix / part,
                root / "usr" / "local" / part,
                symlinks=True,
                dirs_exist_ok=True,
                ignore=_python_ignore(prefix),
            )
    _point_scripts_at(root / "usr" / "local" / "bin", prefix)
    _run(["chroot", str(root), "ldconfig"], "ldconfig in the new root")


def _point_scripts_at(bin_dir: Path, prefix: Path) -> None:
    """pip and the other scripts name their interpreter by its old path; they get the one in /usr/local."""
    old = f"#!{prefix}/bin/".encode()
    for script in bin_dir.iterdir():
        if script.is_file() and not script.is_symlink():
            content = script.read_bytes()
            if content.startswith(old):
                script.write_bytes(b"#!/usr/local/bin/" + content[len(old) :])


def slim(root: Path, bundle: Path) -> None:
    shutil.copyfile(bundle, root / CA_BUNDLE_IN_IMAGE.lstrip("/"))
    for directory in SLIM_DIRS:
        for entry in (root / directory).glob("*"):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.name != "lock":
                entry.unlink()


def import_image(root: Path, tag: str) -> None:
    changes = [f"ENV {name}={value}" for name, value in IMAGE_ENV.items()] + ['CMD ["python3"]']
    command = ["docker", "import", *(arg for change in changes for arg in ("--change", change)), "-", tag]
    with subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE) as tar:
        _run(command, f"docker import {tag}", stdin=tar.stdout)
    if tar.returncode != 0:
        raise LocalBaseError(f"tar of {root} failed (exit {tar.returncode})")


def check_image(tag: str) -> None:
    probe = f"python3 -c 'import {CHECK_MODULES}, sys; assert sys.version_info[:2] == (3, 12)' && pip --version"
    _run(["docker", "run", "--rm", tag, "sh", "-c", probe], f"python3 and pip in {tag}")


def ensure_base(tag: str = TAG, mirror: str = MIRROR, progress: Callable[[str], None] = print) -> str:
    """The stand-in's tag, building it first unless it is already tagged."""
    if image_exists(tag):
        progress(f"{tag}: already built, reused")
        return tag
    prefix, bundle = python_prefix(), ca_bundle()
    with tempfile.TemporaryDirectory(prefix="nautilus-node-base-", dir="/var/tmp") as workdir:
        root = Path(workdir) / "rootfs"
        progress(f"{tag}: debootstrap bookworm (minbase) from {mirror} ...")
        bootstrap_debian(root, mirror)
        progress(f"{tag}: CPython {sys.version.split()[0]} from {prefix} into /usr/local, CA bundle {bundle}")
        install_python(root, prefix)
        slim(root, bundle)
        progress(f"{tag}: docker import ...")
        import_image(root, tag)
    check_image(tag)
    progress(f"{tag}: built")
    return tag


def main() -> int:
    try:
        print(ensure_base(progress=lambda line: print(line, file=sys.stderr)))
    except LocalBaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
