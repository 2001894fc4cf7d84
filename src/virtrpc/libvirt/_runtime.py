"""What the generated methods of :mod:`virtrpc.libvirt` share: libvirt-python's
error model (``libvirtError``, the last error, the error handler) and the
helpers the shape table (:mod:`virtrpc.apigen.shapes`) names.

libvirt-python's error behaviour that programs depend on: a failed call
raises ``libvirtError`` whose ``err`` is the 9-tuple ``(code, domain, message,
level, str1, str2, str3, int1, int2)``; the same tuple becomes the thread's
last error (``virGetLastError``) and is passed to the handler registered with
``registerErrorHandler``; without one, libvirt prints ``libvirt: <domain>
error : <message>`` on stderr.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from virtrpc.client.errors import LibvirtError as WireError
from virtrpc.errors import ConnectionLost, VirtrpcError, XdrError
from virtrpc.libvirt.error_domains import DOMAIN_LABELS
from virtrpc.protocols import remote as _remote

if TYPE_CHECKING:
    from virtrpc.libvirt._objects import virConnectBase, virDomainBase

__all__ = ["ErrorTuple", "TypedValue", "VirtrpcError", "libvirtError", "translate"]

#: A typed parameter's Python value: libvirt-python gives int, float, bool or str.
TypedValue = int | float | bool | str
ErrorTuple = tuple[int, int, str | None, int, str | None, str | None, str | None, int, int]

VIR_ERR_INTERNAL_ERROR = 1
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_INVALID_ARG = 8
VIR_ERR_INVALID_CONN = 6
VIR_ERR_SYSTEM_ERROR = 38
VIR_ERR_OPERATION_INVALID = 55
VIR_ERR_ERROR = 2  # the level
VIR_FROM_NONE = 0
VIR_FROM_RPC = 7
VIR_FROM_REMOTE = 13
VIR_FROM_DOMAIN = 20
VIR_FROM_STREAMS = 38
VIR_FROM_XML = 5
VIR_ERR_XML_DETAIL = 35
_LEVEL_NAMES = {1: "warning", 2: "error"}

class libvirtError(Exception):
    """A libvirt failure, as libvirt-python raises it.

    Built like libvirt-python's: ``libvirtError(defmsg)`` takes the calling
    thread's last error (``err``), whose message becomes the exception's."""

    err: ErrorTuple | None

    def __init__(self, defmsg: str, conn: object = None, dom: object = None,
                 net: object = None, pool: object = None, vol: object = None) -> None:
        err = virGetLastError()
        message = defmsg if err is None or err[2] is None else err[2]
        super().__init__(message)
        self.err = err

    def get_error_code(self) -> int | None:
        return None if self.err is None else self.err[0]

    def get_error_domain(self) -> int | None:
        return None if self.err is None else self.err[1]

    def get_error_message(self) -> str | None:
        return None if self.err is None else self.err[2]

    def get_error_level(self) -> int | None:
        return None if self.err is None else self.err[3]

    def get_str1(self) -> str | None:
        return None if self.err is None else self.err[4]

    def get_str2(self) -> str | None:
        return None if self.err is None else self.err[5]

    def get_str3(self) -> str | None:
        return None if self.err is None else self.err[6]

    def get_int1(self) -> int | None:
        return None if self.err is None else self.err[7]

    def get_int2(self) -> int | None:
        return None if self.err is None else self.err[8]


_state = threading.local()
#: The calling thread's error state (``.last``): the generated methods reset
#: it at each call, as libvirt's API entry points do.
thread_state = _state
ErrorHandler = Callable[[Any, ErrorTuple], object]
#: (handler, context) set by registerErrorHandler; None: print as libvirt does.
_handler: tuple[ErrorHandler, Any] | None = None


def virGetLastError() -> ErrorTuple | None:
    """The calling thread's last error, or None."""
    err: ErrorTuple | None = getattr(_state, "last", None)
    return err


def virResetLastError() -> None:
    _state.last = None


def set_handler(handler: ErrorHandler | None, ctx: Any) -> None:
    global _handler
    _handler = None if handler is None else (handler, ctx)


