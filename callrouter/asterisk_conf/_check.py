"""Placeholders left in an Asterisk config folder (and in callrouter's own config).

The samples ship values that must not go live: ``CHANGE-ME``, the carrier's
``sip.example.net``, documentation addresses (192.0.2.x, 198.51.100.x, 203.0.113.x,
2001:db8::), the sample passwords (``change-me-ari``). This finds each one still in an
active line, with its file, line and what belongs there; comments are skipped, the way
Asterisk skips them, so explanations and commented-out examples are never reported.

callrouter's YAML is checked for the same thing in its own form: a ``${NAME:-change-me}``
default while ``NAME`` is unset, or a ``change-me`` written in the file itself.

Pure: text (and an environment) in, findings out; the CLI reads the files.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from callrouter.asterisk_conf._common import Part
from callrouter.asterisk_conf._pjsip import password_env_var
from callrouter.asterisk_conf._syntax import logical_lines

__all__ = ["Placeholder", "conf_placeholders", "yaml_placeholders"]


@dataclass(frozen=True, slots=True)
class Placeholder:
    file: str
    line: int
    text: str  # the line as it stands, comments removed
    hint: str  # what to put there

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}  -> {self.hint}"


# "change-me" in any case catches CHANGE-ME and the sample password change-me-ari.
_MARKER = re.compile(r"change-me", re.IGNORECASE)
# RFC 2606 names: example.com/.net/.org and anything under .example or .invalid.
_EXAMPLE_NAME = re.compile(
    r"\b(?:[A-Za-z0-9-]+\.)*(?:example\.(?:com|net|org)|[A-Za-z0-9-]+\.(?:example|invalid))\b",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6_DOC = re.compile(r"\b2001:0?db8:", re.IGNORECASE)
# RFC 5737 (IPv4) and RFC 3849 (IPv6, matched above) documentation networks.
_DOC_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)

# What belongs in a pjsip.conf/ari.conf/http.conf line, by its key.
_HINTS = {
    "username": "the user name of your carrier account",
    "password": "the password of your carrier account",
    "from_domain": "your carrier's SIP domain",
    "contact": "sip:<your carrier's SIP server>",
    "server_uri": "sip:<your carrier's registrar>",
    "client_uri": "sip:<your account>@<your carrier's SIP domain>",
    "match": "your carrier's signalling address and port (address:port, one match line each)",
    "external_media_address": "this machine's public address",
    "external_signaling_address": "this machine's public address",
    "local_net": "your local network (address/mask)",
}
# Files callrouter writes: the fix is to render them again, never to edit them.
_RENDER_HINT = (
    "render again with {variable} set: "
    "callrouter asterisk-conf render --only {part} --output <dir> --strict"
)
_DEFAULT_HINT = "your own value"


def conf_placeholders(file: str, text: str) -> list[Placeholder]:
    """Every active line of an Asterisk config file that still holds a placeholder."""
    found = []
    section = ""
    for number, line in logical_lines(text, file):
        if line.startswith("["):
            section = line[1:].partition("]")[0]
        if _holds_placeholder(line):
            found.append(Placeholder(file, number, line, _hint(file, section, line)))
    return found


def _holds_placeholder(line: str) -> bool:
    if _MARKER.search(line) or _EXAMPLE_NAME.search(line) or _IPV6_DOC.search(line):
        return True
    return any(_documentation_address(candidate) for candidate in _IPV4.findall(line))


def _documentation_address(text: str) -> bool:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return any(address in network for network in _DOC_NETWORKS)


def _hint(file: str, section: str, line: str) -> str:
    name = file.rsplit("/", 1)[-1]
    if name == Part.PJSIP.filename:
        return _RENDER_HINT.format(variable=password_env_var(section), part=Part.PJSIP)
    if name == Part.ARI.filename:
        return _RENDER_HINT.format(variable="CALLROUTER_ARI_PASSWORD", part=Part.ARI)
    key = line.partition("=")[0].strip().rstrip("+").strip()
    return _HINTS.get(key, _DEFAULT_HINT)


# ${NAME} or ${NAME:-default}, as callrouter's config loader reads them.
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def yaml_placeholders(file: str, text: str, environ: Mapping[str, str]) -> list[Placeholder]:
    """callrouter.yml lines whose value is still a ``change-me`` placeholder.

    A ``${NAME:-change-me...}`` counts only while ``NAME`` is unset (or set to a
    placeholder itself): set, it replaces the default.
    """
    found = []
    for number, line in _yaml_lines(text):
        effective = _VARIABLE.sub(lambda m: environ.get(m.group(1)) or m.group(2) or "", line)
        if not _MARKER.search(effective):
            continue
        names = [m.group(1) for m in _VARIABLE.finditer(line)]
        hint = (
            f"set {' or '.join(names)} where callrouter runs (and for this check)"
            if names
            else "a secret of your own, best read from the environment: ${NAME}"
        )
        found.append(Placeholder(file, number, line, hint))
    return found


def _yaml_lines(text: str) -> Iterator[tuple[int, str]]:
    """Each line without its comment (a ``#`` at the start or after a space)."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].rstrip()
        if line.strip():
            yield number, line.strip()
