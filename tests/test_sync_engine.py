"""The blocking engine behind ``virtrpc.sync`` (``virtrpc.client.blocking``)
against a real private libvirtd: threads sharing one connection, streams and
events among calls, keepalive both ways while idle, Ctrl-C and timeouts,
fork, fd ownership.

The full-scale load run (32 threads x 500 mixed calls) and the 60 s idle run
are marked ``stress`` (``pytest -m stress``); the main suite
runs the load scaled down and idles through keepalive pings for a few seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

import virtrpc.sync
from tests.support import fdcount
from tests.support.fdcount import FdLeakCheck
from tests.support.peers import PrivateLibvirtd, find_libvirtd, require_peer, serve_process
from virtrpc.client.blocking import BlockingEngine
from virtrpc.client.blocking_io import ChildIO
from virtrpc.client.blocking_tls import TlsIO
from virtrpc.client.errors import LibvirtError
from virtrpc.client.events import Event
from virtrpc.client.stream import Hole
from virtrpc.client.sync import SyncClient, SyncStream
from virtrpc.client.sync_loop import LoopSyncClient
from virtrpc.errors import ConnectError, ConnectionLost, VirtrpcError
from virtrpc.protocols.remote import RemoteNonnullDomain
from virtrpc.protocols.virterror import ErrorNumber

pytestmark = pytest.mark.libvirtd

#: Full-scale runs (minutes): marked ``stress``, deselected by default
#: (``pytest -m stress`` runs them).
stress = pytest.mark.stress

#: The fd accounting fixture (tests/support/fdcount.py).
fd_leak_check = fdcount.fd_leak_check

#: How long a test may wait for something that normally takes milliseconds.
PATIENCE = 10.0


def as_stream(opened: object) -> SyncStream:
    """A stream method's result (annotated with the async Stream type by
    the generated blocking mixin) as what it is."""
    assert isinstance(opened, SyncStream)
    return opened


def wait_until(condition: Callable[[], bool], timeout: float = PATIENCE) -> bool:
    """Poll ``condition`` (state another thread or the daemon changes) until
    it holds or ``timeout`` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextlib.contextmanager
def stopped(daemon: PrivateLibvirtd) -> Iterator[None]:
    """The daemon frozen (SIGSTOP) for the block, resumed afterwards."""
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        daemon.process.send_signal(signal.SIGCONT)


def test_a_lone_call_runs_on_the_calling_thread(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri, keepalive=None) as client:
        assert isinstance(client, BlockingEngine)
        readers: list[str] = []
        recv = client._recv

        def recording_recv(size: int) -> bytes:
            readers.append(threading.current_thread().name)
            return recv(size)

        client._recv = recording_recv
        for _ in range(20):
            assert client.connect_get_lib_version() == 9000000
        # every reply was read by this thread (no hop to another one)
        assert readers and set(readers) == {threading.current_thread().name}


def test_the_watcher_stays_out_of_a_busy_callers_way(libvirtd: PrivateLibvirtd) -> None:
    """Replies read by a caller do not wake the watcher: it looks at the
    socket about every 10 ms, not once per reply."""
    with virtrpc.sync.connect(libvirtd.uri, keepalive=None) as client:
        watcher = client._watcher
        assert watcher is not None
        looks: list[bool] = []
        take_and_read = watcher._take_and_read

        def counting() -> bool:
            took = take_and_read()
            looks.append(took)
            return took

        watcher._take_and_read = counting
        calls = 3000
        for _ in range(calls):
            client.connect_get_lib_version()
        assert len(looks) < calls / 10, len(looks)


