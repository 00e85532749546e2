"""Rendering callrouter's Settings into pjsip_operators.conf, ari.conf and http.conf."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from callrouter.asterisk_conf import (
    AriPasswordFormat,
    Part,
    http_bind,
    parse,
    password_env_var,
    render,
    sha512_crypt,
    sha512_crypt_verify,
)
from callrouter.config import Settings
from callrouter.errors import ConfigError
from tests.asterisk_conf.conftest import parsed

Make = Callable[..., Settings]


def test_sample_operators_become_endpoint_auth_and_aor(sample_settings: Settings) -> None:
    rendering = render(sample_settings, parts=[Part.PJSIP], environ={})
    conf = parsed(rendering, Part.PJSIP)
    assert [(s.name, s.templates) for s in conf.sections] == [
        (name, (template,))
        for name in ("101", "102", "103", "104")
        for template in ("operator-phone", "operator-auth", "operator-aor")
    ]
    endpoint = conf.sections[0]
    assert endpoint.options() == {"auth": ["101"], "aors": ["101"], "callerid": ['"Anna" <101>']}
    assert conf.sections[1].options() == {"username": ["101"], "password": ["CHANGE-ME"]}
    assert conf.sections[2].options() == {}
    assert len(rendering.notes) == 4
    assert all("CALLROUTER_SIP_PASSWORD_10" in note for note in rendering.notes)


def test_sip_password_comes_from_the_environment_and_survives_semicolons(
    sample_settings: Settings,
) -> None:
    env = {"CALLROUTER_SIP_PASSWORD_102": "pa;ss=w#rd"}
    rendering = render(sample_settings, parts=[Part.PJSIP], environ=env)
    auth = [s for s in parsed(rendering, Part.PJSIP).sections if s.templates == ("operator-auth",)]
    assert auth[1].get("password") == "pa;ss=w#rd"
    assert "pa\\;ss=w#rd" in rendering.files[0].text
    assert not any("_102" in note for note in rendering.notes)


def test_password_env_var_names() -> None:
    assert password_env_var("101") == "CALLROUTER_SIP_PASSWORD_101"
    assert password_env_var("anna.desk-2") == "CALLROUTER_SIP_PASSWORD_ANNA_DESK_2"


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("SIP/201", "not a PJSIP endpoint"),
        ("Local/300@operators", "not a PJSIP endpoint"),
        ("DAHDI/g1/5551234", "not a PJSIP endpoint"),
        ("PJSIP/+4930123456@pstn", "dialled through another endpoint"),
        ("PJSIP/pstn/sip:anna@example.com", "dialled through another endpoint"),
    ],
)
def test_operators_not_on_a_pjsip_phone_are_skipped_with_a_note(
    settings_from: Make, endpoint: str, why: str
) -> None:
    settings = settings_from(
        f"operators:\n  anna: {{endpoint: PJSIP/101}}\n  zoe: {{endpoint: '{endpoint}'}}\n"
    )
    rendering = render(settings, parts=[Part.PJSIP], environ={})
    assert {s.name for s in parsed(rendering, Part.PJSIP).sections} == {"101"}
    [note] = [n for n in rendering.notes if n.startswith("operator zoe")]
    assert why in note and endpoint in note


def test_no_pjsip_operator_at_all_still_renders_a_valid_file(settings_from: Make) -> None:
    settings = settings_from("operators:\n  zoe: {endpoint: SIP/201}\n")
    rendering = render(settings, parts=[Part.PJSIP], environ={})
    assert parsed(rendering, Part.PJSIP).sections == []
    assert "No operator with a PJSIP/<name> endpoint" in rendering.files[0].text


def test_pjsip_tech_is_case_insensitive(settings_from: Make) -> None:
    settings = settings_from("operators:\n  anna: {endpoint: pjsip/101}\n")
    rendering = render(settings, parts=[Part.PJSIP], environ={})
    assert parsed(rendering, Part.PJSIP).sections[0].name == "101"


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        ("PJSIP/10 1", "' '"),
        ("PJSIP/a;b", "';'"),
        ("PJSIP/[x]", "'['"),
        ("PJSIP/a(b)", "'('"),
        ("PJSIP/ann,a", "','"),
        ("PJSIP/ännä", "'ä'"),
        ("PJSIP/-lead", "starting with a letter or digit"),
        ("PJSIP/" + "x" * 80, "at most 79"),
    ],
)
def test_odd_endpoint_names_are_rejected_clearly(
    settings_from: Make, endpoint: str, shown: str
) -> None:
    settings = settings_from(f"operators:\n  anna: {{endpoint: '{endpoint}'}}\n")
    with pytest.raises(ConfigError) as caught:
        render(settings, parts=[Part.PJSIP], environ={}, source="cr.yml")
    [problem] = caught.value.problems
    assert (problem.file, problem.field) == ("cr.yml", "operators.anna.endpoint")
    assert shown in problem.message


def test_every_problem_is_reported_at_once(settings_from: Make) -> None:
    settings = settings_from(
        "ari: {username: 'bad user'}\n"
        "operators:\n  a: {endpoint: 'PJSIP/x y'}\n  b: {endpoint: 'PJSIP/operator-phone'}\n"
    )
    with pytest.raises(ConfigError) as caught:
        render(settings, environ={})
    fields = [p.field for p in caught.value.problems]
    assert fields == ["operators.a.endpoint", "operators.b.endpoint", "ari.username"]
    assert "reserved" in caught.value.problems[1].message


def test_shared_endpoint_is_rendered_once(settings_from: Make) -> None:
    settings = settings_from(
        "operators:\n  anna: {endpoint: PJSIP/101}\n  night: {endpoint: PJSIP/101}\n"
    )
    rendering = render(settings, parts=[Part.PJSIP], environ={})
    assert len(parsed(rendering, Part.PJSIP).sections) == 3
    assert any("shares PJSIP/101 with operator anna" in n for n in rendering.notes)


def test_endpoints_sharing_a_password_variable_are_refused(settings_from: Make) -> None:
    settings = settings_from("operators:\n  a: {endpoint: PJSIP/a-1}\n  b: {endpoint: PJSIP/a.1}\n")
    with pytest.raises(ConfigError, match="CALLROUTER_SIP_PASSWORD_A_1"):
        render(settings, parts=[Part.PJSIP], environ={})


def test_sip_password_that_asterisk_would_alter_is_refused(sample_settings: Settings) -> None:
    with pytest.raises(ConfigError, match="whitespace"):
        render(sample_settings, parts=[Part.PJSIP], environ={"CALLROUTER_SIP_PASSWORD_101": " x"})


def test_display_name_cannot_break_out_of_its_quotes(settings_from: Make) -> None:
    settings = settings_from("operators:\n  a: {name: 'Jo \"JJ\" \\\\ Doe', endpoint: PJSIP/1}\n")
    conf = parsed(render(settings, parts=[Part.PJSIP], environ={}), Part.PJSIP)
    assert conf.sections[0].get("callerid") == '"Jo JJ  Doe" <1>'


# ---- ari.conf --------------------------------------------------------------


def test_ari_user_with_crypt_password(sample_settings: Settings) -> None:
    rendering = render(sample_settings, parts=[Part.ARI], environ={})
    conf = parsed(rendering, Part.ARI)
    assert conf.one("general").options() == {
        "enabled": ["yes"],
        "pretty": ["no"],
        "allowed_origins": [""],
        "websocket_write_timeout": ["1000"],
    }
    user = conf.one("callrouter", type="user")
    assert user.get("read_only") == "no"
    assert user.get("password_format") == "crypt"
    password = sample_settings.ari.password.get_secret_value()
    assert sha512_crypt_verify(password, user.get("password") or "")
    assert any("is the placeholder" in n for n in rendering.notes)


def test_ari_plain_password(settings_from: Make) -> None:
    settings = settings_from("ari: {username: ops, password: 's;cret'}\n")
    rendering = render(settings, parts=[Part.ARI], ari_password_format=AriPasswordFormat.PLAIN)
    user = parsed(rendering, Part.ARI).one("ops", type="user")
    assert (user.get("password_format"), user.get("password")) == ("plain", "s;cret")
    assert rendering.notes == ()


def test_ari_hash_is_reused_while_the_password_matches(settings_from: Make) -> None:
    settings = settings_from("ari: {password: s3cret}\n")
    kept = sha512_crypt("s3cret")
    existing = parse(f"[callrouter]\ntype = user\npassword_format = crypt\npassword = {kept}\n")
    again = parsed(render(settings, parts=[Part.ARI], existing_ari=existing), Part.ARI)
    assert again.one("callrouter").get("password") == kept
    old = sha512_crypt("old")
    stale = parse(f"[callrouter]\ntype=user\npassword_format=crypt\npassword={old}\n")
    fresh = parsed(render(settings, parts=[Part.ARI], existing_ari=stale), Part.ARI)
    assert fresh.one("callrouter").get("password") != old
    assert sha512_crypt_verify("s3cret", fresh.one("callrouter").get("password") or "")


@pytest.mark.parametrize(
    ("yaml_text", "field", "message"),
    [
        ("ari: {username: general}\n", "ari.username", "cannot be 'general'"),
        ("ari: {username: 'a:b'}\n", "ari.username", "':'"),
        ("ari: {password: ''}\n", "ari.password", "empty"),
        ('ari: {password: "two\\nlines"}\n', "ari.password", "line break"),
    ],
)
def test_ari_names_and_passwords_asterisk_cannot_take(
    settings_from: Make, yaml_text: str, field: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        render(settings_from(yaml_text), parts=[Part.ARI])
    [problem] = caught.value.problems
    assert problem.field == field and message in problem.message


# ---- http.conf --------------------------------------------------------------


def test_http_binds_where_ari_url_points(sample_settings: Settings) -> None:
    conf = parsed(render(sample_settings, parts=[Part.HTTP]), Part.HTTP)
    assert conf.one("general").options() == {
        "enabled": ["yes"],
        "bindaddr": ["127.0.0.1"],
        "bindport": ["8088"],
    }
    acl = conf.one("/ari").options()
    assert acl["type"] == ["restriction"] and acl["permit"] == ["127.0.0.0/8", "::1/128"]


@pytest.mark.parametrize(
    ("url", "general", "acl_section"),
    [
        ("http://localhost:8088", {"bindaddr": "127.0.0.1", "bindport": "8088"}, "/ari"),
        ("http://[::1]:9000", {"bindaddr": "::1", "bindport": "9000"}, "/ari"),
        (
            "http://127.0.0.1:8088/asterisk/",
            {"prefix": "asterisk", "bindaddr": "127.0.0.1"},
            "/asterisk/ari",
        ),
        (
            "https://127.0.0.1:8089",
            {"tlsenable": "yes", "tlsbindaddr": "127.0.0.1:8089", "bindport": "8088"},
            "/ari",
        ),
        ("http://10.0.0.5", {"bindaddr": "10.0.0.5", "bindport": "80"}, None),
        ("https://[2001:db8::1]", {"tlsbindaddr": "[2001:db8::1]:443"}, None),
    ],
)
def test_http_from_other_urls(
    settings_from: Make, url: str, general: dict[str, str], acl_section: str | None
) -> None:
    rendering = render(settings_from(f"ari: {{url: '{url}'}}\n"), parts=[Part.HTTP])
    conf = parsed(rendering, Part.HTTP)
    options = conf.one("general")
    assert {key: options.get(key) for key in general} == general
    assert [s.name for s in conf.sections][1:] == ([acl_section] if acl_section else [])
    if acl_section is None:
        assert any("reachable from other machines" in n for n in rendering.notes)


def test_http_notes_a_url_that_ends_in_ari(settings_from: Make) -> None:
    rendering = render(
        settings_from("ari: {url: 'http://127.0.0.1:8088/ari'}\n"), parts=[Part.HTTP]
    )
    assert any("callrouter adds /ari itself" in n for n in rendering.notes)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1:8088", "collides"),
        ("http://127.0.0.1:99999", "out of range"),
        ("http://127.0.0.1:8088/?x=1", "query"),
    ],
)
def test_http_urls_that_cannot_work(settings_from: Make, url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        render(settings_from(f"ari: {{url: '{url}'}}\n"), parts=[Part.HTTP])
    [problem] = caught.value.problems
    assert problem.field == "ari.url" and message in problem.message


def test_http_bind_parts() -> None:
    bind = http_bind("http://127.0.0.1:8088/asterisk")
    assert (bind.host, bind.port, bind.tls, bind.prefix, bind.loopback) == (
        "127.0.0.1",
        8088,
        False,
        "asterisk",
        True,
    )
    assert bind.ari_path == "/asterisk/ari"


def test_parts_keep_the_callers_order_without_repeats(sample_settings: Settings) -> None:
    rendering = render(sample_settings, parts=[Part.HTTP, Part.ARI, Part.HTTP], environ={})
    assert [f.name for f in rendering.files] == ["http.conf", "ari.conf"]
