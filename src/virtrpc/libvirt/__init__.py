"""libvirt-python's API on virtrpc: ``import virtrpc.libvirt as libvirt``.

The same module functions, classes, methods and ``VIR_*`` constants as
libvirt-python 9.0, with the same return shapes and errors, over virtrpc's
pure-Python client (no C library).  The classes are generated from
libvirt-api.xml (``python -m virtrpc.apigen``); see docs/compat.md.

``virtrpc run script.py`` runs an unchanged libvirt-python program with
``import libvirt`` resolving here.
"""

from __future__ import annotations

# Only libvirt-python's names may be public here: programs and the API
# coverage test look at everything in dir(libvirt), so helpers get a "_".
from collections.abc import Callable as _Callable
from collections.abc import Sequence as _Sequence
from typing import Any as _Any
from typing import TypeVar as _TypeVar

from virtrpc.auth.credentials import CredentialRequest as _CredentialRequest
from virtrpc.errors import ConnectError as _ConnectError
from virtrpc.errors import VirtrpcError as _VirtrpcError
from virtrpc.libvirt import _events, _local, _runtime
from virtrpc.libvirt import constants as _constants
from virtrpc.libvirt._classes import (
    virConnect,
    virDomain,
    virDomainCheckpoint,
    virDomainSnapshot,
    virInterface,
    virNetwork,
    virNetworkPort,
    virNodeDevice,
    virNWFilter,
    virNWFilterBinding,
    virSecret,
    virStoragePool,
    virStorageVol,
    virStream,
)
from virtrpc.libvirt._runtime import ErrorTuple as _ErrorTuple
from virtrpc.libvirt._runtime import libvirtError, virGetLastError, virResetLastError
from virtrpc.libvirt.constants import *  # noqa: F403 - libvirt-python's namespace
from virtrpc.sync import SyncClient as _SyncClient

__all__ = [
    "getVersion", "libvirtError", "open", "openAuth", "openReadOnly", "registerErrorHandler",
    "virConnect", "virDomain", "virDomainCheckpoint", "virDomainSnapshot", "virGetLastError",
    "virGetLastErrorCode", "virGetLastErrorDomain", "virGetLastErrorMessage", "virInitialize",
    "virInterface", "virNWFilter", "virNWFilterBinding", "virNetwork", "virNetworkPort",
    "virNodeDevice", "virResetLastError", "virSecret", "virStoragePool", "virStorageVol",
    "virStream",
]
__all__ += _constants.__all__

# Type aliases libvirt-python defines; code written for it (libvirt-python's
# own test helpers) uses them in annotations.
_T = _TypeVar("_T")
_EventCB = _Callable[[int, int, int, _Any], None]
_EventAddHandleFunc = _Callable[[int, int, _EventCB, _Any], int]
_TimerCB = _Callable[[int, _Any], None]
_EventAddTimeoutFunc = _Callable[[int, _TimerCB, _Any], int]

# The public classes say they come from here (tracebacks, reprs, pickles).
for _cls in (virConnect, virDomain, virDomainCheckpoint, virDomainSnapshot, virInterface,
             virNetwork, virNetworkPort, virNodeDevice, virNWFilter, virNWFilterBinding,
             virSecret, virStoragePool, virStorageVol, virStream, libvirtError):
    _cls.__module__ = __name__
del _cls

#: The libvirt API version this module implements (libvirt-python 9.0.0).
_API_VERSION = 9000000

def _connect(name: str | None, readonly: bool, credentials: _Any | None = None,
             auth: _Sequence[_Any] | None = None) -> virConnect:
    if name is not None and not isinstance(name, str):
        raise TypeError("the URI must be a str or None")  # libvirt-python's "z" argument
    _local.authenticate(name, auth)  # test:///... is opened in-process, as libvirt.so does
    try:
        client = _SyncClient(_local.route(name), readonly=readonly, credentials=credentials)
    except libvirtError:
        raise
    except _ConnectError as e:
        raise _runtime.connect_failure(name, readonly, e) from None
    except _VirtrpcError as e:
        raise _runtime.translate(e, "virConnectOpen") from None
    return virConnect(client, name)


def open(name: str | None = None) -> virConnect:
    """Open a read-write connection to the hypervisor at ``name`` (a libvirt URI)."""
    return _connect(name, False)


def openReadOnly(name: str | None = None) -> virConnect:
    """Open a read-only connection."""
    return _connect(name, True)