def _mixed_load(client: SyncClient, threads: int, calls: int, fd_check: FdLeakCheck) -> None:
    """``threads`` threads x ``calls`` mixed calls on one connection, every
    result checked, while lifecycle events arrive and are counted."""
    dom = client.domain_lookup_by_name(name="test")
    events: list[Event] = []
    sub = client.subscribe("domain", "lifecycle", callback=events.append)
    devnull = [os.open("/dev/null", os.O_RDONLY) for _ in range(2)]
    failures: list[BaseException] = []
    suspends = 0
    lock = threading.Lock()

    def work(index: int) -> None:
        nonlocal suspends
        try:
            for step in range(calls):
                kind = (index + step) % 8
                if kind == 0:
                    with as_stream(client.domain_screenshot(dom=dom, screen=0, flags=0)) as stream:
                        assert stream.reply == "image/png"
                        assert stream.read_all()[:4] == b"\x89PNG"
                elif kind == 1:
                    # fds out: the test driver rejects the call after taking them
                    with pytest.raises(LibvirtError):
                        client.domain_create_with_files(dom=dom, flags=0, fds=devnull)
                elif kind == 2:
                    with pytest.raises(LibvirtError) as info:
                        client.domain_lookup_by_name(name=f"missing-{index}")
                    assert info.value.code == ErrorNumber.VIR_ERR_NO_DOMAIN
                elif kind == 3:
                    # an fd-receiving procedure (the reply is read with room for fds)
                    with pytest.raises(LibvirtError):
                        client.domain_open_graphics_fd(dom=dom, idx=0, flags=0)
                elif kind == 4 and index == 0:
                    client.domain_suspend(dom=dom)
                    client.domain_resume(dom=dom)
                    with lock:
                        suspends += 1
                elif kind in (4, 5):
                    info2 = client.domain_get_info(dom=dom)
                    assert info2.nrVirtCpu == 2 and info2.memory > 0
                elif kind == 6:
                    looked = client.domain_lookup_by_name(name="test")
                    assert looked == dom
                else:
                    assert client.connect_get_lib_version() == 9000000
        except BaseException as exc:
            failures.append(exc)

    with fd_check("mixed load"):
        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not failures, failures[:3]
        assert not any(worker.is_alive() for worker in workers)
    # each suspend/resume pair makes two lifecycle events
    assert wait_until(lambda: len(events) >= 2 * suspends)
    assert all(event.name == "lifecycle" for event in events)
    sub.close()
    for fd in devnull:
        os.close(fd)
    assert client.replies_awaited == 0 and not client.streams


def test_many_threads_mixed_calls_one_connection(
    libvirtd: PrivateLibvirtd, fd_leak_check: FdLeakCheck
) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as client:
        _mixed_load(client, threads=32, calls=24, fd_check=fd_leak_check)
        assert client.connect_get_lib_version() == 9000000


@stress
def test_stress_32_threads_500_mixed_calls(
    libvirtd: PrivateLibvirtd, fd_leak_check: FdLeakCheck
) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as client:
        _mixed_load(client, threads=32, calls=500, fd_check=fd_leak_check)


def test_callbacks_run_while_the_main_thread_sleeps(libvirtd: PrivateLibvirtd) -> None:
    with (
        virtrpc.sync.connect(libvirtd.uri) as watcher,
        virtrpc.sync.connect(libvirtd.uri) as actor,
    ):
        seen = threading.Event()
        threads: list[str] = []

        def callback(event: Event) -> None:
            threads.append(threading.current_thread().name)
            seen.set()

        watcher.subscribe("domain", "lifecycle", callback=callback)
        dom = actor.domain_lookup_by_name(name="test")
        actor.domain_suspend(dom=dom)
        # Nobody calls on the watcher connection: its watcher thread reads.
        assert seen.wait(PATIENCE)
        assert threads[0].startswith("virtrpc-watch")


def test_a_callback_may_call_on_its_own_connection(libvirtd: PrivateLibvirtd) -> None:
    """libvirt-python programs call ``dom.info()`` inside lifecycle callbacks."""
    with virtrpc.sync.connect(libvirtd.uri) as client:
        states: list[int] = []
        done = threading.Event()

        def callback(event: Event) -> None:
            dom = event.fields["dom"]
            assert isinstance(dom, RemoteNonnullDomain)
            states.append(client.domain_get_info(dom=dom).state)
            done.set()

        sub = client.subscribe("domain", "lifecycle", callback=callback)
        dom = client.domain_lookup_by_name(name="test")
        client.domain_suspend(dom=dom)
        assert done.wait(PATIENCE)
        assert states[0] == 3  # VIR_DOMAIN_PAUSED
        # and the connection still serves this thread
        client.domain_resume(dom=dom)
        assert client.domain_get_info(dom=dom).state == 1
        event = sub.get(timeout=PATIENCE)
        assert event.name == "lifecycle"
        sub.close()


