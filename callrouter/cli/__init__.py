"""The ``callrouter`` command line."""

from callrouter.cli._app import app, main

__all__ = ["app", "main"]
