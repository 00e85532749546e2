"""Every error callrouter raises on purpose, in three families.

::

    CallrouterError                      error_id
    ├── DomainError                      a rule of the call center said no
    │   ├── NotFound                     "not-found"  (no such operator, queue, call, ...)
    │   ├── Conflict                     "conflict"   (operator already logged in, queue full)
    │   └── InvalidInput                 "invalid-input" (bad CSV row, bad AGI request)
    ├── ExternalError                    an outside party failed us
    │   ├── AriError                     "ari"  (see callrouter.ari.errors for the subtree)
    │   ├── DatabaseError                "database"
    │   └── CrmError                     "crm"
    ├── ConfigError                      "config" (file, line and field of each problem)
    └── InternalError                    "internal" (a bug: an invariant broke)

Each class carries a stable ``error_id`` slug that the CLI, the HTTP API and the AGI
server map to exit codes, statuses and results at the edge, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CallrouterError",
    "ConfigError",
    "ConfigProblem",
    "Conflict",
    "CrmError",
    "DatabaseError",
    "DomainError",
    "ExternalError",
    "InternalError",
    "InvalidInput",
    "NotFound",
]


class CallrouterError(Exception):
    """Root of every error callrouter raises deliberately."""

    error_id = "callrouter"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DomainError(CallrouterError):
    error_id = "domain"


class NotFound(DomainError):
    error_id = "not-found"


class Conflict(DomainError):
    error_id = "conflict"


class InvalidInput(DomainError):
    error_id = "invalid-input"


class ExternalError(CallrouterError):
    error_id = "external"


class DatabaseError(ExternalError):
    error_id = "database"


class CrmError(ExternalError):
    error_id = "crm"


class InternalError(CallrouterError):
    error_id = "internal"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with the configuration, located as precisely as we can."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(top level)'}: {self.message}"


class ConfigError(CallrouterError):
    error_id = "config"

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        count = len(problems)
        head = f"{count} configuration error{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))