def _report(err: ErrorTuple) -> None:
    """Record ``err`` as the last error and hand it to the error handler."""
    _state.last = err
    if _handler is not None:
        handler, ctx = _handler
        handler(ctx, err)
        return
    sys.stderr.write(default_error_text(err))


def default_error_text(err: ErrorTuple) -> str:
    """What libvirt's default handler (virDefaultErrorFunc) prints for ``err``.

    The object names it can add are never set on a client's errors (libvirt's
    remote driver does not pass them on), so they stay empty here too."""
    code, domain, message, level, _str1, _str2, _str3, int1, _int2 = err
    if code == 0:  # VIR_ERR_OK
        return ""
    label = DOMAIN_LABELS[domain] if 0 <= domain < len(DOMAIN_LABELS) else "Unknown"
    text = message or ""
    head = f"libvirt: {label} {_LEVEL_NAMES.get(level, '')} : "
    if domain == VIR_FROM_XML and code == VIR_ERR_XML_DETAIL and int1 != 0:
        return f"{head}line {int1}: {text}"
    return head + text + ("" if text.endswith("\n") else "\n")


#: Message prefixes libvirt formats as ``"<prefix>: %s"`` (then ``str1`` is
#: that format and ``str2`` the detail, as in the daemon's errors).
_FORMATTED_PREFIXES = ("internal error", "invalid argument", "Requested operation is not valid",
                       "this function is not supported by the connection driver",
                       "authentication failed", "operation forbidden")


def raise_error(code: int, domain: int, message: str, function: str | None = None
                ) -> libvirtError:
    """A libvirtError for a failure detected on this side, reported like the
    daemon's (``function``: the C function that fails, for readers)."""
    prefix, _sep, detail = message.partition(": ")
    if prefix in _FORMATTED_PREFIXES and detail:
        str1, str2 = f"{prefix}: %s", detail
    else:
        str1, str2 = message, None
    _report((code, domain, message, VIR_ERR_ERROR, str1, str2, None, -1, -1))
    return libvirtError(message)


_T = TypeVar("_T")

_OUT_OF_RANGE = re.compile(r": (-?\d+) out of range for (int|hyper) \[")


def _argument_error(error: XdrError, cname: str) -> Exception:
    """An argument XDR cannot encode, as libvirt-python's argument parsing
    refuses it: OverflowError for a signed number out of range (its "i" and
    "L" formats), TypeError for the rest."""
    match = _OUT_OF_RANGE.search(str(error))
    if match is None:
        return TypeError(f"{cname}() argument {error}")
    value = int(match.group(1))
    if match.group(2) == "hyper" or not -(1 << 63) <= value < 1 << 63:
        return OverflowError("Python int too large to convert to C long")
    return OverflowError("signed integer is greater than maximum" if value > 0
                         else "signed integer is less than minimum")


#: The clients' ConnectionLost message for a call after ``close()``.
CLOSED_BY_CLIENT = "connection closed by the client"

#: libvirt's public API files report as their object's domain (VIR_FROM_THIS);
#: the rest (libvirt-host.c, libvirt-domain.c) as VIR_FROM_DOMAIN.
_SOURCE_DOMAINS = (("NWFilter", 33), ("Network", 19), ("Storage", 18), ("NodeDevice", 22),
                   ("NodeListDevices", 22), ("NodeNumOfDevices", 22), ("Interface", 26),
                   ("Secret", 30))


def _source_domain(cname: str) -> int:
    return next((domain for word, domain in _SOURCE_DOMAINS if word in cname), VIR_FROM_DOMAIN)


def socket_fd(fd: int, cname: str) -> int:
    """``fd``, checked as libvirt checks it before sending it (virDomainOpenGraphics)."""
    import os
    import stat

    try:
        mode = os.fstat(fd).st_mode
    except OSError as e:
        raise raise_error(VIR_ERR_SYSTEM_ERROR, VIR_FROM_DOMAIN,
                          f"Unable to access file descriptor {fd}: {os.strerror(e.errno or 0)}",
                          cname) from None
    if not stat.S_ISSOCK(mode):
        raise raise_error(VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN, f"fd {fd} must be a socket",
                          cname)
    return fd


