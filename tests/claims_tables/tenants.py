# ruff: noqa: E501
# Quotes are exact README text and node ids are pasted into pytest as they are.
"""README claims of the section for outsourcing centers: tenants in the configuration,
their rows in PostgreSQL and its row-level security, the API and the command line."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

TENANTS = "Outsourcing centers: tenants"

_CONFIG = "tests/tenants/test_config.py"
_MIGRATION = "tests/tenants/test_migration.py"
_CALLS = "tests/tenants/test_call_path.py"
_API = "tests/tenants/test_api.py"
_CLI = "tests/tenants/test_cli.py"
_PAGES = "tests/tenants/test_pages.py"
_RELOAD = "tests/tenants/test_reload.py"

CLAIMS: list[Claim] = [
    Claim(
        TENANTS,
        "Queues, campaigns and calendars name their `tenant`; those that name none belong to the tenant `default`, so a configuration written before tenants loads unchanged",
        claims(f"{_CONFIG}::test_a_file_without_tenants_puts_everything_in_default"),
    ),
    Claim(
        TENANTS,
        "A queue naming an unknown tenant, a campaign using another tenant's queue, or one token given to two tenants is a configuration error with its file, line and field",
        claims(
            f"{_CONFIG}::test_an_unknown_tenant_is_located",
            f"{_CONFIG}::test_a_campaign_cannot_use_another_tenants_queue",
            f"{_CONFIG}::test_a_token_cannot_serve_two_tenants",
        ),
    ),
    Claim(
        TENANTS,
        "An operator serves the tenants of their queues: one, or several (a shared pool)",
        claims(f"{_CONFIG}::test_tenants_with_tokens_from_the_environment"),
    ),
    Claim(
        TENANTS,
        "an existing database migrates in place, every row in tenant `default`",
        claims(f"{_MIGRATION}::test_a_single_tenant_database_keeps_every_row_in_default"),
    ),
    Claim(
        TENANTS,
        "Every call, its events and its recordings carry the tenant of the queue the call arrived in",
        claims(f"{_CALLS}::test_every_row_of_a_call_carries_its_queues_tenant"),
    ),
    Claim(
        TENANTS,
        "Campaigns, their leads and attempts, and callbacks take their tenant from their campaign or queue in PostgreSQL",
        claims(f"{_MIGRATION}::test_children_take_their_parents_tenant"),
    ),
    Claim(
        TENANTS,
        "such a session sees and changes only that tenant's rows, even with an explicit filter for another's",
        claims(
            f"{_MIGRATION}::test_a_tenant_session_sees_only_its_rows",
            f"{_MIGRATION}::test_a_tenant_cannot_write_a_row_for_another",
        ),
    ),
    Claim(
        TENANTS,
        "gets 404 for another tenant's call, recording, campaign, attempt, lead, queue or operator, whether named in the path, the query or the body",
        claims(
            f"{_API}::test_another_tenants_call_recording_campaign_is_404",
            f"{_API}::test_targets_named_in_a_body_must_be_the_tenants",
            f"{_API}::test_no_route_reads_across_tenants",
        ),
    ),
    Claim(
        TENANTS,
        "`GET /api/v1/queues` and `GET /api/v1/operators` show it its own queues and the operators serving them",
        claims(f"{_API}::test_queues_and_operators_show_a_tenant_its_own"),
    ),
    Claim(
        TENANTS,
        "A test generated from the route table tries every route with one tenant's token on the other's ids",
        claims(
            f"{_API}::test_no_route_reads_across_tenants", f"{_API}::test_every_tenant_route_exists"
        ),
    ),
    Claim(
        TENANTS,
        "`http.token` stays the center's admin token and sees everything",
        claims(f"{_API}::test_a_tenant_lists_only_its_calls_the_center_all"),
    ),
    Claim(
        TENANTS,
        "Call control (blind transfers, consultations, monitoring) accepts it on the tenant's own calls only: another tenant's call in the path is 404 before the body is even read",
        claims(
            f"{_API}::test_no_route_reads_across_tenants",
            f"{_PAGES}::test_a_tenants_supervisor_monitors_its_own_calls_only",
        ),
    ),
    Claim(
        TENANTS,
        "A tenant's token opens a wallboard that shows that tenant only, live updates included",
        claims(f"{_PAGES}::test_a_tenants_wallboard_never_shows_another_tenants_calls"),
    ),
    Claim(
        TENANTS,
        "a tenant's supervisor (`tenant: acme` under `supervisors.<id>`, or signed in with the tenant's token) monitors that tenant's calls only",
        claims(
            f"{_PAGES}::test_a_tenants_supervisor_monitors_its_own_calls_only",
            f"{_CONFIG}::test_a_supervisor_of_an_unknown_tenant_is_located",
        ),
    ),
    Claim(
        TENANTS,
        "a shared operator's panel names the client each call is for",
        claims(f"{_PAGES}::test_a_shared_operators_panel_says_which_client_a_call_is_for"),
    ),
    Claim(
        TENANTS,
        "Operators are not tenants: they sign in to their panel as before.",
        claims(f"{_PAGES}::test_a_shared_operators_panel_says_which_client_a_call_is_for"),
    ),
    Claim(
        TENANTS,
        "applies `tenants.<id>.tokens` at once: a token added works from the next request and a token removed is refused from the next request, on the API and the pages alike; the page sessions it opened (a wall screen's cookie, a supervisor's session, an open live stream) end with it",
        claims(f"{_RELOAD}::test_tenant_tokens_added_and_removed_by_a_reload_apply_at_once"),
    ),
    Claim(
        TENANTS,
        "show and change that tenant's rows only; an unknown tenant is refused",
        claims(
            f"{_CLI}::test_a_tenant_sees_only_its_rows",
            f"{_CLI}::test_a_tenant_cannot_show_another_tenants_call",
            f"{_CLI}::test_an_unknown_tenant_is_refused",
            f"{_CLI}::test_a_row_a_tenant_adds_is_its_own",
        ),
    ),
]
