"""Benchmark: virtrpc's libvirt-python-compatible API (``virtrpc.libvirt``)
vs libvirt-python itself.

One worker script, written against libvirt-python's API, runs twice on
Debian's ``/usr/bin/python3``: once with the real libvirt-python, once with
``PYTHONPATH=$(virtrpc shim-path)`` so that ``import libvirt`` is virtrpc's
(the way users run unchanged programs).  Both talk to the same private
libvirtd (test driver), one connection each, without keepalive (neither
runs one without an event loop):

* ``version``: sequential ``conn.getLibVersion()``;
* ``info``: sequential ``dom.info()``;
* ``listall``: ``conn.listAllDomains()`` over 1,000 domains (the reply
  decoded and 1,000 ``virDomain`` objects built per call);
* ``import``: a cold ``import libvirt`` / ``import virtrpc.libvirt`` (bytecode
  present), each in a fresh process, timed inside it (ms; lower is better).

The virtrpc worker also runs each call row on the engine underneath
(``virtrpc.sync``, the same connection, the compat layer skipped), and
measures what ``virtrpc.libvirt`` adds per call (``layer``, microseconds) on a
stub engine that answers recorded replies at once: a few microseconds are
lost in the daemon's noise otherwise.

Method (the harness shared with the other benchmarks, bench/harness.py): long-lived worker
processes take turns in short batches, the order alternating from one pair
to the next; a row reports each client's median and the median [quartiles]
of the per-pair ratios.

Usage: ``.venv/bin/python bench/bench_libvirt.py [--quick] [--json] [--pairs N]``.
Needs libvirtd and ``/usr/bin/python3`` with libvirt-python.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    C_CLIENT,
    ROOT,
    SYSTEM_PYTHON,
    Turn,
    Worker,
    cell,
    format_cell,
    python_version,
    quartiles,
    run_alternating,
    virtrpc_env,
)

SHIM = ROOT / "src" / "virtrpc" / "libvirt" / "shim"
#: listAllDomains lists the test driver's ``test`` and this many more.
EXTRA_DOMAINS = 999

#: The worker, on libvirt-python's API only: one batch per command line
#: ``ROW COUNT``, answered with one JSON line ``{"rate": ..., "cpu_us": ...}``.
#: Under virtrpc it adds ``ROW_engine`` rows: the same calls on ``virtrpc.sync``.
WORKER_SCRIPT = r"""
import json, sys, time
import libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")

def version(count):
    for _ in range(count):
        conn.getLibVersion()
    return count

def info(count):
    for _ in range(count):
        dom.info()
    return count

def listall(count):
    for _ in range(count):
        conn.listAllDomains()
    return count

rows = {"version": version, "info": info, "listall": listall}
if libvirt.__name__ == "virtrpc.libvirt":
    # virtrpc's objects keep their blocking client and wire struct in _c and _o.
    engine, wire = conn._c, dom._o

    def version_engine(count):
        for _ in range(count):
            engine.connect_get_lib_version()
        return count

    def info_engine(count):
        for _ in range(count):
            engine.domain_get_info(dom=wire)
        return count

    def listall_engine(count):
        for _ in range(count):
            engine.connect_list_all_domains(need_results=1, flags=0)
        return count

    rows.update(version_engine=version_engine, info_engine=info_engine,
                listall_engine=listall_engine)

    # The layer's own cost, without the daemon's noise: the same methods on
    # a stub engine answering the recorded replies at once, minus the stub calls.
    import types
    replies = {"connect_get_lib_version": engine.connect_get_lib_version(),
               "domain_get_info": engine.domain_get_info(dom=wire),
               "connect_list_all_domains": engine.connect_list_all_domains(need_results=1, flags=0)}
    stub = types.SimpleNamespace(is_open=False, **{
        name: (lambda reply: lambda **kwargs: reply)(reply) for name, reply in replies.items()})
    stub_conn = object.__new__(libvirt.virConnect)
    stub_conn._c = stub
    stub_dom = libvirt.virDomain._list(stub_conn, [wire])[0]
    layer_calls = {
        "version": (stub_conn.getLibVersion, stub.connect_get_lib_version),
        "info": (stub_dom.info, lambda: stub.domain_get_info(dom=wire)),
        "listall": (stub_conn.listAllDomains,
                    lambda: stub.connect_list_all_domains(need_results=1, flags=0)),
    }

    def layer(name, count):
        best = {}
        for _ in range(5):  # the least of 5 alternating runs: CPU work, no I/O
            for which, call in zip(("api", "stub"), layer_calls[name]):
                t = time.perf_counter()
                for _ in range(count):
                    call()
                best[which] = min(best.get(which, 1e9), time.perf_counter() - t)
        return (best["api"] - best["stub"]) / count * 1e6

