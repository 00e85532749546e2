"""What-if planning: how many operators per interval, by Erlang and by the routing core.

- :mod:`._erlang`: Erlang C and Erlang A (Palm's M/M/n+M) for one interval, and the
  smallest staffing meeting a target, with shrinkage.
- :mod:`._simulation`: one day through the real ``AcdEngine`` (a discrete-event loop
  around it); :mod:`._simulated` replicates it with confidence intervals and searches
  the smallest roster per interval (``recommend_roster``).
- :mod:`._dialing`: a campaign blended into the simulated day, paced by the dialer's
  own ``decide`` (:mod:`._campaign` says what it is, :mod:`._outbound` its figures).
- :mod:`._analytic`: the per-queue Erlang plan, what a spreadsheet would say.
- :mod:`._history` measures a profile from the call log; :mod:`._files` reads profile
  and roster CSVs; :mod:`._report` and :mod:`._chart` turn a plan into rows and a PNG.
"""

from callrouter.planning._analytic import erlang_plan
from callrouter.planning._campaign import (
    Campaign,
    MissingOutbound,
    OutboundDefaults,
    blend,
    check_campaigns,
    parse_span,
)
from callrouter.planning._chart import plan_png
from callrouter.planning._configured import configured_campaigns
from callrouter.planning._erlang import (
    ErlangFigures,
    StaffingTarget,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_wait_probability,
    figures,
    required_agents,
    scheduled_agents,
)
from callrouter.planning._estimate import Estimate, estimate, t_quantile
from callrouter.planning._files import (
    DEFAULT_QUEUE,
    parse_clock,
    plan_csv,
    read_profile,
    read_roster,
)
from callrouter.planning._history import profile_from_history
from callrouter.planning._model import (
    Interval,
    OutboundLoad,
    Profile,
    QueueLoad,
    Roster,
    Routing,
    SkillGroup,
    group_name,
)
from callrouter.planning._report import (
    ALL_QUEUES,
    OutboundRow,
    Plan,
    PlanRow,
    clock,
    outbound_dicts,
    plan_dict,
    row_dicts,
)
from callrouter.planning._request import PlanMethod, PlanRequest, make_plan
from callrouter.planning._simulated import RunSettings, recommend_roster, simulation_plan
from callrouter.planning._simulation import SimulationSettings, simulate_day
from callrouter.planning._tally import CallTally, DayTally, OutboundTally

__all__ = [
    "ALL_QUEUES",
    "DEFAULT_QUEUE",
    "CallTally",
    "Campaign",
    "DayTally",
    "ErlangFigures",
    "Estimate",
    "Interval",
    "MissingOutbound",
    "OutboundDefaults",
    "OutboundLoad",
    "OutboundRow",
    "OutboundTally",
    "Plan",
    "PlanMethod",
    "PlanRequest",
    "PlanRow",
    "Profile",
    "QueueLoad",
    "Roster",
    "Routing",
    "RunSettings",
    "SimulationSettings",
    "SkillGroup",
    "StaffingTarget",
    "blend",
    "check_campaigns",
    "clock",
    "configured_campaigns",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_wait_probability",
    "erlang_plan",
    "estimate",
    "figures",
    "group_name",
    "make_plan",
    "outbound_dicts",
    "parse_clock",
    "parse_span",
    "plan_csv",
    "plan_dict",
    "plan_png",
    "profile_from_history",
    "read_profile",
    "read_roster",
    "recommend_roster",
    "required_agents",
    "row_dicts",
    "scheduled_agents",
    "simulate_day",
    "simulation_plan",
    "t_quantile",
]
