"""`optix up` end to end, as a user runs it: a real process, its own local Ray, Ctrl-C to stop.

This is the one test that starts a Ray instance of its own (that is what `optix up` does); it
sits in tests/cluster, which runs before the session-scoped Ray of tests/serve starts.
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

from tests.conftest import free_port

pytestmark = pytest.mark.slow


def _optix_command() -> list[str]:
    script = Path(sys.executable).with_name("optix")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cluster.cli"]


def test_optix_up_serves_the_api_prints_the_dashboard_and_stops_cleanly_on_ctrl_c(tmp_path):
    api_port, dash_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTIX_", "RAY_ADDRESS"))}
    env.update(OPTIX_SERVE_PORT=str(api_port), OPTIX_RAY_DASHBOARD_PORT=str(dash_port),
               OPTIX_RAY_NUM_CPUS="2")
    proc = subprocess.Popen([*_optix_command(), "up"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while not any("Press Ctrl-C to stop." in ln for ln in lines):
            assert proc.poll() is None, "optix up exited early:\n" + "".join(lines)
            assert time.monotonic() < deadline, "optix up did not come up:\n" + "".join(lines)
            time.sleep(0.5)
        out = "".join(lines)
        assert f"http://127.0.0.1:{dash_port}" in out
        assert f"http://127.0.0.1:{api_port}" in out
        assert (tmp_path / ".optix" / "optix.db").is_file()

        health = httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{api_port}/version").json()["schema"] == "0001"

        # Token authentication is on, and the instructions printed are the ones that work.
        m = re.search(r"cluster token from (\S+)", out)
        assert m, out
        token = Path(m.group(1)).read_text().strip()
        assert token not in out
        dash = f"http://127.0.0.1:{dash_port}/api/version"
        assert httpx.get(dash, timeout=10).status_code == 401
        authed = httpx.get(dash, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert authed.status_code == 200

        # Ctrl-C, and an impatient second Ctrl-C: cleanup still runs to the end.
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=90) == 0
        reader.join(timeout=10)
        assert "OPTIX stopped." in "".join(lines)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
