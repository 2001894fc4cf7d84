"""Bad input sent to libvirtd and to virtrpc's server: what each one does.

Each case sends hostile or malformed bytes on a freshly opened connection and
records the server's reaction as an :class:`Outcome`: the connection is
closed, an error reply (with its message) or a success reply comes back, or
nothing comes; and whether the connection still answers a normal call
afterwards.  The expectations for libvirtd are observations of libvirtd 9.0
(they are the table in docs/reliability.md); virtrpc's server must react the
same way except where the table says virtrpc is deliberately stricter.
"""

from __future__ import annotations

import asyncio
import os
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fdcount import assert_no_fd_leak
from tests.support.peers import PrivateLibvirtd
from tests.support.rawpeer import RawPeer, Received
from virtrpc.protocols import remote
from virtrpc.rpc.packet import KEEPALIVE_PROGRAM, MESSAGE_MAX, MessageType, Status

PROC_LIST_DOMAINS = 37
PROC_GET_SCHEDULER_PARAMETERS = 57
PROC_SET_SCHEDULER_PARAMETERS = 58
PROC_LOOKUP_BY_NAME = 23
PROC_DESTROY = 12
PROC_SET_BLKIO_PARAMETERS = 205  # not implemented by virtrpc's test driver
PROC_EVENT_LIFECYCLE = 107
PROC_GET_LIB_VERSION = 157


@dataclass(frozen=True)
class Outcome:
    """What the server did: ``closed``, ``error`` (+ message), ``ok`` or
    ``silence``; ``alive``: a later normal call still works."""

    reaction: str
    alive: bool
    message: str = ""


def observe(peer: RawPeer, *, quiet: float = 0.3) -> Outcome:
    """Classify the server's reaction.  Silence is judged after ``quiet``
    seconds; a reaction slower than that is still caught, because the probe
    call that follows must then be preceded by it."""
    got = peer.receive(quiet)
    if got == "eof":
        return Outcome("closed", False)
    if not isinstance(got, Received):
        probe = peer.call(PROC_GET_LIB_VERSION)
        got = peer.receive()
        if got == "eof":
            return Outcome("closed", False)
        if isinstance(got, Received) and got.header.serial == probe:
            return Outcome("silence", got.error_message is None)
    alive = peer.still_works()
    if isinstance(got, Received):
        message = got.error_message
        if message is not None:
            return Outcome("error", alive, message)
        return Outcome("ok", alive)
    return Outcome("silence", alive)


def with_pipe(peer: RawPeer, send: Callable[[RawPeer, list[int]], None]) -> None:
    """Run ``send`` with both ends of a fresh pipe (closed afterwards)."""
    r, w = os.pipe()
    try:
        send(peer, [r, w])
    finally:
        os.close(r)
        os.close(w)


def send_33_fds_at_once(peer: RawPeer, fds: list[int]) -> None:
    peer.send(peer.call_packet(PROC_GET_LIB_VERSION, mtype=MessageType.CALL_WITH_FDS, nfds=1))
    peer.send_fds(b"\0" * 33, [fds[0]] * 33)


def send_2_fds_in_one_cmsg(peer: RawPeer, fds: list[int]) -> None:
    peer.send(peer.call_packet(PROC_GET_LIB_VERSION, mtype=MessageType.CALL_WITH_FDS, nfds=2))
    peer.send_fds(b"\0\0", fds)


def send_fd_with_plain_call(peer: RawPeer, fds: list[int]) -> None:
    peer.send_fds(peer.call_packet(PROC_GET_LIB_VERSION), fds[:1])


def dom_arg(name: str = "test") -> bytes:
    return remote.TYPES["remote_nonnull_domain"].pack(
        remote.RemoteNonnullDomain(name=name, uuid=bytes(16), id=1)
    )


# name -> (what to send, libvirtd's outcome, virtrpc's outcome or None = same)
Case = tuple[Callable[[RawPeer], object], Outcome, Outcome | None]
CLOSED = Outcome("closed", False)
SILENT = Outcome("silence", True)
OK = Outcome("ok", True)


def error(message: str) -> Outcome:
    return Outcome("error", True, message)


