"""The asyncio twin of :mod:`virtrpc.libvirt`: the same classes and methods as
coroutines, on virtrpc's asyncio client.

::

    import virtrpc.libvirt.aio as libvirt

    conn = await libvirt.open("qemu:///system")
    dom = await conn.lookupByName("vm1")
    state, maxmem, mem, vcpus, cputime = await dom.info()
    await conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, None)

Every method of the blocking API is a coroutine here, but for the ones that
only follow references between objects (``connect()``, ``domain()``,
``network()``, ``c_pointer()``).  Event callbacks run on the running loop and
may be coroutines.  Errors, constants and shapes are the blocking API's.
"""

from __future__ import annotations

import asyncio as _asyncio
from collections.abc import Sequence as _Sequence
from typing import Any as _Any

from virtrpc.auth.credentials import CredentialRequest as _CredentialRequest
from virtrpc.client.client import connect as _client_connect
from virtrpc.errors import ConnectError as _ConnectError
from virtrpc.errors import VirtrpcError as _VirtrpcError
from virtrpc.libvirt import (
    _local,
    _runtime,
    libvirtError,
    registerErrorHandler,
    virGetLastError,
    virGetLastErrorCode,
    virGetLastErrorDomain,
    virGetLastErrorMessage,
    virResetLastError,
)
from virtrpc.libvirt import constants as _constants
from virtrpc.libvirt.aio._classes import (
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
from virtrpc.libvirt.constants import *  # noqa: F403 - libvirt-python's namespace

__all__ = [
    "libvirtError", "open", "openAuth", "openReadOnly", "registerErrorHandler", "virConnect",
    "virDomain", "virDomainCheckpoint", "virDomainSnapshot", "virGetLastError",
    "virGetLastErrorCode", "virGetLastErrorDomain", "virGetLastErrorMessage", "virInterface",
    "virNWFilter", "virNWFilterBinding", "virNetwork", "virNetworkPort", "virNodeDevice",
    "virResetLastError", "virSecret", "virStoragePool", "virStorageVol", "virStream",
]
__all__ += _constants.__all__


async def _connect(name: str | None, readonly: bool, credentials: _Any | None = None,
                   auth: _Sequence[_Any] | None = None) -> virConnect:
    if _local.is_local(name):  # test:///... is opened in-process, as libvirt.so does
        await _local.authenticate_async(name, auth)
        target = await _asyncio.to_thread(_local.route, name)  # may start its server
    else:
        target = name
    try:
        client = await _client_connect(target, readonly=readonly, credentials=credentials)
    except libvirtError:
        raise
    except _ConnectError as e:
        raise _runtime.connect_failure(name, readonly, e) from None
    except _VirtrpcError as e:
        raise _runtime.translate(e, "virConnectOpen") from None
    return virConnect(client, name)


async def open(name: str | None = None) -> virConnect:
    """Open a read-write connection."""
    return await _connect(name, False)


async def openReadOnly(name: str | None = None) -> virConnect:
    """Open a read-only connection."""
    return await _connect(name, True)


async def openAuth(uri: str | None, auth: _Sequence[_Any], flags: int = 0) -> virConnect:
    """Open a connection with libvirt-python's ``[credtypes, callback, opaque]``
    (the callback may be a coroutine function)."""
    import inspect

    if not isinstance(auth, (list, tuple)) or len(auth) != 3:
        raise TypeError("auth must be a list [credtypes, callback, opaque]")
    credtypes, callback, opaque = auth
    wanted = {int(t) for t in credtypes}

    async def credentials(requests: _Sequence[_CredentialRequest]) -> None:
        asked = [r for r in requests if int(r.type) in wanted]
        if not asked or callback is None:
            return
        creds = [[int(r.type), r.prompt, r.challenge, r.default, None] for r in asked]
        result = callback(creds, opaque)
        if inspect.isawaitable(result):
            result = await result
        if result < 0:
            raise _runtime.raise_error(45, 13, "authentication failed: callback refused")
        for request, cred in zip(asked, creds, strict=True):
            if cred[4] is not None:
                request.result = str(cred[4])

    return await _connect(uri, bool(flags & 1), credentials, auth)
