"""Asterisk's configuration syntax: read it the way ``main/config.c`` does, write it plainly.

What Asterisk accepts, and so what :func:`parse` accepts::

    [name]               a section (Asterisk says "category")
    [name](!)            a template: never loaded as an object, only inherited from
    [name](tpl1,tpl2)    a section that starts with a copy of tpl1's then tpl2's items
    [name](!,tpl)        a template that inherits
    [name](+)            more items for an existing section
    key = value          an item; ``key => value`` is the same with the "object" flag
    key += more          appends to the last value of key in the section
    ; comment            to the end of the line; ``\\;`` is a literal semicolon
    ;-- block --;        a comment over several lines
    #include file        relative to Asterisk's config dir (astetcdir), not to the
    #tryinclude file     including file; globs allowed; tryinclude tolerates no match
    #exec program        recorded, never run

Where Asterisk only warns (a line without ``=``, an unknown template) we raise
:class:`ConfSyntaxError`: the files we ship and render must be clean, not just loadable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from callrouter.errors import InvalidInput

__all__ = [
    "ConfFile",
    "ConfSyntaxError",
    "Directive",
    "Item",
    "Section",
    "escape_value",
    "format_sections",
    "logical_lines",
    "parse",
    "parse_file",
]

_SECTION = re.compile(r"^\[([^\]]*)\]\s*(?:\(([^)]*)\))?\s*$")
_DIRECTIVE = re.compile(r"^#(\w+)(?:\s+(.*))?$")
# Asterisk nests block comments up to this depth; deeper is its error too.
_MAX_NESTED_COMMENTS = 128


class ConfSyntaxError(InvalidInput):
    """A line Asterisk would reject or misread, with its file and line."""

    error_id = "asterisk-conf-syntax"

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    value: str
    arrow: bool = False  # written "key => value"
    # Written as comment lines just above the item; never read back (parse drops comments).
    comment: str = field(default="", compare=False)


@dataclass(slots=True)
class Section:
    """One ``[name]`` block. ``items`` holds inherited items first, as Asterisk copies them."""

    name: str
    items: list[Item] = field(default_factory=list)
    templates: tuple[str, ...] = ()
    is_template: bool = False
    source: str = "<text>"
    line: int = 0

    def get(self, key: str) -> str | None:
        """The value Asterisk's object loaders end up with: the last one set."""
        values = self.get_all(key)
        return values[-1] if values else None

    def get_all(self, key: str) -> list[str]:
        return [item.value for item in self.items if item.key == key]

    def options(self) -> dict[str, list[str]]:
        """Every key with its values in order: the shape tests compare, ignoring layout."""
        result: dict[str, list[str]] = {}
        for item in self.items:
            result.setdefault(item.key, []).append(item.value)
        return result


@dataclass(frozen=True, slots=True)
class Directive:
    name: str  # include, tryinclude or exec
    argument: str
    source: str
    line: int
    resolved: tuple[Path, ...] = ()


@dataclass(slots=True)
class ConfFile:
    sections: list[Section] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)

    def objects(self, name: str | None = None, *, type: str | None = None) -> list[Section]:
        """Loadable sections (not templates), optionally by name and by their ``type``."""
        return [
            s
            for s in self.sections
            if not s.is_template
            and (name is None or s.name == name)
            and (type is None or s.get("type") == type)
        ]

    def one(self, name: str, *, type: str | None = None) -> Section:
        found = self.objects(name, type=type)
        if len(found) != 1:
            kind = f" of type {type}" if type else ""
            raise KeyError(f"expected one section [{name}]{kind}, found {len(found)}")
        return found[0]

    def template(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.is_template and s.name == name), None)


def parse(
    text: str,
    *,
    source: str = "<text>",
    config_dir: Path | None = None,
    missing_templates_ok: bool = False,
) -> ConfFile:
    """Parse ``text``; follow ``#include`` only when ``config_dir`` says where to look.

    ``missing_templates_ok`` reads a fragment meant to be included after its templates
    (pjsip_operators.conf): a section inheriting an unknown one just gets no items from it.
    """
    parser = _Parser(config_dir, missing_templates_ok)
    parser.feed(text, source)
    return parser.result


def parse_file(
    path: Path, *, config_dir: Path | None = None, missing_templates_ok: bool = False
) -> ConfFile:
    """Parse a file as Asterisk would load it from ``config_dir`` (default: its folder)."""
    parser = _Parser(config_dir or path.parent, missing_templates_ok)
    parser.feed(_read(path, str(path), 0), str(path))
    return parser.result


def _read(path: Path, source: str, line: int) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfSyntaxError(source, line, f"cannot read {path}: {exc}") from exc


