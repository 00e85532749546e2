"""README claims of "Reports" and "Metrics"."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

REPORTS = "Reports"
METRICS = "Metrics"
_STORE = "tests/reports/test_store_reports.py::"
_CLI = "tests/reports/test_cli_report.py::"
_API = "tests/reports/test_api_reports.py::"
_LIVE = "tests/metrics/test_metrics_live.py::"
_SERIES = "tests/metrics/test_series_and_ari.py::"

CLAIMS: list[Claim] = [
    Claim(
        REPORTS,
        "the viewer token may read them",
        claims(_API + "test_reports_over_http_with_the_viewer_token"),
    ),
    Claim(
        REPORTS,
        "`--to` included and defaulting to the `--from` day) or a local time such as"
        " `2026-03-29T08:00` (`--to` then excluded)",
        claims(_STORE + "test_a_period_is_checked", _CLI + "test_report_queues_json_and_csv"),
    ),
    Claim(
        REPORTS,
        "CSV spreads outcomes and pause reasons into one column each",
        claims(_CLI + "test_report_operators_csv_spreads_pause_reasons"),
    ),
    Claim(
        REPORTS,
        "the day clocks go forward has 23 hours, the day they go back 25",
        claims(
            _STORE + "test_the_fall_back_day_has_25_hours_and_two_02_00s",
            _STORE + "test_operator_days_are_local_days",
        ),
    ),
    Claim(
        REPORTS,
        "the hour 02:00 comes twice, as `02:00+02:00` and `02:00+01:00`, and 2026-03-29 has"
        " no 02:00 at all",
        claims(
            _STORE + "test_the_fall_back_day_has_25_hours_and_two_02_00s",
            _STORE + "test_the_spring_forward_day_has_23_hours_and_no_02_00",
        ),
    ),
    Claim(
        REPORTS,
        # Quoted up to the README's minus sign (U+2212), which ruff flags in code.
        "**Service level** = calls answered within `service_level_s` ÷ (offered",
        claims(
            _STORE + "test_queue_figures_by_hour_on_the_fall_back_day",
            _STORE + "test_queue_figures_for_the_whole_day",
        ),
    ),
    Claim(
        REPORTS,
        "`short_abandoned`: the abandons within the queue's `service_level_s`, shown apart and"
        " left out of the service level; `callbacks`: callers who left for a callback.",
        claims(_STORE + "test_queue_figures_by_hour_on_the_fall_back_day"),
    ),
    Claim(
        REPORTS,
        "**ASA** = mean wait of the answered calls; **longest wait** = the longest wait of any"
        " call.",
        claims(_STORE + "test_queue_figures_by_hour_on_the_fall_back_day"),
    ),
    Claim(
        REPORTS,
        "**Average wrap-up** = mean length of the operator's wrap-up after each answered call,"
        " measured in `operator_state_log`",
        claims(
            _STORE + "test_queue_figures_by_hour_on_the_fall_back_day",
            "tests/reports/test_live_report.py::test_a_routed_call_in_the_queue_report",
        ),
    ),
    Claim(
        REPORTS,
        "**AHT** = mean talk time + average wrap-up (the queue's `wrapup_s` when no wrap-up was"
        " logged)",
        claims(
            _STORE + "test_queue_figures_by_hour_on_the_fall_back_day",
            _STORE + "test_aht_takes_the_configured_wrap_up_when_none_was_logged",
        ),
    ),
    Claim(
        REPORTS,
        "**occupancy** = (ringing + talk + wrap-up + outbound pauses) ÷ logged-in time",
        claims(_STORE + "test_operator_time_by_hour", _STORE + "test_operator_days_are_local_days"),
    ),
    Claim(
        REPORTS,
        "**Calls handled** are the calls the operator talked on, inbound or outbound, in the"
        " interval they were answered in.",
        claims(_STORE + "test_operator_time_by_hour"),
    ),
    Claim(
        REPORTS,
        "**contacts** = attempts answered by a person (machines excluded); **contact rate** ="
        " contacts ÷ attempts; **abandon rate** = abandoned ÷ contacts",
        claims(_STORE + "test_campaign_figures"),
    ),
    Claim(
        REPORTS,
        "**connects per operator-hour** = connected ÷ logged-in hours of the operators who serve"
        " the campaign's queue.",
        claims(_STORE + "test_campaign_figures"),
    ),
    Claim(
        METRICS,
        "the read-only `http.viewer_token` is enough",
        claims(_LIVE + "test_metrics_after_a_call"),
    ),
    Claim(
        METRICS,
        "never a caller number, a call id or a channel id",
        claims(
            _LIVE + "test_metrics_after_a_call",
            _SERIES + "test_ari_resource_never_carries_ids",
            _SERIES + "test_label_sets_are_bounded",
        ),
    ),
    Claim(
        REPORTS,
        "abandoned ÷ offered",
        claims(_STORE + "test_queue_figures_by_hour_on_the_fall_back_day"),
    ),
    Claim(
        METRICS,
        "| `callrouter_calls_total` | counter | queue, outcome |",
        claims(_LIVE + "test_metrics_after_a_call"),
    ),
    Claim(
        METRICS,
        "| `callrouter_webhook_failures_total` | counter | | deliveries given up after their last"
        " attempt |",
        claims(
            "tests/crm/test_delivery.py::test_gives_up_after_max_attempts",
            _LIVE + "test_metrics_after_a_call",
        ),
    ),
    Claim(
        METRICS,
        "| `callrouter_ari_request_errors_total` | counter | method, resource, kind |",
        claims(_SERIES + "test_ari_requests_timed_and_errors_counted"),
    ),
]
