"""Lead import: CSV text in, normalised leads and per-row problems out.

Pure: the caller opens the file (and owns the database writes); we read an iterable of
text lines. ``decode_lines`` turns raw byte lines into text lines and is where encoding
mistakes are caught, with the line and byte that gave them away; both make every
line storable (:func:`callrouter.text.storable`: a NUL becomes U+FFFD), so one bad
cell can never make PostgreSQL refuse an import.

File-level problems (empty file, no ``phone`` column, undecodable bytes, CSV the parser
cannot resynchronise after) raise ``LeadFileError``. Row-level problems are yielded as
``RowProblem`` values in file order between the good ``Lead`` values, so a 100,000-row
import reports every bad row in one pass instead of stopping at the first.

Line numbers are physical lines starting at 1 for the header; a row whose quoted field
spans several lines is reported at the line where it starts.
"""

from __future__ import annotations

import codecs
import csv
import enum
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ..errors import InvalidInput
from ..text import storable
from ._numbers import NormalizedNumber, NumberProblem, normalize_number, normalize_region
from ._tz import load_zone

__all__ = [
    "ACCEPTED_ENCODINGS",
    "Lead",
    "LeadFileError",
    "LeadImport",
    "LeadImportOptions",
    "LeadReader",
    "RowProblem",
    "RowProblemKind",
    "TimezoneSource",
    "decode_lines",
    "import_leads",
]

PHONE_COLUMN = "phone"
KEY_COLUMN = "key"
NAME_COLUMN = "name"
TIMEZONE_COLUMN = "timezone"
REGION_COLUMN = "region"
_KNOWN_COLUMNS = frozenset({PHONE_COLUMN, KEY_COLUMN, NAME_COLUMN, TIMEZONE_COLUMN, REGION_COLUMN})

DELIMITERS = (",", ";", "\t")
# Latin-1 and Windows-1252 decode any byte, so they are only used when declared: we never
# guess them, because guessing would silently turn a broken UTF-8 file into mojibake.
ACCEPTED_ENCODINGS = ("utf-8", "iso8859-1", "cp1252")

_BOMS_WE_REFUSE = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


# The longest IANA names are about 30 characters and 3 levels deep.
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]{1,40}(/[A-Za-z0-9_+\-]{1,40}){0,3}$")


class LeadFileError(InvalidInput):
    """The file as a whole cannot be imported; ``line`` locates the cause when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class RowProblemKind(enum.StrEnum):
    MISSING_PHONE = "missing-phone"
    INVALID_NUMBER = "invalid-number"
    NO_REGION = "no-region"
    UNKNOWN_REGION = "unknown-region"
    UNKNOWN_TIMEZONE = "unknown-timezone"
    DUPLICATE_KEY = "duplicate-key"
    TOO_MANY_FIELDS = "too-many-fields"


_FROM_NUMBER_PROBLEM = {
    NumberProblem.INVALID: RowProblemKind.INVALID_NUMBER,
    NumberProblem.NO_REGION: RowProblemKind.NO_REGION,
    NumberProblem.UNKNOWN_REGION: RowProblemKind.UNKNOWN_REGION,
}


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    kind: RowProblemKind
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.message}"


class TimezoneSource(enum.StrEnum):
    COLUMN = "column"
    NUMBER = "number"
    NUMBER_AMBIGUOUS = "number-ambiguous"
    """The number maps to several zones; ``Lead.timezone_note`` says which we chose."""
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Lead:
    line: int
    key: str
    phone: str
    """E.164."""
    timezone: str
    timezone_source: TimezoneSource
    name: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    """Columns we do not interpret, kept for the CRM card."""
    timezone_note: str | None = None


@dataclass(frozen=True, slots=True)
class LeadImportOptions:
    """How to read one campaign's file; invalid values fail here, not on row 1."""

    default_timezone: str
    """The campaign's zone, for numbers the numbering plan gives no zone."""
    default_region: str | None = None
    """Region for numbers written without +country and with no 'region' column value."""
    delimiter: str | None = None
    """None: pick from comma, semicolon and tab by counting them in the header."""
    require_valid: bool = True

    def __post_init__(self) -> None:
        try:
            load_zone(self.default_timezone)
            object.__setattr__(self, "default_region", normalize_region(self.default_region))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            raise InvalidInput(f"delimiter must be one of {DELIMITERS!r}, got {self.delimiter!r}")


