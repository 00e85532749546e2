# ruff: noqa: E501
"""README claims of the performance work (#11): the hot path and what it costs."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

CLAIMS: list[Claim] = [
    Claim("Quick start", "On a terminal the service's log (every call's steps) goes to `var/log/simulate.log`",
          claims("tests/cli/test_simulate_terminal.py::test_on_a_terminal_the_log_goes_to_a_file_and_the_status_stays")),
]
