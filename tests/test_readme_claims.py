# ruff: noqa: E501
# The table's quotes are exact README text and its node ids are pasted into pytest as
# they are: wrapping either would make them harder to grep for than a long line is to read.
"""Every behaviour README.md promises is proved by a test that would fail without it.

``CLAIMS`` maps a short exact quote of README.md, in the section it belongs to, to the
tests that prove it. This module checks the map stays true while both files change:

- each quote is still in its section (whitespace and line breaks normalised, since
  README lines wrap), so a promise reworded or moved is noticed and re-mapped;
- each test named exists and is collected (a parametrised ``test_x[seed]`` counts as
  ``test_x``), so a renamed or deleted test cannot leave a promise unproven;
- every ``test_...``, ``tests/...py`` and ``tests/...py::test_...`` the README names in
  backticks exists, so the README never points a reader at a test that is gone.

A new promise in the README gets a row here; when no test proves it yet, the test goes
in ``tests/claims/`` (real PostgreSQL, the simulated Asterisk, real processes; no mocks).
The suite is collected once per session in a subprocess: importing every test module
here would drag their fixtures and plugins into this session.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.claims_tables import Claim, extra_claims

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
TESTS = REPO / "tests"


def _t(*node_ids: str) -> tuple[str, ...]:
    return node_ids


QUICK = "Quick start"
ASTERISK = "Connecting a real Asterisk"
INBOUND = "How inbound routing works"
RECORDED = "What is recorded for every call"
RECORDING = "Recording"
OUTBOUND = "Outbound calls"
NOTHING_LOST = "Nothing lost"
CLI = "Command line"
CONFIG = "Configuration"
STORAGE = "Storage"
CAMPAIGNS = "Campaigns, leads and do-not-call"
AGI = "FastAGI"
CRM = "CRM webhooks"
HTTP = "HTTP API"
ARI = "The ARI client and the simulated Asterisk"
DESIGN = "Design"
LIMITS = "Known limitations"

CLAIMS: list[Claim] = [
    # -- Quick start --------------------------------------------------------------------
    Claim(QUICK, "The image runs `callrouter db migrate` then `callrouter serve` with the config in `CALLROUTER_CONFIG`",
          _t("tests/config/test_dockerfile.py::test_the_command_runs_with_the_image_environment",
             "tests/config/test_dockerfile.py::test_every_variable_named_is_read")),
    Claim(QUICK, "PostgreSQL 16 comes from the `pgserver` wheel",
          _t("tests/claims/test_storage_claims.py::test_the_embedded_postgresql_is_version_16")),
    Claim(QUICK, "(or the environment variable `CALLROUTER_DSN`)",
          _t("tests/cli/test_cli.py::test_db_migrate_and_status")),
    Claim(QUICK, "four operators whose phones answer and hang up after a talk time, and callers arriving at random on three numbers",
          _t("tests/claims/test_quick_start_claims.py::test_the_sample_runs_four_operators_and_callers_on_three_numbers",
             "tests/claims/test_quick_start_claims.py::test_simulate_prints_queues_every_two_seconds_and_stores_every_call")),
    Claim(QUICK, "Every two seconds it prints each queue's waiting callers",
          _t("tests/claims/test_quick_start_claims.py::test_simulate_prints_queues_every_two_seconds_and_stores_every_call")),
    Claim(QUICK, "every call lands in PostgreSQL",
          _t("tests/claims/test_quick_start_claims.py::test_simulate_prints_queues_every_two_seconds_and_stores_every_call")),
    # -- Connecting a real Asterisk -----------------------------------------------------
    Claim(ASTERISK, "writes the operators' PJSIP endpoints (`pjsip_operators.conf`) and the ARI user and HTTP bind",
          _t("tests/asterisk_conf/test_cli.py::test_render_output_writes_files_once_and_idempotently",
             "tests/asterisk_conf/test_samples.py::test_pjsip_operators_sample_is_what_render_produces")),
    Claim(ASTERISK, "SIP passwords come from `CALLROUTER_SIP_PASSWORD_<ENDPOINT>`",
          _t("tests/asterisk_conf/test_render.py::test_sip_password_comes_from_the_environment_and_survives_semicolons")),
    Claim(ASTERISK, "the ARI password is written as a SHA-512 crypt",
          _t("tests/asterisk_conf/test_render.py::test_ari_user_with_crypt_password",
             "tests/asterisk_conf/test_crypt.py::test_agrees_with_openssl")),
    Claim(ASTERISK, "`*91` login, `*92` logout, `*93<reason>` pause, `*94` unpause",
          _t("tests/claims/test_asterisk_claims.py::test_feature_codes_call_the_operator_script_with_their_action",
             "tests/agi/test_routes.py::test_operator_login_pause_unpause_logout",
             "tests/agi/test_routes.py::test_operator_pause_reason_from_an_argument")),
    Claim(ASTERISK, "lists every context and variable",
          _t("tests/agi/test_dialplan.py::test_readme_and_file_agree_on_contexts",
             "tests/agi/test_dialplan.py::test_readme_documents_every_variable")),
    Claim(ASTERISK, "Copy `asterisk-conf/http.conf`, `ari.conf`, `modules.conf`, `pjsip.conf`",
          _t("tests/asterisk_conf/test_samples.py::test_readme_copies_every_sample_file",
             "tests/asterisk_conf/test_samples.py::test_every_sample_parses_and_uses_only_known_options")),
    Claim(ASTERISK, "then sends the call into `Stasis(callrouter,inbound,<queue>)`",
          _t("tests/agi/test_dialplan.py::test_stasis_calls_name_our_application",
             "tests/agi/test_dialplan.py::test_agi_urls_name_scripts_the_server_serves")),
    Claim(ASTERISK, "The dialer's customer calls run answering-machine detection in `[callrouter-outbound]`",
          _t("tests/asterisk_conf/test_samples.py::test_amd_conf_ships_because_app_amd_declines_without_it",
             "tests/calls/test_outbound_flow.py::test_progressive_campaign_dials_and_connects_and_retries")),
    # -- How inbound routing works ------------------------------------------------------
    Claim(INBOUND, "a caller an operator is free for, with no earlier caller still on their way in, is rung at once and their card follows (their priority then counts if the ring fails and they wait)",
          _t("tests/calls/test_lookup_off_the_ring.py::test_a_caller_an_operator_is_free_for_is_rung_before_their_lookup_ends",
             "tests/acd/test_caller_identified.py::test_a_ringing_callers_priority_counts_when_they_come_back_to_the_line",
             "tests/acd/test_caller_identified.py::test_serves_at_once_while_an_operator_who_may_take_the_caller_is_routable")),
    Claim(INBOUND, "with a CRM configured, `call.offered` goes out before the ring and with the card",
          _t("tests/calls/test_lookup_off_the_ring.py::test_the_screen_pop_still_carries_the_card")),
    Claim(INBOUND, "Every other caller is ranked by their card before they join the line",
          _t("tests/calls/test_queue_policies.py::test_vip_customer_is_served_before_earlier_callers",
             "tests/acd/test_caller_identified.py::test_a_waiting_caller_moves_to_the_place_their_priority_gives")),
    Claim(INBOUND, "a queue name, else the `routes` entry of the DID, else of the dialled extension",
          _t("tests/claims/test_inbound_claims.py::test_the_queue_is_the_argument_then_its_route_then_the_extensions")),
    Claim(INBOUND, "its `priority` becomes the call's priority: VIPs first",
          _t("tests/calls/test_queue_policies.py::test_vip_customer_is_served_before_earlier_callers")),
    Claim(INBOUND, "found whether the trunk sends `030 1234567`, `0049301234567`",
          _t("tests/store/test_customers_lookup.py::test_trunk_formats_find_the_e164_card")),
    Claim(INBOUND, "cards are stored in E.164 only",
          _t("tests/store/test_customers_lookup.py::test_only_e164_phones_are_stored")),
    Claim(INBOUND, "the caller hears the closed message and is hung up (outcome `closed`)",
          _t("tests/calls/test_queue_policies.py::test_closed_hours_play_the_closed_message_and_hang_up",
             "tests/acd/test_limits.py::test_calendar_follows_local_time_across_dst")),
    Claim(INBOUND, "If nobody is logged in and `join_empty` is false",
          _t("tests/acd/test_limits.py::test_join_empty_false_turns_callers_away_when_nobody_is_logged_in")),
    Claim(INBOUND, "or the queue holds `max_waiting` callers, the call overflows",
          _t("tests/calls/test_queue_policies.py::test_overflow_to_another_queue_when_full",
             "tests/acd/test_limits.py::test_overflow_to_callback_stores_the_callback",
             "tests/acd/test_limits.py::test_max_waiting_full_leaves_without_overflow")),
    Claim(INBOUND, "the caller is never kept waiting: the operator's phone is rung at once",
          _t("tests/calls/test_inbound_flow.py::test_direct_connect_records_and_logs",
             "tests/calls/test_ring_first.py::test_ring_moves_before_hold_and_joining_announcement")),
    Claim(INBOUND, "offline endpoints are never offered calls",
          _t("tests/acd/test_flow.py::test_offline_endpoint_is_never_offered",
             "tests/acd/test_flow.py::test_endpoint_going_offline_while_ringing_moves_the_call_on")),
    Claim(INBOUND, "`round_robin` (with memory, as app_queue's rrmemory)",
          _t("tests/acd/test_strategies.py::test_round_robin_remembers_where_it_stopped")),
    Claim(INBOUND, "`random` (seeded, so reproducible)",
          _t("tests/acd/test_strategies.py::test_random_is_deterministic_for_a_seed")),
    Claim(INBOUND, "the first to answer gets the call, the others are cancelled",
          _t("tests/acd/test_strategies.py::test_ring_all_rings_everyone_and_the_first_answer_wins")),
    Claim(INBOUND, "`longest_idle` (default)",
          _t("tests/acd/test_strategies.py::test_longest_idle_picks_the_operator_free_the_longest")),
    Claim(INBOUND, "`fewest_calls`",
          _t("tests/acd/test_strategies.py::test_fewest_calls_prefers_the_least_loaded_operator")),
    Claim(INBOUND, "`linear` (configured order)",
          _t("tests/acd/test_strategies.py::test_linear_always_starts_from_the_configured_order")),
    Claim(INBOUND, "a lower tier is always asked first",
          _t("tests/acd/test_policy.py::test_lower_penalty_tier_first_higher_only_when_lower_is_busy",
             "tests/acd/test_strategies.py::test_ring_all_rings_only_the_lowest_tier")),
    Claim(INBOUND, "A queue's `max_penalty` limits which tiers a fresh caller reaches",
          _t("tests/acd/test_policy.py::test_max_penalty_keeps_calls_from_higher_tiers_until_escalation")),
    Claim(INBOUND, "let operators of other queues help (`add_queues`)",
          _t("tests/acd/test_policy.py::test_escalation_adds_another_queues_operators")),
    Claim(INBOUND, "callers already waiting keep their place and the new steps apply to them by how long they have waited",
          _t("tests/calls/test_queue_policies.py::test_reload_widens_escalation_for_callers_already_waiting",
             "tests/acd/test_policy.py::test_reconfigured_escalation_applies_to_callers_already_waiting")),
    Claim(INBOUND, "a broken file is reported and ignored",
          _t("tests/claims/test_reload_claims.py::test_a_broken_file_on_sighup_is_reported_and_ignored")),
    Claim(INBOUND, "chosen among *all* the queues they serve, by priority, then service level at risk",
          _t("tests/acd/test_policy.py::test_priority_beats_service_level_risk",
             "tests/acd/test_policy.py::test_service_level_at_risk_comes_before_longest_wait",
             "tests/acd/test_policy.py::test_higher_priority_is_served_first_then_longest_wait")),
    Claim(INBOUND, "an operator in two queues always gets the longest-waiting eligible caller of equal priority",
          _t("tests/calls/test_queue_policies.py::test_operator_in_two_queues_takes_the_longest_waiting_caller",
             "tests/acd/test_policy.py::test_operator_in_two_queues_gets_the_longest_waiting_caller",
             "tests/acd/test_state_machine.py::TestAcdMachine::runTest")),
    Claim(INBOUND, "Callers also keep the order they arrived in when their customer lookups finish out of order",
          _t("tests/acd/test_restore.py::test_a_caller_looked_up_slowly_keeps_the_place_of_their_arrival")),
    Claim(INBOUND, "the caller goes back to the head of the line (keeping their original wait)",
          _t("tests/acd/test_flow.py::test_ring_timeout_returns_the_call_to_the_head_and_auto_pauses",
             "tests/calls/test_inbound_flow.py::test_ring_no_answer_goes_to_next_operator_and_pauses_the_first")),
    Claim(INBOUND, "otherwise they rest 5 s before being offered again",
          _t("tests/claims/test_inbound_claims.py::test_without_auto_pause_an_operator_who_did_not_answer_rests_5_s")),
    Claim(INBOUND, "A busy or unreachable phone is skipped the same way",
          _t("tests/calls/test_inbound_flow.py::test_unreachable_operator_phone_is_skipped",
             "tests/acd/test_flow.py::test_offer_failed_rests_the_operator_then_retries")),
    Claim(INBOUND, "The operator then has `wrapup_s` (per queue, or per operator)",
          _t("tests/acd/test_flow.py::test_wrapup_then_available_with_operator_override")),
    Claim(INBOUND, "the caller hears their position and the expected wait",
          _t("tests/acd/test_flow.py::test_announces_position_and_expected_wait_on_joining_and_periodically",
             "tests/acd/test_flow.py::test_expected_wait_learns_from_handled_calls")),
    Claim(INBOUND, "average handle time of the queue's last 50 calls",
          _t("tests/claims/test_inbound_claims.py::test_the_expected_wait_counts_only_the_queues_last_50_calls",
             "tests/acd/test_flow.py::test_expected_wait_learns_from_handled_calls")),
    Claim(INBOUND, "stores a callback that keeps the caller's place",
          _t("tests/calls/test_queue_policies.py::test_callback_key_leaves_queue_and_keeps_place",
             "tests/acd/test_flow.py::test_callback_keeps_the_place_in_line")),
    Claim(INBOUND, "`max_wait_s` makes them overflow or leave",
          _t("tests/acd/test_limits.py::test_max_wait_overflows_to_a_context",
             "tests/acd/test_limits.py::test_max_wait_without_overflow_leaves_the_queue")),
    Claim(INBOUND, "blind-transfers a connected (or waiting) call",
          _t("tests/claims/test_inbound_claims.py::test_a_waiting_call_can_be_transferred_too",
             "tests/calls/test_queue_policies.py::test_blind_transfer_to_another_queue",
             "tests/api/test_transfer.py::test_transfer")),
    Claim(INBOUND, "logging out or pausing while on a call takes effect when the call ends",
          _t("tests/acd/test_flow.py::test_pause_and_logout_on_a_call_take_effect_after_it")),
    Claim(INBOUND, "the current state survives a restart",
          _t("tests/calls/test_restart_recovery.py::test_operator_states_survive_a_restart")),
    Claim(INBOUND, "Occupancy (time offered, on a call, in wrap-up or on outbound work",
          _t("tests/store/test_occupancy.py::test_occupancy_counts_talk_wrapup_and_outbound_over_logged_in_time")),
    Claim(INBOUND, "Eligible means: serves the queue, logged in, not paused, not in",
          _t("tests/acd/test_strategies.py::test_operator_not_logged_in_is_never_rung",
             "tests/acd/test_flow.py::test_pause_while_ringing_withdraws_the_offer",
             "tests/acd/test_state_machine.py::TestAcdMachine::runTest")),
    Claim(INBOUND, "(waited at least 80% of the queue's `service_level_s`)",
          _t("tests/acd/test_policy.py::test_service_level_at_risk_comes_before_longest_wait")),
    Claim(INBOUND, "the operator is released to wrap-up and the caller waits in the new queue",
          _t("tests/acd/test_flow.py::test_blind_transfer_puts_the_caller_in_the_other_queue",
             "tests/calls/test_queue_policies.py::test_blind_transfer_to_another_queue")),
    Claim(INBOUND, "Every change is written to `operator_state_log` with its time",
          _t("tests/store/test_writer.py::test_operator_state_moves_current_state_and_history")),
    Claim(INBOUND, "It has no I/O and no clock", _t("tests/claims/test_design_claims.py::test_the_cores_never_await_nor_read_a_clock")),
    # -- What is recorded for every call ------------------------------------------------
    Claim(RECORDED, "caller id and name (stored verbatim, whatever characters they hold)",
          _t("tests/ari/test_storable_text.py::test_caller_name_with_nul_keeps_the_calls_row",
             "tests/cli/test_cli_calls.py::test_calls_list_show_export")),
    Claim(RECORDED, "so `callrouter calls export --format queue_log` feeds existing",
          _t("tests/calls/test_queue_log.py::test_positions_exit_key_and_operator_lines",
             "tests/cli/test_cli_calls.py::test_calls_list_show_export")),
    Claim(RECORDED, "`position` and `origposition` are the caller's real places in line when leaving it and when joining it",
          _t("tests/calls/test_queue_log.py::test_positions_exit_key_and_operator_lines")),
    Claim(RECORDED, "EXITWITHKEY carries the key pressed, both places and the wait",
          _t("tests/calls/test_queue_log.py::test_positions_exit_key_and_operator_lines")),
    Claim(RECORDED, "CONNECT's holdtime counts from entering the current queue",
          _t("tests/calls/test_queue_log.py::test_blind_transfer_over_the_api_logs_blindtransfer_and_the_new_wait")),
    Claim(RECORDED, "a transfer writes BLINDTRANSFER with the new queue as its extension",
          _t("tests/calls/test_queue_log.py::test_blind_transfer_over_the_api_logs_blindtransfer_and_the_new_wait")),
    Claim(RECORDED, "Operators' own lines (ADDMEMBER on login, REMOVEMEMBER on logout",
          _t("tests/calls/test_queue_log.py::test_positions_exit_key_and_operator_lines")),
    Claim(RECORDED, "Each finished row carries the Q.850 cause Asterisk reports",
          _t("tests/calls/test_hangup_cause.py::test_the_row_gets_the_hangup_cause",
             "tests/ari/test_events.py::test_sip_bye_hangup_request_has_no_cause")),
    Claim(RECORDED, "16 (Normal Clearing) for a SIP BYE, whose request carries no cause",
          _t("tests/calls/test_hangup_cause.py::test_the_row_gets_the_hangup_cause",
             "tests/ari/test_events.py::test_sip_bye_hangup_request_has_no_cause")),
    Claim(RECORDED, "is a flag, not a Q.850 code, and is not recorded",
          # The operator-bye case: callrouter's own DELETE of the caller is a soft request
          # with cause 32; the row must still say 16.
          _t("tests/calls/test_hangup_cause.py::test_the_row_gets_the_hangup_cause")),
    # -- Recording ----------------------------------------------------------------------
    Claim(RECORDING, "Every connected call is recorded by default from the moment caller and operator are bridged",
          _t("tests/calls/test_inbound_flow.py::test_direct_connect_records_and_logs")),
    Claim(RECORDING, "`on_demand` records only after `POST /api/v1/calls/{id}/recording/start`",
          _t("tests/calls/test_inbound_flow.py::test_on_demand_recording_starts_only_when_asked",
             "tests/calls/test_api_live.py::test_recording_on_demand_pause_and_resume")),
    Claim(RECORDING, "in `recording.format` (wav by default)",
          _t("tests/claims/test_recording_claims.py::test_a_connected_call_gets_a_finished_recordings_row")),
    Claim(RECORDING, "Start, stop, duration and stored name go to `recordings`, linked to the call",
          _t("tests/claims/test_recording_claims.py::test_a_connected_call_gets_a_finished_recordings_row")),
    Claim(RECORDING, "A campaign's `recording` applies to its answered customers",
          _t("tests/claims/test_outbound_claims.py::test_a_campaigns_recording_applies_to_its_answered_customers")),
    Claim(RECORDING, "`POST /api/v1/calls/{id}/recording/pause` and `/resume` pause it",
          _t("tests/calls/test_api_live.py::test_recording_on_demand_pause_and_resume",
             "tests/api/test_calls.py::test_recording_pause_and_resume")),
    Claim(RECORDING, "A recording that fails to start never drops the call",
          _t("tests/calls/test_inbound_flow.py::test_a_recording_that_fails_to_start_never_drops_the_call")),
    Claim(RECORDING, "purged by the running service every `recording.purge_interval_s` (hourly; 0 turns it off)",
          _t("tests/store/test_retention.py::test_sweeper_purges_past_retention_on_schedule",
             "tests/store/test_retention.py::test_interval_zero_turns_the_sweeper_off",
             "tests/store/test_retention.py::test_sweeper_survives_asterisk_down_and_catches_up")),
    Claim(RECORDING, "a node purges only its own calls' recordings",
          _t("tests/store/test_retention.py::test_sweeper_purges_past_retention_on_schedule")),
    Claim(RECORDING, "Live recordings are never touched",
          _t("tests/store/test_retention.py::test_sweeper_purges_past_retention_on_schedule")),
    # -- Outbound calls -----------------------------------------------------------------
    Claim(OUTBOUND, "the operator's phone rings first; when they pick up, the customer is dialled",
          _t("tests/calls/test_outbound_flow.py::test_click_to_call_rings_operator_then_customer")),
    Claim(OUTBOUND, "Busy, no answer, congestion and unreachable are the call's outcome",
          _t("tests/claims/test_outbound_claims.py::test_a_click_to_call_that_fails_has_that_outcome")),
    Claim(OUTBOUND, "The operator is out of inbound routing meanwhile (state `paused`, reason `outbound`) and back to `available` when the call ends",
          _t("tests/calls/test_outbound_flow.py::test_click_to_call_rings_operator_then_customer",
             "tests/claims/test_outbound_claims.py::test_a_click_to_call_that_fails_has_that_outcome")),
    Claim(OUTBOUND, "A machine ends the attempt with outcome `machine`",
          _t("tests/calls/test_outbound_flow.py::test_progressive_campaign_dials_and_connects_and_retries")),
    Claim(OUTBOUND, "A customer who answered is abandoned if they are not connected to an operator within `abandon_after_s` (default 2 s",
          _t("tests/calls/test_outbound_flow.py::test_customer_not_connected_in_time_is_abandoned_with_a_message",
             "tests/calls/test_outbound_pacing.py::test_an_amd_verdict_past_the_limit_is_an_abandon_with_the_apology")),
    Claim(OUTBOUND, "Progressive dials one line per free operator, minus lines ringing and customers waiting (a customer talking to an operator is not waiting)",
          _t("tests/dialer/test_pacing.py::test_progressive_one_line_per_free_operator_minus_ringing_and_waiting",
             "tests/calls/test_outbound_pacing.py::test_a_customer_talking_to_an_operator_is_not_waiting")),
    Claim(OUTBOUND, "Predictive dials more, from the measured answer rate",
          _t("tests/dialer/test_pacing.py::test_predictive_overdials_on_measured_answer_rate",
             "tests/dialer/test_pacing.py::test_predictive_starts_progressive_until_it_has_evidence")),
    Claim(OUTBOUND, "at the cap over the window no new line is dialled in any mode until abandons age out",
          _t("tests/dialer/test_pacing.py::test_never_a_new_line_at_or_over_the_cap",
             "tests/dialer/test_pacing.py::test_no_new_line_at_the_cap_in_any_dialling_mode",
             "tests/dialer/test_pacing.py::test_simulated_campaign_keeps_abandons_under_the_cap_and_limits")),
    Claim(OUTBOUND, "The deadline is the ACD core's: the answered customer joins the queue carrying it (`CallArrived.answer_by`), a ring still unanswered at the deadline is cancelled",
          _t("tests/acd/test_answer_deadline.py::test_a_waiting_customer_is_abandoned_with_the_apology_at_the_deadline",
             "tests/acd/test_answer_deadline.py::test_a_ringing_operator_is_too_late_and_stays_available",
             "tests/acd/test_answer_deadline.py::test_every_customer_is_either_answered_in_time_or_abandoned_at_their_deadline")),
    Claim(OUTBOUND, "a customer restored after a restart keeps the deadline they had",
          _t("tests/calls/test_outbound_recovery.py::test_a_customer_restored_into_the_queue_keeps_their_abandon_deadline",
             "tests/acd/test_answer_deadline.py::test_a_restored_customer_gets_their_deadline_back")),
    Claim(OUTBOUND, "The answering-machine detection time counts, so a person detected after the limit is already abandoned",
          _t("tests/calls/test_outbound_pacing.py::test_an_amd_verdict_past_the_limit_is_an_abandon_with_the_apology")),
    Claim(OUTBOUND, "From half of `abandon_cap` (default 3%) new lines shrink in proportion to the room left",
          _t("tests/dialer/test_pacing.py::test_lines_shrink_as_the_rate_nears_the_cap")),
    Claim(OUTBOUND, "counted from the database so that every node sees the same figure",
          _t("tests/calls/test_outbound_pacing.py::test_abandons_of_another_node_hold_this_node_back",
             "tests/dialer/test_pacing.py::test_shared_counts_from_the_database_decide_the_brake")),
    Claim(OUTBOUND, "the number is checked against the do-not-call list right before it is dialled",
          _t("tests/calls/test_outbound_compliance.py::test_dnc_added_after_a_preview_claim_blocks_the_call",
             "tests/calls/test_outbound_compliance.py::test_a_callback_to_a_number_put_on_dnc_is_cancelled_not_dialled")),
    Claim(OUTBOUND, "with neither configured nothing is dialled",
          _t("tests/calls/test_outbound_compliance.py::test_without_any_caller_id_nothing_is_dialled",
             "tests/calls/test_outbound_compliance.py::test_caller_id_on_every_automatic_path_and_none_without_one")),
    Claim(OUTBOUND, "At start each attempt this node left open is re-attached to its call if Asterisk still holds it, else closed with its call's outcome or `lost`",
          _t("tests/calls/test_outbound_recovery.py::test_a_call_gone_while_callrouter_was_away_is_lost_and_retried",
             "tests/calls/test_outbound_recovery.py::test_a_customer_waiting_in_the_queue_at_the_crash_is_connected_after_it",
             "tests/calls/test_outbound_recovery.py::test_a_crash_during_amd_leaves_no_lead_in_progress")),
    Claim(OUTBOUND, "an attempt open longer than `dialer.stale_attempt_s` (4 h) is closed as `lost`",
          _t("tests/calls/test_outbound_recovery.py::test_claims_expire_and_stale_attempts_are_lost")),
    Claim(OUTBOUND, "A code given during the call takes effect when the call ends, over the retry rules",
          _t("tests/dialer/test_dispositions.py::test_a_code_during_the_call_has_the_last_word_when_it_ends",
             "tests/dialer/test_dispositions.py::test_each_effect")),
    Claim(OUTBOUND, "A running campaign with no lead pending or in progress becomes `finished`",
          _t("tests/calls/test_outbound_records.py::test_a_connected_campaign_call_has_complete_records_and_its_campaign_finishes")),
    Claim(OUTBOUND, "after `dialer.inbound_reserve` operators kept for the inbound service level",
          _t("tests/claims/test_outbound_claims.py::test_one_line_for_two_free_operators_under_a_reserve_or_a_limit")),
    Claim(OUTBOUND, "Per-campaign `limits` cap concurrent calls and calls per second",
          _t("tests/dialer/test_pacing.py::test_limits_cap_every_mode",
             "tests/claims/test_outbound_claims.py::test_one_line_for_two_free_operators_under_a_reserve_or_a_limit")),
    Claim(OUTBOUND, "never dialled outside their calling window in their own local time",
          _t("tests/dialer/test_store_runner.py::test_claim_releases_leads_outside_their_window_until_it_opens",
             "tests/dialer/test_windows.py::test_berlin_spring_forward_inside_window")),
    Claim(OUTBOUND, "never if on the do-not-call list *at the moment of dialling*",
          _t("tests/dialer/test_store_runner.py::test_dnc_added_after_import_blocks_at_claim_time",
             "tests/calls/test_outbound_compliance.py::test_dnc_added_after_a_preview_claim_blocks_the_call")),
    Claim(OUTBOUND, "claimed with `FOR UPDATE SKIP LOCKED` so two nodes never dial the same lead",
          _t("tests/dialer/test_store_runner.py::test_two_nodes_never_claim_the_same_lead")),
    Claim(OUTBOUND, "Every attempt is stored (lead, time, outcome, hangup cause,",
          _t("tests/dialer/test_store_runner.py::test_attempt_outcomes_schedule_retries",
             "tests/calls/test_outbound_flow.py::test_progressive_campaign_dials_and_connects_and_retries")),
    Claim(OUTBOUND, "dialled when an operator of their queue is free, oldest place first",
          _t("tests/claims/test_outbound_claims.py::test_callbacks_are_dialled_oldest_place_first",
             "tests/calls/test_outbound_flow.py::test_callback_is_dialled_when_an_operator_is_free")),
    Claim(OUTBOUND, "`GET /api/v1/callbacks` lists them",
          _t("tests/api/test_center_views.py::test_callbacks_pending_by_default_in_due_order")),
    Claim(OUTBOUND, "a failed attempt is retried 10 minutes later, up to 3 attempts",
          _t("tests/claims/test_outbound_claims.py::test_a_failed_callback_is_retried_10_minutes_later_up_to_3_attempts")),
    Claim(OUTBOUND, "for anyone in a queue or for one given operator",
          _t("tests/calls/test_outbound_flow.py::test_scheduled_callback_is_dialled_when_due",
             "tests/calls/test_outbound_flow.py::test_callback_reserved_for_one_operator_rings_them_first")),
    # -- Nothing lost -------------------------------------------------------------------
    Claim(NOTHING_LOST, "A database outage neither stops routing nor loses a row",
          _t("tests/calls/test_resilience.py::test_database_outage_does_not_stop_routing_or_lose_rows",
             "tests/store/test_writer.py::test_outage_loses_nothing_and_keeps_order")),
    Claim(NOTHING_LOST, "A row PostgreSQL refuses is logged and skipped without blocking the rows after it",
          _t("tests/store/test_writer.py::test_a_rejected_record_does_not_block_the_rest")),
    Claim(NOTHING_LOST, "channels that vanished during the gap are handled as the hangups they were",
          _t("tests/calls/test_resilience.py::test_websocket_drop_mid_call_misses_no_hangup",
             "tests/ari/test_reconnect.py::test_drop_mid_call_reconnects_and_reports_a_hangup_missed_in_the_gap")),
    Claim(NOTHING_LOST, "in whatever order Asterisk lists them",
          _t("tests/calls/test_adoption.py::test_plan_does_not_depend_on_list_order")),
    Claim(NOTHING_LOST, "so it is known even when the row never reached the database",
          _t("tests/calls/test_restart_recovery.py::test_connected_call_is_known_from_asterisk_when_its_rows_never_landed")),
    Claim(NOTHING_LOST, "no phone rings in the middle of a conversation",
          _t("tests/calls/test_restart_recovery.py::test_restart_rings_nobody_on_a_call_and_keeps_the_wait",
             "tests/acd/test_restore.py::test_waiting_callers_never_ring_an_operator_who_is_talking")),
    Claim(NOTHING_LOST, "a waiting caller's `wait_s` covers the whole wait across the restart",
          _t("tests/calls/test_restart_recovery.py::test_restart_rings_nobody_on_a_call_and_keeps_the_wait",
             "tests/calls/test_resilience.py::test_restart_picks_up_callers_still_in_stasis")),
    Claim(NOTHING_LOST, "a node that cannot reach PostgreSQL cannot claim an operator, so it rings nobody",
          _t("tests/calls/test_two_nodes.py::test_a_node_that_cannot_reach_postgresql_rings_nobody_it_cannot_claim")),
    Claim(NOTHING_LOST, "is applied by every node's routing core exactly once",
          _t("tests/calls/test_two_nodes.py::test_an_operator_request_is_applied_by_every_node_once")),
    Claim(NOTHING_LOST, "so no edge keeps routing by the old table",
          _t("tests/calls/test_reload.py::test_reload_changes_what_fastagi_route_answers",
             "tests/calls/test_reload.py::test_reload_changes_the_calendar_fastagi_checks")),
    Claim(NOTHING_LOST, "A 404 or 422 from Asterisk for a channel that just hung up is logged at info level",
          _t("tests/ari/test_errors.py::test_404_is_not_found_with_details_and_one_info_line")),
    Claim(NOTHING_LOST, "Each call's commands run in order on the call's own lane (one queue and task per live call, never one task per event)",
          _t("tests/claims/test_lane_claims.py::test_a_calls_commands_run_in_order_on_one_task_per_call",
             "tests/calls/test_ring_first.py::test_ring_moves_before_hold_of_the_same_call")),
    Claim(NOTHING_LOST, "A single node leaves `claim_operators` off and keeps routing through a database outage",
          _t("tests/calls/test_resilience.py::test_database_outage_does_not_stop_routing_or_lose_rows")),
    Claim(NOTHING_LOST, "one bad client never stalls the others",
          _t("tests/agi/test_server.py::test_half_sent_or_malformed_block_does_not_stall_others")),
    Claim(NOTHING_LOST, "each NUL and each lone surrogate becomes U+FFFD",
          _t("tests/ari/test_storable_text.py::test_storable_replaces_nul_and_lone_surrogates_only",
             "tests/agi/test_lookup_db.py::test_lookup_with_nul_in_caller_id_is_answered",
             "tests/cli/test_cli_storable.py::test_campaigns_import_with_nul_bytes")),
    Claim(NOTHING_LOST, "Every parser of outside input is fuzzed",
          _t("tests/fuzz/test_fuzz.py::test_bad_input_gives_the_documented_error",
             "tests/fuzz/test_fuzz.py::test_targets_are_all_fuzzed")),
    Claim(NOTHING_LOST, "registered secrets (ARI password, HTTP token, CRM secret, DSN passwords) are scrubbed from every line",
          _t("tests/config/test_log_secrets.py::test_a_secret_of_its_own_is_still_scrubbed_everywhere",
             "tests/config/test_log_secrets.py::test_credential_positions")),
    Claim(NOTHING_LOST, "`check-config` warns about it",
          _t("tests/config/test_log_secrets.py::test_password_equal_to_app_is_a_located_warning",
             "tests/config/test_log_secrets.py::test_check_config_prints_the_warning_on_stderr")),
    Claim(NOTHING_LOST, "A `kill -9` (or OOM, or crash) loses no row once `put()` returned",
          _t("tests/store/test_writer_spool.py::test_killed_during_an_outage_every_record_lands_once",
             "tests/store/test_writer_spool.py::test_a_spool_replayed_twice_writes_once",
             "tests/faults/test_database.py::test_kill_while_database_unreachable")),
    Claim(NOTHING_LOST, "no operator rung or bridged for two calls at once, every call exactly one final row",
          _t("tests/faults/test_kill.py::test_kill_and_restart_under_load",
             "tests/faults/test_invariants.py::test_a_phone_rung_while_on_another_call_is_double_booked",
             "tests/faults/test_invariants.py::test_a_caller_without_exactly_one_finished_row_is_reported")),
    Claim(NOTHING_LOST, "a caller whose StasisStart is still in flight when callrouter is killed",
          _t("tests/faults/test_invariants.py::test_only_a_caller_whose_whole_stay_fell_in_a_kill_may_have_no_row")),
    Claim(NOTHING_LOST, "Webhooks survive a kill: every CRM delivery is journalled in `<spool_dir>/webhooks` the moment routing queues it",
          _t("tests/crm/test_journal.py::test_a_kill_during_an_outage_loses_no_published_delivery",
             "tests/crm/test_journal.py::test_a_torn_last_line_is_skipped_and_the_rest_delivered")),
    Claim(NOTHING_LOST, "a start needs PostgreSQL",
          _t("tests/crm/test_journal.py::test_a_start_without_the_database_fails_and_keeps_the_journal")),
    Claim(NOTHING_LOST, "Operator states and pause reasons survive a restart",
          _t("tests/calls/test_restart_recovery.py::test_operator_states_survive_a_restart")),
    Claim(NOTHING_LOST, "a node killed leaves the other routing",
          _t("tests/faults/test_two_nodes.py::test_one_of_two_nodes_killed")),
    Claim(NOTHING_LOST, "The embedded PostgreSQL orphaned by a `kill -9` is taken over by the next start and stopped by the last user",
          _t("tests/store/test_embedded.py::test_a_killed_users_server_is_adopted_then_stopped_by_the_last_user",
             "tests/store/test_embedded.py::test_a_server_orphaned_by_a_kill_is_stopped_by_the_next_cli_command")),
    Claim(NOTHING_LOST, "(var/spool beside the config by default",
          _t("tests/store/test_spool.py::test_the_spool_folder_sits_beside_the_config_unless_absolute")),
    Claim(NOTHING_LOST, "owner-only; one folder per node, a second process on it refuses to start",
          _t("tests/store/test_spool.py::test_only_the_owner_can_read_the_spool",
             "tests/store/test_spool.py::test_a_folder_is_one_process_s")),
    Claim(NOTHING_LOST, "fsync'd in groups",
          _t("tests/store/test_spool.py::test_one_fsync_covers_many_records")),
    Claim(NOTHING_LOST, "segments are deleted only once PostgreSQL has all their rows",
          _t("tests/store/test_spool.py::test_segments_go_once_postgresql_has_them",
             "tests/store/test_spool.py::test_what_postgresql_lacks_is_kept_at_close")),
    Claim(NOTHING_LOST, "The spool logs its size past 64 MiB",
          _t("tests/store/test_spool.py::test_a_growing_spool_says_so_and_when_it_drains")),
    Claim(NOTHING_LOST, "the call ends as it would have (`answered`, `COMPLETEAGENT`, the caller cleared)",
          _t("tests/calls/test_adoption.py::test_a_caller_left_alone_in_our_bridge_is_an_answered_call_that_ended")),
    Claim(NOTHING_LOST, "A hold the crash cut short still gets its `ENTERQUEUE`",
          _t("tests/faults/test_kill.py::test_kill_and_restart_under_load",
             "tests/faults/test_invariants.py::test_an_answered_call_needs_its_connect_and_completion")),
    Claim(NOTHING_LOST, "an operator leg still ringing, or answered for a caller who is gone, is **hung up before anything is routed**",
          _t("tests/calls/test_adoption.py::test_connected_waiting_and_orphans_are_told_apart")),
    # -- Command line -------------------------------------------------------------------
    Claim(CLI, "Every command has `--help`",
          _t("tests/cli/test_cli.py::test_every_command_has_help")),
    Claim(CLI, "(no traceback unless `--debug`)",
          _t("tests/cli/test_cli.py::test_debug_shows_traceback",
             "tests/cli/test_cli.py::test_unreachable_database_is_a_one_line_error")),
    Claim(CLI, "list commands take `--json`",
          _t("tests/claims/test_cli_claims.py::test_list_commands_take_json")),
    Claim(CLI, "`calls list` and `recordings list` fit an 80-column terminal",
          _t("tests/cli/test_cli_narrow.py::test_calls_list_at_80_columns",
             "tests/cli/test_cli_narrow.py::test_recordings_list_at_80_columns")),
    Claim(CLI, "exit 1 not running, 4 degraded",
          _t("tests/cli/test_cli_status.py::test_not_running",
             "tests/cli/test_cli_status.py::test_degraded_service_exits_4")),
    Claim(CLI, "| `callrouter version` | version of callrouter and Python |",
          _t("tests/claims/test_cli_claims.py::test_version_names_callrouter_and_python")),
    Claim(CLI, "is the service up: its `/api/v1/health` (ARI connected, reconnects, last event, database), then live calls, operators by state and migrations from the database",
          _t("tests/cli/test_cli_status.py::test_running_service_and_database_figures",
             "tests/cli/test_cli_status.py::test_unreachable_database_is_reported_not_a_traceback")),
    Claim(CLI, "`callrouter campaigns import CAMPAIGN FILE [--encoding latin-1] [--region DE] [--timezone Europe/Berlin]`",
          _t("tests/cli/test_cli_campaigns.py::test_region_and_timezone_overrides",
             "tests/cli/test_cli_campaigns.py::test_unusable_files_are_one_line_errors")),
    Claim(CLI, "`callrouter customers import FILE [--strict]`",
          _t("tests/cli/test_cli_customers.py::test_import_file_errors",
             "tests/cli/test_cli_customers.py::test_import_normalises_reports_bad_rows_and_updates_on_reimport")),
    Claim(CLI, "`callrouter recordings purge [--dry-run] [--older-than-days N]`",
          _t("tests/cli/test_cli_recordings.py::test_purge")),
    Claim(CLI, "fetch a recording through ARI's stored recordings",
          _t("tests/cli/test_cli_recordings.py::test_list_and_get")),
    Claim(CLI, "every error with file, line and field",
          _t("tests/cli/test_cli.py::test_check_config_error_is_one_clean_report")),
    Claim(CLI, "(several nodes may run it at once)",
          _t("tests/store/test_migrations.py::test_concurrent_migrators_serialise")),
    Claim(CLI, "one call (id, unique id prefix or Asterisk channel id)",
          _t("tests/claims/test_cli_claims.py::test_calls_show_takes_an_id_a_prefix_or_a_channel_id",
             "tests/api/test_calls.py::test_call_detail_by_prefix_and_by_channel")),
    Claim(CLI, "calls answered within `service_level_s` ÷ (calls offered",
          _t("tests/cli/test_cli_queue_figures.py::test_queue_figures_as_reporting_tools_count_them")),
    Claim(CLI, "made while it is down, they apply at its start",
          _t("tests/cli/test_cli_calls.py::test_operators_list_and_queued_request",
             "tests/claims/test_cli_claims.py::test_a_login_made_while_the_service_is_down_applies_at_its_start")),
    Claim(CLI, "`start` resumes a paused campaign; stopped is final",
          _t("tests/cli/test_cli_campaigns.py::test_lifecycle_through_the_state_machine")),
    Claim(CLI, "re-import updates by phone",
          _t("tests/cli/test_cli_customers.py::test_import_normalises_reports_bad_rows_and_updates_on_reimport")),
    Claim(CLI, "without `--priority`: vip/gold 10, silver 5, other tiers 0",
          _t("tests/cli/test_cli_customers.py::test_tier_priorities")),
    Claim(CLI, "counts deleted / already gone / failed",
          _t("tests/cli/test_cli_recordings.py::test_purge")),
    Claim(CLI, "every recording of a period into DIR with `index.csv`",
          _t("tests/cli/test_cli_recordings.py::test_export")),
    Claim(CLI, "`callrouter asterisk-conf render [--output DIR] [--only pjsip\\|ari\\|http]`",
          _t("tests/asterisk_conf/test_cli.py::test_render_only_one_file_is_a_file_you_can_redirect")),
    Claim(CLI, "2 wrong usage, 3 configuration error",
          _t("tests/asterisk_conf/test_cli.py::test_exit_codes",
             "tests/cli/test_cli.py::test_check_config_error_is_one_clean_report")),
    Claim(CLI, "4 an outside party failed (database, Asterisk, CRM)",
          _t("tests/cli/test_cli.py::test_unreachable_database_is_a_one_line_error",
             "tests/cli/test_cli_recordings.py::test_asterisk_unreachable")),
    Claim(CLI, "5 not found, 6 refused by a rule",
          _t("tests/cli/test_cli_campaigns.py::test_unusable_files_are_one_line_errors",
             "tests/cli/test_cli_campaigns.py::test_lifecycle_through_the_state_machine")),
    Claim(CLI, "`dnc list [--contains 4930]`",
          _t("tests/claims/test_cli_claims.py::test_dnc_list_contains_filters_by_digits")),
    # -- Configuration ------------------------------------------------------------------
    Claim(CONFIG, "mappings merge key by key (a later file can add a queue or change one field of it)",
          _t("tests/config/test_config.py::test_conf_d_merges_in_name_order_and_locates_errors")),
    Claim(CONFIG, "unknown keys are errors",
          _t("tests/config/test_config.py::test_unknown_field")),
    Claim(CONFIG, "`${NAME:-default}` is read from the environment",
          _t("tests/claims/test_config_claims.py::test_an_unset_variable_takes_its_default",
             "tests/config/test_config.py::test_missing_secret")),
    Claim(CONFIG, "check-config` reports every problem at once",
          _t("tests/config/test_config.py::test_every_error_reported_at_once")),
    Claim(CONFIG, "The sample [`callrouter.yml`](callrouter.yml) is commented and passes the check",
          _t("tests/config/test_config.py::test_sample_config_is_valid",
             "tests/cli/test_cli.py::test_check_config_ok_and_json")),
    Claim(CONFIG, "`max_connections` (256: one more is logged and closed",
          _t("tests/agi/test_limits.py::test_connections_past_the_cap_are_closed_and_logged",
             "tests/agi/test_limits.py::test_max_connections_is_configured_and_checked")),
    Claim(CONFIG, "`request_timeout_s` (5), `reconnect_max_s` (30)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`pool_min` (1), `pool_max` (10)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`host` (127.0.0.1), `port` (4573)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`host` (127.0.0.1), `port` (8080)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`level` (info), `format` (auto", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`ring_timeout_s` (15), `wrapup_s` (5)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`service_level_s` (20), `service_level_target` (0.8)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`callback_key` (*), `max_penalty` (none: every tier)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`auto_pause_on_no_answer` (true)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`format` (wav), `retention_days` (90), `purge_interval_s` (3600", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`ring_timeout_s` (30), `abandon_cap` (0.03), `abandon_after_s` (2)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`default_region` (US)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`timezone` (UTC): where the call center's day starts", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CONFIG, "`claim_operators` (false", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    # -- Storage ------------------------------------------------------------------------
    Claim(STORAGE, "a session advisory lock serialises concurrent migrators",
          _t("tests/store/test_migrations.py::test_concurrent_migrators_serialise")),
    Claim(STORAGE, "each file runs in one transaction with the row that records it",
          _t("tests/store/test_migrations.py::test_failing_migration_leaves_nothing_behind")),
    Claim(STORAGE, "if an applied file changes later, the runner refuses to go on",
          _t("tests/store/test_migrations.py::test_changed_applied_file_is_refused")),
    Claim(STORAGE, "Tables: `queues`, `operators` (with current state), `queue_members`",
          _t("tests/claims/test_storage_claims.py::test_every_documented_table_exists")),
    Claim(STORAGE, "`call_events` (append-only;",
          _t("tests/claims/test_storage_claims.py::test_call_events_refuse_to_be_rewritten")),
    Claim(STORAGE, "`calls` (one row per call: outcome NULL while live)",
          _t("tests/calls/test_inbound_flow.py::test_waiting_caller_shows_in_the_live_row")),
    # -- Campaigns, leads and do-not-call -----------------------------------------------
    Claim(CAMPAIGNS, "synced into PostgreSQL at start-up and by every `callrouter campaigns` command",
          _t("tests/claims/test_reload_claims.py::test_a_reload_applies_campaigns_and_never_restarts_a_paused_one",
             "tests/cli/test_cli_campaigns.py::test_lifecycle_through_the_state_machine")),
    Claim(CAMPAIGNS, "so a config reload never restarts a paused campaign",
          _t("tests/claims/test_reload_claims.py::test_a_reload_applies_campaigns_and_never_restarts_a_paused_one",
             "tests/dialer/test_store.py::test_sync_keeps_state_and_updates_settings")),
    Claim(CAMPAIGNS, "A CSV (comma, semicolon or tab, detected from the header)",
          _t("tests/dialer/test_leads.py::test_delimiter_sniffing")),
    Claim(CAMPAIGNS, "Latin-1 or Windows-1252 only with `--encoding`, never guessed",
          _t("tests/dialer/test_leads.py::test_latin1_bytes_are_detected_with_line_and_byte",
             "tests/cli/test_cli_campaigns.py::test_unusable_files_are_one_line_errors")),
    Claim(CAMPAIGNS, "(the first 20, all of them with `--json`); the import still succeeds (exit 0)",
          _t("tests/cli/test_cli_campaigns.py::test_import_reports_bad_rows_and_exits_zero")),
    Claim(CAMPAIGNS, "imports nothing: an import is one transaction",
          _t("tests/dialer/test_store.py::test_bad_bytes_late_in_the_file_roll_back_the_whole_import",
             "tests/dialer/test_store.py::test_wrong_encoding_imports_nothing")),
    Claim(CAMPAIGNS, "keeps its status, attempts and next attempt time",
          _t("tests/dialer/test_store.py::test_reimport_is_idempotent_and_keeps_progress")),
    Claim(CAMPAIGNS, "(\"030 1234567\" with region DE blocks \"+49301234567\")",
          _t("tests/dialer/test_dnc.py::test_e164_entries_block_national_numbers",
             "tests/cli/test_cli_campaigns.py::test_dnc_commands")),
    Claim(CAMPAIGNS, "may expire (`--expires 2026-12-31`)",
          _t("tests/dialer/test_dnc.py::test_expiring_entries_and_merging",
             "tests/dialer/test_store.py::test_dnc_expiry_and_lookup_refuses_unloaded_numbers")),
    Claim(CAMPAIGNS, "preview (the operator clicks to dial)",
          _t("tests/dialer/test_pacing.py::test_preview_offers_leads_and_never_originates",
             "tests/calls/test_outbound_flow.py::test_preview_campaign_next_lead_then_one_click_over_http")),
    Claim(CAMPAIGNS, "predictive (progressive)", _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default")),
    Claim(CAMPAIGNS, "attempts per lead over all outcomes (10)",
          _t("tests/claims/test_config_claims.py::test_a_documented_default_is_the_default", "tests/dialer/test_retry.py::test_total_attempts_cap_across_outcomes")),
    Claim(CAMPAIGNS, "a requested callback is exempt",
          _t("tests/dialer/test_retry.py::test_callback_at_requested_time_and_exempt_from_total_cap")),
    Claim(CAMPAIGNS, "a customer who asks during a call is added by the operator's disposition",
          _t("tests/dialer/test_dispositions.py::test_a_code_during_the_call_has_the_last_word_when_it_ends")),
    Claim(CAMPAIGNS, "Each node claims due leads with one `UPDATE ... FOR UPDATE SKIP",
          _t("tests/dialer/test_store_runner.py::test_due_leads_claims_in_order_and_marks_in_progress",
             "tests/dialer/test_store_runner.py::test_two_nodes_never_claim_the_same_lead")),
    Claim(CAMPAIGNS, "UTF-8 by default (a byte-order mark is fine)",
          _t("tests/dialer/test_leads.py::test_utf8_with_bom_is_accepted")),
    Claim(CAMPAIGNS, "every other column is kept as lead data for the CRM card",
          _t("tests/dialer/test_leads.py::test_basic_import_normalises_and_keeps_extra_columns")),
    Claim(CAMPAIGNS, "each lead gets its time zone from the number (or the `timezone` column, or the campaign default)",
          _t("tests/dialer/test_leads.py::test_key_column_and_timezone_column_override",
             "tests/dialer/test_leads.py::test_number_without_known_zone_uses_the_campaign_default")),
    Claim(CAMPAIGNS, "the retry rules decide the lead's next attempt time or its final status (done, exhausted, dnc, invalid)",
          _t("tests/dialer/test_retry.py::test_final_outcomes",
             "tests/dialer/test_retry.py::test_busy_backs_off_then_exhausts",
             "tests/dialer/test_store_runner.py::test_attempt_outcomes_schedule_retries")),
    # -- FastAGI ------------------------------------------------------------------------
    Claim(AGI, "limits the header block (16 KiB, 5 s)",
          _t("tests/claims/test_agi_claims.py::test_the_header_block_is_limited_to_16_kib",
             "tests/claims/test_agi_claims.py::test_a_silent_client_is_closed_after_5_s",
             "tests/agi/test_server.py::test_oversize_block_is_refused",
             "tests/agi/test_server.py::test_header_timeout_closes_a_slow_client")),
    Claim(AGI, "refuses repeated `agi_*` keys",
          _t("tests/agi/test_protocol.py::test_a_forged_line_in_a_caller_name_is_refused")),
    Claim(AGI, "newlines become spaces, so no value can inject a command",
          _t("tests/agi/test_protocol.py::test_newlines_become_spaces",
             "tests/agi/test_session.py::test_hostile_caller_name_reaches_set_variable_safely")),
    Claim(AGI, "handles `HANGUP` mid-script and EOF",
          _t("tests/agi/test_session.py::test_caller_hangs_up_mid_script")),
    Claim(AGI, "for clients in `agi.allow`",
          _t("tests/agi/test_server.py::test_client_outside_the_allowlist_is_refused")),
    Claim(AGI, "`CALLERID(name)` when the caller is a known customer",
          _t("tests/agi/test_routes.py::test_lookup_found",
             "tests/agi/test_routes.py::test_lookup_not_found_clears_earlier_values")),
    Claim(AGI, "`CR_ROUTE` (`stasis`, `closed` or `reject`)",
          _t("tests/agi/test_routes.py::test_route")),
    Claim(AGI, "the operator is found by the calling endpoint",
          _t("tests/agi/test_routes.py::test_operator_login_pause_unpause_logout",
             "tests/agi/test_routes.py::test_operator_from_a_local_channel")),
    Claim(AGI, "never hangs the call up itself",
          _t("tests/agi/test_server.py::test_unknown_script_sets_not_found_without_hanging_up",
             "tests/agi/test_server.py::test_a_failing_handler_sets_failed_and_logs_once")),
    Claim(AGI, "Every script sets `CR_AGI_STATUS` (SUCCESS, NOT_FOUND, FAILED)",
          _t("tests/agi/test_session.py::test_status_variable_and_bound_log_context",
             "tests/agi/test_server.py::test_unknown_script_sets_not_found_without_hanging_up",
             "tests/agi/test_server.py::test_a_failing_handler_sets_failed_and_logs_once")),
    # -- CRM webhooks -------------------------------------------------------------------
    Claim(CRM, "a slow or failing CRM never delays a call",
          _t("tests/crm/test_delivery.py::test_a_hanging_crm_delays_neither_notify_nor_other_calls")),
    Claim(CRM, "record every attempt in PostgreSQL (`webhook_deliveries`)",
          _t("tests/crm/test_log.py::test_every_delivery_has_a_row")),
    Claim(CRM, "a UUID, the same on every retry",
          _t("tests/crm/test_delivery.py::test_retry_after_a_500_then_success")),
    Claim(CRM, "hex HMAC-SHA256 of `<timestamp>.<body>`, keyed with `crm.secret`",
          _t("tests/crm/test_delivery.py::test_delivery_is_signed_and_verifiable")),
    Claim(CRM, "`url` is built on `http.public_url`",
          _t("tests/calls/test_crm_flow.py::test_call_ended_carries_the_recording_duration_and_a_public_link")),
    Claim(CRM, "`Retry-After` is honoured",
          _t("tests/crm/test_delivery.py::test_retry_after_is_honoured",
             "tests/crm/test_api.py::test_retry_after_replaces_backoff_up_to_its_cap")),
    Claim(CRM, "other 4xx and 3xx are not",
          _t("tests/crm/test_delivery.py::test_no_retry_after_a_400",
             "tests/crm/test_delivery.py::test_redirects_are_not_followed")),
    Claim(CRM, "with doubling delays (1 s up to 5 min, with jitter",
          _t("tests/crm/test_api.py::test_backoff_doubles_up_to_its_cap_with_jitter_below_it")),
    Claim(CRM, "One call's events arrive in order; different calls do not wait for each other",
          _t("tests/crm/test_delivery.py::test_each_calls_events_arrive_in_order_while_calls_run_in_parallel")),
    Claim(CRM, "then resumes its `pending` deliveries, under their original ids",
          _t("tests/crm/test_log.py::test_pending_deliveries_resume_after_a_restart",
             "tests/crm/test_journal.py::test_a_kill_during_an_outage_loses_no_published_delivery")),
    Claim(CRM, "At start, a node first turns its webhook journal (`<database.spool_dir>/webhooks`) into `pending` rows",
          _t("tests/crm/test_journal.py::test_a_kill_during_an_outage_loses_no_published_delivery",
             "tests/crm/test_journal.py::test_published_before_start_goes_after_the_journal",
             "tests/crm/test_journal.py::test_a_journal_replayed_twice_is_delivered_once")),
    Claim(CRM, "Logs never contain the secret, and bodies only at debug level",
          _t("tests/crm/test_log.py::test_logs_never_hold_the_secret_nor_bodies_above_debug")),
    Claim(CRM, "`call_id` is the same in every event of a call, in `calls` and in the queue_log export",
          _t("tests/claims/test_crm_claims.py::test_one_calls_events_share_its_call_id_with_its_row_and_queue_log")),
    Claim(CRM, "The CRM sees the caller's card when an operator's phone rings",
          _t("tests/claims/test_crm_claims.py::test_one_calls_events_share_its_call_id_with_its_row_and_queue_log",
             "tests/crm/test_payloads.py::test_screen_pop_from_plain_values")),
    Claim(CRM, "(the caller pressed the callback key, or the queue overflowed to a callback)",
          _t("tests/claims/test_crm_claims.py::test_callback_requested_is_identified_by_its_call_id")),
    Claim(CRM, "`call_id` identifies the callback, one per call, in `GET /api/v1/callbacks` too",
          _t("tests/claims/test_crm_claims.py::test_callback_requested_is_identified_by_its_call_id")),
    Claim(CRM, "Any 2xx answer means delivered",
          _t("tests/claims/test_crm_claims.py::test_any_2xx_answer_means_delivered")),
    Claim(CRM, "(at most 8 requests in flight)",
          _t("tests/claims/test_crm_claims.py::test_at_most_8_requests_in_flight_by_default")),
    # -- HTTP API -----------------------------------------------------------------------
    Claim(HTTP, "`GET /openapi.json` is the OpenAPI 3.1 description",
          _t("tests/api/test_openapi.py::test_validates_as_openapi_3_1",
             "tests/api/test_openapi.py::test_lists_every_route_with_its_method")),
    Claim(HTTP, "no header gives `401`, a wrong token `403`",
          _t("tests/api/test_auth.py::test_no_token_is_401_with_challenge",
             "tests/api/test_auth.py::test_wrong_token_is_403_and_not_logged",
             "tests/api/test_auth.py::test_open_endpoints_need_no_token")),
    Claim(HTTP, "an empty one, a sample placeholder such as `change-me`, or one under",
          _t("tests/api/test_auth.py::test_weak_or_sample_token_beyond_loopback_refuses_to_start",
             "tests/config/test_config.py::test_sample_http_token_beyond_loopback_is_a_located_error")),
    Claim(HTTP, "a `GET` with it is served, anything else is `403`",
          _t("tests/calls/test_api_live.py::test_a_viewer_token_reads_but_never_changes")),
    Claim(HTTP, "404 not found, 409 refused by the current state, 422 invalid field",
          _t("tests/api/test_operators.py::test_unknown_operator_is_404",
             "tests/api/test_operators.py::test_refusal_is_409",
             "tests/api/test_calls.py::test_click_to_call_validation_names_each_field")),
    Claim(HTTP, "502 when Asterisk, PostgreSQL or the CRM failed",
          _t("tests/api/test_edges.py::test_database_down_is_502",
             "tests/api/test_calls.py::test_click_to_call_ari_failure_is_502")),
    Claim(HTTP, "503 when degraded",
          _t("tests/api/test_center_views.py::test_health_degraded_is_503")),
    Claim(HTTP, "the operator's phone rings first, then the customer is dialled; `202 {call_id, call_url}`",
          _t("tests/api/test_calls.py::test_click_to_call_is_202_with_the_call_id")),
    Claim(HTTP, "`POST /operators/{id}/login`, `/logout`, `/unpause`, `/pause` `{\"reason\": \"lunch\"}`",
          _t("tests/api/test_operators.py::test_login_pause_unpause_logout",
             "tests/calls/test_api_live.py::test_operator_actions_and_queue_status_reach_the_core")),
    Claim(HTTP, "`GET /calls?limit&queue&outcome`, `GET /calls/{id}`",
          _t("tests/api/test_calls.py::test_list_calls_and_filters",
             "tests/api/test_calls.py::test_call_detail_with_events_and_recordings")),
    Claim(HTTP, "`POST /callbacks` `{phone, queue, due_at, name?, note?, operator_id?}`",
          _t("tests/api/test_transfer.py::test_schedule_callback",
             "tests/calls/test_outbound_flow.py::test_callback_reserved_for_one_operator_rings_them_first")),
    Claim(HTTP, "preview mode: claim the next lead that may be called now",
          _t("tests/calls/test_outbound_flow.py::test_preview_campaign_next_lead_then_one_click_over_http",
             "tests/calls/test_outbound_compliance.py::test_a_preview_lead_outside_its_window_now_is_refused")),
    Claim(HTTP, "every operator with state, reason, since, queues",
          _t("tests/api/test_operators.py::test_list_operators_with_state_and_queues")),
    Claim(HTTP, "the recording, streamed",
          _t("tests/api/test_calls.py::test_recording_download_streamed",
             "tests/api/test_calls.py::test_recording_download_whole_file")),
    Claim(HTTP, "live figures of every queue",
          _t("tests/api/test_center_views.py::test_queues")),
    Claim(HTTP, "the operator's disposition of an outbound attempt",
          _t("tests/api/test_center_views.py::test_disposition_is_written")),
    Claim(HTTP, "then `POST /calls` with its `lead_id` and `campaign_id` records the attempt",
          _t("tests/calls/test_outbound_flow.py::test_preview_campaign_next_lead_then_one_click_over_http")),
    # -- The ARI client and the simulated Asterisk --------------------------------------
    Claim(ARI, "reconnects with capped exponential backoff and jitter, re-subscribes and resyncs",
          _t("tests/claims/test_ari_claims.py::test_reconnect_delays_double_up_to_the_cap_with_jitter",
             "tests/ari/test_reconnect.py::test_drop_mid_call_reconnects_and_reports_a_hangup_missed_in_the_gap")),
    Claim(ARI, "typed errors (`AriNotFound`, `AriConflict`",
          _t("tests/ari/test_errors.py::test_404_is_not_found_with_details_and_one_info_line",
             "tests/ari/test_errors.py::test_409_conflict_on_duplicate_bridge_id",
             "tests/ari/test_errors.py::test_timeout",
             "tests/ari/test_errors.py::test_connection_refused")),
    Claim(ARI, "One keep-alive session",
          _t("tests/ari/test_rest.py::test_connections_are_reused")),
    Claim(ARI, "credentials URL-encoded and never logged",
          _t("tests/ari/test_secrets.py::test_api_key_is_url_encoded_on_the_websocket",
             "tests/ari/test_secrets.py::test_password_never_logged_or_shown")),
    Claim(ARI, "unknown types pass through untyped; malformed frames are",
          _t("tests/ari/test_events.py::test_unknown_type_passes_through",
             "tests/ari/test_events.py::test_malformed_frame_is_one_log_line")),
    Claim(ARI, "dispatches each channel's events in order on a per-channel worker",
          _t("tests/ari/test_dispatch.py::test_order_within_a_channel_and_concurrency_across_channels")),
    Claim(ARI, "A contract test walks the client's route table",
          _t("tests/ari/test_contract.py::test_route_exists_with_its_parameters_and_response",
             "tests/ari/test_contract.py::test_model_fields_exist_with_compatible_types")),
    Claim(ARI, "originate to endpoints scripted per endpoint (answer after N s, busy, no answer, congestion, unreachable, hang up after M s, answering machine)",
          _t("tests/sim/test_endpoints.py::test_answers_after_ringing",
             "tests/sim/test_endpoints.py::test_busy",
             "tests/sim/test_endpoints.py::test_no_answer_times_out",
             "tests/sim/test_endpoints.py::test_congestion",
             "tests/sim/test_endpoints.py::test_offline_pjsip_endpoint_fails_allocation",
             "tests/sim/test_endpoints.py::test_answering_machine_sets_amd_variables")),
    Claim(ARI, "DTMF from the far end; errors with Asterisk's exact statuses and bodies",
          _t("tests/sim/test_endpoints.py::test_far_end_dtmf_and_caller_hangup",
             "tests/sim/test_replay.py::test_error_answers")),
    Claim(ARI, "drop WebSockets, make requests fail or hang, read the request log, state",
          _t("tests/sim/test_control.py::test_drop_websocket_closes_it_and_events_are_lost",
             "tests/sim/test_control.py::test_fault_injection_status_and_count",
             "tests/sim/test_control.py::test_fault_delay_trips_client_timeout",
             "tests/sim/test_control.py::test_request_log",
             "tests/sim/test_control.py::test_state_and_applications")),
    Claim(ARI, "a time scale runs a simulated hour in a minute",
          _t("tests/sim/test_control.py::test_time_scale_shortens_scripted_delays")),
    Claim(ARI, "live and stored recordings (real WAV files)",
          _t("tests/sim/test_media.py::test_channel_recording_writes_wav_of_the_right_length")),
    Claim(ARI, "The real captures it recorded are replayed against the simulator",
          _t("tests/sim/test_replay_real.py::test_real_capture")),
    # -- Design -------------------------------------------------------------------------
    Claim(DESIGN, "a late or repeated ARI event is recognised, not acted on twice",
          _t("tests/legs/test_machines.py::test_an_operator_leg_is_answered_at_most_once_and_never_after_a_cancel",
             "tests/legs/test_machines.py::test_a_dialed_customer_is_queued_at_most_once")),
    Claim(DESIGN, "no operator offered two calls, no call offered to an ineligible operator",
          _t("tests/acd/test_state_machine.py::TestAcdMachine::runTest")),
    Claim(DESIGN, "in the order they must be carried out (a ring before its caller's hold",
          _t("tests/calls/test_ring_first.py::test_ring_moves_before_hold_of_the_same_call",
             "tests/calls/test_ring_first.py::test_ring_moves_before_hold_and_joining_announcement")),
    Claim(DESIGN, "decides what an operator leg's hangup cause means",
          _t("tests/claims/test_design_claims.py::test_the_core_decides_what_an_operator_legs_hangup_cause_means")),
    Claim(DESIGN, "and when an outbound customer nobody answered is abandoned (`acd/_deadlines.py`)",
          _t("tests/acd/test_answer_deadline.py::test_a_deadline_already_past_on_arrival_never_joins_the_line",
             "tests/calls/test_outbound_pacing.py::test_an_amd_verdict_past_the_limit_is_an_abandon_with_the_apology")),
    Claim(DESIGN, "never await and never read a clock", _t("tests/claims/test_design_claims.py::test_the_cores_never_await_nor_read_a_clock")),
    Claim(DESIGN, "so two nodes never ring the same operator",
          _t("tests/calls/test_two_nodes.py::test_an_operator_claimed_by_one_node_is_not_rung_by_the_other")),
    Claim(DESIGN, "Rows carry their node (`cluster.node`, default the host name)",
          _t("tests/claims/test_cluster_claims.py::test_rows_carry_their_node")),
    Claim(DESIGN, "leads and callbacks are claimed with `FOR UPDATE SKIP LOCKED`",
          _t("tests/claims/test_callback_claims.py::test_two_nodes_never_claim_the_same_callback",
             "tests/dialer/test_store_runner.py::test_two_nodes_never_claim_the_same_lead")),
    Claim(DESIGN, "A node releases its own claims when it starts",
          _t("tests/claims/test_cluster_claims.py::test_a_node_releases_its_own_claims_when_it_starts")),
    Claim(DESIGN, "a claim older than 4 hours (a node that never came back) may be taken over",
          _t("tests/claims/test_cluster_claims.py::test_a_claim_older_than_4_hours_may_be_taken_over")),
    # -- Known limitations --------------------------------------------------------------
    Claim(LIMITS, "applies queues, operators, routes, calendars, campaigns and tenants' API tokens",
          _t("tests/tenants/test_reload.py::test_tenant_tokens_added_and_removed_by_a_reload_apply_at_once",
             "tests/faults/test_reload.py::test_sighup_applies_a_new_route_and_calendar_under_load",
             "tests/acd/test_policy.py::test_reconfigure_keeps_places_and_adds_operators",
             "tests/claims/test_reload_claims.py::test_a_reload_applies_campaigns_and_never_restarts_a_paused_one")),
    Claim(LIMITS, "ARI, database, AGI and HTTP settings need a restart",
          _t("tests/claims/test_reload_claims.py::test_a_reload_reports_connection_settings_it_cannot_apply")),
]
CLAIMS += extra_claims()

# Sections whose backticked test names must exist (every section that names a test, and
# the rest too, so a test named in a new sentence anywhere is checked).
COVERED_SECTIONS: tuple[str, ...] = (
    QUICK, ASTERISK, INBOUND, RECORDED, RECORDING, OUTBOUND, NOTHING_LOST, CLI, CONFIG,
    STORAGE, CAMPAIGNS, AGI, CRM, HTTP, ARI, "Benchmarks", DESIGN, "Development", LIMITS,
)  # fmt: skip

_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_BACKTICKED = re.compile(r"`([^`]+)`")
_TEST_NAME = re.compile(r"\btest_[a-z0-9_]+")
_TEST_PATH = re.compile(r"\b(tests/[A-Za-z0-9_/]+\.py)(?:::([A-Za-z0-9_]+))?")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _sections() -> dict[str, str]:
    """Each heading's own text, up to the next heading of any level, normalised."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_fence = False
    for line in README.read_text(encoding="utf-8").splitlines():
        # A '#' inside a code block is a shell comment, not a heading.
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            current = sections.setdefault(heading.group(1), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def _function_name(node_id: str) -> str:
    return node_id.split("::")[-1].split("[", 1)[0]


def _without_params(node_id: str) -> str:
    return node_id.split("[", 1)[0]


@pytest.fixture(scope="session")
def collection() -> subprocess.CompletedProcess[str]:
    """``pytest --collect-only`` over the whole suite, once per session."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="session")
def collected(collection: subprocess.CompletedProcess[str]) -> frozenset[str]:
    """Node ids of the whole suite, parameters stripped."""
    # Not asserting on the exit code: a file another developer is midway through
    # editing may fail to import; only the tests the table names must be collected.
    ids = frozenset(
        _without_params(line.strip()) for line in collection.stdout.splitlines() if "::" in line
    )
    assert ids, f"nothing collected:\n{collection.stdout[-2000:]}\n{collection.stderr[-2000:]}"
    return ids


@pytest.fixture(scope="session")
def import_errors(collection: subprocess.CompletedProcess[str]) -> list[str]:
    """Why test files failed to import, so a missing test says whether it was renamed
    or its whole file is broken."""
    return [
        line.strip()
        for line in collection.stdout.splitlines()
        if line.startswith(("ERROR ", "E   "))
    ]


def _claim_id(claim: Claim) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", " ", claim.quote).split()
    return f"{claim.section}: {' '.join(words[:8])}"


def test_the_table_is_large_and_has_no_duplicate_quotes() -> None:
    assert len(CLAIMS) >= 60
    keys = [(c.section, _normalise(c.quote)) for c in CLAIMS]
    assert len(keys) == len(set(keys)), "a quote is listed twice"
    assert all(c.tests for c in CLAIMS), "a claim with no test proves nothing"


@pytest.mark.parametrize("claim", CLAIMS, ids=_claim_id)
def test_readme_claim_is_proved_by_a_collected_test(
    claim: Claim, collected: frozenset[str], import_errors: list[str]
) -> None:
    sections = _sections()
    assert claim.section in sections, f"README has no section {claim.section!r} any more"
    quote = _normalise(claim.quote)
    if quote not in _normalise(sections[claim.section]):
        elsewhere = [n for n, text in sections.items() if quote in _normalise(text)]
        raise AssertionError(
            f"README section {claim.section!r} no longer says {claim.quote!r}"
            + (f" (now in {elsewhere})" if elsewhere else ": find what replaced it")
        )
    missing = [t for t in claim.tests if _without_params(t) not in collected]
    assert not missing, f"not collected: {missing}" + (
        f"; some test files failed to import: {import_errors}" if import_errors else ""
    )


@pytest.mark.parametrize("section", COVERED_SECTIONS)
def test_tests_named_in_a_readme_section_exist(
    section: str, collected: frozenset[str]
) -> None:
    sections = _sections()
    assert section in sections, f"README has no section {section!r} any more"
    missing = sorted(_unknown_test_names(sections[section], collected))
    assert not missing, f"README section {section!r} names tests that do not exist: {missing}"


def test_tests_named_anywhere_in_the_readme_exist(collected: frozenset[str]) -> None:
    missing = sorted(_unknown_test_names(README.read_text(encoding="utf-8"), collected))
    assert not missing, f"README names tests that do not exist: {missing}"


def _unknown_test_names(text: str, collected: frozenset[str]) -> set[str]:
    """What the README cites in backticks that is not there: a ``test_...`` name that is
    neither a collected test function nor a test file, a ``tests/...py`` path that is not
    a file, or a ``tests/x.py::test_y`` node that is not collected from that file."""
    functions = {_function_name(node_id) for node_id in collected}
    files = {path.stem for path in TESTS.rglob("test_*.py")}
    spans = _BACKTICKED.findall(_FENCE.sub("", text))
    names = {name for span in spans for name in _TEST_NAME.findall(span)}
    unknown = names - functions - files
    for span in spans:
        for path, name in _TEST_PATH.findall(span):
            if not (REPO / path).is_file():
                unknown.add(path)
            elif name and not any(
                node.startswith(f"{path}::") and _function_name(node) == name
                for node in collected
            ):
                unknown.add(f"{path}::{name}")
    return unknown


def test_the_reference_check_flags_what_is_missing(collected: frozenset[str]) -> None:
    real = "tests/calls/test_reload.py::test_reload_changes_what_fastagi_route_answers"
    text = (
        f"`{real}`, `tests/calls/test_nope.py`, `tests/calls/test_reload.py::test_gone`, "
        "`test_never_written`; a code block is not prose:\n```\n`test_only_in_a_fence`\n```\n"
    )
    assert _unknown_test_names(text, collected) == {
        "tests/calls/test_nope.py", "tests/calls/test_reload.py::test_gone",
        "test_never_written", "test_gone", "test_nope",
    }  # fmt: skip
