"""The simulated answer: replications of the day through the routing core, and the
smallest roster per interval that meets the target.

Figures per replication are ratios of that run (service level = answered within the
threshold / offered, ASA = mean wait of the answered, abandon rate = abandoned /
offered, occupancy = busy time / logged-in time), then averaged across replications
with a Student-t confidence interval.

``recommend_roster`` treats each interval as steady state, as Erlang does: the interval
alone, warmed up for one interval with its own load and staffing, run
``replications`` times with the same seeds for every candidate (so candidates differ
only by staffing). It starts from the per-queue Erlang total and steps down while the
target still holds, or up until it does; with several skill groups it keeps the mix of
the given roster and scales its total. The day is then run whole with the result.

Blended campaigns dial in every run, the search's candidates included: the roster
found meets the inbound target *while the campaigns dial*, and the campaigns get the
time it leaves idle. Their figures are not targets (the pacing holds its abandon cap by
itself), and the occupancy target is judged on inbound calls alone, since a dialer
fills whatever idle time it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from callrouter.errors import InvalidInput
from callrouter.planning._analytic import erlang_required, queue_row, total_row
from callrouter.planning._campaign import Campaign
from callrouter.planning._erlang import StaffingTarget
from callrouter.planning._estimate import Estimate, estimate
from callrouter.planning._model import Profile, Roster, Routing
from callrouter.planning._outbound import outbound_rows
from callrouter.planning._report import OutboundRow, Plan, PlanRow, clock
from callrouter.planning._simulation import SimulationSettings, simulate_day
from callrouter.planning._tally import DayTally

__all__ = ["RunSettings", "recommend_roster", "simulation_plan"]

# The search gives up beyond this many times the Erlang staffing (plus a margin).
_SEARCH_FACTOR, _SEARCH_MARGIN = 3, 20


@dataclass(frozen=True, slots=True)
class RunSettings:
    replications: int = 10
    seed: int = 1
    ring_s: float = 0.0
    warmup_s: float = 0.0
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not 2 <= self.replications <= 1000:
            raise InvalidInput("replications must be between 2 and 1000")
        if not 0 < self.confidence < 1:
            raise InvalidInput("confidence must be in (0, 1)")

    def for_run(self, replication: int, warmup_s: float | None = None) -> SimulationSettings:
        return SimulationSettings(
            ring_s=self.ring_s,
            warmup_s=self.warmup_s if warmup_s is None else warmup_s,
            seed=self.seed * 100_003 + replication,
        )


def _runs(
    routing: Routing,
    profile: Profile,
    roster: Roster,
    target: StaffingTarget,
    settings: RunSettings,
    warmup_s: float | None = None,
    campaigns: Sequence[Campaign] = (),
) -> list[DayTally]:
    return [
        simulate_day(
            routing,
            profile,
            roster,
            settings.for_run(r, warmup_s),
            within_s=target.within_s,
            campaigns=campaigns,
        )
        for r in range(settings.replications)
    ]


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _queue_figures(
    runs: list[DayTally], index: int, queue: str, confidence: float
) -> tuple[Estimate, Estimate, Estimate]:
    sl, asa, abandon = [], [], []
    for run in runs:
        t = run.calls.get((index, queue))
        if t is None:
            continue
        sl.append(_ratio(t.answered_within, t.offered))
        asa.append(_ratio(t.wait_answered_s, t.answered))
        abandon.append(_ratio(t.abandoned, t.offered))
    return estimate(sl, confidence), estimate(asa, confidence), estimate(abandon, confidence)


def _occupancy(
    runs: list[DayTally], index: int, confidence: float, *, inbound_only: bool = False
) -> Estimate:
    def busy(run: DayTally) -> float:
        return run.busy_s[index] - (run.outbound_busy_s(index) if inbound_only else 0.0)

    return estimate([_ratio(busy(r), r.staffed_s[index]) for r in runs], confidence)


def _meets(
    target: StaffingTarget, rows: list[tuple[Estimate, Estimate, Estimate]], occupancy: Estimate
) -> bool:
    def ok(figure: Estimate, limit: float | None, higher_is_better: bool) -> bool:
        if limit is None or math.isnan(figure.mean):
            return True
        return figure.mean >= limit if higher_is_better else figure.mean <= limit

    return all(
        ok(sl, target.service_level, True)
        and ok(asa, target.asa_s, False)
        and ok(abandon, target.abandon_rate, False)
        for sl, asa, abandon in rows
    ) and ok(occupancy, target.max_occupancy, False)


def simulation_plan(
    routing: Routing,
    profile: Profile,
    roster: Roster,
    target: StaffingTarget,
    settings: RunSettings,
    *,
    recommended: Roster | None = None,
    campaigns: Sequence[Campaign] = (),
) -> Plan:
    """The day run ``replications`` times with ``recommended`` (if given) or ``roster``,
    and the ``campaigns`` blended in (then once more without them, for comparison).

    Queue rows carry Erlang's per-queue requirement for reference; the total row's
    ``required`` is the recommended roster's, else the sum of Erlang's."""
    run_roster = recommended if recommended is not None else roster
    runs = _runs(routing, profile, run_roster, target, settings, campaigns=campaigns)
    outbound: tuple[OutboundRow, ...] = ()
    if campaigns:
        alone = _runs(routing, profile, run_roster, target, settings)
        outbound = outbound_rows(profile, campaigns, runs, alone, settings.confidence)
    rows: list[PlanRow] = []
    for index, interval in enumerate(profile.intervals):
        queue_rows = []
        for load in interval.loads:
            sl, asa, abandon = _queue_figures(runs, index, load.queue, settings.confidence)
            need = erlang_required(load, profile.interval_s, target).agents
            queue_rows.append(
                queue_row(
                    interval.start_s,
                    load,
                    planned=None,
                    required=need,
                    shrinkage=target.shrinkage,
                    service_level=sl,
                    asa_s=asa,
                    abandon_rate=abandon,
                    occupancy=Estimate.exact(math.nan),
                )
            )
        required = (
            recommended.total(interval.start_s)
            if recommended is not None
            else sum(r.required or 0 for r in queue_rows)
        )
        total = total_row(
            interval.start_s,
            queue_rows,
            planned=roster.total(interval.start_s),
            required=required,
            shrinkage=target.shrinkage,
            interval_s=profile.interval_s,
            occupancy=_occupancy(runs, index, settings.confidence),
        )
        # The total's service level, ASA and abandon rate get intervals of their own too.
        sl, asa, abandon = _total_figures(runs, index, settings.confidence)
        rows += queue_rows
        rows.append(_with(total, sl, asa, abandon))
    return Plan(
        "simulation",
        profile.interval_s,
        target,
        tuple(rows),
        replications=settings.replications,
        seed=settings.seed,
        confidence=settings.confidence,
        figures_for="planned" if recommended is None else "required",
        outbound=outbound,
    )


def _total_figures(
    runs: list[DayTally], index: int, confidence: float
) -> tuple[Estimate, Estimate, Estimate]:
    sl, asa, abandon = [], [], []
    for run in runs:
        tallies = [t for (i, _), t in run.calls.items() if i == index]
        offered = sum(t.offered for t in tallies)
        answered = sum(t.answered for t in tallies)
        sl.append(_ratio(sum(t.answered_within for t in tallies), offered))
        asa.append(_ratio(sum(t.wait_answered_s for t in tallies), answered))
        abandon.append(_ratio(sum(t.abandoned for t in tallies), offered))
    return estimate(sl, confidence), estimate(asa, confidence), estimate(abandon, confidence)


def _with(row: PlanRow, sl: Estimate, asa: Estimate, abandon: Estimate) -> PlanRow:
    return PlanRow(
        start_s=row.start_s,
        queue=row.queue,
        calls=row.calls,
        aht_s=row.aht_s,
        patience_s=row.patience_s,
        planned=row.planned,
        required=row.required,
        scheduled=row.scheduled,
        service_level=sl,
        asa_s=asa,
        abandon_rate=abandon,
        occupancy=row.occupancy,
    )


def _mix(routing: Routing, base: Roster | None, start_s: int) -> Callable[[int], dict[str, int]]:
    """How ``n`` operators split across skill groups: all in the one group, else as the
    given roster splits them at this interval (largest remainders)."""
    if len(routing.groups) == 1:
        only = routing.groups[0].name
        return lambda n: {only: n}
    shares: Mapping[str, int] = base.at(start_s) if base is not None else {}
    whole = sum(shares.values())
    if not whole:
        raise InvalidInput(
            "with several skill groups, --recommend keeps a roster's mix: give a roster "
            f"with operators at {clock(start_s)}"
        )

    def split(n: int) -> dict[str, int]:
        exact = {g: n * c / whole for g, c in shares.items()}
        counts = {g: math.floor(x) for g, x in exact.items()}
        left = n - sum(counts.values())
        for g in sorted(exact, key=lambda g: (counts[g] - exact[g], g))[:left]:
            counts[g] += 1
        return counts

    return split


def recommend_roster(
    routing: Routing,
    profile: Profile,
    target: StaffingTarget,
    settings: RunSettings,
    *,
    base: Roster | None = None,
    campaigns: Sequence[Campaign] = (),
) -> Roster:
    """The smallest roster per interval whose simulated inbound figures meet ``target``,
    the ``campaigns`` dialling."""
    routing.check_profile(profile)
    staff: dict[int, dict[str, int]] = {}
    for index, interval in enumerate(profile.intervals):
        split = _mix(routing, base, interval.start_s)
        alone = profile.only(index)
        dialling = [c for c in campaigns if alone.intervals[0].outbound_load(c.queue)]
        search = _IntervalSearch(routing, alone, target, settings, split, dialling)
        n = erlang = sum(
            erlang_required(ld, profile.interval_s, target).agents for ld in interval.loads
        )
        if search.meets(n):
            while n > 0 and search.meets(n - 1):
                n -= 1
        else:
            ceiling = erlang * _SEARCH_FACTOR + _SEARCH_MARGIN
            while not search.meets(n):
                n += 1
                if n > ceiling:
                    raise InvalidInput(
                        f"no roster up to {ceiling} operators meets the target at "
                        f"{clock(interval.start_s)}"
                    )
        staff[interval.start_s] = split(n)
    return Roster(staff)


class _IntervalSearch:
    """One interval alone, warmed up for one interval: does ``n`` operators meet the
    target? Verdicts are kept, each candidate runs the same seeds."""

    def __init__(
        self,
        routing: Routing,
        alone: Profile,
        target: StaffingTarget,
        settings: RunSettings,
        split: Callable[[int], dict[str, int]],
        campaigns: Sequence[Campaign],
    ) -> None:
        self._routing, self._alone, self._target = routing, alone, target
        self._settings, self._split, self._campaigns = settings, split, campaigns
        self._verdicts: dict[int, bool] = {}

    def meets(self, n: int) -> bool:
        if n not in self._verdicts:
            interval = self._alone.intervals[0]
            roster = Roster({interval.start_s: self._split(n)})
            runs = _runs(
                self._routing,
                self._alone,
                roster,
                self._target,
                self._settings,
                warmup_s=self._alone.interval_s,
                campaigns=self._campaigns,
            )
            confidence = self._settings.confidence
            figures = [
                _queue_figures(runs, 0, load.queue, confidence)
                for load in interval.loads
                if load.calls > 0
            ]
            occupancy = _occupancy(runs, 0, confidence, inbound_only=True)
            self._verdicts[n] = _meets(self._target, figures, occupancy)
        return self._verdicts[n]
