"""README claims of "Wallboard and operator panel"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

SECTION = "Wallboard and operator panel"
_LIVE = "tests/web/test_live_pages.py::"
_PARTS = "tests/web/test_parts.py::"
_PANEL = "tests/web/test_panel_api.py::"
_SHOTS = "tests/web/test_screenshots.py::"
_CALL_SHOWN = _LIVE + "test_a_call_shows_on_the_wallboard_and_in_the_panel_within_a_second"

CLAIMS: list[Claim] = [
    Claim(
        SECTION,
        "`make run` prints both\naddresses",
        claims(_PARTS + "test_make_run_prints_the_pages_addresses_never_the_token"),
    ),
    Claim(
        SECTION,
        "every change of the\nrouting core (a caller joining or leaving, a ring, an operator's"
        " state, a call's outcome)\nwakes one publisher that pushes a compact board to every"
        " page, at most every 200 ms",
        claims(_CALL_SHOWN, _PARTS + "test_the_hub_debounces_a_burst_into_few_boards"),
    ),
    Claim(
        SECTION,
        "a call placed through the simulator reached the wallboard in 0.14 s\nand the"
        " operator's panel (card and script) in 0.20 s; a pause clicked in the panel reached\n"
        "the wallboard in 0.04 s",
        claims(_CALL_SHOWN),
    ),
    Claim(
        SECTION,
        "Per queue: callers waiting, the longest wait",
        claims(_SHOTS + "test_screenshots_of_a_busy_afternoon", _CALL_SHOWN),
    ),
    Claim(
        SECTION,
        "the page swaps the token for a cookie and drops it from the address. The cookie is an\n"
        "HMAC of the token, not the token",
        claims(_CALL_SHOWN, _PARTS + "test_a_wall_screen_cookie_is_no_token"),
    ),
    Claim(
        SECTION,
        "Without it the page answers 401 and says what to do.",
        claims(_LIVE + "test_the_wallboard_needs_a_token_and_the_panel_a_secret"),
    ),
    Claim(
        SECTION,
        "five wrong secrets in a minute lock that operator's login for the\nrest of the minute",
        claims(_PARTS + "test_five_wrong_secrets_lock_an_operators_login_for_the_minute"),
    ),
    Claim(
        SECTION,
        "changing the\nsecret ends it",
        claims(_PARTS + "test_operator_sessions_are_signed_expire_and_end_with_the_secret"),
    ),
    Claim(
        SECTION,
        "every action acts as that operator only",
        claims(_PANEL + "test_preview_call_card_disposition_and_callback_from_the_panel"),
    ),
    Claim(
        SECTION,
        "every value HTML-escaped",
        claims(
            _PARTS + "test_the_script_is_filled_and_escaped",
            _CALL_SHOWN,
            _PANEL + "test_preview_call_card_disposition_and_callback_from_the_panel",
        ),
    ),
    Claim(
        SECTION,
        "preview campaigns: the next lead (with its script), then call it in one click",
        claims(_PANEL + "test_preview_call_card_disposition_and_callback_from_the_panel"),
    ),
    Claim(
        SECTION,
        "schedule a callback, for the queue or ringing this operator first",
        claims(_PANEL + "test_preview_call_card_disposition_and_callback_from_the_panel"),
    ),
]
