"""A throwaway PostgreSQL cluster for the test run (PK_TEST_POSTGRES=1).

initdb refuses to run as root, so as root the cluster directory belongs to the postgres
user and the server binaries run through runuser. The server listens on a free port on
127.0.0.1 and on a unix socket inside the cluster directory, with trust authentication.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Cluster:
    root: Path
    bindir: Path
    port: int
    as_postgres: bool

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True)

    def restart(self) -> None:
        """Fast restart (clean shutdown, then start with the same options): a fault test tool."""
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-m",
            "fast",
            "-l",
            str(self.root / "server.log"),
            "-w",
            "restart",
        )

    def stop(self) -> None:
        try:
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def find_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not candidates:
        raise RuntimeError(
            "PK_TEST_POSTGRES=1 but no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql"
        )
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ACTIVE: Cluster | None = None
"""The cluster of this test run, for fault tests that restart it."""


def cluster_start() -> Cluster:
    """Create and start a cluster; the caller must call stop()."""
    global ACTIVE
    bindir = find_bindir()
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="pk-postgres-"))
    if as_postgres:
        shutil.chown(root, user="postgres", group="postgres")
    cluster = Cluster(root=root, bindir=bindir, port=free_port(), as_postgres=as_postgres)
    try:
        cluster._run(
            str(bindir / "initdb"),
            "-D",
            str(cluster.datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-k {root} -p {cluster.port} -h 127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        cluster._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(cluster.datadir),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "start",
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL failed to start: {exc.stderr}\n{log}") from exc
    ACTIVE = cluster
    return cluster
