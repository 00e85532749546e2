"""`callrouter asterisk-conf render` as a sysadmin runs it: a real process, real exit codes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from callrouter.asterisk_conf import parse, parse_file, sha512_crypt_verify
from tests.asterisk_conf.conftest import REPO, SAMPLES, shape

ALL_FILES = ["pjsip_operators.conf", "ari.conf", "http.conf"]
SIP_PASSWORDS = {f"CALLROUTER_SIP_PASSWORD_{n}": f"pw-{n}" for n in (101, 102, 103, 104)}


def callrouter(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    # Only what the test says: no password leaking in from the developer's shell.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CALLROUTER_SIP_PASSWORD_", "CALLROUTER_ARI", "CALLROUTER_CONFIG"))
    }
    return subprocess.run(
        [sys.executable, "-m", "callrouter", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callrouter.yml"
    path.write_text(text)
    return path


def test_help_lists_the_command() -> None:
    assert "asterisk-conf" in callrouter("--help").stdout
    result = callrouter("asterisk-conf", "render", "--help")
    assert result.returncode == 0 and "--only" in result.stdout


def test_render_prints_all_three_files_and_notes_on_stderr() -> None:
    result = callrouter("asterisk-conf", "render")
    assert result.returncode == 0, result.stderr
    conf = parse(result.stdout, missing_templates_ok=True)
    names = [s.name for s in conf.sections]
    assert names.count("101") == 3 and "callrouter" in names and "/ari" in names
    assert "CALLROUTER_SIP_PASSWORD_101" in result.stderr
    assert "note:" not in result.stdout


def test_render_only_one_file_is_a_file_you_can_redirect() -> None:
    result = callrouter("asterisk-conf", "render", "--only", "http")
    assert result.returncode == 0, result.stderr
    assert shape(parse(result.stdout)) == shape(parse_file(SAMPLES / "http.conf"))
    assert result.stderr == ""


def test_render_several_only_with_plain_ari_password(tmp_path: Path) -> None:
    config = write_config(tmp_path, "ari: {username: ops, password: 'pa;ss'}\n")
    result = callrouter(
        "-c",
        str(config),
        "asterisk-conf",
        "render",
        "--only",
        "ari",
        "--only",
        "http",
        "--ari-password",
        "plain",
    )
    assert result.returncode == 0, result.stderr
    user = parse(result.stdout).one("ops", type="user")
    assert user.get("password") == "pa;ss"


def test_render_output_writes_files_once_and_idempotently(tmp_path: Path) -> None:
    env = {**SIP_PASSWORDS, "CALLROUTER_ARI_PASSWORD": "ari-secret"}
    first = callrouter("asterisk-conf", "render", "--output", str(tmp_path), "--strict", env=env)
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(ALL_FILES)
    for name in ALL_FILES:
        assert f"wrote {tmp_path / name}" in first.stdout
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640
    ari = parse_file(tmp_path / "ari.conf").one("callrouter", type="user")
    assert sha512_crypt_verify("ari-secret", ari.get("password") or "")
    auth = parse_file(tmp_path / "pjsip_operators.conf", missing_templates_ok=True)
    assert [s.get("password") for s in auth.sections if s.get("username")] == [
        "pw-101",
        "pw-102",
        "pw-103",
        "pw-104",
    ]

    before = {name: (tmp_path / name).read_text() for name in ALL_FILES}
    (tmp_path / "ari.conf").chmod(0o600)
    second = callrouter("asterisk-conf", "render", "-o", str(tmp_path), env=env)
    assert second.returncode == 0, second.stderr
    assert {name: (tmp_path / name).read_text() for name in ALL_FILES} == before
    assert stat.S_IMODE((tmp_path / "ari.conf").stat().st_mode) == 0o600

    changed = callrouter(
        "asterisk-conf",
        "render",
        "-o",
        str(tmp_path),
        "--only",
        "ari",
        env={**env, "CALLROUTER_ARI_PASSWORD": "new-secret"},
    )
    assert changed.returncode == 0, changed.stderr
    ari = parse_file(tmp_path / "ari.conf").one("callrouter", type="user")
    assert sha512_crypt_verify("new-secret", ari.get("password") or "")


def test_strict_refuses_placeholders_and_writes_nothing(tmp_path: Path) -> None:
    result = callrouter("asterisk-conf", "render", "-o", str(tmp_path), "--strict")
    assert result.returncode == 3
    assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in result.stderr
    assert "callrouter.yml: --strict: PJSIP/101: no CALLROUTER_SIP_PASSWORD_101" in result.stderr
    assert "CALLROUTER_ARI_PASSWORD" in result.stderr


def test_operator_on_another_channel_is_a_note_not_a_crash(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "operators:\n  anna: {endpoint: PJSIP/101}\n  old: {endpoint: SIP/201}\n"
        "  mobile: {endpoint: 'Local/0170123@callrouter-trunk'}\n",
    )
    result = callrouter("-c", str(config), "asterisk-conf", "render", "--only", "pjsip")
    assert result.returncode == 0, result.stderr
    assert {s.name for s in parse(result.stdout, missing_templates_ok=True).sections} == {"101"}
    assert "operator old: SIP/201 is not a PJSIP endpoint; skipped" in result.stderr
    assert "operator mobile: Local/0170123@callrouter-trunk" in result.stderr


def test_odd_names_fail_with_one_clean_report(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "ari: {username: 'call router'}\noperators:\n  anna: {endpoint: 'PJSIP/10;1'}\n",
    )
    result = callrouter("-c", str(config), "asterisk-conf", "render", "-o", str(tmp_path))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "error (config): 2 configuration errors:" in result.stderr
    assert f"{config}: operators.anna.endpoint: endpoint name '10;1'" in result.stderr
    assert f"{config}: ari.username: ari.username 'call router'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["callrouter.yml"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["asterisk-conf", "render", "--only", "sip"], 2),
        (["asterisk-conf", "render", "--output", "/nonexistent/dir"], 2),
        (["asterisk-conf", "render", "--ari-password", "md5"], 2),
        (["-c", "/nonexistent/callrouter.yml", "asterisk-conf", "render"], 3),
    ],
)
def test_exit_codes(args: list[str], code: int) -> None:
    result = callrouter(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output_is_a_clean_error(tmp_path: Path) -> None:
    # A directory where ari.conf should go: refused even to root, unlike a chmod.
    (tmp_path / "ari.conf").mkdir()
    result = callrouter("asterisk-conf", "render", "-o", str(tmp_path), "--only", "ari")
    assert result.returncode == 1
    assert f"cannot write {tmp_path / 'ari.conf'}" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ari.conf"]  # no temporary left
