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
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import virtrpc

ROOT = Path(__file__).resolve().parent.parent
#: The interpreter libvirt-python is installed for (Debian's python3).
SYSTEM_PYTHON = "/usr/bin/python3"

#: libvirt-python code shared by the C client scripts (here and in bench_tls).
C_SCREENSHOT_HELPER = r"""
def screenshot_bytes(conn, dom, count):
    total = 0
    for _ in range(count):
        st = conn.newStream()
        dom.screenshot(st, 0)
        while True:
            chunk = st.recv(262144)
            if not chunk:
                break
            total += len(chunk)
        st.finish()
    return total
"""

#: The C client's worker: one batch per command line ``ROW COUNT``, answered
#: with one JSON line ``{"rate": ..., "cpu_us": ...}``.
C_WORKER_SCRIPT = C_SCREENSHOT_HELPER + r"""
import json, os, sys, threading, time
import libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(4)]

def seq(count):
    for _ in range(count):
        conn.getLibVersion()
    return count

def par16(count):
    threads = [threading.Thread(target=seq, args=(count // 16,)) for _ in range(16)]
    for th in threads: th.start()
    for th in threads: th.join()
    return count // 16 * 16

def fds4(count):
    for _ in range(count):
        try:
            dom.createWithFiles(fds)
        except libvirt.libvirtError:
            pass
    return count

def screenshot(count):
    return screenshot_bytes(conn, dom, count) / 1e6

rows = {"seq": seq, "par16": par16, "fds4": fds4, "screenshot": screenshot}
seq(300)
print("ready", flush=True)
for line in sys.stdin:
    row, count = line.split()
    t = time.perf_counter(); p = time.process_time()
    done = rows[row](int(count))
    wall = time.perf_counter() - t
    print(json.dumps({"rate": done / wall, "cpu_us": (time.process_time() - p) / done * 1e6}),
          flush=True)
"""


async def sequential_rate(call: Callable[[], Awaitable[Any]], count: int) -> tuple[float, float]:
    """(calls per second, CPU microseconds per call) of ``count`` sequential
    ``await call()``, after 200 to warm up."""
    for _ in range(200):
        await call()
    start = time.perf_counter()
    cpu = time.process_time()
    for _ in range(count):
        await call()
    rate = count / (time.perf_counter() - start)
    return rate, (time.process_time() - cpu) / count * 1e6


async def _read_line(loop: asyncio.AbstractEventLoop, stream: IO[str]) -> str:
    """A line of ``stream`` without a helper thread (none may run during a batch)."""
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(stream.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(stream.fileno())
    return stream.readline()


async def virtrpc_worker(uri: str) -> None:
    """virtrpc's side of :data:`C_WORKER_SCRIPT`, with a ``seq_keepalive`` row."""
    loop = asyncio.get_running_loop()
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
        print("ready", flush=True)
        while line := await _read_line(loop, sys.stdin):
            row, count = line.split()
            start = time.perf_counter()
            cpu = time.process_time()
            done = await rows[row](int(count))
            wall = time.perf_counter() - start
            result = {"rate": done / wall, "cpu_us": (time.process_time() - cpu) / done * 1e6}
            print(json.dumps(result), flush=True)
        for fd in fds:
            os.close(fd)


class Worker:
    """A client's worker process, commanded one batch at a time."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        if self._line() != "ready":
            raise RuntimeError(f"worker {argv[:3]} did not start")

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited with {self.process.wait()}")
        return line.strip()

    def batch(self, row: str, count: int) -> dict[str, float]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{row} {count}\n")
        self.process.stdin.flush()
        result: dict[str, float] = json.loads(self._line())
        return result

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


#: row: (unit, batch size, the C row it is compared with, target ratio)
ROWS: dict[str, tuple[str, int, str, float | None]] = {
    "seq": ("calls/s", 2000, "seq", 0.9),
    "seq_keepalive": ("calls/s", 2000, "seq", None),
    "par16": ("calls/s", 8000, "par16", 1.0),
    "fds4": ("calls/s", 200, "fds4", None),
    "screenshot": ("MB/s", 20, "screenshot", None),
}
#: Rows whose CPU time per call is reported too.
CPU_ROWS = ("seq", "par16")


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def virtrpc_env() -> dict[str, str]:
    """The environment for a worker that imports virtrpc from this checkout
    (on an interpreter that may not have it installed)."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path)


def _virtrpc_worker(python: str, uri: str, *options: str) -> Worker:
    """virtrpc's worker on ``python``."""
    return Worker(
        [python, str(Path(__file__).resolve()), "--worker", uri, *options], env=virtrpc_env()
    )


def other_interpreter() -> bool:
    """Whether this script runs on another interpreter build than libvirt-python's."""
    return os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)


