"""README claims of "Transfers, escalation and monitoring"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

SECTION = "Transfers, escalation and monitoring"
_LIVE = "tests/call_control/test_transfers_live.py::"
_ACD = "tests/call_control/test_acd_transfers.py::"

CLAIMS: list[Claim] = [
    Claim(
        SECTION,
        "A call keeps its one call id through every transfer",
        claims(
            _LIVE + "test_attended_transfer_to_a_queue_completed",
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
        "operator is reserved (state `paused`, reason `consult`)",
        claims(
            _ACD + "test_consulting_a_queue_reserves_its_next_free_operator",
        ),
    ),
    Claim(
        SECTION,
        "ATTENDEDTRANSFER with app_queue's `BRIDGE` method",
        claims(
            _LIVE + "test_attended_transfer_to_a_queue_completed",
            _ACD + "test_a_completed_consult_hands_the_call_to_the_consulted_operator",
        ),
    ),
    Claim(
        SECTION,
        "up leaves the caller with the second",
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
        "or hangs up returns the operator to the caller",
        claims(
            _LIVE + "test_consulted_operator_not_answering_returns_the_operator_to_the_caller",
            "tests/call_control/test_consult_machine.py::"
            "test_a_consulted_party_not_answering_returns_the_operator_to_the_caller",
        ),
    ),
    Claim(
        SECTION,
        "consultation ends the call and frees both operators",
        claims(
            _LIVE + "test_caller_hanging_up_during_the_consultation_ends_everything",
            _ACD + "test_the_caller_hanging_up_during_a_consult_frees_both_operators",
        ),
    ),
    Claim(
        SECTION,
        "every part of a transferred",
        claims(
            _LIVE + "test_blind_transfer_to_a_queue_records_each_part_and_logs_blindtransfer",
        ),
    ),
    Claim(
        SECTION,
        "screen pop (`call.offered`) carries `transfer` {from_operator, reason, note}",
        claims(
            "tests/call_control/test_transfer_payloads.py::"
            "test_the_screen_pop_of_a_transferred_call_carries_the_note",
            _LIVE + "test_blind_transfer_to_an_operator_carries_the_note_to_their_screen_pop",
        ),
    ),
    Claim(
        SECTION,
        "why (`reason`, `note`) and to whom (`to`: queue, operator or number)",
        claims(
            "tests/call_control/test_transfer_payloads.py::"
            "test_call_transferred_says_who_why_and_to_whom",
        ),
    ),
]
