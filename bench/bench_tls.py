"""Benchmark: virtrpc over TLS (and plain TCP) vs libvirt's C client (libvirt-python).

One private libvirtd started with ``--listen`` (test driver) serves both
clients, one after the other, over the same transport.  Both run on
libvirt-python's interpreter (``/usr/bin/python3``; virtrpc imported from
``src``), so that neither client's Python runs on a faster build:

* ``seq``: sequential ``connect_get_lib_version`` calls (calls/s);
* ``par16``: 16 calls in flight (16 tasks vs 16 C threads on one connection);
* ``screenshot``: screenshot stream downloads (MB/s; the test driver's PNG).

Usage: ``.venv/bin/python bench/bench_tls.py [--quick] [--json] [--transport tls|tcp|both]``
Needs libvirtd, the openssl CLI and ``/usr/bin/python3`` with libvirt-python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ is on sys.path when run as a script
from harness import C_SCREENSHOT_HELPER, SYSTEM_PYTHON, sequential_rate, virtrpc_env

import virtrpc
import virtrpc.client.client  # (loaded up front: connect_ms excludes import time)

C_CLIENT_SCRIPT = C_SCREENSHOT_HELPER + r"""
import json, sys, threading, time
import libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, n_seq, n_par, n_shot = sys.argv[1], *map(int, sys.argv[2:5])
t = time.perf_counter()
conn = libvirt.open(uri)
res = {"connect_ms": (time.perf_counter() - t) * 1e3}
for _ in range(200):
    conn.getLibVersion()
t = time.perf_counter()
for _ in range(n_seq):
    conn.getLibVersion()
res["seq"] = n_seq / (time.perf_counter() - t)

def worker(count):
    for _ in range(count):
        conn.getLibVersion()
threads = [threading.Thread(target=worker, args=(n_par // 16,)) for _ in range(16)]
t = time.perf_counter()
for th in threads: th.start()
for th in threads: th.join()
res["par16"] = (n_par // 16 * 16) / (time.perf_counter() - t)

dom = conn.lookupByName("test")
t = time.perf_counter()
total = screenshot_bytes(conn, dom, n_shot)
res["screenshot"] = total / (time.perf_counter() - t) / 1e6
conn.close()
print(json.dumps(res))
"""


async def bench_virtrpc(uri: str, n_seq: int, n_par: int, n_shot: int) -> dict[str, float]:
    res: dict[str, float] = {}
    start = time.perf_counter()
    client: Any = await virtrpc.connect(uri)
    res["connect_ms"] = (time.perf_counter() - start) * 1e3
    try:
        call = client.connect_get_lib_version
        res["seq"], _ = await sequential_rate(call, n_seq)

        async def worker(count: int) -> None:
            for _ in range(count):
                await call()

        start = time.perf_counter()
        await asyncio.gather(*(worker(n_par // 16) for _ in range(16)))
        res["par16"] = (n_par // 16 * 16) / (time.perf_counter() - start)

        dom = await client.domain_lookup_by_name(name="test")
        total = 0
        start = time.perf_counter()
        for _ in range(n_shot):
            stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
            async for chunk in stream:
                total += len(chunk)
            await stream.finish()
        res["screenshot"] = total / (time.perf_counter() - start) / 1e6
    finally:
        await client.close()
    return res


UNITS = {"connect_ms": "ms", "seq": "calls/s", "par16": "calls/s", "screenshot": "MB/s"}


def _virtrpc_round(uri: str, counts: tuple[int, int, int]) -> dict[str, float]:
    """One round of :func:`bench_virtrpc` in a worker on libvirt-python's
    interpreter (the same build for both clients, see bench_client.py)."""
    result = subprocess.run(
        [SYSTEM_PYTHON, str(Path(__file__).resolve()), "--worker", uri, *map(str, counts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        env=virtrpc_env(),
    )
    values: dict[str, float] = json.loads(result.stdout)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (default 3)")
    parser.add_argument("--transport", choices=("tls", "tcp", "both"), default="both")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        uri, *numbers = options.worker
        print(json.dumps(asyncio.run(bench_virtrpc(uri, *map(int, numbers)))))
        return 0
    # Not needed by the worker (which runs where pytest may be missing).
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
    from tests.support.peers import has_libvirt_python, run_libvirt_python
    from tests.support.tls_fixtures import NetworkLibvirtd, make_test_pki
    if not has_libvirt_python():
        print("needs /usr/bin/python3 with libvirt-python", file=sys.stderr)
        return 2
    scale = 1 if options.quick else 4
    counts = (3000 * scale, 6000 * scale, 50 * scale)
    transports = ("tls", "tcp") if options.transport == "both" else (options.transport,)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vrpc-bench-") as tmp:
        pki = make_test_pki(Path(tmp))
        with NetworkLibvirtd(tls_dir=pki.server_dir) as daemon:
            for transport in transports:
                if transport == "tls":
                    uri = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.client_dir}"
                else:
                    uri = f"test+tcp://127.0.0.1:{daemon.tcp_port}/default"
                best_c: dict[str, float] = {}
                best_v: dict[str, float] = {}
                for _ in range(options.rounds):
                    c_result = json.loads(
                        run_libvirt_python(C_CLIENT_SCRIPT, uri, *map(str, counts), timeout=600).stdout
                    )
                    v_result = _virtrpc_round(uri, counts)
                    for best, result in ((best_c, c_result), (best_v, v_result)):
                        for key, value in result.items():
                            pick = min if key.endswith("_ms") else max
                            best[key] = pick(best.get(key, value), value)
                for key, unit in UNITS.items():
                    rows.append({
                        "transport": transport,
                        "bench": key,
                        "unit": unit,
                        "virtrpc": round(best_v[key], 2),
                        "libvirt_c": round(best_c[key], 2),
                        "ratio": round(best_v[key] / best_c[key], 3),
                    })
    if options.json:
        print(json.dumps(rows))
        return 0
    print(f"{'transport':<9} {'bench':<11} {'unit':<8} {'virtrpc':>10} {'libvirt C':>10} {'ratio':>7}")
    for row in rows:
        print(
            f"{row['transport']:<9} {row['bench']:<11} {row['unit']:<8} {row['virtrpc']:>10.1f} "
            f"{row['libvirt_c']:>10.1f} {row['ratio']:>6.2f}x"
        )
    print(f"(best of {options.rounds} rounds; connect_ms: lower is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
