"""Text from outside made storable in PostgreSQL, at the edge where it comes in.

PostgreSQL's ``text`` cannot hold the NUL character (U+0000), and UTF-8 cannot encode
a lone surrogate (U+D800..U+DFFF, which ``json.loads`` yields for ``"\\ud800"``). A
caller name carrying either made PostgreSQL refuse the call's whole row. So every
string that arrives from outside (ARI events, FastAGI requests, CSV cells) goes
through :func:`storable` before anything keeps it.

The stored form: each NUL and each lone surrogate becomes U+FFFD (the Unicode
replacement character, ``�``); every other character is kept as it came, quotes,
control characters and all. Replacing rather than removing keeps the length and shows
a reader that something unreadable was there.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator

__all__ = ["REPLACEMENT", "StorableStr", "storable"]

REPLACEMENT: Final = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with every NUL and lone surrogate replaced by U+FFFD (see the module)."""
    if _UNSTORABLE.search(text) is None:  # the common case costs one scan, no copy
        return text
    return _UNSTORABLE.sub(REPLACEMENT, text)


StorableStr = Annotated[str, AfterValidator(storable)]
"""A pydantic ``str`` field whose value is made :func:`storable` on validation."""
