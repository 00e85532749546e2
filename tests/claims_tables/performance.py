# ruff: noqa: E501
"""README claims of the performance work (#11): the hot path and what it costs."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

QUICK = "Quick start"
DESIGN = "Design"

CLAIMS: list[Claim] = [
    Claim(QUICK, "On a terminal the service's log (every call's steps) goes to `var/log/simulate.log`",
          claims("tests/cli/test_simulate_terminal.py::test_on_a_terminal_the_log_goes_to_a_file_and_the_status_stays")),
    Claim(DESIGN, "A caller who can be served at once costs 7 ARI requests in all, 2 of them on the way to the bridge",
          claims("tests/calls/test_hot_path.py::test_a_caller_served_at_once_costs_seven_requests_and_no_music")),
    Claim(DESIGN, "an operator who answers first is bridged with no music started and stopped",
          claims("tests/calls/test_hot_path.py::test_a_caller_served_at_once_costs_seven_requests_and_no_music",
                 "tests/calls/test_ring_first.py::test_music_waits_only_for_a_caller_rung_in_the_same_step")),
    Claim(DESIGN, "the shell sends the originate first and alone (what the caller waits for), then creates the bridge and answers the caller while the phone rings",
          claims("tests/calls/test_hot_path.py::test_a_caller_served_at_once_costs_seven_requests_and_no_music")),
    Claim(DESIGN, "A caller who waits gets the music at once.",
          claims("tests/calls/test_hot_path.py::test_a_caller_who_waits_hears_music_at_once")),
    Claim(DESIGN, "Event types callrouter has no handler for are dropped on their leading `\"type\"` before any decoding",
          claims("tests/ari/test_events.py::test_event_types_nobody_handles_are_dropped_before_decoding")),
    Claim(DESIGN, "the row writer commits what 50 ms of calls produced in one transaction",
          claims("tests/store/test_batching.py::test_rows_put_within_the_coalescing_window_share_one_transaction")),
]
CLAIMS += [
    Claim(
        "The ARI client and the simulated Asterisk",
        "At every connection it asks Asterisk for the event types it handles and no others",
        claims(
            "tests/ari/test_event_filter.py::test_asterisk_sends_only_the_handled_event_types",
            "tests/ari/test_event_filter.py::test_the_filter_is_set_again_after_a_reconnect",
        ),
    ),
]
