"""Lead CSV import: parsing, normalisation, and every way a file can be wrong."""

from __future__ import annotations

import io

import pytest

from callrouter.dialer import (
    Lead,
    LeadFileError,
    LeadImportOptions,
    LeadReader,
    RowProblem,
    RowProblemKind,
    TimezoneSource,
    decode_lines,
    import_leads,
)
from callrouter.errors import InvalidInput

OPTS = LeadImportOptions(default_timezone="Europe/Paris", default_region="US")
NO_REGION = LeadImportOptions(default_timezone="Europe/Paris")


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_basic_import_normalises_and_keeps_extra_columns() -> None:
    result = import_leads(
        lines("phone,name,plan,Account\n(212) 555-0100,Ann,gold,42\n+49 30 1234567,Bob,,7\n"),
        OPTS,
    )
    assert result.problems == []
    assert result.delimiter == ","
    ann, bob = result.leads
    assert ann == Lead(
        line=2,
        key="+12125550100",
        phone="+12125550100",
        timezone="America/New_York",
        timezone_source=TimezoneSource.NUMBER,
        name="Ann",
        extra={"plan": "gold", "account": "42"},
    )
    assert (bob.phone, bob.timezone, bob.line) == ("+49301234567", "Europe/Berlin", 3)


def test_key_column_and_timezone_column_override() -> None:
    result = import_leads(
        lines("key,phone,timezone\nA-1,+12125550100,America/Chicago\n"), OPTS
    )
    (lead,) = result.leads
    assert lead.key == "A-1"
    assert lead.timezone == "America/Chicago"
    assert lead.timezone_source is TimezoneSource.COLUMN


def test_region_column_per_row() -> None:
    result = import_leads(lines("phone,region\n030 1234567,DE\n0612345678,fr\n"), NO_REGION)
    assert [lead.phone for lead in result.leads] == ["+49301234567", "+33612345678"]


def test_number_without_region_and_no_default_is_reported() -> None:
    result = import_leads(lines("phone\n2125550100\n+12125550101\n"), NO_REGION)
    (problem,) = result.problems
    assert (problem.line, problem.kind) == (2, RowProblemKind.NO_REGION)
    assert "region" in problem.message
    assert [lead.phone for lead in result.leads] == ["+12125550101"]


def test_invalid_numbers_unknown_timezone_and_region() -> None:
    text = (
        "phone,timezone,region\n"
        "not a number,,\n"
        "+1 212 555,,\n"
        "+12125550100,Mars/Olympus,\n"
        "5550100,,ZZ\n"
        ",,\n"
    )
    result = import_leads(lines(text), OPTS)
    kinds = [(p.line, p.kind) for p in result.problems]
    assert kinds == [
        (2, RowProblemKind.INVALID_NUMBER),
        (3, RowProblemKind.INVALID_NUMBER),
        (4, RowProblemKind.UNKNOWN_TIMEZONE),
        (5, RowProblemKind.UNKNOWN_REGION),
    ]  # the all-empty row 6 is a blank line, skipped silently
    assert result.leads == []
    assert "Mars/Olympus" in result.problems[2].message


def test_duplicate_rows_by_number_and_by_key() -> None:
    text = "phone\n+12125550100\n(212) 555-0100\n+12125550101\n"
    result = import_leads(lines(text), OPTS)
    (dup,) = result.problems
    assert (dup.line, dup.kind) == (3, RowProblemKind.DUPLICATE_KEY)
    assert "line 2" in dup.message
    keyed = import_leads(lines("key,phone\nk1,+12125550100\nk1,+12125550101\n"), OPTS)
    assert [p.kind for p in keyed.problems] == [RowProblemKind.DUPLICATE_KEY]
    # distinct keys may share a number: the key is the idempotency token
    shared = import_leads(lines("key,phone\nk1,+12125550100\nk2,+12125550100\n"), OPTS)
    assert len(shared.leads) == 2


