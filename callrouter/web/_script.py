"""A queue's or campaign's script, filled with the caller's fields, as safe HTML.

``{name}`` in the configured text becomes the caller's field of that name (customer
card, lead, call: see :func:`script_fields`). Everything is HTML-escaped, the text and
the values alike, so neither a script nor a customer's name can inject markup; blank
lines make paragraphs. A field the call does not have shows as a visible blank, so the
operator sees a gap instead of reading out "{account}".
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

__all__ = ["render_script"]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")
_MISSING = '<span class="missing">&hellip;</span>'


def _fill(line: str, fields: Mapping[str, object]) -> str:
    out: list[str] = []
    last = 0
    for match in _FIELD.finditer(line):
        out.append(html.escape(line[last : match.start()]))
        value = fields.get(match.group(1))
        text = "" if value is None else str(value).strip()
        out.append(f"<strong>{html.escape(text)}</strong>" if text else _MISSING)
        last = match.end()
    out.append(html.escape(line[last:]))
    return "".join(out)


def render_script(template: str, fields: Mapping[str, object]) -> str:
    """``template`` with ``{field}`` filled from ``fields``, as escaped HTML paragraphs."""
    paragraphs = re.split(r"\n\s*\n", template.strip())
    return "".join(
        "<p>" + "<br>".join(_fill(line, fields) for line in paragraph.splitlines()) + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )
