"""The sans-I/O stream state machine (``virtrpc.rpc.stream``): its tables,
state by state and input by input, random input sequences (hypothesis),
the one ``Hole`` and chunk size, and the blocking engine's abandoned
upload, which the machine now aborts on the wire when its late reply comes.
"""

from __future__ import annotations

import ast
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import virtrpc.client.stream as client_stream
import virtrpc.libvirt._objects as compat_objects
import virtrpc.rpc.stream as rpc_stream
import virtrpc.server.context as server_context
import virtrpc.sync
import virtrpc.testdriver.model_objects as model_objects
from tests.support import fdcount
from tests.support.fdcount import FdLeakCheck
from tests.support.peers import serve_process
from virtrpc.client.blocking import BlockingEngine
from virtrpc.client.blocking_io import SocketIO
from virtrpc.client.sync import SyncStream
from virtrpc.errors import (
    LibvirtError,
    LocalProtocolError,
    LocalStreamError,
    RemoteProtocolError,
    RemoteStreamError,
    StreamError,
)
from virtrpc.protocols import remote
from virtrpc.rpc.packet import (
    HEADER_SIZE,
    LEGACY_PAYLOAD_MAX,
    LENGTH_SIZE,
    MessageType,
    Status,
    decode_header,
    encode_packet,
)
from virtrpc.rpc.stream import (
    INITIAL_STATE,
    REMOTE_INPUTS,
    STREAM_CHUNK_SIZE,
    TRANSITIONS,
    Disposition,
    StreamInput,
    StreamMachine,
    StreamRole,
    StreamState,
)

#: The fd accounting fixture (tests/fdcount.py).
fd_leak_check = fdcount.fd_leak_check

S, I = StreamState, StreamInput  # noqa: E741
CLIENT, SERVER = StreamRole.CLIENT, StreamRole.SERVER
RECEIVES = (I.RECV_DATA, I.RECV_HOLE, I.RECV_FINISH, I.RECV_ABORT, I.CONNECTION_LOST)


def machine_in(role: StreamRole, state: StreamState, *, sparse: bool = True) -> StreamMachine:
    return StreamMachine(role, sparse=sparse, state=state)


def state_of(machine: StreamMachine) -> StreamState:
    """The machine's state (a call, so that mypy does not narrow it between
    inputs)."""
    return machine.state


def reachable(role: StreamRole) -> set[StreamState]:
    """Every state the role's table can reach from where the role starts."""
    table = TRANSITIONS[role]
    seen = {INITIAL_STATE[role]}
    frontier = list(seen)
    while frontier:
        state = frontier.pop()
        for (source, _input), (target, _disposition) in table.items():
            if source is state and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def receive(machine: StreamMachine, wire: str) -> Disposition:
    """Feed ``machine`` one packet of the kind ``wire`` names."""
    if wire == "data":
        return machine.receive_data(b"x")
    if wire == "empty":
        return machine.receive_data(b"")
    if wire == "hole":
        return machine.receive_hole()
    if wire == "ok":
        return machine.receive_ok()
    return machine.receive_error()


# -- the table, every state x input -------------------------------------------


@pytest.mark.parametrize("role", list(StreamRole))
def test_every_state_x_input_moves_as_the_table_says_or_raises_by_fault(
    role: StreamRole,
) -> None:
    table = TRANSITIONS[role]
    for state in StreamState:
        for event in StreamInput:
            machine = machine_in(role, state)
            entry = table.get((state, event))
            if entry is not None:
                assert machine.process(event) is entry[1], (state, event)
                assert state_of(machine) is entry[0], (state, event)
                continue
            expected = RemoteStreamError if event in REMOTE_INPUTS else LocalStreamError
            with pytest.raises(expected) as info:
                machine.process(event)
            # the state stays: the driver decides what becomes of the stream
            assert state_of(machine) is state
            # ... and the error is a stream error of the right fault
            assert isinstance(info.value, StreamError)
            fault = RemoteProtocolError if event in REMOTE_INPUTS else LocalProtocolError
            assert isinstance(info.value, fault)


