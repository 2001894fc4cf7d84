"""A logging proxy between libvirt clients and a daemon, fds included.

Each accepted client gets its own connection to the upstream Unix socket.
Both directions are parsed by a :class:`~virtrpc.rpc.connection.Connection`
(server role for what clients send, client role without call tracking for
what the daemon sends), so every message is forwarded whole, with its file
descriptors, and can be logged and recorded.  A framing violation on either
side closes that client's pair of connections and is logged; other clients
carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from virtrpc.errors import VirtrpcError
from virtrpc.rpc.connection import Connection, Role
from virtrpc.rpc.events import ConnectionClosed, Event, MessageEvent, ProtocolViolation
from virtrpc.rpc.packet import encode_packet
from virtrpc.server.server import _refuse_live_socket
from virtrpc.transport.base import Transport
from virtrpc.transport.unix import Listener, open_unix, start_unix_server
from virtrpc.wire import decode_packet

__all__ = ["ProxyOptions", "start_proxy"]

#: What the proxy reports: (connection number, direction "C>S" / "S>C", text).
LogFunction = Callable[[int, str, str], None]


@dataclass(slots=True)
class ProxyOptions:
    """How :func:`start_proxy` logs and records."""

    log: LogFunction | None = None
    #: Directory for ``conn-N.c2s.bin`` / ``conn-N.s2c.bin`` recordings
    #: (packets plus one dummy byte per fd, readable by ``virtrpc decode``).
    record_dir: str | None = None
    as_json: bool = False


class _Direction:
    """Receives one side's bytes and forwards whole messages to the other side."""

    def __init__(
        self,
        pair: _Pair,
        role: Role,
        label: str,
        on_connected: Callable[[Transport], None] | None = None,
    ) -> None:
        self._pair = pair
        self._on_connected = on_connected
        self._label = label
        self._conn = Connection(role, track_calls=False)
        self.transport: Transport | None = None
        self.peer: _Direction | None = None
        self._record: IO[bytes] | None = None
        if pair.options.record_dir is not None:
            suffix = "c2s" if label == "C>S" else "s2c"
            path = os.path.join(pair.options.record_dir, f"conn-{pair.number}.{suffix}.bin")
            try:
                self._record = open(path, "wb")  # noqa: SIM115 - closed in connection_lost
            except OSError as exc:
                # The folder went away or filled up after the proxy started:
                # relay unrecorded rather than reset the client.
                pair.log(label, f"not recording: {path}: {exc.strerror}")

    # TransportReceiver
    def connection_made(self, transport: Transport) -> None:
        self.transport = transport
        if self._on_connected is not None:
            self._on_connected(transport)

    def data_received(self, data: bytes, fds: list[int]) -> None:
        self._handle(self._conn.receive_data(data, fds))

    def eof_received(self) -> None:
        self._handle(self._conn.receive_eof())

    def connection_lost(self, exc: BaseException | None) -> None:
        self._conn.close()
        self._stop_recording()
        if exc is not None:
            self._pair.log(self._label, f"connection lost: {exc}")
        self._pair.close()

    def _stop_recording(self) -> None:
        record, self._record = self._record, None
        if record is not None:
            # Closing flushes: the error a full disk gives then is not the client's problem.
            with contextlib.suppress(OSError):
                record.close()

    def _handle(self, events: list[Event]) -> None:
        peer = self.peer
        for event in events:
            if isinstance(event, MessageEvent):
                try:
                    self._forward(event, peer)
                finally:
                    event.close_fds()  # the transport sent duplicates
            elif isinstance(event, ProtocolViolation):
                self._pair.log(self._label, f"protocol violation: {event.error}; closing")
                self._pair.abort()
            elif isinstance(event, ConnectionClosed):
                self._pair.log(self._label, "closed")
                self._pair.close()

    def _forward(self, event: MessageEvent, peer: _Direction | None) -> None:
        header = event.header
        packet = encode_packet(*header, payload=event.payload, nfds=len(event.fds))
        if self._record is not None:
            try:
                self._record.write(packet + b"\0" * len(event.fds))
            except OSError as exc:  # e.g. the disk is full: keep relaying
                self._pair.log(self._label, f"recording stopped: {exc.strerror}")
                self._stop_recording()
        if self._pair.options.log is not None:
            decoded = decode_packet(0, header, len(event.fds), memoryview(event.payload))
            if self._pair.options.as_json:
                import json

                record = decoded.to_json()
                del record["offset"]
                text = json.dumps(record)
            else:
                text = decoded.summary()
            self._pair.log(self._label, text)
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.write(packet, event.fds)


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(
        self,
        number: int,
        options: ProxyOptions,
        on_client_connected: Callable[[Transport], None] | None = None,
    ) -> None:
        self.number = number
        self.options = options
        self.client = _Direction(self, Role.SERVER, "C>S", on_client_connected)
        self.upstream = _Direction(self, Role.CLIENT, "S>C")
        self.client.peer = self.upstream
        self.upstream.peer = self.client
        self._closed = False

    def log(self, label: str, text: str) -> None:
        if self.options.log is not None:
            self.options.log(self.number, label, text)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for side in (self.client, self.upstream):
            if side.transport is not None:
                side.transport.close()

    def abort(self) -> None:
        self._closed = True
        for side in (self.client, self.upstream):
            if side.transport is not None:
                side.transport.abort()


async def start_proxy(
    listen_path: str, upstream_path: str, options: ProxyOptions | None = None
) -> Listener:
    """Listen on ``listen_path`` and relay each client to ``upstream_path``.

    Returns the listener; close it to stop accepting (open pairs carry on
    until either side closes).
    """
    opts = options if options is not None else ProxyOptions()
    counter = itertools.count(1)
    tasks: set[asyncio.Task[None]] = set()

    async def connect_upstream(pair: _Pair) -> None:
        client_transport = pair.client.transport
        assert client_transport is not None
        try:
            await open_unix(upstream_path, pair.upstream)
        except VirtrpcError as exc:
            pair.log("S>C", f"cannot reach upstream: {exc}")
            client_transport.abort()
            return
        client_transport.resume_reading()

    def new_client() -> _Direction:
        number = next(counter)

        def client_connected(transport: Transport) -> None:
            # Hold the client's bytes until the upstream connection exists.
            transport.pause_reading()
            task = asyncio.get_running_loop().create_task(connect_upstream(pair))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        pair = _Pair(number, opts, client_connected)
        pair.log("C>S", "client connected")
        return pair.client

    # start_unix_server replaces a socket file: refuse first if a server still
    # answers there (the proxy would steal its clients), as `virtrpc serve` does.
    _refuse_live_socket(listen_path)
    return await start_unix_server(listen_path, new_client)
