"""The cheap counters and histograms, and the ARI request tracing on a real aiohttp
session against the simulator (fake on the wire, no mocks)."""

from __future__ import annotations

import socket

import aiohttp
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from callrouter.metrics import MAX_SERIES, AriMetrics, Histograms, ari_resource, ari_trace_config
from callrouter.sim import SimulatedAsterisk
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME


def test_histogram_buckets_are_cumulative_and_le_is_inclusive() -> None:
    hist = Histograms("x_seconds", "x", ["queue"], [1.0, 5.0])
    for seconds in (0.5, 1.0, 3.0, 9.0):
        hist.observe(("q",), seconds)
    [sample_set] = [hist.family()]
    buckets = {s.labels["le"]: s.value for s in sample_set.samples if s.name.endswith("_bucket")}
    assert buckets == {"1.0": 2, "5.0": 3, "+Inf": 4}
    assert hist.count(("q",)) == 4


def test_label_sets_are_bounded() -> None:
    hist = Histograms("y_seconds", "y", ["queue"], [1.0])
    for i in range(MAX_SERIES + 10):
        hist.observe((f"q{i}",), 0.1)
    assert hist.count(("other",)) == 10
    assert len(hist.family().samples) == (MAX_SERIES + 1) * 4  # 2 buckets, sum, count


def test_ari_resource_never_carries_ids() -> None:
    assert ari_resource("/ari/channels/1717.42/answer") == "channels"
    assert ari_resource("/ari/bridges/abc") == "bridges"
    assert ari_resource("/ari/unheard-of/x") == "other"
    assert ari_resource("/metrics") == "other"


async def test_ari_requests_timed_and_errors_counted(sim: SimulatedAsterisk) -> None:
    metrics = AriMetrics()
    auth = {"Authorization": aiohttp.encode_basic_auth(SIM_USERNAME, SIM_PASSWORD)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    traces = [ari_trace_config(metrics)]
    async with aiohttp.ClientSession(headers=auth, trace_configs=traces) as http:
        async with http.get(f"{sim.url}/ari/channels") as response:
            assert response.status == 200
        async with http.get(f"{sim.url}/ari/channels/no-such-channel") as response:
            assert response.status == 404
        try:
            async with http.get(f"http://127.0.0.1:{closed}/ari/bridges"):
                raise AssertionError("nothing listens there")
        except aiohttp.ClientConnectionError:
            pass
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics)
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }
    count = "callrouter_ari_request_duration_seconds_count"
    assert found[(count, (("method", "GET"), ("resource", "channels")))] == 2
    assert found[(count, (("method", "GET"), ("resource", "bridges")))] == 1
    errors = "callrouter_ari_request_errors_total"
    assert found[(errors, (("kind", "4xx"), ("method", "GET"), ("resource", "channels")))] == 1
    key = (errors, (("kind", "connection"), ("method", "GET"), ("resource", "bridges")))
    assert found[key] == 1
