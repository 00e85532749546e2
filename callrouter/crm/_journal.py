"""The webhook journal: every published delivery on local disk until the delivery log has it.

Theory of operation: with a spool folder (``database.spool_dir``), ``publish()`` appends
the delivery (its id, event, URL, body, time and tenant) to a
:class:`~callrouter.store._spool.Spool` in the folder's ``webhooks`` subfolder: one
``write(2)``, no await, the same machinery, file format, segment rotation and group
commit as the row writer's spool, with its own runs and marks in ``record_spools``. The
delivery log's batch insert moves the run's mark in the transaction that inserts the
rows; a segment is deleted once every delivery in it has its row. At start, the
deliveries earlier processes journalled and the table does not have (by the marks, and
``ON CONFLICT (id) DO NOTHING`` besides) are inserted as ``pending`` rows with their
original id and time, and then resumed with the rest of the node's pending rows, oldest
first: the journal only has to bridge the gap between ``publish()`` and the row; from
the row on, the table is the truth about a delivery.

The guarantee, with a journal (at least once, the same ``X-Callrouter-Delivery`` id on
every attempt, before and after a restart):

- Killed process (``kill -9``, OOM, crash): no delivery published before the kill is
  lost. It is resumed by the next start on the same folder and node name, unless the
  CRM had answered it and the table had recorded that (a delivery sent but not yet
  recorded is sent again: the receiver deduplicates on the delivery id).
- Power loss or kernel crash: deliveries published in the last group-commit window
  (about 10 ms plus one fdatasync) whose rows had not reached PostgreSQL either.
- Database outage, of any length: nothing; deliveries still go to the CRM meanwhile,
  and the journal holds them until their rows land.
- Not covered: deliveries published before ``start()`` (kept in memory until then), a
  delivery the journal could not write (disk full, logged ``spool_write_failed``), one
  whose row PostgreSQL refuses for good (sent, but not resumed after a kill), the loss
  of the folder itself, and a start while PostgreSQL is unreachable (``start()`` fails:
  resuming needs the table, to keep each call's events in order).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from callrouter.config import DEFAULT_TENANT
from callrouter.store import Spool, SpoolCodec

__all__ = ["JOURNAL_CODEC", "JOURNAL_FOLDER", "Published", "open_journal"]

# Beside the row writer's segments, in a folder of its own: each spool locks and reads
# its whole folder, and the two streams commit to different tables.
JOURNAL_FOLDER = "webhooks"


@dataclass(frozen=True, slots=True)
class Published:
    """A delivery as journalled by ``publish()``: all its row needs to be written later."""

    id: uuid.UUID
    event: str
    url: str
    # The JSON body as text rather than its payload: what was to be sent, as it was
    # encoded, and a "$" key in it needs no escaping on the line.
    body: str
    created_at: datetime
    # Whose CRM it goes to; lines journalled before tenants had CRMs are the default's.
    tenant: str = DEFAULT_TENANT


JOURNAL_CODEC: SpoolCodec[Published] = SpoolCodec((Published,))


def open_journal(spool_dir: Path) -> Spool[Published]:
    """The webhook journal of the node whose spool folder is ``spool_dir`` (unopened)."""
    return Spool(spool_dir / JOURNAL_FOLDER, codec=JOURNAL_CODEC)
