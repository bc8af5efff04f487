"""What every command shares: exit codes, one-sentence errors, a connection that is closed."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

import duckdb

from indicators.store import gate
from indicators.store.audit import from_command_line, os_user
from indicators.store.localities import find_locality, unknown_locality_message

T = TypeVar("T")

# Exit codes of every command (README, "Command line").
EXIT_OK = 0
EXIT_REJECTED = 1      # a file with errors, or refused before reading
EXIT_ARGS = 2          # bad arguments: unknown locality, indicator, upload …
EXIT_STORE = 3         # the database cannot be opened
EXIT_HELD = 4          # import held back until --confirm-warnings; deck/report: charts cannot be
#                        drawn; `user`: the acting account may not do this
EXIT_DENIED = 5        # import, revert: the account may not write this
EXIT_SYNTH_REFUSED = 6  # `synth` will not overwrite a file that holds real data


def err(text: str) -> None:
    """One sentence on standard error."""
    print(text, file=sys.stderr)


def attempt(work: Callable[[], T], exits: dict[type[Exception], int]) -> tuple[T | None, int]:
    """(work's result, EXIT_OK), or (None, the refusal's exit code) after its one sentence on
    stderr; `exits` maps each known refusal to its code, the first match wins."""
    try:
        return work(), EXIT_OK
    except tuple(exits) as exc:
        err(str(exc))
        return None, next(code for kind, code in exits.items() if isinstance(exc, kind))


@contextlib.contextmanager
def opened(db: str | None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database for one command, through store.gate: read-only beside the app and other
    readers, or read-write when the command's turn comes (a write of another process is waited
    for, bounded). Closed when the command is done. StoreError reaches main: exit 3. Every audit
    event raised on it says it came from the command line and which operating-system user ran it."""
    with from_command_line(), (gate.reading(db) if read_only else gate.writing(db)) as con:
        yield con


def known_locality(con: duckdb.DuckDBPyConnection, code: str) -> dict | None:
    """The locality, or None after saying on stderr that the code names none."""
    found = find_locality(con, code)
    if found is None:
        err(unknown_locality_message(code))
    return found


def operator_name() -> str:
    """Who runs the command line, as the audit log names them: cli:<operating-system user>."""
    return "cli:" + os_user()
