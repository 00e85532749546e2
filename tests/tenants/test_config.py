"""The tenants section: defaults keep old files working, references are checked with
their file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from callrouter.acd import TenantShare
from callrouter.calls import acd_config_from_settings
from callrouter.config import load_settings
from callrouter.errors import ConfigError, ConfigProblem

TWO_TENANTS = """\
tenants:
  acme:
    name: ACME Insurance
    tokens: ["${ACME_TOKEN}"]
    recording_retention_days: 30
  globex:
    name: Globex
    tokens: ["globex-token-0123456789"]
queues:
  acme-support: {tenant: acme}
  globex-sales: {tenant: globex}
  house: {}
operators:
  anna: {endpoint: PJSIP/anna, queues: {acme-support: 0, globex-sales: 1}}
  ben: {endpoint: PJSIP/ben, queues: {globex-sales: 0}}
routes:
  "100": acme-support
campaigns:
  renewals: {tenant: acme, queue: acme-support}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callrouter.yml"
    path.write_text(text)
    return path


def _problems(path: Path, environ: dict[str, str]) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ)
    return caught.value.problems


def test_a_file_without_tenants_puts_everything_in_default(tmp_path: Path) -> None:
    path = _write(tmp_path, "queues:\n  support: {}\ncampaigns:\n  c: {queue: support}\n")
    settings = load_settings(path, environ={})
    assert settings.tenants == {}
    assert settings.queues["support"].tenant == "default"
    assert settings.campaigns["c"].tenant == "default"


def test_tenants_with_tokens_from_the_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, TWO_TENANTS)
    settings = load_settings(path, environ={"ACME_TOKEN": "acme-token-0123456789"})
    acme = settings.tenants["acme"]
    assert [t.get_secret_value() for t in acme.tokens] == ["acme-token-0123456789"]
    assert acme.recording_retention_days == 30
    assert settings.queues["globex-sales"].tenant == "globex"
    assert settings.queues["house"].tenant == "default"
    # An operator serves the tenants of their queues: anna is shared, ben is not.
    assert settings.tenants_of_operator("anna") == {"acme", "globex"}
    assert settings.tenants_of_operator("ben") == {"globex"}


def test_an_unknown_tenant_is_located(tmp_path: Path) -> None:
    path = _write(tmp_path, "queues:\n  support: {}\n  sales:\n    tenant: initech\n")
    [problem] = _problems(path, {})
    assert (problem.line, problem.field) == (4, "queues.sales.tenant")
    assert "unknown tenant 'initech'" in problem.message


def test_a_supervisor_of_an_unknown_tenant_is_located(tmp_path: Path) -> None:
    text = "queues:\n  support: {}\nsupervisors:\n  sue:\n    tenant: initech\n"
    [problem] = _problems(_write(tmp_path, text), {})
    assert (problem.line, problem.field) == (5, "supervisors.sue.tenant")
    assert "unknown tenant 'initech'" in problem.message


def test_a_campaign_cannot_use_another_tenants_queue(tmp_path: Path) -> None:
    text = TWO_TENANTS.replace(
        "{tenant: acme, queue: acme-support}", "{tenant: globex, queue: acme-support}"
    )
    [problem] = _problems(_write(tmp_path, text), {"ACME_TOKEN": "acme-token-0123456789"})
    assert problem.field == "campaigns.renewals.queue"
    assert "belongs to tenant 'acme'" in problem.message


def test_a_token_cannot_serve_two_tenants(tmp_path: Path) -> None:
    path = _write(tmp_path, TWO_TENANTS)
    [problem] = _problems(path, {"ACME_TOKEN": "globex-token-0123456789"})
    assert problem.field == "tenants.globex.tokens.0"
    assert "same token as tenants.acme.tokens.0" in problem.message


def test_a_missing_token_variable_and_a_short_token(tmp_path: Path) -> None:
    problems = _problems(
        _write(tmp_path, TWO_TENANTS.replace("globex-token-0123456789", "short")), {}
    )
    found = {(p.field, p.message) for p in problems}
    assert ("tenants.acme.tokens.0", "environment variable ACME_TOKEN is not set") in found
    assert ("tenants.globex.tokens.0", "a tenant token needs at least 16 characters") in found


