"""Programs a server serves: procedure tables bound to handlers.

A :class:`ProgramService` pairs a generated :class:`~virtrpc.xdr.Program`
(its procedures, their args/ret XDR types and metadata) with handler
callables looked up *by procedure name*.  Any ``.x`` file compiled by
``virtrpc gen`` can be served this way::

    service = ProgramService(myprog.PROGRAM, MyHandlers())
    server.add_program(service)

A handler is ``handler(ctx, args) -> ret`` (plain or ``async``): ``args`` is
the decoded args object (``None`` for void), the return value is encoded with
the procedure's ret type.  To fail, raise :class:`~virtrpc.server.errors.RpcFault`.

For the programs with generated call mixins (remote, qemu, lxc, admin), the
``<program>_calls`` module also has a typed handler interface
(``virtrpc.protocols.remote_calls.RemoteHandlers``): subclass it and
``mypy`` checks each handler's args and reply types against the protocol.
Its stubs are never bound: a procedure you do not override answers
``VIR_ERR_NO_SUPPORT`` as before.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault

# Answer (what a handler returns: the reply or an awaitable of it) is defined
# with the call mixin bases, where the generated handler interfaces name it.
from virtrpc.xdr import Answer as Answer
from virtrpc.xdr import Procedure, Program

if TYPE_CHECKING:
    from virtrpc.server.context import CallContext

Handler = Callable[["CallContext", Any], Any | Awaitable[Any]]



# ACL permissions a read-only client may use: libvirt's public API refuses
# every other operation on a read-only connection (virCheckReadOnlyGoto).
_READONLY_PERMISSIONS = frozenset({"read", "getattr", "none", ""})
# Words libvirt writes in upper case in its API names.
_API_WORDS = {"xml": "XML", "uuid": "UUID", "uri": "URI", "id": "ID", "fd": "FD", "nmi": "NMI",
              "cpu": "CPU", "mac": "MAC", "os": "OS", "fs": "FS", "iothread": "IOThread",
              "dhcp": "DHCP", "nwfilter": "NWFilter", "nwfilters": "NWFilters",
              "pm": "PM", "sev": "SEV"}


def acl_allows_readonly(procedure: Procedure) -> bool:
    """Whether a read-only client may call ``procedure``, judged by its ``@acl``.

    Unconditional permissions must all be read-like (``read``, ``getattr``,
    ``search_*``); conditional ones (``domain:read_secure:FLAG``) only apply
    when the caller passes that flag, which this check does not see.
    """
    for entry in procedure.acl:
        parts = entry.strip().split(":")
        if len(parts) >= 3:
            continue
        permission = parts[-1].strip()
        if permission in _READONLY_PERMISSIONS or permission.startswith("search_"):
            continue
        return False
    return True


def api_name(procedure_name: str) -> str:
    """The public libvirt function behind a procedure: ``domain_define_xml`` ->
    ``virDomainDefineXML`` (libvirtd names it in read-only and no-support errors)."""
    words = procedure_name.split("_")
    if words and words[0] == "connect" and len(words) > 1 and words[1] == "open":
        return "virConnectOpen"
    return "vir" + "".join(_API_WORDS.get(word, word.capitalize()) for word in words)


def error_domain_for(procedure_name: str) -> int:
    """The ``virErrorDomain`` libvirt's public API reports for an object kind."""
    if procedure_name.startswith("domain_"):
        return ErrorDomain.DOMAIN
    if procedure_name.startswith("network_"):
        return ErrorDomain.NETWORK
    if procedure_name.startswith(("storage_", "storage_vol")):
        return ErrorDomain.STORAGE
    if "secret" in procedure_name:
        return 30  # VIR_FROM_SECRET
    if "nwfilter" in procedure_name:
        return 33  # VIR_FROM_NWFILTER
    return ErrorDomain.NONE


def readonly_denied(procedure_name: str) -> RpcFault:
    """The error libvirtd returns when a read-only client calls a write procedure."""
    return RpcFault(
        ErrorCode.OPERATION_DENIED,
        error_domain_for(procedure_name),
        f"operation forbidden: read only access prevents {api_name(procedure_name)}",
    )


def not_supported(procedure_name: str) -> RpcFault:
    """libvirt's answer for a procedure the driver does not implement."""
    return RpcFault(
        ErrorCode.NO_SUPPORT,
        error_domain_for(procedure_name),
        "this function is not supported by the connection driver: " + api_name(procedure_name),
    )


