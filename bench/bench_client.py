"""Benchmark: virtrpc's asyncio client vs libvirt's C client (libvirt-python).

Both talk to the same private libvirtd (test driver) in the same run, one
connection each, one after the other:

* ``seq``: sequential ``connect_get_lib_version`` calls;
* ``par16``: 16 calls in flight (16 tasks vs 16 C threads on one connection);
* ``fds4``: calls carrying 4 fds (``domain_create_with_files`` on a running
  domain, which the test driver rejects after receiving the fds: measures
  the fd-passing path both ways);
* ``screenshot``: screenshot stream downloads (MB/s).

Usage: ``.venv/bin/python bench/bench_client.py [--quick] [--json]``
Needs libvirtd and ``/usr/bin/python3`` with libvirt-python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


async def bench_virtrpc(
    uri: str, n_seq: int, n_par: int, n_fds: int, n_shot: int
) -> dict[str, float]:
    res: dict[str, float] = {}
    async with virtrpc.connect(uri) as client:
        call = client.connect_get_lib_version
        for _ in range(200):
            await call()
        start = time.perf_counter()
        cpu = time.process_time()
        for _ in range(n_seq):
            await call()
        res["seq"] = n_seq / (time.perf_counter() - start)
        res["seq_cpu_us"] = (time.process_time() - cpu) / n_seq * 1e6

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    options = parser.parse_args()
    if not has_libvirt_python():
        print("needs /usr/bin/python3 with libvirt-python", file=sys.stderr)
        return 2
    scale = 1 if options.quick else 4
    counts = (5000 * scale, 8000 * scale, 1000 * scale, 100 * scale)
    best_c: dict[str, float] = {}
    best_v: dict[str, float] = {}
    with PrivateLibvirtd() as daemon:
        for _ in range(options.rounds):
            c_result = json.loads(
                run_libvirt_python(
                    C_CLIENT_SCRIPT, daemon.uri, *map(str, counts), timeout=600
                ).stdout
            )
            v_result = asyncio.run(bench_virtrpc(daemon.uri, *counts))
            for best, result in ((best_c, c_result), (best_v, v_result)):
                for key, value in result.items():
                    pick = min if key.endswith("_cpu_us") else max
                    best[key] = pick(best.get(key, value), value)
    rows: list[dict[str, Any]] = []
    units = {
        "seq": "calls/s",
        "seq_cpu_us": "CPU us",
        "par16": "calls/s",
        "par16_cpu_us": "CPU us",
        "fds4": "calls/s",
        "screenshot": "MB/s",
    }
    targets = {"seq": 0.9, "par16": 1.0}
    for key, unit in units.items():
        ratio = best_v[key] / best_c[key]
        rows.append(
            {
                "bench": key,
                "unit": unit,
                "virtrpc": round(best_v[key], 1),
                "libvirt_c": round(best_c[key], 1),
                "ratio": round(ratio, 3),
                "target": targets.get(key),
            }
        )
    if options.json:
        print(json.dumps(rows))
        return 0
    print(f"{'bench':<13} {'unit':<8} {'virtrpc':>10} {'libvirt C':>10} {'ratio':>7}  target")
    for row in rows:
        target = f">= {row['target']}x" if row["target"] else ""
        print(
            f"{row['bench']:<13} {row['unit']:<8} {row['virtrpc']:>10.1f} {row['libvirt_c']:>10.1f} "
            f"{row['ratio']:>6.2f}x  {target}"
        )
    print(
        f"(best of {options.rounds} rounds; screenshot is {best_v['screenshot_bytes']:.0f} bytes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