for row in rows.values():
    row(20)
print("ready", flush=True)
for line in sys.stdin:
    row, count = line.split()
    if row.endswith("_layer"):
        print(json.dumps({"layer_us": layer(row[:-len("_layer")], int(count))}), flush=True)
        continue
    t = time.perf_counter(); p = time.process_time()
    done = rows[row](int(count))
    wall = time.perf_counter() - t
    print(json.dumps({"rate": done / wall, "cpu_us": (time.process_time() - p) / done * 1e6}),
          flush=True)
"""

#: row: (unit, batch size, target ratio against libvirt-python)
ROWS: dict[str, tuple[str, int, float]] = {
    "version": ("calls/s", 2000, 1.1),
    "info": ("calls/s", 2000, 1.1),
    "listall": ("calls/s", 20, 1.5),
}
#: A cold import in a fresh process, timed inside it (ms).
IMPORT_SCRIPT = (
    "import time; t = time.perf_counter(); import {module}; "
    "print((time.perf_counter() - t) * 1e3)"
)
IMPORT_TARGET_MS = 150.0
#: The layer rows (no I/O, far faster) run this many times a batch's calls.
LAYER_SCALE = 5


def shim_env() -> dict[str, str]:
    """The environment of a program run with ``PYTHONPATH=$(virtrpc shim-path)``
    (and virtrpc from this checkout)."""
    env = virtrpc_env()
    env["PYTHONPATH"] = os.pathsep.join([str(SHIM), env["PYTHONPATH"]])
    return env


def define_domains(uri: str, count: int) -> Any:
    """Define ``count`` inactive domains; returns the connection that keeps the
    test driver's state alive (it lives while a connection is open)."""
    import virtrpc.sync

    holder = virtrpc.sync.connect(uri, keepalive=None)
    for n in range(count):
        holder.domain_define_xml(
            xml=f"<domain type='test'><name>bench-{n:04d}</name><memory>65536</memory>"
            "<os><type>hvm</type></os></domain>"
        )
    return holder


