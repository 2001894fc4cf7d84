"""The server framework against a raw-bytes client: dispatch, errors worded as
libvirtd words them, fds, limits, keepalive, hostile input, shutdown.

The server runs in-process (same event loop), so the tests can count the
process's open fds to prove nothing leaks.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fdcount import open_fd_count
from tests.support.rawclient import (
    DEADLINE,
    PROC,
    REMOTE,
    RawClient,
    decode_error,
    wait_for_condition,
)
from tests.support.served import serve_in_process
from virtrpc.errors import ConnectError
from virtrpc.protocols import remote
from virtrpc.rpc.packet import (
    KEEPALIVE_PROC_PING,
    KEEPALIVE_PROC_PONG,
    KEEPALIVE_PROGRAM,
    KEEPALIVE_VERSION,
    MessageType,
    Status,
    encode_packet,
)
from virtrpc.server import CallContext, ProgramService, RpcFault, Server, ServerLimits
from virtrpc.server.errors import ErrorCode, ErrorDomain


def lib_version_ret(ctx: CallContext, args: None) -> Any:
    return remote.RemoteConnectGetLibVersionRet(lib_ver=9_000_000)


class Handlers:
    """A small remote-program service exercising the framework's features."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.kept_fds: list[int] = []
        self.started = 0

    connect_get_lib_version = staticmethod(lib_version_ret)

    def domain_lookup_by_name(self, ctx: CallContext, args: Any) -> Any:
        if args.name == "boom":
            raise ValueError("handler bug")
        if args.name == "missing":
            raise RpcFault(ErrorCode.NO_DOMAIN, ErrorDomain.TEST, "Domain not found")
        return remote.RemoteDomainLookupByNameRet(
            dom=remote.RemoteNonnullDomain(name=args.name, uuid=bytes(16), id=1))

    async def connect_get_hostname(self, ctx: CallContext, args: None) -> Any:
        self.started += 1
        await self.gate.wait()
        return remote.RemoteConnectGetHostnameRet(hostname="slow")

    def domain_create_xml_with_files(self, ctx: CallContext, args: Any) -> Any:
        if args.xml_desc == "keep":
            self.kept_fds.extend(ctx.take_fds())
        return remote.RemoteDomainCreateXmlWithFilesRet(
            dom=remote.RemoteNonnullDomain(name="x", uuid=bytes(16), id=1))

    def domain_open_graphics_fd(self, ctx: CallContext, args: Any) -> None:
        mine, theirs = socket.socketpair()
        mine.sendall(b"RFB 003.008\n")
        mine.close()
        ctx.reply_with_fds([theirs.detach()])

    def domain_define_xml(self, ctx: CallContext, args: Any) -> Any:
        return remote.RemoteDomainDefineXmlRet(
            dom=remote.RemoteNonnullDomain(name="defined", uuid=bytes(16), id=-1))

    def connect_supports_feature(self, ctx: CallContext, args: Any) -> Any:
        if args.feature == 10:
            ctx.client.start_keepalive()
        return remote.RemoteConnectSupportsFeatureRet(supported=1)


def xdr_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">I", len(data)) + data + b"\0" * (-len(data) % 4)


@pytest.fixture
def limits() -> ServerLimits:
    return ServerLimits(keepalive_interval=0.1, keepalive_count=2, shutdown_timeout=2.0)


@pytest.fixture
async def served(tmp_path: Path, limits: ServerLimits) -> AsyncIterator[tuple[Server, Handlers, Path]]:
    handlers = Handlers()
    server = Server(limits)
    server.add_program(ProgramService(remote.PROGRAM, handlers))
    try:
        async with serve_in_process(server, tmp_path, names=("rw", "ro")):
            try:
                yield server, handlers, tmp_path
            finally:
                handlers.gate.set()  # let held calls finish before the shutdown waits for them
    finally:
        for fd in handlers.kept_fds:
            os.close(fd)


async def test_call_is_dispatched_by_procedure_name(served: tuple[Server, Handlers, Path]) -> None:
    _server, _handlers, path = served
    client = await RawClient.connect(str(path / "rw"))
    await client.call(PROC["connect_get_lib_version"].number, serial=7)
    reply = await client.next_message()
    assert (reply.header.serial, reply.header.status, reply.header.type) == (7, Status.OK, 1)
    ret_type = PROC["connect_get_lib_version"].ret
    assert ret_type is not None and ret_type.unpack(reply.payload).lib_ver == 9_000_000
    client.close()


