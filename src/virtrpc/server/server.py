"""The asyncio RPC server: listeners, clients, limits, shutdown.

::

    server = Server(ServerLimits(max_clients=100))
    server.add_program(ProgramService(remote.PROGRAM, handlers))
    await server.listen_unix("/run/my.sock")
    await server.listen_unix("/run/my-ro.sock", readonly=True, mode=0o666)
    await server.serve_forever()          # until server.shutdown() / a signal

Every accepted socket becomes a :class:`~virtrpc.server.connection.ServerConnection`
over a :class:`~virtrpc.transport.unix.SocketTransport` (the same transport
the client uses); :meth:`Server.listen_tls` serves libvirt's ``+tls``
clients over :mod:`virtrpc.transport.tls` sessions.  Limits follow
libvirtd's ``max_clients``, ``max_anonymous_clients``,
``max_client_requests`` and keepalive settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from virtrpc.errors import ConnectError
from virtrpc.rpc.packet import Header
from virtrpc.server.connection import ServerConnection
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault, rpc_error
from virtrpc.server.program import DispatchPlan, ProgramService, not_supported
from virtrpc.transport.unix import SocketTransport

if TYPE_CHECKING:
    from virtrpc.transport.unix import Listener

log = logging.getLogger("virtrpc.server")


@dataclass(frozen=True)
class ServerLimits:
    """Resource limits, with libvirtd's defaults (see libvirtd.conf)."""

    #: Clients connected at once; beyond it the server stops accepting (new
    #: connections wait in the listen backlog) until one leaves.
    max_clients: int = 5000
    #: Clients that have not authenticated yet.  This server only offers auth
    #: "none", so clients are authenticated on connect and this never binds;
    #: it is kept so a program adding authentication can rely on it.
    max_anonymous_clients: int = 20
    #: Calls of one client being processed at once; at the limit the server
    #: stops reading from that client until a reply goes out.
    max_client_requests: int = 5
    #: Seconds of silence before pinging a client that asked for keepalive
    #: (0 disables), and unanswered pings before dropping it.
    keepalive_interval: float = 5.0
    keepalive_count: int = 5
    #: Bytes of unread output (replies, events, stream data) a client may
    #: leave queued before the server drops it as too slow.
    max_output_buffer: int = 64 * 1024 * 1024
    #: Bytes asked for per read of a client socket.  The transport keeps a
    #: buffer this big per connection, so it bounds the memory of idle
    #: clients (1000 clients x 16 KiB); larger messages simply take more reads.
    read_buffer_size: int = 16 * 1024
    #: Seconds :meth:`Server.shutdown` waits for in-flight calls and streams.
    shutdown_timeout: float = 10.0


def _refuse_live_socket(path: str) -> None:
    """Raise :class:`ConnectError` if a server already answers on ``path``
    (replacing its socket file would silently steal its future clients)."""
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            return
    except FileNotFoundError:
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
    except OSError:
        return  # stale socket file
    finally:
        probe.close()
    error = ConnectError(f"cannot listen on unix socket {path!r}: a server is already running there")
    error.errno = errno.EADDRINUSE
    raise error


class _Listener:
    """A listening socket whose accepting can pause (at ``max_clients``)."""

    def __init__(self, server: Server, sock: socket.socket, *, readonly: bool,
                 unlink_path: str | None) -> None:
        self.server = server
        self.sock: socket.socket | None = sock
        self.readonly = readonly
        self.unlink_path = unlink_path
        self.address = sock.getsockname()
        self._loop = asyncio.get_running_loop()
        self._accepting = False
        sock.setblocking(False)
        self.resume()

    def pause(self) -> None:
        if self._accepting and self.sock is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._accepting = False

    def resume(self) -> None:
        if not self._accepting and self.sock is not None:
            self._loop.add_reader(self.sock.fileno(), self._on_accept)
            self._accepting = True

    def _on_accept(self) -> None:
        sock = self.sock
        for _ in range(32):  # bounded: one busy listener must not starve the loop
            if sock is None or not self.server.can_accept():
                return
            try:
                conn, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM,
                                 errno.ECONNABORTED):
                    log.warning("accept failed: %s", exc)
                    return
                raise
            self.server.adopt(conn, readonly=self.readonly, peer=str(address or "unix"))

    def close(self) -> None:
        self.pause()
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()
        if self.unlink_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.unlink_path)


