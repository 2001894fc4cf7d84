"""Emitter of the typed call mixins (``virtrpc.protocols.<program>_calls``).

For every non-event procedure, one keyword-only method in an async mixin
and one in a blocking mixin.  They build the args object and delegate to
``self._call_procedure(proc, args[, fds=fds])``, which the client
implements.  Return annotations follow the rule in docs/architecture.md:
void -> ``None``; a reply struct with exactly one field -> that field's
value; otherwise the reply object; fd-receiving procedures return
``(value, fds)``; stream procedures return the client's stream object: the
mixins of a program with stream procedures are generic in its type
(``_Stream``), which the client binds (``RemoteAsyncCalls[Stream]``), so the
generated module names nothing of the client's.

The module also holds the program's typed handler interface, the server's
half of the same signatures (see :mod:`virtrpc.xdrgen.handlers`).
"""

from __future__ import annotations

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.emitter import ModuleEmitter, header_lines
from virtrpc.xdrgen.handlers import CONTEXT_TYPEVAR, handler_interface_lines
from virtrpc.xdrgen.model import ModuleModel, ProcedureModel, ProgramModel
from virtrpc.xdrgen.pysource import wrap_source
from virtrpc.xdrgen.typeinfo import attribute_name, class_name


def _method(
    emitter: ModuleEmitter, module_alias: str, proc: ProcedureModel, is_async: bool
) -> list[str]:
    module = emitter.module

    def qualified(annotation: str) -> str:
        # Annotations of this module's classes are written relative to it.
        return emitter.qualify_for_calls(annotation, module_alias)

    parameters: list[str] = []
    args_expr = "None"
    if proc.args is not None:
        expanded, owner = emitter.expand(proc.args, module)
        assert isinstance(expanded, ast.NamedRef)
        found_owner, definition = owner.lookup_type(expanded)
        assert isinstance(definition, ast.StructDef)
        cls = emitter.qualify(found_owner, class_name(definition.name))
        keywords = []
        for field in definition.fields:
            name = attribute_name(field.name or "")
            annotation = emitter.annotation(field.type, found_owner)
            default = " = 0" if name == "flags" and annotation == "int" else ""
            parameters.append(f"{name}: {qualified(annotation)}{default}")
            keywords.append(f"{name}={name}")
        args_expr = f"{qualified(cls)}({', '.join(keywords)})"
    if proc.fds in ("send", "both"):
        parameters.append("fds: _Sequence[int]")
    # return annotation
    if proc.ret is None:
        value = "None"
    else:
        expanded, owner = emitter.expand(proc.ret, module)
        value = emitter.annotation(proc.ret, module)
        if isinstance(expanded, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expanded)
            if isinstance(definition, ast.StructDef) and len(definition.fields) == 1:
                value = emitter.annotation(definition.fields[0].type, found_owner)
        value = qualified(value)
    if proc.stream is not None:
        returns = "_Stream"
    elif proc.fds in ("recv", "both"):
        returns = f"tuple[{value}, list[int]]"
    else:
        returns = value
    signature = ", ".join(["self", *(["*", *parameters] if parameters else [])])
    call = f"self._call_procedure(_PROCS[{proc.number}], {args_expr}"
    call += ", fds=fds)" if proc.fds in ("send", "both") else ")"
    prefix = "async def" if is_async else "def"
    awaiting = "await " if is_async else ""
    lines = [
        f"{prefix} {proc.name}({signature}) -> {returns}:",
        f'    """``{proc.const_name}`` ({proc.number})."""',
    ]
    if returns == "None":
        lines.append(f"    {awaiting}{call}")
    else:
        lines += [f"    result: {returns} = {awaiting}{call}", "    return result"]
    return lines


def emit_calls_module(module: ModuleModel, program: ProgramModel) -> str:
    """The source of ``<program>_calls``."""
    emitter = ModuleEmitter(module, [])
    alias = f"_{module.name}"
    camel = class_name(program.name)
    procedures = [proc for proc in program.procedures if not proc.is_event]
    async_methods: list[str] = []
    blocking_methods: list[str] = []
    for proc in procedures:
        async_methods += [
            "",
            *("    " + line if line else line for line in _method(emitter, alias, proc, True)),
        ]
        blocking_methods += [
            "",
            *("    " + line if line else line for line in _method(emitter, alias, proc, False)),
        ]
    interface = handler_interface_lines(emitter, alias, program)
    imports = sorted({module.name} | emitter.used_dependencies)
    streams = any(proc.stream is not None for proc in procedures)
    generic = ", _Generic[_Stream]" if streams else ""
    stream_typevar = [
        "",
        "#: What the stream procedures return: the client's stream type, which the",
        f"#: client binds (``class Client({camel}AsyncCalls[Stream])``).",
        '_Stream = _TypeVar("_Stream")',
    ] if streams else []
    lines = [
        *header_lines(
            module.path,
            f"Typed call mixins and handler interface of the ``{program.name}`` program"
            " (generated).",
        ),
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Sequence as _Sequence",
        "from typing import Generic as _Generic",
        "from typing import TypeVar as _TypeVar",
        "",
        "from virtrpc import xdr as _xdr",
        "from virtrpc.xdr import Answer as _Answer",
        *(f"from . import {name} as _{name}" for name in imports),
        "",
        f"_PROCS = _{module.name}.PROGRAM.procedures",
        *stream_typevar,
        "",
        *CONTEXT_TYPEVAR,
        "",
        "",
        f"class {camel}AsyncCalls(_xdr.AsyncCaller{generic}):",
        f'    """Async methods for the {program.name} program\'s procedures."""',
        "",
        "    __slots__ = ()",
        *async_methods,
        "",
        "",
        f"class {camel}BlockingCalls(_xdr.BlockingCaller{generic}):",
        f'    """Blocking methods for the {program.name} program\'s procedures."""',
        "",
        "    __slots__ = ()",
        *blocking_methods,
        "",
        "",
        *interface,
        "",
    ]
    return wrap_source("\n".join(lines))
