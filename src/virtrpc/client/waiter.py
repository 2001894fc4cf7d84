"""The asyncio client's reply waiter and decode plan.

Every call of :class:`~virtrpc.client.core.RpcClient` waits on a
:class:`ReplyWaiter`, a minimal asyncio-compatible future that resumes its
task in the read callback itself; calls of generated procedures wait on its
subclass :class:`CallWaiter`, which also decodes the reply by the
procedure's :class:`Plan` when awaited.

The fast path, in one place: a successful reply without fds reaches its
waiter as the bare payload (``bytes``, from
:meth:`virtrpc.rpc.connection.Connection.receive_reply` in
:meth:`RpcClient.data_received <virtrpc.client.core.RpcClient.data_received>`),
and :meth:`CallWaiter.__await__` decodes it with :attr:`Plan.fast_unpack`, the
generated type's unchecked decoder (read once, in :func:`make_plan`).  Anything
else (a reply event, a fast decoder that fails or is missing) takes the
checking decoder, :func:`decode_reply`, which names what is wrong.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import types
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from virtrpc.client.errors import LibvirtError
from virtrpc.errors import ProtocolError, VirtrpcError, XdrError
from virtrpc.rpc.events import MessageEvent, Reply
from virtrpc.rpc.packet import Header, MessageType, Status

if TYPE_CHECKING:
    from virtrpc.xdr import Procedure

__all__ = [
    "CANCELLED",
    "DONE",
    "FAILED",
    "PENDING",
    "CallWaiter",
    "Plan",
    "ReplyWaiter",
    "all_done",
    "as_reply_event",
    "consume_exception",
    "decode_reply",
    "discard_result",
    "error_from_payload",
    "make_plan",
    "new_reply_waiter",
    "reply_error",
]

@dataclass(frozen=True, slots=True)
class Plan:
    """Per-procedure precomputed encode/decode steps (the hot path)."""

    # Held so that the ``id(proc)`` the plans are keyed by stays this one's.
    proc: Procedure
    pack: Callable[[Any], bytes] | None
    unpack: Callable[[Any], Any] | None
    # The ret type's generated decoder (value, end offset), without the
    # checks and explanations of ``unpack`` (which runs if it fails).
    fast_unpack: Callable[[bytes, int], tuple[Any, int]] | None
    unwrap: str | None  # the single field of the ret struct, returned alone
    returns_fds: bool
    stream: bool


def make_plan(proc: Procedure, *, unwrap: bool) -> Plan:
    unwrap_field = None
    if unwrap and proc.ret_class is not None and dataclasses.is_dataclass(proc.ret_class):
        fields = dataclasses.fields(proc.ret_class)
        if len(fields) == 1:
            unwrap_field = fields[0].name
    returns_fds = proc.fds in ("recv", "both")
    return Plan(
        proc=proc,
        pack=proc.args.pack if proc.args is not None else None,
        unpack=proc.ret.unpack if proc.ret is not None else None,
        # (fd-receiving procedures return (value, fds): they take the event path)
        fast_unpack=None if returns_fds or proc.ret is None else proc.ret.fast_unpack,
        unwrap=unwrap_field,
        returns_fds=returns_fds,
        stream=proc.stream is not None,
    )


PENDING: Final = 0
DONE: Final = 1
FAILED: Final = 2
CANCELLED: Final = 3


def _current_task_probe() -> Callable[[asyncio.AbstractEventLoop], asyncio.Task[Any] | None]:
    """The cheapest way to ask which task runs on a loop: asyncio's C
    ``current_task`` where there is one (3.12+); on 3.11 that function is
    Python, and the C tasks' own registry is read directly instead (a dict
    lookup, no frame: it runs for every reply)."""
    if not isinstance(asyncio.current_task, types.BuiltinFunctionType):
        registry = getattr(asyncio.tasks, "_current_tasks", None)
        if isinstance(registry, dict):
            return registry.get
    return asyncio.current_task


_current_task = _current_task_probe()
_new = object.__new__
_REPLY_TYPE: Final = int(MessageType.REPLY)
_OK_STATUS: Final = int(Status.OK)


class ReplyWaiter:
    """The future a call waits on: a minimal asyncio-compatible future that
    resumes its task *at once* when the reply is read.

    With an ``asyncio.Future``, ``set_result`` in the read callback only
    schedules the task's wake-up, so every call costs two loop iterations (two
    ``epoll_wait``): one to read the reply, one to resume the caller.  Here
    :meth:`set_result`, called from the transport's read callback (where no
    task runs), steps the waiting task directly, in the same iteration.  From
    inside a task (cancellation, failures raised by another caller) the
    wake-up is scheduled as asyncio does.  The caller's context is kept.

    Its result, like that of every waiter in ``RpcClient._waiters``, is
    either the payload (``bytes``) of a successful reply without fds, which
    the connection's fast path delivers, or the reply event (``Reply`` with
    fds, ``ErrorReply``); :func:`as_reply_event` turns the former into a
    ``Reply`` where an event is needed.
    """

    # No __slots__: the defaults below are class attributes, so creating a
    # waiter is object.__new__ plus one store (see new_reply_waiter), which
    # costs less than a call to __init__ at ~10k calls/s.
    _state = PENDING
    _result: Any = None
    # The first done-callback (the waiting task's wake-up, usually the only
    # one) and its context are kept apart: no list and tuple per call.
    _callback: Callable[[Any], object] | None = None
    _context: Any = None
    # Further callbacks, in the order they were added.
    _callbacks: list[tuple[Callable[[Any], object], Any]] | None = None
    _asyncio_future_blocking = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    # The parts of the Future protocol that asyncio's Task uses.
    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._state != PENDING

    def cancelled(self) -> bool:
        return self._state == CANCELLED

    def result(self) -> Any:
        state = self._state
        if state == DONE:
            return self._result
        if state == PENDING:
            raise asyncio.InvalidStateError("reply not received yet")
        raise self._result

    def exception(self) -> BaseException | None:
        state = self._state
        if state == DONE:
            return None
        if state == FAILED:
            return self._result  # type: ignore[no-any-return]
        if state == CANCELLED:
            raise self._result
        raise asyncio.InvalidStateError("reply not received yet")

    def add_done_callback(self, callback: Callable[[Any], object], *, context: Any = None) -> None:
        if context is None:
            context = contextvars.copy_context()
        if self._state != PENDING:
            self._loop.call_soon(callback, self, context=context)
        elif self._callback is None and self._callbacks is None:
            self._callback = callback
            self._context = context
        elif self._callbacks is None:
            self._callbacks = [(callback, context)]
        else:
            self._callbacks.append((callback, context))

    def _take_callbacks(self) -> list[tuple[Callable[[Any], object], Any]]:
        """All pending done-callbacks, in order; none are left registered."""
        callbacks = self._callbacks or []
        if self._callback is not None:
            callbacks.insert(0, (self._callback, self._context))
        self._callback = self._context = self._callbacks = None
        return callbacks

    def remove_done_callback(self, callback: Callable[[Any], object]) -> int:
        callbacks = self._take_callbacks()
        kept = [(cb, ctx) for cb, ctx in callbacks if cb != callback]
        if kept:
            self._callbacks = kept
        return len(callbacks) - len(kept)

    def cancel(self, msg: Any = None) -> bool:
        if self._state != PENDING:
            return False
        self._state = CANCELLED
        self._result = asyncio.CancelledError() if msg is None else asyncio.CancelledError(msg)
        self._schedule_callbacks()
        return True

    def set_result(self, result: bytes | MessageEvent) -> None:
        """Resolve with the reply; resumes the waiting task now when called
        from outside any task (the read callback)."""
        if self._state != PENDING:
            raise asyncio.InvalidStateError("reply already set")
        self._state = DONE
        self._result = result
        callback = self._callback
        if callback is None or self._callbacks is not None or _current_task(self._loop) is not None:
            # None, more than one, or from inside a task: as asyncio does.
            self._schedule_callbacks()
            return
        context = self._context
        self._callback = self._context = None
        try:
            context.run(callback, self)
        except Exception as exc:  # what the loop would do with a Handle
            self._loop.call_exception_handler(
                {"message": "reply waiter callback failed", "exception": exc}
            )

    def set_exception(self, exc: BaseException) -> None:
        if self._state != PENDING:
            raise asyncio.InvalidStateError("reply already set")
        self._state = FAILED
        self._result = exc
        self._schedule_callbacks()

    def _schedule_callbacks(self) -> None:
        for callback, context in self._take_callbacks():
            self._loop.call_soon(callback, self, context=context)

    def __await__(self) -> Generator[Any, None, bytes | MessageEvent]:
        # CallWaiter.__await__ repeats this wait, decoding inline after
        # it: the hot path has no room for one more frame.
        if self._state == PENDING:
            self._asyncio_future_blocking = True
            try:
                yield self
            except asyncio.CancelledError:
                if self._state == DONE:
                    # The reply came in the same loop iteration as the
                    # cancellation: nobody will take it.
                    discard_result(self._result)
                raise
        if self._state == DONE:
            return self._result  # type: ignore[no-any-return]
        return self.result()  # type: ignore[no-any-return]

    __iter__ = __await__


def new_reply_waiter(loop: asyncio.AbstractEventLoop) -> ReplyWaiter:
    waiter: ReplyWaiter = _new(ReplyWaiter)
    waiter._loop = loop
    return waiter


def as_reply_event(
    result: bytes | MessageEvent, prog: int, vers: int, proc: int, serial: int
) -> MessageEvent:
    """A waiter's result as an event (see :class:`ReplyWaiter`)."""
    if type(result) is bytes:
        return Reply(Header(prog, vers, proc, _REPLY_TYPE, serial, _OK_STATUS), result, [])
    assert isinstance(result, MessageEvent)
    return result


