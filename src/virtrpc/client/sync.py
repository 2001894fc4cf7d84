"""The blocking client: ``virtrpc.sync.connect``.

::

    with virtrpc.sync.connect("test+unix:///default?socket=/tmp/s") as client:
        print(client.connect_get_lib_version())

Over every transport (Unix with fds, TCP, TLS, SSH, ext) a :class:`SyncClient`
is the blocking engine of :mod:`virtrpc.client.blocking`: each call is
written and its reply read by the calling thread (no thread switch when one
thread calls; many threads share one connection, passing the socket between
them as libvirt's own client does), and a watcher thread keeps the
connection alive and delivers events while nobody calls.  Event callbacks
given to :meth:`SyncClient.subscribe` run on that watcher thread; iterating
a :class:`SyncSubscription` blocks the calling thread.

Where the engine cannot run (no ``epoll``), ``SyncClient(...)`` makes a
:class:`~virtrpc.client.sync_loop.LoopSyncClient` (a subclass, same API): the
asyncio client on a background loop thread, one thread hop per call.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from types import TracebackType
from typing import Any

from virtrpc.auth.credentials import CredentialCallback, CredentialRequest
from virtrpc.auth.exchange import authenticate
from virtrpc.client import blocking_io
from virtrpc.client.blocking import BlockingEngine, SyncStream, SyncSubscription
from virtrpc.client.blocking_io import ChildIO, SocketIO, connect_tcp, connect_unix
from virtrpc.client.blocking_protocol import reply_header
from virtrpc.client.blocking_tls import TlsIO
from virtrpc.client.client import (
    DEFAULT_KEEPALIVE,
    FEATURE_PROGRAM_KEEPALIVE,
    FEATURE_REMOTE_CLOSE_CALLBACK,
    FEATURE_REMOTE_EVENT_CALLBACK,
    VIR_CONNECT_RO,
    CallResult,
    _encode_args,
    _reply_error,
    resolve_procedure,
    resolve_target,
)
from virtrpc.client.errors import LibvirtError
from virtrpc.client.events import FAMILIES, Event, EventFamily
from virtrpc.client.stream import Stream
from virtrpc.client.uri import LibvirtURI, parse_uri
from virtrpc.errors import (
    ConnectError,
    ConnectionLost,
    InvalidArguments,
    InvalidValue,
    ProtocolError,
)
from virtrpc.programs import program_by_name
from virtrpc.protocols.lxc_calls import LxcBlockingCalls
from virtrpc.protocols.qemu_calls import QemuBlockingCalls
from virtrpc.protocols.remote_calls import RemoteAsyncCalls, RemoteBlockingCalls
from virtrpc.rpc.events import Reply
from virtrpc.transport.network import ssh_launch_for_uri, uri_flag
from virtrpc.transport.pki import locate_credentials
from virtrpc.transport.tcp import DEFAULT_TCP_PORT
from virtrpc.transport.tls import DEFAULT_TLS_PORT, client_context
from virtrpc.xdr import Procedure

__all__ = ["SyncClient", "SyncStream", "SyncSubscription", "connect"]

_monotonic = time.monotonic


def _open_child(uri: LibvirtURI, hostname: str, readonly: bool) -> ChildIO:
    """The child process of an ``+ssh`` or ``+ext`` URI, over a socketpair."""
    shown = uri.raw
    if uri.transport == "ssh":
        argv, label = ssh_launch_for_uri(uri, hostname, readonly)
    else:
        command = uri.param("command")
        if not command:
            raise ConnectError(f"the ext transport needs a command= parameter (URI {shown})")
        argv, label = [command], f"command {command}"
    try:
        return ChildIO(argv, label)
    except ConnectError as exc:
        error = ConnectError(f"{exc} (URI {shown})")
        error.errno = exc.errno
        raise error from exc


def _open_tls(uri: LibvirtURI, hostname: str, timeout: float | None) -> TlsIO:
    """A verified TLS session for a ``+tls`` URI (``pkipath=``, ``no_verify=``)."""
    port = uri.port if uri.port is not None else DEFAULT_TLS_PORT
    try:
        context = client_context(
            locate_credentials(uri.param("pkipath")), verify=not uri_flag(uri, "no_verify")
        )
        sock = connect_tcp(hostname, port, timeout)
    except ConnectError as exc:
        error = ConnectError(f"{exc} (URI {uri.raw})")
        error.errno = exc.errno
        raise error from exc
    io = TlsIO(sock, f"{hostname}:{port}", context, hostname)
    sock.settimeout(timeout)
    try:
        io.handshake()
    except BaseException as exc:
        sock.close()
        if isinstance(exc, TimeoutError):
            raise ConnectError(f"TLS handshake with {io.label} timed out (URI {uri.raw})") from None
        if isinstance(exc, ConnectError):
            raise type(exc)(f"{exc} (URI {uri.raw})") from exc
        if isinstance(exc, OSError):
            raise ConnectError(
                f"TLS handshake with {io.label} failed: {exc} (URI {uri.raw})"
            ) from exc
        raise
    return io


def _engine_drives(uri: str | LibvirtURI | None) -> bool:
    """Whether the blocking engine drives this URI's transport itself."""
    if not blocking_io.SUPPORTED:
        return False
    if uri is None or isinstance(uri, LibvirtURI):
        parsed = uri
    else:
        try:
            parsed = parse_uri(uri)
        except Exception:
            return True  # SyncClient.__init__ reports the bad URI
    return parsed is None or parsed.transport in ("unix", "tcp", "tls", "ssh", "ext")


