"""The record spool: every row for PostgreSQL, journalled on local disk until committed.

Theory of operation:

- Each process that opens the spool starts a *run* (a fresh UUID). Each record it
  spools gets the run's next sequence number (1, 2, ...) and is appended as one line
  (``_spool_codec``) to the run's current *segment* file with a single ``write(2)``,
  straight from ``append`` (no await): once ``append`` returns, the line is in the
  kernel's page cache and survives the death of this process, ``kill -9`` included.
- One background task makes lines durable against a power loss: whenever lines were
  appended it waits until ``sync_interval_s`` has passed since its last sync began,
  then ``fdatasync``s every segment written since, in a worker thread so the event loop
  never waits on the disk. Every line appended meanwhile rides along in the next sync:
  one fsync per group of records (group commit), never one per record.
- The writer tells the spool what PostgreSQL has committed (``committed``). A segment
  is deleted once PostgreSQL has every record in it (or refused one for good) and it is
  no longer being appended to; a segment is rotated at ``segment_bytes``.
- ``open`` reads what earlier processes left, oldest first, skipping a torn last line
  (a crash mid-write) or a corrupt one with a log line, never failing on it. Those
  records keep their own run and number; PostgreSQL's ``record_spools`` table holds,
  per run, the last number committed, written in the same transaction as the rows, so
  a record replayed twice is skipped the second time (see ``writer.py``). Runs make
  numbers unique without trusting the file's tail: a power loss may drop lines that
  PostgreSQL already has, and a fresh run can never collide with them.
- Why every record and not only those PostgreSQL is slow to take: the records of a
  batch in flight live only in memory until their commit, so a kill at that moment
  would lose them, and "slow" can only be judged after the fact. Journalling costs
  about 12 µs per ``put`` (encoding is most of it; bench/bench_writer.py), against
  100-200 µs per record for PostgreSQL to take it.
- A spool is one stream of records of the kinds its codec holds (``_spool_codec``): the
  row writer's in ``database.spool_dir``, the webhook deliveries in its ``webhooks``
  subfolder (``callrouter/crm/_journal.py``). Each stream keeps its own marks, under
  its own run ids, in ``record_spools``: :func:`read_marks` and :func:`write_marks`,
  called in the transaction that writes the records.
- A folder is used by one process at a time (``flock`` on ``.lock``; the kernel drops
  it when the process dies, however it dies). When its size passes ``warn_bytes`` the
  spool logs it, again at each doubling, and once more when it drains.

Files: ``RRRRRRRR-SSSSSSSSSSSS-<run>.jsonl`` (run number in this folder, first sequence
number of the segment, run id) and ``.lock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic

import structlog

from callrouter.errors import CallrouterError
from callrouter.store._pool import DbConnection
from callrouter.store._spool_codec import ROW_CODEC, SpoolCodec, T

__all__ = [
    "DEFAULT_SEGMENT_BYTES",
    "DEFAULT_SYNC_INTERVAL_S",
    "DEFAULT_WARN_BYTES",
    "Spool",
    "SpoolError",
    "Spooled",
    "read_marks",
    "write_marks",
]

log = structlog.get_logger(__name__)

DEFAULT_SEGMENT_BYTES = 4 * 2**20
DEFAULT_WARN_BYTES = 64 * 2**20
DEFAULT_SYNC_INTERVAL_S = 0.01
_SEGMENT_NAME = re.compile(r"^(\d{8})-(\d{12})-([0-9a-f]{32})\.jsonl$")
_LOCK_NAME = ".lock"


class SpoolError(CallrouterError):
    error_id = "spool"


@dataclass(frozen=True, slots=True)
class Spooled(Generic[T]):
    """A record and its place: run and sequence number (no run: not journalled)."""

    seq: int
    record: T
    run: uuid.UUID | None = None

    def written(self, marks: dict[uuid.UUID, int]) -> bool:
        """Whether PostgreSQL has this record, by its run's mark (:func:`read_marks`)."""
        return self.run is not None and self.seq <= marks.get(self.run, 0)


@dataclass(slots=True, eq=False)
class _Segment:
    path: Path
    run: uuid.UUID
    run_no: int
    first_seq: int
    last_seq: int  # of the last line written to it; first_seq - 1 while empty
    size: int = 0
    fd: int | None = None  # open while it is appended to or still awaits its fsync

    @property
    def end(self) -> tuple[int, int]:
        return (self.run_no, self.last_seq)