def discard_result(result: bytes | MessageEvent) -> None:
    """Drop a reply nobody will use, closing the fds it carried."""
    if type(result) is not bytes:
        assert isinstance(result, MessageEvent)
        result.close_fds()


def error_from_payload(payload: bytes, proc: Procedure | None) -> VirtrpcError:
    """The error an ``ERROR`` reply's payload describes."""
    try:
        return LibvirtError.from_wire(payload)
    except (XdrError, ProtocolError) as exc:
        name = proc.name if proc is not None else "a call"
        return ProtocolError(f"undecodable error reply to {name}: {exc}")


def reply_error(reply: MessageEvent, proc: Procedure | None) -> VirtrpcError:
    reply.close_fds()
    return error_from_payload(reply.payload, proc)


def decode_reply(result: bytes | MessageEvent, plan: Plan) -> Any:
    """A successful reply's value by ``plan`` (the checking decoder, which
    names what is wrong); ``(value, fds)`` for fd-returning procedures."""
    reply = None if type(result) is bytes else result
    if reply is not None:
        assert isinstance(reply, MessageEvent)
        result = reply.payload
    try:
        value = plan.unpack(result) if plan.unpack is not None else None
    except XdrError as exc:
        if reply is not None:
            reply.close_fds()
        raise ProtocolError(f"undecodable reply to {plan.proc.name}: {exc}") from exc
    if plan.unwrap is not None:
        value = getattr(value, plan.unwrap)
    if plan.returns_fds:
        return value, (reply.take_fds() if reply is not None else [])
    if reply is not None and reply.fds:
        reply.close_fds()
    return value