def test_a_bad_tenant_id(tmp_path: Path) -> None:
    [problem] = _problems(_write(tmp_path, "tenants:\n  Bad Name: {}\n"), {})
    assert problem.field.startswith("tenants.Bad Name")


def test_a_tenants_crm_takes_only_known_events(tmp_path: Path) -> None:
    text = (
        "tenants:\n  acme:\n    crm:\n      webhooks:\n"
        "        offered: https://crm.acme.example/hook\n"
        "        rang: https://crm.acme.example/hook\n"
    )
    [problem] = _problems(_write(tmp_path, text), {})
    assert problem.line == 6 and problem.field.startswith("tenants.acme.crm.webhooks.rang")
    assert "'offered', 'answered', 'ended', 'callback' or 'transferred'" in problem.message


def test_a_tenants_crm_secret_comes_from_the_environment(tmp_path: Path) -> None:
    text = (
        "tenants:\n  acme:\n    crm:\n      webhooks: {ended: https://crm.acme.example/hook}\n"
        "      secret: ${ACME_CRM_SECRET}\n"
    )
    settings = load_settings(_write(tmp_path, text), environ={"ACME_CRM_SECRET": "s" * 24})
    crm = settings.tenant_crms()["acme"]
    assert crm.secret is not None and crm.secret.get_secret_value() == "s" * 24
    assert "s" * 24 not in repr(settings)


def test_the_readme_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Outsourcing centers: tenants", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    environ = {
        "ACME_API_TOKEN": "acme-token-0123456789",
        "GLOBEX_API_TOKEN": "globex-token-0123456789",
        "ACME_CRM_SECRET": "acme-crm-secret-0123",
    }
    settings = load_settings(_write(tmp_path, example), environ=environ)
    [acme_crm] = settings.tenant_crms().values()
    assert set(acme_crm.webhooks) == {"offered", "ended"}
    assert settings.tenant_retention_days() == {"acme": 30}


FAIRNESS = """\
tenant_fairness:
  mode: weighted
tenants:
  acme: {priority: 2, weight: 3}
  globex: {}
queues:
  acme-support: {tenant: acme}
  globex-sales: {tenant: globex}
operators:
  anna: {endpoint: PJSIP/anna, queues: {acme-support: 0, globex-sales: 0}}
"""


def test_fairness_between_tenants_reaches_the_routing_core(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, FAIRNESS), environ={})
    config = acd_config_from_settings(settings)
    assert config.fairness.mode == "weighted"
    assert config.fairness.share("acme") == TenantShare(priority=2, weight=3)
    # A tenant that says nothing, or is not listed at all, counts priority 0, weight 1.
    assert config.fairness.share("globex") == config.fairness.share("default") == TenantShare()
    assert {q.name: q.tenant for q in config.queues} == {
        "acme-support": "acme",
        "globex-sales": "globex",
    }


def test_without_a_fairness_section_tenants_do_not_matter(tmp_path: Path) -> None:
    text = FAIRNESS.replace("tenant_fairness:\n  mode: weighted\n", "")
    config = acd_config_from_settings(load_settings(_write(tmp_path, text), environ={}))
    assert config.fairness.mode == "none"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "says"),
    [
        ("mode: weighted", "mode: fastest", 2, "tenant_fairness.mode", "'priority'"),
        ("weight: 3", "weight: 0", 4, "tenants.acme.weight", "greater than or equal to 1"),
        ("priority: 2", "priority: high", 4, "tenants.acme.priority", "integer"),
    ],
)
def test_a_bad_fairness_value_is_located(
    tmp_path: Path, old: str, new: str, line: int, field: str, says: str
) -> None:
    [problem] = _problems(_write(tmp_path, FAIRNESS.replace(old, new)), {})
    assert (problem.line, problem.field) == (line, field)
    assert says in problem.message
