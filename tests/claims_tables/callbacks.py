# ruff: noqa: E501
# Quotes are exact README text and node ids are pasted into pytest as they are.
"""README claims about callbacks keeping the caller's place, the rules at dialling,
callbacks after a crash; and two promises proved by their own test since (the recording
duration sent to the CRM, a customer's priority below answered outbound customers')."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

OUTBOUND = "Outbound calls"
CRM = "CRM webhooks"
HTTP = "HTTP API"

_PLACE = "tests/calls/test_callback_place.py"
_ORDER = "tests/dialer/test_callback_order.py"
_RECOVERY = "tests/calls/test_callback_recovery.py"
_PROMISES = "tests/calls/test_recording_pause_and_vip_clamp.py"

CLAIMS: list[Claim] = [
    Claim(
        OUTBOUND,
        "a due callback whose caller's place (the call's priority, then its time of joining, `callbacks.queued_at`, ranked as the dispatcher ranks callers) comes before every caller waiting that the operator may take gets the operator",
        claims(
            f"{_PLACE}::test_a_callback_is_dialled_before_callers_who_joined_after_its_caller",
            f"{_PLACE}::test_a_caller_who_joined_before_the_callbacks_place_is_served_first",
            f"{_ORDER}::test_a_freed_operator_goes_to_the_callback_whose_place_is_older_than_the_waiting",
            f"{_ORDER}::test_a_caller_who_joined_before_the_callbacks_place_goes_first",
            f"{_ORDER}::test_priority_counts_as_the_queue_counts_it",
            f"{_ORDER}::test_a_vip_callback_passes_earlier_plain_callers",
        ),
    ),
    Claim(
        OUTBOUND,
        "The operator is reserved for it (state `paused`, reason `outbound`: nobody else can ring them)",
        claims(
            f"{_ORDER}::test_a_freed_operator_goes_to_the_callback_whose_place_is_older_than_the_waiting",
            f"{_ORDER}::test_a_free_operator_is_reserved_as_soon_as_a_callback_is_due",
        ),
    ),
    Claim(
        OUTBOUND,
        "No caller who joined after a callback's caller is served before it",
        claims(
            f"{_ORDER}::test_a_callback_is_never_passed_over_by_a_caller_who_came_after_its_place",
            f"{_PLACE}::test_a_callback_is_dialled_before_callers_who_joined_after_its_caller",
        ),
    ),
    Claim(
        OUTBOUND,
        "A callback is dialled only while its queue's `hours` say open",
        claims(f"{_PLACE}::test_a_callback_is_dialled_only_while_its_queue_is_open"),
    ),
    Claim(
        OUTBOUND,
        "its number is checked against the do-not-call list in whatever format it was stored right before it is dialled (a listed number cancels the callback)",
        claims(
            f"{_PLACE}::test_a_callback_to_a_number_on_the_dnc_list_in_another_format_is_not_dialled",
            "tests/calls/test_outbound_compliance.py::test_a_callback_to_a_number_put_on_dnc_is_cancelled_not_dialled",
        ),
    ),
    Claim(
        OUTBOUND,
        "One node dials a callback at a time",
        claims(
            "tests/claims/test_callback_claims.py::test_two_nodes_never_claim_the_same_callback",
            f"{_RECOVERY}::test_two_nodes_dial_each_callback_once",
        ),
    ),
    Claim(
        OUTBOUND,
        "a node that restarts takes back the callbacks it was dialling, re-attached to their call if Asterisk still holds it, else dialled again in their place (the interrupted attempt counts)",
        claims(
            f"{_RECOVERY}::test_a_callback_dialling_at_a_kill_is_dialled_again_once_after_the_restart",
            f"{_RECOVERY}::test_a_callback_claimed_but_never_dialled_before_a_kill_is_dialled_at_start",
        ),
    ),
    Claim(
        OUTBOUND,
        "a `dialing` callback whose node stopped renewing it for `dialer.stale_attempt_s` is given back by any node",
        claims(
            f"{_RECOVERY}::test_a_dead_nodes_dialling_callback_is_released_after_the_timeout_and_dialled_once"
        ),
    ),
    Claim(
        OUTBOUND,
        "A scheduled callback's place is the moment it was scheduled, at priority 0",
        claims(f"{_PLACE}::test_a_caller_who_joined_before_the_callbacks_place_is_served_first"),
    ),
    Claim(
        OUTBOUND,
        "A human joins the campaign's queue with a priority above every inbound caller",
        claims(f"{_PROMISES}::test_a_vip_card_never_ties_with_an_answered_outbound_customer"),
    ),
    Claim(
        CRM,
        "for a recorded call `duration_s` is the seconds recorded by callrouter's clock, pauses excluded",
        claims(f"{_PROMISES}::test_the_recording_duration_sent_to_the_crm_leaves_out_the_pause"),
    ),
    Claim(
        HTTP,
        "(a queue's due callbacks compete with its waiting callers by priority, then original place)",
        claims(
            f"{_ORDER}::test_priority_counts_as_the_queue_counts_it",
            f"{_PLACE}::test_a_callback_is_dialled_before_callers_who_joined_after_its_caller",
        ),
    ),
]