def test_missing_phone_column_is_a_file_error_naming_it() -> None:
    with pytest.raises(LeadFileError) as info:
        import_leads(lines("telephone,name\n+12125550100,Ann\n"), OPTS)
    assert "'phone'" in str(info.value)
    assert "'telephone'" in str(info.value)
    assert isinstance(info.value, InvalidInput)


@pytest.mark.parametrize("text", ["", "\n\n", "  \r\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(LeadFileError, match="empty"):
        import_leads(lines(text), OPTS)


def test_only_a_header_gives_no_leads_and_no_problems() -> None:
    result = import_leads(lines("phone,name\n"), OPTS)
    assert (result.leads, result.problems, result.columns) == ([], [], ("phone", "name"))


def test_quotes_and_embedded_newlines_keep_line_numbers() -> None:
    text = (
        'phone,name,note\n'
        '+12125550100,"Smith, Ann","line one\nline two"\n'
        '+12125550101,"Bob ""the builder""",x\n'
        'bogus,c,d\n'
    )
    result = import_leads(lines(text), OPTS)
    first, second = result.leads
    assert first.name == "Smith, Ann"
    assert first.extra["note"] == "line one\nline two"
    assert (first.line, second.line) == (2, 4)
    assert second.name == 'Bob "the builder"'
    assert [p.line for p in result.problems] == [5]


def test_embedded_newlines_survive_lines_without_endings() -> None:
    text = 'phone,note\n+12125550100,"a\nb"\n'
    result = import_leads(text.splitlines(), OPTS)
    assert result.leads[0].extra["note"] == "a\nb"


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), (",", "comma")])
def test_delimiter_sniffing(delimiter: str, name: str) -> None:
    row = ["+33 1 23 45 67 89", '"Zoé, A"', "Paris"]
    text = delimiter.join(["phone", "name", "city"]) + "\n" + delimiter.join(row) + "\n"
    result = import_leads(lines(text), OPTS)
    assert result.delimiter == delimiter, name
    assert result.leads[0].phone == "+33123456789"
    assert result.leads[0].name == "Zoé, A"


def test_too_many_fields_is_a_row_problem() -> None:
    result = import_leads(lines("phone,name\n+12125550100,Smith, Ann\n"), OPTS)
    assert [p.kind for p in result.problems] == [RowProblemKind.TOO_MANY_FIELDS]


def test_short_rows_are_padded() -> None:
    result = import_leads(lines("phone,name,city\n+12125550100\n"), OPTS)
    assert result.leads[0].name is None
    assert result.leads[0].extra == {}


def test_header_names_are_case_and_space_insensitive_and_must_be_unique() -> None:
    result = import_leads(lines(" Phone ; NAME \n+12125550100;Ann\n"), OPTS)
    assert result.leads[0].name == "Ann"
    with pytest.raises(LeadFileError, match="twice"):
        import_leads(lines("phone,Phone\n1,2\n"), OPTS)


def test_ambiguous_timezone_is_chosen_deterministically_and_noted() -> None:
    # +1 800 is toll-free for all of North America: dozens of zones.
    text = "phone\n+1 800 555 0199\n"
    paris = import_leads(lines(text), OPTS).leads[0]
    assert paris.timezone_source is TimezoneSource.NUMBER_AMBIGUOUS
    assert paris.timezone == "America/Adak"  # first by name: Paris is not a candidate
    assert paris.timezone_note and "first by name" in paris.timezone_note
    ny_opts = LeadImportOptions(default_timezone="America/New_York", default_region="US")
    ny = import_leads(lines(text), ny_opts).leads[0]
    assert ny.timezone == "America/New_York"
    assert ny.timezone_note and "campaign default" in ny.timezone_note


def test_number_without_known_zone_uses_the_campaign_default() -> None:
    # International freephone (+800) has no geography.
    result = import_leads(lines("phone\n+800 1234 5678\n"), OPTS)
    (lead,) = result.leads
    assert (lead.timezone, lead.timezone_source) == ("Europe/Paris", TimezoneSource.DEFAULT)


