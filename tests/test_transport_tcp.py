"""Plain TCP transport against libvirtd --listen, and a tshark capture of a
whole session decoded by Wireshark's libvirt dissector."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import virtrpc.client.client  # noqa: F401  (imported up front: timing tests exclude import time)
from tests.support.peek import transport_of
from tests.support.peers import require_peer
from tests.support.tls_fixtures import NetworkLibvirtd, free_port, open_network_client
from virtrpc.errors import ConnectError, ProtocolError
from virtrpc.transport.tcp import start_tcp_server
from virtrpc.transport.unix import SocketTransport


@pytest.fixture(scope="module")
def tcp_daemon() -> Iterator[NetworkLibvirtd]:
    with NetworkLibvirtd(auth_tcp="none") as daemon:
        yield daemon


def tcp_uri(daemon: NetworkLibvirtd) -> str:
    return f"test+tcp://127.0.0.1:{daemon.tcp_port}/default"


async def test_calls_over_tcp(tcp_daemon: NetworkLibvirtd) -> None:
    client: Any = await open_network_client(tcp_uri(tcp_daemon))
    try:
        assert isinstance(transport_of(client), SocketTransport)
        assert transport_of(client).can_pass_fds is False
        dom = await client.domain_lookup_by_name(name="test")
        assert dom.name == "test"
        results = await asyncio.gather(*(client.connect_get_lib_version() for _ in range(100)))
        assert len(set(results)) == 1
    finally:
        await client.close()


async def test_fds_refused_on_tcp_before_anything_is_sent(tcp_daemon: NetworkLibvirtd) -> None:
    client: Any = await open_network_client(tcp_uri(tcp_daemon))
    try:
        read_fd, write_fd = os.pipe()
        try:
            with pytest.raises(ProtocolError, match="cannot pass file descriptors"):
                transport_of(client).write(b"x", [read_fd])
        finally:
            os.close(read_fd)
            os.close(write_fd)
        assert transport_of(client).get_write_buffer_size() == 0
        assert await client.connect_get_lib_version()
    finally:
        await client.close()


async def test_closed_port_is_a_fast_one_line_error() -> None:
    uri = f"test+tcp://127.0.0.1:{free_port()}/default"
    started = time.monotonic()
    with pytest.raises(ConnectError) as info:
        await open_network_client(uri)
    assert time.monotonic() - started < 2
    message = str(info.value)
    assert uri in message and "Connection refused" in message and "\n" not in message
    assert info.value.errno is not None


async def test_start_tcp_server_serves_connections() -> None:
    class Echo:
        transport: Any = None

        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes, fds: list[int]) -> None:
            self.transport.write(data.upper())

        def eof_received(self) -> None: ...

        def connection_lost(self, exc: BaseException | None) -> None: ...

    listener = await start_tcp_server("127.0.0.1", 0, Echo)
    try:
        assert listener.socket is not None
        port = listener.socket.getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello")
        assert await asyncio.wait_for(reader.readexactly(5), 5) == b"HELLO"
        writer.close()
        await writer.wait_closed()
    finally:
        listener.close()


async def test_listen_on_a_busy_port_is_a_clear_error() -> None:
    listener = await start_tcp_server("127.0.0.1", 0, lambda: None)  # type: ignore[arg-type,return-value]
    try:
        assert listener.socket is not None
        port = listener.socket.getsockname()[1]
        with pytest.raises(ConnectError, match=f"cannot listen on 127.0.0.1:{port}"):
            await start_tcp_server("127.0.0.1", port, lambda: None)  # type: ignore[arg-type,return-value]
    finally:
        listener.close()


# ---------------------------------------------------------------- tshark


class Capture:
    """``tshark`` capturing one TCP port on loopback into a file.

    tshark reports "Capture started" before packets are really recorded, and
    dumpcap writes its file in batches (and may drop the last batch when
    interrupted); so the capture also watches a probe port of ours and sends
    marker bytes there: once a marker sent after the session is in the file,
    everything before it is too.  Markers are polled with a deadline.
    """

    def __init__(self, port: int, path: Path) -> None:
        self.port = port
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None
        self._probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

    def _send_marker(self, marker: bytes) -> None:
        with socket.create_connection(self._probe.getsockname(), timeout=5) as sender:
            accepted, _ = self._probe.accept()
            with accepted:
                sender.sendall(marker)
                accepted.recv(len(marker))

    def _wait_for_marker(self, marker: bytes) -> None:
        deadline = time.monotonic() + 20
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                self.stop()
                require_peer(False, "a working tshark capture on lo (tshark exited)")
            with contextlib.suppress(OSError):
                if marker in self.path.read_bytes():
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("tshark did not record the marker packets")
            self._send_marker(marker)
            time.sleep(0.05)  # polling with a deadline, not synchronisation

    def __enter__(self) -> Capture:
        tshark = shutil.which("tshark")
        require_peer(tshark is not None, "tshark")
        assert tshark is not None
        self._probe.bind(("127.0.0.1", 0))
        self._probe.listen(64)
        probe_port = self._probe.getsockname()[1]
        self.process = subprocess.Popen(
            [tshark, "-i", "lo", "-f", f"tcp port {self.port} or tcp port {probe_port}",
             "-w", str(self.path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_for_marker(b"virtrpc-capture-start-" + os.urandom(8).hex().encode())
        return self

    def stop(self) -> None:
        self._probe.close()
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None and self.process is not None:
            self._wait_for_marker(b"virtrpc-capture-end-" + os.urandom(8).hex().encode())
        self.stop()


def tshark_fields(path: Path, port: int, display_filter: str, *fields: str) -> list[str]:
    args = ["tshark", "-r", str(path), "-d", f"tcp.port=={port},libvirt", "-Y", display_filter]
    if fields:
        args += ["-T", "fields"]
        for field in fields:
            args += ["-e", field]
    result = subprocess.run(args, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return [line for line in result.stdout.decode(errors="replace").splitlines() if line.strip()]


async def test_tcp_session_decodes_with_the_libvirt_dissector(
    tcp_daemon: NetworkLibvirtd, tmp_path: Path
) -> None:
    capture_file = tmp_path / "session.pcapng"
    with Capture(tcp_daemon.tcp_port, capture_file):
        client: Any = await open_network_client(tcp_uri(tcp_daemon))
        try:
            events: asyncio.Queue[Any] = asyncio.Queue()
            sub = await client.subscribe("domain", "lifecycle", callback=events.put)
            dom = await client.domain_lookup_by_name(name="test")
            await client.domain_suspend(dom=dom)
            await client.domain_resume(dom=dom)
            first = await asyncio.wait_for(events.get(), 10)
            assert first is not None
            stream = await client.domain_screenshot(dom=dom, screen=0, flags=0)
            received = 0
            async for chunk in stream:
                received += len(chunk)
            await stream.finish()
            assert received > 1000
            await sub.close()
        finally:
            await client.close()
    port = tcp_daemon.tcp_port
    assert tshark_fields(capture_file, port, "_ws.malformed") == []
    rows = tshark_fields(
        capture_file, port, "libvirt", "libvirt.procedure", "libvirt.type", "libvirt.status"
    )
    seen = {tuple(row.split("\t")) for row in rows}
    kinds = {kind for _proc, kind, _status in seen}
    # CALL (0), REPLY (1), MESSAGE (2: the lifecycle event), STREAM (3)
    assert {"0", "1", "2", "3"} <= kinds, rows
    assert ("318", "2", "0") in seen  # REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE
    assert ("211", "3", "2") in seen  # screenshot stream data (status CONTINUE)
    assert ("211", "3", "0") in seen  # ... and its end (status OK)


async def test_uri_dispatch_rejects_bad_parameters_and_transports() -> None:
    from virtrpc.client.uri import parse_uri
    from virtrpc.transport.network import open_uri_transport

    class Unused:
        def connection_made(self, transport: Any) -> None:
            raise AssertionError("nothing may be opened")

        def data_received(self, data: bytes, fds: list[int]) -> None: ...
        def eof_received(self) -> None: ...
        def connection_lost(self, exc: BaseException | None) -> None: ...

    bad_flag = parse_uri("test+tls://localhost:1/default?no_verify=yes")
    with pytest.raises(ConnectError, match="Failed to parse value of URI component no_verify"):
        await open_uri_transport(bad_flag, Unused())
    with pytest.raises(ConnectError, match="not a network transport"):
        await open_uri_transport(parse_uri("test+unix:///default"), Unused())
    with pytest.raises(ConnectError, match=r"not supported .* use \+ssh"):
        await open_uri_transport(parse_uri("test+libssh2://host/default"), Unused())
