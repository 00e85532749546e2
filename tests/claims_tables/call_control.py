"""README claims of "Transfers, escalation and monitoring"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

SECTION = "Transfers, escalation and monitoring"
_LIVE = "tests/call_control/test_transfers_live.py::"
_ACD = "tests/call_control/test_acd_transfers.py::"
_HTTP = "tests/call_control/test_escalation_http.py::"
_MON = "tests/call_control/test_monitoring_live.py::"
_MACHINE = "tests/call_control/test_acd_transfer_machine.py::TestTransferMachine::runTest"
_CODES = "tests/call_control/test_feature_codes.py::"
_BOARD = "tests/web/test_wallboard_monitoring.py::"
_SUP = "tests/web/test_supervisor_api.py::"
_TONES = "tests/call_control/test_feature_code_tones.py::"
_ABSORB = "tests/sim/test_absorb_dtmf.py::"
_RESTART = "tests/call_control/test_restart_call_control.py::"
_PLAN = "tests/call_control/test_adoption_call_control.py::"

CLAIMS: list[Claim] = [
    Claim(
        SECTION,
        "A call keeps its one call id through every transfer",
        claims(
            _HTTP + "test_an_escalation_is_one_call_for_the_crm_the_rows_and_the_queue_log",
            _LIVE + "test_blind_transfer_to_a_queue_records_each_part_and_logs_blindtransfer",
        ),
    ),
    Claim(
        SECTION,
        "keeps the caller's priority and the place their original",
        claims(
            _ACD + "test_a_transferred_caller_keeps_the_place_of_their_original_arrival",
            _ACD + "test_priority_is_kept_across_a_transfer",
            _ACD + "test_without_escalated_first_the_older_caller_still_goes_first",
            _MACHINE,
        ),
    ),
    Claim(
        SECTION,
        "transferred callers go ahead of every caller of equal priority",
        claims(
            _ACD + "test_escalated_first_puts_a_transferred_caller_ahead_of_older_callers",
        ),
    ),
    Claim(
        SECTION,
        "holdtime still counts from entering the new queue",
        claims(
            _ACD + "test_connect_wait_counts_from_entering_the_new_queue",
            _LIVE + "test_blind_transfer_to_a_queue_records_each_part_and_logs_blindtransfer",
        ),
    ),
    Claim(
        SECTION,
        "rings only that operator, who must be free",
        claims(
            _ACD + "test_blind_transfer_to_an_operator_rings_only_them",
            _ACD + "test_blind_transfer_to_a_busy_operator_is_refused_and_changes_nothing",
            _LIVE + "test_blind_transfer_to_an_operator_carries_the_note_to_their_screen_pop",
        ),
    ),
    Claim(
        SECTION,
        "operator's own queue, where the next free operator gets them",
        claims(
            _ACD + "test_a_caller_sent_to_a_specialist_waits_in_the_specialists_queue",
            _MACHINE,
        ),
    ),
    Claim(
        SECTION,
        "screen pop (`call.offered`) carries `transfer` {from_operator, reason,",
        claims(
            "tests/call_control/test_transfer_payloads.py::"
            "test_the_screen_pop_of_a_transferred_call_carries_the_note",
            _LIVE + "test_blind_transfer_to_an_operator_carries_the_note_to_their_screen_pop",
        ),
    ),
    Claim(
        SECTION,
        "`[callrouter-transfer]` with the number as extension",
        claims(
            _LIVE + "test_blind_transfer_to_a_number_leaves_for_the_transfer_context",
        ),
    ),
    Claim(
        SECTION,
        "the caller leaves the bridge and is held",
        claims(
            _LIVE + "test_attended_transfer_to_a_queue_completed",
        ),
    ),
    Claim(
        SECTION,
        "operator is reserved (state `paused`, reason `consult`: they cannot pause",
        claims(
            _ACD + "test_consulting_a_queue_reserves_its_next_free_operator",
            _ACD + "test_a_consulted_operator_cannot_leave_until_the_consultation_is_over",
            _MACHINE,
        ),
    ),
    Claim(
        SECTION,
        "gets the screen pop with the first operator's note",
        claims(
            _HTTP + "test_an_escalation_is_one_call_for_the_crm_the_rows_and_the_queue_log",
        ),
    ),
    Claim(
        SECTION,
        "ATTENDEDTRANSFER with app_queue's",
        claims(
            _LIVE + "test_attended_transfer_to_a_queue_completed",
            _HTTP + "test_an_escalation_is_one_call_for_the_crm_the_rows_and_the_queue_log",
        ),
    ),
    Claim(
        SECTION,
        "caller and outside party stay bridged and the call ends",
        claims(
            _LIVE + "test_attended_transfer_to_a_number_leaves_caller_and_outside_party_talking",
        ),
    ),
    Claim(
        SECTION,
        "operator hanging up leaves the caller with the second",
        claims(
            _LIVE + "test_attended_transfer_turned_into_a_conference",
        ),
    ),
    Claim(
        SECTION,
        "the operator is back with the caller",
        claims(
            _LIVE + "test_attended_transfer_cancelled_returns_the_operator_to_the_caller",
        ),
    ),
    Claim(
        SECTION,
        "not answer, is busy or hangs up returns the operator to the caller",
        claims(
            _LIVE + "test_consulted_operator_not_answering_returns_the_operator_to_the_caller",
            "tests/call_control/test_consult_machine.py::"
            "test_a_consulted_party_not_answering_returns_the_operator_to_the_caller",
        ),
    ),
    Claim(
        SECTION,
        "up during the consultation ends the call and frees both operators",
        claims(
            _LIVE + "test_caller_hanging_up_during_the_consultation_ends_everything",
            _ACD + "test_the_caller_hanging_up_during_a_consult_frees_both_operators",
        ),
    ),
    Claim(
        SECTION,
        "conversation is recorded, in order, each linked to the call",
        claims(
            _LIVE + "test_blind_transfer_to_a_queue_records_each_part_and_logs_blindtransfer",
        ),
    ),
    Claim(
        SECTION,
        "why (`reason`, `note`) and to whom (`to`: queue, operator or number)",
        claims(
            "tests/call_control/test_transfer_payloads.py::"
            "test_call_transferred_says_who_why_and_to_whom",
            _HTTP + "test_an_escalation_is_one_call_for_the_crm_the_rows_and_the_queue_log",
        ),
    ),
    Claim(
        SECTION,
        "operator's leg, spy `both`, whisper `none`: nobody hears them)",
        claims(
            _MON + "test_listen_then_whisper_then_barge_with_the_right_audio",
            "tests/call_control/test_monitor_machine.py::"
            "test_listen_is_silent_whisper_reaches_the_operator_only_barge_everyone",
        ),
    ),
    Claim(
        SECTION,
        "(into the call's own bridge: everybody hears everybody)",
        claims(
            _MON + "test_listen_then_whisper_then_barge_with_the_right_audio",
        ),
    ),
    Claim(
        SECTION,
        "Every stretch is logged in `call_monitoring`",
        claims(
            _MON + "test_listen_then_whisper_then_barge_with_the_right_audio",
            _MON + "test_stopping_and_the_supervisor_hanging_up_end_the_monitoring",
        ),
    ),
    Claim(
        SECTION,
        "It ends when the supervisor hangs up or is stopped, or with the",
        claims(
            _MON + "test_stopping_and_the_supervisor_hanging_up_end_the_monitoring",
            _MON + "test_listen_then_whisper_then_barge_with_the_right_audio",
        ),
    ),
    Claim(
        SECTION,
        "`POST /transfer/blind`",
        claims(
            _HTTP + "test_blind_transfer_over_http_needs_exactly_one_target",
        ),
    ),
    Claim(
        SECTION,
        "`POST /consult/complete`, `/consult/conference`, `/consult/cancel`",
        claims(
            _HTTP + "test_an_escalation_is_one_call_for_the_crm_the_rows_and_the_queue_log",
        ),
    ),
    Claim(
        SECTION,
        "`POST /monitor/{monitor_id}/mode` `{mode}`, `/monitor/{monitor_id}/stop`",
        claims(
            _MON + "test_listen_then_whisper_then_barge_with_the_right_audio",
            _MON + "test_stopping_and_the_supervisor_hanging_up_end_the_monitoring",
        ),
    ),
    Claim(
        SECTION,
        "`#1<digits>#` blind transfer, `*2<digits>#`",
        claims(
            _CODES + "test_asterisks_default_codes",
            _LIVE + "test_feature_codes_consult_then_complete_from_the_operators_keypad",
            _LIVE + "test_feature_code_blind_transfer_to_a_routed_queue",
        ),
    ),
    Claim(
        SECTION,
        "The digits name a routing extension",
        claims(
            _CODES + "test_digits_name_a_routed_queue_then_an_operator_then_a_number",
            _LIVE + "test_feature_code_blind_transfer_to_a_routed_queue",
        ),
    ),
    Claim(
        SECTION,
        "are replayed against it in `tests/sim/test_replay_call_control.py`",
        claims(
            "tests/sim/test_replay_call_control.py::test_call_control_capture",
        ),
    ),
    Claim(
        SECTION,
        "`supervisors.<id>.endpoint`, else their operator endpoint) rings first",
        claims(
            _BOARD + "test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot",
            _MON + "test_listen_then_whisper_then_barge_with_the_right_audio",
        ),
    ),
    Claim(
        SECTION,
        "A supervisor signs in at `/wallboard/supervisor` with",
        claims(
            _SUP + "test_who_may_monitor_from_the_wallboard",
            "tests/web/test_parts.py::test_a_supervisor_session_is_its_own_and_ends_with_the_secret",
        ),
    ),
    Claim(
        SECTION,
        "Their wallboard then shows Listen, Whisper and Barge on every call",
        claims(
            _BOARD + "test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot",
        ),
    ),
    Claim(
        SECTION,
        "the same checks and the same `call_monitoring` rows",
        claims(
            _BOARD + "test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot",
            _SUP + "test_who_may_monitor_from_the_wallboard",
        ),
    ),
    Claim(
        SECTION,
        "is `supervisors.<id>.endpoint`, else the one typed in the wallboard's header",
        claims(
            _BOARD + "test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot",
            _SUP + "test_who_may_monitor_from_the_wallboard",
        ),
    ),
    Claim(
        SECTION,
        "it shows no buttons, and its requests to monitor are refused (403)",
        claims(
            _BOARD + "test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot",
            _SUP + "test_who_may_monitor_from_the_wallboard",
        ),
    ),
    Claim(
        SECTION,
        "Neither an operator's panel session nor the viewer token signs a supervisor in",
        claims(
            _SUP + "test_who_may_monitor_from_the_wallboard",
        ),
    ),
    Claim(
        SECTION,
        "the operator's leg joins the bridge with ARI's `absorbDTMF`",
        claims(
            _TONES + "test_the_caller_hears_no_feature_code_and_the_consult_still_happens",
            _ABSORB + "test_absorbed_keys_are_reported_but_reach_nobody",
        ),
    ),
    Claim(
        SECTION,
        "The connect puts caller and operator in the bridge in one request",
        claims(
            _TONES + "test_the_caller_hears_no_feature_code_and_the_consult_still_happens",
            "tests/calls/test_hot_path.py::test_a_caller_served_at_once_costs_seven_requests_and_no_music",
        ),
    ),
    Claim(
        SECTION,
        "follow Asterisk's source rather than a capture",
        claims(
            _ABSORB + "test_absorbed_keys_are_reported_but_reach_nobody",
            _ABSORB + "test_without_bridge_features_keys_pass_to_every_other_member",
        ),
    ),
    Claim(
        SECTION,
        "a caller held for a consultation is taken off hold and back to their operator",
        claims(
            _RESTART + "test_a_restart_mid_consult_returns_the_caller_and_ends_the_monitoring",
            _PLAN + "test_a_caller_held_for_a_consultation_goes_back_to_the_operator",
            _PLAN + "test_a_consult_still_ringing_is_hung_up_and_the_caller_returned",
        ),
    ),
    Claim(
        SECTION,
        "waits again with their original place in the queue",
        claims(
            _RESTART
            + "test_a_held_caller_whose_operator_left_during_the_restart_keeps_their_place",
            _PLAN + "test_a_held_caller_whose_operator_is_gone_waits_again_in_their_place",
        ),
    ),
    Claim(
        SECTION,
        "the consulted leg is hung up and a consulted operator is free again",
        claims(
            _RESTART + "test_a_restart_mid_consult_returns_the_caller_and_ends_the_monitoring",
            _PLAN + "test_a_caller_held_for_a_consultation_goes_back_to_the_operator",
        ),
    ),
    Claim(
        SECTION,
        "a three-way conference carries on with caller and first operator",
        claims(
            _PLAN + "test_a_conference_carries_on_with_caller_and_operator",
        ),
    ),
    Claim(
        SECTION,
        "snoops and phones are hung up, their monitor bridges destroyed and their open",
        claims(
            _RESTART + "test_a_restart_mid_consult_returns_the_caller_and_ends_the_monitoring",
            _PLAN + "test_a_caller_held_for_a_consultation_goes_back_to_the_operator",
        ),
    ),
    Claim(
        SECTION,
        "keeps recording into the part its `recordings` row says is running",
        claims(
            _RESTART + "test_a_transferred_call_after_a_restart_pauses_its_second_recording",
            _PLAN + "test_a_restored_call_keeps_the_recording_part_its_row_names",
        ),
    ),
    Claim(
        SECTION,
        "An events-WebSocket gap without a restart leaves consultations and monitorings",
        claims(
            _RESTART + "test_a_websocket_gap_leaves_a_consultation_and_a_monitoring_running",
            _PLAN + "test_after_a_mere_websocket_gap_live_call_control_is_left_alone",
        ),
    ),
    Claim(
        "Wallboard and operator panel",
        "supervisor signed in at `/wallboard/supervisor` also gets Listen, Whisper and Barge",
        claims(
            _BOARD + "test_a_supervisor_listens_from_the_wallboard_and_a_wall_screen_cannot",
            _SUP + "test_who_may_monitor_from_the_wallboard",
        ),
    ),
]
