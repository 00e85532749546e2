"""A sysadmin's path through asterisk-conf/README.md, on real files: rendered secrets are
never world-readable, and `asterisk-conf check` lists every placeholder left, until the
folder is filled in."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from callrouter.asterisk_conf import conf_placeholders, yaml_placeholders
from tests.asterisk_conf.conftest import REPO, SAMPLES
from tests.asterisk_conf.edited import SECRETS, copy_samples, fill_in_trunk
from tests.asterisk_conf.test_cli import callrouter


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- rendered secrets ---------------------------------------------------------------


def test_render_tightens_secret_files_copied_in_world_readable(tmp_path: Path) -> None:
    etc = copy_samples(tmp_path / "etc-asterisk")
    for name in ("ari.conf", "pjsip_operators.conf", "http.conf"):
        (etc / name).chmod(0o644)  # what `cp` of a checked-out sample gives
    (etc / "pjsip_operators.conf").chmod(0o666)

    first = callrouter("asterisk-conf", "render", "-o", str(etc), "--strict", env=SECRETS)
    assert first.returncode == 0, first.stderr
    assert mode(etc / "ari.conf") == 0o640
    assert mode(etc / "pjsip_operators.conf") == 0o640
    assert mode(etc / "http.conf") == 0o644  # no secret in it: its mode is the admin's
    tightened = [line for line in first.stderr.splitlines() if "now 0640" in line]
    assert tightened == [
        f"note: {etc / 'pjsip_operators.conf'} was mode 0666, readable beyond its owner "
        "and group; now 0640: it holds passwords",
        f"note: {etc / 'ari.conf'} was mode 0644, readable beyond its owner and group; "
        "now 0640: it holds passwords",
    ]

    (etc / "ari.conf").chmod(0o600)  # stricter than 0640 stays so, silently
    again = callrouter("asterisk-conf", "render", "-o", str(etc), "--strict", env=SECRETS)
    assert again.returncode == 0, again.stderr
    assert "now 0" not in again.stderr
    assert mode(etc / "ari.conf") == 0o600
    assert mode(etc / "pjsip_operators.conf") == 0o640


# ---- asterisk-conf check ------------------------------------------------------------


def test_check_lists_every_placeholder_of_the_shipped_samples() -> None:
    result = callrouter(
        "asterisk-conf", "check", "asterisk-conf", env={"CALLROUTER_HTTP_TOKEN": ""}
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    reported = result.stdout.splitlines()
    where = {line.split(": ", 1)[0] for line in reported}
    files = {w.rsplit(":", 1)[0] for w in where}
    assert files == {"asterisk-conf/ari.conf", "asterisk-conf/pjsip.conf",
                     "asterisk-conf/pjsip_operators.conf", "callrouter.yml"}  # fmt: skip
    for spot in where:  # each one an active line holding the placeholder, never a comment
        file, line = spot.rsplit(":", 1)
        text = (REPO / file).read_text().splitlines()[int(line) - 1]
        assert not text.lstrip().startswith((";", "#")), spot
    keys = sorted(line.split(": ", 1)[1].split(" ")[0] for line in reported)
    assert keys == sorted(["password", "from_domain", "username", "password", "match",
                           *["password"] * 4, "password:", "token:"])  # fmt: skip
    assert "sip.example.net" in result.stdout and "203.0.113.10:5060" in result.stdout
    assert "CALLROUTER_SIP_PASSWORD_103 set" in result.stdout
    assert "your carrier's signalling address and port" in result.stdout
    assert "set CALLROUTER_HTTP_TOKEN where callrouter runs" in result.stdout
    assert result.stderr.strip() == f"{len(reported)} placeholder(s) left"


def test_check_passes_on_a_fully_edited_copy(tmp_path: Path) -> None:
    etc = copy_samples(tmp_path / "etc-asterisk")
    (etc / "pjsip.conf").write_text(fill_in_trunk((etc / "pjsip.conf").read_text()))
    rendered = callrouter("asterisk-conf", "render", "-o", str(etc), "--strict", env=SECRETS)
    assert rendered.returncode == 0, rendered.stderr

    result = callrouter("asterisk-conf", "check", str(etc), env=SECRETS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "no placeholders" in result.stderr
    as_json = callrouter("asterisk-conf", "check", str(etc), "--json", env=SECRETS)
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == []

    # Without the secrets in its environment callrouter.yml still holds its defaults.
    unset = callrouter(
        "asterisk-conf", "check", str(etc), "--json", env={"CALLROUTER_HTTP_TOKEN": ""}
    )
    assert unset.returncode == 3
    assert {p["file"] for p in json.loads(unset.stdout)} == {"callrouter.yml"}


def test_check_of_a_folder_without_config_is_a_clean_error(tmp_path: Path) -> None:
    result = callrouter("asterisk-conf", "check", str(tmp_path))
    assert result.returncode == 5
    assert f"no *.conf files in {tmp_path}" in result.stderr
    assert "Traceback" not in result.stderr
    missing = callrouter("asterisk-conf", "check", str(tmp_path / "nope"))
    assert missing.returncode == 2


def test_placeholders_are_found_in_values_never_in_comments() -> None:
    text = (
        "; CHANGE-ME in a comment, sip.example.net, 203.0.113.5: explanations\n"
        "[pstn]\n"
        "type = aor ; contact = sip:sip.example.org\n"
        "contact = sip:gw.example.com:5060\n"
        "match = 198.51.100.7/32\n"
        "match = 192.0.2.1:5060\n"
        "match = 2001:db8::10\n"
        "match = 81.200.16.10:5060\n"
        "match = 10.203.0.113\n"
        "outbound_proxy = sip:proxy.invalid\\;lr\n"
        ";-- a block comment with CHANGE-ME\n"
        "     still a comment --;\n"
        "password = Change-Me-please\n"
    )
    found = conf_placeholders("pjsip.conf", text)
    assert [p.line for p in found] == [4, 5, 6, 7, 10, 13]
    assert found[0].hint == "sip:<your carrier's SIP server>"
    assert found[-1].hint == "the password of your carrier account"


def test_callrouter_yml_defaults_count_only_while_their_variable_is_unset() -> None:
    text = (SAMPLES.parent / "callrouter.yml").read_text()
    unset = yaml_placeholders("callrouter.yml", text, {})
    assert [p.text.split(":")[0] for p in unset] == ["password", "token"]
    both = {"CALLROUTER_ARI_PASSWORD": "s3cret-ari", "CALLROUTER_HTTP_TOKEN": "t0ken-long"}
    assert yaml_placeholders("callrouter.yml", text, both) == []
    still = yaml_placeholders("x.yml", "ari:\n  password: change-me  # the sample's\n", {})
    assert [(p.line, p.text) for p in still] == [(2, "password: change-me")]
