"""Emitter of the typed handler interfaces (``RemoteHandlers``...), the server's
half of a program's signatures (as libvirt's gendispatch serves both ends).

One method per non-event procedure, named after it, taking the call context
and the decoded args object and returning the reply object::

    def domain_get_info(
        self, ctx: _CallContext, args: RemoteDomainGetInfoArgs
    ) -> Answer[RemoteDomainGetInfoRet]: ...

``_CallContext`` is the interface's type parameter: a server binds it to
its context type (``class TestDriver(RemoteHandlers[CallContext])``), so the
generated module imports nothing above the protocols layer.
``Answer[T]`` is ``T | Awaitable[T]``: a handler may be plain or ``async``
(the framework awaits what it returns when that is awaitable).  Void args
are ``None``, a void reply returns ``None``; unlike the client mixins, the
reply is always the whole ``*_ret`` object (the server encodes it as is).

The interface is a plain base class, not a ``typing.Protocol`` nor an ABC
with abstract methods: a server implements the procedures it supports and
the others answer ``VIR_ERR_NO_SUPPORT`` (as a libvirt driver whose table
leaves them out), so the stubs must not be abstract; subclassing it
explicitly makes ``mypy`` check every override against the generated
signature.  :class:`~virtrpc.server.ProgramService` skips the stubs (a
method defined by a class whose body sets ``generated_handler_interface``).
"""

from __future__ import annotations

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.emitter import ModuleEmitter
from virtrpc.xdrgen.model import ProcedureModel, ProgramModel
from virtrpc.xdrgen.typeinfo import class_name

#: The handler interface is generic in the call context (a type variable of
#: the generated module, bound by the server: ``RemoteHandlers[CallContext]``),
#: so that the protocols layer names nothing of the server's.
CONTEXT_TYPEVAR = (
    "#: The call context the server passes its handlers (it binds it:",
    "#: ``class MyHandlers(RemoteHandlers[CallContext])``).",
    '_CallContext = _TypeVar("_CallContext")',
)


def _stub(emitter: ModuleEmitter, module_alias: str, proc: ProcedureModel) -> list[str]:
    module = emitter.module

    def side(expr: ast.TypeExpr | None) -> str:
        if expr is None:
            return "None"
        annotation = emitter.annotation(expr, module)
        return emitter.qualify_for_calls(annotation, module_alias)

    args, ret = side(proc.args), side(proc.ret)
    return [
        f"def {proc.name}(self, ctx: _CallContext, args: {args}) -> _Answer[{ret}]:",
        f'    """``{proc.const_name}`` ({proc.number})."""',
        "    raise NotImplementedError",
    ]


def handler_interface_lines(
    emitter: ModuleEmitter, module_alias: str, program: ProgramModel
) -> list[str]:
    """The source lines of ``<Program>Handlers``."""
    camel = class_name(program.name)
    lines = [
        f"class {camel}Handlers(_Generic[_CallContext]):",
        f'    """Typed handler interface of the {program.name} program: subclass it and',
        '    override the procedures you serve (the rest answer VIR_ERR_NO_SUPPORT)."""',
        "",
        "    __slots__ = ()",
        "    #: marks this class's methods as stubs (ProgramService binds none of them)",
        "    generated_handler_interface = True",
    ]
    for proc in program.procedures:
        if proc.is_event:
            continue
        lines += ["", *("    " + line for line in _stub(emitter, module_alias, proc))]
    return lines
