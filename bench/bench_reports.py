"""Interval reports over a year of synthetic rows, with and without migration 014's indexes.

    .venv/bin/python bench/bench_reports.py [--calls 2000000] [--operators 60] [--dsn ...]

Without --dsn, starts the embedded PostgreSQL (pgserver) in a temporary folder and
applies the migrations. Generates with generate_series, in Europe/Berlin's 2026: inbound
calls spread over 08:00-20:00 local across 6 queues (80% answered, 12% abandoned, 3%
callbacks, 5% overflowed), four operator state rows per answered call (ringing, talk,
wrap-up, available) plus a daily login, lunch pause and logout per operator, and half as
many campaign attempts as calls. Then times each report (median of 3 runs) once with the
indexes dropped and once with them. Prints seconds per report; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from callrouter.config import Settings
from callrouter.store import DbConnection, apply_migrations, open_pool
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres
from callrouter.store.reports import ReportKind, ReportPeriod, period_of, run_report

ZONE = "Europe/Berlin"
YEAR_START = "2026-01-01 00:00:00+01"
MIGRATION_014 = Path(__file__).resolve().parents[1] / "migrations" / "014_report_indexes.sql"
_INDEXES = (
    "calls_queue_report_idx", "calls_answered_report_idx", "operator_state_log_at_idx",
    "operator_state_log_wrapup_idx", "operator_state_log_operator_at_id_idx",
    "attempts_started_idx",
)  # fmt: skip

# (name, report, from, to, interval)
CASES: list[tuple[str, ReportKind, str, str, str]] = [
    ("queues, one day by 15 min", "queues", "2026-10-25", "2026-10-25", "15m"),
    ("queues, one month by hour", "queues", "2026-06-01", "2026-06-30", "1h"),
    ("queues, the year by day", "queues", "2026-01-01", "2026-12-31", "1d"),
    ("operators, one day by 15 min", "operators", "2026-10-25", "2026-10-25", "15m"),
    ("operators, one month by day", "operators", "2026-06-01", "2026-06-30", "1d"),
    ("operators, the year by day", "operators", "2026-01-01", "2026-12-31", "1d"),
    ("campaigns, one day by hour", "campaigns", "2026-10-25", "2026-10-25", "1h"),
    ("campaigns, the year by day", "campaigns", "2026-01-01", "2026-12-31", "1d"),
]


def _settings(operators: int) -> Settings:
    return Settings.model_validate({
        "queues": {f"q{i}": {"service_level_s": 20, "wrapup_s": 10} for i in range(6)},
        "operators": {f"op{i}": {"endpoint": f"PJSIP/{100 + i}", "queues": {f"q{i % 6}": 0}}
                      for i in range(operators)},
        "reports": {"timezone": ZONE},
    })  # fmt: skip


async def generate(conn: DbConnection, *, calls: int, operators: int) -> None:
    await conn.execute(
        "INSERT INTO queues (name) SELECT 'q' || i FROM generate_series(0, 5) i;"
        f" INSERT INTO operators (id, endpoint) SELECT 'op' || i, 'PJSIP/' || (100 + i)"
        f"  FROM generate_series(0, {operators - 1}) i;"
        f" INSERT INTO queue_members (queue_name, operator_id) SELECT 'q' || (i % 6), 'op' || i"
        f"  FROM generate_series(0, {operators - 1}) i;"
        " INSERT INTO campaigns (name, mode, queue_name)"
        "  SELECT 'c' || i, 'predictive', 'q' || i FROM generate_series(0, 2) i;"
        " INSERT INTO leads (campaign_id, key, phone, timezone)"
        "  SELECT id, 'k', '+4930000', 'Europe/Berlin' FROM campaigns;"
    )
    # Calls: day d, second-of-day between 08:00 and 20:00 local.
    await conn.execute(
        "INSERT INTO calls (id, direction, queue_name, operator_id, created_at, queued_at,"
        " answered_at, ended_at, wait_s, talk_s, outcome)"
        " SELECT gen_random_uuid(), 'inbound', 'q' || (g % 6),"
        "  CASE WHEN o < 80 THEN 'op' || (g % $2) END, t, t,"
        "  CASE WHEN o < 80 THEN t + w * interval '1 s' END,"
        "  t + (w + CASE WHEN o < 80 THEN k ELSE 0 END) * interval '1 s', w,"
        "  CASE WHEN o < 80 THEN k END,"
        "  CASE WHEN o < 80 THEN 'answered' WHEN o < 92 THEN 'abandoned'"
        "   WHEN o < 95 THEN 'callback' ELSE 'overflowed' END"
        " FROM (SELECT g, (g * 7919) % 100 AS o, ((g * 104729) % 90)::float8 AS w,"
        "   (30 + (g * 15485863) % 570)::float8 AS k,"
        "   ($3::timestamptz AT TIME ZONE 'Europe/Berlin' + (g % 365) * interval '1 day'"
        "    + interval '8 hours' + ((g * 2654435761) % 43200) * interval '1 s')"
        "    AT TIME ZONE 'Europe/Berlin' AS t"
        "  FROM generate_series(1, $1::bigint) g) s",
        calls, operators, datetime.fromisoformat(YEAR_START),
    )  # fmt: skip
    # Four state rows per answered call, and each operator's day around them.
    await conn.execute(
        "INSERT INTO operator_state_log (operator_id, old_state, state, reason, at)"
        " SELECT operator_id, NULL, s.state, NULL, s.at FROM calls,"
        " LATERAL (VALUES ('offered', answered_at - interval '5 s'), ('on_call', answered_at),"
        "  ('wrapup', ended_at), ('available', ended_at + interval '10 s')) s(state, at)"
        " WHERE outcome = 'answered'"
    )
    await conn.execute(
        "INSERT INTO operator_state_log (operator_id, old_state, state, reason, at)"
        " SELECT 'op' || o, NULL, s.state, s.reason, d + s.at FROM"
        " generate_series(0, $1 - 1) o,"
        " generate_series($2::timestamptz, $2::timestamptz + interval '364 days',"
        "   interval '1 day', 'Europe/Berlin') d,"
        " LATERAL (VALUES ('available', NULL, interval '7 h 55 min'),"
        "  ('paused', 'lunch', interval '12 h'), ('available', NULL, interval '12 h 30 min'),"
        "  ('logged_out', NULL, interval '20 h 5 min')) s(state, reason, at)",
        operators, datetime.fromisoformat(YEAR_START),
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO attempts (campaign_id, lead_id, started_at, answered_at, ended_at, outcome)"
        " SELECT l.campaign_id, l.id, c.created_at, c.answered_at, c.ended_at,"
        "  CASE WHEN c.outcome = 'answered' THEN 'connected' ELSE 'no_answer' END"
        " FROM (SELECT * FROM calls LIMIT $1) c JOIN leads l"
        "  ON l.campaign_id = (SELECT min(id) FROM campaigns) + (abs(hashtext(c.id::text)) % 3)",
        calls // 2,
    )  # fmt: skip
    await conn.execute("VACUUM ANALYZE")


async def _timed(run: Callable[[], Awaitable[object]], repeats: int = 3) -> float:
    took = []
    for _ in range(repeats):
        started = time.perf_counter()
        await run()
        took.append(time.perf_counter() - started)
    return statistics.median(took)


async def time_reports(pool: asyncpg.Pool, settings: Settings) -> dict[str, float]:
    figures = {}
    for name, kind, first, last, interval in CASES:
        period = period_of(settings, start=first, end=last, interval=interval)

        async def run(kind: ReportKind = kind, period: ReportPeriod = period) -> object:
            async with pool.acquire() as conn:
                return await run_report(conn, kind, period, settings, now=datetime.now(UTC))

        figures[name] = await _timed(run)
    return figures


async def main(args: argparse.Namespace) -> None:
    workdir: Path | None = None
    dsn = args.dsn
    if dsn is None:
        workdir = Path(tempfile.mkdtemp(prefix="callrouter-bench-reports-"))
        workdir.chmod(0o755)
        dsn = start_embedded_postgres(workdir)
    try:
        async with open_pool(dsn, min_size=1, max_size=2) as pool:
            async with pool.acquire() as conn:
                await apply_migrations(conn)
                started = time.perf_counter()
                await generate(conn, calls=args.calls, operators=args.operators)
                counts = await conn.fetchrow(
                    "SELECT (SELECT count(*) FROM calls) AS calls,"
                    " (SELECT count(*) FROM operator_state_log) AS states,"
                    " (SELECT count(*) FROM attempts) AS attempts"
                )
                assert counts is not None
                print(
                    f"generated {counts['calls']:,} calls, {counts['states']:,} state rows,"
                    f" {counts['attempts']:,} attempts in {time.perf_counter() - started:.0f} s"
                )
                await conn.execute(
                    "; ".join(f"DROP INDEX {name}" for name in _INDEXES)
                    + "; CREATE INDEX operator_state_log_operator_at_idx"
                    " ON operator_state_log (operator_id, at); ANALYZE"
                )  # fmt: skip
            settings = _settings(args.operators)
            without = await time_reports(pool, settings)
            async with pool.acquire() as conn:
                await conn.execute(MIGRATION_014.read_text() + "; ANALYZE")
            with_indexes = await time_reports(pool, settings)
        print(f"{'report':34} {'without 014':>12} {'with 014':>10}")
        for name, _, _, _, _ in CASES:
            print(f"{name:34} {without[name]:11.3f}s {with_indexes[name]:9.3f}s")
    finally:
        if workdir is not None:
            stop_embedded_postgres(workdir)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--operators", type=int, default=60)
    parser.add_argument("--dsn", default=None, help="an existing, empty database")
    asyncio.run(main(parser.parse_args()))