@pytest.mark.parametrize("role", list(StreamRole))
def test_the_table_leads_nowhere_undefined(role: StreamRole) -> None:
    table = TRANSITIONS[role]
    states = reachable(role)
    # every state a row starts from is reachable, and every target has rows
    assert {source for source, _ in table} <= states
    for target, _ in table.values():
        assert any(source is target for source, _ in table), target
    # a stream can always be forgotten, and a lost connection ends it
    for state in states:
        for event in (I.FORGET, I.CONNECTION_LOST):
            machine = machine_in(role, state)
            machine.process(event)
            assert machine.ended, (state, event)


def test_the_roles_reach_the_states_they_should() -> None:
    assert reachable(CLIENT) == set(StreamState) - {S.REMOTE_ABORTED}
    assert reachable(SERVER) == {
        S.OPEN, S.LOCAL_FINISHED, S.REMOTE_FINISHED, S.REMOTE_ABORTED, S.CLOSED, S.ABORTED
    }


@pytest.mark.parametrize("role", list(StreamRole))
def test_receiving_never_raises_the_drivers_call_it_from_the_transport(
    role: StreamRole,
) -> None:
    """What the peer sends is taken in every state (a hole on a server
    stream that is not sparse aside): late packets after a stream ended are
    normal, libvirt drops them too."""
    for state in reachable(role):
        for wire in ("data", "empty", "hole", "ok", "error"):
            machine = machine_in(role, state)
            result = receive(machine, wire)
            assert isinstance(result, Disposition)
            if state in (S.CLOSED, S.ABORTED):
                assert result is Disposition.DROP and state_of(machine) is state


def test_ended_streams_send_nothing() -> None:
    for role in StreamRole:
        for state in (S.CLOSED, S.ABORTED):
            for event in (I.SEND_DATA, I.SEND_HOLE, I.SEND_FINISH, I.SEND_ABORT, I.SEND_CLOSE):
                with pytest.raises(LocalStreamError):
                    machine_in(role, state).process(event)


def test_a_hole_on_a_server_stream_that_is_not_sparse_is_the_clients_fault() -> None:
    machine = StreamMachine(SERVER, sparse=False)
    with pytest.raises(RemoteStreamError, match="Unexpected stream hole"):
        machine.receive_hole()
    assert state_of(machine) is S.OPEN
    assert machine.receive_data(b"more") is Disposition.DELIVER


# -- the conversations libvirt has ----------------------------------------------


def test_client_download_libvirtd_style() -> None:
    """Data, libvirtd's empty CONTINUE (its end), our finish, its OK."""
    machine = StreamMachine(CLIENT)
    assert machine.process(I.OPEN_OK) is Disposition.NONE
    assert machine.receive_data(b"chunk") is Disposition.DELIVER
    assert machine.receive_hole() is Disposition.DELIVER
    assert machine.receive_data(b"") is Disposition.DELIVER
    assert state_of(machine) is S.REMOTE_FINISHED and machine.remote_done
    assert machine.receive_data(b"late") is Disposition.DROP
    machine.process(I.SEND_FINISH)
    assert state_of(machine) is S.CLOSING and machine.finish_sent
    assert machine.receive_ok() is Disposition.DELIVER
    assert state_of(machine) is S.CLOSED and machine.ended


def test_client_upload() -> None:
    machine = StreamMachine(CLIENT)
    machine.process(I.OPEN_OK)
    machine.process(I.SEND_DATA)
    machine.process(I.SEND_HOLE)
    machine.process(I.SEND_FINISH)
    assert state_of(machine) is S.LOCAL_FINISHED and not machine.can_send
    with pytest.raises(LocalStreamError, match="send data in state local finished"):
        machine.process(I.SEND_DATA)
    machine.receive_ok()
    assert state_of(machine) is S.CLOSED