def stats_domains(doms: Sequence[Any]) -> list[Any]:
    """virDomainListGetStats's domains: libvirt refuses an empty list on the
    client side (an empty list on the wire means every domain)."""
    if not doms:
        raise raise_error(VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN,
                          "invalid argument: doms array in virDomainListGetStats must contain"
                          " at least one domain", "virDomainListGetStats")
    return [d._o for d in doms]


def none_on_failure(obj: Any, proc: str, cname: str, **kwargs: Any) -> Any:
    """The methods libvirt-python returns None from when the call fails (the
    error is reported to the handler all the same): migrateGetMaxDowntime..."""
    try:
        return getattr(obj._c, proc)(**kwargs)
    except VirtrpcError as e:
        translate(e, cname)
        return None


def translate(error: VirtrpcError, cname: str) -> Exception:
    """The exception libvirt-python raises where virtrpc raised ``error``."""
    if isinstance(error, WireError):
        _report((int(error.code), int(error.domain), error.message, int(error.level),
                 error.str1, error.str2, error.str3, error.int1, error.int2))
        return libvirtError(error.message or f"{cname}() failed")
    if isinstance(error, XdrError) and "args" in error.path:
        return _argument_error(error, cname)
    if isinstance(error, ConnectionLost):
        if str(error) == CLOSED_BY_CLIENT:
            # libvirt-python's close() drops the pointer: libvirt checks it first
            return raise_error(VIR_ERR_INVALID_CONN, _source_domain(cname),
                               f"invalid connection pointer in {cname}")
        return raise_error(VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC,
                           "internal error: client socket is closed")
    return raise_error(VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC, f"internal error: {error}")


def connect_failure(name: str | None, readonly: bool, error: Exception) -> libvirtError:
    """A connection that could not be made, worded as libvirt's remote driver
    words it (VIR_ERR_SYSTEM_ERROR from XML-RPC, the errno in ``int1``)."""
    import os

    from virtrpc.client.uri import parse_uri

    err_no = getattr(error, "errno", None)
    reason = os.strerror(err_no) if err_no else str(error)
    message = str(error)
    try:
        parsed = parse_uri(name) if name else None
        if parsed is not None and parsed.transport in ("tcp", "tls"):
            message = (f"unable to connect to server at '{parsed.host or 'localhost'}:"
                       f"{parsed.effective_port}': {reason}")
        elif parsed is not None and parsed.transport == "unix":
            path = parsed.unix_socket_path(readonly=readonly)
            message = f"Failed to connect socket to '{path}': {reason}"
    except VirtrpcError:
        pass
    _report((38, VIR_FROM_RPC, message, VIR_ERR_ERROR, "%s", message, None,
             err_no if err_no else -1, -1))
    return libvirtError(message)


def null_arg(argument: str, cname: str, domain: int) -> libvirtError:
    """None for a string libvirt requires: refused by libvirt's API layer."""
    message = f"{argument} in {cname} must not be NULL"
    _report((VIR_ERR_INVALID_ARG, domain, message, VIR_ERR_ERROR, cname, argument, None, 0, 0))
    return libvirtError(message)


#: libvirt's error for a NULL object argument (virCheck*Goto): code, domain, format.
_INVALID_OBJECTS = {
    "virDomain": (7, 6, "invalid domain pointer in {}"),
    "virNetwork": (36, 19, "invalid network pointer in {}"),
    "virStoragePool": (46, 18, "invalid storage pool pointer in {}"),
    "virStorageVol": (47, 18, "invalid storage volume pointer in {}"),
    "virNodeDevice": (52, 22, "invalid node device pointer in {}"),
    "virInterface": (58, 26, "invalid interface pointer in {}"),
    "virSecret": (65, 30, "Invalid secret: {}"),
    "virNWFilter": (61, 33, "Invalid network filter: {}"),
    "virDomainSnapshot": (71, 35, "Invalid domain snapshot: {}"),
    "virDomainCheckpoint": (102, 69, "Invalid domain checkpoint: {}"),
    "virStream": (73, 38, "invalid stream pointer in {}"),
}