@pytest.mark.parametrize(
    ("prog", "vers", "proc", "expected"),
    [
        (0x1234, 1, 1, "Cannot find program 4660 version 1"),
        (REMOTE, 2, 1, "Cannot find program 536903814 version 2"),
        (REMOTE, 1, 9999, "unknown procedure: 9999"),
        (REMOTE, 1, 107, "unknown procedure: 107"),  # an event procedure sent as a call
        (REMOTE, 1, -5, "unknown procedure: -5"),
    ],
)
async def test_unknown_targets_are_answered_like_libvirtd(
    served: tuple[Server, Handlers, Path], prog: int, vers: int, proc: int, expected: str
) -> None:
    client = await RawClient.connect(str(served[2] / "rw"))
    await client.call(proc, serial=3, prog=prog, vers=vers)
    message = await client.next_message()
    assert (message.header.prog, message.header.vers, message.header.proc) == (prog, vers, proc)
    assert message.header.status == Status.ERROR
    assert decode_error(message.payload) == (ErrorCode.RPC, ErrorDomain.RPC, expected)
    client.close()


async def test_errors_keep_the_connection_usable(served: tuple[Server, Handlers, Path]) -> None:
    client = await RawClient.connect(str(served[2] / "rw"))
    lookup = PROC["domain_lookup_by_name"].number
    await client.call(lookup, xdr_string("missing"), serial=1)
    assert await client.expect_error(1) == (ErrorCode.NO_DOMAIN, ErrorDomain.TEST, "Domain not found")
    await client.call(lookup, xdr_string("boom"), serial=2)
    code, _domain, message = await client.expect_error(2)
    assert code == ErrorCode.INTERNAL_ERROR and message is not None and "handler bug" in message
    await client.call(lookup, b"\0\0\0\x09ab", serial=3)  # truncated string
    assert await client.expect_error(3) == (ErrorCode.RPC, ErrorDomain.RPC,
                                            "Unable to decode message payload")
    await client.call(PROC["connect_get_lib_version"].number, serial=4, status=Status.ERROR)
    assert (await client.expect_error(4))[2] == "Unexpected message status 1"
    await client.call(PROC["connect_get_uri"].number, serial=5)  # in the table, no handler
    assert await client.expect_error(5) == (
        ErrorCode.NO_SUPPORT, ErrorDomain.NONE,
        "this function is not supported by the connection driver: virConnectGetURI")
    await client.call(lookup, xdr_string("fine"), serial=6)
    assert (await client.next_message()).header.status == Status.OK
    client.close()


@pytest.mark.parametrize("mtype", [MessageType.REPLY, MessageType.MESSAGE, MessageType.STREAM,
                                   MessageType.STREAM_HOLE, 17])
async def test_client_sent_replies_and_strays_are_dropped_silently(
    served: tuple[Server, Handlers, Path], mtype: int
) -> None:
    client = await RawClient.connect(str(served[2] / "rw"))
    await client.call(PROC["connect_get_lib_version"].number, serial=9, mtype=mtype)
    await client.expect_silence()
    await client.call(PROC["connect_get_lib_version"].number, serial=10)
    assert (await client.next_message()).header.serial == 10
    client.close()


