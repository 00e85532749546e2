"""README, Configuration: "A string `${NAME}` or `${NAME:-default}` is read from the
environment". The sample relies on the default form, so a loader that ignored it
would start with literal ``${...}`` passwords."""

from __future__ import annotations

from pathlib import Path

from callrouter.config import load_settings

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