class Spool(Generic[T]):
    def __init__(
        self,
        directory: Path,
        *,
        codec: SpoolCodec[T] = ROW_CODEC,  # type: ignore[assignment]
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        warn_bytes: int = DEFAULT_WARN_BYTES,
        sync_interval_s: float = DEFAULT_SYNC_INTERVAL_S,
    ) -> None:
        if segment_bytes < 1 or warn_bytes < 1 or sync_interval_s < 0:
            raise ValueError("segment_bytes and warn_bytes must be positive, sync_interval_s >= 0")
        self.directory = directory
        self._codec = codec
        # Every line names the folder: a node has one spool per stream.
        self._log = log.bind(directory=str(directory))
        self._segment_bytes = segment_bytes
        self._warn_bytes = warn_bytes
        self._sync_interval_s = sync_interval_s
        self._lock_fd: int | None = None
        self._run = uuid.uuid4()
        self._run_no = 0
        self._run_numbers: dict[uuid.UUID, int] = {}
        self._segments: deque[_Segment] = deque()  # files on disk, oldest first
        self._current: _Segment | None = None
        self._retired: list[_Segment] = []  # no longer appended to; fd open until synced
        self._next_seq = 1
        self._written_seq = 0
        self._synced_seq = 0
        self._done: tuple[int, int] = (0, 0)  # (run number, seq) PostgreSQL has up to
        self._bytes = 0
        self._next_warning = warn_bytes
        self._dir_dirty = False
        self._dirty = asyncio.Event()
        self._synced = asyncio.Condition()
        self._last_sync = 0.0
        self._sync_task: asyncio.Task[None] | None = None
        self._failing = 0  # records not journalled since the disk started failing
        self.syncs = 0
        self.errors = 0

    @property
    def is_open(self) -> bool:
        return self._lock_fd is not None

    @property
    def run(self) -> uuid.UUID:
        return self._run

    @property
    def size_bytes(self) -> int:
        return self._bytes

    async def open(self) -> list[Spooled[T]]:
        """Lock the folder, start this run; return the records earlier runs left, in order."""
        # Owner only: the lines hold callers' numbers and names, as the database does.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock()
        leftovers = self._read_leftovers()
        self._run_no = max((s.run_no for s in self._segments), default=0) + 1
        self._run_numbers[self._run] = self._run_no
        self._current = self._new_segment(self._next_seq)
        _fsync_dir(self.directory)
        self._dir_dirty = False
        self._sync_task = asyncio.create_task(self._sync_loop(), name="spool-sync")
        if leftovers:
            self._log.info("spool_leftovers", records=len(leftovers), bytes=self._bytes)
        return leftovers

    def append(self, record: T) -> Spooled[T]:
        """Journal ``record`` (one write(2), no await) and return it with its place.

        A record that cannot be journalled (disk full, I/O error, a value the codec
        does not know) is still returned, for PostgreSQL, and counted in ``errors``.
        """
        seq = self._next_seq
        self._next_seq += 1
        entry = Spooled(seq, record, self._run)
        try:
            line = self._codec.encode_line(seq, record)
            segment = self._writable_segment(seq)
            assert segment.fd is not None
            _write_all(segment.fd, line)
        except (OSError, TypeError, ValueError, RecursionError) as exc:
            # The disk, or a value json cannot write (circular, too deep): the record
            # still goes to PostgreSQL, it is only not journalled.
            self._not_journalled(exc)
            return entry
        if self._failing:
            self._log.warning("spool_write_recovered", not_journalled=self._failing)
            self._failing = 0
        segment.size += len(line)
        segment.last_seq = seq
        self._written_seq = seq
        self._bytes += len(line)
        self._dirty.set()
        if self._bytes >= self._next_warning:
            self._log.warning("spool_large", bytes=self._bytes, segments=len(self._segments))
            self._next_warning *= 2
        return entry

    def committed(self, entry: Spooled[T]) -> None:
        """PostgreSQL has every record up to ``entry`` (or refused it for good)."""
        if entry.run is None:
            return
        self._done = max(self._done, (self._run_numbers[entry.run], entry.seq))
        while self._segments and self._segments[0] is not self._current:
            if self._segments[0].end > self._done:
                break
            self._remove(self._segments.popleft())
        if self._bytes < self._warn_bytes < self._next_warning:
            self._log.info("spool_drained", bytes=self._bytes)
            self._next_warning = self._warn_bytes

    async def wait_synced(self) -> None:
        """Wait until every line appended so far is on disk (fdatasync'd)."""
        target = self._written_seq
        async with self._synced:
            await self._synced.wait_for(lambda: self._synced_seq >= target)

    async def close(self) -> None:
        """Sync and release the folder; segments PostgreSQL has in full are deleted."""
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        open_segments = self._retired + ([self._current] if self._current else [])
        fds = [s.fd for s in open_segments if s.fd is not None]
        try:
            _fdatasync_all(fds, self.directory if self._dir_dirty else None)
        finally:
            for fd in fds:
                os.close(fd)
        self._retired, self._current = [], None
        for segment in list(self._segments):
            if segment.end <= self._done or segment.last_seq < segment.first_seq:
                self._segments.remove(segment)
                self._remove(segment)
        if self._segments:
            self._log.warning("spool_kept", segments=len(self._segments), bytes=self._bytes)
        assert self._lock_fd is not None
        os.close(self._lock_fd)  # releases the flock
        self._lock_fd = None

    # -- files --------------------------------------------------------------------

    def _lock(self) -> None:
        fd = os.open(self.directory / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolError(f"spool {self.directory} is in use by another process") from None
        self._lock_fd = fd

    def _read_leftovers(self) -> list[Spooled[T]]:
        found = []
        for path in self.directory.iterdir():
            match = _SEGMENT_NAME.match(path.name)
            if match:
                run_no, first_seq, run = int(match[1]), int(match[2]), uuid.UUID(match[3])
                found.append((run_no, first_seq, run, path))
        leftovers: list[Spooled[T]] = []
        for run_no, first_seq, run, path in sorted(found):
            self._run_numbers[run] = run_no
            segment = _Segment(path, run, run_no, first_seq, first_seq - 1)
            for seq, record in self._codec.read_segment(path, after=first_seq - 1):
                leftovers.append(Spooled(seq, record, run))
                segment.last_seq = seq
            segment.size = path.stat().st_size
            self._bytes += segment.size
            self._segments.append(segment)
        return leftovers

    def _writable_segment(self, seq: int) -> _Segment:
        current = self._current
        if current is None or current.size >= self._segment_bytes:
            fresh = self._new_segment(seq)
            if current is not None:
                self._retired.append(current)
            current = self._current = fresh
        return current

    def _new_segment(self, first_seq: int) -> _Segment:
        path = self.directory / f"{self._run_no:08d}-{first_seq:012d}-{self._run.hex}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        segment = _Segment(path, self._run, self._run_no, first_seq, first_seq - 1, fd=fd)
        self._segments.append(segment)
        self._dir_dirty = True
        return segment

    def _remove(self, segment: _Segment) -> None:
        # An open fd is left to the sync task (it may be syncing it right now), which
        # closes it. An unlink lost to a power loss is harmless: PostgreSQL knows those
        # records, so a replay skips them.
        with contextlib.suppress(FileNotFoundError):
            segment.path.unlink()
        self._bytes -= segment.size

    def _not_journalled(self, exc: Exception) -> None:
        self.errors += 1
        if not self._failing:
            self._log.error("spool_write_failed", error=str(exc))
        self._failing += 1
        if isinstance(exc, OSError) and self._current is not None:
            # A new segment for the next line: a torn fragment then ends its file, where
            # a reader expects one, instead of gluing onto the next record.
            self._retired.append(self._current)
            self._current = None

    # -- group commit -------------------------------------------------------------

    async def _sync_loop(self) -> None:
        while True:
            await self._dirty.wait()
            delay = self._last_sync + self._sync_interval_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._dirty.clear()
            self._last_sync = time.monotonic()
            await self._sync_once()

    async def _sync_once(self) -> None:
        target = self._written_seq
        retired = list(self._retired)
        segments = retired + ([self._current] if self._current is not None else [])
        fds = [s.fd for s in segments if s.fd is not None]
        directory = self.directory if self._dir_dirty else None
        self._dir_dirty = False
        job = asyncio.ensure_future(asyncio.to_thread(_fdatasync_all, fds, directory))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            # The thread still uses the fds: let it finish before anyone closes them.
            with contextlib.suppress(OSError):
                await job
            raise
        except OSError as exc:
            # After a failed fsync the kernel may have dropped the dirty pages: the
            # records still go to PostgreSQL from memory, but this copy is not trusted.
            self.errors += 1
            self._dir_dirty = self._dir_dirty or directory is not None
            self._log.error("spool_sync_failed", error=str(exc))
            return
        self.syncs += 1
        for segment in retired:
            assert segment.fd is not None
            os.close(segment.fd)
            segment.fd = None
            self._retired.remove(segment)
        async with self._synced:
            self._synced_seq = target
            self._synced.notify_all()


async def read_marks(conn: DbConnection, entries: Iterable[Spooled[Any]]) -> dict[uuid.UUID, int]:
    """Each run's mark (the last number PostgreSQL has; 0: none), locked until the end of
    ``conn``'s transaction so two writers cannot both take a record as new."""
    marks: dict[uuid.UUID, int] = {}
    for run in {entry.run for entry in entries if entry.run is not None}:
        mark = await conn.fetchval(
            "SELECT seq FROM record_spools WHERE spool_id = $1 FOR UPDATE", run
        )
        marks[run] = mark or 0
    return marks


async def write_marks(conn: DbConnection, entries: Iterable[Spooled[Any]]) -> None:
    """Move each run's mark to its last entry in ``entries`` (never back)."""
    last: dict[uuid.UUID, int] = {}
    for entry in entries:
        if entry.run is not None:
            last[entry.run] = entry.seq
    for run, seq in last.items():
        await conn.execute(
            "INSERT INTO record_spools (spool_id, seq) VALUES ($1, $2) ON CONFLICT (spool_id)"
            " DO UPDATE SET seq = greatest(record_spools.seq, excluded.seq), updated_at = now()",
            run,
            seq,
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fdatasync_all(fds: list[int], directory: Path | None) -> None:
    for fd in fds:
        os.fdatasync(fd)
    if directory is not None:
        _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
