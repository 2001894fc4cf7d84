"""Exception hierarchy shared by every layer of virtrpc.

Every failure virtrpc reports is a subclass of :class:`VirtrpcError`, so
callers can catch one type.  Layers add their own subclasses here (not in
their own modules) so that the hierarchy is visible in one place and so that
low layers never import high ones.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

# The generated virterror tables are a leaf module (they import nothing but
# enum), so the bottom layer may use them.
from virtrpc.protocols.virterror import (
    ErrorDomain,
    ErrorLevel,
    ErrorNumber,
    code_name,
    domain_name,
    level_name,
)

if TYPE_CHECKING:  # for the annotation only: errors.py imports no other layer
    from virtrpc.xdrgen.ast import Location

__all__ = [
    "AuthError",
    "BadFileDescriptor",
    "ConnectError",
    "ConnectionLost",
    "InvalidArguments",
    "InvalidValue",
    "LibvirtError",
    "LocalProtocolError",
    "LocalStreamError",
    "ProtocolError",
    "RemoteProtocolError",
    "RemoteStreamError",
    "StreamError",
    "TlsError",
    "UsageError",
    "VirtrpcError",
    "XdrCompileError",
    "XdrError",
]


class VirtrpcError(Exception):
    """Base class of every error raised by virtrpc."""


class XdrError(VirtrpcError, ValueError):
    """Encoding or decoding of XDR data failed.

    ``path`` names the field that failed, e.g.
    ``remote_node_get_info_ret.model[3]``; ``reason`` says why.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class ProtocolError(VirtrpcError):
    """The RPC protocol was violated (bad header, bad length, bad fds...).

    A protocol error is fatal for the connection it happened on.  Which end
    is at fault is told by the subclass, as h11 does: the RPC layers raise
    :class:`LocalProtocolError` and the one receive entry of the core
    (:meth:`virtrpc.rpc.connection.Connection.receive_data` /
    ``receive_eof``) turns what the peer's bytes caused into
    :class:`RemoteProtocolError`.  Catch this base class for either.
    """


class LocalProtocolError(ProtocolError):
    """We were about to violate the protocol (a message too large to send, too
    many fds, a header field out of range): nothing was sent."""


class RemoteProtocolError(ProtocolError):
    """The peer violated the protocol; the connection is dead."""


class ConnectionLost(VirtrpcError):
    """The connection died (EOF, I/O error, keepalive timeout, protocol error)
    while a call or stream was pending, or a call was made on a closed
    connection."""


class ConnectError(VirtrpcError, OSError):
    """A connection could not be established.  The message names what was
    tried (URI, socket path, host and port)."""


class StreamError(VirtrpcError):
    """A data stream was used wrongly or was aborted by the peer."""


class LocalStreamError(LocalProtocolError, StreamError):
    """We would have broken a data stream's rules (sending after our finish,
    on a closed stream...): nothing was sent; only that stream is affected
    (see :mod:`virtrpc.rpc.stream`)."""


class RemoteStreamError(RemoteProtocolError, StreamError):
    """The peer broke a data stream's rules (a hole on a stream that is not
    sparse...): that stream fails, the connection stays up."""


class UsageError(VirtrpcError):
    """The caller used the API wrongly (an unknown procedure, arguments that do
    not fit it, a stream procedure called as a plain one): nothing was sent,
    the connection is fine."""


class InvalidValue(UsageError, ValueError):
    """A usage error that is a bad value (a name that names nothing, text that
    does not parse)."""


class InvalidArguments(UsageError, TypeError):
    """A usage error that is a bad call shape (arguments a procedure does not
    take, or a call form that does not fit the procedure)."""


class AuthError(ConnectError):
    """Authentication with the daemon failed or cannot be attempted (wrong
    password, no common mechanism, no credentials, a refused security layer).

    The message names the URI (or host) and the cause.  (Also importable from
    :mod:`virtrpc.auth`.)
    """


class TlsError(ConnectError):
    """The TLS handshake or libvirt's certificate check failed.  (Also
    importable from :mod:`virtrpc.transport.tls`.)"""


class XdrCompileError(VirtrpcError):
    """A ``.x`` file is malformed or inconsistent; ``location`` says where.
    (Also importable from :mod:`virtrpc.xdrgen.lexer`.)"""

    def __init__(self, location: Location | None, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}" if location else message)


class BadFileDescriptor(VirtrpcError, ValueError):
    """A file descriptor given to send is not open (or cannot be sent).

    Raised before anything is written, so the connection stays usable.
    """


# --- libvirt's own errors (virError / virNetMessageError) ---------------------
# The one libvirt error type of the tree and the only codec of
# virNetMessageError (moved here from virtrpc.client.errors, which re-exports).

