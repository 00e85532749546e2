"""The Asterisk config parser reads files the way main/config.c does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrouter.asterisk_conf import (
    ConfSyntaxError,
    Item,
    Section,
    format_sections,
    parse,
    parse_file,
)
from callrouter.asterisk_conf._common import NAME_RULE
from callrouter.errors import InvalidInput


def test_sections_items_and_arrows() -> None:
    conf = parse("[general]\nenabled = yes\n\n[ctx]\nexten => s,1,Set(A=B)\n same => n,Hangup()\n")
    assert [s.name for s in conf.sections] == ["general", "ctx"]
    assert conf.one("general").get("enabled") == "yes"
    assert conf.one("ctx").items == [
        Item("exten", "s,1,Set(A=B)", arrow=True),
        Item("same", "n,Hangup()", arrow=True),
    ]


def test_templates_are_inherited_first_and_last_value_wins() -> None:
    conf = parse(
        "[phone](!)\ntype = endpoint\nallow = ulaw\ncontext = a\n"
        "[extra](!,phone)\nallow = alaw\n"
        "[101](extra)\ncontext = b\n"
    )
    endpoint = conf.one("101", type="endpoint")
    assert endpoint.templates == ("extra",)
    assert endpoint.get_all("allow") == ["ulaw", "alaw"]
    assert endpoint.get("context") == "b"
    assert endpoint.options()["context"] == ["a", "b"]
    assert [s.name for s in conf.objects()] == ["101"]
    template = conf.template("extra")
    assert template is not None and template.is_template


def test_same_name_different_types() -> None:
    conf = parse("[101]\ntype = endpoint\n[101]\ntype = auth\n[101]\ntype = aor\n")
    assert conf.one("101", type="auth").get("type") == "auth"
    with pytest.raises(KeyError):
        conf.one("101")


def test_plus_appends_to_section_and_to_value() -> None:
    conf = parse("[a]\nallow = ulaw\nx = 1\n[b]\ny = 2\n[a](+)\nallow += ,alaw\nz = 3\n")
    assert conf.one("a").options() == {"allow": ["ulaw,alaw"], "x": ["1"], "z": ["3"]}
    assert len(conf.sections) == 2


def test_comments_escapes_and_block_comments() -> None:
    conf = parse(
        "; leading comment\n"
        "[s] ; trailing\n"
        "password = se\\;cret ; the rest is a comment\n"
        ";-- a block\n"
        "hidden = yes\n"
        "--; shown = yes\n"
        ";--- a plain comment, not a block\n"
        "after = 1\n"
    )
    assert conf.one("s").options() == {
        "password": ["se;cret"],
        "shown": ["yes"],
        "after": ["1"],
    }


def test_utf8_bom_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "x.conf"
    path.write_bytes(b"\xef\xbb\xbf[general]\nenabled = yes\n")
    assert parse_file(path).one("general").get("enabled") == "yes"


def test_includes_resolve_against_the_config_dir_not_the_including_file(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    (etc / "sub").mkdir(parents=True)
    (etc / "main.conf").write_text("[a]\nx = 1\n#include sub/one.conf\n")
    # "two.conf" is next to the config dir's root, not next to sub/one.conf.
    (etc / "sub" / "one.conf").write_text("[b]\ny = 2\n#include two.conf\n")
    (etc / "two.conf").write_text("[c]\nz = 3\n")
    (etc / "sub" / "two.conf").write_text("[wrong]\n")
    conf = parse_file(etc / "main.conf")
    assert [s.name for s in conf.sections] == ["a", "b", "c"]
    assert [d.argument for d in conf.directives] == ["sub/one.conf", "two.conf"]


def test_include_globs_tryinclude_and_exec(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "2.conf").write_text("[two]\n")
    (tmp_path / "d" / "1.conf").write_text("[one]\n")
    (tmp_path / "main.conf").write_text(
        '#include "d/*.conf"\n#tryinclude missing.conf\n#exec /bin/false\n'
    )
    conf = parse_file(tmp_path / "main.conf")
    assert [s.name for s in conf.sections] == ["one", "two"]
    assert [(d.name, len(d.resolved)) for d in conf.directives] == [
        ("include", 2),
        ("tryinclude", 0),
        ("exec", 0),
    ]


def test_items_after_an_include_continue_its_last_section(tmp_path: Path) -> None:
    # config.c keeps the included file's last category current: so do we.
    (tmp_path / "inc.conf").write_text("[inner]\na = 1\n")
    (tmp_path / "main.conf").write_text("[outer]\n#include inc.conf\nb = 2\n")
    conf = parse_file(tmp_path / "main.conf")
    assert conf.one("inner").options() == {"a": ["1"], "b": ["2"]}


def test_without_config_dir_includes_are_recorded_not_followed() -> None:
    conf = parse("#include nowhere.conf\n[a]\n")
    assert conf.directives[0].resolved == ()


def test_missing_templates_ok_reads_a_fragment() -> None:
    conf = parse("[101](operator-phone)\nauth = 101\n", missing_templates_ok=True)
    assert conf.one("101").templates == ("operator-phone",)
    assert conf.one("101").options() == {"auth": ["101"]}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("x = 1\n", 1, "outside any [section]"),
        ("[a]\nthis line has no equals\n", 2, "no '='"),
        ("[a]\n = value\n", 2, "no key"),
        ("[a](missing)\n", 1, "inherits unknown [missing]"),
        ("[a\n", 1, "malformed section header"),
        ("[a](+)\n", 1, "no [a] before it"),
        ("[a]\n#includ x\n", 2, "unknown directive"),
        ("[a]\n#include\n", 2, "needs an argument"),
        ("[a]\n;-- never closed\nx = 1\n", 3, "unterminated"),
    ],
)
def test_syntax_errors_name_source_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfSyntaxError) as caught:
        parse(text, source="t.conf")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"t.conf:{line}: ")
    assert message in str(caught.value)
    assert isinstance(caught.value, InvalidInput)


def test_missing_include_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "main.conf").write_text("[a]\n#include gone.conf\n")
    with pytest.raises(ConfSyntaxError, match=r"gone\.conf: no such file"):
        parse_file(tmp_path / "main.conf")


def test_include_loop_is_caught(tmp_path: Path) -> None:
    (tmp_path / "loop.conf").write_text("#include loop.conf\n")
    with pytest.raises(ConfSyntaxError, match="nested too deep"):
        parse_file(tmp_path / "loop.conf")


def test_format_writes_templates_comments_and_escapes() -> None:
    text = format_sections(
        [
            "header\nsecond line",
            Section("phone", [Item("type", "endpoint")], is_template=True),
            "about 101",
            Section("101", [Item("password", "a;b"), Item("x", "")], templates=("phone",)),
        ]
    )
    assert text == (
        "; header\n; second line\n[phone](!)\ntype = endpoint\n\n"
        "; about 101\n[101](phone)\npassword = a\\;b\nx        =\n"
    )
    assert parse(text).one("101").options() == {
        "type": ["endpoint"],
        "password": ["a;b"],
        "x": [""],
    }


_names = st.from_regex(NAME_RULE, fullmatch=True)
_values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).map(str.strip)


@given(
    st.lists(
        st.tuples(_names, st.lists(st.tuples(_names, _values, st.booleans()), max_size=5)),
        max_size=5,
    )
)
def test_format_then_parse_round_trips(spec: list[tuple[str, list[tuple[str, str, bool]]]]) -> None:
    sections = [Section(name, [Item(k, v, a) for k, v, a in items]) for name, items in spec]
    parsed = parse(format_sections(sections))
    assert [(s.name, s.items) for s in parsed.sections] == [(s.name, s.items) for s in sections]
