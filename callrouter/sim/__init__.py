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

Legs originated to PJSIP endpoints and SIP callers behave as a real Asterisk with SIP
phones (``../shared/ari-captures/sip/README.md``, replayed by tests/sim/
test_replay_sip.py). ``GET /channels`` is in Asterisk's hash-bucket order and ``GET
/bridges`` sorted by id (``_order``): never rely on creation order.

Control API (JSON in and out, no authentication, never under ``/ari``)
-----------------------------------------------------------------------
``POST /sim/calls``
    An inbound call enters Stasis. Body: ``caller_number``, ``caller_name``, ``exten``
    ("100"), ``context`` ("from-pstn"), ``app`` (the default app), ``args``
    (["inbound"] via SimControl, [] raw), ``endpoint`` ("PJSIP/pstn"; "Local/..."
    gives a ``;2`` in Stasis and its ``;1``, listed by GET /channels but watched by no
    app), ``channel_name`` (verbatim), ``variables``, ``hangup_after`` (caller hangs
    up, seconds), ``channel_id`` / ``other_channel_id`` (ids of the Stasis channel and
    of a Local ``;1``). Answers the channel JSON; 409 if the app has no WebSocket
    (Asterisk's Stasis() would fail too).
``PUT /sim/endpoints/{tech}/{resource}`` / ``GET /sim/endpoints``
    Script the far end of an endpoint, e.g. ``PJSIP/5551234`` or
    ``Local/101@operators``; fields left out keep their value:

    - ``behavior``: ``answer`` (rings ``answer_after`` s, then answers; at once if 0),
      ``noanswer`` (rings until the originate ``timeout``: ChannelDestroyed 19/480, no
      hangup request), ``busy`` (486 after ``answer_after``: HangupRequest {17, 486},
      Dial BUSY, ChannelDestroyed 17/486), ``congestion`` (503, cause 34),
      ``unreachable`` (a PJSIP contact that is Unavail: the endpoint is offline and
      POST /channels answers 500 Allocation failed; behind Local, Dial CHANUNAVAIL 20),
      ``stale`` (a contact still Avail that no longer answers: no ring, after SIP timer
      B's 32 s HangupRequest {18, 408}, Dial NOANSWER, ChannelDestroyed 18/408, and the
      endpoint goes offline; a shorter originate ``timeout`` fires first),
      ``machine`` (answers, AMDSTATUS=MACHINE / AMDCAUSE).
    - ``answer_after`` (seconds to answer, or to fail for busy/congestion),
      ``hangup_after`` (the phone hangs up, a BYE, that long after answering),
      ``online`` (bool; false is ``unreachable``), ``amd`` (also AMDSTATUS=HUMAN on
      answer), ``context`` (pjsip.conf context its outgoing channels show before they
      answer). Unscripted endpoints answer at once.
``POST /sim/channels/{id}/hangup``
    The far end hangs up: ``{"cause": 16}`` as from AMI, ``{}`` as a SIP BYE (the
    ChannelHangupRequest then has no ``cause``). A caller that entered Stasis from the
    dialplan then gets no ChannelDestroyed unless the app subscribed to it; a leg the
    app originated always does, and its bridge peer stays in the bridge.
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
    Each channel's ``sim`` part has its application, bridge, variables, ``on_hold``
    (ARI hold), ``moh_class`` and, for a snoop, ``snoop`` ``{of, spy, whisper}``.
``GET|DELETE /sim/channel-log``
    Every channel created since the start (or the last DELETE), destroyed ones too, in
    creation order (the oldest go past 50,000). Each record::

        {"id", "name", "endpoint": "PJSIP/op101", "origin": "inbound" | "originate" |
         "create" | "snoop", "local_peer": id | null, "caller": {"name", "number"},
         "args": [...] (first Stasis entry) | null, "stasis": [{"app", "args"}, ...],
         "created", "ringing", "answered", "destroyed": sim epoch seconds | null,
         "dial_status": last non-empty Dial status | null,
         "hangup_request": first ChannelHangupRequest's {cause, tech_cause, soft} | null
             ({} for a SIP BYE), "cause", "cause_txt", "tech_cause",
         "bridges": [{"bridge", "name", "entered", "left", "with": [channel ids that
             shared the bridge during that stay]}],
         "timeline": [{"seq", "at", "event": "created" | "state" | "dial" |
             "stasis_start" | "stasis_end" | "entered_bridge" | "left_bridge" |
             "hangup_request" | "destroyed", ...details}]}

    ``seq`` numbers every moment of every channel from one counter, so "was operator X
    rung or bridged for two calls at once" is a check that no two of X's records (same
    ``endpoint``) have overlapping ``created``..``destroyed`` seq spans, and that no
    stay's ``with`` lists two callers.
``PUT /sim/sounds/{name}`` ``{"duration": s}``
    How long ``sound:{name}`` plays.
``PUT /sim/dialplan/{context}`` ``{"app_data": "callrouter,inbound"}``
    Channels reaching this context (Local ``;2`` halves, continue) enter Stasis;
    ``${EXTEN}`` in ``app_data`` is the extension they arrived at.
``DELETE /sim/dialplan/{context}``
    The context does not exist: a channel continued there is hung up, silently.
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
