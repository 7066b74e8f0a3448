"""``tanggap run`` as a real process: it migrates a fresh data folder, serves the login page, runs
tasks in its in-process worker, and stops cleanly on Ctrl-C (SIGINT) and SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

STARTUP_SECONDS = 90
STOP_SECONDS = 45
TANGGAP = [sys.executable, "-c", "from tanggap.cli import main; main()"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        TANGGAP_ENV="development",
        TANGGAP_DEBUG="false",
        TANGGAP_QUEUE="sqlite",
        TANGGAP_DATA_DIR=str(data_dir),
        TANGGAP_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_for_login_page(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tanggap run exited early ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"the login page did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen, signum: int) -> int:
    process.send_signal(signum)
    try:
        return process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"tanggap run did not stop within {STOP_SECONDS} s of signal {signum}")


@pytest.fixture
def started(tmp_path):
    """A running ``tanggap run`` on a free loopback port with a fresh data folder."""
    port = _free_port()
    env = _environment(tmp_path / "data")
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [*TANGGAP, "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_login_page(f"http://127.0.0.1:{port}/login/", process, log)
        yield process, env, log, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_run_serves_works_tasks_and_stops_on_ctrl_c(started):
    process, env, log, port = started
    assert f"http://127.0.0.1:{port}/" in log.read_text()

    # Enqueue a django.tasks task with the app's own configuration; the worker inside `run` answers.
    ping = subprocess.run(  # noqa: S603
        [*TANGGAP, "jobs", "ping", "--timeout", "30"], env=env, capture_output=True, text=True, timeout=90
    )
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert f".{process.pid} " in ping.stdout  # answered by the server's own process

    assert _stop(process, signal.SIGINT) == 0
    output = log.read_text()
    assert "Stopped." in output
    assert "Traceback" not in output


def test_run_stops_cleanly_on_sigterm(started):
    process, _env, log, _port = started
    assert _stop(process, signal.SIGTERM) == 0
    assert "Stopped." in log.read_text()
