"""A reload changes every edge at once: Stasis routing and what FastAGI's ``route``
answers come from the same settings, swapped whole."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from callrouter.calls import CallrouterService
from callrouter.config import Settings
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.calls.harness import make_settings, running_service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(
    sim: SimulatedAsterisk, port: int, routes: dict[str, str], **sections: Any
) -> Settings:
    return make_settings(
        sim,
        agi={"enabled": True, "host": "127.0.0.1", "port": port},
        **{"queues": {"support": {}, "sales": {}}, "routes": routes, **sections},
    )


async def _agi_route(port: int, did: str) -> dict[str, str]:
    asterisk = FakeAsterisk(make_env(f"route?did={did}"))
    await asterisk.run(port)
    return asterisk.variables


async def test_reload_changes_what_fastagi_route_answers(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port = _free_port()
    before = _settings(sim, port, {"100": "support"})
    async with running_service(before, db_dsn) as service:
        assert (await _agi_route(port, "200"))["CR_ROUTE"] == "reject"
        await service.reload(_settings(sim, port, {"100": "support", "200": "sales"}))
        answer = await _agi_route(port, "200")
        assert (answer["CR_ROUTE"], answer["CR_QUEUE"]) == ("stasis", "sales")
        assert isinstance(service, CallrouterService)
        assert service.settings.routes["200"] == "sales"


async def test_reload_changes_the_calendar_fastagi_checks(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port = _free_port()
    today = dt.datetime.now(dt.UTC).date()
    closed_all_day = {"office": {"holidays": [today.isoformat()], "closed_sound": "closed"}}
    before = _settings(
        sim, port, {"100": "support"},
        calendars=closed_all_day, queues={"support": {"hours": "office"}},
    )  # fmt: skip
    async with running_service(before, db_dsn) as service:
        assert (await _agi_route(port, "100"))["CR_ROUTE"] == "closed"
        await service.reload(_settings(sim, port, {"100": "support"}))
        assert (await _agi_route(port, "100"))["CR_ROUTE"] == "stasis"