async def test_readonly_socket_refuses_state_changes(served: tuple[Server, Handlers, Path]) -> None:
    client = await RawClient.connect(str(served[2] / "ro"))
    await client.call(PROC["domain_define_xml"].number, xdr_string("<domain/>"), serial=1)
    assert await client.expect_error(1) == (
        ErrorCode.OPERATION_DENIED, ErrorDomain.DOMAIN,
        "operation forbidden: read only access prevents virDomainDefineXML")
    await client.call(PROC["domain_lookup_by_name"].number, xdr_string("fine"), serial=2)
    assert (await client.next_message()).header.status == Status.OK
    client.close()
    assert oct(os.stat(served[2] / "ro").st_mode & 0o777) == "0o666"
    assert oct(os.stat(served[2] / "rw").st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xff" * 64,                                   # absurd length word
        struct.pack(">I", 64 * 1024 * 1024) + b"x" * 8,  # larger than the 32 MiB limit
        struct.pack(">I", 4) + b"\0" * 4,                # shorter than a header
        struct.pack(">IIIiiIiI", 32, REMOTE, 1, 4, MessageType.CALL_WITH_FDS, 1, 0, 33),  # 33 fds
    ],
)
async def test_hostile_bytes_close_only_that_client(
    served: tuple[Server, Handlers, Path], garbage: bytes
) -> None:
    path = served[2] / "rw"
    bystander = await RawClient.connect(str(path))
    baseline = open_fd_count()
    attacker = await RawClient.connect(str(path))
    await attacker.send(garbage)
    await attacker.wait_closed()
    attacker.close()
    await bystander.call(PROC["connect_get_lib_version"].number, serial=2)
    assert (await bystander.next_message()).header.status == Status.OK
    await wait_for_condition(lambda: open_fd_count() <= baseline, "fds back to baseline")
    bystander.close()


async def test_truncated_packet_then_disconnect_leaks_nothing(
    served: tuple[Server, Handlers, Path]
) -> None:
    server, _handlers, path = served
    baseline = open_fd_count()
    client = await RawClient.connect(str(path / "rw"), served=False)
    packet = encode_packet(REMOTE, 1, PROC["connect_get_lib_version"].number, 0, 1, 0, b"x" * 100)
    await client.send(packet[:50])
    await wait_for_condition(lambda: len(server.clients) == 1, "client accepted")
    client.close()
    await wait_for_condition(lambda: not server.clients, "client dropped")
    await wait_for_condition(lambda: open_fd_count() <= baseline, "fds back to baseline")


async def test_fds_not_kept_by_the_handler_are_closed(served: tuple[Server, Handlers, Path]) -> None:
    _server, handlers, path = served
    client = await RawClient.connect(str(path / "rw"))
    proc = PROC["domain_create_xml_with_files"].number
    baseline = open_fd_count()
    r, w = os.pipe()
    payload = xdr_string("drop") + b"\0\0\0\0"
    await client.call(proc, payload, serial=1, mtype=MessageType.CALL_WITH_FDS, fds=[r, w])
    assert (await client.next_message()).header.status == Status.OK
    os.close(r)
    os.close(w)
    await wait_for_condition(lambda: open_fd_count() <= baseline, "received fds closed")
    # a handler that takes the fds owns them: they stay open until it closes them
    r, w = os.pipe()
    await client.call(proc, xdr_string("keep") + b"\0\0\0\0", serial=2,
                      mtype=MessageType.CALL_WITH_FDS, fds=[r])
    assert (await client.next_message()).header.status == Status.OK
    assert len(handlers.kept_fds) == 1
    os.close(r)
    os.write(w, b"ok")  # the kept read end is still open: no EPIPE
    assert os.read(handlers.kept_fds[0], 2) == b"ok"
    os.close(w)
    client.close()


async def test_reply_with_fds_hands_an_fd_to_the_client(served: tuple[Server, Handlers, Path]) -> None:
    client = await RawClient.connect(str(served[2] / "rw"))
    baseline = open_fd_count()
    dom = remote.RemoteNonnullDomain(name="x", uuid=bytes(16), id=1)
    args = remote.RemoteDomainOpenGraphicsFdArgs(dom=dom, idx=0, flags=0)
    args_type = PROC["domain_open_graphics_fd"].args
    assert args_type is not None
    await client.call(PROC["domain_open_graphics_fd"].number, args_type.pack(args), serial=1)
    reply = await client.next_message()
    assert reply.header.type == MessageType.REPLY_WITH_FDS
    assert len(reply.fds) == 1
    with socket.socket(fileno=reply.take_fds()[0]) as received:
        received.settimeout(DEADLINE)
        assert received.recv(100) == b"RFB 003.008\n"
    await wait_for_condition(lambda: open_fd_count() <= baseline, "server closed its copies")
    client.close()


