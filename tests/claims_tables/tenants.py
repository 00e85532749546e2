# ruff: noqa: E501
# Quotes are exact README text and node ids are pasted into pytest as they are.
"""README claims of the section for outsourcing centers: tenants in the configuration,
their rows in PostgreSQL and its row-level security, the API and the command line."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

TENANTS = "Outsourcing centers: tenants"
INBOUND = "How inbound routing works"
CRM = "CRM webhooks"
RECORDING = "Recording"
CLI = "Command line"
TRANSFERS = "Transfers, escalation and monitoring"

_CONFIG = "tests/tenants/test_config.py"
_MIGRATION = "tests/tenants/test_migration.py"
_CALLS = "tests/tenants/test_call_path.py"
_API = "tests/tenants/test_api.py"
_CLI = "tests/tenants/test_cli.py"
_FAIR = "tests/acd/test_tenant_fairness.py"
_FAIR_PROPS = "tests/acd/test_tenant_fairness_properties.py"
_FAIR_WIRE = "tests/tenants/test_fairness_call_path.py"
_PAGES = "tests/tenants/test_pages.py"
_RELOAD = "tests/tenants/test_reload.py"
_CRM = "tests/crm/test_tenants.py"
_CRM_CALLS = "tests/tenants/test_crm_calls.py"
_RECORDINGS = "tests/tenants/test_recordings.py"

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
            "tests/tenants/test_live_call_control.py::test_a_tenant_monitors_its_live_call_before_its_row_is_written",
        ),
    ),
    Claim(
        TENANTS,
        "a call in progress is its own from its first moment (the call says whose it is, its row may not be written yet)",
        claims("tests/tenants/test_live_call_control.py::test_a_tenant_monitors_its_live_call_before_its_row_is_written"),
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
    Claim(
        TENANTS,
        "A tenant with a `crm` of its own gets every webhook of its calls",
        claims(
            f"{_CRM_CALLS}::test_each_tenants_crm_sees_its_calls_and_no_one_elses",
            f"{_CRM_CALLS}::test_a_transferred_calls_webhooks_stay_with_its_tenants_crm",
            f"{_CRM}::test_each_tenants_calls_go_to_its_own_crm_signed_with_its_secret",
            f"{_CONFIG}::test_the_readme_example_loads",
        ),
    ),
    Claim(
        TENANTS,
        "an event it gives no URL for is not sent at all",
        claims(f"{_CRM}::test_each_tenants_calls_go_to_its_own_crm_signed_with_its_secret"),
    ),
    Claim(
        TENANTS,
        "Its calls never reach the center's CRM nor another tenant's",
        claims(
            f"{_CRM_CALLS}::test_each_tenants_crm_sees_its_calls_and_no_one_elses",
            f"{_CRM}::test_each_tenants_calls_go_to_its_own_crm_signed_with_its_secret",
        ),
    ),
    Claim(
        TENANTS,
        "A tenant without a `crm` of its own, like the tenant `default`, uses the center's `crm`: the center's CRM then receives those tenants' calls too",
        claims(
            f"{_CRM_CALLS}::test_each_tenants_crm_sees_its_calls_and_no_one_elses",
            f"{_CRM}::test_each_tenants_calls_go_to_its_own_crm_signed_with_its_secret",
        ),
    ),
    Claim(
        TENANTS,
        "`crm.timeout_s` and `crm.max_attempts` hold for every CRM",
        claims(f"{_CRM}::test_the_centers_timeout_and_attempts_hold_for_a_tenants_crm"),
    ),
    Claim(
        TENANTS,
        "Each CRM has its own 8 request slots and its own backlog, so a tenant's CRM that is down delays and retries only that tenant's webhooks",
        claims(f"{_CRM}::test_a_crm_that_is_down_holds_up_no_other_tenants_deliveries"),
    ),
    Claim(
        TENANTS,
        "Each delivery keeps its tenant in the webhook journal and in `webhook_deliveries` (`tenant`), so one resumed after a restart still goes to its tenant's CRM",
        claims(
            f"{_CRM}::test_a_journalled_delivery_resumes_to_its_tenants_crm",
            f"{_CRM}::test_pending_rows_resume_to_their_tenants_crm",
        ),
    ),
    Claim(
        TENANTS,
        "Tenants' secrets, like `crm.secret`, never reach the logs",
        claims(
            f"{_CRM}::test_tenant_secrets_never_reach_the_logs",
            f"{_CONFIG}::test_a_tenants_crm_secret_comes_from_the_environment",
        ),
    ),
    Claim(
        TENANTS,
        "A tenant other than `default` records into a folder of its own in Asterisk's recordings directory",
        claims(
            f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder",
            "tests/sim/test_media.py::test_a_recording_name_may_hold_folders_as_on_asterisk",
        ),
    ),
    Claim(
        TENANTS,
        "while the tenant `default` keeps the flat `callrouter-<call id>`, so a setup without tenants sees no change",
        claims(
            f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder",
            "tests/calls/test_inbound_flow.py::test_direct_connect_records_and_logs",
        ),
    ),
    Claim(
        TENANTS,
        "holds each recording to its tenant's `recording_retention_days`, else `recording.retention_days`",
        claims(
            f"{_RECORDINGS}::test_the_running_service_purges_by_each_tenants_retention",
            f"{_RECORDINGS}::test_purge_on_the_command_line_per_tenant",
        ),
    ),
    Claim(
        TENANTS,
        "act on acme's recordings only, the purge by acme's retention",
        claims(
            f"{_RECORDINGS}::test_purge_on_the_command_line_per_tenant",
            f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder",
        ),
    ),
    Claim(
        TENANTS,
        "an export keeps the tenant folders, and its `index.csv` has a `tenant` column",
        claims(f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder"),
    ),
    Claim(
        CRM,
        "a call of a tenant with a CRM of its own goes to that tenant's `crm.webhooks` instead, signed with its `crm.secret`",
        claims(
            f"{_CRM_CALLS}::test_each_tenants_crm_sees_its_calls_and_no_one_elses",
            f"{_CRM}::test_each_tenants_calls_go_to_its_own_crm_signed_with_its_secret",
        ),
    ),
    Claim(
        CRM,
        "The cap is per CRM: a tenant's own CRM has 8 of its own",
        claims(
            "tests/claims/test_crm_claims.py::test_at_most_8_requests_in_flight_by_default",
            f"{_CRM}::test_a_crm_that_is_down_holds_up_no_other_tenants_deliveries",
        ),
    ),
    Claim(
        RECORDING,
        "a tenant's other than `default` go to a folder of their own, `<tenant>/callrouter-<call id>`",
        claims(f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder"),
    ),
    Claim(
        RECORDING,
        "Recordings older than their retention (their tenant's `recording_retention_days`, else `recording.retention_days`)",
        claims(
            f"{_RECORDINGS}::test_the_running_service_purges_by_each_tenants_retention",
            f"{_RECORDINGS}::test_purge_on_the_command_line_per_tenant",
            "tests/store/test_retention.py::test_sweeper_purges_past_retention_on_schedule",
        ),
    ),
    Claim(
        TENANTS,
        "(the folder is part of the name in `recordings` and over ARI; Asterisk makes it)",
        claims(
            f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder",
            "tests/sim/test_media.py::test_a_recording_name_may_hold_folders_as_on_asterisk",
        ),
    ),
    Claim(
        RECORDING,
        "Asterisk stores a call's recording as `callrouter-<call id>` in its recordings directory",
        claims(f"{_RECORDINGS}::test_a_tenants_calls_are_recorded_into_its_folder"),
    ),
    Claim(
        CLI,
        "delete recordings past their tenant's `recording_retention_days`, else `recording.retention_days`, on Asterisk",
        claims(f"{_RECORDINGS}::test_purge_on_the_command_line_per_tenant"),
    ),
    Claim(
        TRANSFERS,
        "the first part keeps the name `callrouter-<call id>` (in its tenant's folder, if any)",
        claims(
            "tests/call_control/test_transfers_live.py::test_blind_transfer_to_a_queue_records_each_part_and_logs_blindtransfer",
            f"{_CRM_CALLS}::test_a_transferred_calls_webhooks_stay_with_its_tenants_crm",
        ),
    ),
    Claim(
        INBOUND,
        "Between the callers of several tenants, an operator they share follows the center's fairness between tenants first",
        claims(f"{_FAIR}::test_priority_mode_serves_the_higher_tenant_first"),
    ),
    Claim(
        TENANTS,
        "An operator shared by several tenants, when they become free with callers of more than one tenant waiting for them, takes the caller the center's `tenant_fairness.mode` names",
        claims(
            f"{_FAIR_WIRE}::test_a_shared_operator_takes_the_caller_the_fairness_rule_names",
            f"{_CONFIG}::test_fairness_between_tenants_reaches_the_routing_core",
        ),
    ),
    Claim(
        TENANTS,
        "Inside a tenant the rule of *One dispatcher across queues* holds: each tenant puts forward the caller that rule picks among its callers the operator may take, and the mode chooses between those",
        claims(
            f"{_FAIR}::test_inside_a_tenant_call_priority_then_wait_as_before",
            f"{_FAIR_PROPS}::test_priority_mode_never_passes_over_a_higher_tenant",
            f"{_FAIR_PROPS}::test_sla_risk_mode_takes_the_candidate_most_at_risk",
        ),
    ),
    Claim(
        TENANTS,
        "a tenant says nothing: priority 0, weight 1",
        claims(f"{_CONFIG}::test_fairness_between_tenants_reaches_the_routing_core"),
    ),
    Claim(
        TENANTS,
        "`none`, the default: tenants do not matter, as in a center without them",
        claims(
            f"{_CONFIG}::test_without_a_fairness_section_tenants_do_not_matter",
            f"{_FAIR}::test_without_a_mode_tenants_do_not_matter",
            f"{_FAIR_PROPS}::test_where_tenants_cannot_differ_every_mode_chooses_as_today",
        ),
    ),
    Claim(
        TENANTS,
        "`priority`: the tenant with the higher `priority` first, strictly: a caller of a lower tenant, VIP or not, waits while a higher tenant has a caller the operator may take",
        claims(
            f"{_FAIR}::test_priority_mode_serves_the_higher_tenant_first",
            f"{_FAIR}::test_priority_mode_a_vip_of_a_lower_tenant_waits",
            f"{_FAIR_PROPS}::test_priority_mode_never_passes_over_a_higher_tenant",
        ),
    ),
    Claim(
        TENANTS,
        "Tenants of equal priority are served as if they were one",
        claims(f"{_FAIR_PROPS}::test_where_tenants_cannot_differ_every_mode_chooses_as_today"),
    ),
    Claim(
        TENANTS,
        "`sla_risk`: the caller put forward who has waited the largest share of their own queue's `service_level_s` first",
        claims(
            f"{_FAIR}::test_sla_risk_mode_serves_the_largest_fraction_of_its_service_level",
            f"{_FAIR_PROPS}::test_sla_risk_mode_takes_the_candidate_most_at_risk",
        ),
    ),
    Claim(
        TENANTS,
        "Between tenants this comes before call priority: a VIP is their tenant's caller put forward, with their own wait",
        claims(f"{_FAIR}::test_sla_risk_mode_a_vip_is_their_tenants_candidate_with_their_own_wait"),
    ),
    Claim(
        TENANTS,
        "each operator splits the calls they answer between the tenants with a caller waiting for them in proportion to `weight` (smooth weighted round robin, kept per operator)",
        claims(
            f"{_FAIR}::test_weighted_mode_splits_a_shared_operators_calls_by_weight",
            f"{_FAIR}::test_weighted_mode_keeps_each_operators_split_apart",
        ),
    ),
    Claim(
        TENANTS,
        "with weights 2 and 1 and callers of both always waiting, acme, globex, acme, acme, globex, acme",
        claims(f"{_FAIR}::test_weighted_mode_splits_a_shared_operators_calls_by_weight"),
    ),
    Claim(
        TENANTS,
        "While every tenant has callers, each one's count stays within one call of its share",
        claims(f"{_FAIR_PROPS}::test_weighted_split_stays_within_one_call_of_the_weights"),
    ),
    Claim(
        TENANTS,
        "a tenant with a caller at each of the operator's picks is served at least once in any 2W picks in a row (W the sum of the weights of the tenants they serve)",
        claims(
            f"{_FAIR_PROPS}::test_weighted_a_tenant_with_a_caller_at_every_pick_is_served_every_2w_picks"
        ),
    ),
    Claim(
        TENANTS,
        "a tenant without callers banks no turns for later",
        claims(f"{_FAIR}::test_weighted_mode_a_tenant_without_callers_banks_no_turns"),
    ),
    Claim(
        TENANTS,
        "An offer not answered does not count; a callback the operator is reserved for counts as its tenant's",
        claims(
            f"{_FAIR}::test_weighted_mode_an_offer_not_answered_does_not_count",
            f"{_FAIR_PROPS}::test_weighted_split_stays_within_one_call_of_the_weights",
            f"{_FAIR}::test_weighted_mode_a_callback_counts_as_its_tenants_call",
        ),
    ),
    Claim(
        TENANTS,
        "The counts are kept across logouts and reloads",
        claims(f"{_FAIR}::test_weighted_credits_survive_a_reload_and_a_logout"),
    ),
    Claim(
        TENANTS,
        "A due callback competes with the waiting callers by the same rule",
        claims(f"{_FAIR}::test_a_due_callback_competes_by_the_same_rule"),
    ),
    Claim(
        TENANTS,
        "A caller who starts waiting while an operator who may take them is free is rung at once, whatever the mode",
        claims(f"{_FAIR}::test_a_caller_arriving_while_a_shared_operator_is_free_is_rung_at_once"),
    ),
    Claim(
        TENANTS,
        "With a single tenant, or mode `none`, every choice is the one a center without tenants makes",
        claims(f"{_FAIR_PROPS}::test_where_tenants_cannot_differ_every_mode_chooses_as_today"),
    ),
    Claim(
        TENANTS,
        "An unknown mode, a weight below 1 or a priority that is not an integer is a configuration error with its file, line and field",
        claims(f"{_CONFIG}::test_a_bad_fairness_value_is_located"),
    ),
]
