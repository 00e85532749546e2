"""Fairness between tenants: which tenant's caller an operator shared by two takes.

One operator, anna, serves ``qa`` (tenant acme) and ``qg`` (tenant globex). Each test
keeps her busy while callers of both tenants queue, then frees her and looks at whom
she is rung for (``callrouter/acd/_tenant_fairness.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from callrouter.acd import (
    AcdConfig,
    AcdEngine,
    CallArrived,
    CallbackPlace,
    CallbacksDue,
    CallCompleted,
    OfferAnswered,
    OfferFailed,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorStateChanged,
    OperatorUnpaused,
    QueuePolicy,
    TenantFairness,
    TenantFairnessMode,
    TenantShare,
    reserved_callback,
)

from ._helpers import T0, Harness, of, op, rings, t

TENANT_OF = {"qa": "acme", "qg": "globex"}


def _config(
    mode: TenantFairnessMode,
    shares: Mapping[str, TenantShare] | None = None,
    *,
    service_level_s: Mapping[str, float] | None = None,
) -> AcdConfig:
    levels = service_level_s or {}
    queues = [
        QueuePolicy(
            name,
            tenant=tenant,
            wrapup_s=0,
            retry_s=0,
            join_empty=True,
            service_level_s=levels.get(name, 20.0),
        )
        for name, tenant in TENANT_OF.items()
    ]
    return AcdConfig(
        queues=queues,
        operators=[op("anna", qa=0, qg=0)],
        fairness=TenantFairness(mode, shares or {}),
    )


def _center(
    mode: TenantFairnessMode,
    shares: Mapping[str, TenantShare] | None = None,
    *,
    service_level_s: Mapping[str, float] | None = None,
) -> Harness:
    h = Harness(AcdEngine(_config(mode, shares, service_level_s=service_level_s), start=T0))
    # anna talks with "x" from the start, so the callers below queue for her.
    assert rings(h(CallArrived("x", "qa", T0))) == [("x", "anna")]
    h(OfferAnswered("x", "anna", T0))
    return h


def _next(h: Harness, done: str, at: float) -> str:
    """anna finishes ``done``: the caller she is rung for, whom she answers."""
    [(call_id, operator)] = rings(h(CallCompleted(done, t(at))))
    assert operator == "anna"
    h(OfferAnswered(call_id, "anna", t(at)))
    return call_id


def _tenant(h: Harness, call_id: str) -> str:
    return TENANT_OF[h.engine.snapshot().call(call_id).queue]


def test_without_a_mode_tenants_do_not_matter() -> None:
    h = _center("none", {"globex": TenantShare(priority=5, weight=9)})
    h(CallArrived("acme-old", "qa", t(1)))
    h(CallArrived("globex-new", "qg", t(2)))
    assert _next(h, "x", 10) == "acme-old"


def test_priority_mode_serves_the_higher_tenant_first() -> None:
    h = _center("priority", {"globex": TenantShare(priority=5)})
    h(CallArrived("acme-old", "qa", t(1)))
    h(CallArrived("globex-new", "qg", t(2)))
    assert _next(h, "x", 10) == "globex-new"
    assert _next(h, "globex-new", 20) == "acme-old"


def test_priority_mode_a_vip_of_a_lower_tenant_waits() -> None:
    h = _center("priority", {"globex": TenantShare(priority=1)})
    h(CallArrived("acme-vip", "qa", t(1), priority=9))
    h(CallArrived("globex-plain", "qg", t(2)))
    assert _next(h, "x", 10) == "globex-plain"


def test_inside_a_tenant_call_priority_then_wait_as_before() -> None:
    h = _center("priority", {"globex": TenantShare(priority=1)})
    h(CallArrived("acme", "qa", t(1)))
    h(CallArrived("globex-old", "qg", t(2)))
    h(CallArrived("globex-vip", "qg", t(3), priority=4))
    assert _next(h, "x", 10) == "globex-vip"
    assert _next(h, "globex-vip", 11) == "globex-old"
    assert _next(h, "globex-old", 12) == "acme"


def test_sla_risk_mode_serves_the_largest_fraction_of_its_service_level() -> None:
    levels = {"qa": 60.0, "qg": 10.0}
    # At 38 s: acme's caller waited 30 s of 60 (0.5), globex's 8 s of 10 (0.8).
    h = _center("sla_risk", service_level_s=levels)
    h(CallArrived("acme", "qa", t(8)))
    h(CallArrived("globex", "qg", t(30)))
    assert _next(h, "x", 38) == "globex"
    # At 62 s: acme's caller waited 54 s of 60 (0.9), globex's 8 s of 10 (0.8).
    h = _center("sla_risk", service_level_s=levels)
    h(CallArrived("acme", "qa", t(8)))
    h(CallArrived("globex", "qg", t(54)))
    assert _next(h, "x", 62) == "acme"


def test_sla_risk_mode_a_vip_is_their_tenants_candidate_with_their_own_wait() -> None:
    h = _center("sla_risk")
    h(CallArrived("acme-old", "qa", t(1)))
    h(CallArrived("globex", "qg", t(5)))
    h(CallArrived("acme-vip", "qa", t(14), priority=9))
    # acme puts its VIP forward (1 s of 20), globex its caller (10 s of 20).
    assert _next(h, "x", 15) == "globex"
    assert _next(h, "globex", 16) == "acme-vip"


def _keep_both_waiting(h: Harness, at: float) -> None:
    for queue in TENANT_OF:
        if not h.engine.snapshot().queue(queue).waiting:
            h(CallArrived(f"{queue}@{at}", queue, t(at)))


def _serve_both(h: Harness, done: str, picks: int, start: float) -> tuple[list[str], str]:
    """anna finishes ``done`` and ``picks`` calls more, callers of both tenants always
    waiting: the tenants she served, and the call she is on."""
    served: list[str] = []
    for n in range(picks):
        _keep_both_waiting(h, start + n)
        done = _next(h, done, start + n + 0.5)
        served.append(_tenant(h, done))
    return served, done


def test_weighted_mode_splits_a_shared_operators_calls_by_weight() -> None:
    h = _center("weighted", {"acme": TenantShare(weight=2)})
    assert _serve_both(h, "x", 6, 1)[0] == ["acme", "globex", "acme"] * 2


def test_weighted_mode_a_tenant_without_callers_banks_no_turns() -> None:
    h = _center("weighted", {"acme": TenantShare(weight=2)})
    done = "x"
    for n in range(4):  # only acme has callers: globex earns nothing meanwhile
        h(CallArrived(f"a{n}", "qa", t(1 + n)))
        done = _next(h, done, 1.5 + n)
    # The split goes on as on the first day: no run of globex calls is owed.
    assert _serve_both(h, done, 3, 10)[0] == ["acme", "globex", "acme"]


def test_weighted_mode_an_offer_not_answered_does_not_count() -> None:
    h = _center("weighted", {"acme": TenantShare(weight=2)})
    h(CallArrived("acme", "qa", t(1)))
    h(CallArrived("globex", "qg", t(2)))
    assert rings(h(CallCompleted("x", t(3)))) == [("acme", "anna")]
    # Busy: back in line, and anna picks again as if never rung (had the offer
    # counted, globex would come first: credits -1 + 2 against 1 + 1).
    assert rings(h(OfferFailed("acme", "anna", "busy", t(4)))) == [("acme", "anna")]
    h(OfferAnswered("acme", "anna", t(5)))
    h(CallArrived("acme-2", "qa", t(6)))
    assert _next(h, "acme", 7) == "globex"


def test_weighted_credits_survive_a_reload_and_a_logout() -> None:
    shares = {"acme": TenantShare(weight=2)}
    h = _center("weighted", shares)
    served, done = _serve_both(h, "x", 1, 1)
    h.engine.reconfigure(_config("weighted", shares), t(5))
    more, done = _serve_both(h, done, 3, 6)
    served += more
    assert served == ["acme", "globex", "acme", "acme"]  # after a reset: acme, acme, ...
    h(OperatorLoggedOut("anna", t(20)))  # deferred until the call is over
    h(CallCompleted(done, t(21)))
    assert h.state("anna") == "logged_out"
    _keep_both_waiting(h, 22)
    [(call_id, _)] = rings(h(OperatorLoggedIn("anna", t(23))))
    assert _tenant(h, call_id) == "globex"  # the fifth of acme, globex, acme, acme, globex


def test_a_caller_arriving_while_a_shared_operator_is_free_is_rung_at_once() -> None:
    h = _center("priority", {"globex": TenantShare(priority=5)})
    h(CallCompleted("x", t(1)))
    assert rings(h(CallArrived("acme", "qa", t(2)))) == [("acme", "anna")]


def test_a_due_callback_competes_by_the_same_rule() -> None:
    for mode, taken in (("none", "callback"), ("priority", "globex")):
        h = _center(mode, {"globex": TenantShare(priority=5)})  # type: ignore[arg-type]
        h(CallArrived("globex", "qg", t(20)))
        # An acme caller who asked for a callback had joined at 10 s: an older place.
        h(CallbacksDue("qa", (CallbackPlace(7, 0, t(10)),), t(30)))
        out = h(CallCompleted("x", t(40)))
        reserved = [c for c in of(OperatorStateChanged, out) if reserved_callback(c.call_id) == 7]
        assert ("callback" if reserved else rings(out)[0][0]) == taken, mode


def test_weighted_mode_a_callback_counts_as_its_tenants_call() -> None:
    h = _center("weighted")
    h(CallArrived("acme", "qa", t(15)))
    h(CallArrived("globex", "qg", t(20)))
    # Equal credits: the callback's older place (10 s) goes first, for acme.
    h(CallbacksDue("qa", (CallbackPlace(7, 0, t(10)),), t(30)))
    out = h(CallCompleted("x", t(40)))
    assert [reserved_callback(c.call_id) for c in of(OperatorStateChanged, out)][-1] == 7
    # Counted: globex's turn, though acme's caller waited longer (uncounted: acme).
    assert rings(h(OperatorUnpaused("anna", t(50)))) == [("globex", "anna")]


def test_weighted_mode_keeps_each_operators_split_apart() -> None:
    config = _config("weighted", {"acme": TenantShare(weight=2)})
    shared = {"qa": 0, "qg": 0}
    config = AcdConfig(
        config.queues, [op("anna", **shared), op("ben", **shared)], fairness=config.fairness
    )
    h = Harness(AcdEngine(config, start=T0))
    for call_id, operator in (("x", "anna"), ("y", "ben")):
        assert rings(h(CallArrived(call_id, "qa", T0))) == [(call_id, operator)]
        h(OfferAnswered(call_id, operator, T0))
    for n, (call_id, queue) in enumerate((("a1", "qa"), ("g1", "qg"), ("a2", "qa")), start=1):
        h(CallArrived(call_id, queue, t(n)))
    assert rings(h(CallCompleted("x", t(10)))) == [("a1", "anna")]
    # ben's own first pick, as anna's was (a split kept for the center: globex's turn).
    assert rings(h(CallCompleted("y", t(11)))) == [("a2", "ben")]