def test_subscription_iteration_ends_when_closed(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as client:
        sub = client.subscribe("domain", "lifecycle")
        with pytest.raises(TimeoutError):
            sub.get(timeout=0.05)
        dom = client.domain_lookup_by_name(name="test")
        client.domain_suspend(dom=dom)
        client.domain_resume(dom=dom)
        got = []
        for event in sub:
            got.append(event.fields["event"])
            if len(got) == 2:
                sub.close()
        assert got == [3, 4]  # VIR_DOMAIN_EVENT_SUSPENDED, RESUMED


def _daemon(config: dict[str, object]) -> PrivateLibvirtd:
    require_peer(find_libvirtd() is not None, "libvirtd")
    return PrivateLibvirtd(config)


def test_idle_connection_answers_daemon_keepalive() -> None:
    """libvirtd at 1 s x 2 drops a client that leaves 3 pings unanswered:
    idle through more pings than that, then call."""
    with (
        _daemon({"keepalive_interval": 1, "keepalive_count": 2}) as daemon,
        virtrpc.sync.connect(daemon.uri, keepalive=(30.0, 5)) as client,
    ):
        assert client.server_keepalive
        assert wait_until(lambda: client.keepalive_pings_received >= 5, timeout=15)
        assert client.is_open
        assert client.connect_get_lib_version() == 9000000


@stress
@pytest.mark.timeout(120)  # idles 60 s: above the suite's per-test bound
def test_idle_sixty_seconds_with_daemon_keepalive() -> None:
    with (
        _daemon({"keepalive_interval": 1, "keepalive_count": 2}) as daemon,
        virtrpc.sync.connect(daemon.uri, keepalive=None) as client,
    ):
        closed = threading.Event()
        client.subscribe("connection", callback=lambda event: closed.set())
        assert not closed.wait(60)
        assert client.connect_get_lib_version() == 9000000


def test_frozen_daemon_detected_while_idle() -> None:
    interval, count = 1.0, 2
    with (
        _daemon({}) as daemon,
        virtrpc.sync.connect(daemon.uri, keepalive=(interval, count)) as client,
    ):
        assert client.server_keepalive
        closed = threading.Event()
        reasons: list[object] = []

        def on_close(event: Event) -> None:
            reasons.append(event.fields["reason"])
            closed.set()

        client.subscribe("connection", callback=on_close)
        with stopped(daemon):
            start = time.monotonic()
            assert closed.wait(interval * (count + 1) + 1 + 2)
            elapsed = time.monotonic() - start
            assert elapsed <= interval * (count + 1) + 1
            assert reasons == ["keepalive"]
            assert client.close_reason == "keepalive"
            began = time.monotonic()
            with pytest.raises(ConnectionLost, match="keepalive"):
                client.connect_get_lib_version()
            assert time.monotonic() - began < 0.5  # at once


def _interrupt_when(condition: Callable[[], bool]) -> threading.Thread:
    """Send SIGINT to this process (the main thread gets KeyboardInterrupt)
    once ``condition`` holds."""

    def run() -> None:
        if wait_until(condition):
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_ctrl_c_abandons_the_call_and_the_connection_stays_usable(
    fd_leak_check: FdLeakCheck,
) -> None:
    assert threading.current_thread() is threading.main_thread()
    with _daemon({}) as daemon, virtrpc.sync.connect(daemon.uri) as client:
        dom = client.domain_lookup_by_name(name="test")
        with fd_leak_check("abandoned call"):
            with stopped(daemon):
                helper = _interrupt_when(lambda: client.calls_in_flight == 1)
                with pytest.raises(KeyboardInterrupt):
                    client.domain_get_info(dom=dom)
                helper.join()
            # The daemon answers the abandoned call now; its reply is dropped
            # and the next call gets its own.
            assert client.connect_get_lib_version() == 9000000
            assert wait_until(lambda: client.calls_in_flight == 0)
            # an fd-receiving call abandoned the same way
            with stopped(daemon):
                helper = _interrupt_when(lambda: client.calls_in_flight == 1)
                with pytest.raises(KeyboardInterrupt):
                    client.domain_open_graphics_fd(dom=dom, idx=0, flags=0)
                helper.join()
            assert client.domain_get_info(dom=dom).state == 1
            assert wait_until(lambda: not client._fd_replies)
            # a stream call abandoned while the stream opens: aborted once
            # the daemon has opened it
            with stopped(daemon):
                helper = _interrupt_when(lambda: client.calls_in_flight == 1)
                with pytest.raises(KeyboardInterrupt):
                    client.domain_screenshot(dom=dom, screen=0, flags=0)
                helper.join()
            assert client.connect_get_lib_version() == 9000000
            assert wait_until(lambda: not client.streams)
            with as_stream(client.domain_screenshot(dom=dom, screen=0, flags=0)) as stream:
                assert stream.read_all()[:4] == b"\x89PNG"


def test_ctrl_c_while_another_thread_reads(libvirtd: PrivateLibvirtd) -> None:
    """The interrupted caller was asleep on its waiter (another thread held
    the token): it leaves, and the reader hands the token on."""
    with _daemon({}) as daemon, virtrpc.sync.connect(daemon.uri) as client:
        dom = client.domain_lookup_by_name(name="test")
        results: list[int] = []
        with stopped(daemon):
            reader = threading.Thread(
                target=lambda: results.append(client.connect_get_lib_version())
            )
            reader.start()
            assert wait_until(lambda: client._token.locked() and client.calls_in_flight == 1)
            helper = _interrupt_when(lambda: client.replies_awaited == 1)
            with pytest.raises(KeyboardInterrupt):
                client.domain_get_info(dom=dom)
            helper.join()
        reader.join(PATIENCE)
        assert results == [9000000]
        assert client.domain_get_info(dom=dom).state == 1


def test_call_timeout_abandons_the_call() -> None:
    with _daemon({}) as daemon, virtrpc.sync.connect(daemon.uri) as client:
        with stopped(daemon), pytest.raises(TimeoutError):
            client.call("remote", 1, "connect_get_lib_version", timeout=0.2)
        result = client.call("remote", 1, "connect_get_lib_version", timeout=PATIENCE)
        assert result.value.lib_ver == 9000000


# Forking a threaded process is the very case under test (the child only calls
# the connection and exits); Python 3.12+ warns about it.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_connection_used_after_fork_raises_in_the_child(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as client:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report what a call does, never return to pytest
            code = 1
            try:
                client.connect_get_lib_version()
            except ConnectionLost as exc:
                os.write(write, str(exc).encode())
                code = 0
            except BaseException:
                code = 2
            finally:
                os._exit(code)
        os.close(write)
        message = os.read(read, 4096).decode()
        os.close(read)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert "fork" in message
        # The parent's connection is untouched.
        assert client.connect_get_lib_version() == 9000000


def test_close_fails_waiting_threads_and_closes_everything(
    libvirtd: PrivateLibvirtd, fd_leak_check: FdLeakCheck
) -> None:
    with fd_leak_check("connect and close", settle=2.0):
        client = virtrpc.sync.connect(libvirtd.uri)
        watcher = client._watcher
        assert watcher is not None
        assert client.connect_get_lib_version() == 9000000
        client.close()
        assert not watcher.thread.is_alive()
        assert not client.is_open and client.close_reason == "client"
        with pytest.raises(ConnectionLost):
            client.connect_get_lib_version()


def test_sparse_stream_upload_and_download(tmp_path: Path) -> None:
    """Sparse streams both ways (``virtrpc serve``: libvirtd's test driver
    has no volume upload; disk1.img needs --extras)."""
    data = b"a" * 4096
    with serve_process(tmp_path, ["--extras"]) as (uri, _process), virtrpc.sync.connect(uri) as client:
        pool = client.storage_pool_lookup_by_name(name="default-pool")
        vol = client.storage_vol_lookup_by_name(pool=pool, name="disk1.img")
        size = 3 * 4096 + 8192
        up = as_stream(client.storage_vol_upload(vol=vol, offset=0, length=size, flags=1))
        with up:
            up.send(data)
            up.send_hole(8192)
            up.send(data * 2)
        down = as_stream(client.storage_vol_download(vol=vol, offset=0, length=size, flags=1))
        with down:
            items = list(down.iter_sparse())
        assert b"".join(b"\0" * i.length if isinstance(i, Hole) else i for i in items) == (
            data + bytes(8192) + data * 2
        )
        assert any(isinstance(item, Hole) for item in items)
        # and expanded: holes as zeros
        with as_stream(
            client.storage_vol_download(vol=vol, offset=0, length=size, flags=0)
        ) as plain:
            assert plain.read_all() == data + bytes(8192) + data * 2


def test_tcp_is_driven_by_the_engine() -> None:
    from tests.support.tls_fixtures import NetworkLibvirtd

    require_peer(find_libvirtd() is not None, "libvirtd")
    with NetworkLibvirtd(auth_tcp="none") as daemon:
        uri = f"test+tcp://127.0.0.1:{daemon.tcp_port}/default"
        with virtrpc.sync.connect(uri) as client:
            assert type(client) is SyncClient
            dom = client.domain_lookup_by_name(name="test")
            assert client.domain_get_info(dom=dom).state == 1
            with as_stream(client.domain_screenshot(dom=dom, screen=0, flags=0)) as stream:
                assert stream.read_all()[:4] == b"\x89PNG"
            with pytest.raises(VirtrpcError, match="file descriptors"):
                client.domain_create_with_files(dom=dom, flags=0, fds=[0])
            assert client.connect_get_lib_version() == 9000000


def _tunnel_script(tmp_path: Path, socket_path: str) -> Path:
    nc = shutil.which("nc")
    require_peer(nc is not None, "nc with -U (Debian package netcat-openbsd)")
    script = tmp_path / "tunnel"
    script.write_text(f"#!/bin/sh\nexec {nc} -U {socket_path}\n")
    script.chmod(0o755)
    return script


def test_ext_child_over_a_socketpair(
    libvirtd: PrivateLibvirtd, tmp_path: Path, fd_leak_check: FdLeakCheck
) -> None:
    script = _tunnel_script(tmp_path, libvirtd.socket_path)
    with fd_leak_check("ext connection", settle=2.0):
        with virtrpc.sync.connect(f"test+ext:///default?command={script}") as client:
            assert type(client) is SyncClient
            assert isinstance(client.transport, ChildIO)
            dom = client.domain_lookup_by_name(name="test")
            with as_stream(client.domain_screenshot(dom=dom, screen=0, flags=0)) as stream:
                assert stream.read_all()[:4] == b"\x89PNG"
            sub = client.subscribe("domain", "lifecycle")
            client.domain_suspend(dom=dom)
            assert sub.get(timeout=PATIENCE).name == "lifecycle"
            sub.close()
            child = client.transport.child
        assert not client.is_open
        assert child.returncode is not None  # reaped


def test_ext_child_that_fails_is_a_clear_error(tmp_path: Path) -> None:
    script = tmp_path / "failing"
    script.write_text("#!/bin/sh\necho 'no way through' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(ConnectError, match="exited with status 3: no way through"):
        virtrpc.sync.connect(f"test+ext:///default?command={script}")
    with pytest.raises(ConnectError, match="cannot run"):
        virtrpc.sync.connect(f"test+ext:///default?command={tmp_path}/missing")


def test_ssh_through_sshd(libvirtd: PrivateLibvirtd) -> None:
    from tests.support.tls_fixtures import PrivateSshd

    require_peer(shutil.which("nc") is not None, "nc")
    with PrivateSshd() as sshd:
        uri = (
            f"test+ssh://root@127.0.0.1:{sshd.port}/default?socket={libvirtd.socket_path}"
            f"&keyfile={sshd.keyfile}&known_hosts={sshd.known_hosts}&no_tty=1"
        )
        with virtrpc.sync.connect(uri) as client:
            assert isinstance(client.transport, ChildIO) and client.transport.argv[0] == "ssh"
            assert [client.connect_get_lib_version() for _ in range(20)] == [9000000] * 20


def test_tls_is_driven_by_the_engine(tmp_path: Path) -> None:
    from tests.support.tls_fixtures import NetworkLibvirtd, make_test_pki

    require_peer(find_libvirtd() is not None, "libvirtd")
    pki = make_test_pki(tmp_path)
    with NetworkLibvirtd(tls_dir=pki.server_dir) as daemon:
        uri = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.client_dir}"
        with virtrpc.sync.connect(uri) as client:
            assert type(client) is SyncClient and isinstance(client.transport, TlsIO)
            dom = client.domain_lookup_by_name(name="test")
            with as_stream(client.domain_screenshot(dom=dom, screen=0, flags=0)) as stream:
                assert stream.read_all()[:4] == b"\x89PNG"
            sub = client.subscribe("domain", "lifecycle")
            client.domain_suspend(dom=dom)
            assert sub.get(timeout=PATIENCE).name == "lifecycle"
            sub.close()
            _mixed_tls_threads(client, dom)
        assert not client.is_open
        # a CA that did not sign the server's certificate
        bad = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.unknown_ca_dir}"
        with pytest.raises(ConnectError, match="certificate verify failed"):
            virtrpc.sync.connect(bad)
        # a client certificate the daemon does not accept: no verdict byte
        rogue = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.rogue_client_dir}"
        with pytest.raises(ConnectError):
            virtrpc.sync.connect(rogue)