#: VIR_NET_MESSAGE_STRING_MAX: longest string a virNetMessageError may hold.
_STRING_MAX = 4194304
_UUID_LEN = 16
_INT = struct.Struct(">i")
_UINT = struct.Struct(">I")
_STRUCT = "virNetMessageError"


class _Reader:
    """Minimal strict XDR reader for the few types of virNetMessageError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def _need(self, size: int, field: str) -> None:
        if self.pos + size > len(self.data):
            raise XdrError(
                f"{_STRUCT}.{field}", f"truncated: need {size} bytes at offset {self.pos}"
            )

    def integer(self, field: str) -> int:
        self._need(4, field)
        value: int = _INT.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        return value

    def present(self, field: str) -> bool:
        self._need(4, field)
        flag: int = _UINT.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        if flag > 1:
            raise XdrError(f"{_STRUCT}.{field}", f"invalid optional-data flag {flag}")
        return flag == 1

    def string(self, field: str) -> str:
        self._need(4, field)
        length: int = _UINT.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        if length > _STRING_MAX:
            raise XdrError(f"{_STRUCT}.{field}", f"string of {length} bytes exceeds {_STRING_MAX}")
        padded = (length + 3) & ~3
        self._need(padded, field)
        raw = bytes(self.data[self.pos : self.pos + length])
        self.pos += padded
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            # Daemon messages may quote arbitrary bytes (file names...): keep them visible.
            return raw.decode("utf-8", errors="backslashreplace")

    def optional_string(self, field: str) -> str | None:
        return self.string(field) if self.present(field) else None

    def skip(self, size: int, field: str) -> None:
        self._need(size, field)
        self.pos += size


_CODE_DOMAIN_FLAG = struct.Struct(">iiI")
_INT_FLAG = struct.Struct(">iI")
_TWO_INTS_FLAG = struct.Struct(">iiI")
#: The fields from_wire returns, in its keyword order after the message.
_ErrorFields = tuple[
    int, int, "str | None", int, "str | None", "str | None", "str | None", int, int
]


def _fast_error_fields(data: bytes) -> _ErrorFields | None:
    """virNetMessageError's fields read flat, for the usual payload (no
    ``dom``, no ``net``, UTF-8 strings), or None: then the strict
    :class:`_Reader` decodes it and names what is wrong.  An error reply is
    decoded on every failed call, so this runs often."""
    size = len(data)
    try:
        code, domain, flag = _CODE_DOMAIN_FLAG.unpack_from(data, 0)
        pos = 12
        strings: list[str | None] = []
        for index in range(4):
            if flag == 1:
                length = _UINT.unpack_from(data, pos)[0]
                end = pos + 4 + length
                if length > _STRING_MAX or end > size:
                    return None
                strings.append(data[pos + 4 : end].decode("utf-8"))
                pos += 4 + ((length + 3) & ~3)
            elif flag == 0:
                strings.append(None)
            else:
                return None
            if index == 0:
                level, flag = _INT_FLAG.unpack_from(data, pos)  # and dom's flag
                if flag != 0:
                    return None
                pos += 8
            if index < 3:
                flag = _UINT.unpack_from(data, pos)[0]  # the next string's
                pos += 4
        int1, int2, flag = _TWO_INTS_FLAG.unpack_from(data, pos)  # and net's flag
    except (struct.error, UnicodeDecodeError):
        return None
    if flag != 0 or pos + 12 != size:
        return None
    return code, domain, strings[0], level, strings[1], strings[2], strings[3], int1, int2


def _pack_optional_string(out: bytearray, value: str | None) -> None:
    if value is None:
        out += b"\0\0\0\0"
        return
    raw = value.encode("utf-8")
    if len(raw) > _STRING_MAX:
        raw = raw[:_STRING_MAX]
    out += _UINT.pack(1)
    out += _UINT.pack(len(raw))
    out += raw
    out += b"\0" * (-len(raw) % 4)


class LibvirtError(VirtrpcError):
    """An error reported by libvirt (the peer's ``virError``).

    ``code``, ``domain`` and ``level`` are ints (members of
    :class:`ErrorNumber`, :class:`ErrorDomain`, :class:`ErrorLevel` when known;
    codes from a newer daemon stay plain ints and get fallback names such as
    ``VIR_ERR_UNKNOWN_120``).  ``str()`` is the message followed by the
    symbolic code and domain; ``message`` alone is what virsh prints.
    """

    def __init__(
        self,
        message: str | None,
        *,
        code: int = ErrorNumber.VIR_ERR_INTERNAL_ERROR,
        domain: int = ErrorDomain.VIR_FROM_NONE,
        level: int = ErrorLevel.VIR_ERR_ERROR,
        str1: str | None = None,
        str2: str | None = None,
        str3: str | None = None,
        int1: int = 0,
        int2: int = 0,
    ) -> None:
        self.code = code
        self.domain = domain
        self.message = message
        self.level = level
        self.str1 = str1
        self.str2 = str2
        self.str3 = str3
        self.int1 = int1
        self.int2 = int2
        super().__init__(message)

    # -- symbolic names ------------------------------------------------------

    @property
    def code_name(self) -> str:
        """``VIR_ERR_*`` name of :attr:`code` (``VIR_ERR_UNKNOWN_<n>`` if unknown)."""
        return code_name(self.code)

    @property
    def domain_name(self) -> str:
        """``VIR_FROM_*`` name of :attr:`domain` (``VIR_FROM_UNKNOWN_<n>`` if unknown)."""
        return domain_name(self.domain)

    @property
    def level_name(self) -> str:
        """Name of :attr:`level`."""
        return level_name(self.level)

    def __str__(self) -> str:
        text = self.message if self.message else "unknown libvirt error"
        return f"{text} ({self.code_name}, {self.domain_name})"

    def __repr__(self) -> str:
        return (
            f"LibvirtError({self.message!r}, code={self.code_name}, domain={self.domain_name}, "
            f"level={self.level_name}, str1={self.str1!r}, str2={self.str2!r}, "
            f"str3={self.str3!r}, int1={self.int1}, int2={self.int2})"
        )

    # libvirt-python compatible accessors, so code written for it keeps working.
    def get_error_code(self) -> int:
        """The error code (libvirt-python compatible)."""
        return self.code

    def get_error_domain(self) -> int:
        """The error domain (libvirt-python compatible)."""
        return self.domain

    def get_error_message(self) -> str | None:
        """The message (libvirt-python compatible)."""
        return self.message

    def get_error_level(self) -> int:
        """The level (libvirt-python compatible)."""
        return self.level

    # -- wire form -----------------------------------------------------------

    @classmethod
    def from_wire(cls, payload: bytes | bytearray | memoryview) -> LibvirtError:
        """Decode a ``virNetMessageError`` payload.

        Raises :class:`~virtrpc.errors.XdrError` (naming the field) when the
        payload is malformed or has trailing bytes.
        """
        fields = _fast_error_fields(payload) if type(payload) is bytes else None
        if fields is not None:
            code, domain, message, level, str1, str2, str3, int1, int2 = fields
            return cls(
                message,
                code=_known(ErrorNumber, code),
                domain=_known(ErrorDomain, domain),
                level=_known(ErrorLevel, level),
                str1=str1,
                str2=str2,
                str3=str3,
                int1=int1,
                int2=int2,
            )
        reader = _Reader(payload)
        code = reader.integer("code")
        domain = reader.integer("domain")
        message = reader.optional_string("message")
        level = reader.integer("level")
        if reader.present("dom"):
            reader.string("dom.name")
            reader.skip(_UUID_LEN, "dom.uuid")
            reader.integer("dom.id")
        str1 = reader.optional_string("str1")
        str2 = reader.optional_string("str2")
        str3 = reader.optional_string("str3")
        int1 = reader.integer("int1")
        int2 = reader.integer("int2")
        if reader.present("net"):
            reader.string("net.name")
            reader.skip(_UUID_LEN, "net.uuid")
        if reader.pos != len(reader.data):
            raise XdrError(_STRUCT, f"{len(reader.data) - reader.pos} trailing bytes")
        return cls(
            message,
            code=_known(ErrorNumber, code),
            domain=_known(ErrorDomain, domain),
            level=_known(ErrorLevel, level),
            str1=str1,
            str2=str2,
            str3=str3,
            int1=int1,
            int2=int2,
        )

    def to_wire(self) -> bytes:
        """Encode as a ``virNetMessageError`` payload (``dom`` and ``net`` absent)."""
        out = bytearray()
        out += _INT.pack(int(self.code))
        out += _INT.pack(int(self.domain))
        _pack_optional_string(out, self.message)
        out += _INT.pack(int(self.level))
        out += b"\0\0\0\0"  # dom: not sent (libvirt stopped filling it long ago)
        _pack_optional_string(out, self.str1)
        _pack_optional_string(out, self.str2)
        _pack_optional_string(out, self.str3)
        out += _INT.pack(int(self.int1))
        out += _INT.pack(int(self.int2))
        out += b"\0\0\0\0"  # net
        return bytes(out)


def _known(enum: type[ErrorNumber] | type[ErrorDomain] | type[ErrorLevel], value: int) -> int:
    """The enum member for ``value`` if there is one, else ``value`` itself."""
    try:
        return enum(value)
    except ValueError:
        return value