class SyncClient(BlockingEngine, RemoteBlockingCalls[Stream], QemuBlockingCalls,
                 LxcBlockingCalls):
    """A blocking libvirt connection: the methods of
    :class:`~virtrpc.client.client.Client` without ``await``.

    ``timeout`` bounds the connection and its handshake (as for
    :func:`virtrpc.connect`); where the engine cannot run it makes a
    :class:`~virtrpc.client.sync_loop.LoopSyncClient`."""

    #: Whether the daemon supports callback-based event registration.
    server_event_callbacks = False
    #: The URI the daemon chose when connecting without one.
    probed_uri: str | None = None

    def __new__(cls, uri: str | LibvirtURI | None = None, **_options: Any) -> SyncClient:
        if cls is SyncClient and not _engine_drives(uri):
            from virtrpc.client.sync_loop import LoopSyncClient

            return object.__new__(LoopSyncClient)
        return object.__new__(cls)

    def __init__(
        self,
        uri: str | LibvirtURI | None = None,
        *,
        readonly: bool = False,
        keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
        timeout: float | None = 30.0,
        credentials: CredentialCallback | None = None,
    ) -> None:
        parsed, endpoint, name = resolve_target(uri, readonly)
        shown = parsed.raw if parsed is not None else "(default)"
        if keepalive is not None and (keepalive[0] <= 0 or keepalive[1] < 1):
            raise ValueError(f"keepalive needs interval > 0 and count >= 1, got {keepalive!r}")
        hostname = (parsed.host if parsed is not None else None) or "localhost"
        if parsed is not None and parsed.transport in ("ssh", "ext"):
            io: SocketIO = _open_child(parsed, hostname, readonly)
            secure = parsed.transport == "ssh"
            sock = io.sock
        elif parsed is not None and parsed.transport == "tls":
            io = _open_tls(parsed, hostname, timeout)
            secure = True
            sock = io.sock
        elif parsed is not None and parsed.transport == "tcp":
            port = parsed.port if parsed.port is not None else DEFAULT_TCP_PORT
            try:
                sock = connect_tcp(hostname, port, timeout)
            except ConnectError as exc:
                raise ConnectError(f"{exc} (URI {shown})") from exc
            io = SocketIO(sock, f"{hostname}:{port}", can_pass_fds=False)
            secure = False
        else:
            try:
                sock = connect_unix(endpoint, timeout)
            except ConnectError as exc:
                error = ConnectError(
                    f"cannot connect to libvirt socket {endpoint} (URI {shown}): "
                    f"{exc.__cause__.strerror if isinstance(exc.__cause__, OSError) else exc}"
                )
                error.errno = exc.errno
                raise error from exc
            io = SocketIO(sock, endpoint, can_pass_fds=True)
            secure = True
        super().__init__(io, keepalive=keepalive)
        self._uri = parsed
        self.readonly = readonly
        # The handshake runs alone on this thread: a socket timeout bounds it.
        sock.settimeout(timeout)
        try:
            self._open_session(name, parsed, hostname, secure, credentials)
        except BaseException as exc:
            cause = self._error.__cause__ if self._error is not None else None
            self.abort()
            if isinstance(cause, TimeoutError) or isinstance(exc, TimeoutError):
                raise ConnectError(f"handshake with {endpoint} timed out (URI {shown})") from None
            if isinstance(exc, ConnectionLost):
                raise ConnectError(
                    f"daemon at {endpoint} dropped the connection during the handshake "
                    f"(URI {shown}): {exc}"
                ) from exc
            raise
        sock.settimeout(None)
        self.start_watcher()

    # ----------------------------------------------------------- the session
    def _open_session(
        self,
        remote_name: str,
        uri: LibvirtURI | None,
        hostname: str,
        secure: bool,
        credentials: CredentialCallback | None,
    ) -> None:
        """Authenticate (the asyncio client's exchange, run to completion on
        this thread), then the handshake of :meth:`Client._handshake`."""
        _run_now(
            authenticate(
                _AsyncView(self),
                target=uri.raw if uri is not None else "(default)",
                hostname=hostname,
                secure=secure,
                auth=uri.param("auth") if uri is not None else None,
                auth_file=uri.param("authfile") if uri is not None else None,
                credentials=_synchronous(credentials) if credentials is not None else None,
            )
        )
        if self.keepalive is not None:
            # Asking is what makes libvirtd start its own keepalive for us.
            self.server_keepalive = self._supports_feature(FEATURE_PROGRAM_KEEPALIVE)
        self.connect_open(name=remote_name, flags=VIR_CONNECT_RO if self.readonly else 0)
        if uri is None:
            self.probed_uri = self.connect_get_uri()
        self.server_event_callbacks = self._supports_feature(FEATURE_REMOTE_EVENT_CALLBACK)
        self.server_close_callback = self._supports_feature(FEATURE_REMOTE_CLOSE_CALLBACK)

    # --------------------------------------------------------- call, subscribe
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
        """Low-level call (see :meth:`virtrpc.client.client.RpcClient.call`);
        ``timeout`` (seconds) abandons the call with ``TimeoutError``."""
        prog_number, proc_obj, proc_number = resolve_procedure(program, version, procedure)
        raw = isinstance(args, (bytes, bytearray, memoryview))
        if proc_obj is not None and proc_obj.stream is not None:
            raise InvalidArguments(f"{proc_obj.name} opens a stream: call the typed method instead")
        if raw:
            payload = bytes(args)
        elif proc_obj is None:
            raise InvalidArguments(
                f"procedure {procedure} of program {program} is unknown: pass args as bytes"
            )
        else:
            payload = _encode_args(proc_obj, args)
        deadline = None if timeout is None else _monotonic() + timeout
        result = self._roundtrip(prog_number, version, proc_number, payload, fds, True, deadline)
        if type(result) is bytes:
            result = Reply(reply_header(prog_number, version, proc_number), result, [])
        if type(result) is not Reply:
            raise _reply_error(result, proc_obj)
        if raw or proc_obj is None or proc_obj.ret is None:
            return CallResult(result.payload if raw else None, result.take_fds())
        try:
            value = proc_obj.ret.unpack(result.payload)
        except Exception as exc:
            result.close_fds()
            raise ProtocolError(f"undecodable reply to {proc_obj.name}: {exc}") from exc
        return CallResult(value, result.take_fds())

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
        qemu_flags: int = 0,
    ) -> SyncSubscription:
        """Register for events (as :meth:`virtrpc.client.client.Client.subscribe`);
        ``callback`` runs on the connection's watcher thread."""
        family = EventFamily(family)
        if family is EventFamily.CONNECTION:
            sub = SyncSubscription(self, family, 0, None, callback)
            if not self._close_subscriptions and self.server_close_callback:
                self._call_by_name("remote", "connect_register_close_callback", None)
            self._close_subscriptions.append(sub)
            return sub
        rules = FAMILIES[family]
        if isinstance(event, str):
            try:
                event_id = rules.event_ids[event]
            except KeyError:
                raise InvalidValue(
                    f"unknown {family.value} event {event!r} (known: {', '.join(rules.event_ids)})"
                ) from None
        else:
            event_id = event
        program = program_by_name(rules.program)
        assert program is not None
        register = program.by_name[rules.register]
        assert register.args_class is not None
        if family is EventFamily.QEMU_MONITOR:
            args = register.args_class(dom=target, event=qemu_event, flags=qemu_flags)
        else:
            assert rules.target_field is not None
            args = register.args_class(eventID=event_id, **{rules.target_field: target})
        # Registered under the token's protection from delivery: events for
        # the new callback id are only delivered by the watcher, after this.
        callback_id = self._call_procedure(register, args)
        sub = SyncSubscription(self, family, event_id, callback_id, callback)
        self._subscriptions[(family, callback_id)] = sub
        return sub

    def _supports_feature(self, feature: int) -> bool:
        # libvirt's client treats a failed feature query as "not supported".
        try:
            return bool(self.connect_supports_feature(feature=feature))
        except LibvirtError:
            return False

    def _goodbye(self, timeout: float) -> None:
        self.call("remote", 1, "connect_close", None, timeout=timeout)

    # ------------------------------------------------------------------ state
    @property
    def uri(self) -> LibvirtURI | None:
        return self._uri

    @property
    def transport(self) -> SocketIO:
        """The blocking I/O the connection runs on: a :class:`SocketIO` (unix
        or TCP socket), a :class:`ChildIO` (``ext``/``ssh`` child process) or
        a :class:`TlsIO`; read-only, as the asyncio client's ``transport``."""
        return self._io

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
        state = "open" if self.is_open else f"closed ({self.close_reason})"
        shown = self._uri.raw if self._uri is not None else "(default)"
        return f"<virtrpc.sync.SyncClient {shown} via {self.socket_path} {state}>"