_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def bound_handlers(program: Program, handlers: object | Mapping[str, Handler]) -> dict[str, Handler]:
    """The handlers an object or mapping has for ``program``'s callable
    procedures, by procedure name: callables named after them, except the
    stubs of a generated handler interface."""
    found: dict[str, Handler] = {}
    for procedure in program.procedures.values():
        if procedure.is_event:
            continue
        candidate: Any
        if isinstance(handlers, Mapping):
            candidate = handlers.get(procedure.name)
        elif _is_interface_stub(handlers, procedure.name):
            continue
        else:
            candidate = getattr(handlers, procedure.name, None)
        if candidate is not None and callable(candidate):
            found[procedure.name] = candidate
    return found


def _is_interface_stub(handlers: object, name: str) -> bool:
    """Whether ``handlers.<name>`` is the stub of a generated handler interface
    (the class that defines it sets ``generated_handler_interface`` in its own
    body), i.e. the object does not implement that procedure."""
    instance_attributes = getattr(handlers, "__dict__", {})
    if name in instance_attributes:
        return False
    for cls in type(handlers).__mro__:
        if name in vars(cls):
            return bool(vars(cls).get("generated_handler_interface", False))
    return False


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    """Everything needed to serve one procedure, resolved once."""

    procedure: Procedure
    handler: Handler
    unpack: Callable[[bytes], Any] | None
    pack: Callable[[Any], bytes] | None
    readonly_ok: bool
    is_async: bool


class ProgramService:
    """One program (number + version) served with its handlers.

    ``handlers`` may be an object whose methods are named after procedures
    (``def domain_get_info(self, ctx, args)``) or a mapping from procedure
    name to callable; :meth:`handler` adds more.  Procedures of the table
    without a handler answer ``VIR_ERR_NO_SUPPORT`` (as a libvirt driver that
    lacks the function); numbers not in the table, and event procedures,
    answer ``unknown procedure: N`` (as libvirtd).
    """

    def __init__(
        self,
        program: Program,
        handlers: object | Mapping[str, Handler] | None = None,
        *,
        readonly_policy: Callable[[Procedure], bool] = acl_allows_readonly,
    ) -> None:
        self.program = program
        self.number = program.number
        self.version = program.version
        self.readonly_policy = readonly_policy
        self._handlers: dict[int, Handler] = {}
        self._change_callbacks: list[Callable[[], None]] = []
        if handlers is not None:
            self.bind(handlers)

    def bind(self, handlers: object | Mapping[str, Handler]) -> None:
        """Register every handler found in an object or mapping, by name."""
        by_name = self.program.by_name
        for name, function in bound_handlers(self.program, handlers).items():
            self._handlers[by_name[name].number] = function
        self._changed()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever a handler is added (servers cache plans)."""
        self._change_callbacks.append(callback)

    def _changed(self) -> None:
        for callback in self._change_callbacks:
            callback()

    def handler(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator registering a handler for the procedure called ``name``."""

        def register(function: Handler) -> Handler:
            self.add(name, function)
            return function

        return register

    def add(self, name: str, function: Handler) -> None:
        """Register ``function`` for the procedure called ``name``."""
        if not _NAME.match(name) or name not in self.program.by_name:
            raise KeyError(f"program {self.program.name} has no procedure {name!r}")
        procedure = self.program.by_name[name]
        if procedure.is_event:
            raise KeyError(f"{name} is an event, it cannot have a handler")
        self._handlers[procedure.number] = function
        self._changed()

    def procedure(self, number: int) -> Procedure | None:
        """The callable procedure ``number`` (``None`` for unknown or event numbers)."""
        procedure = self.program.procedures.get(number)
        if procedure is None or procedure.is_event:
            return None
        return procedure

    def handler_for(self, number: int) -> Handler | None:
        return self._handlers.get(number)

    def plan(self, number: int) -> DispatchPlan | None:
        """The dispatch plan of a callable, implemented procedure, else None."""
        procedure = self.procedure(number)
        handler = self._handlers.get(number)
        if procedure is None or handler is None:
            return None
        return DispatchPlan(
            procedure=procedure,
            handler=handler,
            unpack=procedure.args.unpack if procedure.args is not None else None,
            pack=procedure.ret.pack if procedure.ret is not None else None,
            readonly_ok=self.readonly_policy(procedure),
            is_async=inspect.iscoroutinefunction(handler),
        )

    def event(self, name: str) -> Procedure:
        """The event procedure called ``name`` (to send with ``client.send_event``)."""
        procedure = self.program.by_name[name]
        if not procedure.is_event:
            raise KeyError(f"{name} is not an event procedure")
        return procedure

    @property
    def implemented(self) -> frozenset[str]:
        """Names of the procedures that have a handler."""
        return frozenset(self.program.procedures[n].name for n in self._handlers)
