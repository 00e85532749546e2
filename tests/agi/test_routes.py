"""The lookup, route and operator scripts, as the dialplan calls them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callrouter.agi import STATUS_VARIABLE, build_routes
from callrouter.agi.fakes import InMemoryCustomerDirectory, InMemoryOperatorControl, OperatorCall
from callrouter.agi.planner import DEFAULT_CLOSED_SOUND, DEFAULT_REJECT_SOUND, DidRoutePlanner
from callrouter.agi.ports import CustomerCard, OperatorRef, RouteDecision
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.agi.conftest import StartServer

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
CARD = CustomerCard(name='Zoë "Z" O\'Neil\\Ltd;\nCEO', tier="gold", account="AC-1", notes="vip")


def open_nine_to_five(queue: str, now: datetime) -> bool:
    return 9 <= now.hour < 17


class Harness:
    def __init__(self, start_server: StartServer, clock_at: datetime = NOW) -> None:
        self.start_server = start_server
        self.directory = InMemoryCustomerDirectory({"+33612345678": CARD})
        self.operators = InMemoryOperatorControl(endpoints={"PJSIP/101"})
        self.planner = DidRoutePlanner(
            did_queues={"+33180000001": "sales", "33180000002": "support"},
            is_open=open_nine_to_five,
            closed_sounds={"support": "callrouter/support-closed"},
        )
        self.clock_at = clock_at

    async def call(self, script: str, **env: str) -> FakeAsterisk:
        routes = build_routes(
            directory=self.directory,
            planner=self.planner,
            operators=self.operators,
            clock=lambda: self.clock_at,
        )
        server = await self.start_server(routes)
        fake = FakeAsterisk(env=make_env(script, **env))
        await fake.run(server.port)
        await server.close(grace_s=5)
        return fake


@pytest.fixture
def harness(start_server: StartServer) -> Harness:
    return Harness(start_server)


async def test_lookup_found(harness: Harness) -> None:
    fake = await harness.call("lookup", agi_callerid="+33612345678")
    assert fake.variables == {
        "CR_CUSTOMER_NAME": CARD.name.replace("\n", " "),
        "CR_CUSTOMER_TIER": "gold",
        "CR_CUSTOMER_ACCOUNT": "AC-1",
        "CALLERID(name)": CARD.name.replace("\n", " "),
        "CR_CUSTOMER_FOUND": "1",
        STATUS_VARIABLE: "SUCCESS",
    }
    assert harness.directory.queries == ["+33612345678"]


async def test_lookup_not_found_clears_earlier_values(harness: Harness) -> None:
    fake = await harness.call("lookup", agi_callerid="+33699999999")
    assert fake.variables == {
        "CR_CUSTOMER_NAME": "",
        "CR_CUSTOMER_TIER": "",
        "CR_CUSTOMER_ACCOUNT": "",
        "CR_CUSTOMER_FOUND": "0",
        STATUS_VARIABLE: "SUCCESS",
    }


async def test_lookup_anonymous_caller_asks_nobody(harness: Harness) -> None:
    fake = await harness.call("lookup")  # the capture's agi_callerid is "unknown"
    assert fake.variables["CR_CUSTOMER_FOUND"] == "0"
    assert harness.directory.queries == []


async def test_lookup_number_from_the_url(harness: Harness) -> None:
    fake = await harness.call("lookup?number=%2B33612345678")
    assert fake.variables["CR_CUSTOMER_FOUND"] == "1"


@pytest.mark.parametrize(
    ("env", "at", "expected"),
    [
        ({"agi_extension": "+33180000001"}, NOW, ("stasis", "sales", "")),
        ({"agi_extension": "33180000001"}, NOW, ("stasis", "sales", "")),
        ({"agi_extension": "s", "agi_dnid": "+33180000002"}, NOW, ("stasis", "support", "")),
        ({"agi_extension": "+33180000001"}, NIGHT, ("closed", "sales", DEFAULT_CLOSED_SOUND)),
        (
            {"agi_extension": "33180000002"},
            NIGHT,
            ("closed", "support", "callrouter/support-closed"),
        ),
        ({"agi_extension": "+33199999999"}, NOW, ("reject", "", DEFAULT_REJECT_SOUND)),
        ({}, NOW, ("reject", "", DEFAULT_REJECT_SOUND)),  # extension "agi", DNID unknown
        ({"agi_extension": "s", "agi_arg_1": "+33180000001"}, NOW, ("stasis", "sales", "")),
    ],
)
async def test_route(
    start_server: StartServer, env: dict[str, str], at: datetime, expected: tuple[str, ...]
) -> None:
    fake = await Harness(start_server, clock_at=at).call("route", **env)
    got = tuple(fake.variables[k] for k in ("CR_ROUTE", "CR_QUEUE", "CR_CLOSED_SOUND"))
    assert got == expected
    assert fake.variables[STATUS_VARIABLE] == "SUCCESS"


async def test_route_did_from_the_url(harness: Harness) -> None:
    fake = await harness.call("route?did=%2B33180000001")
    assert fake.variables["CR_ROUTE"] == "stasis"


def test_planner_default_queue_and_decision_invariant() -> None:
    planner = DidRoutePlanner(did_queues={}, is_open=lambda q, n: True, default_queue="main")
    assert planner.plan("123", NOW) == RouteDecision(target="stasis", queue="main")
    assert planner.plan("", NOW).target == "reject"
    with pytest.raises(ValueError):
        RouteDecision(target="stasis")
    with pytest.raises(ValueError):
        DidRoutePlanner(did_queues={"": "x"}, is_open=lambda q, n: True)


OPERATOR_ENV = {"agi_channel": "PJSIP/101-0000001a", "agi_callerid": "101"}
WHO = OperatorRef(endpoint="PJSIP/101", extension="101")


async def test_operator_login_pause_unpause_logout(harness: Harness) -> None:
    statuses = []
    for url in (
        "operator?action=login",
        "operator?action=login",
        "operator?action=pause&reason=lunch",
        "operator?action=unpause",
        "operator?action=logout",
        "operator?action=logout",
    ):
        fake = await harness.call(url, **OPERATOR_ENV)
        statuses.append(fake.variables["CR_OPERATOR_STATUS"])
        assert fake.variables[STATUS_VARIABLE] == "SUCCESS"
    assert statuses == ["OK", "CONFLICT", "OK", "OK", "OK", "CONFLICT"]
    assert harness.operators.calls[2] == OperatorCall("pause", WHO, "lunch")


async def test_operator_pause_reason_from_an_argument(harness: Harness) -> None:
    await harness.call("operator?action=login", **OPERATOR_ENV)
    await harness.call("operator?action=pause", agi_arg_1="12", **OPERATOR_ENV)
    assert harness.operators.calls[-1] == OperatorCall("pause", WHO, "12")


@pytest.mark.parametrize(
    ("url", "channel", "status"),
    [
        ("operator?action=login", "PJSIP/999-00000001", "NOT_FOUND"),
        ("operator?action=dance", "PJSIP/101-00000001", "INVALID"),
        ("operator", "PJSIP/101-00000001", "INVALID"),
    ],
)
async def test_operator_refusals(harness: Harness, url: str, channel: str, status: str) -> None:
    fake = await harness.call(url, agi_channel=channel)
    assert fake.variables["CR_OPERATOR_STATUS"] == status


async def test_operator_from_a_local_channel(harness: Harness) -> None:
    harness.operators.endpoints.add("Local/102@operators")
    await harness.call("operator?action=login", agi_channel="Local/102@operators-00000010;2")
    assert harness.operators.logged_in == {"Local/102@operators"}


async def test_lookup_passes_the_called_number_not_the_caller_argument(
    harness: Harness,
) -> None:
    await harness.call("lookup", agi_arg_1="+33612345678", agi_extension="+33180000001")
    await harness.call("lookup?did=33180000002", agi_callerid="+33612345678", agi_extension="7")
    await harness.call("lookup", agi_callerid="+33612345678", agi_extension="s")
    assert harness.directory.queries == ["+33612345678"] * 3
    # The first argument is the caller here: the DID is ?did=, the extension, or the
    # DNID (the capture's is "unknown", so none).
    assert harness.directory.called == ["+33180000001", "33180000002", None]
