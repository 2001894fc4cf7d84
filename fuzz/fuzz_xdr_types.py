"""atheris harness: every generated XDR decoder (all protocol modules).

The first two input bytes pick the type; the rest is decoded.  A decoder may
return a value (which must then re-encode to the same bytes) or raise
``XdrError``; anything else is a crash.

Run: ``.venv/bin/python fuzz/fuzz_xdr_types.py -max_total_time=600 /tmp/virtrpc-corpus/xdr``
"""

from __future__ import annotations

import sys
from typing import Any

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports():
    from virtrpc.errors import XdrError
    from virtrpc.protocols import (
        admin,
        keepalive,
        lock,
        log,
        lxc,
        lxc_monitor,
        qemu,
        remote,
        virnet,
    )

_TYPES: list[Any] = [
    module.TYPES[name]
    for module in (remote, admin, qemu, lxc, virnet, keepalive, lock, log, lxc_monitor)
    for name in sorted(module.TYPES)
]


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    xdr_type = _TYPES[int.from_bytes(data[:2], "big") % len(_TYPES)]
    raw = data[2:]
    try:
        value = xdr_type.unpack(raw)
    except XdrError:
        return
    try:
        again = xdr_type.pack(value)
    except XdrError:
        return
    assert again == raw, f"{xdr_type.name}: {raw.hex()} re-encodes as {again.hex()}"


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
