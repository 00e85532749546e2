"""A simulated Asterisk 22 that speaks ARI on a real socket, for tests and demos.

It answers ARI REST under ``/ari`` (HTTP basic auth or ``?api_key=user:pass``) and sends
events on ``/ari/events?app=...``, with the JSON shapes, status codes and error bodies
recorded from a real Asterisk 22.10.1 (``../shared/ari-captures``, and the
``tests/fixtures/captures/real_*.jsonl`` that ``tools/ari_fidelity.py`` records and diffs
against this simulator)::

    async with SimulatedAsterisk(recordings_dir=tmp, time_scale=60) as sim:
        ari = sim.url + "/ari"
        async with SimControl(sim.url) as control:
            await control.set_endpoint("Local", "101@operators", answer_after=5)
            call = await control.place_call(caller_number="5551234", args=["inbound"])

Every scripted delay and duration is in simulated seconds, divided by ``time_scale``
before the simulator waits; event timestamps and recording durations use the same
scaled clock.

Control API (JSON in and out, no authentication, never under ``/ari``)
-----------------------------------------------------------------------
``POST /sim/calls``
    An inbound call enters Stasis. Body: ``caller_number``, ``caller_name``, ``exten``
    ("100"), ``context`` ("from-pstn"), ``app`` (the default app), ``args``
    (["inbound"] via SimControl, [] raw), ``endpoint`` ("PJSIP/pstn"; "Local/..."
    gives a ``;2`` name), ``channel_name`` (verbatim), ``variables``, ``hangup_after``
    (caller hangs up, seconds). Answers the channel JSON; 409 if the app has no
    WebSocket (Asterisk's Stasis() would fail too).
``PUT /sim/endpoints/{tech}/{resource}`` / ``GET /sim/endpoints``
    Script the far end of an endpoint, e.g. ``PJSIP/5551234`` or
    ``Local/101@operators``: ``online`` (bool), ``behavior`` (answer | busy | noanswer
    | congestion | unreachable | machine), ``answer_after`` (seconds to answer, or to
    fail for busy/congestion/unreachable), ``hangup_after`` (far end hangs up that long
    after answering), ``amd`` (also set AMDSTATUS=HUMAN on answer). ``machine``
    answers and sets AMDSTATUS=MACHINE / AMDCAUSE. Unscripted endpoints answer at once.
``POST /sim/channels/{id}/hangup``
    The far end hangs up: ``{"cause": 16}`` as from AMI, ``{}`` as a SIP BYE (the
    ChannelHangupRequest then has no ``cause``).
``POST /sim/channels/{id}/dtmf``
    The far end presses ``digits`` (``duration_ms``, ``between`` seconds).
``POST /sim/websockets/drop``
    Drop event WebSockets: ``app`` (default all), ``abort`` (TCP reset instead of a
    close frame). Answers ``{"dropped": n}``.
``POST|GET|DELETE /sim/faults``
    Make the next ``count`` ARI requests under ``path_prefix`` ("/ari"), optionally of
    ``method``, wait ``delay`` real seconds and/or answer ``status`` with ``body``.
``GET|DELETE /sim/requests``
    The ARI requests received: ``{method, path, params, body, status, ts}``.
``GET /sim/events``
    The latest events emitted (all apps).
``GET /sim/state``
    Channels, bridges, playbacks, live and stored recordings, applications, endpoints.
``PUT /sim/sounds/{name}`` ``{"duration": s}``
    How long ``sound:{name}`` plays.
``PUT /sim/dialplan/{context}`` ``{"app_data": "callrouter,inbound"}``
    Channels reaching this context (Local ``;2`` halves, continue) enter Stasis.
"""

from callrouter.sim._client import SimControl, SimControlError
from callrouter.sim._server import SimulatedAsterisk, run_simulator
from callrouter.sim._state import BEHAVIORS, Behavior

__all__ = [
    "BEHAVIORS",
    "Behavior",
    "SimControl",
    "SimControlError",
    "SimulatedAsterisk",
    "run_simulator",
]
