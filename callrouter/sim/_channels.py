"""Allocating channels as Asterisk names and numbers them (ast_request, chan_local)."""

from __future__ import annotations

import uuid

from callrouter.sim._base import SimAriError
from callrouter.sim._state import CallerId, Channel, Dialplan
from callrouter.sim._switch import Switch

KNOWN_TECHS = ("PJSIP", "Local", "IAX2", "DAHDI")


def allocation_failed() -> SimAriError:
    """res_ari's answer when no channel could be made (unknown tech, no contact)."""
    return SimAriError(500, "Allocation failed", body={"error": "Allocation failed"})


def new_channel(
    switch: Switch,
    *,
    tech: str,
    resource: str,
    name: str,
    state: str,
    caller: CallerId,
    dialplan: Dialplan,
    channel_id: str | None = None,
    origin: str = "inbound",
) -> Channel:
    ch = Channel(
        id=channel_id or switch.new_channel_id(),
        name=name,
        state=state,
        caller=caller,
        connected=CallerId(caller.name, caller.number),
        dialplan=dialplan,
        creationtime=switch.clock.now(),
        tech=tech,
        resource=resource,
        origin=origin,
    )
    switch.add_channel(ch)
    return ch


def split_endpoint(endpoint: str | None) -> tuple[str, str]:
    if not endpoint:
        raise SimAriError(400, "Endpoint must be specified")
    tech, _, resource = endpoint.partition("/")
    if tech not in KNOWN_TECHS or not resource:
        raise allocation_failed()
    return tech, resource


def outgoing(
    switch: Switch,
    *,
    tech: str,
    resource: str,
    caller: CallerId,
    channel_id: str | None,
    other_channel_id: str | None,
    context: str | None,
    extension: str | None,
    origin: str,
) -> Channel:
    """Allocate the outgoing channel (and ";2" for Local), as ast_request does."""
    for wanted in (channel_id, other_channel_id):
        switch.check_new_channel_id(wanted)
    script = switch.endpoint(tech, resource)
    if not script.reachable:
        # chan_pjsip cannot build a dialog to an endpoint without a usable contact:
        # 500, no channel, no event (sip_op_unreachable).
        raise allocation_failed()
    suffix = switch.next_name_suffix(tech)
    if tech == "Local":
        exten, _, ctx = resource.partition("@")
        ctx = ctx or "default"
        first = new_channel(
            switch,
            tech=tech,
            resource=resource,
            name=f"Local/{resource}-{suffix};1",
            state="Down",
            caller=caller,
            channel_id=channel_id,
            dialplan=Dialplan(ctx, exten, 1, "AppDial2", "(Outgoing Line)"),
            origin=origin,
        )
        second = new_channel(
            switch,
            tech=tech,
            resource=resource,
            name=f"Local/{resource}-{suffix};2",
            state="Ring",
            caller=caller,
            channel_id=other_channel_id,
            dialplan=Dialplan(ctx, exten, 1),
            origin=origin,
        )
        first.local_peer, second.local_peer = second, first
        return first
    peer_name = resource.rpartition("@")[2]
    # Before it answers the channel shows its endpoint's context (chan_pjsip copies it
    # from pjsip.conf), as in sip_op_*.jsonl's "acc-operators".
    ch = new_channel(
        switch,
        tech=tech,
        resource=resource,
        name=f"{tech}/{peer_name}-{suffix}",
        state="Down",
        caller=caller,
        channel_id=channel_id,
        dialplan=Dialplan(
            script.context or context or "default",
            extension or "s",
            1,
            "AppDial2",
            "(Outgoing Line)",
        ),
        origin=origin,
    )
    if tech == "PJSIP":
        # The Call-ID of the INVITE it sends.
        ch.protocol_id = str(uuid.uuid4())
    return ch
