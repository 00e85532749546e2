"""One entry point: callrouter's Settings in, the Asterisk files that must match it out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from callrouter.asterisk_conf._ari_http import AriPasswordFormat, render_ari, render_http
from callrouter.asterisk_conf._common import Part, PartResult
from callrouter.asterisk_conf._pjsip import render_operators
from callrouter.asterisk_conf._syntax import ConfFile, format_sections
from callrouter.config import Settings
from callrouter.errors import ConfigError, ConfigProblem

__all__ = ["RenderedFile", "Rendering", "render"]


@dataclass(frozen=True, slots=True)
class RenderedFile:
    part: Part
    text: str

    @property
    def name(self) -> str:
        return self.part.filename


@dataclass(frozen=True, slots=True)
class Rendering:
    files: tuple[RenderedFile, ...]
    notes: tuple[str, ...]


def render(
    settings: Settings,
    *,
    parts: Iterable[Part] = tuple(Part),
    environ: Mapping[str, str] | None = None,
    ari_password_format: AriPasswordFormat = AriPasswordFormat.CRYPT,
    existing_ari: ConfFile | None = None,
    source: str = "callrouter.yml",
) -> Rendering:
    """Render ``parts`` (all by default); raise :class:`ConfigError` listing every problem.

    ``source`` names the config in problems; ``existing_ari`` is the ari.conf about to be
    replaced, so an unchanged password keeps its hash.
    """
    env = os.environ if environ is None else environ
    results: list[PartResult] = []
    for part in dict.fromkeys(parts):  # keeps the caller's order, drops repeats
        if part is Part.PJSIP:
            results.append(render_operators(settings, env))
        elif part is Part.ARI:
            results.append(render_ari(settings, ari_password_format, existing_ari))
        else:
            results.append(render_http(settings))
    problems = [
        ConfigProblem(source, None, where, message)
        for result in results
        for where, message in result.problems
    ]
    if problems:
        raise ConfigError(problems)
    return Rendering(
        files=tuple(RenderedFile(r.part, format_sections(r.blocks)) for r in results),
        notes=tuple(note for r in results for note in r.notes),
    )