def _mixed_tls_threads(client: SyncClient, dom: RemoteNonnullDomain) -> None:
    """Threads reading and writing one TLS session at once."""
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for step in range(40):
                if step % 3 == 0:
                    assert client.domain_get_info(dom=dom).nrVirtCpu == 2
                else:
                    assert client.connect_get_lib_version() == 9000000
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE * 3)
    assert not failures, failures[:3]


def test_handshake_timeout_is_a_connect_error(fd_leak_check: FdLeakCheck) -> None:
    with _daemon({}) as daemon, fd_leak_check("timed-out handshake"), stopped(daemon):
        began = time.monotonic()
        with pytest.raises(ConnectError, match="timed out"):
            virtrpc.sync.connect(daemon.uri, timeout=0.3)
        assert time.monotonic() - began < PATIENCE


def test_loop_thread_facade_where_the_engine_cannot_run(libvirtd: PrivateLibvirtd) -> None:
    """Platforms without epoll get the asyncio client on a loop thread, with
    the same API (made directly here)."""
    with LoopSyncClient(libvirtd.uri) as client:
        assert isinstance(client, SyncClient)
        dom = client.domain_lookup_by_name(name="test")
        with as_stream(client.domain_screenshot(dom=dom, screen=0, flags=0)) as stream:
            assert stream.read_all()[:4] == b"\x89PNG"
        sub = client.subscribe("domain", "lifecycle")
        client.domain_suspend(dom=dom)
        assert sub.get(timeout=PATIENCE).name == "lifecycle"
        sub.close()
        assert client.call("remote", 1, "connect_get_lib_version").value.lib_ver == 9000000
    assert not client.is_open


