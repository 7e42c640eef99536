"""`promisekeeper demo` serves with a worker and the scheduler, and stops all three together.

Each test runs the real command in a subprocess on its own copy of a seeded SQLite database
and reads its output line by line: no sleeps, and a watchdog kills a demo that hangs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

WATCHDOG_SECONDS = 120


def _demo_env(data_dir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    return {**env, "PROMISEKEEPER_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


def _demo(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "promisekeeper", "demo", *args],
        env=_demo_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the demo company, seeded once for this module."""
    data_dir = tmp_path_factory.mktemp("demo-seeded")
    subprocess.run(
        [sys.executable, "-m", "promisekeeper", "demo", "--no-serve"],
        env=_demo_env(data_dir),
        check=True,
        capture_output=True,
        timeout=WATCHDOG_SECONDS,
    )
    return data_dir


@pytest.fixture
def data_dir(seeded: Path, tmp_path: Path) -> Path:
    """A fresh copy, so no test sees periodic jobs that another demo already ran."""
    return Path(shutil.copytree(seeded, tmp_path / "var"))


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Output:
    """The demo's output, read as it comes; the watchdog ends a demo that stops talking."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self._stream = process.stdout
        self._lines = iter(process.stdout)
        self.seen: list[str] = []
        self._watchdog = threading.Timer(WATCHDOG_SECONDS, process.kill)
        self._watchdog.start()

    def until(self, *patterns: str) -> None:
        """Read until every pattern has matched a line (the demo's exit fails the test)."""
        waiting = [re.compile(pattern) for pattern in patterns]
        while waiting:
            line = next(self._lines, None)
            assert line is not None, "the demo ended first:\n" + "".join(self.seen)
            self.seen.append(line)
            waiting = [pattern for pattern in waiting if not pattern.search(line)]

    def rest(self) -> str:
        """Read to the end of the output (the demo's exit) and return all of it."""
        self.seen.extend(self._lines)
        self._stream.close()
        self._watchdog.cancel()
        return "".join(self.seen)

    def pids(self) -> dict[str, int]:
        """The children honcho reported starting, by name."""
        found = (re.search(r"\| (\w+) started \(pid=(\d+)\)", line) for line in self.seen)
        return {match[1]: int(match[2]) for match in found if match}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def demos() -> Iterator[list[subprocess.Popen[str]]]:
    """Demos a test starts; any still running when it ends (a failure) are killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_demo_runs_the_jobs_and_ctrl_c_stops_every_process(data_dir, free_port, demos):
    demos.append(demo := _demo(data_dir, "--addrport", f"127.0.0.1:{free_port}"))
    output = Output(demo)
    output.until(
        r"web started \(pid=",
        r"worker started \(pid=",
        r"scheduler started \(pid=",
        r"Quit the server with CONTROL-C",
        # The first tick finds both hold jobs due, and the worker runs them.
        r"holds_expire_task state=SUCCESSFUL",
        r"holds_warn_expiring_task state=SUCCESSFUL",
    )
    with urllib.request.urlopen(f"http://127.0.0.1:{free_port}/api/health", timeout=30) as reply:
        assert reply.status == 200

    demo.send_signal(signal.SIGINT)  # what Ctrl+C delivers: the children have own sessions

    text = output.rest()
    assert demo.wait(timeout=WATCHDOG_SECONDS) == 0, text
    assert "worker stopped (rc=0)" in text and "scheduler stopped (rc=0)" in text, text
    assert set(output.pids()) == {"web", "worker", "scheduler"}
    assert all(_gone(pid) for pid in output.pids().values()), text


def test_when_the_web_server_exits_the_demo_stops_the_worker_and_scheduler(
    data_dir, free_port, demos
):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port))
        taken.listen()
        demos.append(demo := _demo(data_dir, "--addrport", f"127.0.0.1:{free_port}"))
        output = Output(demo)
        text = output.rest()
        assert demo.wait(timeout=WATCHDOG_SECONDS) == 1, text
    assert "That port is already in use" in text and "web stopped (rc=1)" in text, text
    assert "A demo process exited with code 1" in text, text
    assert set(output.pids()) == {"web", "worker", "scheduler"}
    assert all(_gone(pid) for pid in output.pids().values()), text
