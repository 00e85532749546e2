"""Config loading: every error names its file, line and dotted field."""

from __future__ import annotations

from pathlib import Path

import pytest

from callrouter.config import load_settings
from callrouter.errors import ConfigError, ConfigProblem

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ or {})
    return caught.value.problems


def test_sample_config_is_valid() -> None:
    settings = load_settings(REPO / "callrouter.yml", environ={})
    assert set(settings.queues) == {"support", "sales", "specialists"}
    assert settings.operators["dana"].queues == {"specialists": 0, "support": 5}
    assert settings.ari.password.get_secret_value() == "change-me-ari"


def test_empty_file_gives_working_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "callrouter.yml", ""), environ={})
    assert settings.ari.app == "callrouter"
    assert settings.database.dsn is None
    assert settings.agi.port == 4573


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "callrouter.yml", "ari:\n  url: http://x\n  app: [unclosed\n")
    [problem] = problems_of(path)
    assert problem.file == str(path)
    assert problem.line is not None and problem.line >= 3
    assert "invalid YAML" in problem.message


def test_unknown_field(tmp_path: Path) -> None:
    path = write(tmp_path / "callrouter.yml", "queues:\n  sales:\n    ring_timout_s: 10\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.field, problem.message) == (
        3,
        "queues.sales.ring_timout_s",
        "unknown field",
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path / "callrouter.yml", "agi:\n  host: 0.0.0.0\n  port: many\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.field) == (3, "agi.port")
    assert "integer" in problem.message


def test_missing_secret(tmp_path: Path) -> None:
    path = write(tmp_path / "callrouter.yml", "ari:\n  password: ${ARI_SECRET}\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.field) == (2, "ari.password")
    assert "ARI_SECRET" in problem.message
    settings = load_settings(path, environ={"ARI_SECRET": "s3cr3t"})
    assert settings.ari.password.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)


def test_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path / "callrouter.yml", "\noperators:\n  anna:\n    name: Anna\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.field) == (4, "operators.anna.endpoint")


def test_every_error_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path / "callrouter.yml",
        "ari:\n  password: ${NOPE}\n  colour: red\nhttp:\n  port: -1\n",
    )
    fields = {p.field for p in problems_of(path)}
    assert fields == {"ari.password", "ari.colour", "http.port"}


def test_conf_d_merges_in_name_order_and_locates_errors(tmp_path: Path) -> None:
    main = write(tmp_path / "callrouter.yml", "queues:\n  sales: {ring_timeout_s: 10}\n")
    write(tmp_path / "conf.d" / "10-more.yml", "queues:\n  support: {}\n")
    write(tmp_path / "conf.d" / "20-override.yml", "queues:\n  sales: {wrapup_s: 3}\n")
    settings = load_settings(main, environ={})
    assert settings.queues["sales"].ring_timeout_s == 10
    assert settings.queues["sales"].wrapup_s == 3
    assert "support" in settings.queues
    bad = write(tmp_path / "conf.d" / "30-bad.yml", "\n\nqueues:\n  sales: {strategy: fastest}\n")
    [problem] = problems_of(main)
    assert (problem.file, problem.line, problem.field) == (
        str(bad),
        4,
        "queues.sales.strategy",
    )


def test_dangling_references(tmp_path: Path) -> None:
    path = write(
        tmp_path / "callrouter.yml",
        "queues:\n  a: {hours: office}\nroutes:\n  '100': b\n"
        "operators:\n  x:\n    endpoint: PJSIP/1\n    queues: {c: 0}\n",
    )
    got = {(p.field, p.line) for p in problems_of(path)}
    assert got == {("queues.a.hours", 2), ("routes.100", 4), ("operators.x.queues.c", 8)}


def test_caller_id_like_values_are_kept_verbatim(tmp_path: Path) -> None:
    path = write(
        tmp_path / "callrouter.yml",
        'operators:\n  o1:\n    name: "O\'Brien \\"; DROP TABLE calls; --"\n'
        "    endpoint: PJSIP/1\n",
    )
    settings = load_settings(path, environ={})
    assert settings.operators["o1"].name == "O'Brien \"; DROP TABLE calls; --"


def test_sample_http_token_beyond_loopback_is_a_located_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "callrouter.yml",
        "http:\n  host: 0.0.0.0\n  token: ${CALLROUTER_HTTP_TOKEN:-change-me}\n",
    )
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.field) == (str(path), 3, "http.token")
    assert "sample placeholder" in problem.message
    strong = {"CALLROUTER_HTTP_TOKEN": "x" * 32}
    assert load_settings(path, environ=strong).http.host == "0.0.0.0"
    # On loopback, or with the API off, the sample is fine.
    write(path, "http:\n  host: 0.0.0.0\n  enabled: false\n  token: change-me\n")
    assert not load_settings(path, environ={}).http.enabled
