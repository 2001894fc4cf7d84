"""Benchmark ``virtrpc serve`` against a private libvirtd with the same client.

The client workload is libvirt-python (Debian's /usr/bin/python3) in a
subprocess, so both servers see exactly the same client; each server runs in
its own process (``virtrpc serve`` on that same interpreter, importing
virtrpc from this checkout).  One run of each measurement:

* sequential ``getLibVersion`` calls per second (target: virtrpc >= 1.5x libvirtd),
  and the server's CPU time per call
* 16 threads, one connection each, ``getLibVersion`` calls per second (>= 1.0x)
* RSS of the server process with 1000 idle connections (virtrpc < 64 MiB)
* stream download throughput to a virtrpc client, beside a raw Unix socket copy

Rates are the best of ``--rounds`` interleaved runs per server (the machine
may be shared with other work; interleaving exposes both servers to it alike).

Usage: ``.venv/bin/python bench/bench_server.py [--seconds S] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the repository root: tests.support.peers

from tests.support.peers import SYSTEM_PYTHON, PrivateLibvirtd  # type: ignore[import-not-found, unused-ignore]  # noqa: E402

WORKLOAD = r"""
import json, resource, sys, threading, time, libvirt
uri, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
libvirt.registerErrorHandler(lambda *a: None, None)
if mode == "seq":
    conn = libvirt.open(uri)
    for _ in range(200):  # warm up
        conn.getLibVersion()
    count, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        for _ in range(100):
            conn.getLibVersion()
        count += 100
    print(json.dumps({"rate": count / (time.perf_counter() - start)}))
elif mode == "threads":
    conns = [libvirt.open(uri) for _ in range(16)]
    counts = [0] * 16
    barrier = threading.Barrier(17)
    stop = threading.Event()
    def worker(i):
        c = conns[i]
        barrier.wait()
        n = 0
        while not stop.is_set():
            for _ in range(20):
                c.getLibVersion()
            n += 20
        counts[i] = n
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads: t.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads: t.join()
    print(json.dumps({"rate": sum(counts) / (time.perf_counter() - start)}))
