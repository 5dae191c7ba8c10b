"""`optix up` end to end, as a user runs it: a real process, its own local Ray, Ctrl-C to stop.

These are the tests that start a Ray instance of their own (that is what `optix up` does);
they sit in tests/cluster, which runs before the session-scoped Ray of tests/serve starts.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from optix.store import head_revision
from tests.conftest import free_port

pytestmark = pytest.mark.slow


def _optix_command() -> list[str]:
    script = Path(sys.executable).with_name("optix")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cluster.cli"]


class OptixUp:
    """`optix up` in a subprocess, its output collected line by line."""

    def __init__(self, cwd: Path) -> None:
        self.api_port, self.dash_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTIX_", "RAY_ADDRESS"))}
        env.update(OPTIX_SERVE_PORT=str(self.api_port),
                   OPTIX_RAY_DASHBOARD_PORT=str(self.dash_port), OPTIX_RAY_NUM_CPUS="2")
        self.proc = subprocess.Popen([*_optix_command(), "up"], cwd=cwd, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout),
                                       daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.proc.poll() is None, "optix up exited early:\n" + self.output
            assert time.monotonic() < deadline, f"no {text!r} in time:\n" + self.output
            time.sleep(0.05)

    def finish(self, timeout: float = 90) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_optix_up_serves_the_api_prints_the_dashboard_and_stops_cleanly_on_ctrl_c(tmp_path):
    up = OptixUp(tmp_path)
    try:
        up.wait_for("Press Ctrl-C to stop.")
        out = up.output
        assert f"http://127.0.0.1:{up.dash_port}" in out
        assert f"http://127.0.0.1:{up.api_port}" in out
        assert (tmp_path / ".optix" / "optix.db").is_file()

        health = httpx.get(f"http://127.0.0.1:{up.api_port}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        # a key from `optix keys create` (same database, another process) opens the API
        assert httpx.get(f"http://127.0.0.1:{up.api_port}/version").status_code == 401
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIX_")}
        created = subprocess.run([*_optix_command(), "keys", "create", "--user", "ops",
                                  "--role", "read"], cwd=tmp_path, env=env, text=True,
                                 capture_output=True, timeout=60)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[0]
        version = httpx.get(f"http://127.0.0.1:{up.api_port}/version",
                            headers={"X-API-Key": key}, timeout=10).json()
        assert version["schema"] == head_revision()

        # Token authentication is on, and the instructions printed are the ones that work.
        m = re.search(r"cluster token from (\S+)", out)
        assert m, out
        token = Path(m.group(1)).read_text().strip()
        assert token not in out
        dash = f"http://127.0.0.1:{up.dash_port}/api/version"
        assert httpx.get(dash, timeout=10).status_code == 401
        authed = httpx.get(dash, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert authed.status_code == 200

        # Ctrl-C, and an impatient second Ctrl-C: cleanup still runs to the end.
        up.proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        up.proc.send_signal(signal.SIGINT)
        assert up.finish() == 0
        assert "OPTIX stopped." in up.output
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{up.api_port}/healthz", timeout=2)
    finally:
        up.kill()


def test_ctrl_c_while_starting_stops_start_up_and_cleans_up(tmp_path):
    up = OptixUp(tmp_path)
    try:
        up.wait_for("at schema revision")  # migrated; Ray is starting now
        up.proc.send_signal(signal.SIGINT)
        assert up.finish() == 130
        assert "OPTIX stopped." in up.output
        assert "OPTIX is up." not in up.output
    finally:
        up.kill()
