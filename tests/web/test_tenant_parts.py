"""The pages' tenant parts without a browser or a service: what a tenant's projection
of the board keeps, whose board a token or cookie opens, supervisors' sessions limited
to a tenant, and the hub offering every page the board again after a reload."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from callrouter.config import SupervisorSettings
from callrouter.web import (
    CENTER,
    BoardHub,
    BoardViewer,
    Change,
    PageKeys,
    SupervisorSession,
    center_view,
    tenant_view,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACME_TOKEN = b"acme-token-0123456789abcdef"
GLOBEX_TOKEN = b"globex-token-0123456789abcdef"
BOTH = ((ACME_TOKEN, "acme"), (GLOBEX_TOKEN, "globex"))


def _call(call_id: str, queue: str, tenant: str, number: str) -> dict[str, Any]:
    client = {"acme": "ACME Insurance", "globex": "Globex"}[tenant]
    return {"id": call_id, "queue": queue, "tenant": tenant, "client": client,
            "caller_number": number, "caller_name": f"caller of {client}"}  # fmt: skip


def _board() -> dict[str, Any]:
    """Anna serves both tenants and talks to a Globex caller; Gus serves Globex only;
    Carl serves ACME and talks to an ACME caller."""
    return {
        "at": NOW.isoformat(),
        "queues": [
            {"name": "acme-support", "tenant": "acme", "client": "ACME Insurance", "waiting": 1},
            {"name": "globex-sales", "tenant": "globex", "client": "Globex", "waiting": 4},
        ],
        "operators": [
            {"id": "anna", "name": "Anna", "state": "on_call", "reason": None, "since": None,
             "pending": None, "online": True, "queues": ["acme-support", "globex-sales"],
             "call": _call("call-g1", "globex-sales", "globex", "+1555000111")},
            {"id": "gus", "name": "Gus", "state": "available", "reason": None, "since": None,
             "pending": None, "online": True, "queues": ["globex-sales"], "call": None},
            {"id": "carl", "name": "Carl", "state": "on_call", "reason": None, "since": None,
             "pending": None, "online": True, "queues": ["acme-support"],
             "call": _call("call-a1", "acme-support", "acme", "+1555000222")},
        ],
        "figures": {
            "day_start": NOW.isoformat(), "timezone": "UTC",
            "queues": {"acme-support": {"offered": 3}, "globex-sales": {"offered": 9}},
            "intraday": [{"start": "s", "offered": 12}],
            "intraday_by_tenant": {"acme": [{"start": "s", "offered": 3}],
                                   "globex": [{"start": "s", "offered": 9}]},
            "campaigns": [{"name": "renewals", "tenant": "acme", "queue": "acme-support"},
                          {"name": "globex-push", "tenant": "globex", "queue": "globex-sales"},
                          {"name": "retired", "tenant": None, "queue": None}],
        },
    }  # fmt: skip


def test_a_tenant_sees_its_queues_figures_and_operators_and_nothing_of_another() -> None:
    view = tenant_view(_board(), "acme")
    assert [q["name"] for q in view["queues"]] == ["acme-support"]
    assert [op["id"] for op in view["operators"]] == ["anna", "carl"]  # not gus
    anna, carl = view["operators"]
    # Anna is busy for Globex: busy, with none of that call, and only ACME's queue.
    assert anna["state"] == "on_call" and anna["call"] is None and anna["elsewhere"] is True
    assert anna["queues"] == ["acme-support"]
    assert carl["call"]["caller_number"] == "+1555000222" and carl["elsewhere"] is False
    figures = view["figures"]
    assert figures["queues"] == {"acme-support": {"offered": 3}}
    assert figures["intraday"] == [{"start": "s", "offered": 3}]
    assert [c["name"] for c in figures["campaigns"]] == ["renewals"]
    text = json.dumps(view)
    for theirs in ("globex", "Globex", "call-g1", "+1555000111", "gus", "retired"):
        assert theirs not in text, theirs


def test_a_field_added_to_the_board_later_does_not_reach_a_tenant() -> None:
    board = _board()
    board["operators"][0]["secret_new_field"] = "globex data"
    board["new_section"] = ["globex data"]
    assert "globex data" not in json.dumps(tenant_view(board, "acme"))


def test_the_center_sees_everything_but_the_tenants_charts() -> None:
    view = center_view(_board())
    assert "intraday_by_tenant" not in view["figures"]
    assert view["operators"] == _board()["operators"]
    assert {q["name"] for q in view["queues"]} == {"acme-support", "globex-sales"}


def test_a_tenants_token_opens_its_board_until_it_is_removed() -> None:
    keys = PageKeys.from_tokens(b"admin-token-0123456789abcdef", b"viewer-token-0123456789")
    cookie = keys.board_cookie(ACME_TOKEN.decode(), BOTH)
    assert cookie is not None and "acme" not in cookie
    assert keys.board_viewer(cookie, None, BOTH) == BoardViewer("acme")
    assert keys.board_viewer(None, GLOBEX_TOKEN.decode(), BOTH) == BoardViewer("globex")
    assert keys.board_viewer(None, "admin-token-0123456789abcdef", BOTH) == CENTER
    viewer = keys.board_cookie("viewer-token-0123456789", BOTH)
    assert keys.board_viewer(viewer, None, BOTH) == CENTER  # the wall screens' token
    # A reload removed acme's token: its cookie and its bearer open nothing any more.
    globex_only = ((GLOBEX_TOKEN, "globex"),)
    assert keys.board_viewer(cookie, None, globex_only) is None
    assert keys.board_viewer(None, ACME_TOKEN.decode(), globex_only) is None
    assert keys.board_cookie(ACME_TOKEN.decode(), globex_only) is None
    # On an open API a tenant's token still opens only its own board.
    open_keys = PageKeys.from_tokens(None, None)
    assert open_keys.board_viewer(None, ACME_TOKEN.decode(), BOTH) == BoardViewer("acme")


def test_a_supervisor_signed_in_with_a_tenants_token_is_that_tenants_until_it_goes() -> None:
    keys = PageKeys.from_tokens(b"admin-token-0123456789abcdef", None)
    cookie = keys.supervisor_cookie("sue", None, NOW, tenant="acme", tenant_token=ACME_TOKEN)
    assert keys.supervisor_of(cookie, {}, NOW, BOTH) == SupervisorSession("sue", "acme")
    assert keys.supervisor_of(cookie, {}, NOW, ((GLOBEX_TOKEN, "globex"),)) is None
    # The token moved to another tenant: the session does not follow it.
    assert keys.supervisor_of(cookie, {}, NOW, ((ACME_TOKEN, "globex"),)) is None
    # Another tenant's name in the cookie breaks its signature.
    forged = cookie.replace("acme:", "globex:", 1)
    assert keys.supervisor_of(forged, {}, NOW, BOTH) is None
    assert keys.supervisor_of(cookie.replace("acme:", "", 1), {}, NOW, BOTH) is None
    assert keys.supervisor_of(cookie, {}, NOW + timedelta(hours=13), BOTH) is None


def test_a_configured_tenants_supervisor_session_ends_when_their_tenant_changes() -> None:
    keys = PageKeys.from_tokens(b"admin-token-0123456789abcdef", None)
    configured = {"sue": SupervisorSettings(tenant="acme")}
    cookie = keys.supervisor_cookie("sue", None, NOW, tenant="acme")
    assert keys.supervisor_of(cookie, configured, NOW) == SupervisorSession("sue", "acme")
    moved = {"sue": SupervisorSettings(tenant="globex")}
    assert keys.supervisor_of(cookie, moved, NOW) is None
    assert keys.supervisor_of(cookie, {"sue": SupervisorSettings()}, NOW) is None


async def test_after_a_reload_every_page_gets_the_board_again() -> None:
    async def figures() -> dict[str, Any]:
        return {}

    hub = BoardHub(live=lambda: {"at": "", "queues": []}, figures=figures, min_interval_s=0.05)
    task = asyncio.create_task(hub.run())
    try:
        boards = hub.subscribe().boards()
        await asyncio.wait_for(anext(boards), 1.0)
        hub.changed(Change.LIVE)  # the same board: nothing new for the page
        waiting = asyncio.ensure_future(anext(boards))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        hub.changed(Change.SETTINGS)  # the same board, offered again to be checked
        assert (await asyncio.wait_for(waiting, 1.0))["queues"] == []
    finally:
        task.cancel()
        hub.close()
