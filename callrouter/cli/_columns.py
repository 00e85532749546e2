"""Tables that a sysadmin can read in an 80-column terminal.

Rich shares a narrow terminal out by shrinking every column, which cut call ids, phone
numbers and times to a few characters. Here the columns that identify something (an id
prefix, a number, a time, a duration) keep their full width and never wrap; only the
columns marked ``fold`` (free text such as a queue or operator name) give up width, and
their text folds onto a second line rather than disappearing behind an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rich.table import Table

from callrouter.cli._runtime import console

__all__ = ["ID_PREFIX_CHARS", "Column", "print_compact_table", "seconds", "short_id", "short_time"]

ID_PREFIX_CHARS = 8
"""Call ids are shown by their first 8 hex digits: ``calls show`` takes a unique prefix."""


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    fold: bool = False  # True: may shrink and fold; False: always its longest cell's width
    justify: Literal["left", "right"] = "left"


_MIN_FOLD = 5


def _layout(columns: Sequence[Column], cells: list[list[str]], total: int) -> tuple[list[int], int]:
    """Each column's width, and the gap between columns (2 spaces, 1 when tight).

    A column gets its longest cell; fold columns share what is left in proportion to
    what each would like.
    """
    natural = [
        max([len(column.header), *(len(row[i]) for row in cells)])
        for i, column in enumerate(columns)
    ]
    folding = [i for i, column in enumerate(columns) if column.fold]
    fixed = sum(w for i, w in enumerate(natural) if i not in folding)
    wanted = sum(natural[i] for i in folding)
    for gap in (2, 1):
        left = total - fixed - gap * (len(columns) - 1)
        if wanted <= left:
            return natural, gap
    widths = list(natural)
    for i in folding:  # never narrower than the header or a short word
        floor = min(natural[i], max(_MIN_FOLD, len(columns[i].header)))
        widths[i] = max(floor, left * natural[i] // max(wanted, 1))
    return widths, 1


def print_compact_table(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
) -> None:
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths, gap = _layout(columns, cells, console.width)
    # No borders: padding alone separates columns; collapsed, one space between them.
    table = Table(
        title=title, box=None, padding=(0, 1), pad_edge=False, header_style="bold",
        collapse_padding=gap == 1,
    )  # fmt: skip
    for column, width in zip(columns, widths, strict=True):
        table.add_column(
            column.header, justify=column.justify, width=width,
            overflow="fold" if column.fold else "ignore", no_wrap=not column.fold,
        )  # fmt: skip
    for row in cells:
        table.add_row(*row)
    console.print(table, highlight=False, markup=False)


def short_id(value: object) -> str:
    return str(value)[:ID_PREFIX_CHARS]


def short_time(at: datetime, now: datetime | None = None) -> str:
    """``HH:MM:SS`` for today, ``YYYY-MM-DD`` before, in this machine's time zone."""
    local = at.astimezone()
    today = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo).date()
    return local.strftime("%H:%M:%S") if local.date() == today else local.strftime("%Y-%m-%d")


def seconds(value: float | None) -> str:
    """Whole seconds for a table (``--json`` keeps the milliseconds)."""
    return "" if value is None else str(round(value))