async def test_close_lets_calls_in_flight_finish_first(tmp_path: Path) -> None:
    """close() in one thread while another thread's call is being worked on:
    that call gets its reply, connect_close reaches the server after it, and
    calls made once close() began are refused.  (A server of virtrpc's own
    holds connect_get_hostname until connect_close comes, or 0.2 s.)"""
    import asyncio

    from virtrpc.server import CallContext, Server, ServerLimits
    from virtrpc.testdriver import TestDriver
    from virtrpc.testdriver import host as test_host

    driver = TestDriver()
    service = driver.service()
    log: list[str] = []
    hostname_received = asyncio.Event()
    close_received = asyncio.Event()

    async def held_hostname(ctx: CallContext, args: None) -> object:
        log.append("connect_get_hostname")
        hostname_received.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(close_received.wait(), 0.2)
        log.append("answered")
        return driver.connect_get_hostname(ctx, args)

    def logged_close(ctx: CallContext, args: None) -> None:
        log.append("connect_close")
        close_received.set()
        driver.connect_close(ctx, args)

    service.add("connect_get_hostname", held_hostname)
    service.add("connect_close", logged_close)
    server = Server(ServerLimits(shutdown_timeout=2.0))
    server.add_program(service)
    server.on_client_closed(driver.client_closed)
    await server.listen_unix(str(tmp_path / "sock"))
    try:
        uri = f"test+unix:///default?socket={tmp_path / 'sock'}"
        client = await asyncio.to_thread(virtrpc.sync.connect, uri, keepalive=None)
        log.clear()
        result: list[object] = []
        caller = threading.Thread(target=lambda: result.append(client.connect_get_hostname()))
        caller.start()
        await hostname_received.wait()
        await asyncio.to_thread(client.close)
        await asyncio.to_thread(caller.join, PATIENCE)
        assert result == [test_host.HOSTNAME]
        assert log == ["connect_get_hostname", "answered", "connect_close"]
        assert not client.is_open
        with pytest.raises(ConnectionLost):
            client.connect_get_hostname()
    finally:
        await server.shutdown()


