"""One settings holder for the whole running service, swapped whole on reload.

Every edge (stasis handlers, executor, FastAGI, the HTTP API, the dialer's sources)
reads ``holder.current`` when it needs a value instead of keeping a copy of its own, so
a ``kill -HUP`` changes them all at once: there is no moment in which FastAGI routes by
the old table while Stasis routes by the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from callrouter.config import Settings

__all__ = ["Derived", "ReadsSettings", "SettingsHolder"]

T = TypeVar("T")


class SettingsHolder:
    def __init__(self, settings: Settings) -> None:
        self._current = settings
        self.generation = 0
        self._on_swap: list[Callable[[], None]] = []

    @property
    def current(self) -> Settings:
        return self._current

    def swap(self, settings: Settings) -> None:
        self._current = settings
        self.generation += 1
        for listener in self._on_swap:
            listener()

    def on_swap(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (synchronously: it must only take note) after each swap."""
        self._on_swap.append(listener)

    def __call__(self) -> Settings:
        return self._current


class Derived(Generic[T]):
    """A value built from the settings (a route table, an index), rebuilt lazily the
    first time it is read after a swap."""

    def __init__(self, holder: SettingsHolder, build: Callable[[Settings], T]) -> None:
        self._holder = holder
        self._build = build
        self._generation = -1
        self._value: T | None = None

    def get(self) -> T:
        if self._generation != self._holder.generation or self._value is None:
            self._value = self._build(self._holder.current)
            self._generation = self._holder.generation
        return self._value


class ReadsSettings:
    """For the shell's parts: ``self._settings`` is always the settings in force."""

    _holder: SettingsHolder

    @property
    def _settings(self) -> Settings:
        return self._holder.current