def run(uri: str, pairs: int, scale: float, with_uvloop: bool) -> list[dict[str, Any]]:
    workers = {"libvirt_c": Worker([SYSTEM_PYTHON, "-c", C_WORKER_SCRIPT, uri])}
    workers["virtrpc"] = _virtrpc_worker(SYSTEM_PYTHON, uri)
    if other_interpreter():
        workers["virtrpc_here"] = _virtrpc_worker(sys.executable, uri)
    if with_uvloop:
        workers["virtrpc_uvloop"] = _virtrpc_worker(sys.executable, uri, "--uvloop")
    batches: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for pair in range(pairs):
            for row, (_, size, c_row, _) in ROWS.items():
                count = max(1, int(size * scale))
                turns = [("libvirt_c", c_row)] if row == c_row else []
                turns += [(name, row) for name in workers if name != "libvirt_c"]
                if pair % 2:
                    turns.reverse()
                for name, worker_row in turns:
                    result = workers[name].batch(worker_row, count)
                    batches.setdefault((name, worker_row), []).append(result)
    finally:
        for worker in workers.values():
            worker.close()
    rows: list[dict[str, Any]] = []
    for row, (unit, _, c_row, target) in ROWS.items():
        c_batches = batches[("libvirt_c", c_row)]
        entry: dict[str, Any] = {"bench": row, "unit": unit, "target": target}
        for name in workers:
            mine = batches[(name, c_row if name == "libvirt_c" else row)]
            cell: dict[str, float] = {"median": statistics.median(b["rate"] for b in mine)}
            if row in CPU_ROWS:
                cell["cpu_us"] = statistics.median(b["cpu_us"] for b in mine)
            if name != "libvirt_c":
                ratios = [b["rate"] / c["rate"] for b, c in zip(mine, c_batches, strict=True)]
                cell["ratio_q1"], cell["ratio"], cell["ratio_q3"] = _quartiles(ratios)
            entry[name] = {key: round(value, 3) for key, value in cell.items()}
        rows.append(entry)
    return rows


def _print_table(rows: list[dict[str, Any]], clients: list[str], pairs: int) -> None:
    print(f"{'bench':<13} {'unit':<8}" + "".join(f" {name:>34}" for name in clients) + "  target")
    for row in rows:
        line = f"{row['bench']:<13} {row['unit']:<8}"
        for name in clients:
            cell = row[name]
            text = f"{cell['median']:.1f}"
            if "cpu_us" in cell:
                text += f" ({cell['cpu_us']:.1f} us)"
            if name != "libvirt_c":
                text += f" {cell['ratio']:.2f}x [{cell['ratio_q1']:.2f}-{cell['ratio_q3']:.2f}]"
            line += f" {text:>34}"
        target = f">= {row['target']}x" if row["target"] else ""
        print(f"{line}  {target}")
    print(
        f"(median of {pairs} batches per client, CPU us per call in brackets; ratios against "
        f"libvirt C: median [quartiles] of the ratios of batches run side by side)"
    )


def _version(python: str) -> str:
    command = [python, "-c", "import platform; print(platform.python_version())"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


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
    print(f"libvirt_c and virtrpc: {SYSTEM_PYTHON} ({_version(SYSTEM_PYTHON)})")
    if "virtrpc_here" in clients or "virtrpc_uvloop" in clients:
        print(f"virtrpc_here / virtrpc_uvloop: {sys.executable} ({_version(sys.executable)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
