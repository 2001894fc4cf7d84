"""Benchmark: virtrpc's asyncio client vs libvirt's C client (libvirt-python).

Both talk to the same private libvirtd (test driver), one connection each:

* ``seq``: sequential ``connect_get_lib_version`` calls (both clients without
  keepalive: libvirt runs none for a client without an event loop);
* ``seq_keepalive``: the same on a virtrpc connection with its default
  keepalive (5 s, 5), compared with the C client's ``seq``;
* ``par16``: 16 calls in flight (16 tasks vs 16 C threads on one connection);
* ``fds4``: calls carrying 4 fds (``domain_create_with_files`` on a running
  domain, which the test driver rejects after receiving the fds: measures
  the fd-passing path both ways);
* ``screenshot``: screenshot stream downloads (MB/s).

How it compares on a machine whose speed drifts: every client runs in its
own long-lived worker process, connected and warmed up once: libvirt-python,
and virtrpc on the same interpreter (``/usr/bin/python3``, with virtrpc
imported from ``src``: it needs nothing beyond the standard library), so that
both clients' Python runs on the same build.  Extra columns: virtrpc on this
script's interpreter when that is another build (a pyenv build without
profile-guided optimisation runs Python code 20-35 % slower than Debian's),
and on uvloop when ``uvloop`` is importable there (optional, never a
dependency).  The workers then take turns in
short batches (a fraction of a second each, the order alternating from one
pair to the next), so each virtrpc batch has a C batch run right next to it.
A row reports the median of each client's batches and the median of the
per-pair ratios, with their interquartile range: the ratio of two batches
run side by side is what the drift disturbs least.

Usage: ``.venv/bin/python bench/bench_client.py [--quick] [--json] [--pairs N]
[--no-uvloop]``.  Needs libvirtd and ``/usr/bin/python3`` with libvirt-python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# bench/ is on sys.path when run as a script
from harness import (
    C_CLIENT,
    C_WORKER_SCRIPT,
    ROOT,
    SYSTEM_PYTHON,
    RowSpec,
    Turn,
    Worker,
    format_cell,
    python_version,
    run_alternating,
    serve_batches_async,
    summarize,
    virtrpc_env,
)

import virtrpc


async def virtrpc_worker(uri: str) -> None:
    """virtrpc's side of :data:`C_WORKER_SCRIPT`, with a ``seq_keepalive`` row."""
    # Like for like: the C client registers no event loop, so libvirt runs no
    # keepalive for it.  virtrpc's default keepalive connection (on a coarse
    # timer, see docs/client.md) is measured as its own row.
    async with (
        virtrpc.connect(uri, keepalive=None) as client,
        virtrpc.connect(uri) as keepalive_client,
    ):
        call = client.connect_get_lib_version
        dom = await client.domain_lookup_by_name(name="test")
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(4)]

        async def seq(count: int, call: Callable[[], Awaitable[Any]] = call) -> float:
            for _ in range(count):
                await call()
            return count

        async def seq_keepalive(count: int) -> float:
            return await seq(count, keepalive_client.connect_get_lib_version)

        async def par16(count: int) -> float:
            await asyncio.gather(*(seq(count // 16) for _ in range(16)))
            return count // 16 * 16

        async def fds4(count: int) -> float:
            for _ in range(count):
                with contextlib.suppress(virtrpc.LibvirtError):
                    await client.domain_create_with_files(dom=dom, flags=0, fds=fds)
            return count

        async def screenshot(count: int) -> float:
            total = 0
            for _ in range(count):
                stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
                async for chunk in stream:
                    total += len(chunk)
                await stream.finish()
            return total / 1e6

        rows: dict[str, Callable[[int], Awaitable[float]]] = {
            "seq": seq,
            "seq_keepalive": seq_keepalive,
            "par16": par16,
            "fds4": fds4,
            "screenshot": screenshot,
        }
        await seq(300)
        await seq_keepalive(300)
        await serve_batches_async(rows)
        for fd in fds:
            os.close(fd)


#: row: (unit, batch size, the C row it is compared with, target ratio)
ROWS: dict[str, RowSpec] = {
    "seq": RowSpec("calls/s", 2000, "seq", 0.9),
    "seq_keepalive": RowSpec("calls/s", 2000, "seq", None),
    "par16": RowSpec("calls/s", 8000, "par16", 1.0),
    "fds4": RowSpec("calls/s", 200, "fds4", None),
    "screenshot": RowSpec("MB/s", 20, "screenshot", None),
}
#: Rows whose CPU time per call is reported too.
CPU_ROWS = ("seq", "par16")


def _virtrpc_worker(python: str, uri: str, *options: str) -> Worker:
    """virtrpc's worker on ``python``."""
    return Worker(
        [python, str(Path(__file__).resolve()), "--worker", uri, *options], env=virtrpc_env()
    )


def other_interpreter() -> bool:
    """Whether this script runs on another interpreter build than libvirt-python's."""
    return os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)


def run(uri: str, pairs: int, scale: float, with_uvloop: bool) -> list[dict[str, Any]]:
    workers = {C_CLIENT: Worker([SYSTEM_PYTHON, "-c", C_WORKER_SCRIPT, uri])}
    workers["virtrpc"] = _virtrpc_worker(SYSTEM_PYTHON, uri)
    if other_interpreter():
        workers["virtrpc_here"] = _virtrpc_worker(sys.executable, uri)
    if with_uvloop:
        workers["virtrpc_uvloop"] = _virtrpc_worker(sys.executable, uri, "--uvloop")
    plan: list[tuple[str, list[Turn]]] = []
    for row, spec in ROWS.items():
        count = max(1, int(spec.size * scale))
        # seq_keepalive is compared with the C client's seq batches (no turn of its own)
        turns = [(C_CLIENT, spec.c_row, count)] if row == spec.c_row else []
        turns += [(name, row, count) for name in workers if name != C_CLIENT]
        plan.append((row, turns))
    try:
        batches = run_alternating(workers, plan, pairs)
    finally:
        for worker in workers.values():
            worker.close()
    return summarize(batches, workers, ROWS, CPU_ROWS)


def _print_table(rows: list[dict[str, Any]], clients: list[str], pairs: int) -> None:
    print(f"{'bench':<13} {'unit':<8}" + "".join(f" {name:>34}" for name in clients) + "  target")
    for row in rows:
        line = f"{row['bench']:<13} {row['unit']:<8}"
        for name in clients:
            line += f" {format_cell(row[name]):>34}"
        target = f">= {row['target']}x" if row["target"] else ""
        print(f"{line}  {target}")
    print(
        f"(median of {pairs} batches per client, CPU us per call in brackets; ratios against "
        f"libvirt C: median [quartiles] of the ratios of batches run side by side)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument(
        "--pairs", "--rounds", type=int, default=None, help="batches per client (default 15)"
    )
    parser.add_argument("--no-uvloop", action="store_true", help="skip the uvloop column")
    parser.add_argument("--worker", metavar="URI", help=argparse.SUPPRESS)
    parser.add_argument("--uvloop", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        if options.uvloop:
            import uvloop  # optional: only when installed

            uvloop.run(virtrpc_worker(options.worker))
        else:
            asyncio.run(virtrpc_worker(options.worker))
        return 0
    # Not needed by the workers (which run where pytest may be missing).
    sys.path.insert(0, str(ROOT))  # the repository root: tests.support.peers
    from tests.support.peers import PrivateLibvirtd, has_libvirt_python

    if not has_libvirt_python():
        print("needs /usr/bin/python3 with libvirt-python", file=sys.stderr)
        return 2
    pairs = options.pairs or (5 if options.quick else 15)
    scale = 0.5 if options.quick else 1.0
    with_uvloop = not options.no_uvloop and importlib.util.find_spec("uvloop") is not None
    with PrivateLibvirtd() as daemon:
        rows = run(daemon.uri, pairs, scale, with_uvloop)
    if options.json:
        print(json.dumps(rows))
        return 0
    clients = [name for name in rows[0] if name not in ("bench", "unit", "target")]
    _print_table(rows, clients, pairs)
    print(f"libvirt_c and virtrpc: {SYSTEM_PYTHON} ({python_version(SYSTEM_PYTHON)})")
    if "virtrpc_here" in clients or "virtrpc_uvloop" in clients:
        print(f"virtrpc_here / virtrpc_uvloop: {sys.executable} ({python_version(sys.executable)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