def test_a_read_of_several_replies_reaches_every_waiter(fd_leak_check: FdLeakCheck) -> None:
    """One read bringing replies to three threads' calls, an event between
    them and an error reply: each reaches its waiter, in order, the event is
    queued for the dispatcher (the engine alone, over a socketpair)."""
    import socket
    import struct

    from virtrpc.client.blocking_io import SocketIO
    from virtrpc.client.blocking_protocol import PENDING, _Waiter
    from virtrpc.client.errors import LibvirtError as Error
    from virtrpc.protocols import remote
    from virtrpc.rpc.packet import MessageType, Status, encode_packet

    prog, vers = remote.REMOTE_PROGRAM, remote.REMOTE_PROTOCOL_VERSION
    proc = remote.REMOTE_PROC_CONNECT_GET_LIB_VERSION
    with fd_leak_check("engine over a socketpair"):
        ours, theirs = socket.socketpair()
        engine = BlockingEngine(SocketIO(ours, "pair", can_pass_fds=True), keepalive=None)
        mine, other, third, failing = (
            engine._conn.send_call(prog, vers, proc)[0] for _ in range(4)
        )
        waiters = {serial: _Waiter() for serial in (other, third, failing)}
        engine._waiters.update(waiters)

        def reply(serial: int, value: int) -> bytes:
            payload = struct.pack(">Q", value)
            return encode_packet(prog, vers, proc, MessageType.REPLY, serial, Status.OK, payload)

        error = Error("no", code=ErrorNumber.VIR_ERR_NO_DOMAIN).to_wire()
        event = encode_packet(
            prog,
            vers,
            remote.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
            MessageType.MESSAGE,
            0,
            Status.OK,
            b"\0" * 4 + b"\0" * 4,
        )
        theirs.sendall(
            reply(other, 1)
            + reply(mine, 2)
            + event
            + reply(third, 3)
            + encode_packet(prog, vers, proc, MessageType.REPLY, failing, Status.ERROR, error)
        )
        assert engine._token.acquire(False)
        assert engine._read_reply(mine, None) == struct.pack(">Q", 2)
        engine._token.release()
        assert waiters[other].result == struct.pack(">Q", 1)
        assert waiters[third].result == struct.pack(">Q", 3)
        assert waiters[failing].result is not PENDING
        assert waiters[failing].result.header[5] == Status.ERROR
        assert len(engine._events) == 1
        assert engine.calls_in_flight == 0
        engine.abort()
        theirs.close()


