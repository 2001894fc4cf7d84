"""``test:///`` URIs in-process, as libvirt.so opens them.

libvirt's test driver lives in the C library: ``libvirt.open("test:///default")``
(no ``+transport``, no host) never reaches a daemon, and a node file with an
``<auth>`` block (``test:///path/node.xml``) is checked in the opening
process, through the ``openAuth`` callback: the user name, then (if the user
has one) the password, compared with the file.  virtrpc does the same with
its own test hypervisor: one server per process, started on first use on a
thread of its own, listening on a Unix socket in a private (0700)
directory; ``test:///default`` is shared by the process's connections and
starts afresh once the last one closes, a node file is read for each
connection (libvirt's rules).  The credentials are asked here, worded and
failing as libvirt's ``virAuthGetUsername``/``virAuthGetPassword`` and
``testConnectAuthenticate``; the server then opens the file without asking.
"""

from __future__ import annotations

import inspect
import os
import threading
import urllib.parse
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from virtrpc.libvirt import _runtime as _rt

__all__ = ["authenticate", "authenticate_async", "is_local", "route"]

VIR_CRED_AUTHNAME = 2
VIR_CRED_PASSPHRASE = 5
VIR_CRED_NOECHOPROMPT = 7
VIR_ERR_AUTH_FAILED = 45
VIR_FROM_TEST = 12
VIR_FROM_AUTH = 46
HOSTNAME = "localhost"  # libvirt's test driver asks "for localhost"

_T = TypeVar("_T")


def is_local(name: str | None) -> bool:
    """Whether libvirt.so would open ``name`` itself: ``test:///...``."""
    if name is None or not name.startswith("test:"):
        return False
    parts = urllib.parse.urlsplit(name)
    return parts.scheme == "test" and not parts.netloc


def _node_file(name: str) -> str | None:
    path = urllib.parse.unquote(urllib.parse.urlsplit(name).path)
    return None if path in ("", "/", "/default") else path


def _auth_users(path: str) -> dict[str, str | None]:
    """The users of the file's ``<auth>`` block (none for a file that cannot
    be read: the server reports that, as libvirt does, when it opens it)."""
    import xml.etree.ElementTree as ET  # only for node files: keep the import of virtrpc.libvirt light

    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return {}
    users: dict[str, str | None] = {}
    for auth in root.findall("auth"):
        for user in auth.findall("user"):
            users.setdefault((user.text or "").strip(), user.get("password"))
    return users


def _auth_failed(message: str, domain: int = VIR_FROM_AUTH) -> _rt.libvirtError:
    return _rt.raise_error(VIR_ERR_AUTH_FAILED, domain, f"authentication failed: {message}",
                           "virConnectOpenAuth")


def _unknown() -> _rt.libvirtError:
    return _rt.raise_error(_rt.VIR_ERR_INTERNAL_ERROR, _rt.VIR_FROM_NONE,
                           "An error occurred, but the cause is unknown", "virConnectOpenAuth")


