"""Errors a server handler raises to send a libvirt error reply.

A handler reports failure by raising :class:`RpcFault`; the framework encodes
it as a ``remote_error`` / ``virNetMessageError`` payload with status ERROR,
exactly like libvirtd does, and the connection goes on.  Any other exception
escaping a handler is reported as ``VIR_ERR_INTERNAL_ERROR`` (and logged), so a
handler bug never kills the connection or the server.
"""

from __future__ import annotations

from enum import IntEnum

from virtrpc.errors import LibvirtError


class ErrorCode(IntEnum):
    """The ``virErrorNumber`` values the framework and the test driver use."""

    INTERNAL_ERROR = 1
    NO_SUPPORT = 3
    NO_CONNECT = 5
    INVALID_ARG = 8
    OPERATION_FAILED = 9
    XML_ERROR = 27
    DOM_EXIST = 28
    OPERATION_DENIED = 29
    XML_DETAIL = 35
    RPC = 39
    NO_DOMAIN = 42
    NO_NETWORK = 43
    NO_STORAGE_POOL = 49
    NO_STORAGE_VOL = 50
    OPERATION_INVALID = 55
    ARGUMENT_UNSUPPORTED = 74
    NO_DOMAIN_METADATA = 80
    OPERATION_UNSUPPORTED = 84
    OPERATION_ABORTED = 78


class ErrorDomain(IntEnum):
    """The ``virErrorDomain`` values (where an error comes from)."""

    NONE = 0
    RPC = 7
    TEST = 12
    REMOTE = 13
    STORAGE = 18
    NETWORK = 19
    DOMAIN = 20


#: ``virErrorLevel``: libvirtd sends every error with level ERROR.
ERROR_LEVEL = 2


class RpcFault(LibvirtError):
    """A failure to report to the client as a libvirt error reply: the one
    libvirt error type (:class:`virtrpc.errors.LibvirtError`, whose
    ``to_wire`` encodes the reply) with the server's constructor.

    ``message`` is the full text the client shows (libvirt formats the
    prefix such as ``"internal error: "`` on the server side, so handlers
    pass the final text).  ``str1`` .. ``int2`` are the optional extra fields
    of ``remote_error``.  ``str()`` is the message alone, as before the fold.
    """

    def __init__(
        self,
        code: int,
        domain: int,
        message: str,
        *,
        str1: str | None = None,
        str2: str | None = None,
        str3: str | None = None,
        int1: int = 0,
        int2: int = 0,
    ) -> None:
        super().__init__(
            message,
            code=int(code),
            domain=int(domain),
            level=ERROR_LEVEL,
            str1=str1,
            str2=str2,
            str3=str3,
            int1=int1,
            int2=int2,
        )
        self.message: str = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"RpcFault(code={self.code}, domain={self.domain}, message={self.message!r})"


def rpc_error(message: str) -> RpcFault:
    """An RPC-level error worded as libvirtd's ``VIR_FROM_RPC`` errors."""
    return RpcFault(ErrorCode.RPC, ErrorDomain.RPC, message)
