"""Benchmark: virtrpc's asyncio client vs libvirt's C client (libvirt-python).

Both talk to the same private libvirtd (test driver) in the same run, one
connection each, one after the other:

* ``seq``: sequential ``connect_get_lib_version`` calls (both clients without
  keepalive: libvirt runs none for a client without an event loop);
* ``seq_keepalive``: the same on a virtrpc connection with its default
  keepalive (5 s, 5), compared with the C client's ``seq``;
* ``par16``: 16 calls in flight (16 tasks vs 16 C threads on one connection);
* ``fds4``: calls carrying 4 fds (``domain_create_with_files`` on a running
  domain, which the test driver rejects after receiving the fds: measures
  the fd-passing path both ways);
* ``screenshot``: screenshot stream downloads (MB/s).

The clients take turns within each round (C, virtrpc, then virtrpc on
uvloop when ``uvloop`` is importable: an optional extra column, never a
dependency), so background load hits them alike.  Each value is reported as
the best and the median of the rounds; each ratio as the ratio of the bests,
of the medians, and the median of the per-round ratios (the steadiest on a
shared machine: the two clients of a round ran seconds apart).

Usage: ``.venv/bin/python bench/bench_client.py [--quick] [--json] [--rounds N]
[--no-uvloop]``.  Needs libvirtd and ``/usr/bin/python3`` with libvirt-python.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import contextlib

from peers import PrivateLibvirtd, has_libvirt_python, run_libvirt_python

import virtrpc

C_CLIENT_SCRIPT = r"""
import json, os, sys, threading, time
import libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, n_seq, n_par, n_fds, n_shot = sys.argv[1], *map(int, sys.argv[2:6])
conn = libvirt.open(uri)
res = {}
for _ in range(200):
    conn.getLibVersion()
t = time.perf_counter(); p = time.process_time()
for _ in range(n_seq):
    conn.getLibVersion()
res["seq"] = n_seq / (time.perf_counter() - t)
res["seq_cpu_us"] = (time.process_time() - p) / n_seq * 1e6

def worker(count):
    for _ in range(count):
        conn.getLibVersion()
