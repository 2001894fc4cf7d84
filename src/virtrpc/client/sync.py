"""Blocking facade over the asyncio client: ``virtrpc.sync.connect``.

::

    with virtrpc.sync.connect("test+unix:///default?socket=/tmp/s") as client:
        print(client.connect_get_lib_version())

Design: each :class:`SyncClient` owns an event loop running in a background
daemon thread, and every blocking method submits the matching coroutine to it
(``asyncio.run_coroutine_threadsafe``) and waits.  Driving the socket directly
from the calling thread would save a thread hop per call, but a connection
must keep working while the application is *not* calling it: keepalive pings
from the daemon must be answered (or libvirtd drops us after
``keepalive_interval * (keepalive_count + 1)`` seconds), our own keepalive must
detect a dead daemon, and events and stream data must be received as they
arrive.  The background loop gives the blocking API exactly the behaviour of
the asyncio client, with one implementation of the protocol.

Event callbacks given to :meth:`SyncClient.subscribe` run in that background
thread; iterating a :class:`SyncSubscription` blocks the calling thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from virtrpc.auth.credentials import CredentialCallback
from virtrpc.client.client import DEFAULT_KEEPALIVE, CallResult, Client, _open
from virtrpc.client.events import Event, EventCallback, EventFamily, Subscription
from virtrpc.client.stream import Hole, Stream
from virtrpc.client.uri import LibvirtURI
from virtrpc.errors import ConnectionLost
from virtrpc.protocols.lxc_calls import LxcBlockingCalls
from virtrpc.protocols.qemu_calls import QemuBlockingCalls
from virtrpc.protocols.remote_calls import RemoteBlockingCalls
from virtrpc.xdr import Procedure

__all__ = ["SyncClient", "SyncStream", "SyncSubscription", "connect"]

T = TypeVar("T")


class _LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="virtrpc-sync-loop", daemon=True
        )
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result (re-raising its error)."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("blocking virtrpc call from inside its own event loop thread")
        if self.loop.is_closed() or not self.thread.is_alive():
            coro.close()
            raise ConnectionLost("connection is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("virtrpc call timed out") from None
        except KeyboardInterrupt:
            # Ctrl-C while waiting: cancel the call (its late reply is dropped).
            future.cancel()
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


class SyncStream:
    """Blocking view of a :class:`~virtrpc.client.stream.Stream`."""

    def __init__(self, runner: _LoopThread, stream: Stream) -> None:
        self._runner = runner
        self.stream = stream

    @property
    def reply(self) -> Any:
        """The stream procedure's return value."""
        return self.stream.reply

    def recv(self) -> bytes:
        """Next chunk (holes as zeros); ``b""`` at end of stream."""
        return self._runner.run(self.stream.recv())

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.recv()
            if not chunk:
                return
            yield chunk

    def iter_sparse(self) -> Iterator[bytes | Hole]:
        """Data chunks and :class:`Hole` objects as sent by the peer."""
        while True:
            item = self._runner.run(self.stream._next_item())
            if item is None:
                return
            yield item

    def read_all(self) -> bytes:
        return self._runner.run(self.stream.read_all())

    def send(self, data: bytes | bytearray | memoryview) -> None:
        self._runner.run(self.stream.send(data))

    def send_hole(self, length: int, flags: int = 0) -> None:
        self._runner.run(self.stream.send_hole(length, flags))

    def finish(self) -> None:
        self._runner.run(self.stream.finish())

    def abort(self) -> None:
        self._runner.run(self.stream.abort())

    def __enter__(self) -> SyncStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        else:
            self.abort()


