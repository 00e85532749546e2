"""A small seeded fuzz run of every parser that reads outside input (``bench/fuzz_inputs.py``
runs 100,000 inputs each). Bad input gives the documented error, never another one."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from callrouter import log as log_module
from callrouter.agi import AgiSession, FastAgiServer
from tests.fuzz.targets import TARGETS, Target, check_ari, targets

SEEDED = settings(
    max_examples=300,
    derandomize=True,  # the same inputs on every run: CI failures replay
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def fuzz_targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    # load_settings registers the fuzzed application names as public log names: restore.
    public = set(log_module._public)
    yield targets(tmp_path_factory.mktemp("fuzz-config"))
    log_module._public.clear()
    log_module._public.update(public)


def inputs(target: Target) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=2000),
        st.randoms(use_true_random=False).map(target.generate),
    )


@pytest.mark.parametrize("name", TARGETS)
def test_bad_input_gives_the_documented_error(
    fuzz_targets: dict[str, Target], name: str
) -> None:
    target = fuzz_targets[name]

    @SEEDED
    @given(data=inputs(target))
    def run(data: bytes) -> None:
        target.check(data)  # raises Broken on any other exception or a broken promise

    run()


@SEEDED
@given(frame=st.one_of(st.text(max_size=500), st.binary(max_size=500)))
def test_a_rejected_ari_frame_is_one_log_line(frame: str | bytes) -> None:
    data = frame.encode("utf-8", errors="surrogatepass") if isinstance(frame, str) else frame
    with capture_logs() as logs:
        outcome = check_ari(data)
    if outcome == "rejected":
        assert [e["event"] for e in logs] in (["ari_event_malformed"], ["ari_event_invalid"])
    else:
        assert not logs


async def test_fastagi_server_survives_fuzzed_request_blocks(
    fuzz_targets: dict[str, Target],
) -> None:
    """300 mutated request blocks over real sockets: each connection is closed by the
    server, nothing is logged as an internal error, and a good session still works."""

    async def noop(session: AgiSession) -> None:
        await session.verbose("ok")

    rng = random.Random(12)
    generate = fuzz_targets["agi"].generate
    server = FastAgiServer(routes={"route": noop, "lookup": noop}, port=0, header_timeout_s=0.5)
    with capture_logs() as logs:
        async with server:
            for _ in range(300):
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(generate(rng) + b"\n\n")
                async with asyncio.timeout(5):
                    while await reader.readline():  # every command succeeds
                        writer.write(b"200 result=1\n")
                writer.close()
    assert not [e for e in logs if e.get("error_id") == "internal"], logs
    assert server.active_sessions == 0


def test_targets_are_all_fuzzed() -> None:
    assert set(TARGETS) == set(targets(Path("/nonexistent")))
