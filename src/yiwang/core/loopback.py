"""Servers that tests and benchmarks start on this machine: a free port, and waiting until the
server answers its health check (or has died, with its log)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(
    base_url: str, process: subprocess.Popen, log: Path, *, seconds: float = 60
) -> None:
    """Return once GET /api/health answers 200; raise with the server's log otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer /api/health in time:\n{log.read_text()}")
