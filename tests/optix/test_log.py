import io
import json
import logging

import pytest
from pydantic import SecretStr

from optix.log import redact, register_secret, register_url_secret, setup_logging


@pytest.fixture
def stream():
    buf = io.StringIO()
    handler = setup_logging("INFO", json_lines=False, stream=buf)
    yield buf
    logging.getLogger().removeHandler(handler)


def test_url_passwords_are_masked_in_any_message(stream):
    logging.getLogger("optix.t").info("connecting to %s", "postgresql+psycopg://bob:s3cr3tpw@h/db")
    out = stream.getvalue()
    assert "s3cr3tpw" not in out
    assert "postgresql+psycopg://bob:**********@h/db" in out


def test_registered_secrets_are_masked_in_messages_and_tracebacks(stream):
    register_secret(SecretStr("AKIAZZZTOPSECRET"))
    log = logging.getLogger("optix.t")
    log.warning("key is AKIAZZZTOPSECRET")
    try:
        raise RuntimeError("bad key AKIAZZZTOPSECRET")
    except RuntimeError:
        log.exception("failed")
    assert "AKIAZZZTOPSECRET" not in stream.getvalue()
    assert stream.getvalue().count("**********") >= 2


def test_url_secret_registration_keeps_the_rest_readable():
    register_url_secret("redis://:p4ssw0rdXY@cache:6379/0")
    assert redact("auth failed with p4ssw0rdXY") == "auth failed with **********"
    assert redact("sqlite:///.optix/optix.db") == "sqlite:///.optix/optix.db"


def test_json_lines_carry_level_logger_message_and_extras():
    buf = io.StringIO()
    handler = setup_logging("INFO", json_lines=True, stream=buf)
    try:
        logging.getLogger("optix.json").info("hello %s", "world", extra={"symbol": "SPY"})
    finally:
        logging.getLogger().removeHandler(handler)
    record = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert record["level"] == "INFO"
    assert record["logger"] == "optix.json"
    assert record["msg"] == "hello world"
    assert record["symbol"] == "SPY"
    assert record["ts"].endswith("+00:00")


def test_setup_twice_installs_one_handler():
    h1 = setup_logging("INFO")
    h2 = setup_logging("DEBUG")
    root = logging.getLogger()
    assert h1 not in root.handlers and h2 in root.handlers
    root.removeHandler(h2)


def test_the_secret_filter_passes_a_malformed_record_on_instead_of_raising():
    # (pytest's own capture handler re-raises logging errors, so test the filter itself;
    # outside pytest logging then prints its usual "--- Logging error ---")
    from optix.log import SecretFilter

    record = logging.LogRecord("optix.t", logging.INFO, __file__, 1, "%s and %s",
                               ("only one",), None)
    assert SecretFilter().filter(record) is True
    assert record.args == ("only one",)


def test_json_lines_mask_secrets_that_json_escaping_would_hide():
    secret = 'p\u00e4ssw\u00f6rd"xyz'
    register_secret(secret)
    buf = io.StringIO()
    handler = setup_logging("INFO", json_lines=True, stream=buf)
    try:
        logging.getLogger("optix.json").info(
            "login", extra={"password": secret, "nested": {"k": [secret]}})
    finally:
        logging.getLogger().removeHandler(handler)
    line = buf.getvalue().strip().splitlines()[-1]
    record = json.loads(line)
    assert record["password"] == "**********"
    assert record["nested"] == {"k": ["**********"]}
    assert "xyz" not in line
