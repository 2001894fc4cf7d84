"""Benchmark: virtrpc's blocking client (``virtrpc.sync``) vs libvirt-python.

Both talk to the same private libvirtd (test driver), one connection each,
both on Debian's ``/usr/bin/python3`` (virtrpc imported from ``src``), both
without keepalive (the C client runs none without an event loop):

* ``seq``: sequential ``connect_get_lib_version`` (``getLibVersion``);
* ``info``: sequential ``domain_get_info`` (``dom.info()``);
* ``par16``: 16 threads sharing one connection, each calling
  ``connect_get_lib_version`` in a loop;
* ``fds4``: calls carrying 4 fds (``domain_create_with_files`` on a running
  domain, which the test driver rejects after receiving the fds);
* ``screenshot``: screenshot stream downloads (MB/s);
* ``ceiling``: no client at all: a bare blocking socket writing a
  pre-encoded ``getLibVersion`` call and reading its reply, on virtrpc's
  worker (compared with the C client's ``seq``): libvirtd's own time per
  call, the most any client can reach.

Method (the harness shared with the other benchmarks, bench/harness.py): long-lived worker
processes take turns in short batches, the order alternating from one pair
to the next; a row reports each client's median and the median [quartiles]
of the per-pair ratios, and CPU microseconds per call for the call rows.

Usage: ``.venv/bin/python bench/bench_sync.py [--quick] [--json] [--pairs N]
[--rows seq,info,...] [--transport unix|tcp|tls]`` (over TCP and TLS both
clients talk to a ``libvirtd --listen``; no fd row there).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
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
    serve_batches,
    summarize,
    virtrpc_env,
)


def _ceiling_socket(socket_path: str) -> tuple[socket.socket, bytes]:
    """A raw connection opened on the test driver, and a pre-encoded
    ``getLibVersion`` call (the same serial every time: libvirtd does not care)."""
    from virtrpc.protocols import remote
    from virtrpc.rpc.connection import Connection, Role

    conn = Connection(Role.CLIENT, track_calls=False)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(socket_path)
    prog, vers = remote.REMOTE_PROGRAM, remote.REMOTE_PROTOCOL_VERSION
    args = remote.RemoteConnectOpenArgs(name="test:///default", flags=0)
    _, packet = conn.send_call(
        prog,
        vers,
        remote.RemoteProcedure.REMOTE_PROC_CONNECT_OPEN,
        remote.TYPES["remote_connect_open_args"].pack(args),
    )
    sock.sendall(packet)
    sock.recv(65536)
    _, call = conn.send_call(prog, vers, remote.RemoteProcedure.REMOTE_PROC_CONNECT_GET_LIB_VERSION)
    return sock, call


def virtrpc_worker(uri: str, socket_path: str) -> None:
    """virtrpc's side of :data:`C_WORKER_SCRIPT`, plus the ``ceiling`` row."""
    import virtrpc
    import virtrpc.sync
    from virtrpc.client.sync import SyncStream

    with virtrpc.sync.connect(uri, keepalive=None) as client:
        dom = client.domain_lookup_by_name(name="test")
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(4)]
        raw, raw_call = _ceiling_socket(socket_path)

        def seq(count: int) -> float:
            call = client.connect_get_lib_version
            for _ in range(count):
                call()
            return count

        def info(count: int) -> float:
            call = client.domain_get_info
            for _ in range(count):
                call(dom=dom)
            return count

        def par16(count: int) -> float:
            threads = [threading.Thread(target=seq, args=(count // 16,)) for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return count // 16 * 16

        def fds4(count: int) -> float:
            for _ in range(count):
                with contextlib.suppress(virtrpc.LibvirtError):
                    client.domain_create_with_files(dom=dom, flags=0, fds=fds)
            return count

        def screenshot(count: int) -> float:
            total = 0
            for _ in range(count):
                stream = client.domain_screenshot(dom=dom, screen=0, flags=0)
                assert isinstance(stream, SyncStream)  # (annotated as the async Stream)
                with stream:
                    for chunk in stream:
                        total += len(chunk)
            return total / 1e6

        def ceiling(count: int) -> float:
            send, recv = raw.sendall, raw.recv
            for _ in range(count):
                send(raw_call)
                recv(65536)
            return count

        rows: dict[str, Callable[[int], float]] = {
            "seq": seq,
            "info": info,
            "par16": par16,
            "fds4": fds4,
            "screenshot": screenshot,
            "ceiling": ceiling,
        }
        seq(300)
        ceiling(300)
        serve_batches(rows)
        raw.close()
        for fd in fds:
            os.close(fd)


#: row: (unit, batch size, the C row it is compared with, target ratio)
ROWS: dict[str, RowSpec] = {
    "seq": RowSpec("calls/s", 2000, "seq", 1.1),
    "info": RowSpec("calls/s", 2000, "info", 1.1),
    "par16": RowSpec("calls/s", 4000, "par16", 1.0),
    "fds4": RowSpec("calls/s", 300, "fds4", 1.2),
    "screenshot": RowSpec("MB/s", 200, "screenshot", 1.0),
    "ceiling": RowSpec("calls/s", 2000, "seq", None),
}
CPU_ROWS = ("seq", "info", "par16", "fds4", "ceiling")


def run(
    uri: str, socket_path: str, pairs: int, scale: float, only: list[str] | None = None
) -> list[dict[str, Any]]:
    workers = {
        C_CLIENT: Worker([SYSTEM_PYTHON, "-c", C_WORKER_SCRIPT, uri]),
        "virtrpc_sync": Worker(
            [SYSTEM_PYTHON, str(Path(__file__).resolve()), "--worker", uri, socket_path],
            env=virtrpc_env(),
        ),
    }
    chosen = {row: spec for row, spec in ROWS.items() if only is None or row in only}
    # Every row has a C batch of its own beside it (the ceiling: the C client's seq).
    plan: list[tuple[str, list[Turn]]] = []
    for row, spec in chosen.items():
        count = max(1, int(spec.size * scale))
        plan.append((row, [(C_CLIENT, spec.c_row, count), ("virtrpc_sync", row, count)]))
    try:
        batches = run_alternating(workers, plan, pairs)
    finally:
        for worker in workers.values():
            worker.close()
    return summarize(batches, workers, chosen, CPU_ROWS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--pairs", type=int, default=None, help="batches per client (default 15)")
    parser.add_argument("--rows", help=f"comma-separated subset of {','.join(ROWS)}")
    parser.add_argument(
        "--transport",
        choices=("unix", "tcp", "tls"),
        default="unix",
        help="both clients over this transport (tcp, tls: libvirtd --listen)",
    )
    parser.add_argument("--worker", nargs=2, metavar=("URI", "SOCKET"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        virtrpc_worker(*options.worker)
        return 0
    sys.path.insert(0, str(ROOT))  # the repository root: tests.support.peers
    from tests.support.peers import PrivateLibvirtd, has_libvirt_python

    if not has_libvirt_python():
        print("needs /usr/bin/python3 with libvirt-python", file=sys.stderr)
        return 2
    pairs = options.pairs or (5 if options.quick else 15)
    scale = 0.5 if options.quick else 1.0
    only = options.rows.split(",") if options.rows else None
    if options.transport == "unix":
        with PrivateLibvirtd() as daemon:
            rows = run(daemon.uri, daemon.socket_path, pairs, scale, only)
    else:
        from tests.support.tls_fixtures import NetworkLibvirtd, make_test_pki

        with tempfile.TemporaryDirectory() as tmp:
            pki = make_test_pki(Path(tmp))
            with NetworkLibvirtd(tls_dir=pki.server_dir) as daemon:
                if options.transport == "tls":
                    uri = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.client_dir}"
                else:
                    uri = f"test+tcp://127.0.0.1:{daemon.tcp_port}/default"
                # (no fds over the network; the ceiling is the unix socket's)
                only = only or ["seq", "info", "par16", "screenshot"]
                rows = run(uri, daemon.socket_path, pairs, scale, only)
    if options.json:
        print(json.dumps(rows))
        return 0
    print(f"{'bench':<11} {'unit':<8} {'libvirt_c':>22} {'virtrpc_sync':>34}  target")
    for row in rows:
        cells = [format_cell(row[name]) for name in (C_CLIENT, "virtrpc_sync")]
        target = f">= {row['target']}x" if row["target"] else ""
        print(f"{row['bench']:<11} {row['unit']:<8} {cells[0]:>22} {cells[1]:>34}  {target}")
    print(
        f"(median of {pairs} batches per client, CPU us per call in brackets; ratios: median "
        "[quartiles] of side-by-side batch ratios; ceiling = bare socket vs the C client's seq)"
    )
    print(
        f"both on {SYSTEM_PYTHON} ({python_version(SYSTEM_PYTHON)}) over {options.transport}, "
        f"{time.strftime('%H:%M UTC')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