def test_reader_exposes_header_before_rows() -> None:
    reader = LeadReader(lines("phone\t name\n+12125550100\tAnn\n"), OPTS)
    assert reader.delimiter == "\t"
    assert reader.columns == ("phone", "name")
    items = list(reader)
    assert isinstance(items[0], Lead)


def test_leading_blank_lines_shift_line_numbers() -> None:
    result = import_leads(lines("\n\nphone\nnope\n"), OPTS)
    assert result.problems == [
        RowProblem(4, RowProblemKind.INVALID_NUMBER, result.problems[0].message)
    ]


def test_require_valid_false_accepts_possible_numbers() -> None:
    loose = LeadImportOptions(
        default_timezone="Europe/Paris", default_region="US", require_valid=False
    )
    # 555-01xx in area code 000 is not valid anywhere, but is possible (10 digits)
    assert import_leads(lines("phone\n(000) 555-0100\n"), loose).leads
    assert not import_leads(lines("phone\n(000) 555-0100\n"), OPTS).leads


def test_options_fail_at_construction() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        LeadImportOptions(default_timezone="Nowhere/Land")
    with pytest.raises(InvalidInput, match="region"):
        LeadImportOptions(default_timezone="UTC", default_region="XX")
    with pytest.raises(InvalidInput, match="delimiter"):
        LeadImportOptions(default_timezone="UTC", delimiter="|")
    assert LeadImportOptions(default_timezone="UTC", default_region="us").default_region == "US"


# --- encodings -------------------------------------------------------------------------


def test_utf8_with_bom_is_accepted() -> None:
    data = "\ufeffphone,name\n+12125550100,Zoë\n".encode()
    result = import_leads(decode_lines(io.BytesIO(data)), OPTS)
    assert result.columns == ("phone", "name")
    assert result.leads[0].name == "Zoë"


def test_bom_left_in_text_is_tolerated() -> None:
    result = import_leads(lines("\ufeffphone\n+12125550100\n"), OPTS)
    assert result.columns == ("phone",)


def test_latin1_bytes_are_detected_with_line_and_byte() -> None:
    data = "phone,name\n+12125550100,Ann\n+12125550101,Zoé\n".encode("latin-1")
    with pytest.raises(LeadFileError) as info:
        import_leads(decode_lines(io.BytesIO(data)), OPTS)
    err = info.value
    assert err.line == 3
    assert "0xe9" in str(err)
    assert "latin-1" in str(err).lower()


def test_declared_latin1_is_decoded() -> None:
    data = "phone,name\n+12125550101,Zoé\n".encode("latin-1")
    result = import_leads(decode_lines(io.BytesIO(data), encoding="latin-1"), OPTS)
    assert result.leads[0].name == "Zoé"


def test_utf16_and_unknown_encodings_are_refused() -> None:
    data = "phone\n+12125550100\n".encode("utf-16")
    with pytest.raises(LeadFileError, match="UTF-16"):
        list(decode_lines(io.BytesIO(data)))
    with pytest.raises(LeadFileError, match="unknown encoding"):
        list(decode_lines([b"phone\n"], encoding="klingon"))
    with pytest.raises(LeadFileError, match="not supported"):
        list(decode_lines([b"phone\n"], encoding="shift_jis"))


def test_nul_bytes_or_runaway_fields_are_a_file_error() -> None:
    import csv

    limit = csv.field_size_limit()
    text = 'phone,note\n+12125550100,"' + "x" * (limit + 10) + "\n"
    with pytest.raises(LeadFileError, match="malformed CSV"):
        import_leads(lines(text), OPTS)


def test_streaming_yields_problems_in_order() -> None:
    reader = LeadReader(lines("phone\n+12125550100\nbad\n+12125550101\n"), OPTS)
    kinds = [type(item).__name__ for item in reader]
    assert kinds == ["Lead", "RowProblem", "Lead"]
