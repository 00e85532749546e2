# ruff: noqa: E501
# Quotes are exact README text and node ids are pasted into pytest as they are.
"""README claims of customers and do-not-call per tenant (migration 017): in the tenants
section, and where inbound routing, the command line, FastAGI, the HTTP API and the
do-not-call list are described."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

TENANTS = "Outsourcing centers: tenants"
INBOUND = "How inbound routing works"
CLI = "Command line"
CAMPAIGNS = "Campaigns, leads and do-not-call"
AGI = "FastAGI"
HTTP = "HTTP API"

_CARDS = "tests/tenants/test_customer_cards.py"
_MIGRATION = "tests/tenants/test_migration_017.py"
_CLI = "tests/tenants/test_cli_cards_and_dnc.py"
_API = "tests/tenants/test_api.py"
_DNC = "tests/tenants/test_dnc_lists.py"
_FLOW = "tests/tenants/test_dnc_campaign_flow.py"
_AGI = "tests/agi/test_lookup_db.py"

_CALLER_GETS_HIS_TENANTS_CARD = (
    f"{_CARDS}::test_a_caller_gets_the_card_and_priority_of_the_tenant_they_called"
)
_API_CARDS = f"{_API}::test_each_tenant_creates_and_reads_its_own_card_of_one_phone"
_API_DNC = f"{_API}::test_do_not_call_lists_per_tenant_over_http"
_CLI_CARDS = f"{_CLI}::test_one_file_per_tenant_gives_each_its_own_card"
_CLI_DNC = f"{_CLI}::test_dnc_lists_per_tenant_on_the_command_line"
_KEEPS_ROWS = f"{_MIGRATION}::test_a_single_tenant_database_keeps_every_card_and_entry"

CLAIMS: list[Claim] = [
    # -- the tenants section ----------------------------------------------------------
    Claim(
        TENANTS,
        "A phone has at most one card per tenant",
        claims(_KEEPS_ROWS, _API_CARDS, _CLI_CARDS),
    ),
    Claim(
        TENANTS,
        "A caller gets the card, and so the priority, of the tenant of the queue their call arrived in, in the screen pop, the call's row and the operator panel, never another tenant's",
        claims(_CALLER_GETS_HIS_TENANTS_CARD),
    ),
    Claim(
        TENANTS,
        "the lookup stays one exact match on the (phone, tenant) index, the tenant known from the call's session",
        claims(
            f"{_MIGRATION}::test_the_call_paths_lookup_is_one_index_scan",
            _CALLER_GETS_HIS_TENANTS_CARD,
        ),
    ),
    Claim(
        TENANTS,
        "FastAGI's `lookup` takes the tenant of the called number's queue",
        claims(
            f"{_AGI}::test_lookup_finds_the_card_of_the_called_numbers_tenant",
            f"{_AGI}::test_lookup_finds_no_card_of_another_tenant",
        ),
    ),
    Claim(
        TENANTS,
        "`callrouter --tenant acme customers import FILE` (and `add`) writes acme's cards and `show` reads them; without `--tenant` they act on `default`'s, and `list` shows every tenant's",
        claims(
            _CLI_CARDS,
            "tests/tenants/test_cli.py::test_a_row_a_tenant_adds_is_its_own",
            "tests/tenants/test_cli.py::test_a_tenant_sees_only_its_rows",
        ),
    ),
    Claim(
        TENANTS,
        "A file is imported into one tenant: a `tenant` column is refused",
        claims(f"{_CLI}::test_a_tenant_column_is_refused_not_ignored"),
    ),
    Claim(TENANTS, "A tenant's API token reads and writes its own cards", claims(_API_CARDS)),
    Claim(
        TENANTS,
        "The migration keeps every row of an existing database: cards in `default`, entries on the center's list",
        claims(_KEEPS_ROWS),
    ),
    # -- inbound routing, command line, FastAGI, HTTP API -----------------------------
    Claim(
        INBOUND, "the card is the one of the queue's tenant", claims(_CALLER_GETS_HIS_TENANTS_CARD)
    ),
    Claim(CLI, "into `--tenant`'s cards, else `default`'s", claims(_CLI_CARDS)),
    Claim(
        CLI,
        "the do-not-call list: the center's, or with `--tenant` that tenant's",
        claims(_CLI_DNC),
    ),
    Claim(
        AGI,
        "when the caller is a known customer of the called number's tenant",
        claims(
            f"{_AGI}::test_lookup_finds_the_card_of_the_called_numbers_tenant",
            "tests/agi/test_routes.py::test_lookup_passes_the_called_number_not_the_caller_argument",
        ),
    ),
    Claim(
        HTTP,
        "customer cards of one tenant: a tenant's token its own, the center's token the `tenant` named, else `default`'s",
        claims(_API_CARDS, f"{_API}::test_no_route_reads_across_tenants"),
    ),
    Claim(HTTP, "create or replace that tenant's card of the phone", claims(_API_CARDS)),
    Claim(
        HTTP,
        "do-not-call entries: the center's list unless a tenant's token or `tenant` names one",
        claims(_API_DNC),
    ),
    # -- whose do-not-call list ---------------------------------------------------------
    Claim(
        CAMPAIGNS,
        "is the center's: a legal register or a company-wide request, it blocks every tenant's campaigns",
        claims(
            f"{_DNC}::test_a_tenants_entry_blocks_its_campaigns_the_centers_every_campaign",
            f"{_FLOW}::test_each_campaign_is_checked_against_the_centers_list_and_its_tenants",
        ),
    ),
    Claim(
        CAMPAIGNS,
        "is acme's and blocks acme's campaigns only; so is a request made during a call of an acme campaign",
        claims(
            f"{_FLOW}::test_each_campaign_is_checked_against_the_centers_list_and_its_tenants",
            f"{_DNC}::test_a_request_during_a_call_lands_on_the_campaigns_tenants_list",
            _CLI_DNC,
            _API_DNC,
        ),
    ),
    Claim(
        CAMPAIGNS,
        "One number may be on both",
        claims(f"{_DNC}::test_one_phone_on_the_centers_and_a_tenants_list_is_two_entries"),
    ),
    Claim(
        CAMPAIGNS,
        "A campaign's leads and callbacks are checked against the center's list and their tenant's",
        claims(
            f"{_DNC}::test_a_tenants_entry_blocks_its_campaigns_the_centers_every_campaign",
            f"{_DNC}::test_due_callbacks_are_cancelled_by_their_tenants_list",
        ),
    ),
    Claim(
        CAMPAIGNS,
        "a number an operator types for a click-to-call against the center's and those of every tenant the operator serves",
        claims(
            f"{_FLOW}::test_a_typed_number_is_checked_against_the_lists_of_the_operators_tenants",
            f"{_DNC}::test_a_number_typed_by_hand_is_checked_for_whom_it_is_called",
        ),
    ),
    Claim(
        CAMPAIGNS,
        "`dnc check` and `dnc list` with `--tenant` show that tenant's entries and the center's; a tenant cannot add to, or take a number off, the center's list",
        claims(
            _CLI_DNC,
            f"{_DNC}::test_a_tenant_session_reads_its_list_and_the_centers_and_changes_its_own",
            _API_DNC,
        ),
    ),
]