class _Ready:
    """An awaitable that is already done (no suspension)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # a generator that never suspends


class _AsyncView(RemoteAsyncCalls[Stream]):
    """The asyncio client's call methods over a blocking client, for the
    transport-independent session code written against them
    (:func:`virtrpc.auth.exchange.authenticate`)."""

    __slots__ = ("_client",)

    def __init__(self, client: SyncClient) -> None:
        self._client = client

    def _call_procedure(
        self, proc: Procedure, args: Any, fds: Sequence[int] = ()
    ) -> Awaitable[Any]:
        return _Ready(self._client._call_procedure(proc, args, fds))


def _run_now(coro: Any) -> Any:
    """Run a coroutine that never suspends (every await it makes is a
    :class:`_Ready`) on this thread; its result."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("session set-up suspended outside an event loop")


def _synchronous(callback: CredentialCallback) -> CredentialCallback:
    """A credential callback that is done when it returns: an async one is
    run to completion on a private event loop in a helper thread."""

    def answer(requests: Sequence[CredentialRequest]) -> None:
        outcome = callback(requests)
        if inspect.isawaitable(outcome):
            _await_in_thread(outcome)

    return answer


def _await_in_thread(awaitable: Awaitable[Any]) -> None:
    failure: list[BaseException] = []

    async def wait() -> None:
        await awaitable

    def run() -> None:
        try:
            asyncio.run(wait())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="virtrpc-credentials")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def connect(
    uri: str | LibvirtURI | None = None,
    *,
    readonly: bool = False,
    keepalive: tuple[float, int] | None = DEFAULT_KEEPALIVE,
    timeout: float | None = 30.0,
    credentials: CredentialCallback | None = None,
) -> SyncClient:
    """Open a blocking connection (use it as ``with virtrpc.sync.connect(uri) as c``).

    Same options as :func:`virtrpc.connect`; a ``credentials`` callback runs
    in the connecting thread (an async one on a helper thread's loop)."""
    return SyncClient(
        uri, readonly=readonly, keepalive=keepalive, timeout=timeout, credentials=credentials
    )
