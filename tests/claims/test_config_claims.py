"""README, Configuration: "A string `${NAME}` or `${NAME:-default}` is read from the
environment". The sample relies on the default form, so a loader that ignored it
would start with literal ``${...}`` passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from callrouter.config import Settings, load_settings

CONFIG = "ari:\n  password: ${CLAIMS_ARI_SECRET:-fallback-secret}\n  app: ${CLAIMS_APP:-cr}\n"


def test_an_unset_variable_takes_its_default(tmp_path: Path) -> None:
    path = tmp_path / "callrouter.yml"
    path.write_text(CONFIG)
    unset = load_settings(path, environ={})
    assert unset.ari.password.get_secret_value() == "fallback-secret"
    assert unset.ari.app == "cr"
    # A variable that is set wins over its default.
    given = load_settings(path, environ={"CLAIMS_ARI_SECRET": "from-env", "CLAIMS_APP": "x"})
    assert given.ari.password.get_secret_value() == "from-env"
    assert given.ari.app == "x"


# README's Configuration table, "keys (default)", as (dotted path, documented default).
# A default changed in code but not in the README (or the reverse) fails here.
DOCUMENTED_DEFAULTS: list[tuple[str, object]] = [
    ("ari.url", "http://127.0.0.1:8088"),
    ("ari.username", "callrouter"),
    ("ari.app", "callrouter"),
    ("ari.request_timeout_s", 5),
    ("ari.reconnect_max_s", 30),
    ("database.dsn", None),
    ("database.embedded_dir", Path("var/pgdata")),
    ("database.spool_dir", Path("var/spool")),
    ("database.pool_min", 1),
    ("database.pool_max", 10),
    ("agi.host", "127.0.0.1"),
    ("agi.port", 4573),
    ("agi.max_connections", 256),
    ("http.host", "127.0.0.1"),
    ("http.port", 8080),
    ("logging.level", "info"),
    ("logging.format", "auto"),
    ("queues.q.strategy", "longest_idle"),
    ("queues.q.ring_timeout_s", 15),
    ("queues.q.wrapup_s", 5),
    ("queues.q.join_empty", False),
    ("queues.q.leave_when_empty", False),
    ("queues.q.service_level_s", 20),
    ("queues.q.service_level_target", 0.8),
    ("queues.q.music_class", "default"),
    ("queues.q.callback_key", "*"),
    ("queues.q.max_penalty", None),
    ("queues.q.auto_pause_on_no_answer", True),
    ("queues.q.recording", "always"),  # "Every connected call is recorded by default"
    ("recording.format", "wav"),
    ("recording.retention_days", 90),
    ("recording.purge_interval_s", 3600),
    ("dialer.trunk", "PJSIP/{number}@pstn"),
    ("dialer.ring_timeout_s", 30),
    ("dialer.abandon_cap", 0.03),
    ("dialer.abandon_after_s", 2),
    ("dialer.default_region", "US"),
    ("reports.timezone", "UTC"),
    ("cluster.claim_operators", False),
    ("campaigns.c.mode", "progressive"),
    ("campaigns.c.max_attempts", 10),
    ("campaigns.c.default_timezone", "UTC"),
]


def _at(settings: Settings, path: str) -> object:
    value: object = settings
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


@pytest.mark.parametrize(
    ("path", "documented"), DOCUMENTED_DEFAULTS, ids=[p for p, _ in DOCUMENTED_DEFAULTS]
)
def test_a_documented_default_is_the_default(path: str, documented: object) -> None:
    # The smallest config that has a queue and a campaign: everything else defaulted.
    settings = Settings.model_validate({"queues": {"q": {}}, "campaigns": {"c": {"queue": "q"}}})
    assert _at(settings, path) == documented
