"""README claims of "Planning staffing"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

SECTION = "Planning staffing"
_ERLANG = "tests/planning/test_erlang.py::"
_SIM = "tests/planning/test_validation.py::"
_CLI = "tests/planning/test_plan_cli.py::"
_API = "tests/planning/test_plan_api.py::"
_HISTORY = "tests/planning/test_history.py::"

CLAIMS: list[Claim] = [
    Claim(
        SECTION,
        "by Erlang C, or by Erlang A (Palm's M/M/n+M) when the profile gives the callers' mean"
        " patience",
        claims(
            _ERLANG + "test_erlang_c_matches_the_westbay_worked_example",
            _ERLANG + "test_erlang_a_agrees_with_the_published_formulas_and_littles_law",
            _CLI + "test_erlang_plan_of_the_readme_example",
        ),
    ),
    Claim(
        SECTION,
        "the smallest staffing meeting the target",
        claims(
            _ERLANG + "test_required_staffing_is_the_smallest_meeting_every_target",
            _ERLANG + "test_staffing_of_the_call_centre_helper_example_with_shrinkage",
        ),
    ),
    Claim(
        SECTION,
        "Service level counts every offered call, so an abandon counts against it.",
        claims(_ERLANG + "test_erlang_a_agrees_with_the_published_formulas_and_littles_law"),
    ),
    Claim(
        SECTION,
        "the day run through the routing core itself",
        claims(
            _SIM + "test_simulation_agrees_with_erlang_c",
            _SIM + "test_escalation_across_a_shared_pool_parts_from_per_queue_erlang_c",
        ),
    ),
    Claim(
        SECTION,
        "`--recommend` searches the smallest roster per interval that meets the target.",
        claims(_CLI + "test_recommended_roster_and_chart"),
    ),
    Claim(
        SECTION,
        "arrivals averaged over the days, handle time as talk plus the queue's wrap-up, patience"
        " as the exponential estimate",
        claims(
            _HISTORY + "test_profile_averages_days_and_estimates_handle_time_and_patience",
            _HISTORY + "test_profile_counts_only_the_chosen_weekdays",
            _API + "test_plan_from_the_call_history",
        ),
    ),
    Claim(
        SECTION,
        "groups are the configured operators with identical skills, named by their queues",
        claims(_API + "test_simulated_plan_with_the_configured_skill_groups"),
    ),
    Claim(
        SECTION,
        "The same is `POST /api/v1/plan` (JSON rows) and `POST /api/v1/plan/chart` (the PNG)",
        claims(
            _API + "test_erlang_plan_over_http",
            _API + "test_chart_is_a_png",
            _API + "test_bad_requests_are_refused_with_a_reason",
        ),
    ),
    Claim(
        SECTION,
        "the simulated service level and ASA hold Erlang C's values within their confidence"
        " interval, and with exponential patience Erlang A's, abandon rate included",
        claims(
            _SIM + "test_simulation_agrees_with_erlang_c",
            _SIM + "test_simulation_agrees_with_erlang_a",
        ),
    ),
    Claim(
        SECTION,
        "the simulation serves support better and sales worse than per-queue Erlang C says",
        claims(_SIM + "test_escalation_across_a_shared_pool_parts_from_per_queue_erlang_c"),
    ),
]
