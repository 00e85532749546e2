"""``callrouter plan``: operators needed per interval, by Erlang or through the routing core."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from callrouter.cli._columns import Column, print_compact_table
from callrouter.cli._runtime import (
    CliState,
    console,
    database_pool,
    emit_json,
    err_console,
    run_async,
    state_of,
)
from callrouter.errors import InvalidInput
from callrouter.planning import (
    ALL_QUEUES,
    DEFAULT_QUEUE,
    OutboundDefaults,
    Plan,
    PlanRequest,
    Profile,
    Routing,
    RunSettings,
    StaffingTarget,
    blend,
    configured_campaigns,
    make_plan,
    outbound_dicts,
    parse_span,
    plan_csv,
    plan_dict,
    plan_png,
    profile_from_history,
    read_profile,
    read_roster,
    row_dicts,
)

__all__ = ["register"]

_HISTORY_DAYS = 28


class Method(StrEnum):
    ERLANG = "erlang"
    SIMULATE = "simulate"


class Rules(StrEnum):
    AUTO = "auto"
    CONFIG = "config"
    SIMPLE = "simple"


class Output(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


def _configured(state: CliState) -> Routing:
    # Imported here: the service's config translation pulls in the whole shell.
    from callrouter.calls import acd_config_from_settings

    return Routing.from_acd_config(acd_config_from_settings(state.settings))


def _routing(state: CliState, rules: Rules, profile: Profile) -> Routing:
    if rules is Rules.SIMPLE:
        return Routing.single_skill(profile.queues)
    configured = _configured(state)
    known = {q.name for q in configured.queues}
    missing = [q for q in profile.queues if q not in known]
    if not missing:
        return configured
    if rules is Rules.CONFIG:
        raise InvalidInput(f"queue(s) {', '.join(missing)} not in the configuration")
    err_console.print(
        f"note: {', '.join(missing)} not configured: each queue planned alone (--rules simple)"
    )
    return Routing.single_skill(profile.queues)


def _history(
    state: CliState,
    *,
    since: str | None,
    until: str | None,
    weekdays: str,
    timezone: str,
    interval_s: int,
    queue: str | None,
) -> Profile:
    try:
        end = date.fromisoformat(until) if until else date.today()
        start = date.fromisoformat(since) if since else end - timedelta(days=_HISTORY_DAYS)
        days = [int(d) for d in weekdays.split(",") if d.strip()]
    except ValueError as exc:
        raise InvalidInput(f"history range: {exc}") from None
    # Handle time is talk plus the configured wrap-up (none for an unknown queue).
    wrapup = {name: q.wrapup_s for name, q in state.settings.queues.items()}

    async def go() -> Profile:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await profile_from_history(
                conn,
                since=start,
                until=end,
                interval_s=interval_s,
                timezone=timezone,
                weekdays=days,
                queues=[queue] if queue else [],
                wrapup_s=wrapup,
            )

    return run_async(go())


def _cell(row: dict[str, Any], name: str, scale: float, *, interval: bool = True) -> str:
    """``mean±half-width`` (the half-width when the row has ``name_low``/``name_high``)."""
    value = row[name]
    if value is None:
        return ""
    text = f"{value * scale:.1f}"
    if interval and row.get(f"{name}_low") is not None:
        text += f"±{(row[f'{name}_high'] - row[f'{name}_low']) * scale / 2:.1f}"
    return text


def _print(plan: Plan) -> None:
    simulated = plan.method == "simulation"

    def cell(row: dict[str, Any], name: str, scale: float) -> str:
        return _cell(row, name, scale, interval=simulated)

    several_queues = len({r.queue for r in plan.rows}) > 2
    rows = [
        [
            r["start"],
            "all" if r["queue"] == ALL_QUEUES else r["queue"],
            f"{r['calls']:g}",
            "" if r["planned"] is None else str(r["planned"]),
            "" if r["required"] is None else str(r["required"]),
            "" if r["scheduled"] is None else str(r["scheduled"]),
            cell(r, "service_level", 100),
            cell(r, "asa_s", 1),
            cell(r, "abandon_rate", 100),
            cell(r, "occupancy", 100),
        ]
        for r in row_dicts(plan)
        if several_queues or r["queue"] == ALL_QUEUES
    ]
    t = plan.target
    title = f"Plan by {plan.method}"
    title += f" ({plan.replications} runs, {plan.confidence:.0%} intervals)" if simulated else ""
    if t.service_level is not None:
        title += f": target {t.service_level:.0%} in {t.within_s:g} s"
    numbers = ("calls", "duty", "need", "sched", "SL %", "ASA s", "aband %", "occ %")
    print_compact_table(
        title,
        [Column("start"), Column("queue", fold=True)]
        + [Column(header, justify="right") for header in numbers],
        rows,
    )
    _print_outbound(plan)


def _print_outbound(plan: Plan) -> None:
    by_campaign: dict[str, list[dict[str, Any]]] = {}
    for row in outbound_dicts(plan):
        by_campaign.setdefault(row["campaign"], []).append(row)
    numbers = ("leads", "dialled", "connects", "aband %", "out occ %", "in SL %", "alone SL %")
    for name, rows in by_campaign.items():
        first = rows[0]
        title = (
            f"Outbound {name} ({first['mode']} into {first['queue']}, "
            f"abandon cap {first['abandon_cap']:.0%})"
        )
        table = [
            [
                r["start"],
                "∞" if r["leads"] is None else str(r["leads"]),
                _cell(r, "attempts", 1),
                _cell(r, "connects", 1),
                _cell(r, "outbound_abandon_rate", 100),
                _cell(r, "outbound_occupancy", 100),
                _cell(r, "inbound_service_level", 100),
                _cell(r, "inbound_service_level_alone", 100),
            ]
            for r in rows
        ]
        print_compact_table(
            title, [Column("start")] + [Column(h, justify="right") for h in numbers], table
        )


def plan(
    ctx: typer.Context,
    profile: Path | None = typer.Option(
        None, help="Arrival profile CSV (start,queue,calls,aht_s,patience_s)."
    ),
    from_history: bool = typer.Option(
        False, "--from-history", help="Measure the profile from the call log."
    ),
    since: str | None = typer.Option(None, help="History: first day (YYYY-MM-DD) [28 days ago]."),
    until: str | None = typer.Option(None, help="History: day after the last [today]."),
    weekdays: str = typer.Option(
        "1,2,3,4,5,6,7", help="History: ISO weekdays to count (1 = Monday)."
    ),
    timezone: str = typer.Option("UTC", help="History: time zone of the intervals."),
    queue: str | None = typer.Option(
        None, help="Only this queue (history), or the queue of a CSV without one."
    ),
    interval: int = typer.Option(30, min=1, help="Interval length in minutes."),
    roster: Path | None = typer.Option(
        None, help="Roster CSV: start, then operators per skill group."
    ),
    method: Method = typer.Option(
        Method.ERLANG, help="erlang (per queue) or simulate (the routing core)."
    ),
    recommend: bool = typer.Option(
        False, help="Simulate: search the smallest roster per interval."
    ),
    rules: Rules = typer.Option(
        Rules.AUTO, help="Routing: the configured queues and operators, or each queue alone."
    ),
    service_level: float | None = typer.Option(
        0.8, help="Target share answered within --within (0 to 1)."
    ),
    within: float = typer.Option(20.0, help="Seconds of the service-level target."),
    asa: float | None = typer.Option(None, help="Target average speed of answer, seconds."),
    abandon: float | None = typer.Option(None, help="Target abandon rate (0 to 1)."),
    max_occupancy: float | None = typer.Option(None, help="Highest occupancy allowed (0 to 1)."),
    shrinkage: float = typer.Option(0.0, help="Share of scheduled time off the phones (0 to 1)."),
    replications: int = typer.Option(10, help="Simulate: independent runs of the day."),
    seed: int = typer.Option(1, help="Simulate: seed of the first run."),
    ring: float = typer.Option(0.0, help="Simulate: seconds an operator's phone rings."),
    warmup: float = typer.Option(0.0, help="Simulate: seconds run before the first interval."),
    campaign: list[str] = typer.Option(
        [], help="Simulate: blend this configured campaign into the day (repeatable)."
    ),
    answer_rate: float | None = typer.Option(
        None, help="Outbound: share of lines a person answers, where the profile has none."
    ),
    talk: float | None = typer.Option(
        None, help="Outbound: mean talk time in seconds, where the profile has none."
    ),
    leads: int | None = typer.Option(
        None, min=0, help="Outbound: lines per interval, where the profile has none [no limit]."
    ),
    answer_after: str = typer.Option(
        "4-20", help="Outbound: seconds of ringing before a person answers (uniform LOW-HIGH)."
    ),
    give_up_after: str = typer.Option(
        "3-30", help="Outbound: seconds an unanswered line rings (uniform LOW-HIGH)."
    ),
    amd: float = typer.Option(
        0.0, min=0, help="Outbound: seconds of answering-machine detection after the answer."
    ),
    output: Output = typer.Option(Output.TABLE, "--format", help="table, csv or json."),
    chart: Path | None = typer.Option(None, help="Also draw the plan as a PNG here."),
) -> None:
    """Operators needed per interval to meet a service-level target, with shrinkage.

    ``--method erlang`` (default) sizes each queue alone with Erlang C, or Erlang A when
    the profile gives a patience. ``--method simulate`` runs the day through the routing
    core with the configured queues and skills, ``--replications`` times, and gives each
    figure with its 95% confidence interval; ``--recommend`` searches the smallest roster.
    ``--campaign NAME`` blends a configured campaign in: the dialer's pacing dials into
    its queue, what it dials given per interval by the profile's ``answer_rate``,
    ``talk_s`` and ``leads`` columns, or by ``--answer-rate``, ``--talk`` and ``--leads``.
    """
    state = state_of(ctx)
    if (profile is None) == (not from_history):
        raise InvalidInput("give either --profile FILE or --from-history")
    campaigns = configured_campaigns(
        state.settings,
        campaign,
        answer_after_s=parse_span(answer_after, "--answer-after"),
        give_up_after_s=parse_span(give_up_after, "--give-up-after"),
        amd_s=amd,
    )
    outbound = OutboundDefaults(answer_rate=answer_rate, talk_s=talk, leads=leads)
    if profile is not None:
        load = read_profile(
            _read(profile),
            interval_s=interval * 60,
            queue=queue or DEFAULT_QUEUE,
            outbound=outbound,
        )
    else:
        load = _history(
            state,
            since=since,
            until=until,
            weekdays=weekdays,
            timezone=timezone,
            interval_s=interval * 60,
            queue=queue,
        )
    load = blend(load, campaigns, outbound)
    routing = _routing(state, rules, load)
    request = PlanRequest(
        profile=load,
        routing=routing,
        target=StaffingTarget(
            service_level=service_level,
            within_s=within,
            asa_s=asa,
            abandon_rate=abandon,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
        ),
        method="erlang" if method is Method.ERLANG else "simulate",
        roster=read_roster(_read(roster), routing) if roster is not None else None,
        recommend=recommend,
        runs=RunSettings(replications=replications, seed=seed, ring_s=ring, warmup_s=warmup),
        campaigns=campaigns,
    )
    result = make_plan(request)
    if output is Output.JSON:
        emit_json(plan_dict(result))
    elif output is Output.CSV:
        sys.stdout.write(plan_csv(result))
    else:
        _print(result)
    if chart is not None:
        try:
            chart.write_bytes(plan_png(result))
        except OSError as exc:
            raise InvalidInput(f"cannot write {chart}: {exc.strerror}") from None
        if output is Output.TABLE:
            console.print(f"chart: {chart}")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
