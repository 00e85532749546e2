"""The pages' pure parts without a browser: the script's escaping, secrets and
sessions, the panel's projection, and the hub's debouncing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from callrouter.config import SupervisorSettings
from callrouter.web import (
    CENTER,
    BoardHub,
    Change,
    PageKeys,
    SupervisorSession,
    hash_secret,
    panel_view,
    verify_secret,
)
from callrouter.web import render_script as render

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_script_is_filled_and_escaped() -> None:
    html = render(
        "Hello {name} <3\n\nAccount: {account}; {missing}",
        {"name": "<script>alert(1)</script>", "account": "A&B"},
    )
    assert html == (
        "<p>Hello <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong> &lt;3</p>"
        '<p>Account: <strong>A&amp;B</strong>; <span class="missing">&hellip;</span></p>'
    )


def test_a_secret_hash_verifies_only_its_secret() -> None:
    encoded = hash_secret("4711", iterations=1000)
    assert encoded.startswith("pbkdf2_sha256$1000$")
    assert verify_secret("4711", encoded)
    assert not verify_secret("4712", encoded)
    assert not verify_secret("4711", "garbage")


def test_operator_sessions_are_signed_expire_and_end_with_the_secret() -> None:
    keys = PageKeys.from_tokens(b"a-long-random-test-token-0123456789", None)
    hashes: dict[str, str | None] = {"anna.b": "pbkdf2_sha256$1000$x$y", "boris": None}
    cookie = keys.operator_cookie("anna.b", hashes["anna.b"], NOW)
    assert keys.operator_of(cookie, hashes, NOW) == "anna.b"  # a dot in the id is fine
    assert keys.operator_of(cookie.replace("anna.b", "boris"), hashes, NOW) is None
    assert keys.operator_of(cookie, hashes, NOW + timedelta(hours=13)) is None
    assert keys.operator_of(cookie, {**hashes, "anna.b": "changed"}, NOW) is None
    # The same token after a restart signs the same way: sessions survive it.
    again = PageKeys.from_tokens(b"a-long-random-test-token-0123456789", None)
    assert again.operator_of(cookie, hashes, NOW) == "anna.b"


def test_a_wall_screen_cookie_is_no_token() -> None:
    keys = PageKeys.from_tokens(b"full-token-0123456789", b"viewer-token-0123456789")
    cookie = keys.board_cookie("viewer-token-0123456789")
    assert cookie is not None and "viewer" not in cookie
    assert keys.board_viewer(cookie, None) == CENTER
    assert keys.board_viewer("forged", None) is None
    assert keys.board_cookie("wrong") is None
    assert PageKeys.from_tokens(None, None).board_viewer(None, None) == CENTER  # an open API


def test_the_panel_sees_only_its_operator_and_queues() -> None:
    board: dict[str, Any] = {
        "at": NOW.isoformat(),
        "queues": [{"name": "support"}, {"name": "sales"}],
        "operators": [
            {"id": "anna", "queues": ["support"], "call": {"caller_number": "+1"}},
            {"id": "boris", "queues": ["sales"], "call": {"caller_number": "+2"}},
        ],
        "figures": {"queues": {"support": {"offered": 3}, "sales": {"offered": 4}}},
    }
    view = panel_view(board, "anna")
    assert view["operator"]["id"] == "anna"
    assert [q["name"] for q in view["queues"]] == ["support"]
    assert view["figures"] == {"queues": {"support": {"offered": 3}}}
    assert "+2" not in str(view)


async def test_the_hub_debounces_a_burst_into_few_boards() -> None:
    built: list[int] = []
    reads: list[int] = []

    def live() -> dict[str, Any]:
        built.append(1)
        return {"at": "", "queues": [{"name": "q", "operators": {}, "n": len(built)}]}

    async def figures() -> dict[str, Any]:
        reads.append(1)
        return {}

    hub = BoardHub(live=live, figures=figures, min_interval_s=0.1, figures_min_interval_s=0.5)
    task = asyncio.create_task(hub.run())
    subscription = hub.subscribe()
    boards = subscription.boards()
    first = await asyncio.wait_for(anext(boards), 1.0)
    assert first["queues"][0]["n"] == 1
    for _ in range(100):  # a burst of changes
        hub.changed(Change.LIVE)
        await asyncio.sleep(0.001)
    await asyncio.wait_for(anext(boards), 1.0)
    await asyncio.sleep(0.3)
    task.cancel()
    # 100 changes in ~0.15 s: a handful of boards, and the figures read at most twice.
    assert len(built) <= 5, len(built)
    assert len(reads) <= 2, len(reads)
    hub.close()


def test_five_wrong_secrets_lock_an_operators_login_for_the_minute() -> None:
    from callrouter.api._panel import LoginThrottle

    throttle = LoginThrottle()
    for second in range(5):
        assert not throttle.blocked("anna", float(second))
        throttle.failed("anna", float(second))
    assert throttle.blocked("anna", 10.0)
    assert not throttle.blocked("boris", 10.0)  # per operator
    assert not throttle.blocked("anna", 65.0)  # the minute is over


def test_make_run_prints_the_pages_addresses_never_the_token() -> None:
    from callrouter.cli._runtime import console
    from callrouter.cli._serve import _print_pages
    from callrouter.config import Settings

    settings = Settings.model_validate(
        {"http": {"host": "127.0.0.1", "port": 8080, "token": "change-me-not-printed"}}
    )
    with console.capture() as captured:
        _print_pages(settings)
    text = captured.get()
    assert "wallboard: http://127.0.0.1:8080/wallboard?token=<http.viewer_token" in text
    assert "operator panel: http://127.0.0.1:8080/operator" in text
    assert "change-me-not-printed" not in text


def test_a_supervisor_session_is_its_own_and_ends_with_the_secret() -> None:
    keys = PageKeys.from_tokens(b"a-long-random-test-token-0123456789", None)
    secret_hash, changed = hash_secret("2718", iterations=1000), hash_secret("0", iterations=1000)
    lisa = _supervisors(lisa=secret_hash)
    cookie = keys.supervisor_cookie("lisa", secret_hash, NOW)
    assert keys.supervisor_of(cookie, lisa, NOW) == SupervisorSession("lisa", None)
    assert keys.supervisor_of(cookie, _supervisors(lisa=changed), NOW) is None
    assert keys.supervisor_of(cookie, lisa, NOW + timedelta(hours=13)) is None
    # An operator's session is no supervisor's, nor the other way round.
    assert keys.operator_of(cookie, {"lisa": secret_hash}, NOW) is None
    operator = keys.operator_cookie("lisa", secret_hash, NOW)
    assert keys.supervisor_of(operator, lisa, NOW) is None
    # Signed in with http.token and not configured: valid until a secret is configured.
    by_token = keys.supervisor_cookie("mike", None, NOW)
    assert keys.supervisor_of(by_token, lisa, NOW) == SupervisorSession("mike", None)
    assert keys.supervisor_of(by_token, _supervisors(mike=secret_hash), NOW) is None
    other_token = PageKeys.from_tokens(b"another-long-random-token-987654321", None)
    assert other_token.supervisor_of(by_token, lisa, NOW) is None


def _supervisors(**hashes: str | None) -> dict[str, SupervisorSettings]:
    return {name: SupervisorSettings(panel_secret_hash=h) for name, h in hashes.items()}
