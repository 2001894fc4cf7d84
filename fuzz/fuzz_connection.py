"""atheris harness: the sans-I/O state machine, both roles, with fds.

Run (see docs/reliability.md)::

    .venv/bin/python fuzz/fuzz_connection.py -max_total_time=600 /tmp/virtrpc-corpus/connection
"""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports():
    from _common import drive, open_fd_set

    from virtrpc.rpc.connection import Role

_BASELINE: set[str] | None = None
_RUNS = 0


def test_one_input(data: bytes) -> None:
    global _BASELINE, _RUNS
    if not data:
        return
    selector = data[0]
    role = Role.CLIENT if selector & 1 else Role.SERVER
    max_events = (selector >> 1) & 3 or None
    drive(role, data[1:], max_events=max_events)
    _RUNS += 1
    if _BASELINE is None:
        _BASELINE = open_fd_set()
    elif _RUNS % 1000 == 0:
        assert open_fd_set() == _BASELINE, "fd leak"


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
