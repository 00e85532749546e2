"""The wallboard and the operator panel: pages served by ``callrouter serve`` itself.

- :mod:`callrouter.web.ports`: what the pages need from the service (:class:`LiveSource`).
- ``_board``: the boards as plain data (pure); ``_hub``: one debounced publisher of
  them for every open page; ``_script``: a script filled with the caller's fields,
  escaped; ``_auth``: wall-screen cookies, operators' secrets and sessions;
  ``_tenant_view``: what a tenant may see of the board.
- ``static/``: the HTML, CSS and JavaScript, shipped in the package (no CDN, no build).

The HTTP edge (routes, Server-Sent Events) is ``callrouter.api._pages``.
"""

from pathlib import Path

from callrouter.web._auth import (
    BOARD_COOKIE,
    CENTER,
    OPERATOR_COOKIE,
    SESSION_TTL,
    SUPERVISOR_COOKIE,
    BoardViewer,
    PageKeys,
    SupervisorSession,
    TenantTokens,
    hash_secret,
    verify_secret,
)
from callrouter.web._board import (
    Board,
    client_name,
    figures_document,
    live_board,
    panel_view,
    with_figures,
)
from callrouter.web._hub import BoardHub, Subscription
from callrouter.web._script import render_script
from callrouter.web._tenant_view import center_view, tenant_view
from callrouter.web.ports import CallParty, Change, LiveSource

__all__ = [
    "BOARD_COOKIE",
    "CENTER",
    "OPERATOR_COOKIE",
    "SESSION_TTL",
    "STATIC_DIR",
    "SUPERVISOR_COOKIE",
    "Board",
    "BoardHub",
    "BoardViewer",
    "CallParty",
    "Change",
    "LiveSource",
    "PageKeys",
    "Subscription",
    "SupervisorSession",
    "TenantTokens",
    "center_view",
    "client_name",
    "figures_document",
    "hash_secret",
    "live_board",
    "panel_view",
    "render_script",
    "tenant_view",
    "verify_secret",
    "with_figures",
]

STATIC_DIR = Path(__file__).parent / "static"
"""The pages' files, installed with the package (``pyproject.toml`` package data)."""
