"""A center answering for two client companies, for the tests of the pages' tenancy:
ACME Insurance and Globex, with Anna shared between them, Carl ACME's only and Gus
Globex's only (logged out, so a second Globex caller waits).

:func:`busy_afternoon` puts a Globex caller with Anna, an ACME caller with Carl and a
second Globex caller in the queue, through the simulated Asterisk; :class:`Feed` reads
a page's Server-Sent Events stream as a browser would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from callrouter.config import Settings
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.web import hash_secret
from tests.calls.harness import eventually, make_settings

ADMIN = "admin-token-0123456789abcdef"
ACME = "acme-token-0123456789abcdef"
GLOBEX = "globex-token-0123456789abcdef"
TINA_SECRET = "2718"
ANNA_SECRET = "4711"
SCRIPT = "{client}, good morning! This is {operator}: how may I help you?"
ACME_CALLER = "+4930100100"
GLOBEX_CALLER = "+4930200200"
GLOBEX_WAITING = "+4930200300"
GLOBEX_TRACES = ("globex", "Globex", "+4930200", "gus", "Gus", "tina")
"""What no page of ACME's may ever show: Globex's name, queue, callers and people."""
PHONES = ("101", "102", "103", "150", "151")


def two_clients(sim: SimulatedAsterisk, *, port: int = 0, **sections: Any) -> Settings:
    fast = {"wrapup_s": 0.2, "join_empty": True, "script": SCRIPT}
    base: dict[str, Any] = {
        "http": {"enabled": True, "host": "127.0.0.1", "port": port, "token": ADMIN},
        "tenants": {
            "acme": {"name": "ACME Insurance", "tokens": [ACME]},
            "globex": {"name": "Globex", "tokens": [GLOBEX]},
        },
        "queues": {
            "acme-support": {"tenant": "acme", **fast},
            "globex-sales": {"tenant": "globex", **fast},
        },
        "routes": {"100": "acme-support", "200": "globex-sales"},
        "operators": {
            "anna": {"name": "Anna", "endpoint": "PJSIP/101", "logged_in": True,
                     "queues": {"acme-support": 0, "globex-sales": 0},
                     "panel_secret_hash": hash_secret(ANNA_SECRET, iterations=1000)},
            "carl": {"name": "Carl", "endpoint": "PJSIP/102", "logged_in": True,
                     "queues": {"acme-support": 0}},
            "gus": {"name": "Gus", "endpoint": "PJSIP/103", "queues": {"globex-sales": 0}},
        },
        "supervisors": {
            "tina": {"name": "Tina", "tenant": "globex", "endpoint": "PJSIP/151",
                     "panel_secret_hash": hash_secret(TINA_SECRET, iterations=1000)},
        },
    }  # fmt: skip
    base.update(sections)
    return make_settings(sim, **base)


def http(token: str | None = None) -> aiohttp.ClientSession:
    """A client with a cookie jar (unsafe: keep 127.0.0.1's cookies), and a bearer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)


async def board(base: str, token: str) -> dict[str, Any]:
    async with http(token) as client, client.get(f"{base}/wallboard/board.json") as response:
        assert response.status == 200, await response.text()
        found: dict[str, Any] = await response.json()
        return found


def operator(view: dict[str, Any], operator_id: str) -> dict[str, Any] | None:
    return next((op for op in view["operators"] if op["id"] == operator_id), None)


def queue(view: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((q for q in view["queues"] if q["name"] == name), None)


@dataclass(frozen=True, slots=True)
class Afternoon:
    """The callers' channels and the calls' ids (from the center's board)."""

    globex_channel: str
    acme_channel: str
    waiting_channel: str
    globex_call: str
    acme_call: str


def _on_call_with(base: str, operator_id: str, caller: str) -> Callable[[], Awaitable[Any]]:
    async def probe() -> str | None:
        op = operator(await board(base, ADMIN), operator_id)
        call = op["call"] if op else None
        talking = op is not None and op["state"] == "on_call"
        return call["id"] if talking and call and call["caller_number"] == caller else None

    return probe


async def busy_afternoon(control: SimControl, base: str) -> Afternoon:
    for phone in PHONES:
        await control.set_endpoint("PJSIP", phone, behavior="answer", answer_after=0.1)
    globex = await control.place_call(caller_number=GLOBEX_CALLER, exten="200")
    # Anna is the only one serving Globex (Gus is logged out): she takes it...
    globex_call = await eventually(
        _on_call_with(base, "anna", GLOBEX_CALLER), what="anna talking to globex's caller"
    )
    # ... so ACME's caller goes to Carl, and Globex's next one waits.
    acme = await control.place_call(caller_number=ACME_CALLER, exten="100")
    acme_call = await eventually(
        _on_call_with(base, "carl", ACME_CALLER), what="carl talking to acme's caller"
    )
    waiting = await control.place_call(caller_number=GLOBEX_WAITING, exten="200")
    await until_board(base, ADMIN, lambda b: (queue(b, "globex-sales") or {}).get("waiting"))
    return Afternoon(
        globex_channel=globex["id"], acme_channel=acme["id"], waiting_channel=waiting["id"],
        globex_call=globex_call, acme_call=acme_call,
    )  # fmt: skip


async def until_board(
    base: str, token: str, condition: Callable[[dict[str, Any]], Any]
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await board(base, token)
        return found if condition(found) else None

    return await eventually(probe, what="the board to show it")


class Feed:
    """One page's ``/wallboard/events`` (or ``/operator/events``) stream, read as the
    browser's EventSource reads it: ``(event, data)`` per message."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.received: list[tuple[str, str]] = []

    async def next(self, within_s: float) -> tuple[str, str] | None:
        """The next message, or None if none came within ``within_s`` (or it ended)."""
        event, data = "message", []
        try:
            async with asyncio.timeout(within_s):
                while True:
                    raw = await self.response.content.readline()
                    if not raw:
                        return None  # the server closed the stream
                    line = raw.decode().rstrip("\n")
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        data.append(line.removeprefix("data: "))
                    elif not line and data:
                        message = (event, "\n".join(data))
                        self.received.append(message)
                        return message
        except TimeoutError:
            return None

    async def board_where(
        self, condition: Callable[[dict[str, Any]], Any], within_s: float = 10.0
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while (left := deadline - loop.time()) > 0:
            message = await self.next(left)
            if message is not None and message[0] == "message":
                found: dict[str, Any] = json.loads(message[1])
                if condition(found):
                    return found
        raise AssertionError(f"no board as expected within {within_s}s: {self.received[-3:]}")
