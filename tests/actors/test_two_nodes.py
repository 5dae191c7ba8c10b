"""Two Ray nodes on one machine: a node removed mid-tape loses nothing and repeats nothing.

The scenario (``two_nodes_scenario.py``) runs in a subprocess: it needs a Ray cluster of its own
(``ray.cluster_utils.Cluster``), and this process may already be connected to the session's.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("two_nodes_scenario.py")


def test_a_removed_node_s_shards_resume_on_the_other_with_the_same_alerts_and_state():
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, (f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}"
                                  f"\n--- stderr\n{proc.stderr[-6000:]}")
    assert '"ok": true' in proc.stdout