async def authenticate_async(name: str | None, auth: Sequence[Any] | None,
                             awaitable_ok: bool = True) -> None:
    """Ask ``auth = [credtypes, callback, opaque]`` (None: ``open()``) for the
    credentials a local node file wants; the callback may be a coroutine
    function if ``awaitable_ok`` (the asyncio twin)."""
    if not is_local(name):
        return
    assert name is not None
    path = _node_file(name)
    users = _auth_users(path) if path is not None else {}
    if not users:
        return
    if auth is None:
        raise _rt.raise_error(_rt.VIR_ERR_INVALID_ARG, VIR_FROM_AUTH,
                              "invalid argument: Missing authentication credentials",
                              "virConnectOpen")
    credtypes, callback, opaque = auth
    offered = [int(t) for t in credtypes]

    async def ask(kind: int, prompt: str, refusal: str) -> str | None:
        cred: list[Any] = [kind, prompt, HOSTNAME, None, None]
        result = callback([cred], opaque)
        if inspect.isawaitable(result):
            if not awaitable_ok:
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: no "never awaited" warning
                raise TypeError("openAuth's callback returned an awaitable: use"
                                " virtrpc.libvirt.aio")
            result = await result
        if result < 0:
            raise _auth_failed(refusal)
        return None if cred[4] is None else str(cred[4])

    if VIR_CRED_AUTHNAME not in offered:
        raise _auth_failed("Missing VIR_CRED_AUTHNAME credential type")
    username = await ask(VIR_CRED_AUTHNAME, f"Enter username for {HOSTNAME}",
                         "Username request failed")
    if username is None:
        raise _unknown()
    password: str | None = None
    # an unknown user is asked for a password all the same
    if username not in users or users[username] is not None:
        kind = next((t for t in offered if t in (VIR_CRED_PASSPHRASE, VIR_CRED_NOECHOPROMPT)),
                    None)
        if kind is None:
            raise _auth_failed("Missing VIR_CRED_PASSPHRASE or VIR_CRED_NOECHOPROMPT"
                               " credential type")
        password = await ask(kind, f"Enter {username}'s password for {HOSTNAME}",
                             "Password request failed")
        if password is None:
            raise _unknown()
    if username not in users or (password is not None and users[username] != password):
        raise _auth_failed("authentication failed, see test XML for the correct"
                           " username/password", VIR_FROM_TEST)


def _run_without_loop(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine that never waits (a blocking callback's dance)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: _T = done.value
        return result
    coroutine.close()
    raise RuntimeError("the credential dance waited without an event loop")


def authenticate(name: str | None, auth: Sequence[Any] | None) -> None:
    """:func:`authenticate_async` for a blocking callback."""
    _run_without_loop(authenticate_async(name, auth, awaitable_ok=False))


# -- the process's test hypervisor ---------------------------------------------

_lock = threading.Lock()
_socket_path: str | None = None


def _serve(path: str, ready: threading.Event, failure: list[BaseException]) -> None:
    import asyncio

    from virtrpc.server import Server
    from virtrpc.testdriver.driver import TestDriver, hypervisor_services
    from virtrpc.testdriver.model import Hypervisor
    from virtrpc.testdriver.nodefile import NodeFacts, load_node_file

    def load_checked(node: str) -> Hypervisor:
        hv = load_node_file(node)
        hv.kind_state(NodeFacts).auth_users = []  # asked in the opening process (above)
        return hv

    async def main() -> None:
        server = Server()
        driver = TestDriver(reset_when_unused=True)
        driver.node_loader = load_checked
        server.add_program(driver.service())
        for service in hypervisor_services():
            server.add_program(service)
        server.on_client_closed(driver.client_closed)
        await server.listen_unix(path)
        ready.set()
        await asyncio.Event().wait()  # for the life of the process

    try:
        asyncio.run(main())
    except BaseException as e:  # pragma: no cover - reported to the opener
        failure.append(e)
        ready.set()


def _local_socket() -> str:
    import atexit
    import shutil
    import tempfile

    global _socket_path
    with _lock:
        if _socket_path is None:
            folder = tempfile.mkdtemp(prefix="virtrpc-test-driver-")  # mode 0700
            atexit.register(shutil.rmtree, folder, True)
            path = os.path.join(folder, "sock")
            ready = threading.Event()
            failure: list[BaseException] = []
            threading.Thread(target=_serve, args=(path, ready, failure), daemon=True,
                             name="virtrpc test:/// driver").start()
            ready.wait()
            if failure:
                raise failure[0]
            _socket_path = path
        return _socket_path


def route(name: str | None) -> str | None:
    """The URI to connect to for ``name``: the process's own test hypervisor
    for ``test:///...``, ``name`` itself otherwise."""
    if not is_local(name):
        return name
    assert name is not None
    parts = urllib.parse.urlsplit(name)
    query = urllib.parse.urlencode({"socket": _local_socket()})
    return f"test+unix://{parts.path or '/'}?{query}"

