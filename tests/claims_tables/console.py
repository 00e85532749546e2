"""README claims of "Wallboard and operator panel"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

SECTION = "Wallboard and operator panel"
_LIVE = "tests/web/test_live_pages.py::"
_PARTS = "tests/web/test_parts.py::"
_PANEL = "tests/web/test_panel_api.py::"
_SHOTS = "tests/web/test_screenshots.py::"
_TENANT_PAGES = "tests/tenants/test_pages.py::"
_TENANT_PARTS = "tests/web/test_tenant_parts.py::"
_TENANT_BROWSER = (
    "tests/web/test_tenant_pages.py::test_acmes_wall_screen_and_annas_panel_in_a_browser"
)
_TENANT_BOARD = _TENANT_PAGES + "test_a_tenants_wallboard_never_shows_another_tenants_calls"
_TENANT_SUPERVISOR = _TENANT_PAGES + "test_a_tenants_supervisor_monitors_its_own_calls_only"
_TENANT_RELOAD = (
    "tests/tenants/test_reload.py::test_tenant_tokens_added_and_removed_by_a_reload_apply_at_once"
)
_SHARED_PANEL = _TENANT_PAGES + "test_a_shared_operators_panel_says_which_client_a_call_is_for"
_RINGING_CLIENT = (
    _TENANT_PAGES + "test_the_client_shows_while_ringing_and_the_card_is_that_clients_only"
)
_CALL_SHOWN = _LIVE + "test_a_call_shows_on_the_wallboard_and_in_the_panel_within_a_second"

CLAIMS: list[Claim] = [
    Claim(
        SECTION,
        "a tenant's own token (one of `tenants.<id>.tokens`) opens the wallboard the same way",
        claims(
            _TENANT_BOARD,
            _TENANT_BROWSER,
            _TENANT_PARTS + "test_a_tenants_token_opens_its_board_until_it_is_removed",
        ),
    ),
    Claim(
        SECTION,
        "shows that tenant's board only: its queues with their waiting callers, calls and"
        " today's figures, its own quarter-hour chart and its campaigns",
        claims(
            _TENANT_BOARD,
            "tests/tenants/test_board_figures.py::test_each_tenants_chart_sums_its_own_queues",
            _TENANT_PARTS
            + "test_a_tenant_sees_its_queues_figures_and_operators_and_nothing_of_another",
            _TENANT_PARTS + "test_a_field_added_to_the_board_later_does_not_reach_a_tenant",
        ),
    ),
    Claim(
        SECTION,
        'a shared operator busy on another tenant\'s call shows as busy "for another client",'
        " without that call's caller, queue or client",
        claims(
            _TENANT_BOARD,
            _TENANT_BROWSER,
            _TENANT_PARTS
            + "test_a_tenant_sees_its_queues_figures_and_operators_and_nothing_of_another",
        ),
    ),
    Claim(
        SECTION,
        "Every push is cut to the page's tenant before it is sent, and a change that leaves"
        " that tenant's board as it was (another tenant's caller joining, say) sends its pages"
        " nothing",
        claims(_TENANT_BOARD),
    ),
    Claim(
        SECTION,
        "A supervisor signed in with a tenant's token, or configured with"
        " `supervisors.<id>.tenant`, sees that tenant's board and monitors that tenant's calls"
        " only: another tenant's call answers 404, as if it did not exist",
        claims(
            _TENANT_SUPERVISOR,
            _TENANT_PARTS
            + "test_a_supervisor_signed_in_with_a_tenants_token_is_that_tenants_until_it_goes",
            _TENANT_PARTS
            + "test_a_configured_tenants_supervisor_session_ends_when_their_tenant_changes",
        ),
    ),
    Claim(
        SECTION,
        "`http.token` and `http.viewer_token` still show the whole center, where each queue"
        " and each call names its client",
        claims(
            _TENANT_BOARD,
            _TENANT_BROWSER,
            _TENANT_PARTS + "test_a_tenants_token_opens_its_board_until_it_is_removed",
            _TENANT_PARTS + "test_the_center_sees_everything_but_the_tenants_charts",
        ),
    ),
    Claim(
        SECTION,
        "When a reload removes a token, the pages it opened end at once: their live stream"
        " closes and the page asks for a token again",
        claims(_TENANT_RELOAD, _TENANT_BROWSER),
    ),
    Claim(
        SECTION,
        'the client company each call is for ("for ACME Insurance": the tenant\'s `name`),'
        " shown as soon as the phone rings, and beside each of the operator's queues",
        claims(_SHARED_PANEL, _RINGING_CLIENT, _TENANT_BROWSER),
    ),
    Claim(
        SECTION,
        "so an operator shared between clients greets each caller in the right name"
        " (`{client}` puts it in the script)",
        claims(_SHARED_PANEL, _TENANT_BROWSER),
    ),
    Claim(
        SECTION,
        "The card's customer record and past calls are that client's only",
        claims(_RINGING_CLIENT),
    ),
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
