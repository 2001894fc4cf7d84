"""Authentication for libvirt connections: SASL, auth.conf credentials, polkit.

:func:`virtrpc.auth.exchange.authenticate` runs libvirt's authentication
exchange (``REMOTE_PROC_AUTH_LIST`` then SASL or polkit) over an open
connection; :mod:`virtrpc.auth.sasl` holds the pure-Python SASL client
mechanisms (SCRAM-SHA-256, PLAIN) and :mod:`virtrpc.auth.authconf` reads
libvirt's ``auth.conf``.
"""

from __future__ import annotations

from virtrpc.errors import AuthError

__all__ = ["AuthError"]


# AuthError lives in virtrpc.errors with the rest of the hierarchy; this
# module re-exports it for code that imports it from here.