async def test_33_real_fds_close_the_client_and_are_all_closed(
    served: tuple[Server, Handlers, Path]
) -> None:
    path = served[2] / "rw"
    baseline = open_fd_count()
    client = await RawClient.connect(str(path))
    pipes = [os.pipe() for _ in range(33)]
    header = struct.pack(">IIIiiIiI", 40, REMOTE, 1, PROC["domain_create_xml_with_files"].number,
                         MessageType.CALL_WITH_FDS, 1, 0, 33)
    await client.send(header + xdr_string("x") + b"\0\0\0\0",
                      [read_end for read_end, _ in pipes])
    await client.wait_closed()
    for read_end, write_end in pipes:
        os.close(read_end)
        with pytest.raises(BrokenPipeError):  # the server kept no copy of the read end
            os.write(write_end, b"x")
        os.close(write_end)
    client.close()
    await wait_for_condition(lambda: open_fd_count() <= baseline, "fds back to baseline")


async def test_fds_announced_but_not_sent_close_the_client(
    served: tuple[Server, Handlers, Path]
) -> None:
    path = served[2] / "rw"
    baseline = open_fd_count()
    client = await RawClient.connect(str(path))
    packet = encode_packet(REMOTE, 1, PROC["domain_create_xml_with_files"].number,
                           MessageType.CALL_WITH_FDS, 1, 0, xdr_string("x") + b"\0\0\0\0", 2)
    # announce two fds, then send an ordinary call where the fds should be
    await client.send(packet + encode_packet(REMOTE, 1, 157, 0, 2, 0))
    await client.wait_closed(timeout=1.0)
    client.close()
    await wait_for_condition(lambda: open_fd_count() <= baseline, "fds back to baseline")


async def test_max_client_requests_stops_reading(tmp_path: Path) -> None:
    handlers = Handlers()
    server = Server(ServerLimits(max_client_requests=3))
    server.add_program(ProgramService(remote.PROGRAM, handlers))
    await server.listen_unix(str(tmp_path / "s"))
    client = await RawClient.connect(str(tmp_path / "s"))
    hostname = PROC["connect_get_hostname"].number
    for serial in range(1, 9):
        await client.call(hostname, serial=serial)
    await wait_for_condition(lambda: handlers.started == 3, "three calls started")
    (server_client,) = server.clients
    assert server_client.in_flight == 3
    assert not server_client.transport.is_reading()  # type: ignore[union-attr]
    await client.expect_silence(0.1)
    assert handlers.started == 3  # the rest wait unread in the socket
    handlers.gate.set()
    serials = sorted([(await client.next_message()).header.serial for _ in range(8)])
    assert serials == list(range(1, 9))
    client.close()
    await server.shutdown()


async def test_keepalive_pings_and_drops_silent_clients(served: tuple[Server, Handlers, Path]) -> None:
    server, _handlers, path = served
    feature = PROC["connect_supports_feature"].number
    talker = await RawClient.connect(str(path / "rw"))
    silent = await RawClient.connect(str(path / "rw"))
    idle = await RawClient.connect(str(path / "rw"))  # never asked for keepalive
    for client in (talker, silent):
        await client.call(feature, struct.pack(">i", 10), serial=1)
        assert (await client.next_message()).header.status == Status.OK
    # the talker answers three pings; meanwhile the silent one gets dropped
    for _ in range(3):
        ping = await talker.next_message()
        assert (ping.header.prog, ping.header.proc) == (KEEPALIVE_PROGRAM, KEEPALIVE_PROC_PING)
        await talker.send(encode_packet(KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KEEPALIVE_PROC_PONG,
                                        MessageType.MESSAGE, 0, 0))
    await silent.wait_closed()
    await talker.call(PROC["connect_get_lib_version"].number, serial=5)
    while (message := await talker.next_message()).header.prog == KEEPALIVE_PROGRAM:
        pass
    assert message.header.serial == 5
    talker.close()
    # a client that never negotiated keepalive is not pinged nor dropped (as libvirtd)
    await idle.expect_silence(0.3)
    assert len(server.clients) == 1
    # and the server answers a client's ping with a pong
    await idle.send(encode_packet(KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KEEPALIVE_PROC_PING,
                                  MessageType.MESSAGE, 0, 0))
    pong = await idle.next_message()
    assert (pong.header.prog, pong.header.proc) == (KEEPALIVE_PROGRAM, KEEPALIVE_PROC_PONG)
    for client in (talker, silent, idle):
        client.close()


