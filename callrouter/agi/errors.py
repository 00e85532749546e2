"""The FastAGI server's errors, grafted onto :mod:`callrouter.errors`.

::

    CallrouterError
    ├── DomainError
    │   ├── InvalidInput
    │   │   └── AgiRequestError          "agi-request"   the request block was unusable
    │   │       ├── AgiHeaderMalformed   "agi-header-malformed"  (bad line, duplicate key, EOF)
    │   │       ├── AgiHeaderTooLarge    "agi-header-too-large"
    │   │       ├── AgiHeaderTimeout     "agi-header-timeout"    (slow or half-open client)
    │   │       ├── AgiClientRefused     "agi-client-refused"    (address not allowlisted)
    │   │       └── AgiArgumentError     "agi-argument"  a value we refuse to put on the wire
    │   └── NotFound
    │       └── AgiUnknownScript         "agi-unknown-script"
    └── ExternalError
        └── AgiError                     "agi"   Asterisk's side of a session
            ├── AgiHangup                "agi-hangup"    HANGUP line or the socket closed
            │   └── AgiDeadChannel       "agi-dead-channel"  511 reply
            ├── AgiCommandError          "agi-command"   Asterisk refused a command
            │   ├── AgiInvalidCommand    "agi-invalid-command"  510 reply
            │   ├── AgiUsageError        "agi-usage"     520 reply, with the usage text
            │   └── AgiCommandFailed     "agi-command-failed"  200 with a failing result
            ├── AgiProtocolError         "agi-protocol"  a reply line we cannot parse
            └── AgiTimeout               "agi-timeout"   no reply within command_timeout_s

Session-level errors (``AgiError``) leave the connection out of step with Asterisk, so
the session ends after any of them except ``AgiCommandError``, after which the next
command is still answered normally.
"""

from __future__ import annotations

from callrouter.errors import ExternalError, InvalidInput, NotFound

__all__ = [
    "AgiArgumentError",
    "AgiClientRefused",
    "AgiCommandError",
    "AgiCommandFailed",
    "AgiDeadChannel",
    "AgiError",
    "AgiHangup",
    "AgiHeaderMalformed",
    "AgiHeaderTimeout",
    "AgiHeaderTooLarge",
    "AgiInvalidCommand",
    "AgiProtocolError",
    "AgiRequestError",
    "AgiTimeout",
    "AgiUnknownScript",
    "AgiUsageError",
]


class AgiRequestError(InvalidInput):
    error_id = "agi-request"


class AgiHeaderMalformed(AgiRequestError):
    error_id = "agi-header-malformed"


class AgiHeaderTooLarge(AgiRequestError):
    error_id = "agi-header-too-large"


class AgiHeaderTimeout(AgiRequestError):
    error_id = "agi-header-timeout"


class AgiClientRefused(AgiRequestError):
    error_id = "agi-client-refused"


class AgiArgumentError(AgiRequestError):
    error_id = "agi-argument"


class AgiUnknownScript(NotFound):
    error_id = "agi-unknown-script"


class AgiError(ExternalError):
    error_id = "agi"


class AgiHangup(AgiError):
    error_id = "agi-hangup"


class AgiDeadChannel(AgiHangup):
    error_id = "agi-dead-channel"


class AgiCommandError(AgiError):
    """Asterisk answered, but not with success. ``command`` is the line we sent."""

    error_id = "agi-command"

    def __init__(self, message: str, *, command: str, code: int, result: int | None = None):
        super().__init__(f"{message} (command: {command!r})")
        self.command = command
        self.code = code
        self.result = result


class AgiInvalidCommand(AgiCommandError):
    error_id = "agi-invalid-command"


class AgiUsageError(AgiCommandError):
    error_id = "agi-usage"

    def __init__(self, message: str, *, command: str, code: int, usage: str) -> None:
        super().__init__(message, command=command, code=code)
        self.usage = usage


class AgiCommandFailed(AgiCommandError):
    error_id = "agi-command-failed"


class AgiProtocolError(AgiError):
    error_id = "agi-protocol"


class AgiTimeout(AgiError):
    error_id = "agi-timeout"
