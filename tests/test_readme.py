"""README opens with exactly the two set-up commands, and CI runs the second."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _first_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"```[a-z]*\n(.*?)```", text, re.S)
    assert m, "README.md has no code block"
    before = text[: m.start()]
    assert [ln for ln in before.splitlines() if ln.strip()] == ["# OPTIX"], (
        "README must open with the command block right after its title"
    )
    return [ln for ln in m.group(1).splitlines() if ln.strip()]


def test_readme_opens_with_exactly_two_commands():
    run_cmd, test_cmd = _first_block()
    assert run_cmd.endswith("optix up")
    assert "pytest" in test_cmd
    for cmd in (run_cmd, test_cmd):
        assert cmd.startswith("python3 -m venv .venv && ")


def test_ci_runs_the_readme_test_command():
    _, test_cmd = _first_block()
    script = ROOT / ".ci" / "run"
    extracted = subprocess.run(
        ["bash", "-c", "awk '/^```/{n++; next} n==1' README.md | sed -n 2p"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted == test_cmd
    assert "awk '/^```/{n++; next} n==1' README.md | sed -n 2p" in script.read_text()
