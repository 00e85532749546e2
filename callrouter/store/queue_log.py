"""Asterisk's queue_log format, so existing call-center report tools read our event log.

A line is ``epoch|callid|queuename|agent|event|data1|data2|...``. Our ``call_events``
rows use queue_log's verbs as event names and keep their data as named fields; this
table gives each verb's field order as app_queue writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["QUEUE_LOG_FIELDS", "format_queue_log_line"]

QUEUE_LOG_FIELDS: Mapping[str, tuple[str, ...]] = {
    "ENTERQUEUE": ("url", "caller_id", "position"),
    "CONNECT": ("holdtime", "bridged_channel", "ringtime"),
    "COMPLETECALLER": ("holdtime", "calltime", "origposition"),
    "COMPLETEAGENT": ("holdtime", "calltime", "origposition"),
    "ABANDON": ("position", "origposition", "waittime"),
    "RINGNOANSWER": ("ringtime_ms",),
    "RINGCANCELED": ("ringtime_ms",),
    "EXITWITHTIMEOUT": ("position", "origposition", "waittime"),
    "EXITEMPTY": ("position", "origposition", "waittime"),
    "EXITWITHKEY": ("key", "position", "origposition", "waittime"),
    "BLINDTRANSFER": ("extension", "context", "holdtime", "calltime", "origposition"),
    # app_queue's method (BRIDGE: the caller's bridge was kept) and its data.
    "ATTENDEDTRANSFER": ("method", "method_data", "holdtime", "calltime", "origposition"),
    "CLOSED": (),
    "FULL": (),
    "OVERFLOW": ("target",),
    "CALLBACK": ("position", "waittime"),
    "ADDMEMBER": (),
    "REMOVEMEMBER": (),
    "PAUSE": ("reason",),
    "UNPAUSE": ("reason",),
    "RECORDING": ("name",),
}


def _clean(value: Any) -> str:
    # queue_log has no quoting: a caller id holding "|" or a newline would break the
    # columns, so those characters are replaced.
    text = "" if value is None else str(value)
    return text.replace("|", "/").replace("\n", " ").replace("\r", " ")


def format_queue_log_line(
    *,
    at: datetime,
    call_id: str,
    queue: str | None,
    agent: str | None,
    event: str,
    data: Mapping[str, Any],
) -> str:
    fields = QUEUE_LOG_FIELDS.get(event)
    values = [data.get(name) for name in fields] if fields is not None else list(data.values())
    parts = [str(int(at.timestamp())), call_id, queue or "NONE", agent or "NONE", event]
    return "|".join([*map(_clean, parts), *map(_clean, values)])