def test_client_abort_waits_for_the_peers_last_packet() -> None:
    machine = StreamMachine(CLIENT)
    machine.process(I.OPEN_OK)
    machine.process(I.SEND_ABORT)
    assert state_of(machine) is S.ABORTING and machine.remote_done
    assert machine.receive_data(b"in flight") is Disposition.DROP
    assert machine.receive_error() is Disposition.DELIVER
    assert state_of(machine) is S.ABORTED


def test_a_peer_that_ends_with_ok_instead_of_an_empty_continue() -> None:
    machine = StreamMachine(CLIENT)
    machine.process(I.OPEN_OK)
    machine.receive_ok()
    assert state_of(machine) is S.REMOTE_FINISHED


def test_packets_before_the_open_reply_mean_the_peer_opened_it() -> None:
    """libvirt replies first, but the client hands the reply to its caller,
    who may note it after the packets that followed it."""
    machine = StreamMachine(CLIENT)
    assert machine.receive_data(b"first") is Disposition.DELIVER
    assert state_of(machine) is S.OPEN
    machine.process(I.OPEN_OK)
    assert state_of(machine) is S.OPEN


def test_an_abandoned_open_is_aborted_once_the_peer_opened_it() -> None:
    for late in (I.OPEN_OK, I.RECV_DATA, I.RECV_HOLE, I.RECV_FINISH):
        machine = StreamMachine(CLIENT)
        machine.process(I.ABANDON)
        assert machine.process(late) is Disposition.ABORT
        assert state_of(machine) is S.ABORTING
        assert machine.receive_error() is Disposition.DELIVER
        assert machine.ended
    refused = StreamMachine(CLIENT)
    refused.process(I.ABANDON)
    assert refused.process(I.OPEN_FAILED) is Disposition.NONE
    assert state_of(refused) is S.CLOSED


def test_server_upload_and_download() -> None:
    upload = StreamMachine(SERVER)
    assert upload.receive_data(b"data") is Disposition.DELIVER
    assert upload.receive_ok() is Disposition.DELIVER  # the client's finish
    assert state_of(upload) is S.REMOTE_FINISHED
    upload.process(I.SEND_CLOSE)
    assert state_of(upload) is S.CLOSED

    download = StreamMachine(SERVER)
    download.process(I.SEND_DATA)
    download.process(I.SEND_FINISH)  # the empty CONTINUE
    assert download.receive_data(b"ignored") is Disposition.DROP
    assert download.receive_ok() is Disposition.DELIVER
    download.process(I.SEND_CLOSE)
    assert download.ended

    aborted = StreamMachine(SERVER)
    aborted.receive_error()
    assert state_of(aborted) is S.REMOTE_ABORTED and not aborted.can_send
    aborted.process(I.SEND_CLOSE)  # libvirtd confirms the abort
    assert state_of(aborted) is S.CLOSED


# -- random sequences ------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    role=st.sampled_from(list(StreamRole)),
    sparse=st.booleans(),
    events=st.lists(st.sampled_from(list(StreamInput)), max_size=40),
)
def test_random_inputs_never_reach_an_undefined_state(
    role: StreamRole, sparse: bool, events: list[StreamInput]
) -> None:
    machine = StreamMachine(role, sparse=sparse)
    states = reachable(role)
    table = TRANSITIONS[role]
    for event in events:
        before = machine.state
        was_ended = machine.ended
        try:
            disposition = machine.process(event)
        except (LocalStreamError, RemoteStreamError):
            assert (before, event) not in table
            assert state_of(machine) is before
        else:
            assert (machine.state, disposition) == table[before, event]
        assert machine.state in states
        if was_ended:
            assert machine.ended  # an ended stream stays ended
        if machine.ended:
            assert not machine.can_send


# -- one Hole, one chunk size ------------------------------------------------------


