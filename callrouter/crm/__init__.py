"""CRM webhooks: the caller's card when a phone rings, the outcome when the call ends.

# CRM webhooks

callrouter POSTs one JSON body per event to the URL configured for that event. The
routing path only *queues* an event (`WebhookNotifier.notify` never awaits): a slow or
failing CRM never delays a call. Background lanes deliver, retry and record every
attempt in PostgreSQL.

## Configuration

```yaml
crm:
  webhooks:                       # an event without a URL is not sent
    offered: https://crm.example.com/hooks/callrouter   # call.offered (screen pop)
    answered: https://crm.example.com/hooks/callrouter  # call.answered
    ended: https://crm.example.com/hooks/callrouter     # call.ended
    callback: https://crm.example.com/hooks/callrouter  # callback.requested
  secret: ${CRM_WEBHOOK_SECRET}   # HMAC key; without it requests go unsigned (a warning)
  timeout_s: 5                    # per attempt, connect to last byte
  max_attempts: 5                 # first attempt included
tenants:
  acme:
    crm:                          # acme's calls go here instead, signed with its secret
      webhooks: {offered: https://crm.acme.example/hook, ended: https://crm.acme.example/hook}
      secret: ${ACME_CRM_SECRET}
```

A tenant with its own ``crm`` gets every webhook of its calls, and only it; the others
(``default`` included) share ``crm``. ``timeout_s`` and ``max_attempts`` are the center's
for every CRM. The rules: ``_targets.py``.

## Use (the routing shell)

```python
notifier = WebhookNotifier(settings=settings.crm, tenants=settings.tenant_crms(),
                           pool=pool, node="pbx-a",
                           spool_dir=Path("var/spool"))   # database.spool_dir
await notifier.start()                    # replays the journal, resumes pending deliveries
notifier.publish(call_offered(call_id=..., queue="support", ...), tenant="acme")  # never waits
notifier.notify("call.ended", {...})      # or any JSON mapping
await notifier.stop()                     # drains briefly; the rest stays pending
```

## The request

`POST <url>` with the body below and these headers:

| header | value |
| --- | --- |
| `Content-Type` | `application/json` (UTF-8) |
| `X-Callrouter-Event` | `call.offered`, `call.answered`, `call.ended` or `callback.requested` |
| `X-Callrouter-Delivery` | a UUID, the same on every retry: use it to drop duplicates |
| `X-Callrouter-Attempt` | 1 for the first attempt, 2 for the first retry, ... |
| `X-Callrouter-Timestamp` | Unix time in seconds when this attempt was sent |
| `X-Callrouter-Signature` | `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`, key `crm.secret` |

Any 2xx answer means delivered; the response body is ignored. Redirects are not
followed (a 3xx is a failure that is not retried: fix the URL).

## Bodies

Every body has `schema_version` (1; raised only when a field is removed, renamed or
changes type: ignore fields you do not know, new ones may appear) and `event` (the same
as the header). Times are ISO 8601 in UTC (`2026-11-23T09:00:12Z`); durations are
seconds as numbers. `call_id` is callrouter's UUID for the call: the same in every event
of a call and in callrouter's `calls` table and queue_log export.

Shared parts:

| part | field | meaning |
| --- | --- | --- |
| `operator` | `id` | operator id from `operators.<id>` in the configuration |
| | `name` | display name (may be empty) |
| | `endpoint` | the phone that rang, e.g. `PJSIP/101` |
| `caller` | `number` | the caller's number as received (callback: the number to call back) |
| | `name` | caller ID name, empty when unknown |
| `customer` | `name` | customer card from callrouter's `customers` table |
| | `tier` | service tier, e.g. `standard`, `gold` |
| | `account` | account number, or null |
| | `notes` | free text for the operator, or null |
| `recording` | `name` | recording name (as in Asterisk and the `recordings` table) |
| | `url` | where to fetch the audio, or null when not served over HTTP |
| | `duration_s` | length in seconds, or null if unknown |

`call.offered`: an operator's phone is ringing with this call (the screen pop). One per
ring: a call offered to a second operator after a no-answer gives a second one.

| field | meaning |
| --- | --- |
| `call_id` | the call's UUID |
| `queue` | queue the call waited in, or null (a direct call) |
| `operator` | the operator being rung |
| `caller` | who is calling |
| `customer` | the matching customer card, or null when the number is unknown |
| `script_url` | the queue's `script_url` (call script for the operator), or null |
| `offered_at` | when the phone started ringing |
| `transfer` | a transferred call only: `from_operator`, `reason`, `note` |

Example:

```json
{
  "schema_version": 1,
  "event": "call.offered",
  "call_id": "0b7e5c1e-3f4a-4a51-9d3e-2a9c8f1d6b20",
  "queue": "support",
  "operator": {"id": "anna", "name": "Anna Berg", "endpoint": "PJSIP/101"},
  "caller": {"number": "+4930123456", "name": "ACME GmbH"},
  "customer": {"name": "ACME GmbH", "tier": "gold", "account": "C-1042",
               "notes": "Prefers German."},
  "script_url": "https://crm.example.com/scripts/support",
  "offered_at": "2026-11-23T09:00:12Z"
}
```

`call.answered`: the operator picked up.

| field | meaning |
| --- | --- |
| `call_id`, `queue`, `operator`, `caller` | as in `call.offered` |
| `wait_s` | seconds from entering callrouter to the answer |
| `answered_at` | when the operator answered |

`call.ended`: the call is over, whatever happened to it.

| field | meaning |
| --- | --- |
| `call_id`, `queue`, `caller` | as in `call.offered` |
| `operator` | the operator who talked to the caller, or null if none did |
| `outcome` | how it ended: one of the outcomes listed below |
| `wait_s` | seconds waited before the answer (or before hanging up) |
| `talk_s` | seconds talked; 0 when never answered |
| `hangup_cause` | Q.850 cause code from Asterisk (16 = normal clearing), or null |
| `hangup_cause_txt` | its text, or null |
| `recording` | the call's recording, or null when not recorded |
| `ended_at` | when the call ended |

Outcomes (as in the `calls` table): `answered`, `abandoned` (caller hung up while
waiting), `overflowed` (sent to another queue or context), `callback` (left for a
callback), `closed` (outside business hours), `failed`, `busy`, `no_answer`, `machine`
(answering machine), `congestion`, `unreachable`, `transferred`, `lost` (still open when
callrouter restarted and its channel was gone).

`call.transferred`: an operator handed the call on (the call keeps its `call_id`).

| field | meaning |
| --- | --- |
| `call_id`, `queue`, `caller` | as in `call.offered` (`queue`: the one the call leaves) |
| `kind` | `blind`, `attended` (after a consultation) or `conference` |
| `to` | `{"queue": ...}`, `{"operator": ...}` or `{"number": ...}` |
| `transfer` | `from_operator`, `reason` (a reason code) and `note`, as given |
| `transferred_at` | when the call was handed on |

`callback.requested`: a caller asked to be called back instead of waiting.

| field | meaning |
| --- | --- |
| `callback_id` | id of the row in callrouter's `callbacks` table, or null |
| `call_id` | the call during which it was requested, or null (requested by API) |
| `queue` | queue that will place the callback, or null |
| `caller` | `number` to call back and the caller's `name` |
| `requested_at` | when the caller asked |
| `due_at` | the earliest time callrouter will call back |

## Verifying the signature

Compute the HMAC over the raw body bytes exactly as received (before any JSON
parsing), compare in constant time, and refuse old timestamps so a captured request
cannot be replayed:

```python
import hashlib
import hmac
import time

TOLERANCE_S = 300  # refuse requests signed more than five minutes from now


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    # `headers` as your framework gives them; most look names up case-insensitively.
    timestamp = headers.get("X-Callrouter-Timestamp", "")
    signature = headers.get("X-Callrouter-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_S:
        return False
    signed = timestamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
```

## Retries and order

- Retried: connection errors, timeouts (`crm.timeout_s`), HTTP 5xx and 429. Not
  retried: any other 4xx (the CRM refuses this body and would again) and 3xx.
- At most `crm.max_attempts` attempts, the first included. Between attempts: 1 s,
  2 s, 4 s, ... doubling up to 5 min, each shortened by up to half at random (jitter), so
  deliveries that failed together do not all come back together. A `Retry-After`
  header (seconds or an HTTP date) replaces that delay, up to 10 min.
- One call's events arrive in the order they happened (`call.offered` before
  `call.answered` before `call.ended`, then `callback.requested`): an event waits
  until the previous one for its call is delivered or has failed for good. Different
  calls do not wait for each other; at most 8 requests are in flight at once to one
  CRM, and each CRM (the center's, a tenant's own) has its own 8 and its own backlog.
- Delivery is at least once: a retry after a timeout, or a restart mid-request, can
  repeat a body the CRM already took. Deduplicate on `X-Callrouter-Delivery`.

## Delivery log

Table `webhook_deliveries` (migration 003), one row per delivery, written when the event
is queued and after every attempt: `id` (the `X-Callrouter-Delivery` UUID), `event`,
`url`, `call_id`, `payload` (the body, jsonb), `status` (`pending`, `delivered`,
`failed`), `attempts`, `last_status_code`, `last_error` (the error or the start of the
CRM's error page), `created_at`, `delivered_at`, `next_attempt_at`, `node` (the
`node` name the notifier was given; empty by default), and `tenant` (the call's tenant:
whose CRM it goes to). At start, a notifier resumes the `pending` rows of its own node
name, in order, before anything new, and sends them to the URL configured *now* for
their event at their tenant's CRM; several callrouter nodes sharing one database must
each have their own stable name. What failed for good stays `failed`:

```sql
SELECT created_at, event, call_id, attempts, last_status_code, last_error
  FROM webhook_deliveries WHERE status = 'failed' ORDER BY created_at DESC LIMIT 20;
```

Logs never contain the secret; bodies (which may hold customer notes) are logged only
at debug level, URLs without their query string.

## Nothing lost across a kill

Given `spool_dir` (the node's `database.spool_dir`), `publish()` also appends each
delivery to a local journal in its `webhooks` subfolder (the row writer's spool
machinery: one `write(2)`, no await, group-committed fsync) and keeps it there until its
row is in `webhook_deliveries`. At start the journal's deliveries the table lacks become
`pending` rows under their original ids, and every pending row of the node is resumed,
each call's events in the order they were published. A `kill -9`, even in the middle of
a database outage, loses no published delivery; a power loss at most those of the last
~10 ms whose rows had not landed either. The exact guarantee: `_journal.py`.
"""