def test_frozen_daemon_detected_during_a_call() -> None:
    """A call waiting on a frozen daemon fails with ConnectionLost once our
    keepalive declares the daemon dead (the watcher pings while the caller
    holds the socket)."""
    interval, count = 1.0, 2
    with (
        _daemon({}) as daemon,
        virtrpc.sync.connect(daemon.uri, keepalive=(interval, count)) as client,
        stopped(daemon),
    ):
        began = time.monotonic()
        with pytest.raises(ConnectionLost, match="keepalive"):
            client.connect_get_lib_version()
        assert time.monotonic() - began <= interval * (count + 1) + 1 + 1
        assert client.keepalive_pings_sent >= count


def test_close_of_a_frozen_daemon_is_bounded() -> None:
    """close() waits for calls in flight, then for connect_close's reply,
    each at most ``close_timeout``: a frozen daemon cannot make it hang."""
    with _daemon({}) as daemon:
        client = virtrpc.sync.connect(daemon.uri, keepalive=None)
        client.close_timeout = 0.3
        outcomes: list[BaseException] = []

        def in_flight() -> None:
            try:
                client.connect_get_lib_version()
            except ConnectionLost as exc:
                outcomes.append(exc)

        with stopped(daemon):
            helper = threading.Thread(target=in_flight)
            helper.start()
            assert wait_until(lambda: client.calls_in_flight == 1)
            began = time.monotonic()
            client.close()
            assert time.monotonic() - began < 2 * 0.3 + 2
            assert not client.is_open
            helper.join(PATIENCE)
            assert len(outcomes) == 1


