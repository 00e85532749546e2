"""A process that uses the embedded PostgreSQL of a folder, for tests that kill it.

    python -m tests.store.embedded_child FOLDER

Prints the DSN once the server is up, then holds it until killed or until stdin
closes (then it exits normally, leaving the server as a CLI command would).
"""

from __future__ import annotations

import sys
from pathlib import Path

import structlog

from callrouter.store._embedded import start_embedded_postgres

if __name__ == "__main__":
    # stdout is the line protocol with the test; logs go to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    print(start_embedded_postgres(Path(sys.argv[1])), flush=True)
    sys.stdin.read()