CASES: dict[str, Case] = {
    "http-garbage": (lambda p: p.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), CLOSED, None),
    "length-0": (lambda p: p.send(struct.pack(">I", 0)), CLOSED, None),
    "length-27": (lambda p: p.send(struct.pack(">I", 27) + bytes(23)), CLOSED, None),
    "length-max+1": (
        lambda p: p.send(struct.pack(">I", MESSAGE_MAX + 5) + bytes(24)), CLOSED, None
    ),
    "nfds-33-announced": (
        lambda p: p.send(
            p.call_packet(PROC_GET_LIB_VERSION, mtype=MessageType.CALL_WITH_FDS, nfds=33)
        ),
        CLOSED,
        None,
    ),
    "33-fds-in-one-sendmsg": (lambda p: with_pipe(p, send_33_fds_at_once), CLOSED, None),
    "fds-announced-not-sent": (
        lambda p: p.send(
            p.call_packet(PROC_GET_LIB_VERSION, mtype=MessageType.CALL_WITH_FDS, nfds=2)
            + p.call_packet(PROC_GET_LIB_VERSION)
        ),
        CLOSED,
        None,
    ),
    "2-fds-in-one-cmsg": (
        lambda p: with_pipe(p, send_2_fds_in_one_cmsg),
        CLOSED,
        # virtrpc accepts fds that arrive ahead of / together with their bytes.
        OK,
    ),
    "fd-with-plain-call": (
        lambda p: with_pipe(p, send_fd_with_plain_call),
        # libvirtd reads packet bytes with read(): the kernel discards the fd.
        OK,
        # virtrpc sees the bytes (a complete call, dispatched) and then the
        # unannounced fd: the reply goes out, then the connection is closed.
        Outcome("ok", False),
    ),
    "event-proc-as-call": (
        lambda p: p.call(PROC_EVENT_LIFECYCLE),
        error("unknown procedure: 107"),
        None,
    ),
    "unknown-proc": (lambda p: p.call(99999), error("unknown procedure: 99999"), None),
    "unknown-program": (
        lambda p: p.call(PROC_GET_LIB_VERSION, prog=0x11111111),
        error("Cannot find program 286331153 version 1"),
        None,
    ),
    "wrong-version": (
        lambda p: p.call(PROC_GET_LIB_VERSION, vers=9),
        error("Cannot find program 536903814 version 9"),
        None,
    ),
    "call-status-error": (
        lambda p: p.call(PROC_GET_LIB_VERSION, status=Status.ERROR),
        error("Unexpected message status 1"),
        None,
    ),
    "reply-from-client": (
        lambda p: p.call(PROC_GET_LIB_VERSION, mtype=MessageType.REPLY), SILENT, None
    ),
    "message-from-client": (
        lambda p: p.call(PROC_EVENT_LIFECYCLE, mtype=MessageType.MESSAGE), SILENT, None
    ),
    "unknown-type-9": (lambda p: p.call(PROC_GET_LIB_VERSION, mtype=9), SILENT, None),
    "stream-for-no-stream": (
        lambda p: p.call(PROC_GET_LIB_VERSION, mtype=MessageType.STREAM, status=Status.CONTINUE),
        SILENT,
        None,
    ),
    "keepalive-ping": (
        lambda p: p.call(1, prog=KEEPALIVE_PROGRAM, mtype=MessageType.MESSAGE),
        # A PONG (MESSAGE, not a reply): the observer sees "ok".
        OK,
        None,
    ),
    "maxids-1e9": (
        lambda p: p.call(PROC_LIST_DOMAINS, struct.pack(">i", 10**9)),
        error("maxids > REMOTE_DOMAIN_LIST_MAX"),
        None,
    ),
    "maxids-negative": (
        lambda p: p.call(PROC_LIST_DOMAINS, struct.pack(">i", -1)),
        error("maxids must be non-negative"),
        None,
    ),
    "nparams-1e6": (
        lambda p: p.call(PROC_GET_SCHEDULER_PARAMETERS, dom_arg() + struct.pack(">i", 10**6)),
        error("internal error: nparams too large"),
        None,
    ),
    "array-length-1e6": (
        lambda p: p.call(PROC_SET_SCHEDULER_PARAMETERS, dom_arg() + struct.pack(">I", 10**6)),
        error("Unable to decode message payload"),
        None,
    ),
    "array-length-1e6-unimplemented": (
        lambda p: p.call(PROC_SET_BLKIO_PARAMETERS, dom_arg() + struct.pack(">I", 10**6)),
        # libvirtd decodes the args before its driver can say "not supported".
        error("Unable to decode message payload"),
        None,
    ),
    "read-only-truncated-args": (
        lambda p: p.call(PROC_DESTROY, dom_arg()[:10]),
        # On the read-only socket: decoding comes before the read-only check too.
        error("Unable to decode message payload"),
        None,
    ),
    "read-only-unimplemented-write": (
        lambda p: p.call(PROC_SET_BLKIO_PARAMETERS, dom_arg() + struct.pack(">II", 0, 0)),
        # libvirt's public API refuses a write on a read-only connection before
        # it asks the driver, so even a function the driver lacks is "forbidden".
        error("operation forbidden: read only access prevents virDomainSetBlkioParameters"),
        None,
    ),
    "truncated-string": (
        lambda p: p.call(PROC_LOOKUP_BY_NAME, struct.pack(">I", 5) + b"ab"),
        error("Unable to decode message payload"),
        None,
    ),
    "string-over-4MiB": (
        lambda p: p.call(PROC_LOOKUP_BY_NAME, struct.pack(">I", 4194305) + b"a" * 4194308),
        error("Unable to decode message payload"),
        None,
    ),
    "trailing-args-bytes": (
        lambda p: p.call(PROC_GET_LIB_VERSION, b"extra"),
        # libvirt's XDR decoders do not check for leftover bytes.
        OK,
        None,
    ),
}


