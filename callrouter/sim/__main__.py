"""``python -m callrouter.sim``: run the simulated Asterisk standalone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from callrouter.sim._server import (
    DEFAULT_APP,
    DEFAULT_HOST,
    DEFAULT_PASSWORD,
    DEFAULT_PORT,
    DEFAULT_USERNAME,
    run_simulator,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m callrouter.sim", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--recordings-dir", type=Path, default=None)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--app", default=DEFAULT_APP, help="default Stasis app for /sim/calls")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_simulator(
                host=args.host,
                port=args.port,
                username=args.username,
                password=args.password,
                recordings_dir=args.recordings_dir,
                time_scale=args.time_scale,
                default_app=args.app,
            )
        )


if __name__ == "__main__":
    main()
