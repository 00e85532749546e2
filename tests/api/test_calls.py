"""Click-to-call, the call log read back from real rows, recordings and their control."""

from __future__ import annotations

import uuid

import aiohttp
import asyncpg
import pytest

from callrouter.api.fakes import FakeCallCenter, FakeRecording, PortCall
from callrouter.ari.errors import AriTimeout
from tests.api._seed import NASTY, T0, add_call, add_events_and_recordings


async def test_click_to_call_is_202_with_the_call_id(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    body = {
        "operator_id": "ben",
        "number": " +49 30 1234-567 ",
        "caller_id": NASTY,
        "campaign_id": 7,
        "lead_id": 42,
    }
    async with client.post("/api/v1/calls", json=body) as response:
        assert response.status == 202
        answer = await response.json()
    call_id = answer["call_id"]
    assert answer["call_url"] == f"/api/v1/calls/{call_id}"
    assert center.calls == [
        PortCall("click_to_call", ("ben", "+49 30 1234-567", NASTY, 7, 42)),
    ]


async def test_click_to_call_minimal_body(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    async with client.post("/api/v1/calls", json={"operator_id": "ben", "number": "100"}) as r:
        assert r.status == 202
    assert center.calls == [PortCall("click_to_call", ("ben", "100", None, None, None))]


async def test_click_to_call_operator_not_available_is_409(
    client: aiohttp.ClientSession,
) -> None:
    async with client.post("/api/v1/calls", json={"operator_id": "anna", "number": "1"}) as r:
        assert r.status == 409


async def test_click_to_call_ari_failure_is_502(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    center.fail_next["click_to_call"] = AriTimeout("POST /ari/channels: no answer in 5 s")
    async with client.post("/api/v1/calls", json={"operator_id": "ben", "number": "1"}) as r:
        assert r.status == 502
        error = (await r.json())["error"]
    assert error["id"] == "ari-timeout"
    assert "/ari/channels" not in error["message"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"number": "100"}, ["body.operator_id"]),
        ({"operator_id": "ben"}, ["body.number"]),
        ({"operator_id": "ben", "number": "12; DROP"}, ["body.number"]),
        ({"operator_id": "ben", "number": "1", "lead_id": 0}, ["body.lead_id"]),
        ({"operator_id": "ben", "number": "1", "campaign_id": "x"}, ["body.campaign_id"]),
        ({"operator_id": "ben", "number": "1", "caller_idd": "x"}, ["body.caller_idd"]),
        ({}, ["body.operator_id", "body.number"]),
    ],
)
async def test_click_to_call_validation_names_each_field(
    client: aiohttp.ClientSession,
    center: FakeCallCenter,
    body: dict[str, object],
    fields: list[str],
) -> None:
    async with client.post("/api/v1/calls", json=body) as response:
        assert response.status == 422
        error = (await response.json())["error"]
    assert error["id"] == "invalid-input"
    assert [f["path"] for f in error["fields"]] == fields
    assert all(path in error["message"] for path in fields)
    assert center.calls == []


async def test_list_calls_and_filters(client: aiohttp.ClientSession, db_pool: asyncpg.Pool) -> None:
    answered = await add_call(db_pool)
    abandoned = await add_call(db_pool, outcome="abandoned", queue="sales")
    live = await add_call(db_pool, outcome=None)
    async with client.get("/api/v1/calls") as response:
        assert response.status == 200
        calls = (await response.json())["calls"]
    assert {c["id"] for c in calls} == {str(answered), str(abandoned), str(live)}
    by_id = {c["id"]: c for c in calls}
    assert by_id[str(answered)]["caller_name"] == NASTY
    assert by_id[str(answered)]["wait_s"] == 12.5
    assert by_id[str(live)]["outcome"] is None
    async with client.get("/api/v1/calls", params={"outcome": "abandoned"}) as response:
        assert [c["id"] for c in (await response.json())["calls"]] == [str(abandoned)]
    async with client.get("/api/v1/calls", params={"queue": "support", "limit": "1"}) as r:
        assert len((await r.json())["calls"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"limit": "501"}, "query.limit"),
        ({"outcome": "exploded"}, "query.outcome"),
        ({"queue": "x' OR '1'='1"}, "query.queue"),
        ({"queu": "support"}, "query.queu"),
    ],
)
async def test_list_calls_bad_query(
    client: aiohttp.ClientSession, params: dict[str, str], field: str
) -> None:
    async with client.get("/api/v1/calls", params=params) as response:
        assert response.status == 422
        assert [f["path"] for f in (await response.json())["error"]["fields"]] == [field]


