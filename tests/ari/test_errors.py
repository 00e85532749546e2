"""ARI failures arrive as typed errors, each logged once, from the sim and from a
throwaway server for answers the sim never gives."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from callrouter.ari import (
    AriAuthError,
    AriBadRequest,
    AriClient,
    AriConflict,
    AriConnectionError,
    AriError,
    AriHttpError,
    AriNotFound,
    AriProtocolError,
    AriServerError,
    AriTimeout,
    AriUnprocessable,
)
from callrouter.errors import ExternalError
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.ari.conftest import free_port, local_server, make_client


def _failures(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == "ari_request_failed"]


async def test_404_is_not_found_with_details_and_one_info_line(ari: AriClient) -> None:
    with capture_logs() as logs, pytest.raises(AriNotFound) as caught:
        await ari.channels.answer("does-not-exist")
    error = caught.value
    assert (error.status, error.message) == (404, "Channel not found")
    assert (error.method, error.path) == ("POST", "/channels/does-not-exist/answer")
    assert isinstance(error, AriHttpError | AriError | ExternalError)
    assert error.error_id == "ari-not-found"
    [line] = _failures(logs)
    assert line["log_level"] == "info"
    assert line["error_id"] == "ari-not-found"


async def test_409_conflict_on_duplicate_bridge_id(ari: AriClient) -> None:
    await ari.bridges.create(bridge_id="dup")
    with capture_logs() as logs, pytest.raises(AriConflict) as caught:
        await ari.bridges.create(bridge_id="dup")
    assert caught.value.status == 409
    assert "already exists" in caught.value.message
    [line] = _failures(logs)
    assert line["log_level"] == "warning"


async def test_422_removing_a_channel_that_is_not_in_the_bridge(
    live: AriClient, control: SimControl
) -> None:
    channel = await control.place_call()
    bridge = await live.bridges.create(bridge_id="b422")
    with pytest.raises(AriUnprocessable) as caught:
        await live.bridges.remove_channel(bridge.id, channel["id"])
    assert caught.value.status == 422


async def test_400_adding_an_unknown_channel(ari: AriClient) -> None:
    # Asterisk answers 400 (not 404) here: errors.jsonl "addChannel unknown channel".
    bridge = await ari.bridges.create()
    with pytest.raises(AriBadRequest) as caught:
        await ari.bridges.add_channel(bridge.id, "does-not-exist")
    assert caught.value.message == "Channel not found"


async def test_500_from_a_fault(ari: AriClient, control: SimControl) -> None:
    await control.add_fault(status=500, body={"message": "Internal Server Error"},
                            path_prefix="/ari/asterisk")
    with capture_logs() as logs, pytest.raises(AriServerError) as caught:
        await ari.asterisk.ping()
    assert caught.value.status == 500
    assert len(_failures(logs)) == 1
    assert (await ari.asterisk.ping()).ping == "pong"  # the fault was for one request


async def test_500_allocation_failed_reads_the_error_key(ari: AriClient) -> None:
    with pytest.raises(AriServerError) as caught:
        await ari.channels.originate(endpoint="Bogus/123", app="callrouter")
    assert caught.value.message == "Allocation failed"


async def test_timeout(ari_sim: SimulatedAsterisk, control: SimControl) -> None:
    await control.add_fault(delay=1.0, path_prefix="/ari/asterisk/ping")
    async with make_client(ari_sim.url, request_timeout=0.2) as client:
        with capture_logs() as logs, pytest.raises(AriTimeout) as caught:
            await client.asterisk.ping()
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert "0.2 s" in str(caught.value)
    assert len(_failures(logs)) == 1


async def test_connection_refused() -> None:
    async with make_client(f"http://127.0.0.1:{free_port()}") as client:
        with capture_logs() as logs, pytest.raises(AriConnectionError) as caught:
            await client.channels.list()
    assert isinstance(caught.value.__cause__, aiohttp.ClientError)
    assert caught.value.error_id == "ari-connection"
    assert len(_failures(logs)) == 1


async def test_wrong_password_is_auth_error(ari_sim: SimulatedAsterisk) -> None:
    async with make_client(ari_sim.url, password="wrong") as client:
        with pytest.raises(AriAuthError) as caught:
            await client.asterisk.info()
    assert caught.value.status == 401


async def test_unreadable_answer_is_protocol_error() -> None:
    app = web.Application()

    async def channel(_request: web.Request) -> web.Response:
        return web.json_response({"id": "only-an-id"})

    async def not_json(_request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy error</html>", status=502)

    app.router.add_get("/ari/channels/{channelId}", channel)
    app.router.add_get("/ari/bridges", not_json)
    async with local_server(app) as url, make_client(url) as client:
        with pytest.raises(AriProtocolError, match="Channel"):
            await client.channels.get("x")
        with pytest.raises(AriServerError) as caught:
            await client.bridges.list()
        assert caught.value.status == 502
        assert "proxy error" in caught.value.message


async def test_undeclared_parameter_is_a_bug_not_a_request(ari: AriClient) -> None:
    from callrouter.ari._rest_channels import ANSWER

    with pytest.raises(AssertionError, match="not declared"):
        await ari._http.call(ANSWER, path={"channelId": "x"}, query={"bogus": "1"})


def test_bad_construction_fails_early() -> None:
    with pytest.raises(ValueError):
        AriClient(base_url="127.0.0.1:8088", username="u", password="p", app="a")
    with pytest.raises(ValueError):
        AriClient(base_url="http://h:1", username="u", password="p", app="a",
                  request_timeout=0)
    with pytest.raises(ValueError):
        AriClient(base_url="http://h:1", username="u", password="p", app="a",
                  backoff_initial=5, backoff_max=1)