def decode_lines(raw_lines: Iterable[bytes], *, encoding: str = "utf-8") -> Iterator[str]:
    """Decode byte lines (a file opened in binary mode iterates as such) to text lines.

    UTF-8 (with or without a byte-order mark) is the default; Latin-1 or Windows-1252
    only when declared. Bytes that are not UTF-8 raise ``LeadFileError`` naming the line
    and byte. Splitting on b"\\n" before decoding is safe for every accepted encoding:
    none of them uses that byte inside a multi-byte character.
    """
    try:
        codec = codecs.lookup(encoding).name
        codec = "utf-8" if codec == "utf-8-sig" else codec  # the BOM is stripped below anyway
    except LookupError as exc:
        raise LeadFileError(f"unknown encoding {encoding!r}") from exc
    if codec not in ACCEPTED_ENCODINGS:
        raise LeadFileError(f"encoding {encoding!r} is not supported; use UTF-8 or Latin-1")
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1:
            for bom, name in _BOMS_WE_REFUSE:
                if raw.startswith(bom):
                    raise LeadFileError(f"the file is {name}; save it as UTF-8", line=1)
            if raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
        try:
            # A NUL in a cell would make PostgreSQL refuse the whole batch: stored as U+FFFD.
            yield storable(raw.decode(codec))
        except UnicodeDecodeError as exc:
            bad = raw[exc.start]
            raise LeadFileError(
                f"byte 0x{bad:02x} at column {exc.start + 1} is not valid UTF-8; the file "
                "was probably saved as Latin-1/Windows-1252: re-save it as UTF-8 or "
                "import it with encoding='latin-1'",
                line=number,
            ) from exc


def _with_line_endings(lines: Iterable[str]) -> Iterator[str]:
    # The csv module drops the newline inside a quoted field when lines come without
    # their endings (str.splitlines()); restoring it keeps embedded newlines intact.
    # Lines that did not come through decode_lines are made storable here too.
    for line in map(storable, lines):
        yield line if line.endswith(("\n", "\r")) else line + "\n"