async def test_max_clients_defers_accepting(tmp_path: Path) -> None:
    server = Server(ServerLimits(max_clients=2))
    server.add_program(ProgramService(remote.PROGRAM, Handlers()))
    await server.listen_unix(str(tmp_path / "s"))
    first = await RawClient.connect(str(tmp_path / "s"))
    second = await RawClient.connect(str(tmp_path / "s"))
    await wait_for_condition(lambda: len(server.clients) == 2, "two clients")
    third = await RawClient.connect(str(tmp_path / "s"), served=False)  # waits in the backlog
    await third.call(PROC["connect_get_lib_version"].number, serial=1)
    await third.expect_silence(0.2)
    assert len(server.clients) == 2
    first.close()
    assert (await third.next_message()).header.serial == 1
    for client in (second, third):
        client.close()
    await server.shutdown()


async def test_slow_reader_is_dropped_when_its_output_piles_up(tmp_path: Path) -> None:
    server = Server(ServerLimits(max_output_buffer=256 * 1024))
    server.add_program(ProgramService(remote.PROGRAM, Handlers()))
    await server.listen_unix(str(tmp_path / "s"))
    slow = await RawClient.connect(str(tmp_path / "s"), served=False)
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    await wait_for_condition(lambda: len(server.clients) == 1, "client accepted")
    (server_client,) = server.clients
    event = PROC["domain_event_lifecycle"]
    message = remote.RemoteDomainEventLifecycleMsg(
        dom=remote.RemoteNonnullDomain(name="x" * 1000, uuid=bytes(16), id=1), event=0, detail=0)
    sent = 0
    while server_client.send_event(event, message):
        sent += 1
        assert sent < 10_000
    await wait_for_condition(lambda: not server.clients, "slow client dropped")
    slow.close()
    await server.shutdown()


async def test_graceful_shutdown_finishes_in_flight_calls(served: tuple[Server, Handlers, Path]) -> None:
    server, handlers, path = served
    client = await RawClient.connect(str(path / "rw"))
    await client.call(PROC["connect_get_hostname"].number, serial=11)
    await wait_for_condition(lambda: handlers.started == 1, "call started")
    shutdown = asyncio.ensure_future(server.shutdown())
    await asyncio.sleep(0)  # let shutdown close the listeners
    assert not os.path.exists(path / "rw")
    handlers.gate.set()
    reply = await client.next_message()
    assert (reply.header.serial, reply.header.status) == (11, Status.OK)
    await client.wait_closed()
    await shutdown
    client.close()


async def test_tcp_listener_serves_calls(tmp_path: Path) -> None:
    server = Server()
    server.add_program(ProgramService(remote.PROGRAM, Handlers()))
    host, port = await server.listen_tcp("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(encode_packet(REMOTE, 1, PROC["connect_get_lib_version"].number, 0, 4, 0))
    length = struct.unpack(">I", await reader.readexactly(4))[0]
    body = await reader.readexactly(length - 4)
    assert struct.unpack_from(">IIiiIi", body) == (REMOTE, 1, 157, 1, 4, 0)
    writer.close()
    await server.shutdown()


def test_program_service_rejects_unknown_and_event_names() -> None:
    service = ProgramService(remote.PROGRAM)
    with pytest.raises(KeyError):
        service.add("no_such_procedure", lib_version_ret)
    with pytest.raises(KeyError):
        service.add("domain_event_lifecycle", lib_version_ret)
    service.add("connect_get_lib_version", lib_version_ret)
    assert service.implemented == frozenset({"connect_get_lib_version"})
    assert service.procedure(107) is None  # events are not callable


async def test_a_live_socket_is_not_stolen_but_a_stale_one_is_replaced(tmp_path: Path) -> None:
    first = Server()
    path = str(tmp_path / "s")
    await first.listen_unix(path)
    second = Server()
    with pytest.raises(ConnectError, match="already running"):
        await second.listen_unix(path)
    await first.shutdown()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)  # a socket file nobody listens on
    stale.close()
    await second.listen_unix(path)
    client = await RawClient.connect(path, served=False)
    client.close()
    await second.shutdown()