def given(obj: _T, kind: str, cname: str) -> _T:
    """An object argument: None (libvirt-python's NULL) fails as libvirt's check does."""
    if obj is None:
        code, domain, text = _INVALID_OBJECTS[kind]
        raise raise_error(code, domain, text.format(cname), cname)
    return obj


def non_null(value: str | None, argument: str, cname: str) -> str:
    """A string argument libvirt's domain API requires (virCheckNonNullArg)."""
    if value is None:
        raise null_arg(argument, cname, VIR_FROM_DOMAIN)
    return value


def keycodes(codes: list[int], count: int) -> list[int]:
    """virDomainSendKey's keys: libvirt-python wants a list of ``count`` keys,
    at most 16, or fails without a libvirt error of its own."""
    if not isinstance(codes, list) or count != len(codes) or count > 16:
        raise libvirtError("virDomainSendKey() failed")
    return codes


def uuid_arg(uuid: bytes | str | None, cname: str) -> bytes:
    """A raw UUID argument as libvirt-python parses it (``z#``: bytes, or a
    str as UTF-8, or None); anything but 16 bytes fails without a libvirt
    error of its own (the exception carries the last one)."""
    if uuid is not None and not isinstance(uuid, (bytes, str)):
        raise TypeError(f"{cname}() argument must be bytes, str or None, "
                        f"not {type(uuid).__name__}")
    raw = uuid.encode() if isinstance(uuid, str) else uuid
    if raw is None or len(raw) != 16:
        raise libvirtError(f"{cname}() failed")
    return raw


def not_provided(cname: str) -> libvirtError:
    return raise_error(VIR_ERR_NO_SUPPORT, VIR_FROM_NONE,
                       f"this function is not supported by the connection driver: {cname}",
                       cname)


# --- values ---------------------------------------------------------------