class CallWaiter(ReplyWaiter):
    """What :meth:`RpcClient._call_procedure` returns for a sent call: its
    reply waiter, which decodes the reply when awaited.

    Awaiting it directly from the generated method, rather than through a
    coroutine of the client's, spares a coroutine per call and a frame on
    every resumption of the caller's task."""

    _plan: Plan

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state == PENDING:
            self._asyncio_future_blocking = True
            try:
                yield self
            except asyncio.CancelledError:
                if self._state == DONE:
                    discard_result(self._result)  # as ReplyWaiter.__await__
                raise
        if self._state != DONE:
            return self.result()  # raises the failure or the cancellation
        result = self._result
        plan = self._plan
        if type(result) is bytes:
            fast_unpack = plan.fast_unpack
            if fast_unpack is not None:
                try:
                    value, end = fast_unpack(result, 0)
                except Exception:
                    end = -1
                if end == len(result):
                    unwrap = plan.unwrap
                    return getattr(value, unwrap) if unwrap is not None else value
            elif plan.unpack is None and not plan.returns_fds:
                return None  # a void reply (its payload is ignored, as libvirt does)
        elif type(result) is not Reply:
            assert isinstance(result, MessageEvent)
            raise reply_error(result, plan.proc)
        # No fast decoder (fds to return), or it failed: the checking decoder.
        return decode_reply(result, plan)

    __iter__ = __await__


async def all_done(loop: asyncio.AbstractEventLoop, waiters: list[ReplyWaiter]) -> None:
    """Return once every one of ``waiters`` is done, without awaiting them
    (their results are their callers')."""
    all_done: asyncio.Future[None] = loop.create_future()
    left = len(waiters)

    def one_done(_waiter: object) -> None:
        nonlocal left
        left -= 1
        if left == 0 and not all_done.done():
            all_done.set_result(None)

    for waiter in waiters:
        waiter.add_done_callback(one_done)
    try:
        await all_done
    finally:
        for waiter in waiters:
            waiter.remove_done_callback(one_done)


def consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