def import_times(pairs: int) -> dict[str, list[float]]:
    """Cold import times, libvirt-python and virtrpc alternating, one fresh process each."""
    commands = {
        "libvirt_c": ([SYSTEM_PYTHON, "-c", IMPORT_SCRIPT.format(module="libvirt")], None),
        "virtrpc": ([SYSTEM_PYTHON, "-c", IMPORT_SCRIPT.format(module="virtrpc.libvirt")],
                    virtrpc_env()),
    }
    for argv, env in commands.values():  # writes the bytecode if it is missing
        subprocess.run(argv, env=env, check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for pair in range(pairs):
        order = list(commands) if pair % 2 == 0 else list(reversed(commands))
        for name in order:
            argv, env = commands[name]
            done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
            times[name].append(float(done.stdout))
    return times


def run(uri: str, pairs: int, scale: float) -> list[dict[str, Any]]:
    holder = define_domains(uri, EXTRA_DOMAINS)
    try:
        workers = {
            C_CLIENT: Worker([SYSTEM_PYTHON, "-c", WORKER_SCRIPT, uri]),
            "virtrpc": Worker([SYSTEM_PYTHON, "-c", WORKER_SCRIPT, uri], env=shim_env()),
        }
        plan: list[tuple[str, list[Turn]]] = []
        for row, (_, size, _) in ROWS.items():
            count = max(1, int(size * scale))
            plan.append((row, [(C_CLIENT, row, count), ("virtrpc", row, count),
                               ("virtrpc", row + "_engine", count),
                               ("virtrpc", row + "_layer", count * LAYER_SCALE)]))
        try:
            batches = run_alternating(workers, plan, pairs)
        finally:
            for worker in workers.values():
                worker.close()
    finally:
        holder.close()
    rows: list[dict[str, Any]] = []
    for row, (unit, _, target) in ROWS.items():
        c_batches = batches[(row, C_CLIENT, row)]
        ours = cell(batches[(row, "virtrpc", row)], c_batches)
        engine = cell(batches[(row, "virtrpc", row + "_engine")], c_batches)
        layer = [b["layer_us"] for b in batches[(row, "virtrpc", row + "_layer")]]
        layer_q1, layer_us, layer_q3 = quartiles(layer)
        rows.append({
            "bench": row, "unit": unit, "target": target,
            "libvirt_c": cell(c_batches, None), "virtrpc": ours, "engine": engine,
            "layer_us": round(layer_us, 2), "layer_q1": round(layer_q1, 2),
            "layer_q3": round(layer_q3, 2),
        })
    times = import_times(max(pairs, 5))
    c_ms, ours_ms = (statistics.median(times[name]) for name in ("libvirt_c", "virtrpc"))
    rows.append({
        "bench": "import", "unit": "ms", "target_ms": IMPORT_TARGET_MS,
        "libvirt_c": {"median": round(c_ms, 2)},
        "virtrpc": {"median": round(ours_ms, 2), "ratio": round(c_ms / ours_ms, 3)},
    })
    return rows


def _print_table(rows: list[dict[str, Any]], pairs: int) -> None:
    print(f"{'bench':<9} {'unit':<8} {'libvirt_c':>22} {'virtrpc.libvirt':>34} "
          f"{'engine (virtrpc.sync)':>34} {'layer':>24}  target")
    for row in rows:
        c, ours = row["libvirt_c"], row["virtrpc"]
        if row["bench"] == "import":
            print(f"{'import':<9} {'ms':<8} {c['median']:>22.1f} {ours['median']:>34.1f} "
                  f"{'':>34} {'':>24}  < {row['target_ms']:.0f} ms")
            continue
        cells = [format_cell(c), format_cell(ours), format_cell(row["engine"])]
        layer = f"{row['layer_us']:.2f} [{row['layer_q1']:.2f}-{row['layer_q3']:.2f}] us"
        print(f"{row['bench']:<9} {row['unit']:<8} {cells[0]:>22} {cells[1]:>34} {cells[2]:>34} "
              f"{layer:>24}  >= {row['target']}x")
    print(f"(median of {pairs} batches per client, CPU us per call in brackets; ratios against "
          "libvirt C: median [quartiles] of the ratios of batches run side by side; layer: "
          "virtrpc.libvirt's time per call over virtrpc.sync's, on a stub engine answering "
          "recorded replies, median [quartiles] of the batches; import: median of fresh processes)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--pairs", type=int, default=None, help="batches per client (default 15)")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # the repository root: tests.support.peers
    from tests.support.peers import PrivateLibvirtd, has_libvirt_python

    if not has_libvirt_python():
        print("needs /usr/bin/python3 with libvirt-python", file=sys.stderr)
        return 2
    pairs = options.pairs or (5 if options.quick else 15)
    scale = 0.25 if options.quick else 1.0
    with PrivateLibvirtd() as daemon:
        rows = run(daemon.uri, pairs, scale)
    if options.json:
        print(json.dumps(rows))
        return 0
    _print_table(rows, pairs)
    print(f"both: {SYSTEM_PYTHON} ({python_version(SYSTEM_PYTHON)}), {EXTRA_DOMAINS + 1} domains listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
