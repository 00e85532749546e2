"""``SimControl``: a small typed client for the simulator's ``/sim/`` control API."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import aiohttp

from callrouter.sim._base import JsonObj
from callrouter.sim._state import Behavior


class SimControlError(Exception):
    """The control API said no (unknown channel, app not connected, bad argument)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"simulator control API answered {status}: {body!r}")
        self.status = status
        self.body = body


class SimControl:
    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, body: JsonObj | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        payload = None if body is None else {k: v for k, v in body.items() if v is not None}
        async with self._session.request(method, self.base_url + path, json=payload) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise SimControlError(resp.status, data)
            return data

    # -- calls -------------------------------------------------------------------
    async def place_call(
        self,
        *,
        caller_number: str = "5551234",
        caller_name: str = "",
        exten: str = "100",
        context: str = "from-pstn",
        app: str | None = None,
        args: Sequence[str] = ("inbound",),
        endpoint: str = "PJSIP/pstn",
        channel_name: str | None = None,
        variables: dict[str, str] | None = None,
        hangup_after: float | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
    ) -> JsonObj:
        """An inbound call entering Stasis; returns the channel as ARI shows it.
        ``other_channel_id``: the id of a Local call's ";1" half."""
        result: JsonObj = await self._call(
            "POST",
            "/sim/calls",
            {
                "caller_number": caller_number,
                "caller_name": caller_name,
                "exten": exten,
                "context": context,
                "app": app,
                "args": list(args),
                "endpoint": endpoint,
                "channel_name": channel_name,
                "variables": variables,
                "hangup_after": hangup_after,
                "channel_id": channel_id,
                "other_channel_id": other_channel_id,
            },
        )
        return result

    async def hangup(self, channel_id: str, *, cause: int | None = None) -> None:
        """The far end hangs up; without ``cause`` it is a SIP BYE (no cause field)."""
        await self._call("POST", f"/sim/channels/{channel_id}/hangup", {"cause": cause})

    async def send_dtmf(
        self, channel_id: str, digits: str, *, duration_ms: int = 100, between: float = 0.1
    ) -> None:
        """The far end presses keys; ``between`` is in simulated seconds."""
        await self._call(
            "POST",
            f"/sim/channels/{channel_id}/dtmf",
            {
                "digits": digits,
                "duration_ms": duration_ms,
                "between": between,
            },
        )

    # -- scripting ---------------------------------------------------------------
    async def set_endpoint(
        self,
        tech: str,
        resource: str,
        *,
        online: bool | None = None,
        behavior: Behavior | None = None,
        answer_after: float | None = None,
        hangup_after: float | None = None,
        amd: bool | None = None,
        context: str | None = None,
    ) -> JsonObj:
        """Script the far end; ``hangup_after``: it hangs up (a BYE) that long after
        answering. Unset arguments keep their current value."""
        result: JsonObj = await self._call(
            "PUT",
            f"/sim/endpoints/{tech}/{resource}",
            {
                "online": online,
                "behavior": behavior,
                "answer_after": answer_after,
                "hangup_after": hangup_after,
                "amd": amd,
                "context": context,
            },
        )
        return result

    async def set_sound(self, name: str, duration: float) -> None:
        await self._call("PUT", f"/sim/sounds/{name}", {"duration": duration})

    async def set_stasis_context(self, context: str, app_data: str) -> None:
        """``app_data`` may name ``${EXTEN}``: the extension the channel arrived at."""
        await self._call("PUT", f"/sim/dialplan/{context}", {"app_data": app_data})

    async def remove_context(self, context: str) -> None:
        """The context does not exist: a channel continued there is hung up."""
        await self._call("DELETE", f"/sim/dialplan/{context}")

    # -- failures ----------------------------------------------------------------
    async def drop_websockets(self, *, app: str | None = None, abort: bool = False) -> int:
        result = await self._call("POST", "/sim/websockets/drop", {"app": app, "abort": abort})
        return int(result["dropped"])

    async def add_fault(
        self,
        *,
        status: int | None = None,
        count: int = 1,
        path_prefix: str = "/ari",
        delay: float = 0.0,
        method: str | None = None,
        body: JsonObj | None = None,
    ) -> None:
        """Fail and/or delay (real seconds) the next ``count`` matching ARI requests."""
        await self._call(
            "POST",
            "/sim/faults",
            {
                "status": status,
                "count": count,
                "path_prefix": path_prefix,
                "delay": delay,
                "method": method,
                "body": body,
            },
        )

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/sim/faults")

    # -- observation -------------------------------------------------------------
    async def requests(self) -> list[JsonObj]:
        result: list[JsonObj] = await self._call("GET", "/sim/requests")
        return result

    async def clear_requests(self) -> None:
        await self._call("DELETE", "/sim/requests")

    async def events(self) -> list[JsonObj]:
        result: list[JsonObj] = await self._call("GET", "/sim/events")
        return result

    async def state(self) -> JsonObj:
        result: JsonObj = await self._call("GET", "/sim/state")
        return result

    async def channel_log(self) -> list[JsonObj]:
        """Every channel ever created, with its history (see the package docstring)."""
        result: list[JsonObj] = await self._call("GET", "/sim/channel-log")
        return result

    async def clear_channel_log(self) -> None:
        await self._call("DELETE", "/sim/channel-log")