class _Parser:
    def __init__(self, config_dir: Path | None, missing_templates_ok: bool) -> None:
        self.config_dir = config_dir
        self.missing_templates_ok = missing_templates_ok
        self.result = ConfFile()
        self.current: Section | None = None
        self.depth = 0

    def feed(self, text: str, source: str) -> None:
        self.depth += 1
        if self.depth > 20:
            raise ConfSyntaxError(source, 0, "#include nested too deep (a loop?)")
        for number, content in logical_lines(text, source):
            self._line(content, source, number)
        self.depth -= 1

    def _line(self, text: str, source: str, number: int) -> None:
        if text.startswith("["):
            self._section(text, source, number)
        elif text.startswith("#"):
            self._directive(text, source, number)
        else:
            self._item(text, source, number)

    def _section(self, text: str, source: str, number: int) -> None:
        match = _SECTION.match(text)
        if match is None:
            raise ConfSyntaxError(source, number, f"malformed section header {text!r}")
        name, options = match.group(1), match.group(2)
        flags = [o.strip() for o in options.split(",")] if options else []
        if "+" in flags:
            existing = [s for s in self.result.sections if s.name == name]
            if not existing:
                raise ConfSyntaxError(source, number, f"[{name}](+) but no [{name}] before it")
            self.current = existing[-1]
            return
        section = Section(name, source=source, line=number, is_template="!" in flags)
        bases = [f for f in flags if f not in ("!", "")]
        for base_name in bases:
            base = next((s for s in reversed(self.result.sections) if s.name == base_name), None)
            if base is not None:
                section.items.extend(base.items)
            elif not self.missing_templates_ok:
                raise ConfSyntaxError(source, number, f"[{name}] inherits unknown [{base_name}]")
        section.templates = tuple(bases)
        self.result.sections.append(section)
        self.current = section

    def _directive(self, text: str, source: str, number: int) -> None:
        match = _DIRECTIVE.match(text)
        name = match.group(1).lower() if match else ""
        if name not in ("include", "tryinclude", "exec"):
            raise ConfSyntaxError(source, number, f"unknown directive {text!r}")
        assert match is not None
        argument = _dequote((match.group(2) or "").strip())
        if not argument:
            raise ConfSyntaxError(source, number, f"#{name} needs an argument")
        resolved: tuple[Path, ...] = ()
        if name != "exec" and self.config_dir is not None:
            resolved = tuple(self._resolve(argument))
            if not resolved and name == "include":
                raise ConfSyntaxError(source, number, f"#include {argument}: no such file")
        self.result.directives.append(Directive(name, argument, source, number, resolved))
        for path in resolved:
            self.feed(_read(path, source, number), str(path))

    def _resolve(self, argument: str) -> Iterator[Path]:
        assert self.config_dir is not None
        path = Path(argument) if argument.startswith("/") else self.config_dir / argument
        if any(ch in argument for ch in "*?["):
            yield from sorted(path.parent.glob(path.name))
        elif path.is_file():
            yield path

    def _item(self, text: str, source: str, number: int) -> None:
        if self.current is None:
            raise ConfSyntaxError(source, number, f"{text!r} outside any [section]")
        key, sep, value = text.partition("=")
        if not sep:
            raise ConfSyntaxError(source, number, f"no '=' in {text!r}")
        arrow = value.startswith(">")
        value = (value[1:] if arrow else value).strip()
        if key.endswith("+") and not arrow:
            self._append(key[:-1].strip(), value, source, number)
            return
        key = key.strip()
        if not key:
            raise ConfSyntaxError(source, number, f"no key before '=' in {text!r}")
        self.current.items.append(Item(key, value, arrow))

    def _append(self, key: str, value: str, source: str, number: int) -> None:
        assert self.current is not None
        items = self.current.items
        for index in range(len(items) - 1, -1, -1):
            if items[index].key == key:
                old = items[index]
                items[index] = Item(key, (old.value + value).strip(), old.arrow)
                return
        items.append(Item(key, value))


def _dequote(argument: str) -> str:
    for opening, closing in (('"', '"'), ("<", ">")):
        if len(argument) >= 2 and argument[0] == opening and argument[-1] == closing:
            return argument[1:-1]
    return argument


def logical_lines(text: str, source: str) -> Iterator[tuple[int, str]]:
    """Each line with comments removed and ``\\;`` unescaped, as config.c does it."""
    depth = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        kept: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if depth:
                if raw.startswith("--;", i):
                    depth -= 1
                    i += 3
                elif raw.startswith(";--", i) and not raw.startswith(";---", i):
                    depth += 1
                    i += 3
                else:
                    i += 1
                continue
            if ch == "\\" and raw.startswith(";", i + 1):
                kept.append(";")
                i += 2
            elif raw.startswith(";--", i) and not raw.startswith(";---", i):
                depth += 1
                if depth > _MAX_NESTED_COMMENTS:
                    raise ConfSyntaxError(source, number, "block comments nested too deep")
                i += 3
            elif ch == ";":
                break
            else:
                kept.append(ch)
                i += 1
        line = "".join(kept).strip()
        if line:
            yield number, line
    if depth:
        raise ConfSyntaxError(source, len(text.splitlines()), "unterminated ';--' comment")


def escape_value(value: str) -> str:
    """A value as it must be written so Asterisk reads it back unchanged."""
    return value.replace(";", "\\;")


def format_sections(blocks: Iterable[Section | str]) -> str:
    """Write sections (and comment strings between them) back as config text.

    A string block is a comment: each of its lines gets a ``; `` prefix, except a line
    that starts with ``;`` itself, written as it is (a commented-out option,
    ``;prefix = asterisk``). An item's ``comment`` goes just above it the same way. A
    section's ``items`` are written as they are, so build it with its own items only:
    what it inherits from ``templates`` Asterisk copies in when it reads the file.
    """
    out: list[str] = []
    after_comment = False
    for block in blocks:
        if isinstance(block, str):
            if after_comment:
                out.append("")  # two comments in a row are two paragraphs
            out.extend(_comment_lines(block))
            after_comment = True
            continue
        after_comment = False
        flags = (["!"] if block.is_template else []) + list(block.templates)
        header = f"[{block.name}]" + (f"({','.join(flags)})" if flags else "")
        out.append(header)
        width = max((len(item.key) for item in block.items), default=0)
        for item in block.items:
            out.extend(_comment_lines(item.comment))
            sep = "=>" if item.arrow else "="
            out.append(f"{item.key.ljust(width)} {sep} {escape_value(item.value)}".rstrip())
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _comment_lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        yield line if line.startswith(";") else f"; {line}".rstrip()
