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
    Placeholder,
    conf_placeholders,
    parse_file,
    render,
    yaml_placeholders,
)
from callrouter.cli._runtime import emit_json, err_console, state_of
from callrouter.config import DEFAULT_CONFIG_PATH, config_files
from callrouter.errors import CallrouterError, ConfigError, ConfigProblem, NotFound

__all__ = ["asterisk_app"]

asterisk_app = typer.Typer(
    help="Asterisk config that must agree with callrouter's: render it (don't copy it by "
    "hand), check it for placeholders left.",
    no_args_is_help=True,
)

# A new file may hold secrets (SIP passwords, a plain ARI password): owner and group
# only. The group comes from the folder, so in /etc/asterisk Asterisk can read it. A file
# that holds secrets never keeps more than this, whatever mode it had (a sample copied in
# with cp is 0644); one that holds none (http.conf) keeps its mode.
SECRET_FILE_MODE = 0o640


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
        tightened = _write_atomically(target, file.text, secret=file.part.holds_secrets)
        if tightened is not None:
            err_console.print(
                f"note: {target} was mode {tightened:04o}, readable beyond its owner and "
                f"group; now {stat.S_IMODE(target.stat().st_mode):04o}: it holds passwords",
                highlight=False,
                markup=False,
            )
        sys.stdout.write(f"wrote {target}\n")  # plain: rich would wrap long paths


# Exit code when placeholders remain: the configuration is not ready (as for a config error).
EXIT_PLACEHOLDERS = 3


@asterisk_app.command("check")
def check_command(
    ctx: typer.Context,
    folder: Path = typer.Argument(
        Path("/etc/asterisk"),
        exists=True,
        file_okay=False,
        dir_okay=True,
        help="Asterisk's config folder to check.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List every placeholder still in FOLDER/*.conf and in callrouter's config.

    CHANGE-ME, sip.example.net and other example names, documentation addresses
    (192.0.2.x, 198.51.100.x, 203.0.113.x, 2001:db8::), the sample passwords: each with
    its file, line and what belongs there. Comments are not checked. callrouter's
    config counts a ${NAME:-change-me} default while NAME is unset here.

    Exit code 0 when none is left, 3 otherwise.
    """
    files = sorted(folder.glob("*.conf"))
    if not files:
        raise NotFound(f"no *.conf files in {folder}")
    found: list[Placeholder] = []
    for path in files:
        found += conf_placeholders(str(path), _read_text(path))
    config = state_of(ctx).config_path or DEFAULT_CONFIG_PATH
    if config.is_file():
        for path in config_files(config):
            found += yaml_placeholders(str(path), _read_text(path), os.environ)
    else:
        err_console.print(f"note: {config} not found: callrouter's config was not checked",
                          highlight=False, markup=False)  # fmt: skip
    if as_json:
        emit_json([{"file": p.file, "line": p.line, "text": p.text, "hint": p.hint}
                   for p in found])  # fmt: skip
    else:
        for placeholder in found:
            sys.stdout.write(f"{placeholder}\n")  # plain: rich would wrap long paths
        checked = f"{len(files)} Asterisk file(s) in {folder}"
        summary = (f"{len(found)} placeholder(s) left" if found
                   else f"no placeholders: {checked} and {config} are filled in")  # fmt: skip
        err_console.print(summary, highlight=False, markup=False)
    if found:
        raise typer.Exit(EXIT_PLACEHOLDERS)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CallrouterError(f"cannot read {path}: {exc}") from exc


def _existing_ari(path: Path, notes: list[str]) -> ConfFile | None:
    if not path.exists():
        return None
    try:
        return parse_file(path)
    except ConfSyntaxError as exc:
        notes.append(f"cannot read the current {path} ({exc}); its password hash is not reused")
        return None


def _mode_for(current: os.stat_result | None, *, secret: bool) -> int:
    if current is None:
        return SECRET_FILE_MODE
    mode = stat.S_IMODE(current.st_mode)
    return mode & SECRET_FILE_MODE if secret else mode


def _write_atomically(path: Path, text: str, *, secret: bool) -> int | None:
    """Replace ``path`` in one step, keeping an existing file's owner and mode, less
    what a file holding secrets must not have; return the old mode if it was tightened."""
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
        mode = _mode_for(current, secret=secret)
        os.chmod(temporary, mode)
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
    old_mode = stat.S_IMODE(current.st_mode) if current else None
    return old_mode if old_mode is not None and old_mode != mode else None