elif mode == "idle":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    conns = [libvirt.open(uri) for _ in range(1000)]
    print(json.dumps({"open": len(conns)}), flush=True)
    sys.stdin.readline()  # hold them until the parent has measured
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_workload(uri: str, mode: str, seconds: float) -> dict[str, Any]:
    result = subprocess.run([SYSTEM_PYTHON, "-c", WORKLOAD, uri, mode, str(seconds)],
                            capture_output=True, text=True, timeout=300, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def idle_rss(uri: str, pid: int) -> tuple[int, int]:
    """(server RSS before, with 1000 idle libvirt-python connections) in KiB."""
    before = rss_kib(pid)
    holder = subprocess.Popen([SYSTEM_PYTHON, "-c", WORKLOAD, uri, "idle", "0"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        line = holder.stdout.readline()
        if json.loads(line)["open"] != 1000:
            raise RuntimeError(f"idle workload failed: {line!r}")
        during = rss_kib(pid)
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    return before, during


class VirtrpcServe:
    """``virtrpc serve`` in its own process."""

    def __init__(self) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="vrpc-bench-", dir="/tmp")
        self.socket_path = os.path.join(self.directory.name, "sock")
        # Measure the server as installed: with up-to-date bytecode.  Without
        # it every start compiles the 1.7 MB generated remote module, and the
        # compiler's peak (~100 MiB) stays in the process's RSS.
        # It runs on Debian's interpreter, as the client benches' virtrpc
        # workers do (see bench_client.py: the venv may be another build),
        # importing virtrpc from this checkout.
        import virtrpc

        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        source = Path(virtrpc.__file__).resolve().parent
        env["PYTHONPATH"] = str(source.parent)
        subprocess.run([SYSTEM_PYTHON, "-m", "compileall", "-q", str(source)], check=True, env=env)
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, "-m", "virtrpc", "serve", "--socket", self.socket_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("virtrpc serve did not start")
            time.sleep(0.01)

    @property
    def uri(self) -> str:
        return f"test+unix:///default?socket={self.socket_path}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.directory.cleanup()


async def _virtrpc_download(uri: str, size: int) -> float:
    """MiB/s of a ``storage_vol_download`` of ``size`` bytes to the virtrpc client."""
    from virtrpc.client import connect

    async with connect(uri, keepalive=None) as client:
        pool = await client.storage_pool_lookup_by_name(name="default-pool")
        vol = await client.storage_vol_create_xml(
            pool=pool, xml=f"<volume><name>bench.img</name><capacity>{size}</capacity></volume>",
            flags=0)
        upload = await client.storage_vol_upload(vol=vol, offset=0, length=0, flags=0)
        block = os.urandom(1 << 20)
        for _ in range(size // len(block)):
            await upload.send(block)
        await upload.finish()
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=0)
            received = 0
            async for chunk in stream:
                received += len(chunk)
            await stream.finish()
            elapsed = time.perf_counter() - start
            if received != size:
                raise RuntimeError(f"downloaded {received} of {size} bytes")
            best = max(best, size / elapsed / 2**20)
        return best


def raw_socket_copy(size: int) -> float:
    """MiB/s of copying ``size`` bytes over a Unix socketpair between two threads
    with 256 KiB writes (the stream chunk size): the ceiling for any stream."""
    left, right = socket.socketpair()
    chunk = os.urandom(256 * 1024)

    def sender() -> None:
        for _ in range(size // len(chunk)):
            left.sendall(chunk)
        left.close()

    start = time.perf_counter()
    thread = threading.Thread(target=sender)
    thread.start()
    received = 0
    while True:
        data = right.recv(1 << 20)
        if not data:
            break
        received += len(data)
    thread.join()
    right.close()
    return received / (time.perf_counter() - start) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each rate run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs, best kept")
    parser.add_argument("--stream-mib", type=int, default=128)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    results: dict[str, Any] = {}
    serve = VirtrpcServe()
    try:
        with PrivateLibvirtd() as daemon:
            assert daemon.process is not None
            # The machine may be shared: interleave the two servers and keep
            # each one's best of --rounds runs, so background load hurts both alike.
            for mode, key in (("seq", "seq"), ("threads", "threads16")):
                for name in ("virtrpc", "libvirtd"):
                    results[f"{name}_{key}"] = 0.0
                    results[f"{name}_{key}_cpu_us"] = float("inf")
                servers = (("virtrpc", serve.uri, serve.process.pid),
                           ("libvirtd", daemon.uri, daemon.process.pid))
                for _ in range(args.rounds):
                    for name, uri, pid in servers:
                        cpu_before = cpu_seconds(pid)
                        rate = run_workload(uri, mode, args.seconds)["rate"]
                        # Server CPU per call (connection setup included): unlike
                        # the rate, hardly affected by other load on the machine.
                        cpu_us = (cpu_seconds(pid) - cpu_before) / (rate * args.seconds) * 1e6
                        results[f"{name}_{key}"] = max(results[f"{name}_{key}"], rate)
                        results[f"{name}_{key}_cpu_us"] = min(results[f"{name}_{key}_cpu_us"],
                                                              cpu_us)
            before, during = idle_rss(daemon.uri, daemon.process.pid)
            results["libvirtd_rss_base_mib"] = before / 1024
            results["libvirtd_rss_1000_idle_mib"] = during / 1024
        before, during = idle_rss(serve.uri, serve.process.pid)
        results["virtrpc_rss_base_mib"] = before / 1024
        results["virtrpc_rss_1000_idle_mib"] = during / 1024
        size = args.stream_mib * 2**20
        results["virtrpc_stream_mib_s"] = asyncio.run(_virtrpc_download(serve.uri, size))
    finally:
        serve.stop()
    results["raw_socket_copy_mib_s"] = raw_socket_copy(args.stream_mib * 2**20)
    results["ratio_seq"] = results["virtrpc_seq"] / results["libvirtd_seq"]
    results["ratio_threads16"] = results["virtrpc_threads16"] / results["libvirtd_threads16"]

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"sequential getLibVersion: virtrpc {results['virtrpc_seq']:8.0f}/s   "
          f"libvirtd {results['libvirtd_seq']:8.0f}/s   ratio {results['ratio_seq']:.2f}x "
          "(target >= 1.5x)")
    print(f"16 threads getLibVersion: virtrpc {results['virtrpc_threads16']:8.0f}/s   "
          f"libvirtd {results['libvirtd_threads16']:8.0f}/s   "
          f"ratio {results['ratio_threads16']:.2f}x (target >= 1.0x)")
    print(f"server CPU per call:      virtrpc {results['virtrpc_seq_cpu_us']:6.1f} us "
          f"(16 threads {results['virtrpc_threads16_cpu_us']:.1f})   libvirtd "
          f"{results['libvirtd_seq_cpu_us']:6.1f} us "
          f"(16 threads {results['libvirtd_threads16_cpu_us']:.1f})")
    print(f"RSS with 1000 idle conns: virtrpc {results['virtrpc_rss_1000_idle_mib']:6.1f} MiB "
          f"(idle server {results['virtrpc_rss_base_mib']:.1f})   "
          f"libvirtd {results['libvirtd_rss_1000_idle_mib']:6.1f} MiB "
          f"(idle {results['libvirtd_rss_base_mib']:.1f})   (target virtrpc < 64 MiB)")
    print(f"stream download:          virtrpc client {results['virtrpc_stream_mib_s']:6.0f} MiB/s"
          f"   raw unix socket copy {results['raw_socket_copy_mib_s']:6.0f} MiB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
