"""The record spool on real files: codec, torn and corrupt lines, segments, group commit."""

from __future__ import annotations

import contextlib
import stat
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from callrouter.config import DatabaseSettings
from callrouter.store._pool import resolve_spool_dir
from callrouter.store._spool import Spool, Spooled, SpoolError
from callrouter.store._spool_codec import decode_line, encode_line
from callrouter.store.records import CallEventRow, CallUpdate, Record
from tests.store.spool_child import a_call

pytestmark = pytest.mark.filterwarnings("error")


def records(first: int, count: int) -> list[Record]:
    return [r for n in range(first, first + count) for r in a_call(n)]


async def spool_with(folder: Path, items: list[Record], **options: float) -> list[Spooled]:
    """A spool a process wrote ``items`` to and then died (closed without commits)."""
    spool = Spool(folder, **options)  # type: ignore[arg-type]
    await spool.open()
    entries = [spool.append(r) for r in items]
    await spool.close()
    return entries


def test_every_value_a_record_holds_comes_back_equal() -> None:
    awkward = CallEventRow(
        uuid.uuid4(),
        datetime(2026, 3, 29, 2, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        "CUSTOM",
        data={
            "$uuid": "not a tag",
            "$$dollars": 1,
            "nested": [{"$dt": "still text"}, (1, 2)],
            "line\nbreak": "é\u2028",
            "when": date(2026, 1, 2),
            "took": timedelta(seconds=1.5),
            "exact": Decimal("0.10"),
        },
    )
    update = CallUpdate(uuid.uuid4(), {"wait_s": 1.25, "ended_at": datetime.now(UTC)})
    for seq, record in enumerate((awkward, update, *a_call(7)), start=1):
        line = encode_line(seq, record)
        assert line.count(b"\n") == 1 and line.endswith(b"\n")
        got_seq, got = decode_line(line)
        expected = record
        if record is awkward:
            # Tuples come back as lists, as they would from jsonb.
            data = dict(awkward.data, nested=[{"$dt": "still text"}, [1, 2]])
            expected = CallEventRow(awkward.call_id, awkward.at, "CUSTOM", data=data)
        assert (got_seq, got) == (seq, expected)


def test_a_value_the_codec_does_not_know_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot spool a set"):
        encode_line(1, CallUpdate(uuid.uuid4(), {"outcome": {"a"}}))


async def test_leftovers_come_back_in_order_with_their_places(tmp_path: Path) -> None:
    entries = await spool_with(tmp_path, records(0, 40), segment_bytes=2000)
    assert len(list(tmp_path.glob("*.jsonl"))) > 3  # rotated
    spool = Spool(tmp_path)
    leftovers = await spool.open()
    assert leftovers == entries
    # The new run numbers its records afresh and never collides with the old one.
    fresh = spool.append(records(99, 1)[0])
    assert fresh.seq == 1 and fresh.run != entries[0].run
    await spool.close()


async def test_several_crashed_runs_come_back_oldest_first(tmp_path: Path) -> None:
    older = await spool_with(tmp_path, records(0, 5), segment_bytes=1500)
    newer = await spool_with(tmp_path, records(5, 5), segment_bytes=1500)
    spool = Spool(tmp_path)
    assert await spool.open() == older + newer
    spool.committed(older[-1])  # the older run's files go, the newer run's stay
    assert {p.name.split("-")[0] for p in tmp_path.glob("*.jsonl")} == {"00000002", "00000003"}
    spool.committed(newer[-1])
    await spool.close()
    assert list(tmp_path.glob("*.jsonl")) == []


async def test_a_torn_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    entries = await spool_with(tmp_path, records(0, 3))
    (segment,) = tmp_path.glob("*.jsonl")
    whole = segment.read_bytes()
    segment.write_bytes(whole + encode_line(99, records(5, 1)[0])[:37])
    spool = Spool(tmp_path)
    with capture_logs() as logs:
        assert await spool.open() == entries
    await spool.close()
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["spool_torn_line"]


async def test_a_corrupt_line_is_skipped_and_the_rest_still_read(tmp_path: Path) -> None:
    entries = await spool_with(tmp_path, records(0, 2))
    (segment,) = tmp_path.glob("*.jsonl")
    lines = segment.read_bytes().splitlines(keepends=True)
    lines[3] = b"\x00" * 40 + b"\n"  # what a power loss can leave behind
    segment.write_bytes(b"".join(lines))
    spool = Spool(tmp_path)
    with capture_logs() as logs:
        assert await spool.open() == entries[:3] + entries[4:]
    await spool.close()
    assert "spool_corrupt_line" in [e["event"] for e in logs]


async def test_segments_go_once_postgresql_has_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=2000)
    await spool.open()
    entries = [spool.append(r) for r in records(0, 40)]
    assert len(list(tmp_path.glob("*.jsonl"))) > 3
    spool.committed(entries[-1])
    # Only the segment still appended to is left, until a clean close.
    assert len(list(tmp_path.glob("*.jsonl"))) == 1
    await spool.close()
    assert list(tmp_path.glob("*.jsonl")) == []
    assert spool.size_bytes == 0


