import pytest
from click.testing import CliRunner

from cluster.cli import cli


@pytest.fixture
def run(monkeypatch, tmp_path):
    """The optix command in-process, in an empty folder, with no OPTIX_/APCA_ environment."""
    import os

    for k in list(os.environ):
        if k.startswith(("OPTIX_", "APCA_")):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def _run(*args, env=None):
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return _run
