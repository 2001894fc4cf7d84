"""Benchmark: managed live migrations per second, virtrpc's client vs libvirt's C client.

Two ``virtrpc serve`` instances with ``--migration-seconds 0`` (no simulated
transfer time: what is left is the v3 sequence, seven calls over two
connections).  Each client runs in its own long-lived worker on the same
interpreter (``/usr/bin/python3``, virtrpc imported from ``src``), connected
once, and migrates its own domain back and forth: libvirt-python with
``dom.migrate3(dconn, {}, VIR_MIGRATE_LIVE)``, virtrpc with its blocking
client's ``migrate``.  The workers take turns in short batches, the order
alternating, and the report is the median of each client's batches and of
the per-pair ratios (virtrpc / C, in migrations per second; above 1: virtrpc
is faster).

Usage: ``.venv/bin/python bench/bench_migration.py [--pairs N] [--batch N] [--json]``.
Needs ``/usr/bin/python3`` with libvirt-python.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"

DOMAIN_XML = ("<domain type='test'><name>{name}</name><memory>1024</memory>"
              "<os><type>hvm</type></os></domain>")

C_WORKER = r"""
import sys, time, libvirt
a, b = libvirt.open(sys.argv[1]), libvirt.open(sys.argv[2])
name = sys.argv[3]
a.createXML(DOMAIN_XML.format(name=name))
here, there = a, b
print("ready", flush=True)
for line in sys.stdin:
    count = int(line)
    start = time.perf_counter()
    for _ in range(count):
        here.lookupByName(name).migrate3(there, {}, libvirt.VIR_MIGRATE_LIVE)
        here, there = there, here
    print(time.perf_counter() - start, flush=True)
"""

VIRTRPC_WORKER = r"""
import sys, time
sys.path.insert(0, SRC)
import virtrpc.sync
a, b = virtrpc.sync.connect(sys.argv[1]), virtrpc.sync.connect(sys.argv[2])
name = sys.argv[3]
a.domain_create_xml(xml_desc=DOMAIN_XML.format(name=name), flags=0)
here, there = a, b
print("ready", flush=True)
for line in sys.stdin:
    count = int(line)
    start = time.perf_counter()
    for _ in range(count):
        here.migrate(here.domain_lookup_by_name(name=name), there, 1, {})
        here, there = there, here
    print(time.perf_counter() - start, flush=True)
"""


class Worker:
    def __init__(self, script: str, uris: tuple[str, str], name: str) -> None:
        prelude = f"DOMAIN_XML = {DOMAIN_XML!r}\nSRC = {str(ROOT / 'src')!r}\n"
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, "-c", prelude + script, *uris, name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._stdout().readline().strip() == "ready"

    def _stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def batch(self, count: int) -> float:
        """Migrations per second over ``count`` migrations."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        return count / float(self._stdout().readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


def serve(path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "virtrpc", "serve", "--socket", str(path),
         "--migration-seconds", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert process.stdout is not None
    process.stdout.readline()  # listening
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=20, help="migrations per batch")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        servers = [serve(Path(folder) / "a.sock"), serve(Path(folder) / "b.sock")]
        uris = (f"test+unix:///default?socket={folder}/a.sock",
                f"test+unix:///default?socket={folder}/b.sock")
        try:
            c_worker = Worker(C_WORKER, uris, "c-guest")
            ours = Worker(VIRTRPC_WORKER, uris, "virtrpc-guest")
            c_rates: list[float] = []
            our_rates: list[float] = []
            for pair in range(args.pairs + 1):
                order = [(c_worker, c_rates), (ours, our_rates)]
                for worker, rates in order if pair % 2 else reversed(order):
                    rate = worker.batch(args.batch)
                    if pair:  # the first pair warms up
                        rates.append(rate)
            c_worker.close()
            ours.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
    ratios = sorted(o / c for o, c in zip(our_rates, c_rates, strict=True))
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    row = {"bench": "migrate3_managed", "unit": "migrations/s",
           "libvirt_c": statistics.median(c_rates), "virtrpc": statistics.median(our_rates),
           "ratio": statistics.median(ratios), "ratio_q1": quartiles[0],
           "ratio_q3": quartiles[-1]}
    if args.json:
        print(json.dumps([row]))
    else:
        print(f"{row['bench']}: libvirt C {row['libvirt_c']:.1f}/s, virtrpc "
              f"{row['virtrpc']:.1f}/s, ratio {row['ratio']:.2f} "
              f"(IQR {row['ratio_q1']:.2f}-{row['ratio_q3']:.2f})")


if __name__ == "__main__":
    main()
