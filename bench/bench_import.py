"""Lead import into PostgreSQL: parse (pure LeadReader) + binary COPY + upsert by key.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--seed 1] [--dsn postgresql://...]

Without --dsn, starts the embedded PostgreSQL (pgserver) in a temporary folder and
applies the migrations. Generates the CSV in memory first (the same mix of US and
German numbers as bench_dialer.py, with 0.5% bad rows), then times three imports into
one campaign: the first (all inserts), a re-import of the same file (all unchanged) and
a re-import with every name changed (all updates). Prints rows/s; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from callrouter.config import Settings
from callrouter.dialer import LeadImportOptions, LeadReader
from callrouter.dialer import store as dialer_store
from callrouter.store import apply_migrations, open_pool
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres

US_AREA_CODES = ("212", "312", "415", "713", "305", "206", "617", "404", "602", "907")
DE_PREFIXES = ("30", "40", "89", "221", "69")


def _row(rng: random.Random, i: int, tag: str) -> str:
    kind = rng.random()
    region = ""
    if kind < 0.005:
        number = "12"  # too short: rejected with its line number
    elif kind < 0.6:
        number = f"({rng.choice(US_AREA_CODES)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
    elif kind < 0.9:
        number = f"+49 {rng.choice(DE_PREFIXES)} {rng.randint(1000000, 9999999)}"
    else:
        number = f"0{rng.choice(DE_PREFIXES)} {rng.randint(1000000, 9999999)}"
        region = "DE"
    return f'L{i},{number},"Lead {i}{tag}, Jr.",{region},{rng.choice(("gold", "silver"))}\n'


def generated_csv(rows: int, seed: int, tag: str = "") -> list[str]:
    rng = random.Random(seed)
    lines = ["key,phone,name,region,plan\n"]
    lines.extend(_row(rng, i, tag) for i in range(rows))
    return lines


def _settings() -> Settings:
    return Settings.model_validate({
        "queues": {"sales": {}},
        "campaigns": {"bench": {"queue": "sales", "default_timezone": "America/New_York",
                                "default_region": "US"}},
    })  # fmt: skip


async def run(dsn: str, rows: int, seed: int) -> None:
    first = generated_csv(rows, seed)
    renamed = generated_csv(rows, seed, tag=" II")
    options = LeadImportOptions(default_timezone="America/New_York", default_region="US")
    started = time.perf_counter()
    for _ in LeadReader(iter(first), options):
        pass
    elapsed = time.perf_counter() - started
    print(f"{'parse only (no DB)':<20} {rows:,} rows in {elapsed:5.2f} s = "
          f"{rows / elapsed:8,.0f} rows/s")
    async with open_pool(dsn, min_size=1, max_size=2) as pool, pool.acquire() as conn:
        await apply_migrations(conn)
        await dialer_store.sync_campaigns(conn, _settings())
        for label, lines in (("first import", first), ("same file again", first),
                             ("every name changed", renamed)):  # fmt: skip
            started = time.perf_counter()
            report = await dialer_store.import_leads(conn, "bench", iter(lines),
                                                     now=datetime.now(UTC))  # fmt: skip
            elapsed = time.perf_counter() - started
            print(f"{label:<20} {rows:,} rows in {elapsed:5.2f} s = {rows / elapsed:8,.0f} rows/s"
                  f"  (inserted {report.inserted:,}, updated {report.updated:,}, unchanged "
                  f"{report.unchanged:,}, skipped {len(report.skipped):,})")
        count = await conn.fetchval("SELECT count(*) FROM leads")
        print(f"leads in the table: {count:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dsn", default=None, help="Use this (empty) database instead.")
    args = parser.parse_args()
    if args.dsn:
        asyncio.run(run(args.dsn, args.rows, args.seed))
        return
    folder = Path(tempfile.mkdtemp(prefix="callrouter-bench-"))
    folder.chmod(0o755)  # as root, pgserver's own user must reach it
    try:
        asyncio.run(run(start_embedded_postgres(folder), args.rows, args.seed))
    finally:
        stop_embedded_postgres(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
