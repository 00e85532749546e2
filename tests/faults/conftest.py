"""The fault suite: ``callrouter serve`` as a real process, killed and cut off under load.

Every test here is marked ``faults`` (``pytest -m faults`` runs only them, ``-m 'not
faults'`` skips them); the marker is registered here because the suite owns no other
file.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: callrouter serve killed, cut off and reloaded under load"
    )
