"""Secrets masked where they stand as secrets, names left readable (the real log output).

With the ARI password equal to the application name, scrubbing the password from every
string turned every line naming the application into ``***``; check-config warns about
that configuration, and logs mask such a secret in credential positions only.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from callrouter import log as log_module
from callrouter.ari import AriClient, AriNotFound
from callrouter.config import load_settings
from callrouter.errors import ConfigProblem
from callrouter.log import configure_logging, mask_credentials, register_secret
from callrouter.sim import SimulatedAsterisk


@pytest.fixture
def log_output(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """JSON log lines into a buffer, with the registries emptied and restored."""
    monkeypatch.setattr(log_module, "_secrets", set())
    monkeypatch.setattr(log_module, "_public", set())
    out = io.StringIO()
    configure_logging("debug", "json", stream=out)
    yield out
    structlog.reset_defaults()


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _config(tmp_path: Path, url: str = "http://127.0.0.1:8088") -> Path:
    path = tmp_path / "callrouter.yml"
    path.write_text(f"ari:\n  url: {url}\n  app: callrouter\n  password: callrouter\n")
    return path


def test_password_equal_to_app_is_a_located_warning(
    tmp_path: Path, log_output: io.StringIO
) -> None:
    warnings: list[ConfigProblem] = []
    load_settings(_config(tmp_path), environ={}, warn=warnings.append)
    [warning] = warnings
    assert (warning.line, warning.field) == (4, "ari.password")
    assert "equals ari.app" in warning.message
    assert "callrouter" not in warning.message.split(":")[0]
    other = tmp_path / "other.yml"
    other.write_text("ari:\n  password: ${ARI_SECRET}\n")
    load_settings(other, environ={"ARI_SECRET": "Kq8-random"}, warn=warnings.append)
    assert len(warnings) == 1


def test_check_config_prints_the_warning_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], log_output: io.StringIO
) -> None:
    path = _config(tmp_path)
    load_settings(path, environ={})
    assert f"warning (config): {path}:4: ari.password: equals ari.app" in capsys.readouterr().err


def test_secret_equal_to_the_app_is_masked_as_a_credential_only(
    tmp_path: Path, log_output: io.StringIO
) -> None:
    load_settings(_config(tmp_path), environ={}, warn=lambda _p: None)
    register_secret("callrouter")
    log = structlog.get_logger("callrouter.ari")
    log.info(
        "ari_events_connected",
        app="callrouter",
        url="ws://h:8088/ari/events?app=callrouter&api_key=callrouter:callrouter",
        error="connect postgresql://callrouter:callrouter@db/callrouter failed",
        header="Authorization: Basic Y2FsbHJvdXRlcjpjYWxscm91dGVy",
        body='{"password": "callrouter", "app": "callrouter"}',
    )
    [line] = lines(log_output)
    assert line["app"] == "callrouter"
    assert line["url"] == "ws://h:8088/ari/events?app=callrouter&api_key=***"
    assert line["error"] == "connect postgresql://callrouter:***@db/callrouter failed"
    assert line["header"] == "Authorization: Basic ***"
    assert line["body"] == '{"password": "***", "app": "callrouter"}'


def test_a_secret_of_its_own_is_still_scrubbed_everywhere(log_output: io.StringIO) -> None:
    register_secret("Kq8-random-secret")
    structlog.get_logger().warning("oops", error="rejected Kq8-random-secret in a message")
    assert lines(log_output)[0]["error"] == "rejected *** in a message"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("password authentication failed", "password authentication failed"),
        ("tokens: 5", "tokens: 5"),
        ("token=abc&x=1", "token=***&x=1"),
        ("http://user@host/", "http://user@host/"),
        ("Bearer abc.def", "Bearer ***"),
    ],
)
def test_credential_positions(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked


async def test_ari_client_lines_keep_the_app_name(
    tmp_path: Path, log_output: io.StringIO
) -> None:
    async with SimulatedAsterisk(
        username="callrouter", password="callrouter", host="127.0.0.1", port=0,
        recordings_dir=tmp_path / "rec",
    ) as sim:
        settings = load_settings(_config(tmp_path, sim.url), environ={}, warn=lambda _p: None)
        async with AriClient(
            base_url=sim.url, username=settings.ari.username, app=settings.ari.app,
            password=settings.ari.password.get_secret_value(),
        ) as client:
            with pytest.raises(AriNotFound):
                await client.recordings.get_stored("callrouter-missing")
    [failed] = [e for e in lines(log_output) if e["event"] == "ari_request_failed"]
    assert failed["path"] == "/recordings/stored/callrouter-missing"
    assert "***" not in json.dumps(failed)