from callrouter.crm._clock import Clock, SystemClock
from callrouter.crm._notifier import (
    DEFAULT_DRAIN_TIMEOUT_S,
    DEFAULT_MAX_BACKLOG,
    DEFAULT_MAX_CONCURRENCY,
    WebhookNotifier,
)
from callrouter.crm._payloads import (
    EVENTS,
    SCHEMA_VERSION,
    CallAnswered,
    CallbackRequested,
    CallEnded,
    Caller,
    CallOffered,
    CallTransferred,
    CustomerCard,
    Operator,
    Outcome,
    Recording,
    TransferNote,
    WebhookPayload,
    call_answered,
    call_ended,
    call_offered,
    call_transferred,
    callback_requested,
)
from callrouter.crm._retry import RetryPolicy
from callrouter.crm._signing import sign, verify_signature
from callrouter.crm.errors import (
    CrmError,
    CrmRejected,
    CrmTimeout,
    CrmUnavailable,
    CrmUnreachable,
)

__all__ = [
    "DEFAULT_DRAIN_TIMEOUT_S",
    "DEFAULT_MAX_BACKLOG",
    "DEFAULT_MAX_CONCURRENCY",
    "EVENTS",
    "SCHEMA_VERSION",
    "CallAnswered",
    "CallEnded",
    "CallOffered",
    "CallTransferred",
    "CallbackRequested",
    "Caller",
    "Clock",
    "CrmError",
    "CrmRejected",
    "CrmTimeout",
    "CrmUnavailable",
    "CrmUnreachable",
    "CustomerCard",
    "Operator",
    "Outcome",
    "Recording",
    "RetryPolicy",
    "SystemClock",
    "TransferNote",
    "WebhookNotifier",
    "WebhookPayload",
    "call_answered",
    "call_ended",
    "call_offered",
    "call_transferred",
    "callback_requested",
    "sign",
    "verify_signature",
]