# ------------------------------------------------------------------ servers


@pytest.fixture(scope="module")
def libvirtd_socket(module_libvirtd: PrivateLibvirtd) -> str:
    """The socket of this module's private libvirtd (the shared module_libvirtd fixture)."""
    return module_libvirtd.socket_path


@pytest.fixture(scope="module")
def virtrpc_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """virtrpc's test hypervisor server on its own event loop thread."""
    from virtrpc.testdriver import build_test_server

    path = str(tmp_path_factory.mktemp("srv") / "sock")
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        server, _ = build_test_server()
        holder["server"] = server
        await server.listen_unix(path)
        await server.listen_unix(path + "-ro", readonly=True)
        started.set()
        await server.serve_forever()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(10), "virtrpc server did not start"
    yield path
    server = holder["server"]
    asyncio.run_coroutine_threadsafe(server.shutdown(), loop).result(10)  # type: ignore[attr-defined]
    thread.join(10)
    loop.close()


# Cases sent on the read-only socket (libvirtd's is the read-write one + "-ro").
READ_ONLY_CASES = frozenset({"read-only-truncated-args", "read-only-unimplemented-write"})


def run_case(path: str, name: str) -> Outcome:
    send = CASES[name][0]
    if name in READ_ONLY_CASES:
        path += "-ro"
    with RawPeer(path) as peer:
        peer.open_test_driver()
        send(peer)
        return observe(peer)


@pytest.mark.parametrize("name", sorted(CASES))
def test_libvirtd_reaction(libvirtd_socket: str, name: str) -> None:
    assert run_case(libvirtd_socket, name) == CASES[name][1]


# Cases where virtrpc's server does not (yet) match libvirtd, name -> why
# (listed as gaps in docs/reliability.md); none at the moment.
SERVER_GAPS: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(reason=SERVER_GAPS[name], strict=False))
        if name in SERVER_GAPS
        else name
        for name in sorted(CASES)
    ],
)
def test_virtrpc_server_reaction(virtrpc_socket: str, name: str) -> None:
    _, libvirtd_outcome, own = CASES[name]
    # The server thread closes its ends asynchronously: poll for the fd set.
    with assert_no_fd_leak(name, settle=5.0):
        outcome = run_case(virtrpc_socket, name)
    assert outcome == (own or libvirtd_outcome)


def test_case_table_is_documented() -> None:
    """docs/reliability.md lists every case of this module by name."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "reliability.md").read_text()
    missing = [name for name in CASES if f"`{name}`" not in doc]
    assert not missing, f"cases missing from docs/reliability.md: {missing}"
