"""``callrouter operators panel-secret``: the hashed secret an operator logs into their
panel with (``operators.<id>.panel_secret_hash``), or with ``--supervisor`` a supervisor
into the wallboard (``supervisors.<id>.panel_secret_hash``; see ``callrouter.web._auth``)."""

from __future__ import annotations

import typer

from callrouter.web import hash_secret

__all__ = ["register"]


def panel_secret(
    operator_id: str = typer.Argument(
        ..., help="The operator's (or supervisor's) id in the configuration."
    ),
    secret: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The operator's secret or PIN (asked for when left out: keep it out of the"
        " shell's history).",
    ),
    supervisor: bool = typer.Option(
        False, "--supervisor", help="For a supervisor signing into the wallboard."
    ),
) -> None:
    """Print the configuration lines that let an operator log into the operator panel."""
    if not secret:
        raise typer.BadParameter("an empty secret guards nothing", param_hint="secret")
    line = hash_secret(secret)
    section = "supervisors" if supervisor else "operators"
    typer.echo(f'{section}:\n  {operator_id}:\n    panel_secret_hash: "{line}"')


def register(operators: typer.Typer) -> None:
    operators.command("panel-secret")(panel_secret)
