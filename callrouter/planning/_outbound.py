"""A blended campaign's figures, per interval and over the day, from the replications.

Per replication: lines dialled and customers connected (counted in the interval the
line was dialled), abandon rate = abandoned / answered by a person (the regulated rate
the pacing caps), the share of the operators' logged-in time spent on the campaign's
customers (in the interval it was spent), and every inbound caller's service level
with the campaign dialling and, from the same seeds run without any campaign, without
it. Each is then averaged across replications with its confidence interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from callrouter.planning._campaign import Campaign
from callrouter.planning._estimate import estimate
from callrouter.planning._model import Profile
from callrouter.planning._report import OutboundRow
from callrouter.planning._tally import DayTally, OutboundTally

__all__ = ["outbound_rows"]


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _inbound_service_level(run: DayTally, indices: range) -> float:
    tallies = [t for (i, _), t in run.calls.items() if i in indices]
    return _ratio(sum(t.answered_within for t in tallies), sum(t.offered for t in tallies))


def _summed(run: DayTally, campaign: str, indices: range) -> OutboundTally:
    total = OutboundTally()
    for index in indices:
        t = run.outbound.get((index, campaign))
        if t is not None:
            total.attempts += t.attempts
            total.answered += t.answered
            total.connected += t.connected
            total.abandoned += t.abandoned
            total.busy_s += t.busy_s
    return total


def outbound_rows(
    profile: Profile,
    campaigns: Sequence[Campaign],
    runs: Sequence[DayTally],
    alone: Sequence[DayTally],
    confidence: float,
) -> tuple[OutboundRow, ...]:
    """One row per campaign and interval, then the campaign's day (``start_s`` None)."""
    rows: list[OutboundRow] = []
    every = range(len(profile.intervals))
    for campaign in campaigns:
        loads = [i.outbound_load(campaign.queue) for i in profile.intervals]
        spans: list[tuple[int | None, range]] = [
            (interval.start_s, range(k, k + 1)) for k, interval in enumerate(profile.intervals)
        ]
        for start_s, indices in [*spans, (None, every)]:
            load = loads[indices[0]] if start_s is not None else None
            leads = [0 if ld is None else ld.leads for ld in (loads[i] for i in indices)]
            tallies = [_summed(run, campaign.name, indices) for run in runs]
            staffed = [sum(run.staffed_s[i] for i in indices) for run in runs]
            rows.append(
                OutboundRow(
                    start_s=start_s,
                    campaign=campaign.name,
                    queue=campaign.queue,
                    mode=str(campaign.pacing.mode),
                    abandon_cap=campaign.pacing.abandon_cap,
                    leads=None if None in leads else sum(n or 0 for n in leads),
                    answer_rate=None if load is None else load.answer_rate,
                    talk_s=None if load is None else load.talk_s,
                    attempts=estimate([t.attempts for t in tallies], confidence),
                    connects=estimate([t.connected for t in tallies], confidence),
                    abandon_rate=estimate(
                        [_ratio(t.abandoned, t.answered) for t in tallies], confidence
                    ),
                    occupancy=estimate(
                        [_ratio(t.busy_s, s) for t, s in zip(tallies, staffed, strict=True)],
                        confidence,
                    ),
                    inbound_service_level=estimate(
                        [_inbound_service_level(run, indices) for run in runs], confidence
                    ),
                    inbound_service_level_alone=estimate(
                        [_inbound_service_level(run, indices) for run in alone], confidence
                    ),
                )
            )
    return tuple(rows)