def test_a_connection_that_dies_mid_parse_is_connection_lost(
    fd_leak_check: FdLeakCheck,
) -> None:
    """Whatever goes wrong while a read is parsed (here the core fails the
    way a parse interrupted by a concurrent close can: an IndexError out of
    receive_data) reaches the caller as ConnectionLost, fails the connection
    for everyone and closes its fds (the engine alone, over a socketpair)."""
    import socket
    import struct

    from virtrpc.client.blocking_io import SocketIO
    from virtrpc.client.blocking_protocol import _Waiter
    from virtrpc.protocols import remote
    from virtrpc.rpc.connection import Connection, Role
    from virtrpc.rpc.events import Event as RpcEvent
    from virtrpc.rpc.packet import MessageType, Status, encode_packet

    prog, vers = remote.REMOTE_PROGRAM, remote.REMOTE_PROTOCOL_VERSION
    proc = remote.REMOTE_PROC_CONNECT_GET_LIB_VERSION
    with fd_leak_check("engine over a socketpair"):
        ours, theirs = socket.socketpair()
        engine = BlockingEngine(SocketIO(ours, "pair", can_pass_fds=True), keepalive=None)

        class Interrupted(Connection):
            def receive_data(
                self, data: bytes | bytearray | memoryview, fds: Sequence[int] | None = None
            ) -> list[RpcEvent]:
                super().receive_data(data[:10], fds)  # half a header taken in
                self.close()  # the connection dies meanwhile
                raise IndexError("the reader's state went away under it")

        engine._conn = Interrupted(Role.CLIENT)
        mine, other = (engine._conn.send_call(prog, vers, proc)[0] for _ in range(2))
        other_waiter = _Waiter()
        engine._waiters[other] = other_waiter
        packet = encode_packet(
            prog, vers, proc, MessageType.REPLY, mine, Status.OK, struct.pack(">Q", 1)
        )
        theirs.sendall(packet + packet[:20])  # two packets' worth: not the fast path
        assert engine._token.acquire(False)
        with pytest.raises(ConnectionLost) as raised:
            engine._read_reply(mine, None)
        engine._token.release()
        assert isinstance(raised.value.__cause__, IndexError)
        assert not engine.is_open
        assert isinstance(other_waiter.error, ConnectionLost)
        with pytest.raises(ConnectionLost):
            engine._call_by_name("remote", "connect_get_lib_version", None)
        engine.abort()
        theirs.close()