threads = [threading.Thread(target=worker, args=(n_par // 16,)) for _ in range(16)]
t = time.perf_counter(); p = time.process_time()
for th in threads: th.start()
for th in threads: th.join()
res["par16"] = (n_par // 16 * 16) / (time.perf_counter() - t)
res["par16_cpu_us"] = (time.process_time() - p) / (n_par // 16 * 16) * 1e6

dom = conn.lookupByName("test")
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(4)]
t = time.perf_counter()
for _ in range(n_fds):
    try:
        dom.createWithFiles(fds)
    except libvirt.libvirtError:
        pass
res["fds4"] = n_fds / (time.perf_counter() - t)

total = 0
t = time.perf_counter()
for _ in range(n_shot):
    st = conn.newStream()
    dom.screenshot(st, 0)
    while True:
        chunk = st.recv(262144)
        if not chunk:
            break
        total += len(chunk)
    st.finish()
res["screenshot"] = total / (time.perf_counter() - t) / 1e6
res["screenshot_bytes"] = total // n_shot
conn.close()
print(json.dumps(res))
"""


async def sequential_rate(call: Any, count: int) -> tuple[float, float]:
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


async def bench_virtrpc(
    uri: str, n_seq: int, n_par: int, n_fds: int, n_shot: int
) -> dict[str, float]:
    res: dict[str, float] = {}
    # Like for like: the C client here registers no event loop, so libvirt
    # runs no keepalive for it; virtrpc's connections keep alive by default
    # (on a coarse timer that costs the call rate nothing measurable, see
    # docs/client.md), reported as their own row.
    async with virtrpc.connect(uri) as client:
        res["seq_keepalive"], _ = await sequential_rate(client.connect_get_lib_version, n_seq)
    async with virtrpc.connect(uri, keepalive=None) as client:
        call = client.connect_get_lib_version
        res["seq"], res["seq_cpu_us"] = await sequential_rate(call, n_seq)

        async def worker(count: int) -> None:
            for _ in range(count):
                await call()

        start = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(worker(n_par // 16) for _ in range(16)))
        res["par16"] = (n_par // 16 * 16) / (time.perf_counter() - start)
        res["par16_cpu_us"] = (time.process_time() - cpu) / (n_par // 16 * 16) * 1e6

        dom = await client.domain_lookup_by_name(name="test")
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(4)]
        try:
            start = time.perf_counter()
            for _ in range(n_fds):
                with contextlib.suppress(virtrpc.LibvirtError):
                    await client.domain_create_with_files(dom=dom, flags=0, fds=fds)
            res["fds4"] = n_fds / (time.perf_counter() - start)
        finally:
            for fd in fds:
                os.close(fd)

        total = 0
        start = time.perf_counter()
        for _ in range(n_shot):
            stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
            async for chunk in stream:
                total += len(chunk)
            await stream.finish()
        res["screenshot"] = total / (time.perf_counter() - start) / 1e6
        res["screenshot_bytes"] = total // n_shot
    return res


UNITS = {
    "seq": "calls/s",
    "seq_cpu_us": "CPU us",
    "seq_keepalive": "calls/s",
    "par16": "calls/s",
    "par16_cpu_us": "CPU us",
    "fds4": "calls/s",
    "screenshot": "MB/s",
}
TARGETS = {"seq": 0.9, "par16": 1.0}
#: Rows the C client has no measurement of, compared with another of its rows.
C_BASELINE = {"seq_keepalive": "seq"}


def _run_uvloop(uri: str, counts: tuple[int, int, int, int]) -> dict[str, float]:
    import uvloop  # optional: only when installed

    return uvloop.run(bench_virtrpc(uri, *counts))


def _summary(results: list[dict[str, float]], key: str) -> tuple[float, float]:
    values = [result.get(key, result.get(C_BASELINE.get(key, key), 0.0)) for result in results]
    best = min(values) if key.endswith("_cpu_us") else max(values)
    return best, statistics.median(values)


def _paired_ratio(
    c_results: list[dict[str, float]], results: list[dict[str, float]], key: str
) -> float:
    """Median over the rounds of (virtrpc / C) within each round: the two ran
    seconds apart, so a round's ratio is less exposed to the machine's drift
    than the ratio of bests or of medians taken over different rounds."""
    base = C_BASELINE.get(key, key)
    return statistics.median(
        result[key] / c_result.get(key, c_result[base])
        for result, c_result in zip(results, c_results, strict=True)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--no-uvloop", action="store_true", help="skip the uvloop column")
    options = parser.parse_args()
    if not has_libvirt_python():
        print("needs /usr/bin/python3 with libvirt-python", file=sys.stderr)
        return 2
    scale = 1 if options.quick else 4
    counts = (5000 * scale, 8000 * scale, 1000 * scale, 100 * scale)
    with_uvloop = not options.no_uvloop and importlib.util.find_spec("uvloop") is not None
    runs: dict[str, list[dict[str, float]]] = {"libvirt_c": [], "virtrpc": []}
    if with_uvloop:
        runs["virtrpc_uvloop"] = []
    with PrivateLibvirtd() as daemon:
        for _ in range(options.rounds):
            runs["libvirt_c"].append(
                json.loads(
                    run_libvirt_python(
                        C_CLIENT_SCRIPT, daemon.uri, *map(str, counts), timeout=600
                    ).stdout
                )
            )
            runs["virtrpc"].append(asyncio.run(bench_virtrpc(daemon.uri, *counts)))
            if with_uvloop:
                runs["virtrpc_uvloop"].append(_run_uvloop(daemon.uri, counts))
    rows: list[dict[str, Any]] = []
    for key, unit in UNITS.items():
        row: dict[str, Any] = {"bench": key, "unit": unit, "target": TARGETS.get(key)}
        c_best, c_median = _summary(runs["libvirt_c"], key)
        for client, results in runs.items():
            best, median = _summary(results, key)
            row[client] = {"best": round(best, 1), "median": round(median, 1)}
            if client != "libvirt_c":
                row[client]["ratio_best"] = round(best / c_best, 3)
                row[client]["ratio_median"] = round(median / c_median, 3)
                row[client]["ratio_paired"] = round(_paired_ratio(runs["libvirt_c"], results, key), 3)
        rows.append(row)
    if options.json:
        print(json.dumps(rows))
        return 0
    clients = list(runs)
    header = f"{'bench':<13} {'unit':<8}" + "".join(f" {name:>30}" for name in clients)
    print(header + "  target")
    for row in rows:
        line = f"{row['bench']:<13} {row['unit']:<8}"
        for name in clients:
            cell = row[name]
            text = f"{cell['best']:.1f}/{cell['median']:.1f}"
            if name != "libvirt_c":
                text += (f" {cell['ratio_best']:.2f}x/{cell['ratio_median']:.2f}x"
                         f"/{cell['ratio_paired']:.2f}x")
            line += f" {text:>30}"
        target = f">= {row['target']}x" if row["target"] else ""
        print(f"{line}  {target}")
    print(
        f"(best/median of {options.rounds} rounds; ratios against libvirt C: of the bests, "
        f"of the medians, and the median of each round's ratio; "
        f"for CPU us lower is better; screenshot is "
        f"{_summary(runs['virtrpc'], 'screenshot_bytes')[0]:.0f} bytes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
