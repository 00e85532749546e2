"""The HTTP API: operators, click-to-call, the call log, recordings, queues, callbacks.

- :func:`create_api_app` builds the aiohttp application; :class:`ApiServer` serves it.
- :class:`CallCenterPort` (in :mod:`callrouter.api.ports`) is all the API asks of the
  routing service; :mod:`callrouter.api.fakes` holds an in-memory one for tests.
- Every endpoint is one entry of the route table (``_routes.py``); ``/openapi.json``
  is generated from that table and the pydantic models (``_openapi.py``).
- callrouter errors become statuses in one place, ``_errors.py``.
"""

from callrouter.api._app import MAX_BODY_BYTES, ApiServer, create_api_app, is_loopback
from callrouter.api._handlers import API_PREFIX
from callrouter.api._metrics import Observability
from callrouter.api._openapi import build_openapi
from callrouter.api._routes import ROUTES
from callrouter.api._table import Route
from callrouter.api._tenancy import TENANT_ROUTES, TenantAccess
from callrouter.api.ports import CallCenterPort, CenterHealth, OperatorAction, RecordingContent

__all__ = [
    "API_PREFIX",
    "MAX_BODY_BYTES",
    "ROUTES",
    "TENANT_ROUTES",
    "ApiServer",
    "CallCenterPort",
    "CenterHealth",
    "Observability",
    "OperatorAction",
    "RecordingContent",
    "Route",
    "TenantAccess",
    "build_openapi",
    "create_api_app",
    "is_loopback",
]
