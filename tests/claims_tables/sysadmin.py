# ruff: noqa: E501
# Quotes are exact README text and node ids are pasted into pytest as they are.
"""Claims of issue 17, safe by default for the sysadmin: rendered secrets, the samples
contacting nobody, `asterisk-conf check`, per-call log lines, phones, CLI details."""

from __future__ import annotations

from tests.claims_tables import Claim, claims

ASTERISK = "Connecting a real Asterisk"
CLI = "Command line"

_CHECK = "tests/asterisk_conf/test_sysadmin_check.py"
_SAMPLES = "tests/asterisk_conf/test_samples.py"
_CALL_LOG = "tests/calls/test_call_log.py"
_CLI = "tests/cli/test_sysadmin_cli.py"

CLAIMS: list[Claim] = [
    # -- Connecting a real Asterisk ---------------------------------------------------
    Claim(
        ASTERISK,
        "The two files that hold secrets end up `0640` or stricter whatever mode the copies had",
        claims(f"{_CHECK}::test_render_tightens_secret_files_copied_in_world_readable"),
    ),
    Claim(
        ASTERISK,
        "`callrouter asterisk-conf check /etc/asterisk` lists every placeholder still there",
        claims(
            f"{_CHECK}::test_check_lists_every_placeholder_of_the_shipped_samples",
            f"{_CHECK}::test_placeholders_are_found_in_values_never_in_comments",
        ),
    ),
    Claim(
        ASTERISK,
        "and `callrouter.yml`'s `change-me` defaults while their variable is unset",
        claims(
            f"{_CHECK}::test_callrouter_yml_defaults_count_only_while_their_variable_is_unset",
            f"{_CHECK}::test_check_passes_on_a_fully_edited_copy",
        ),
    ),
    Claim(
        ASTERISK,
        "and exits 3 until none is left",
        claims(
            f"{_CHECK}::test_check_lists_every_placeholder_of_the_shipped_samples",
            f"{_CHECK}::test_check_passes_on_a_fully_edited_copy",
        ),
    ),
    Claim(
        ASTERISK,
        "The carrier trunk `pstn` contacts nobody until it is filled in (its contact, qualify and registration ship commented out)",
        claims(
            f"{_SAMPLES}::test_shipped_samples_contact_no_outside_host",
            f"{_SAMPLES}::test_trunk_sample_is_complete_once_filled_in",
        ),
    ),
    Claim(
        ASTERISK,
        "it identifies the carrier by address **and port**",
        claims(f"{_SAMPLES}::test_carrier_is_identified_by_address_and_port"),
    ),
    Claim(
        ASTERISK,
        "At `info`, callrouter logs one line per step of each call, every line with `call_id`, `queue` and `operator`",
        claims(
            f"{_CALL_LOG}::test_an_answered_call_logs_every_step_once",
            f"{_CALL_LOG}::test_a_transfer_and_the_next_queue_are_logged",
        ),
    ),
    Claim(
        ASTERISK,
        "`call_ring_no_answer` (with Asterisk's cause when the phone refused: 17 busy)",
        claims(f"{_CALL_LOG}::test_an_answered_call_logs_every_step_once"),
    ),
    Claim(
        ASTERISK,
        "`call_ring_cancelled` (still ringing when the call ended)",
        claims(f"{_CALL_LOG}::test_a_caller_who_gives_up_is_logged_abandoned"),
    ),
    Claim(
        ASTERISK,
        "`call_transferred` (`to`)",
        claims(f"{_CALL_LOG}::test_a_transfer_and_the_next_queue_are_logged"),
    ),
    Claim(
        ASTERISK,
        "`call_ended` with its `outcome`, `reason`, `wait_s`, `talk_s` and the caller's hangup `cause`",
        claims(
            f"{_CALL_LOG}::test_an_answered_call_logs_every_step_once",
            f"{_CALL_LOG}::test_a_caller_who_gives_up_is_logged_abandoned",
        ),
    ),
    Claim(
        ASTERISK,
        "do no work beyond one level check when the level is above `info`",
        claims(f"{_CALL_LOG}::test_nothing_is_logged_or_built_when_info_is_off"),
    ),
    # -- Command line -----------------------------------------------------------------
    Claim(
        CLI,
        "such as the embedded PostgreSQL starting, which other runs keep off stderr",
        claims(f"{_CLI}::test_a_command_on_the_embedded_database_prints_no_startup_line"),
    ),
    Claim(
        CLI,
        "and whose phone is not registered (asked of Asterisk over ARI; `phones: 3 registered, 1 offline (boris)`)",
        claims(
            f"{_CLI}::test_status_names_the_operators_whose_phone_is_offline",
            f"{_CLI}::test_phones_are_unknown_not_an_error_when_asterisk_is_away",
        ),
    ),
    Claim(
        CLI,
        "phone is whether Asterisk has the operator's phone registered",
        claims(
            f"{_CLI}::test_operators_list_shows_whose_phone_is_not_registered",
            f"{_CLI}::test_phones_are_unknown_not_an_error_when_asterisk_is_away",
        ),
    ),
    Claim(
        CLI,
        "so 5.98 s shows as 6.0, not 5",
        claims(f"{_CLI}::test_recordings_list_shows_durations_to_a_tenth"),
    ),
    Claim(
        CLI,
        "| `callrouter asterisk-conf check [DIR]` |",
        claims(
            f"{_CHECK}::test_check_lists_every_placeholder_of_the_shipped_samples",
            f"{_CHECK}::test_check_of_a_folder_without_config_is_a_clean_error",
        ),
    ),
    Claim(
        CLI,
        "comments are not checked; exit 3 while any is left",
        claims(
            f"{_CHECK}::test_placeholders_are_found_in_values_never_in_comments",
            f"{_CHECK}::test_check_passes_on_a_fully_edited_copy",
        ),
    ),
]
