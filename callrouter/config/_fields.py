"""Field types and the section base every config model shares."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from callrouter.config._tenants import TENANT_ID_PATTERN

__all__ = [
    "SPAN",
    "Name",
    "PositiveSeconds",
    "ScriptText",
    "Seconds",
    "Section",
    "TenantRef",
    "Weekday",
    "check_time_zone",
]

Seconds = Annotated[float, Field(ge=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
ScriptText = Annotated[str, Field(max_length=20_000)]
# The tenant a queue, campaign or calendar belongs to (config/_tenants.py).
TenantRef = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def check_time_zone(value: str) -> str:
    # No real zone name is longer than ~32 characters; a long one would reach the
    # file system as a path ("File name too long", found by tests/fuzz).
    if len(value) > 64:
        raise ValueError(f"unknown time zone {value[:40]!r}... (longer than any zone name)")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