async def test_what_postgresql_lacks_is_kept_at_close(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=2000)
    await spool.open()
    entries = [spool.append(r) for r in records(0, 40)]
    spool.committed(entries[19])
    await spool.close()
    again = Spool(tmp_path)
    leftovers = await again.open()
    await again.close()
    # Whole segments at or below the mark are gone; the writer skips the rest by mark.
    assert leftovers == entries[-len(leftovers) :]
    assert entries[20] in leftovers and entries[0] not in leftovers


async def test_one_fsync_covers_many_records(tmp_path: Path) -> None:
    spool = Spool(tmp_path, sync_interval_s=0.05)
    await spool.open()
    for r in records(0, 400):
        spool.append(r)
    await spool.wait_synced()
    assert 1 <= spool.syncs <= 3
    await spool.close()


async def test_a_folder_is_one_process_s(tmp_path: Path) -> None:
    first = Spool(tmp_path)
    await first.open()
    with pytest.raises(SpoolError, match="in use"):
        await Spool(tmp_path).open()
    await first.close()
    second = Spool(tmp_path)
    await second.open()
    await second.close()


async def test_a_growing_spool_says_so_and_when_it_drains(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=1000, warn_bytes=3000)
    await spool.open()
    with capture_logs() as logs:
        entries = [spool.append(r) for r in records(0, 30)]
        spool.committed(entries[-1])
    await spool.close()
    large = [e for e in logs if e["event"] == "spool_large"]
    assert [e["bytes"] >= 3000 for e in large] == [True] * len(large)
    assert 1 <= len(large) <= 4  # at 3000 bytes, then at each doubling only
    assert logs[-1]["event"] == "spool_drained"


async def test_a_record_that_cannot_be_journalled_still_goes_to_postgresql(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path)
    await spool.open()
    odd = CallUpdate(uuid.uuid4(), {"outcome": {"a set"}})
    with capture_logs() as logs:
        entry = spool.append(odd)
        spool.append(records(0, 1)[0])
    assert entry.record is odd and spool.errors == 1
    assert [e["event"] for e in logs] == ["spool_write_failed", "spool_write_recovered"]
    await spool.close()


def test_the_spool_folder_sits_beside_the_config_unless_absolute(tmp_path: Path) -> None:
    assert resolve_spool_dir(DatabaseSettings(), base_dir=tmp_path) == tmp_path / "var/spool"
    settings = DatabaseSettings(spool_dir=Path("/srv/spool"))
    assert resolve_spool_dir(settings, base_dir=tmp_path) == Path("/srv/spool")


LINE = encode_line(7, a_call(7)[1])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(LINE) - 1).map(lambda cut: LINE[:cut]),
        st.tuples(st.integers(0, len(LINE) - 1), st.integers(0, 255)).map(
            lambda flip: LINE[: flip[0]] + bytes([flip[1]]) + LINE[flip[0] + 1 :]
        ),
        st.sampled_from([b"123", b"[]", b'{"s":1,"k":"CallUpdate","r":[]}', b'{"$dec":"x"}']),
    )
)
def test_a_damaged_line_is_a_value_error_and_nothing_else(line: bytes) -> None:
    with contextlib.suppress(ValueError):
        decode_line(line)


async def test_only_the_owner_can_read_the_spool(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    spool = Spool(folder)
    await spool.open()
    spool.append(records(0, 1)[0])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    await spool.close()
