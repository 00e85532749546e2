"""The order in which the shell must carry out one step's commands."""

from __future__ import annotations

from dataclasses import replace

from callrouter.acd._commands import AcdCommand, HoldCaller, RingOperator

__all__ = ["MUSIC_GRACE_S", "ring_first"]

# How long a caller rung to an operator on arrival hears silence before the music: an
# operator who answers within it (auto-answer phones, headsets on a key) is bridged
# with no music started and stopped; one who takes longer is answered over music,
# as before. Short enough that nobody notices the silence after the answer.
MUSIC_GRACE_S = 0.5


def ring_first(commands: list[AcdCommand]) -> list[AcdCommand]:
    """Ring the operator before answering the caller and starting their music.

    Within a step the core decides "hold (and announce)" before "ring" for a caller who
    can be served at once; the ring does not depend on those, and carrying it out first
    takes their ARI round trips off the time a caller waits for an operator
    (bench/bench_routing.py). The order is the core's to give: the shell executes it.
    Such a caller's music waits :data:`MUSIC_GRACE_S` (``HoldCaller.music_after_s``).
    """
    held_at: dict[str, int] = {}
    out: list[AcdCommand] = []
    for command in commands:
        if isinstance(command, HoldCaller):
            held_at.setdefault(command.call_id, len(out))
        elif isinstance(command, RingOperator) and command.call_id in held_at:
            position = held_at[command.call_id]
            out.insert(position, command)
            held_at = {c: p + 1 if p >= position else p for c, p in held_at.items()}
            continue
        out.append(command)
    rung = {command.call_id for command in out if isinstance(command, RingOperator)}
    return [
        replace(command, music_after_s=MUSIC_GRACE_S)
        if isinstance(command, HoldCaller) and command.call_id in rung and not command.resumed
        else command
        for command in out
    ]