def openAuth(uri: str | None, auth: _Sequence[_Any], flags: int = 0) -> virConnect:
    """Open a connection, asking ``auth = [credtypes, callback, opaque]`` for
    credentials: ``callback(creds, opaque)`` gets one ``[type, prompt,
    challenge, defresult, result]`` list per credential, fills in ``result``
    and returns 0 (or -1 to refuse)."""
    if not isinstance(auth, (list, tuple)) or len(auth) != 3:
        raise TypeError("auth must be a list [credtypes, callback, opaque]")
    credtypes, callback, opaque = auth
    wanted = {int(t) for t in credtypes}

    def credentials(requests: _Sequence[_CredentialRequest]) -> None:
        asked = [r for r in requests if int(r.type) in wanted]
        if not asked or callback is None:
            return
        creds = [[int(r.type), r.prompt, r.challenge, r.default, None] for r in asked]
        if callback(creds, opaque) < 0:
            raise _runtime.raise_error(45, 13, "authentication failed: callback refused")
        for request, cred in zip(asked, creds, strict=True):
            if cred[4] is not None:
                request.result = str(cred[4])

    readonly = bool(flags & 1)  # VIR_CONNECT_RO
    return _connect(uri, readonly, credentials, auth)


def getVersion(name: str | None = None) -> int | tuple[int, int]:
    """The libvirt version this API corresponds to; with a driver ``name``,
    ``(library version, driver version)``: libvirt 9.0's virGetVersion gives
    its own version for every name, without a connection."""
    if name is None:
        return _API_VERSION
    if not isinstance(name, str):
        raise TypeError("the driver name must be a str or None")
    return (_API_VERSION, _API_VERSION)


def registerErrorHandler(f: _Callable[[_Any, _ErrorTuple], object] | None, ctx: _Any) -> int:
    """Call ``f(ctx, err)`` for each error instead of printing it on stderr."""
    if f is not None and not callable(f):
        raise TypeError("error handler must be callable")
    _runtime.set_handler(f, ctx)
    return 1


def virGetLastErrorCode() -> int:
    err = virGetLastError()
    return 0 if err is None else err[0]


def virGetLastErrorDomain() -> int:
    err = virGetLastError()
    return 0 if err is None else err[1]


def virGetLastErrorMessage() -> str:
    err = virGetLastError()
    return "no error" if err is None or err[2] is None else err[2]


def virInitialize() -> int:
    """Nothing to initialise: kept for programs that call it."""
    return 0


# --- event loop -------------------------------------------------------------
# (virtrpc/libvirt/_events.py: callbacks run in the loop registered here)


def virEventRegisterDefaultImpl() -> int:
    """Register the default event loop; run it with :func:`virEventRunDefaultImpl`."""
    return _events.register_default_impl()


def virEventRunDefaultImpl() -> int:
    """Run one iteration of the default event loop (blocks until something happens)."""
    return _events.run_default_impl()


def virEventRegisterImpl(addHandle: _Callable[..., int], updateHandle: _Callable[..., _Any],
                         removeHandle: _Callable[..., _Any], addTimeout: _Callable[..., int],
                         updateTimeout: _Callable[..., _Any],
                         removeTimeout: _Callable[..., _Any]) -> None:
    """Register an event loop implementation of your own (libvirtaio does)."""
    _events.register_impl(addHandle, updateHandle, removeHandle, addTimeout, updateTimeout,
                          removeTimeout)


def virEventAddHandle(fd: int, events: int, cb: _EventCB, opaque: _Any) -> int:
    """Watch ``fd`` in the registered loop: ``cb(watch, fd, events, opaque)``."""
    return int(_events.current_impl("virEventAddHandle").add_handle(fd, events, cb, opaque))


def virEventUpdateHandle(watch: int, events: int) -> None:
    _events.current_impl("virEventUpdateHandle").update_handle(watch, events)


def virEventRemoveHandle(watch: int) -> int:
    result = _events.current_impl("virEventRemoveHandle").remove_handle(watch)
    return int(result or 0)


def virEventAddTimeout(timeout: int, cb: _TimerCB, opaque: _Any) -> int:
    """Call ``cb(timer, opaque)`` every ``timeout`` ms (-1: disabled, 0: each iteration)."""
    return int(_events.current_impl("virEventAddTimeout").add_timeout(timeout, cb, opaque))


def virEventUpdateTimeout(timer: int, timeout: int) -> None:
    _events.current_impl("virEventUpdateTimeout").update_timeout(timer, timeout)


def virEventRemoveTimeout(timer: int) -> int:
    result = _events.current_impl("virEventRemoveTimeout").remove_timeout(timer)
    return int(result or 0)


def virEventInvokeFreeCallback(opaque: _Any) -> None:
    """Event implementations call this on removal; virtrpc has nothing to free."""


from virtrpc.libvirt import libvirtmod as libvirtmod  # noqa: E402 - needs the names above
