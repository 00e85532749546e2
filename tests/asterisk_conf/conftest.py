"""Helpers for the Asterisk config tests: settings from YAML text, parsed renderings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from callrouter.asterisk_conf import ConfFile, Part, Rendering, parse
from callrouter.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "asterisk-conf"
DIALPLAN = REPO / "dialplan" / "extensions_callrouter.conf"


@pytest.fixture
def sample_settings() -> Settings:
    return load_settings(REPO / "callrouter.yml", environ={})


@pytest.fixture
def settings_from(tmp_path: Path) -> Callable[..., Settings]:
    def make(yaml_text: str, environ: dict[str, str] | None = None) -> Settings:
        path = tmp_path / "callrouter.yml"
        path.write_text(yaml_text)
        return load_settings(path, environ=environ or {})

    return make


def parsed(rendering: Rendering, part: Part) -> ConfFile:
    [file] = [f for f in rendering.files if f.part is part]
    return parse(file.text, source=file.name, missing_templates_ok=True)


def shape(conf: ConfFile) -> list[tuple[str, tuple[str, ...], bool, dict[str, list[str]]]]:
    """What Asterisk would load, without layout or comments: compare this, not text."""
    return [(s.name, s.templates, s.is_template, s.options()) for s in conf.sections]