class Server:
    """An RPC server hosting any number of programs (see module docstring)."""

    def __init__(self, limits: ServerLimits | None = None) -> None:
        self.limits = limits or ServerLimits()
        self.clients: set[ServerConnection] = set()
        self._programs: dict[tuple[int, int], ProgramService] = {}
        self._plans: dict[tuple[int, int, int], DispatchPlan] = {}
        self._listeners: list[_Listener] = []
        # Listeners of virtrpc.transport (TLS): they cannot pause accepting,
        # so max_clients is enforced in new_client() instead.
        self._transport_listeners: list[Listener] = []
        self._stopped: asyncio.Event | None = None
        self._shutting_down = False
        self._client_closed_callbacks: list[Callable[[ServerConnection], None]] = []
        self._client_added_callbacks: list[Callable[[ServerConnection], None]] = []
        self._shutdown_callbacks: list[Callable[[], None]] = []

    # -- programs -------------------------------------------------------------

    def add_program(self, service: ProgramService) -> None:
        """Serve ``service`` (replaces a service with the same number and version)."""
        self._programs[(service.number, service.version)] = service
        service.on_change(self._plans.clear)
        self._plans.clear()

    def program_for(self, number: int, version: int) -> ProgramService | None:
        return self._programs.get((number, version))

    def plan_for(self, prog: int, vers: int, proc: int) -> DispatchPlan | None:
        """How to serve a call (None when it must be refused: see
        :meth:`dispatch_error`).  Cached per (program, version, procedure)."""
        key = (prog, vers, proc)
        plan = self._plans.get(key)
        if plan is None:
            service = self._programs.get((prog, vers))
            if service is None:
                return None
            plan = service.plan(proc)
            if plan is None:
                return None
            if len(self._plans) < 65536:  # bounded: procedure numbers come from clients
                self._plans[key] = plan
        return plan

    def dispatch_error(self, header: Header) -> RpcFault:
        """The error libvirtd answers a call it cannot dispatch with."""
        service = self._programs.get((header.prog, header.vers))
        if service is None:
            return rpc_error(f"Cannot find program {header.prog} version {header.vers}")
        procedure = service.procedure(header.proc)
        if procedure is None:
            return rpc_error(f"unknown procedure: {header.proc}")
        return not_supported(procedure.name)

    def on_client_closed(self, callback: Callable[[ServerConnection], None]) -> None:
        """Call ``callback(client)`` when a client disconnects (to drop its state)."""
        self._client_closed_callbacks.append(callback)

    def on_shutdown(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once every client is gone at shutdown (to free resources)."""
        self._shutdown_callbacks.append(callback)

    def on_client_connected(self, callback: Callable[[ServerConnection], None]) -> None:
        """Call ``callback(client)`` for each newly accepted client (from
        :meth:`new_client`: before its transport is attached, so
        ``client.transport`` may still be None)."""
        self._client_added_callbacks.append(callback)

    # -- listening ------------------------------------------------------------

    async def listen_unix(self, path: str, *, readonly: bool = False, mode: int | None = None,
                          backlog: int = 256) -> str:
        """Listen on the Unix socket ``path`` (a stale socket file is replaced).

        ``mode`` sets the file permissions; by default read-write sockets are
        0o600 (owner only) and read-only ones 0o666, like libvirtd's
        ``unix_sock_rw_perms`` / ``unix_sock_ro_perms``.
        """
        if mode is None:
            mode = 0o666 if readonly else 0o600
        _refuse_live_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    os.unlink(path)  # stale: nobody answered on it
            # Create the file with the final permissions: no window in which a
            # read-write socket is reachable by others.
            old_umask = os.umask(0o777 & ~mode)
            try:
                sock.bind(path)
            finally:
                os.umask(old_umask)
            os.chmod(path, mode)
            sock.listen(backlog)
        except OSError as exc:
            sock.close()
            error = ConnectError(f"cannot listen on unix socket {path!r}: {exc.strerror or exc}")
            error.errno = exc.errno
            raise error from exc
        self._listeners.append(_Listener(self, sock, readonly=readonly, unlink_path=path))
        return path

    async def listen_tcp(self, host: str, port: int, *, readonly: bool = False,
                         backlog: int = 256) -> tuple[str, int]:
        """Listen on TCP ``host:port`` (port 0 picks one); returns the bound address.

        Plain TCP has no authentication or encryption: bind it to localhost
        unless the network is trusted.
        """
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        if not infos:
            raise ConnectError(f"cannot resolve {host!r}")
        family, kind, proto, _name, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(backlog)
        except OSError as exc:
            sock.close()
            error = ConnectError(f"cannot listen on tcp {host}:{port}: {exc.strerror or exc}")
            error.errno = exc.errno
            raise error from exc
        listener = _Listener(self, sock, readonly=readonly, unlink_path=None)
        self._listeners.append(listener)
        bound = listener.address
        return str(bound[0]), int(bound[1])

    async def listen_tls(
        self,
        host: str,
        port: int,
        *,
        pkipath: str | None = None,
        allowed_dns: Sequence[str] | None = None,
        verify_client: bool = True,
        readonly: bool = False,
        on_reject: Callable[[str, BaseException], None] | None = None,
        handshake_timeout: float = 30.0,
    ) -> tuple[str, int]:
        """Listen for libvirt TLS clients (``+tls`` URIs) on ``host:port``
        (port 0 picks one); returns the bound address.

        ``pkipath`` is a directory with ``cacert.pem``, ``servercert.pem`` and
        ``serverkey.pem`` (default: libvirt's locations, see
        :func:`virtrpc.transport.pki.locate_credentials`).  As libvirtd with
        its default ``tls_no_verify_certificate = 0``, clients must present a
        certificate signed by the CA (``verify_client=False`` makes it
        optional); ``allowed_dns`` is libvirtd's ``tls_allowed_dn_list``
        (glob patterns matched against the whole DN, e.g.
        ``C=GB,O=Example,CN=*``; None allows every verified client).  Refused
        clients never get a :class:`ServerConnection`; they are logged and
        reported to ``on_reject(peer, error)``.  Raises
        :class:`~virtrpc.transport.tls.TlsError` (a ``ConnectError``) naming
        the file when the credentials cannot be loaded, ``ConnectError`` when
        the address cannot be bound.  The listener closes at :meth:`shutdown`.
        """
        from virtrpc.transport.tls import start_tls_server  # ssl only when TLS is used

        def new_tls_client() -> ServerConnection:
            return self.new_client(readonly=readonly, peer="tls")

        def rejected(peer: str, error: BaseException) -> None:
            log.warning("TLS client %s refused: %s", peer, error)
            if on_reject is not None:
                on_reject(peer, error)

        listener = await start_tls_server(
            host, port, new_tls_client,
            pkipath=pkipath,
            allowed_dns=list(allowed_dns) if allowed_dns is not None else None,
            verify_client=verify_client,
            on_reject=rejected,
            handshake_timeout=handshake_timeout,
            read_size=self.limits.read_buffer_size,
        )
        sock = listener.socket
        assert sock is not None  # just opened
        bound = sock.getsockname()
        self._transport_listeners.append(listener)
        return str(bound[0]), int(bound[1])

    def can_accept(self) -> bool:
        if self._shutting_down:
            return False
        if len(self.clients) >= self.limits.max_clients:
            for listener in self._listeners:
                listener.pause()
            return False
        return True

    def new_client(self, *, readonly: bool, peer: str) -> ServerConnection:
        """Register a client for a connection that some transport will attach
        (by calling ``connection_made`` on the returned client).

        This is what every listener does per connection: :meth:`adopt` for
        sockets the server accepted itself, and the factory of
        :meth:`listen_tls` for verified TLS sessions.  It enforces
        ``limits.max_clients`` and refuses clients during shutdown (both with
        :class:`~virtrpc.errors.ConnectError`, the caller then drops the
        connection), adds the client to :attr:`clients` and runs the
        :meth:`on_client_connected` callbacks.  ``peer`` labels the client in
        logs.
        """
        if self._shutting_down:
            raise ConnectError(f"refusing client {peer}: the server is shutting down")
        if len(self.clients) >= self.limits.max_clients:
            raise ConnectError(
                f"refusing client {peer}: {self.limits.max_clients} clients "
                "connected already (max_clients)")
        client = ServerConnection(self, readonly=readonly, peer=peer)
        self.clients.add(client)
        try:
            for callback in self._client_added_callbacks:
                callback(client)
        except BaseException:
            # Unregisters it and lets the client-closed callbacks undo what
            # the earlier client-added callbacks did.
            client.close(immediately=True)
            raise
        return client

    def adopt(self, conn: socket.socket, *, readonly: bool, peer: str) -> ServerConnection:
        """Serve an already connected socket (the server owns it from now on)."""
        try:
            if conn.family != socket.AF_UNIX:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = self.new_client(readonly=readonly, peer=peer)
        except BaseException:
            conn.close()
            raise
        try:
            SocketTransport(conn, client, read_size=self.limits.read_buffer_size)
        except BaseException:
            conn.close()
            client.close(immediately=True)
            raise
        return client

    def client_closed(self, client: ServerConnection) -> None:
        """Called by a client once its connection is gone."""
        self.clients.discard(client)
        for callback in self._client_closed_callbacks:
            try:
                callback(client)
            except Exception:
                log.exception("client-closed callback failed")
        if not self._shutting_down and len(self.clients) < self.limits.max_clients:
            for listener in self._listeners:
                listener.resume()

    # -- running ----------------------------------------------------------------

    async def serve_forever(self, *, handle_signals: bool = False) -> None:
        """Run until :meth:`shutdown` is called (or SIGINT/SIGTERM with
        ``handle_signals``), then shut down gracefully."""
        loop = asyncio.get_running_loop()
        if self._stopped is None:
            self._stopped = asyncio.Event()
        installed: list[signal.Signals] = []
        if handle_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signum, self.request_shutdown)
                    installed.append(signum)
        try:
            await self._stopped.wait()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            await self.shutdown()

    def request_shutdown(self) -> None:
        """Ask :meth:`serve_forever` to stop (safe from a signal handler)."""
        if self._stopped is None:
            self._stopped = asyncio.Event()
        self._stopped.set()

    async def shutdown(self) -> None:
        """Stop accepting and reading, let in-flight calls finish and answer
        (up to ``limits.shutdown_timeout``), end open streams with an error,
        then close every client (flushing its output) and run the
        :meth:`on_shutdown` callbacks."""
        if self._shutting_down and not self.clients:
            return
        self._shutting_down = True
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()
        for transport_listener in self._transport_listeners:
            transport_listener.close()
        self._transport_listeners.clear()
        clients = list(self.clients)
        for client in clients:
            client.pause_reading(self)
        waits = [asyncio.ensure_future(client.wait_calls()) for client in clients]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=self.limits.shutdown_timeout)
            for future in pending:
                future.cancel()
        ending = RpcFault(ErrorCode.OPERATION_ABORTED, ErrorDomain.RPC,
                          "operation aborted: the server is shutting down")
        await asyncio.gather(*(client.end_streams(ending) for client in clients))
        for client in clients:
            client.close()
        closing = [client.closed for client in clients]
        if closing:
            await asyncio.wait(closing, timeout=self.limits.shutdown_timeout)
        for client in list(self.clients):
            client.close(immediately=True)
        for callback in self._shutdown_callbacks:
            try:
                callback()
            except Exception:
                log.exception("shutdown callback failed")
        self._shutdown_callbacks.clear()
        if self._stopped is not None:
            self._stopped.set()

    @property
    def addresses(self) -> list[str]:
        """Where the server listens (paths and host:port strings)."""
        result = []
        for listener in self._listeners:
            address = listener.address
            result.append(address if isinstance(address, str) else f"{address[0]}:{address[1]}")
        for transport_listener in self._transport_listeners:
            sock = transport_listener.socket
            if sock is not None:
                host, port = sock.getsockname()[:2]
                result.append(f"{host}:{port}")
        return result
