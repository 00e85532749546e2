"""``callrouter asterisk-conf ...``: the Asterisk config that must agree with callrouter's."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

import typer

from callrouter.asterisk_conf import (
    AriPasswordFormat,
    ConfFile,
    ConfSyntaxError,
    Part,
    parse_file,
    render,
)
from callrouter.cli._runtime import err_console, state_of
from callrouter.config import DEFAULT_CONFIG_PATH
from callrouter.errors import CallrouterError, ConfigError, ConfigProblem

__all__ = ["asterisk_app"]

asterisk_app = typer.Typer(
    help="Asterisk config that must agree with callrouter's: render it, don't copy it by hand.",
    no_args_is_help=True,
)

# A new file may hold secrets (SIP passwords, a plain ARI password): owner and group
# only. The group comes from the folder, so in /etc/asterisk Asterisk can read it.
_NEW_FILE_MODE = 0o640


@asterisk_app.command("render")
def render_command(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        exists=True,
        file_okay=False,
        dir_okay=True,
        help="Write the files into this directory (e.g. /etc/asterisk) instead of stdout.",
    ),
    only: list[Part] = typer.Option(
        [],
        "--only",
        help="Render only pjsip (pjsip_operators.conf), ari (ari.conf) or http (http.conf); "
        "repeat for several. (default: all three)",
    ),
    ari_password: AriPasswordFormat = typer.Option(
        AriPasswordFormat.CRYPT,
        "--ari-password",
        help="How ari.conf holds the ARI password: a SHA-512 crypt hash, or plain text.",
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Fail (exit 3) instead of noting placeholder passwords, skipped operators or "
        "the sample ARI password; nothing is written then.",
    ),
) -> None:
    """Render pjsip_operators.conf, ari.conf and http.conf from callrouter's config.

    SIP passwords come from CALLROUTER_SIP_PASSWORD_<ENDPOINT>, e.g. ..._101 for PJSIP/101.

    Notes go to stderr, so stdout is a file you can redirect.
    """
    state = state_of(ctx)
    settings = state.settings
    source = str(state.config_path or DEFAULT_CONFIG_PATH)
    parts = only or list(Part)
    notes: list[str] = []
    existing = None
    if output is not None and Part.ARI in parts:
        existing = _existing_ari(output / Part.ARI.filename, notes)
    rendering = render(
        settings,
        parts=parts,
        ari_password_format=ari_password,
        existing_ari=existing,
        source=source,
    )
    notes += rendering.notes
    if strict and notes:
        raise ConfigError([ConfigProblem(source, None, "--strict", note) for note in notes])
    for note in notes:
        err_console.print(f"note: {note}", highlight=False, markup=False)
    if output is None:
        sys.stdout.write("\n".join(file.text for file in rendering.files))
        return
    for file in rendering.files:
        target = output / file.name
        _write_atomically(target, file.text)
        sys.stdout.write(f"wrote {target}\n")  # plain: rich would wrap long paths


def _existing_ari(path: Path, notes: list[str]) -> ConfFile | None:
    if not path.exists():
        return None
    try:
        return parse_file(path)
    except ConfSyntaxError as exc:
        notes.append(f"cannot read the current {path} ({exc}); its password hash is not reused")
        return None


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step, keeping an existing file's mode and owner."""
    try:
        current: os.stat_result | None = path.stat()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise CallrouterError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise CallrouterError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, stat.S_IMODE(current.st_mode) if current else _NEW_FILE_MODE)
        owner = current or path.parent.stat()
        # Only root may give a file away; anyone else keeps what mkstemp gave them.
        with contextlib.suppress(PermissionError):
            os.chown(temporary, owner.st_uid if current else -1, owner.st_gid)
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise CallrouterError(f"cannot write {path}: {exc.strerror}") from exc
        raise
