"""``/metrics`` from the real service on the simulator, after a call placed through the
simulator, parsed by prometheus-client's own parser."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.reports.test_api_reports import TOKEN, VIEWER, free_port

# Every metric the README's Metrics section lists (counters without their _total).
README_METRICS = {
    "callrouter_calls", "callrouter_call_wait_seconds", "callrouter_call_talk_seconds",
    "callrouter_queue_callers_waiting", "callrouter_queue_longest_wait_seconds",
    "callrouter_queue_calls_ringing", "callrouter_queue_operators",
    "callrouter_routing_decision_seconds", "callrouter_ari_request_duration_seconds",
    "callrouter_ari_request_errors", "callrouter_ari_connected", "callrouter_ari_reconnects",
    "callrouter_writer_backlog_rows", "callrouter_writer_retries", "callrouter_webhook_backlog",
    "callrouter_webhook_failures", "callrouter_webhook_dropped",
}  # fmt: skip

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(port: int, token: str | None = VIEWER) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        return response.status, await response.text()


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


async def test_metrics_after_a_call(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    port = free_port()
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=1)
    settings = make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN,
              "viewer_token": VIEWER},
    )  # fmt: skip
    async with running_service(settings, db_dsn):
        status, text = await scrape(port)
        assert status == 200, text
        before = samples(text)
        assert value(before, "callrouter_queue_operators", queue="support", state="available") == 1
        assert value(before, "callrouter_ari_connected") == 1
        caller = await sim_control.place_call(caller_number="+4930123456", exten="100")
        await eventually(lambda: bridged_pairs(sim_control), what="caller and anna bridged")
        _, text = await scrape(port)
        talking = samples(text)
        assert value(talking, "callrouter_queue_operators", queue="support", state="on_call") == 1
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
        status, text = await scrape(port, TOKEN)  # the admin token may scrape too
        assert status == 200
        assert (await scrape(port, token=None))[0] == 401
        assert (await scrape(port, token="wrong-token-but-long-enough"))[0] == 403
    found = samples(text)
    families = {family.name for family in text_string_to_metric_families(text)}
    assert families == README_METRICS
    assert value(found, "callrouter_calls_total", queue="support", outcome="answered") == 1
    wait = value(found, "callrouter_call_wait_seconds_sum", queue="support")
    assert wait == float(row["wait_s"]) or abs(wait - float(row["wait_s"])) < 0.01
    assert value(found, "callrouter_call_wait_seconds_count", queue="support") == 1
    assert value(found, "callrouter_call_talk_seconds_count", queue="support") == 1
    talk = value(found, "callrouter_call_talk_seconds_sum", queue="support")
    assert abs(talk - float(row["talk_s"])) < 0.01
    assert value(found, "callrouter_queue_callers_waiting", queue="support") == 0
    decisions = value(found, "callrouter_routing_decision_seconds_count", event="CallArrived")
    assert decisions == 1
    assert value(found, "callrouter_ari_reconnects_total") == 0
    # The call's ARI requests are timed: its originate (a POST on channels) at least.
    originates = value(
        found, "callrouter_ari_request_duration_seconds_count", method="POST", resource="channels"
    )
    assert originates >= 1
    assert ("callrouter_writer_backlog_rows", frozenset()) in found
    assert value(found, "callrouter_webhook_failures_total") == 0
    # Bounded labels only: no caller number, no call or channel id.
    assert "+4930123456" not in text and str(row["id"]) not in text
    assert caller["id"] not in text
