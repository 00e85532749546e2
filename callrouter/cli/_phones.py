"""Whether operators' phones are registered, asked of Asterisk the way routing learns it.

The service skips an operator whose endpoint ARI reports ``offline`` (an unregistered
phone); the CLI asks ARI the same question (``GET /endpoints``, one request for all), so
``operators list`` and ``status`` show why an available operator gets no calls. When
Asterisk cannot be asked, every phone is ``unknown`` and the reason is given once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from callrouter.ari import AriClient
from callrouter.ari.errors import AriError
from callrouter.config import AriSettings

__all__ = ["Phone", "PhoneStates", "phone_states"]

# A CLI answer must not wait on a hung Asterisk: the same budget as the health check.
PHONE_TIMEOUT_S = 2.0


class Phone(StrEnum):
    REGISTERED = "registered"  # ARI: online
    OFFLINE = "offline"  # not registered (or not reachable): routing skips it
    UNKNOWN = "unknown"  # Asterisk could not be asked, or does not know the state
    NOT_IN_ASTERISK = "not_in_asterisk"  # no such endpoint in Asterisk's config
    NO_DEVICE = "no_device"  # Local/... channels have no phone to register

    @property
    def shown(self) -> str:
        """As a table cell: the states that explain missing calls stand out."""
        return {
            Phone.REGISTERED: "yes",
            Phone.OFFLINE: "OFFLINE",
            Phone.UNKNOWN: "?",
            Phone.NOT_IN_ASTERISK: "MISSING",
            Phone.NO_DEVICE: "-",
        }[self]


@dataclass(frozen=True, slots=True)
class PhoneStates:
    by_endpoint: dict[str, Phone] = field(default_factory=dict)  # "pjsip/101" -> state
    problem: str | None = None  # why Asterisk could not be asked

    def of(self, endpoint: str) -> Phone:
        tech, _, resource = endpoint.partition("/")
        if tech.lower() == "local":
            return Phone.NO_DEVICE
        if self.problem is not None:
            return Phone.UNKNOWN
        # PJSIP/<number>@<trunk> dials through a trunk: the device is the trunk's.
        key = f"{tech}/{resource.partition('@')[2] or resource}".lower()
        return self.by_endpoint.get(key, Phone.NOT_IN_ASTERISK)


_FROM_ARI = {"online": Phone.REGISTERED, "offline": Phone.OFFLINE}


async def phone_states(ari: AriSettings, endpoints: Iterable[str]) -> PhoneStates:
    """The registration state of every endpoint Asterisk knows (``endpoints``: only to
    skip asking when none of them has a device)."""
    if all(e.partition("/")[0].lower() == "local" for e in endpoints):
        return PhoneStates()
    try:
        async with AriClient(
            base_url=ari.url,
            username=ari.username,
            password=ari.password.get_secret_value(),
            app=ari.app,
            request_timeout=min(ari.request_timeout_s, PHONE_TIMEOUT_S),
        ) as client:
            listed = await client.endpoints.list()
    except AriError as exc:
        return PhoneStates(problem=f"cannot ask Asterisk at {ari.url}: {exc}")
    return PhoneStates(
        {
            f"{e.technology}/{e.resource}".lower(): _FROM_ARI.get(e.state or "", Phone.UNKNOWN)
            for e in listed
        }
    )
