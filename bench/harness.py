"""The harness the paired benchmarks share (bench_client, bench_sync,
bench_libvirt, bench_tls): worker processes, their command protocol, the
alternating batches and the summary of a row.

Every client runs in its own long-lived worker process, connected and warmed
up once.  A worker prints ``ready``, then answers each command line ``ROW
COUNT`` with one JSON line ``{"rate": ..., "cpu_us": ...}`` (a batch:
``COUNT`` calls, or what the row counts).  The workers take turns in short
batches, the order alternating from one pair to the next, so each virtrpc
batch has a C batch run right next to it; a row reports the median of each
client's batches and the median [quartiles] of the per-pair ratios: the ratio
of two batches run side by side is what a machine's drifting speed disturbs
least.  libvirt-python runs on Debian's ``/usr/bin/python3`` and virtrpc on
the same interpreter, imported from this checkout's ``src``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
#: The interpreter libvirt-python is installed for (Debian's python3).
SYSTEM_PYTHON = "/usr/bin/python3"
#: The libvirt-python worker's name in the workers and the report.
C_CLIENT = "libvirt_c"

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

#: The worker's command loop, in the scripts run with ``python -c`` (where
#: this module is not importable); :func:`serve_batches` is the same loop.
BATCH_LOOP = r"""
print("ready", flush=True)
for line in sys.stdin:
    row, count = line.split()
    t = time.perf_counter(); p = time.process_time()
    done = rows[row](int(count))
    wall = time.perf_counter() - t
    print(json.dumps({"rate": done / wall, "cpu_us": (time.process_time() - p) / done * 1e6}),
          flush=True)
"""

#: The C client's worker (bench_client and bench_sync): libvirt-python on one
#: connection, the rows ``seq``, ``info``, ``par16``, ``fds4``, ``screenshot``.
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

def info(count):
    for _ in range(count):
        dom.info()
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

rows = {"seq": seq, "info": info, "par16": par16, "fds4": fds4, "screenshot": screenshot}
seq(300)
""" + BATCH_LOOP


class RowSpec(NamedTuple):
    """A row of a paired benchmark."""

    unit: str  # "calls/s", "MB/s"
    size: int  # a batch's count (scaled by --quick)
    c_row: str  # the C client's row it is compared with
    target: float | None  # the ratio aimed at, if any


#: batches by (table row, worker name, the worker's row)
Batches = dict[tuple[str, str, str], list[dict[str, float]]]
#: one turn: (worker name, the worker's row, count)
Turn = tuple[str, str, int]


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


def _batch_result(done: float, start: float, cpu: float) -> str:
    wall = time.perf_counter() - start
    return json.dumps({"rate": done / wall, "cpu_us": (time.process_time() - cpu) / done * 1e6})


def serve_batches(rows: Mapping[str, Callable[[int], float]]) -> None:
    """A worker's command loop (see the module docstring), until stdin closes."""
    print("ready", flush=True)
    for line in sys.stdin:
        row, count = line.split()
        start = time.perf_counter()
        cpu = time.process_time()
        done = rows[row](int(count))
        print(_batch_result(done, start, cpu), flush=True)


async def _read_line(loop: asyncio.AbstractEventLoop, stream: IO[str]) -> str:
    """A line of ``stream`` without a helper thread (none may run during a batch)."""
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(stream.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(stream.fileno())
    return stream.readline()


async def serve_batches_async(rows: Mapping[str, Callable[[int], Awaitable[float]]]) -> None:
    """:func:`serve_batches` for rows that are coroutines, on the running loop."""
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    while line := await _read_line(loop, sys.stdin):
        row, count = line.split()
        start = time.perf_counter()
        cpu = time.process_time()
        done = await rows[row](int(count))
        print(_batch_result(done, start, cpu), flush=True)


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


def run_alternating(workers: Mapping[str, Worker], plan: list[tuple[str, list[Turn]]],
                    pairs: int) -> Batches:
    """``pairs`` rounds over ``plan`` (table row, its turns); the turns of a
    row run in their order in even rounds and reversed in odd ones."""
    batches: Batches = {}
    for pair in range(pairs):
        for row, turns in plan:
            for name, worker_row, count in turns if pair % 2 == 0 else turns[::-1]:
                batches.setdefault((row, name, worker_row), []).append(
                    workers[name].batch(worker_row, count))
    return batches


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def cell(batches: list[dict[str, float]], c_batches: list[dict[str, float]] | None,
         cpu: bool = True) -> dict[str, float]:
    """One client's cell of a row: the median rate, the median CPU time per
    call (``cpu``), and against ``c_batches`` (run side by side, in order)
    the median [quartiles] of the ratios; rounded."""
    out = {"median": statistics.median(b["rate"] for b in batches)}
    if cpu:
        out["cpu_us"] = statistics.median(b["cpu_us"] for b in batches)
    if c_batches is not None:
        ratios = [b["rate"] / c["rate"] for b, c in zip(batches, c_batches, strict=True)]
        out["ratio_q1"], out["ratio"], out["ratio_q3"] = quartiles(ratios)
    return {key: round(value, 3) for key, value in out.items()}


def summarize(batches: Batches, names: Iterable[str], rows: Mapping[str, RowSpec],
              cpu_rows: Iterable[str]) -> list[dict[str, Any]]:
    """The report's rows: for each table row, each worker's cell, the virtrpc
    ones against the C batches of that row (or, where the C client took no turn
    in it, of the row it is compared with)."""
    cpu_rows = set(cpu_rows)
    out: list[dict[str, Any]] = []
    for row, spec in rows.items():
        c_batches = batches.get((row, C_CLIENT, spec.c_row)) or batches[
            (spec.c_row, C_CLIENT, spec.c_row)]
        entry: dict[str, Any] = {"bench": row, "unit": spec.unit, "target": spec.target}
        for name in names:
            if name == C_CLIENT:
                entry[name] = cell(c_batches, None, row in cpu_rows)
            else:
                entry[name] = cell(batches[(row, name, row)], c_batches, row in cpu_rows)
        out.append(entry)
    return out


def format_cell(cell: Mapping[str, float]) -> str:
    """``median (cpu us) ratio [q1-q3]``, the parts the cell has."""
    text = f"{cell['median']:.1f}"
    if "cpu_us" in cell:
        text += f" ({cell['cpu_us']:.1f} us)"
    if "ratio" in cell:
        text += f" {cell['ratio']:.2f}x [{cell['ratio_q1']:.2f}-{cell['ratio_q3']:.2f}]"
    return text


def virtrpc_env() -> dict[str, str]:
    """The environment for a worker that imports virtrpc from this checkout
    (on an interpreter that may not have it installed)."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path)


def python_version(python: str) -> str:
    command = [python, "-c", "import platform; print(platform.python_version())"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