class SyncSubscription:
    """Blocking view of an event :class:`~virtrpc.client.events.Subscription`."""

    def __init__(self, runner: _LoopThread, subscription: Subscription) -> None:
        self._runner = runner
        self.subscription = subscription

    def get(self, timeout: float | None = None) -> Event:
        """The next event; TimeoutError after ``timeout`` seconds."""
        return self._runner.run(asyncio.wait_for(self.subscription.get(), timeout))

    def __iter__(self) -> Iterator[Event]:
        while True:
            try:
                yield self._runner.run(self.subscription.get())
            except StopAsyncIteration:
                return

    def close(self) -> None:
        self._runner.run(self.subscription.close())

    def __enter__(self) -> SyncSubscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SyncClient(RemoteBlockingCalls, QemuBlockingCalls, LxcBlockingCalls):
    """A blocking libvirt connection: the methods of
    :class:`~virtrpc.client.client.Client` without ``await``."""

    def __init__(
        self,
        uri: str | LibvirtURI | None = None,
        *,
        readonly: bool = False,
        keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
        timeout: float | None = 30.0,
        credentials: CredentialCallback | None = None,
    ) -> None:
        self._runner = _LoopThread()
        try:
            self.client: Client = self._runner.run(
                _open(uri, readonly, keepalive, timeout, credentials)
            )
        except BaseException:
            self._runner.stop()
            raise

    def _call_procedure(self, proc: Procedure, args: Any, fds: Sequence[int] = ()) -> Any:
        # invoke() is a coroutine: the call is made on the loop's thread.
        result = self._runner.run(self.client.invoke(proc, args, fds))
        if isinstance(result, Stream):
            return SyncStream(self._runner, result)
        return result

    def call(
        self,
        program: int | str,
        version: int,
        procedure: int | str,
        args: Any = None,
        fds: Sequence[int] = (),
    ) -> CallResult:
        """Blocking :meth:`Client.call <virtrpc.client.client.Client.call>`."""
        return self._runner.run(self.client.call(program, version, procedure, args, fds))

    def migrate(
        self, domain: Any, destination: SyncClient | None, flags: int = 0,
        params: Any = None, **options: Any,
    ) -> Any:
        """Blocking :meth:`virtrpc.client.Client.migrate` (see docs/migration.md)."""
        from virtrpc.client.migration import migrate_blocking

        return migrate_blocking(self, domain, destination, flags, params, **options)

    def subscribe(
        self,
        family: EventFamily | str,
        event: int | str = 0,
        *,
        target: Any = None,
        callback: Callable[[Event], None] | None = None,
        qemu_event: str | None = None,
    ) -> SyncSubscription:
        """Blocking :meth:`Client.subscribe`; ``callback`` runs in the loop thread."""
        async_callback: EventCallback | None = callback
        sub = self._runner.run(
            self.client.subscribe(
                family, event, target=target, callback=async_callback, qemu_event=qemu_event
            )
        )
        return SyncSubscription(self._runner, sub)

    @property
    def is_open(self) -> bool:
        return self.client.is_open

    @property
    def uri(self) -> LibvirtURI | None:
        return self.client.uri

    def close(self) -> None:
        """Close the connection and stop the background loop (idempotent)."""
        if self._runner.loop.is_closed():
            return
        try:
            # close() has three bounded waits (replies in flight, connect_close,
            # hang-up): this bound must not cut it short, or the socket stays open.
            self._runner.run(self.client.close(), timeout=3 * self.client.close_timeout + 5)
        except (ConnectionLost, TimeoutError):
            pass
        finally:
            self._runner.stop()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<virtrpc.sync.SyncClient {self.client!r}>"


def connect(
    uri: str | LibvirtURI | None = None,
    *,
    readonly: bool = False,
    keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    timeout: float | None = 30.0,
    credentials: CredentialCallback | None = None,
) -> SyncClient:
    """Open a blocking connection (use it as ``with virtrpc.sync.connect(uri) as c``).

    Same options as :func:`virtrpc.connect`; a ``credentials`` callback runs in
    the background loop thread."""
    return SyncClient(
        uri, readonly=readonly, keepalive=keepalive, timeout=timeout, credentials=credentials
    )
