"""Authentication for libvirt connections: SASL, auth.conf credentials, polkit.

:func:`virtrpc.auth.exchange.authenticate` runs libvirt's authentication
exchange (``REMOTE_PROC_AUTH_LIST`` then SASL or polkit) over an open
connection; :mod:`virtrpc.auth.sasl` holds the pure-Python SASL client
mechanisms (SCRAM-SHA-256, PLAIN) and :mod:`virtrpc.auth.authconf` reads
libvirt's ``auth.conf``.
"""

from __future__ import annotations

from virtrpc.errors import ConnectError

__all__ = ["AuthError"]


class AuthError(ConnectError):
    """Authentication with the daemon failed or cannot be attempted (wrong
    password, no common mechanism, no credentials, a refused security layer).

    The message names the URI (or host) and the cause.
    """
