"""Start-up and store failures end as one clear line and an exit code, never a traceback:
a port in use (found before any work), a full disk, a read-only data directory, bad JSON in
an environment variable. The file systems are real: a tiny tmpfs filled to the last byte,
a read-only bind mount (root can write through chmod 0555, not through these)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.demo import write_demo_photos
from recognize.errors import ConfigError
from tests.conftest import free_port, write_config

pytestmark = pytest.mark.slow  # real models or real server processes: make test runs it


def recognize(config: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recognize.cli", "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line printed, checked to be one line and no traceback."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not re.match(r"\d{4}-\d\d-\d\d \d\d:", line)]  # log lines
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("error: "), lines
    return lines[0]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True)


@contextlib.contextmanager
def mounted(target: Path, *argv: str) -> Iterator[Path]:
    """``mount <argv> <target>`` for the block, or skip when this machine does not allow it."""
    target.mkdir(parents=True, exist_ok=True)
    done = _run("mount", *argv, str(target))
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()[:200]}): needs root in a "
                    "sandbox that permits mount")
    try:
        yield target
    finally:
        if _run("umount", str(target)).returncode != 0:
            _run("umount", "-l", str(target))


def fill(folder: Path) -> None:
    """Write until the file system says ENOSPC."""
    block = b"\0" * 4096
    with open(folder / "filler", "wb", buffering=0) as fh:
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    for n in range(10_000):  # what a big write left: small files until not even an inode
        try:
            (folder / f"filler-{n}").write_bytes(b"\0" * 512)
        except OSError:
            break


@pytest.fixture
def demo(tmp_path: Path, password_hash: str) -> Path:
    write_demo_photos(tmp_path / "photos")
    return write_config(tmp_path, {"demo": tmp_path / "photos"}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False},
                        inference={"cache_dir": str(tmp_path / "models")})


# --- port in use ---------------------------------------------------------------------------
def test_port_in_use_is_found_before_any_work(demo: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        started = time.monotonic()
        result = recognize(demo, "serve", "--port", str(port))
        took = time.monotonic() - started
    assert result.returncode == 7
    line = error_line(result)
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}: address already in use")
    assert "--port" in line
    # before migrations, the data directory, a crawl or a model: nothing was even created
    assert not (demo.parent / "var").exists()
    assert took < 30


def test_a_starting_server_refuses_rather_than_hangs_then_serves(demo: Path) -> None:
    """The port is held (not listened on) during start-up; then served as before."""
    port = free_port()
    log = (demo.parent / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "recognize.cli", "--config", str(demo), "serve", "--port",
         str(port), "--no-worker"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                probe.settimeout(5)
                try:
                    probe.connect(("127.0.0.1", port))
                except ConnectionRefusedError:
                    time.sleep(0.1)
                    continue
                probe.sendall(b"GET /api/v1/health HTTP/1.0\r\nHost: x\r\n\r\n")
                assert probe.recv(64).startswith(b"HTTP/1.1 200")  # once it listens, it answers
                break
        else:
            pytest.fail("the server never listened")
        # a second server on the same port is told at once
        result = recognize(demo, "serve", "--port", str(port))
        assert result.returncode == 7 and "address already in use" in error_line(result)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


# --- disk full -----------------------------------------------------------------------------
def test_disk_full_is_one_line_for_every_command(demo: Path) -> None:
    var = demo.parent / "var"
    with mounted(var, "-t", "tmpfs", "-o", "size=4m", "tmpfs"):
        assert recognize(demo, "status").returncode == 0  # the store exists and is migrated
        fill(var)
        for command in (["scan"], ["serve", "--port", str(free_port())], ["worker"],
                        ["retry"], ["status"]):
            result = recognize(demo, *command)
            assert result.returncode == 3, (command, result.stderr[-2000:])
            line = error_line(result)
            assert "no space left on device" in line, (command, line)
            assert str(var) in line, (command, line)
        result = recognize(demo, "scan")
        assert error_line(result) == (
            f"error: cannot write the data directory {var}: no space left on device")


def test_disk_full_from_the_first_start(demo: Path) -> None:
    var = demo.parent / "var"
    with mounted(var, "-t", "tmpfs", "-o", "size=64k", "tmpfs"):
        fill(var)
        result = recognize(demo, "serve", "--port", str(free_port()))
        assert result.returncode == 3
        assert error_line(result) == (
            f"error: cannot write the data directory {var}: no space left on device")


# --- read-only data directory --------------------------------------------------------------
def test_read_only_data_directory(demo: Path) -> None:
    var = demo.parent / "var"
    assert recognize(demo, "status").returncode == 0  # a real store, then made read-only
    with mounted(var, "--bind", str(var)):
        done = _run("mount", "-o", "remount,bind,ro", str(var))
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only: {done.stderr.strip()[:200]}")
        for command in (["scan"], ["serve", "--port", str(free_port())], ["cluster"]):
            result = recognize(demo, *command)
            assert result.returncode == 3, (command, result.stderr[-2000:])
            assert error_line(result) == (
                f"error: cannot write the data directory {var}: read-only file system"), command
        result = recognize(demo, "status")  # opens the store directly: still named plainly
        assert result.returncode == 3
        line = error_line(result)
        assert "read-only file system" in line and "sqlalche" not in line, line


def test_data_directory_to_be_made_on_a_read_only_file_system(tmp_path: Path,
                                                              password_hash: str) -> None:
    ro = tmp_path / "ro"
    with mounted(ro, "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"):
        (tmp_path / "p").mkdir()
        config = write_config(tmp_path, {"p": tmp_path / "p"}, password_hash,
                              store={"data_dir": str(ro / "var")})
        result = recognize(config, "scan")
        assert result.returncode == 3
        assert error_line(result) == (
            f"error: cannot write the data directory {ro / 'var'}: read-only file system")


# --- malformed JSON in the environment -----------------------------------------------------
def test_malformed_json_in_an_environment_variable(demo: Path) -> None:
    result = recognize(demo, "status", env={"RECOGNIZE_USERS": "[{bad",
                                            "RECOGNIZE_JOBS__WINDOW": "noon"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("environment variable RECOGNIZE_USERS: not valid JSON (Expecting property name "
            "enclosed in double quotes at character 3)") in result.stderr
    assert "jobs.window: not a time window" in result.stderr  # the others are listed too
    assert "[{bad" not in result.stderr  # a value may hold a secret: never echoed


def test_malformed_json_in_nested_variables(demo: Path) -> None:
    for name, value in (("RECOGNIZE_MEDIA__THUMBNAIL_SIZES", "[128,"),
                        ("RECOGNIZE_SERVER", "{port: 1}")):
        with pytest.raises(ConfigError) as info:
            config_mod.load(demo, environ={name: value})
        assert any(p.startswith(f"environment variable {name}: not valid JSON")
                   for p in info.value.problems), info.value.problems
    good = config_mod.load(demo, environ={"RECOGNIZE_MEDIA__THUMBNAIL_SIZES": "[128]"})
    assert good.media.thumbnail_sizes == [128]