async def test_call_detail_with_events_and_recordings(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    call_id = await add_call(db_pool, channel_id="1795.1")
    await add_events_and_recordings(db_pool, call_id)
    async with client.get(f"/api/v1/calls/{call_id}") as response:
        assert response.status == 200
        detail = await response.json()
    assert detail["call"]["id"] == str(call_id)
    assert detail["call"]["caller_name"] == NASTY
    assert detail["call"]["channel_id"] == "1795.1"
    assert detail["call"]["created_at"] == T0.isoformat().replace("+00:00", "Z")
    assert [e["event"] for e in detail["events"]] == ["ENTERQUEUE", "CONNECT"]
    assert detail["events"][0]["data"]["caller_id"] == NASTY
    done, deleted = detail["recordings"]
    assert done["recording_url"] == f"/api/v1/calls/{call_id}/recording"
    assert done["size_bytes"] == 960044
    assert deleted["recording_url"] is None


async def test_call_detail_by_prefix_and_by_channel(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    call_id = await add_call(db_pool, channel_id="1795.1")
    for ident in (str(call_id)[:8], "1795.1"):
        async with client.get(f"/api/v1/calls/{ident}") as response:
            assert response.status == 200
            assert (await response.json())["call"]["id"] == str(call_id)


async def test_call_lookup_with_quotes_is_just_not_found(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    await add_call(db_pool)
    for ident in ["x' OR '1'='1", "'; DROP TABLE calls;--", "ffffffff", "1795.1"]:
        async with client.get(f"/api/v1/calls/{ident}") as response:
            assert response.status == 404, ident
            assert (await response.json())["error"]["id"] == "not-found"
    assert await db_pool.fetchval("SELECT count(*) FROM calls") == 1


@pytest.mark.parametrize("ident", ["%25", "_", "%25%25", "a%5Cb"])
async def test_like_wildcards_are_refused(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool, ident: str
) -> None:
    await add_call(db_pool)
    async with client.get(f"/api/v1/calls/{ident}") as response:
        assert response.status == 422
        assert (await response.json())["error"]["fields"][0]["path"] == "path.call_id"


async def test_ambiguous_prefix_is_422(
    client: aiohttp.ClientSession, db_pool: asyncpg.Pool
) -> None:
    await add_call(db_pool, call_id=uuid.UUID("abcd0000-0000-4000-8000-000000000001"))
    await add_call(db_pool, call_id=uuid.UUID("abcd1111-0000-4000-8000-000000000002"))
    async with client.get("/api/v1/calls/ABCD") as response:
        assert response.status == 422
        assert (await response.json())["error"]["id"] == "invalid-input"


async def test_recording_download_whole_file(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    call_id = str(uuid.uuid4())
    center.recordings[call_id] = FakeRecording(chunks=[b"RIFF....WAVEfmt "])
    async with client.get(f"/api/v1/calls/{call_id}/recording") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "audio/wav"
        assert call_id in response.headers["Content-Disposition"]
        assert await response.read() == b"RIFF....WAVEfmt "


async def test_recording_download_streamed(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    call_id = str(uuid.uuid4())
    chunks = [bytes([n]) * 65536 for n in range(8)]
    center.recordings[call_id] = FakeRecording(chunks=chunks, content_type="audio/x-wav")
    async with client.get(f"/api/v1/calls/{call_id}/recording") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "audio/x-wav"
        assert await response.read() == b"".join(chunks)


async def test_recording_broken_mid_stream_is_not_a_complete_file(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    call_id = str(uuid.uuid4())
    center.recordings[call_id] = FakeRecording(
        chunks=[b"a" * 1000, b"b" * 1000], break_with=OSError("disk gone")
    )
    async with client.get(f"/api/v1/calls/{call_id}/recording") as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_recording_missing_is_404(client: aiohttp.ClientSession) -> None:
    async with client.get(f"/api/v1/calls/{uuid.uuid4()}/recording") as response:
        assert response.status == 404


async def test_recording_needs_a_full_call_id(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v1/calls/1795.1/recording") as response:
        assert response.status == 422
        assert (await response.json())["error"]["fields"][0]["path"] == "path.call_id"


async def test_recording_pause_and_resume(
    client: aiohttp.ClientSession, center: FakeCallCenter
) -> None:
    call_id = str(uuid.uuid4())
    center.recordings[call_id] = FakeRecording(chunks=[])
    base = f"/api/v1/calls/{call_id}/recording"
    async with client.post(f"{base}/pause") as response:
        assert response.status == 200
        assert await response.json() == {"call_id": call_id, "recording": "paused"}
    async with client.post(f"{base}/pause") as response:
        assert response.status == 409
    async with client.post(f"{base}/resume") as response:
        assert await response.json() == {"call_id": call_id, "recording": "resumed"}
    assert [c.method for c in center.calls] == [
        "pause_recording",
        "pause_recording",
        "resume_recording",
    ]


async def test_recording_control_of_unknown_call_is_404(client: aiohttp.ClientSession) -> None:
    async with client.post(f"/api/v1/calls/{uuid.uuid4()}/recording/resume") as response:
        assert response.status == 404


async def test_click_to_call_may_leave_the_number_out_with_a_lead(
    client: aiohttp.ClientSession,
) -> None:
    """A preview call dials the lead's own number: with lead_id, number is optional."""
    body = {"operator_id": "ben", "lead_id": 7, "campaign_id": 1}
    async with client.post("/api/v1/calls", json=body) as r:
        assert r.status == 202, await r.text()