def _sniff_delimiter(header: str) -> str:
    # csv.Sniffer guesses from data rows and is easily fooled by commas in names; the
    # header holds only column names, so counting delimiters there is decisive.
    counts = [(header.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


class LeadReader:
    """Reads the header on construction, then iterates ``Lead | RowProblem`` in order.

    ``delimiter`` and ``columns`` are known once constructed, so a caller can show
    them before committing to the import.
    """

    def __init__(self, lines: Iterable[str], options: LeadImportOptions) -> None:
        self.options = options
        source = _with_line_endings(lines)
        header_line = ""
        skipped = 0
        for candidate in source:
            if candidate.strip():
                header_line = candidate
                break
            skipped += 1
        if not header_line:
            raise LeadFileError("the file is empty: expected a header row with a 'phone' column")
        self.delimiter = options.delimiter or _sniff_delimiter(header_line)
        self._reader = csv.reader(itertools.chain([header_line], source), delimiter=self.delimiter)
        self._line_offset = skipped
        header = self._next_row()
        if header is None:  # pragma: no cover - header_line is non-blank
            raise LeadFileError("the file is empty")
        self.columns = tuple(name.strip().lstrip("\ufeff").strip().lower() for name in header)
        seen: set[str] = set()
        for name in self.columns:
            if name and name in seen:
                raise LeadFileError(
                    f"column {name!r} appears twice in the header", line=self._line_offset + 1
                )
            seen.add(name)
        if PHONE_COLUMN not in seen:
            found = ", ".join(repr(c) for c in self.columns if c) or "none"
            raise LeadFileError(
                f"missing required column {PHONE_COLUMN!r} (found columns: {found}; "
                f"delimiter {self.delimiter!r})",
                line=self._line_offset + 1,
            )
        self._index = {name: i for i, name in enumerate(self.columns) if name}
        self._extra = [(i, name) for i, name in enumerate(self.columns)
                       if name and name not in _KNOWN_COLUMNS]
        self._keys: dict[str, int] = {}

    def _next_row(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as exc:
            raise LeadFileError(
                f"malformed CSV: {exc}", line=self._reader.line_num + self._line_offset
            ) from exc

    def __iter__(self) -> Iterator[Lead | RowProblem]:
        while True:
            start = self._reader.line_num + 1 + self._line_offset
            row = self._next_row()
            if row is None:
                return
            if not row or all(not cell.strip() for cell in row):
                continue
            yield self._parse_row(start, row)

    def _cell(self, row: list[str], column: str) -> str:
        i = self._index.get(column)
        return row[i].strip() if i is not None and i < len(row) else ""

    def _parse_row(self, line: int, row: list[str]) -> Lead | RowProblem:
        opts = self.options
        if len(row) > len(self.columns) and any(c.strip() for c in row[len(self.columns) :]):
            return RowProblem(
                line,
                RowProblemKind.TOO_MANY_FIELDS,
                f"{len(row)} fields but the header has {len(self.columns)} "
                f"(unquoted {self.delimiter!r} inside a value?)",
            )
        raw_phone = self._cell(row, PHONE_COLUMN)
        if not raw_phone:
            return RowProblem(line, RowProblemKind.MISSING_PHONE, "the phone column is empty")
        number = normalize_number(
            raw_phone,
            region=self._cell(row, REGION_COLUMN) or opts.default_region,
            require_valid=opts.require_valid,
            with_timezones=True,
        )
        if not isinstance(number, NormalizedNumber):
            return RowProblem(line, _FROM_NUMBER_PROBLEM[number.problem], number.message)
        zone_or_problem = self._timezone(line, self._cell(row, TIMEZONE_COLUMN), number)
        if isinstance(zone_or_problem, RowProblem):
            return zone_or_problem
        zone, source, note = zone_or_problem
        key = self._cell(row, KEY_COLUMN) or number.e164
        first = self._keys.setdefault(key, line)
        if first != line:
            return RowProblem(
                line, RowProblemKind.DUPLICATE_KEY, f"key {key!r} was already used on line {first}"
            )
        extra = {name: row[i].strip() for i, name in self._extra if i < len(row)}
        return Lead(
            line=line,
            key=key,
            phone=number.e164,
            name=self._cell(row, NAME_COLUMN) or None,
            timezone=zone,
            timezone_source=source,
            extra=extra,
            timezone_note=note,
        )

    def _timezone(
        self, line: int, declared: str, number: NormalizedNumber
    ) -> tuple[str, TimezoneSource, str | None] | RowProblem:
        if declared:
            if not _ZONE_NAME.match(declared):
                # zoneinfo turns each "/" into a package import: a long cell would
                # exhaust the stack before being refused as an unknown zone.
                message = f"{declared[:40]!r} is not an IANA time zone name"
                return RowProblem(line, RowProblemKind.UNKNOWN_TIMEZONE, message)
            try:
                return load_zone(declared).key, TimezoneSource.COLUMN, None
            except ValueError as exc:
                return RowProblem(line, RowProblemKind.UNKNOWN_TIMEZONE, str(exc))
        zones = number.timezones
        default = self.options.default_timezone
        if not zones:
            return default, TimezoneSource.DEFAULT, None
        if len(zones) == 1:
            return zones[0], TimezoneSource.NUMBER, None
        # Several zones (toll-free, mobile, big area codes): the campaign's own zone when
        # it is one of them, else the first by name, so a re-import picks the same one.
        chosen = default if default in zones else min(zones)
        why = "the campaign default" if chosen == default else "first by name"
        note = f"number spans {len(zones)} time zones; chose {chosen} ({why})"
        return chosen, TimezoneSource.NUMBER_AMBIGUOUS, note


@dataclass(frozen=True, slots=True)
class LeadImport:
    leads: list[Lead]
    problems: list[RowProblem]
    columns: tuple[str, ...]
    delimiter: str


def import_leads(lines: Iterable[str], options: LeadImportOptions) -> LeadImport:
    """Read a whole file: every good lead and every row problem, in file order."""
    reader = LeadReader(lines, options)
    leads: list[Lead] = []
    problems: list[RowProblem] = []
    for item in reader:
        if isinstance(item, Lead):
            leads.append(item)
        else:
            problems.append(item)
    return LeadImport(leads=leads, problems=problems, columns=reader.columns,
                      delimiter=reader.delimiter)
