"""The asyncio libvirt client.

::

    async with virtrpc.connect("test+unix:///default?socket=/tmp/s") as client:
        version = await client.connect_get_lib_version()
        dom = await client.domain_lookup_by_name(name="test")

:func:`connect` opens the socket and performs libvirt's handshake
(``doRemoteOpen`` in libvirt's ``remote_driver.c``):

1. ``REMOTE_PROC_AUTH_LIST``, then SASL or polkit if the daemon asks for
   them (:func:`virtrpc.auth.exchange.authenticate`);
2. ``connect_supports_feature(VIR_DRV_FEATURE_PROGRAM_KEEPALIVE)`` (only when
   keepalive is enabled: asking is what makes libvirtd start pinging us);
3. ``REMOTE_PROC_CONNECT_OPEN`` with the name libvirt derives from the URI
   (:meth:`~virtrpc.client.uri.LibvirtURI.remote_name`) and ``VIR_CONNECT_RO``
   when read-only;
4. ``connect_supports_feature`` for ``REMOTE_EVENT_CALLBACK`` and
   ``REMOTE_CLOSE_CALLBACK``, as libvirt does.

:meth:`Client.close` sends ``REMOTE_PROC_CONNECT_CLOSE`` and closes the socket.

Every generated method of the remote, qemu and lxc programs is available on
:class:`Client` (from the generated ``*AsyncCalls`` mixins); they all go
through :meth:`Client._call_procedure`.

The client lives in four modules, one job each; this one gathers their
names so that every ``from virtrpc.client.client import ...`` keeps working:

- :mod:`virtrpc.client.waiter`: the reply waiter and the decode plan (the
  fast path's decode half);
- :mod:`virtrpc.client.core`: :class:`RpcClient`, the RPC core on the shared
  endpoint base (:mod:`virtrpc.endpoint`);
- :mod:`virtrpc.client.session`: :class:`Client` (handshake, auth, events);
- :mod:`virtrpc.client.connecting`: :func:`connect`, :func:`connect_socket`,
  :func:`resolve_target`;
- :mod:`virtrpc.client.common`: what both client engines (asyncio and
  blocking) share: :class:`CallResult`, :func:`resolve_procedure`,
  :func:`decode_event_message`, stream packet feeding.
"""

from __future__ import annotations

from virtrpc.client.common import (
    CallResult,
    decode_event_message,
    encode_args,
    resolve_procedure,
)
from virtrpc.client.connecting import (
    ConnectOperation,
    connect,
    connect_socket,
    connect_unix_socket,
    open_client,
    resolve_target,
)
from virtrpc.client.core import DEFAULT_KEEPALIVE, RpcClient
from virtrpc.client.session import (
    FEATURE_PROGRAM_KEEPALIVE,
    FEATURE_REMOTE_CLOSE_CALLBACK,
    FEATURE_REMOTE_EVENT_CALLBACK,
    VIR_CONNECT_RO,
    Client,
)
from virtrpc.client.waiter import (
    CallWaiter,
    Plan,
    ReplyWaiter,
    decode_reply,
    error_from_payload,
    make_plan,
    reply_error,
)

__all__ = [
    "DEFAULT_KEEPALIVE",
    "FEATURE_PROGRAM_KEEPALIVE",
    "FEATURE_REMOTE_CLOSE_CALLBACK",
    "FEATURE_REMOTE_EVENT_CALLBACK",
    "VIR_CONNECT_RO",
    "CallResult",
    "CallWaiter",
    "Client",
    "ConnectOperation",
    "Plan",
    "ReplyWaiter",
    "RpcClient",
    "connect",
    "connect_socket",
    "connect_unix_socket",
    "decode_event_message",
    "resolve_procedure",
    "resolve_target",
]

# The names the blocking engine and the sync facade import from here under
# their former, private spelling (their modules move on their own schedule).
_Plan = Plan
_make_plan = make_plan
_decode_reply = decode_reply
_reply_error = reply_error
_error_from_payload = error_from_payload
_encode_args = encode_args
_open = open_client