def test_one_hole_and_one_chunk_size_everywhere() -> None:
    assert client_stream.Hole is rpc_stream.Hole is server_context.Hole
    assert vars(compat_objects)["Hole"] is rpc_stream.Hole
    # libvirt's VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX: 256 KiB minus the header
    assert STREAM_CHUNK_SIZE == LEGACY_PAYLOAD_MAX == 262120 == 256 * 1024 - HEADER_SIZE
    assert client_stream.STREAM_CHUNK_SIZE == STREAM_CHUNK_SIZE
    assert vars(compat_objects)["STREAM_CHUNK"] == STREAM_CHUNK_SIZE
    assert model_objects.STREAM_CHUNK == STREAM_CHUNK_SIZE


def test_the_machine_imports_only_the_layers_below() -> None:
    source = Path(rpc_stream.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert imported <= {"__future__", "dataclasses", "typing", "virtrpc.errors",
                        "virtrpc.rpc.packet"}


# -- the blocking engine's abandoned upload ------------------------------------------

_PROG, _VERS = remote.REMOTE_PROGRAM, remote.REMOTE_PROTOCOL_VERSION
_UPLOAD = remote.PROGRAM.by_name["storage_vol_upload"]
_LIB_VERSION = remote.PROGRAM.by_name["connect_get_lib_version"]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition()`` (state another thread changes, with no hook to
    wait on) until it holds or ``timeout`` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


class _Peer:
    """The daemon's end of a socketpair, read packet by packet."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def packet(self) -> tuple[tuple[int, ...], bytes]:
        while True:
            if len(self.buffer) >= LENGTH_SIZE:
                (length,) = struct.unpack_from(">I", self.buffer)
                if len(self.buffer) >= length:
                    packet, self.buffer = self.buffer[:length], self.buffer[length:]
                    header = decode_header(packet[LENGTH_SIZE:])
                    return tuple(header), packet[LENGTH_SIZE + HEADER_SIZE :]
            data = self.sock.recv(65536)
            assert data, "the client hung up"
            self.buffer += data


def test_abandoned_upload_is_aborted_on_the_wire_when_its_late_reply_comes(
    fd_leak_check: FdLeakCheck,
) -> None:
    """Ctrl-C while an upload stream opens: the daemon opens it anyway and,
    as it waits for our data, sends nothing more.  The late OK reply (read
    by whichever thread reads next) is answered with a STREAM/ERROR abort,
    as libvirt's client does, and the stream is forgotten once the daemon
    answers the abort."""
    assert threading.current_thread() is threading.main_thread()
    with fd_leak_check("abandoned upload"):
        ours, theirs = socket.socketpair()
        theirs.settimeout(10)
        peer = _Peer(theirs)
        engine = BlockingEngine(SocketIO(ours, "pair", can_pass_fds=True), keepalive=None)
        vol = remote.RemoteNonnullStorageVol(pool="default-pool", name="disk1.img", key="k")
        assert _UPLOAD.args_class is not None
        args = _UPLOAD.args_class(vol=vol, offset=0, length=0, flags=0)
        seen: list[tuple[int, ...]] = []

        def interrupt_once_the_call_is_in() -> None:
            header, _payload = peer.packet()
            seen.append(header)
            # the opener holds the I/O token once it waits for its reply
            assert wait_until(lambda: engine._token.locked())
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

        interrupter = threading.Thread(target=interrupt_once_the_call_is_in)
        interrupter.start()
        with pytest.raises(KeyboardInterrupt):
            engine._call_procedure(_UPLOAD, args)
        interrupter.join()
        (call,) = seen
        serial = call[4]
        assert call[3] == MessageType.CALL and call[2] == _UPLOAD.number
        stream = engine.streams[serial]
        assert state_of(stream.machine) is S.ABANDONED

        # The daemon opens the stream after all: its late reply comes, and
        # the next call's thread reads it.
        theirs.sendall(encode_packet(_PROG, _VERS, _UPLOAD.number, MessageType.REPLY, serial,
                                     Status.OK, b""))
        results: list[int] = []
        caller = threading.Thread(
            target=lambda: results.append(engine._call_procedure(_LIB_VERSION, None))
        )
        caller.start()
        packets = [peer.packet(), peer.packet()]
        by_type = {header[3]: (header, payload) for header, payload in packets}
        abort_header, _ = by_type[MessageType.STREAM]
        assert (abort_header[2], abort_header[4], abort_header[5]) == (
            _UPLOAD.number, serial, Status.ERROR
        )
        assert state_of(stream.machine) is S.ABORTING
        # libvirtd answers an abort with a STREAM/ERROR of its own
        answer = LibvirtError("stream aborted at client request", code=1).to_wire()
        lib_call, _ = by_type[MessageType.CALL]
        theirs.sendall(
            encode_packet(_PROG, _VERS, _UPLOAD.number, MessageType.STREAM, serial,
                          Status.ERROR, answer)
            + encode_packet(_PROG, _VERS, _LIB_VERSION.number, MessageType.REPLY, lib_call[4],
                            Status.OK, struct.pack(">Q", 9000000))
        )
        caller.join(10)
        assert results == [9000000]
        assert stream.machine.ended and serial not in engine.streams
        assert engine.replies_awaited == 0 and engine.calls_in_flight == 0
        engine.abort()
        theirs.close()




def test_abandoned_upload_is_aborted_on_virtrpc_serve(tmp_path: Path) -> None:
    """The same through the whole stack: a stopped ``virtrpc serve``, Ctrl-C
    while the upload opens, then the server opens it after all and answers
    our abort, after which the client forgets the stream (before, it stayed
    open on both ends until the connection closed)."""
    assert threading.current_thread() is threading.main_thread()
    with (
        serve_process(tmp_path, ["--extras"]) as (uri, process),
        virtrpc.sync.connect(uri) as client,
    ):
        pool = client.storage_pool_lookup_by_name(name="default-pool")
        vol = client.storage_vol_lookup_by_name(pool=pool, name="disk1.img")
        process.send_signal(signal.SIGSTOP)
        try:

            def interrupt() -> None:
                # Once the call is out and the caller sleeps in the socket
                # read: a SIGINT that lands inside the write kills the
                # connection by design (part of a packet may be out).
                if wait_until(lambda: client.calls_in_flight == 1
                              and _main_thread_sleeps_in_io()):
                    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

            helper = threading.Thread(target=interrupt)
            helper.start()
            with pytest.raises(KeyboardInterrupt):
                client.storage_vol_upload(vol=vol, offset=0, length=0, flags=0)
            helper.join()
        finally:
            process.send_signal(signal.SIGCONT)
        assert client.connect_get_lib_version() > 0
        assert wait_until(lambda: not client.streams)
        assert wait_until(lambda: client.calls_in_flight == 0)
        # and the volume takes a new upload at once
        with as_sync_stream(client.storage_vol_upload(vol=vol, offset=0, length=4, flags=0)) as up:
            up.send(b"data")
        with as_sync_stream(
            client.storage_vol_download(vol=vol, offset=0, length=4, flags=0)
        ) as down:
            assert down.read_all() == b"data"


def _main_thread_sleeps_in_io() -> bool:
    """Whether the main thread sleeps in the kernel on something other than a
    lock (Linux: its wait channel is a socket read or a poll, not a futex)."""
    tid = threading.main_thread().native_id
    wchan = Path(f"/proc/self/task/{tid}/wchan").read_text().strip()
    return wchan not in ("", "0") and "futex" not in wchan


def as_sync_stream(opened: object) -> SyncStream:
    """A blocking stream method's result (annotated with the async type)."""
    assert isinstance(opened, SyncStream)
    return opened
