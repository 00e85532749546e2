"""The ``callrouter`` command: one Typer app, one sub-app per domain."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import typer

from callrouter import __version__
from callrouter.cli._asterisk import asterisk_app
from callrouter.cli._calls import calls_app, queues_app
from callrouter.cli._campaigns import campaigns_app
from callrouter.cli._customers import customers_app
from callrouter.cli._db import db_app
from callrouter.cli._dnc import dnc_app
from callrouter.cli._operators import operators_app
from callrouter.cli._panel import register as register_panel
from callrouter.cli._plan import register as register_plan
from callrouter.cli._recordings import recordings_app
from callrouter.cli._recordings_archive import register as register_recordings_archive
from callrouter.cli._report import register as register_report
from callrouter.cli._runtime import (
    CliState,
    console,
    emit_json,
    err_console,
    exit_code_for,
    state_of,
)
from callrouter.cli._serve import register as register_serve
from callrouter.cli._status import register as register_status
from callrouter.config import config_files, load_settings
from callrouter.errors import CallrouterError, ConfigError

__all__ = ["app", "main"]

app = typer.Typer(
    help="callrouter: call routing (ACD and dialer) beside Asterisk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(calls_app, name="calls")
app.add_typer(queues_app, name="queues")
register_panel(operators_app)
app.add_typer(operators_app, name="operators")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(dnc_app, name="dnc")
register_recordings_archive(recordings_app)
app.add_typer(recordings_app, name="recordings")
app.add_typer(customers_app, name="customers")
register_status(app)
register_report(app)
register_serve(app)
register_plan(app)
app.add_typer(asterisk_app, name="asterisk-conf")


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        envvar="CALLROUTER_CONFIG",
        help="Main config file (default ./callrouter.yml); conf.d/*.yml beside it is merged in.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Debug logs and full tracebacks."),
    tenant: str | None = typer.Option(
        None,
        "--tenant",
        envvar="CALLROUTER_TENANT",
        help="Act as one tenant: commands see and change only its calls, recordings,"
        " campaigns, customers and reports.",
    ),
) -> None:
    ctx.obj = CliState(config_path=config, debug=debug, tenant=tenant)


@app.command()
def version(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print callrouter's version."""
    info = {"callrouter": __version__, "python": platform.python_version()}
    if as_json:
        emit_json(info)
    else:
        console.print(f"callrouter {__version__} (Python {info['python']})")


@app.command("check-config")
def check_config(
    ctx: typer.Context,
    path: Path | None = typer.Argument(None, help="Config file to check [default: --config]."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Validate the configuration; report every error with file, line and field."""
    target = path or state_of(ctx).config_path or Path("callrouter.yml")
    try:
        settings = load_settings(target)
    except ConfigError as exc:
        if as_json:
            emit_json(
                {
                    "ok": False,
                    "errors": [
                        {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                        for p in exc.problems
                    ],
                }
            )
            raise typer.Exit(exit_code_for(exc)) from None
        raise
    files = [str(f) for f in config_files(target)] if target.exists() else []
    summary = {
        "ok": True,
        "files": files,
        "queues": len(settings.queues),
        "operators": len(settings.operators),
        "routes": len(settings.routes),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"OK: {len(files)} file(s), {summary['queues']} queue(s), "
            f"{summary['operators']} operator(s), {summary['routes']} route(s)"
        )


def main() -> None:
    """Entry point: domain errors become one line on stderr and a stable exit code."""
    debug = "--debug" in sys.argv
    try:
        app()
    except CallrouterError as exc:
        if debug:
            raise
        first, *rest = str(exc).splitlines() or [exc.error_id]
        err_console.print(f"[bold red]error[/] ({exc.error_id}): {first}", highlight=False)
        for line in rest:
            err_console.print(line, highlight=False, markup=False)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        sys.exit(130)
