"""The loop-thread facade: a blocking client over the asyncio client.

Used by :mod:`virtrpc.client.sync` where the blocking engine
(:mod:`virtrpc.client.blocking`) cannot run (no ``epoll``: not Linux).  Each
:class:`LoopSyncClient` owns an event loop running in a background daemon
thread, and every blocking method submits the matching coroutine to it and
waits: the same behaviour as the blocking engine, one thread hop per call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, TypeVar

from virtrpc.auth.credentials import CredentialCallback
from virtrpc.client.blocking import SyncStream, SyncSubscription
from virtrpc.client.client import DEFAULT_KEEPALIVE, CallResult, Client, _open
from virtrpc.client.events import Event, EventCallback, EventFamily, Subscription
from virtrpc.client.stream import Hole, Stream
from virtrpc.client.sync import SyncClient
from virtrpc.client.uri import LibvirtURI
from virtrpc.errors import ConnectionLost
from virtrpc.xdr import Procedure

__all__ = ["LoopSyncClient", "LoopSyncStream", "LoopSyncSubscription"]

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


class LoopSyncStream(SyncStream):
    """Blocking view of a :class:`~virtrpc.client.stream.Stream` (a
    :class:`SyncStream` by type; none of its engine state is used)."""

    def __init__(self, runner: _LoopThread, stream: Stream) -> None:
        self._runner = runner
        self.stream = stream
        self.procedure = stream.procedure
        self.serial = stream.serial

    @property
    def closed(self) -> bool:
        return self.stream.closed

    def __repr__(self) -> str:
        return f"<LoopSyncStream {self.stream!r}>"

    @property
    def reply(self) -> Any:
        """The stream procedure's return value."""
        return self.stream.reply

    @reply.setter
    def reply(self, value: Any) -> None:
        self.stream.reply = value

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


class LoopSyncSubscription(SyncSubscription):
    """Blocking view of an event :class:`~virtrpc.client.events.Subscription`."""

    def __init__(self, runner: _LoopThread, subscription: Subscription) -> None:
        self._runner = runner
        self.subscription = subscription
        self.family = subscription.family
        self.event_id = subscription.event_id
        self.callback_id = subscription.callback_id

    @property
    def closed(self) -> bool:
        return self.subscription.closed

    def __repr__(self) -> str:
        return f"<LoopSyncSubscription {self.subscription!r}>"

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


class LoopSyncClient(SyncClient):
    """A :class:`SyncClient` whose calls run on a background event loop."""

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
            return LoopSyncStream(self._runner, result)
        return result

    def call(
        self,
        program: int | str,
        version: int,
        procedure: int | str,
        args: Any = None,
        fds: Sequence[int] = (),
        *,
        timeout: float | None = None,
    ) -> CallResult:
        """Blocking :meth:`Client.call <virtrpc.client.client.Client.call>`."""
        return self._runner.run(self.client.call(program, version, procedure, args, fds), timeout)

    def subscribe(
        self,
        family: EventFamily | str,
        event: int | str = 0,
        *,
        target: Any = None,
        callback: Callable[[Event], None] | None = None,
        qemu_event: str | None = None,
        qemu_flags: int = 0,
    ) -> SyncSubscription:
        """Blocking :meth:`Client.subscribe`; ``callback`` runs in the loop thread."""
        async_callback: EventCallback | None = callback
        sub = self._runner.run(
            self.client.subscribe(
                family,
                event,
                target=target,
                callback=async_callback,
                qemu_event=qemu_event,
                qemu_flags=qemu_flags,
            )
        )
        return LoopSyncSubscription(self._runner, sub)

    @property
    def is_open(self) -> bool:
        return self.client.is_open

    @property
    def uri(self) -> LibvirtURI | None:
        return self.client.uri

    @property
    def close_reason(self) -> str | None:
        return self.client.close_reason

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

    def __repr__(self) -> str:
        return f"<virtrpc.sync.SyncClient (loop thread) {self.client!r}>"