def uuid_str(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


#: The error domain of each object's C file in libvirt (its VIR_FROM_THIS).
_FILE_DOMAINS = {"virNetworkPort": 19, "virNetwork": 19, "virStoragePool": 18, "virSecret": 30,
                 "virNWFilter": 33, "virDomain": VIR_FROM_DOMAIN}


def uuid_bytes(text: str | None, cname: str = "virDomainLookupByUUIDString") -> bytes:
    """Parse a UUID string as libvirt does (hex digits; dashes and spaces
    between them ignored); a bad one fails as libvirt's ``cname`` fails."""
    domain = next(d for prefix, d in _FILE_DOMAINS.items() if cname.startswith(prefix))
    if text is None:
        raise null_arg("uuidstr", cname, domain)
    if not isinstance(text, str):
        raise TypeError(f"{cname}() argument 2 must be str, not {type(text).__name__}")
    digits = "".join(ch for ch in text.strip() if ch not in "- ")
    try:
        if len(digits) != 32:
            raise ValueError(digits)
        return bytes.fromhex(digits)
    except ValueError:
        # libvirt words it one way for domains and another for the other objects
        message = ("Invalid UUID" if domain == VIR_FROM_DOMAIN
                   else f"uuidstr in {cname} must be a valid UUID")
        _report((VIR_ERR_INVALID_ARG, domain, message, VIR_ERR_ERROR, cname, "uuidstr",
                 None, 0, 0))
        raise libvirtError(message) from None


def cstr(chars: Sequence[int]) -> str:
    """A C ``char[]`` field (zero-terminated) as str."""
    raw = bytes(c & 0xFF for c in chars)
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


#: VIR_TYPED_PARAM_STRING_OKAY: libvirt's API layer adds it to the flags of
#: typed-parameter getters, or the daemon leaves string parameters out.
STRING_OKAY = 4

_TYPED_INT, _TYPED_UINT, _TYPED_LLONG, _TYPED_ULLONG = 1, 2, 3, 4
_TYPED_DOUBLE, _TYPED_BOOLEAN, _TYPED_STRING = 5, 6, 7


def params_dict(params: Sequence[_remote.RemoteTypedParam]) -> dict[str, TypedValue]:
    """Typed parameters as libvirt-python's dict (booleans as bool)."""
    out: dict[str, TypedValue] = {}
    for p in params:
        value = p.value.value
        out[p.field] = bool(value) if p.value.type == _TYPED_BOOLEAN else value
    return out


def typed_params(new: dict[str, TypedValue],
                 current: Sequence[_remote.RemoteTypedParam], *,
                 hinted: bool = False) -> list[_remote.RemoteTypedParam]:
    """``new`` as typed parameters, each typed like the daemon's current value
    of the same name (libvirt-python's rule for the set*Parameters methods,
    its conversions and errors included); ``hinted``: the types come from
    :func:`hinted_params`, lists give a parameter once per value."""
    if not isinstance(new, dict):
        raise TypeError(f"params must be a dict, not {type(new).__name__}")
    if not new and not hinted:
        raise LookupError("Need non-empty dictionary to set attributes")
    types = {p.field: p.value.type for p in current}
    out = []
    for name, value in new.items():
        if not isinstance(name, str):
            raise TypeError("bad argument type for built-in operation")
        kind = types.get(name)
        if kind is None:  # libvirt-python's error for it
            raise LookupError(f'Attribute name "{name}" could not be recognized')
        # a list gives the parameter once per value (libvirt's "multiple" fields)
        items = value if hinted and isinstance(value, (list, tuple)) else [value]
        for item in items:
            converted = _typed_value(kind, item) if not hinted else (
                str(item) if kind == _TYPED_STRING else
                float(item) if kind == _TYPED_DOUBLE else int(item))
            out.append(_remote.RemoteTypedParam(name,
                                                _remote.RemoteTypedParamValue(kind, converted)))
    return out


_C_LONG = 1 << 63


def _typed_value(kind: int, item: object) -> int | float | str:
    """One value as libvirt-python's setters convert it (their exceptions)."""
    if kind == _TYPED_STRING:
        if not isinstance(item, str):
            raise TypeError("bad argument type for built-in operation")
        return item
    if kind == _TYPED_BOOLEAN:
        return 1 if item else 0
    if kind == _TYPED_DOUBLE:
        if not isinstance(item, (int, float)):
            raise TypeError(f"must be real number, not {type(item).__name__}")
        return float(item)
    if not isinstance(item, int):
        raise TypeError(f"'{type(item).__name__}' object cannot be interpreted as an integer")
    if kind in (_TYPED_INT, _TYPED_UINT) and not -_C_LONG <= item < _C_LONG:
        raise OverflowError("Python int too large to convert to C long")
    if kind == _TYPED_INT and not -(1 << 31) <= item < 1 << 31:
        raise OverflowError("Python int too large to convert to C int")
    if kind == _TYPED_UINT and not 0 <= item < 1 << 32:
        raise OverflowError("Python int too large to convert to C unsigned int")
    if kind == _TYPED_ULLONG and item < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if (kind == _TYPED_ULLONG and item >= 1 << 64) or (
            kind == _TYPED_LLONG and not -_C_LONG <= item < _C_LONG):
        raise OverflowError("int too big to convert")
    return int(item)


def hinted_params(new: dict[str, TypedValue] | None, group: str
                  ) -> list[_remote.RemoteTypedParam]:
    """``new`` as typed parameters typed by libvirt's documented types (group
    of :mod:`virtrpc.libvirt.param_types`); other names by their value's type
    (the daemon judges them)."""
    from virtrpc.libvirt.param_types import GROUPS

    if new is None:
        return []
    if not isinstance(new, dict):
        raise TypeError(f"params must be a dict, not {type(new).__name__}")
    types = dict(GROUPS[group])
    for name, value in new.items():  # names libvirt does not document: typed by value
        if name not in types:
            sample = value[0] if isinstance(value, (list, tuple)) and value else value
            types[name] = (_TYPED_BOOLEAN if isinstance(sample, bool) else
                           _TYPED_STRING if isinstance(sample, str) else
                           _TYPED_DOUBLE if isinstance(sample, float) else _TYPED_LLONG)
    current = [_remote.RemoteTypedParam(name, _remote.RemoteTypedParamValue(kind, 0))
               for name, kind in types.items()]
    return typed_params(new, current, hinted=True)


def probe(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a typed-parameter getter twice: for the count, then for the values."""
    count = fn(nparams=0, **kwargs).nparams
    return fn(nparams=count, **kwargs)


#: virDomainMemoryStatTags -> libvirt-python's dict keys (the names without
#: prefix, lower case; the balloon's is ``actual``).
_MEMORY_STAT_KEYS = {
    0: "swap_in", 1: "swap_out", 2: "major_fault", 3: "minor_fault", 4: "unused",
    5: "available", 6: "actual", 7: "rss", 8: "usable", 9: "last_update",
    10: "disk_caches", 11: "hugetlb_pgalloc", 12: "hugetlb_pgfail",
}
MEMORY_STAT_NR = len(_MEMORY_STAT_KEYS)


def memory_stats(stats: Sequence[_remote.RemoteDomainMemoryStat]) -> dict[str, int]:
    return {_MEMORY_STAT_KEYS[s.tag]: s.val for s in stats if s.tag in _MEMORY_STAT_KEYS}


def host_cpus(conn: virConnectBase) -> int:
    """The host's CPU count as libvirt-python counts it (virNodeGetCPUMap), cached."""
    if conn._host_cpus is None:
        try:
            conn._host_cpus = conn._c.node_get_cpu_map(need_map=0, need_online=0, flags=0).ret
        except VirtrpcError as e:
            raise translate(e, "virNodeGetCPUMap") from None
    return conn._host_cpus


def cpumap_len(conn: virConnectBase) -> int:
    return (host_cpus(conn) + 7) // 8


def cpumaps(raw: bytes, count: int, conn: virConnectBase) -> list[tuple[bool, ...]]:
    cpus = host_cpus(conn)
    maplen = (cpus + 7) // 8
    return [
        tuple(bool(raw[i * maplen + cpu // 8] & (1 << (cpu % 8))) for cpu in range(cpus))
        for i in range(count)
    ]


def vcpus(reply: _remote.RemoteDomainGetVcpusRet, conn: virConnectBase
          ) -> tuple[list[tuple[int, int, int, int]], list[tuple[bool, ...]]]:
    info = [(v.number, v.state, v.cpu_time, v.cpu) for v in reply.info]
    return info, cpumaps(reply.cpumaps, len(info), conn)


def job_stats(kind: int, params: Sequence[_remote.RemoteTypedParam]) -> dict[str, TypedValue]:
    out: dict[str, TypedValue] = {"type": kind}
    out.update(params_dict(params))
    return out


def refresh_id(dom: virDomainBase) -> int:
    """After virDomainCreate: libvirt's remote driver looks the domain up again,
    since the reply does not carry the new ID (``ID()`` right after ``create()``)."""
    try:
        dom._o = dom._c.domain_lookup_by_uuid(uuid=dom._o.uuid)
    except VirtrpcError as e:
        raise translate(e, "virDomainCreate") from None
    return 0


def forget_id(dom: Any) -> int:
    """After virDomainDestroy: the domain no longer runs, its ID is -1 (libvirt's
    remote driver sets it so)."""
    o = dom._o
    dom._o = type(o)(o.name, o.uuid, -1)
    return 0


def refresh_domain(dom: Any, wire: _remote.RemoteNonnullDomain) -> int:
    dom._o = wire
    return 0


def domain_cpu_stats(dom: virDomainBase, total: bool, flags: int) -> list[dict[str, int]]:
    """virDomainGetCPUStats as libvirt-python shapes it: ``[totals]`` or one
    dict per host CPU."""
    get = dom._c.domain_get_cpu_stats
    try:
        if total:
            n = get(dom=dom._o, nparams=0, start_cpu=-1, ncpus=1, flags=flags).nparams
            r = get(dom=dom._o, nparams=n, start_cpu=-1, ncpus=1, flags=flags)
            return [_int_params(r.params)]
        ncpus = get(dom=dom._o, nparams=0, start_cpu=0, ncpus=0, flags=flags).nparams
        n = get(dom=dom._o, nparams=0, start_cpu=0, ncpus=1, flags=flags).nparams
        r = get(dom=dom._o, nparams=n, start_cpu=0, ncpus=ncpus, flags=flags)
    except VirtrpcError as e:
        raise translate(e, "virDomainGetCPUStats") from None
    per_cpu = [r.params[i * n:(i + 1) * n] for i in range(ncpus)] if n else [[]] * ncpus
    return [_int_params(chunk) for chunk in per_cpu]


def _int_params(params: Sequence[_remote.RemoteTypedParam]) -> dict[str, int]:
    return {p.field: int(p.value.value) for p in params}


def single_fd(fds: Sequence[int]) -> int:
    """The one fd a procedure returned (the caller owns it); extra ones are closed."""
    import os

    if not fds:
        raise raise_error(VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC,
                          "internal error: no file descriptor received")
    for extra in fds[1:]:
        os.close(extra)
    return fds[0]


def time_field(time: dict[str, int] | None, key: str) -> int:
    """A field of setTime's ``{"seconds": ..., "nseconds": ...}`` (absent: 0)."""
    if time is None:
        return 0
    if not isinstance(time, dict):
        raise TypeError(f"time must be a dict, not {type(time).__name__}")
    return int(time.get(key, 0))


def cpumap_bytes(cpumap: Sequence[bool], conn: virConnectBase) -> bytes:
    """A tuple of booleans (one per host CPU) as libvirt's cpumap bytes."""
    if not isinstance(cpumap, (tuple, list)):
        raise TypeError(f"cpumap must be a tuple of bools, not {type(cpumap).__name__}")
    cpus = host_cpus(conn)
    raw = bytearray((cpus + 7) // 8)
    for cpu, used in enumerate(cpumap[:cpus]):
        if used:
            raw[cpu // 8] |= 1 << (cpu % 8)
    return bytes(raw)


def node_cpu_map(reply: Any) -> tuple[int, list[bool], int]:
    count: int = reply.ret
    raw: bytes = reply.cpumap
    return count, [bool(raw[c // 8] & (1 << (c % 8))) for c in range(count)], reply.online


def interface_addresses(reply: Sequence[Any]) -> dict[str, dict[str, Any]]:
    return {
        iface.name: {
            "hwaddr": iface.hwaddr,
            "addrs": [{"addr": a.addr, "prefix": a.prefix, "type": a.type} for a in iface.addrs],
        }
        for iface in reply
    }


def dhcp_leases(leases: Sequence[Any]) -> list[dict[str, Any]]:
    keys = ("iface", "expirytime", "type", "mac", "iaid", "ipaddr", "prefix", "hostname",
            "clientid")
    return [{k: getattr(lease, k) for k in keys} for lease in leases]


def free_pages(counts: Sequence[int], pages: Sequence[int], start: int
               ) -> dict[int, dict[int, int]]:
    """virNodeGetFreePages' flat counts as ``{cell: {page size: free}}``."""
    out: dict[int, dict[int, int]] = {}
    for i, count in enumerate(counts):
        out.setdefault(start + i // len(pages), {})[pages[i % len(pages)]] = count
    return out


def guest_vcpus(dom: virDomainBase, flags: int) -> dict[str, TypedValue] | None:
    """virDomainGetGuestVcpus as libvirt-python has it: None when the call
    fails (the error is reported to the handler all the same)."""
    try:
        return params_dict(dom._c.domain_get_guest_vcpus(dom=dom._o, flags=flags))
    except VirtrpcError as e:
        translate(e, "virDomainGetGuestVcpus")
        return None


def security_labels(labels: Sequence[Any]) -> list[list[str | bool]]:
    if not labels:
        # libvirt-python fails on an empty list, without a libvirt error set
        raise raise_error(VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE,
                          "An error occurred, but the cause is unknown")
    return [[cstr(x.label), bool(x.enforcing)] for x in labels]


def domain_migrate(*args: Any) -> Any:
    """virDomainMigrate/2/3 (see :mod:`virtrpc.libvirt._migration`)."""
    from virtrpc.libvirt._migration import domain_migrate as run

    return run(*args)


def domain_migrate_to_uri(*args: Any) -> int:
    """virDomainMigrateToURI/2/3 (see :mod:`virtrpc.libvirt._migration`)."""
    from virtrpc.libvirt._migration import domain_migrate_to_uri as run

    return run(*args)
