"""The wallboard, its supervisors and the operator panel of a center answering for two
tenants, through the running service on the simulated Asterisk and real sockets: a
tenant's token sees its own board only, on the JSON and on the live stream (where no
other tenant's change ever arrives), a tenant's supervisor monitors its own calls only,
and a shared operator's panel says which client each call is for."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import running_service
from tests.tenants.two_clients import (
    ACME,
    ACME_CALLER,
    ADMIN,
    ANNA_SECRET,
    GLOBEX,
    GLOBEX_CALLER,
    GLOBEX_TRACES,
    GLOBEX_WAITING,
    TINA_SECRET,
    Feed,
    board,
    busy_afternoon,
    http,
    operator,
    queue,
    two_clients,
    until_board,
)


def _no_globex(text: str) -> None:
    for trace in GLOBEX_TRACES:
        assert trace not in text, f"{trace!r} reached acme: {text[:400]}"


def _base(service: Any) -> str:
    assert service.parts is not None and service.parts.api is not None
    return f"http://127.0.0.1:{service.parts.api.port}"


async def test_a_tenants_wallboard_never_shows_another_tenants_calls(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with running_service(two_clients(sim), db_dsn) as service:
        base = _base(service)
        calls = await busy_afternoon(sim_control, base)

        # The center sees both clients' calls; ACME sees its own, and Anna busy.
        everything = json.dumps(await board(base, ADMIN))
        assert ACME_CALLER in everything and GLOBEX_CALLER in everything
        acme = await board(base, ACME)
        _no_globex(json.dumps(acme))
        assert acme["tenant"] == "acme"
        assert [q["name"] for q in acme["queues"]] == ["acme-support"]
        carl, anna = operator(acme, "carl"), operator(acme, "anna")
        assert carl is not None and carl["call"]["caller_number"] == ACME_CALLER
        assert anna is not None and anna["state"] == "on_call"
        assert anna["call"] is None and anna["elsewhere"] is True
        globex = await board(base, GLOBEX)
        assert ACME_CALLER not in json.dumps(globex)
        assert (queue(globex, "globex-sales") or {})["waiting"] == 1

        # A wall screen opened with ACME's token: the cookie opens ACME's board only.
        async with http() as wall:
            async with wall.get(f"{base}/wallboard?token={ACME}") as response:
                assert response.status == 200 and "token" not in str(response.url)
            async with wall.get(f"{base}/wallboard/board.json") as response:
                _no_globex(await response.text())
                assert ACME_CALLER in await response.text()

        # The live stream: ACME's first board, then nothing while only Globex changes.
        async with http(ACME) as client, client.get(f"{base}/wallboard/events") as response:
            feed = Feed(response)
            await feed.board_where(lambda b: (operator(b, "carl") or {}).get("call"))
            another = await sim_control.place_call(caller_number="+4930200400", exten="200")
            await until_board(base, ADMIN, lambda b: queue(b, "globex-sales")["waiting"] == 2)
            await sim_control.hangup(another["id"])
            await sim_control.hangup(calls.waiting_channel)
            await until_board(base, ADMIN, lambda b: queue(b, "globex-sales")["waiting"] == 0)
            assert await feed.next(within_s=1.5) is None, "a Globex change reached ACME"
            # ACME's own change does arrive: Carl's caller hangs up.
            await sim_control.hangup(calls.acme_channel)
            await feed.board_where(lambda b: (operator(b, "carl") or {}).get("call") is None)
            for _, data in feed.received:
                _no_globex(data)
        # No page open any more (the closed stream is found out at the next push): the
        # JSON board is still the live one, not the last one pushed.
        await sim_control.hangup(calls.globex_channel)
        await until_board(base, ADMIN, lambda b: (operator(b, "anna") or {})["call"] is None)
        late = await sim_control.place_call(caller_number="+4930100999", exten="100")
        await until_board(base, ACME, lambda b: "+4930100999" in json.dumps(b))
        await sim_control.hangup(late["id"])


async def test_a_tenants_supervisor_monitors_its_own_calls_only(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with running_service(two_clients(sim), db_dsn) as service:
        base = _base(service)
        calls = await busy_afternoon(sim_control, base)
        monitor = f"{base}/wallboard/api/monitor"
        session = f"{base}/wallboard/api/supervisor/session"
        async with http() as sue, http() as tina:
            # Sue signs in with ACME's token: ACME's supervisor, whatever her name.
            async with sue.post(session, json={"supervisor": "sue", "secret": ACME}) as r:
                assert r.status == 200
            async with sue.get(f"{base}/wallboard/api/supervisor") as r:
                assert (await r.json())["client"] == "ACME Insurance"
            async with sue.get(f"{base}/wallboard/board.json") as r:
                _no_globex(await r.text())
            theirs = {"call_id": calls.globex_call, "mode": "listen", "endpoint": "PJSIP/150"}
            async with sue.post(monitor, json=theirs) as r:
                assert r.status == 404, await r.text()
            mine = {**theirs, "call_id": calls.acme_call}
            async with sue.post(monitor, json=mine) as r:
                assert r.status == 201, await r.text()
                monitor_id = (await r.json())["monitor_id"]
            barge = {"call_id": calls.acme_call, "monitor_id": monitor_id, "mode": "barge"}
            async with sue.post(f"{monitor}/mode", json=barge) as r:
                assert r.status == 200, await r.text()
            # Tina is configured as Globex's supervisor: she signs in with her secret.
            async with tina.post(session, json={"supervisor": "tina", "secret": TINA_SECRET}) as r:
                assert r.status == 200
            async with tina.post(f"{monitor}/stop", json={**barge, "mode": None}) as r:
                assert r.status == 422  # not a valid stop request: checked first
            stop = {"call_id": calls.acme_call, "monitor_id": monitor_id}
            async with tina.post(f"{monitor}/stop", json=stop) as r:
                assert r.status == 404, await r.text()  # ACME's call: none of hers
            async with sue.post(f"{monitor}/stop", json=stop) as r:
                assert r.status == 200, await r.text()

        # The API's call control takes a tenant's token on its own calls only.
        api = f"{base}/api/v1/calls"
        listen = {"supervisor": "sue", "mode": "whisper", "endpoint": "PJSIP/150"}
        async with http(ACME) as acme:
            async with acme.post(f"{api}/{calls.globex_call}/monitor", json=listen) as r:
                assert r.status == 404, await r.text()
            async with acme.post(f"{api}/{calls.acme_call}/monitor", json=listen) as r:
                assert r.status == 201, await r.text()
                monitor_id = (await r.json())["monitor_id"]
            async with acme.post(f"{api}/{calls.acme_call}/monitor/{monitor_id}/stop") as r:
                assert r.status == 200, await r.text()
        async with (
            http(ADMIN) as center,
            center.post(f"{api}/{calls.globex_call}/monitor", json=listen) as r,
        ):
            assert r.status == 201, await r.text()  # the center's token: any call
        for channel in (calls.globex_channel, calls.acme_channel, calls.waiting_channel):
            await sim_control.hangup(channel)


async def test_a_shared_operators_panel_says_which_client_a_call_is_for(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with running_service(two_clients(sim), db_dsn) as service:
        base = _base(service)
        calls = await busy_afternoon(sim_control, base)
        login = {"operator_id": "anna", "secret": ANNA_SECRET}
        async with http() as anna:
            # Operators are not tenants: a tenant's token opens no operator's panel.
            by_token = {"operator_id": "anna", "secret": ACME}
            async with anna.post(f"{base}/operator/api/session", json=by_token) as r:
                assert r.status == 403
            async with anna.post(f"{base}/operator/api/session", json=login) as r:
                assert r.status == 200
            async with anna.get(f"{base}/operator/api/me") as r:
                me = await r.json()
            assert me["clients"] == {"acme-support": "ACME Insurance", "globex-sales": "Globex"}
            async with anna.get(f"{base}/operator/events") as response:
                view = await Feed(response).board_where(lambda v: v["operator"]["call"])
            assert view["operator"]["call"]["client"] == "Globex"
            card_url = f"{base}/operator/api/card?call_id={calls.globex_call}"
            async with anna.get(card_url) as r:
                card = await r.json()
            assert card["client"] == "Globex"
            assert "Globex</strong>, good morning! This is <strong>Anna" in card["script_html"]
        for channel in (calls.globex_channel, calls.acme_channel, calls.waiting_channel):
            await sim_control.hangup(channel)


async def test_the_client_shows_while_ringing_and_the_card_is_that_clients_only(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    # The same person called Globex (and is Globex's customer), then calls ACME: Anna,
    # whose phone rings for ACME, sees "ACME Insurance" and none of the Globex side.
    async with running_service(two_clients(sim), db_dsn) as service:
        base = _base(service)
        await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
        first = await sim_control.place_call(caller_number=GLOBEX_WAITING, exten="200")
        await until_board(
            base, ADMIN, lambda b: (operator(b, "anna") or {}).get("state") == "on_call"
        )
        await sim_control.hangup(first["id"])
        await until_board(base, ADMIN, lambda b: (operator(b, "anna") or {}).get("call") is None)
        conn = await asyncpg.connect(db_dsn)
        try:
            await conn.execute(
                "INSERT INTO customers (phone, name, tenant) VALUES ($1, 'Globex VIP', 'globex')",
                GLOBEX_WAITING,
            )
        finally:
            await conn.close()
        # Carl is away and Anna's phone rings long: the offer stays on her panel.
        await sim_control.set_endpoint("PJSIP", "102", online=False)
        await sim_control.set_endpoint("PJSIP", "101", answer_after=3000)
        again = await sim_control.place_call(caller_number=GLOBEX_WAITING, exten="100")
        async with http() as anna:
            login = {"operator_id": "anna", "secret": ANNA_SECRET}
            async with anna.post(f"{base}/operator/api/session", json=login) as r:
                assert r.status == 200
            async with anna.get(f"{base}/operator/events") as response:
                view = await Feed(response).board_where(
                    lambda v: v["operator"]["state"] == "offered" and v["operator"]["call"]
                )
            call = view["operator"]["call"]
            assert call["client"] == "ACME Insurance"
            async with anna.get(f"{base}/operator/api/card?call_id={call['id']}") as r:
                card = await r.json()
        assert card["client"] == "ACME Insurance"
        assert card["customer"] is None and card["past_calls"] == []
        await sim_control.hangup(again["id"])
