"""The dialer's storage in PostgreSQL: campaigns, leads, attempts and do-not-call.

The pure core (``callrouter.dialer``) decides; these functions read and write the rows
it decides about. Every function takes a connection (``DbConnection``: a bare asyncpg
connection or one from ``callrouter.store.open_pool``, whose JSON codecs they rely
on) and runs its own transaction where it needs one (nested in the caller's if any).

* Campaigns: ``sync_campaigns`` (config -> table, state kept), ``list_campaigns``,
  ``get_campaign``, ``change_campaign_state`` (pure state machine), ``campaign_stats``.
* Leads: ``import_leads`` / ``import_lead_file`` (COPY + upsert by key).
* Pacing: ``abandon_counts`` (every node's, over a window and the day), ``mark_answered``.
* After a crash: ``open_attempts``, ``outcome_of_call``, ``release_unattempted_claims``,
  ``expire_claims``.
* Calls operators start: ``permit_dial`` (DNC, window, the lead's own number).
* Runner: ``claim_dialable`` (the dial-time gate), ``due_leads``, ``release_leads``,
  ``mark_leads``, ``release_stale_claims``, ``start_attempt``, ``finish_attempt``,
  ``set_disposition``.
* Do-not-call: ``add_dnc``, ``dnc_numbers_from_lines``, ``remove_dnc``, ``list_dnc``,
  ``check_dnc_numbers``, ``DbDncLookup``.
"""

from __future__ import annotations

from ._db_attempts import (
    ClaimedLead,
    due_leads,
    finish_attempt,
    mark_leads,
    parse_outcome,
    release_leads,
    release_stale_claims,
    start_attempt,
)
from ._db_campaigns import (
    CampaignRow,
    CampaignStats,
    campaign_stats,
    change_campaign_state,
    finish_if_exhausted,
    get_campaign,
    list_campaigns,
    sync_campaigns,
)
from ._db_claim import claim_dialable, held_preview_lead, preview_claimant
from ._db_dispositions import set_disposition
from ._db_dnc import (
    DbDncLookup,
    DncCheck,
    DncWriteResult,
    add_dnc,
    check_dnc_numbers,
    dnc_numbers_from_lines,
    list_dnc,
    remove_dnc,
)
from ._db_gate import DialPermit, DialRefused, permit_dial
from ._db_leads import (
    ImportProgress,
    LeadImportReport,
    import_lead_file,
    import_leads,
    options_for,
)
from ._db_pacing import (
    OutboundQueueFigures,
    abandon_counts,
    mark_answered,
    outbound_queue_figures,
)
from ._db_recovery import (
    OpenAttempt,
    expire_claims,
    open_attempts,
    outcome_of_call,
    release_unattempted_claims,
)

__all__ = [
    "CampaignRow",
    "CampaignStats",
    "ClaimedLead",
    "DbDncLookup",
    "DialPermit",
    "DialRefused",
    "DncCheck",
    "DncWriteResult",
    "ImportProgress",
    "LeadImportReport",
    "OpenAttempt",
    "OutboundQueueFigures",
    "abandon_counts",
    "add_dnc",
    "campaign_stats",
    "change_campaign_state",
    "check_dnc_numbers",
    "claim_dialable",
    "dnc_numbers_from_lines",
    "due_leads",
    "expire_claims",
    "finish_attempt",
    "finish_if_exhausted",
    "get_campaign",
    "held_preview_lead",
    "import_lead_file",
    "import_leads",
    "list_campaigns",
    "list_dnc",
    "mark_answered",
    "mark_leads",
    "open_attempts",
    "options_for",
    "outbound_queue_figures",
    "outcome_of_call",
    "parse_outcome",
    "permit_dial",
    "preview_claimant",
    "release_leads",
    "release_stale_claims",
    "release_unattempted_claims",
    "remove_dnc",
    "set_disposition",
    "start_attempt",
    "sync_campaigns",
]
