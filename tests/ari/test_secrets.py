"""The ARI password never shows: not in logs, reprs, errors or health."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from structlog.testing import capture_logs

from callrouter.ari import AriError, AriNotFound
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.ari.conftest import (
    PASSWORD,
    USERNAME,
    eventually,
    free_port,
    make_client,
    running,
)

FORMS = (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD))


def _assert_hidden(text: str) -> None:
    for form in FORMS:
        assert form not in text


async def test_api_key_is_url_encoded_on_the_websocket(
    ari_sim: SimulatedAsterisk, control: SimControl
) -> None:
    async with make_client(ari_sim.url) as client, running(client):
        pass
    [handshake] = [r for r in await control.requests() if r["path"] == "/ari/events"]
    # The server decoded exactly our credentials, '&', ':', '@' and '/' included.
    assert handshake["params"]["api_key"] == f"{USERNAME}:{PASSWORD}"
    assert handshake["params"]["app"] == "callrouter"
    assert handshake["params"]["subscribeAll"] == "false"


async def test_password_never_logged_or_shown(
    ari_sim: SimulatedAsterisk, control: SimControl
) -> None:
    errors: list[AriError] = []
    with capture_logs() as logs:
        async with make_client(ari_sim.url) as client:
            _assert_hidden(repr(client))
            async with running(client):
                await client.channels.list()
                with pytest.raises(AriNotFound) as caught:
                    await client.channels.get("gone")
                errors.append(caught.value)
                await control.drop_websockets(abort=True)
                await eventually(lambda: client.health.reconnects == 1)
                _assert_hidden(repr(client.health))
        async with make_client(f"http://127.0.0.1:{free_port()}") as down:
            task = asyncio.create_task(down.run())
            await eventually(lambda: down.health.last_error is not None)
            _assert_hidden(repr(down.health))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(AriError) as caught_down:
                await down.asterisk.ping()
            errors.append(caught_down.value)
    assert logs
    _assert_hidden(repr(logs))
    for error in errors:
        _assert_hidden(f"{error!s} {error!r} {error.__cause__!s}")
