"""README claims of "Planning staffing"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

SECTION = "Planning staffing"
_ERLANG = "tests/planning/test_erlang.py::"
_SIM = "tests/planning/test_validation.py::"
_CLI = "tests/planning/test_plan_cli.py::"
_API = "tests/planning/test_plan_api.py::"
_HISTORY = "tests/planning/test_history.py::"
_BLENDED = "tests/planning/test_blended.py::"

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
    Claim(
        SECTION,
        "Every line is the dialer's own pacing decision (`decide`, with the campaign's mode,"
        " abandon cap and limits, set up as the running dialer sets it up), taken on what the"
        " live dialer measures",
        claims(
            _BLENDED + "test_pacing_reads_the_floor_as_the_live_dialer_does",
            _BLENDED + "test_light_inbound_leaves_its_idle_operators_to_the_campaign",
        ),
    ),
    Claim(
        SECTION,
        "A person who answers joins the campaign's queue at the outbound priority, ahead of"
        " inbound callers, through the same routing core",
        claims(
            _BLENDED + "test_answered_customers_join_the_campaign_queue_at_the_outbound_priority"
        ),
    ),
    Claim(
        SECTION,
        "one not connected to an operator within `abandon_after_s` (2 s) of answering is"
        " abandoned and counts against the cap",
        claims(
            _BLENDED + "test_a_customer_not_connected_within_two_seconds_is_abandoned_and_brakes"
            "_the_dialer",
            _BLENDED + "test_amd_past_the_deadline_abandons_without_queueing",
        ),
    ),
    Claim(
        SECTION,
        "or from `--answer-rate`, `--talk` and `--leads` where the profile gives none",
        claims(
            _BLENDED + "test_profile_columns_and_command_line_defaults",
            _CLI + "test_no_leads_at_the_peak_and_the_profile_columns_or_flags",
        ),
    ),
    Claim(
        SECTION,
        "Preview campaigns (operators dial) are not simulated.",
        claims(
            _BLENDED + "test_a_campaign_that_cannot_be_simulated_is_refused_with_a_reason",
            _CLI + "test_blended_input_errors_are_one_clear_line",
        ),
    ),
    Claim(
        SECTION,
        "the quiet half hours give their idle operators to the campaign",
        claims(
            _BLENDED + "test_light_inbound_leaves_its_idle_operators_to_the_campaign",
            _CLI + "test_blended_campaign_of_the_readme_example",
        ),
    ),
    Claim(
        SECTION,
        "the 10:00 peak throttles it to a fifth of the lines, and still the peak's service"
        " level is 68% against 79% without",
        claims(
            _CLI + "test_blended_campaign_of_the_readme_example",
            _BLENDED + "test_a_peak_after_a_quiet_half_hour_stops_the_dialling",
        ),
    ),
    Claim(
        SECTION,
        "With `leads` 0 at 10:00 the peak keeps 76%",
        claims(_CLI + "test_no_leads_at_the_peak_and_the_profile_columns_or_flags"),
    ),
    Claim(
        SECTION,
        "A heavy queue throttles the campaign to almost nothing, and how much a busy queue"
        " gives away is the reserve's to decide",
        claims(
            _BLENDED + "test_heavy_inbound_throttles_the_campaign_and_keeps_the_service_level",
            _BLENDED + "test_the_inbound_reserve_decides_what_a_busy_queue_gives_away",
        ),
    ),
    Claim(
        SECTION,
        "Operators' phones ringing longer than the 2 s (`--ring 3`) leave every answered"
        " customer abandoned, and the pacing stops the campaign at once.",
        claims(
            _BLENDED + "test_a_customer_not_connected_within_two_seconds_is_abandoned_and_brakes"
            "_the_dialer"
        ),
    ),
    Claim(
        SECTION,
        "JSON has the same rows under `outbound`, CSV after the plan's rows (with a `campaign`"
        " column); `POST /api/v1/plan` takes",
        claims(
            _CLI + "test_blended_campaign_of_the_readme_example",
            _CLI + "test_no_leads_at_the_peak_and_the_profile_columns_or_flags",
            _API + "test_blended_campaign_over_http",
            _API + "test_bad_blended_requests_are_refused_with_a_reason",
        ),
    ),
    Claim(
        SECTION,
        "`--recommend` runs every candidate roster with the campaign dialling: the roster found"
        " meets the inbound target while the campaign dials",
        claims(_CLI + "test_recommend_with_the_campaign_dialling"),
    ),
    Claim(
        SECTION,
        "the inbound callers' service level with the campaign dialling and, same seeds, without it",
        claims(
            _BLENDED + "test_heavy_inbound_throttles_the_campaign_and_keeps_the_service_level",
            _CLI + "test_blended_campaign_of_the_readme_example",
        ),
    ),
    Claim(
        SECTION,
        "and the occupancy target counts inbound calls only",
        claims(_BLENDED + "test_recommend_judges_occupancy_on_inbound_calls_only"),
    ),
]
