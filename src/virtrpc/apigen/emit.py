"""Emit ``virtrpc.libvirt``'s generated modules from libvirt-api.xml.

Every C function libvirt-python exposes becomes a method in one of three
ways, in this order:

1. an entry of :data:`virtrpc.apigen.shapes.SHAPES` (the hand-written shapes);
2. *plain*: arguments and result are plain values (ints, strings, objects) and
   a remote procedure of the same name exists; the arguments map by position
   onto the procedure's argument struct (the connection itself is never sent);
3. otherwise a method that raises ``VIR_ERR_NO_SUPPORT`` naming the C
   function, so feature probes (``hasattr``) and the API coverage test see
   the whole API while the rest is written.
"""

from __future__ import annotations

import dataclasses
import keyword
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from virtrpc.apigen.model import Api, Function
from virtrpc.apigen.naming import (
    CLASSES,
    FUNCTION_DEFAULTS,
    MODULE,
    OBJECT_TYPES,
    PARAM_DEFAULTS,
    PARAM_RENAMES,
    python_name,
)
from virtrpc.apigen.shapes import HAND_WRITTEN, SHAPES, Shape
from virtrpc.xdr import Program

__all__ = ["Method", "emit_classes", "emit_constants", "emit_libvirtmod", "plan_methods"]

_INT_TYPES = frozenset({"int", "unsigned int", "long", "unsigned long", "long long",
                        "unsigned long long"})
_STR_TYPES = frozenset({"const char *"})
_STR_RETURNS = frozenset({"char *", "const char *"})

#: The error domain of libvirt's API checks, by source file (VIR_FROM_THIS there).
FILE_DOMAINS = {"libvirt-domain": 20, "libvirt-network": 19, "libvirt-storage": 18,
                "libvirt-nodedev": 22, "libvirt-interface": 26, "libvirt-secret": 30,
                "libvirt-nwfilter": 33, "libvirt-domain-snapshot": 35,
                "libvirt-domain-checkpoint": 69, "libvirt-stream": 38, "libvirt-host": 20}
#: libvirt-python parses unsigned C arguments without range checks: they wrap.
_UNSIGNED_MASKS = {"unsigned int": "0xFFFFFFFF", "unsigned long": "0xFFFFFFFFFFFFFFFF",
                   "unsigned long long": "0xFFFFFFFFFFFFFFFF"}

#: The object a new object of each class hangs off (its constructor's first argument).
PARENT = {"virDomainSnapshot": "virDomain", "virDomainCheckpoint": "virDomain",
          "virNetworkPort": "virNetwork"}


@dataclass(frozen=True, slots=True)
class Method:
    cls: str
    name: str
    cname: str
    kind: str  # "shape" | "plain" | "missing"
    code: str


def _words(text: str, limit: int = 88) -> str:
    first = text.split(". ")[0].strip().rstrip(".")
    first = first.replace('"""', "'''").replace("\\", "\\\\")
    if len(first) > limit:
        first = first[: limit - 3].rsplit(" ", 1)[0] + "..."
    return first + "." if first else ""


def _top_level_keys(args: str) -> list[str]:
    """The ``name`` of each top-level ``name=expr`` in ``args``."""
    keys: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(args + ","):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = args[start:i].strip()
            if part:
                keys.append(part.split("=", 1)[0].strip())
            start = i + 1
    return keys


def _check_shape(shape: Shape, remote: Program) -> None:
    if shape.proc is None:
        return
    proc = remote.by_name.get(shape.proc)
    if proc is None:
        raise ValueError(f"shape {shape.cname}: no procedure {shape.proc}")
    fields = {f.name for f in dataclasses.fields(proc.args_class)} if proc.args_class else set()
    keys = set(_top_level_keys(shape.args)) | ({"nparams"} if shape.probe else set())
    keys.discard("fds")  # file descriptors travel beside the arguments
    if keys != fields:
        raise ValueError(f"shape {shape.cname}: arguments {sorted(keys)} != {sorted(fields)}")


def _result_ctor(result_cls: str, method_cls: str) -> str:
    parent = PARENT.get(result_cls, "virConnect")
    if method_cls == parent:
        return "self"
    if PARENT.get(method_cls, "virConnect") == parent:
        return "self._parent"
    return "self._conn"


#: libvirt resets the thread's last error at every API's entry, after
#: libvirt-python's own argument checks (which raise with the last error as
#: it was).  Resetting once the call succeeded is the same to an observer (a
#: failed call sets its own error), and leaves those checks, made while the
#: arguments are converted, before it.
_RESET_LAST_ERROR = "        _rt.thread_state.last = None"


def _call_block(call: str, cname: str, assign: str = "r = ") -> list[str]:
    return [
        "        try:",
        f"            {assign}{call}",
        "        except _rt.VirtrpcError as e:",
        f'            raise _rt.translate(e, "{cname}") from None',
        _RESET_LAST_ERROR,
    ]


def _shape_method(cls: str, name: str, shape: Shape, doc: str) -> str:
    params = f"self, {shape.params}" if shape.params else "self"
    lines = [f"    def {name}({params}) -> {shape.returns}:"]
    if doc:
        lines.append(f'        """{doc}"""')
    if shape.proc is None:
        lines += [f"        result: {shape.returns} = {shape.result}", "        return result"]
        return "\n".join(lines)
    if "flags: int" in shape.params:
        lines.append("        flags &= 0xFFFFFFFF  # libvirt-python wraps unsigned arguments")
    call = f"self._c.{shape.proc}"
    if shape.probe:
        sep = ", " if shape.args.strip() else ""
        lines += [
            "        try:",
            f"            n = {call}({shape.args}{sep}nparams=0).nparams",
            f"            r = {call}({shape.args}{sep}nparams=n)",
            "        except _rt.VirtrpcError as e:",
            f'            raise _rt.translate(e, "{shape.cname}") from None',
            _RESET_LAST_ERROR,
        ]
    else:
        uses_r = "r" in _identifiers(shape.result)
        lines += _call_block(f"{call}({shape.args.rstrip(', ')})", shape.cname,
                             "r = " if uses_r else "")
    if shape.result == "r":
        lines += [f"        result: {shape.returns} = r", "        return result"]
    else:
        lines.append(f"        return {shape.result}")
    return "\n".join(lines)


def _identifiers(expr: str) -> set[str]:
    import re

    return set(re.findall(r"(?<![.\w])[A-Za-z_]\w*", expr))


def _plain_method(cls: str, name: str, fn: Function, remote: Program) -> str | None:
    proc_name = _procedure_for(fn.name, remote)
    if proc_name is None:
        return None
    proc = remote.by_name[proc_name]
    cargs = [a for a in fn.args if a.ctype != "virConnectPtr"]
    # A stream procedure's virStreamPtr argument is not sent: the call's
    # stream is handed to that virStream object.
    stream_arg = next((a for a in cargs if a.ctype == "virStreamPtr"), None)
    if stream_arg is not None:
        if proc.stream is None:
            return None
        cargs = [a for a in cargs if a is not stream_arg]
    fields = list(dataclasses.fields(proc.args_class)) if proc.args_class else []
    if len(fields) != len(cargs):
        return None
    hints = proc.args_class.__annotations__ if proc.args_class else {}
    py_params: list[str] = []
    call_args: list[str] = []
    checks: list[str] = []  # statements run before the call
    stream_arg_placed = None
    self_arg = fn.args[0].ctype if fn.args else ""
    for index, (carg, field) in enumerate(zip(cargs, fields, strict=True)):
        is_self = (index == 0 and self_arg != "virConnectPtr" and carg.ctype == self_arg
                   and OBJECT_TYPES[self_arg] == cls)
        if is_self:
            call_args.append(f"{field.name}={_wire('self', hints.get(field.name))}")
            continue
        pname = PARAM_RENAMES.get(fn.name, {}).get(carg.name) or _param_name(carg.name)
        if stream_arg is not None and fn.args.index(stream_arg) < fn.args.index(carg):
            py_params.append(f"{_param_name(stream_arg.name)}: virStream")
            stream_arg_placed, stream_arg = stream_arg, None
        if carg.ctype in _INT_TYPES:
            annotation = "int"
            if carg.ctype in _UNSIGNED_MASKS:
                checks.append(f"        {pname} &= {_UNSIGNED_MASKS[carg.ctype]}"
                              "  # libvirt-python wraps unsigned arguments")
        elif carg.ctype in _STR_TYPES:
            annotation = "str | None" if "None" in str(hints.get(field.name, "")) else "str"
            if annotation == "str" and fn.file in FILE_DOMAINS:
                checks += [f"        if {pname} is None:",
                           f'            raise _rt.null_arg("{carg.name}", "{fn.name}",'
                           f" {FILE_DOMAINS[fn.file]})"]
        elif carg.ctype in OBJECT_TYPES and carg.ctype != "virConnectPtr":
            annotation = OBJECT_TYPES[carg.ctype]
            # None is libvirt's NULL pointer: refused with libvirt's error,
            # checked before the other arguments as libvirt checks it
            checks.insert(0, f'        _rt.given({pname}, "{annotation}", "{fn.name}")')
            call_args.append(f"{field.name}={_wire(pname, hints.get(field.name))}")
            py_params.append(f"{pname}: {annotation}")
            continue
        else:
            return None
        py_params.append(f"{pname}: {annotation}")
        call_args.append(f"{field.name}={pname}")
    if stream_arg is not None:  # the stream is the last argument
        py_params.append(f"{_param_name(stream_arg.name)}: virStream")
        stream_arg_placed = stream_arg
    stream_arg = stream_arg_placed
    if stream_arg is not None:
        checks.insert(0, f'        _rt.given({_param_name(stream_arg.name)}, "virStream",'
                         f' "{fn.name}")')
    py_params = _with_defaults(fn.name, py_params)
    if fn.ret in _INT_TYPES:
        returns = "int"
        result = "r" if proc.ret_class is not None else "0"
    elif fn.ret in _STR_RETURNS:
        ret_hints = list(proc.ret_class.__annotations__.values()) if proc.ret_class else []
        optional = len(ret_hints) == 1 and "None" in str(ret_hints[0])
        returns, result = ("str | None" if optional else "str"), "r"
    elif fn.ret in OBJECT_TYPES and fn.ret != "virConnectPtr":
        returns = OBJECT_TYPES[fn.ret]
        result = f"{returns}({_result_ctor(returns, cls)}, r)"
    else:
        return None
    params = ", ".join(["self", *py_params])
    lines = [f"    def {name}({params}) -> {returns}:"]
    doc = _words(fn.info)
    if doc:
        lines.append(f'        """{doc}"""')
    lines += checks
    call = f"self._c.{proc_name}({', '.join(call_args)})"
    if stream_arg is not None:
        lines += _call_block(call, fn.name, "s = ")
        stream_name = _param_name(stream_arg.name)
        if result == "0":
            lines += [f"        {stream_name}._attach(s)", "        return 0"]
        else:
            lines += [f"        r: {returns} = {stream_name}._attach(s)", "        return r"]
        return "\n".join(lines)
    lines += _call_block(call, fn.name, "r = " if result != "0" else "")
    lines.append(f"        return {result}")
    return "\n".join(lines)


def _with_defaults(cname: str, params: list[str]) -> list[str]:
    """Add libvirt-python's defaults to trailing parameters (``flags=0``...)."""
    defaults = {**PARAM_DEFAULTS, **FUNCTION_DEFAULTS.get(cname, {})}
    out = list(params)
    for i in range(len(out) - 1, -1, -1):
        name, annotation = out[i].split(": ", 1)
        default = defaults.get(name)
        if default is None or (default == "None" and "None" not in annotation):
            break
        out[i] = f"{name}: {annotation} = {default}"
    return out


def _wire(obj: str, hint: object) -> str:
    """How object ``obj`` goes on the wire: its struct, or (node devices) its name."""
    return f"{obj}._o.name" if str(hint) == "str" else f"{obj}._o"


def _param_name(cname: str) -> str:
    """libvirt-python's parameter name for C argument ``cname`` (keywords renamed)."""
    if cname == "from":
        return "frm"
    return cname + "_" if keyword.iskeyword(cname) else cname


def _procedure_for(cname: str, remote: Program) -> str | None:
    wanted = cname[3:].lower()
    for name in remote.by_name:
        if name.replace("_", "") == wanted:
            return name
    return None


def _missing_method(name: str, fn: Function) -> str:
    doc = _words(fn.info)
    return "\n".join([
        f"    def {name}(self, *args: Any, **kwargs: Any) -> Any:",
        f'        """{doc} (Not yet provided by virtrpc.)"""' if doc else
        '        """Not yet provided by virtrpc."""',
        f'        raise _rt.not_provided("{fn.name}")',
    ])


def plan_methods(api: Api, remote: Program) -> list[Method]:
    """One :class:`Method` per C function libvirt-python puts on a class."""
    shapes = {s.cname: s for s in SHAPES}
    for shape in SHAPES:
        _check_shape(shape, remote)
        if shape.cname not in api.functions:
            raise ValueError(f"shape {shape.cname}: not a function of libvirt-api.xml")
    methods: list[Method] = []
    for fn in api.functions.values():
        placed = python_name(fn.name, tuple(a.ctype for a in fn.args))
        if placed is None or placed[0] == MODULE or fn.name in HAND_WRITTEN:
            continue
        cls, name = placed
        if fn.name in shapes:
            code = _shape_method(cls, name, shapes[fn.name], _words(fn.info))
            methods.append(Method(cls, name, fn.name, "shape", code))
            continue
        code_or_none = _plain_method(cls, name, fn, remote)
        if code_or_none is not None:
            methods.append(Method(cls, name, fn.name, "plain", code_or_none))
        else:
            methods.append(Method(cls, name, fn.name, "missing", _missing_method(name, fn)))
    methods.sort(key=lambda m: (CLASSES.index(m.cls), m.name))
    return methods


HEADER = '''\
# GENERATED FILE - DO NOT EDIT.
# Source: {source}
# Regenerate: python -m virtrpc.apigen
'''


def _natural(name: str) -> list[tuple[int, int | str]]:
    import re

    return [(0, int(part)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", name) if part]


def emit_constants(constants: Iterable[tuple[str, int | str]], source: str, doc: str) -> str:
    pairs = list(constants)
    out = [HEADER.format(source=source), f'"""{doc}"""', ""]
    for name, value in pairs:
        out.append(f"{name} = {value!r}")
    # `from libvirt import *` gives the constants too (libvirt-python has no __all__);
    # in "natural" order (RT2 before RT10), as ruff sorts __all__
    out += ["", "__all__ = ["]
    out += [f'    "{name}",' for name in sorted((n for n, _v in pairs), key=_natural)]
    out.append("]")
    return "\n".join(out) + "\n"


def emit_classes(methods: list[Method], source: str) -> str:
    counts = {k: sum(1 for m in methods if m.kind == k) for k in ("shape", "plain", "missing")}
    docstring = [
        '"""libvirt-python\'s classes, one method per C function of libvirt-api.xml.',
        "",
        f"{counts['plain']} plain methods (a procedure of the same name, arguments by position),",
        f"{counts['shape']} from the shape table (virtrpc/apigen/shapes.py), "
        f"{counts['missing']} not yet provided.",
        '"""',
    ]
    return _emit_class_module(methods, source, docstring, [], "virtrpc.libvirt._objects",
                              lambda code: code)


def _emit_class_module(methods: list[Method], source: str, docstring: list[str],
                       imports: list[str], objects_module: str,
                       method_code: Callable[[str], str]) -> str:
    """A module of the CLASSES, each deriving from its ``<cls>Base`` in
    ``objects_module`` (the half's hand-written objects), with the methods'
    code as ``method_code`` makes it (the blocking half as planned, the
    asyncio half made coroutines)."""
    out = [
        HEADER.format(source=source),
        *docstring,
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "from virtrpc.libvirt import _runtime as _rt",
        *imports,
        f"from {objects_module} import (",
    ]
    out += [f"    {cls}Base," for cls in sorted(CLASSES, key=str.lower)]
    out += [")", "", "__all__ = ["]
    out += [f'    "{cls}",' for cls in sorted(CLASSES)]
    out += ["]"]
    for cls in CLASSES:
        out += ["", "", f"class {cls}({cls}Base):", "    __slots__ = ()"]
        for method in (m for m in methods if m.cls == cls):
            out += ["", method_code(method.code)]
    return "\n".join(out) + "\n"


#: libvirt-python's C module names a few functions differently.
_LIBVIRTMOD_NAMES = {"virSetErrorFunc": "virRegisterErrorHandler",
                     "virConnectListDomains": "virConnectListDomainsID"}


def emit_libvirtmod(api: Api, source: str) -> str:
    """``libvirtmod``: libvirt-python's C extension is reachable as
    ``libvirt.libvirtmod`` with one callable per C function; programs and
    libvirt-python's own tests use a few.  Here each name is the method
    (unbound) or module function that stands for it."""
    out = [
        HEADER.format(source=source),
        '"""One callable per C function, by its C name, as libvirt-python\'s ``libvirtmod``."""',
        "",
        "from virtrpc import libvirt as _libvirt",
        "from virtrpc.libvirt import _classes",
        "",
    ]
    for fn in sorted(api.functions.values(), key=lambda f: f.name):
        placed = python_name(fn.name, tuple(a.ctype for a in fn.args))
        if placed is None:
            continue
        cls, name = placed
        target = f"_libvirt.{name}" if cls == MODULE else f"_classes.{cls}.{name}"
        out.append(f"{_LIBVIRTMOD_NAMES.get(fn.name, fn.name)} = {target}")
    return "\n".join(out) + "\n"


# --- the asyncio twin (virtrpc.libvirt.aio) ----------------------------------------

#: Runtime helpers that talk to the daemon: their asyncio versions are in
#: virtrpc/libvirt/aio/_aruntime.py, under the same names.
IO_HELPERS = ("probe", "host_cpus", "cpumap_len", "cpumaps", "vcpus", "cpumap_bytes",
              "refresh_id", "domain_cpu_stats", "guest_vcpus", "domain_migrate",
              "domain_migrate_to_uri", "none_on_failure")


def _call_end(code: str, start: int) -> int:
    """Index just past the call whose name starts at ``start`` (strings skipped)."""
    i = code.index("(", start)
    depth = 0
    quote = ""
    while i < len(code):
        ch = code[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced call in generated code: {code[start:start + 60]!r}")


def asyncify(code: str) -> str:
    """The asyncio version of a generated method: ``async def``, and every
    call to the client or to a helper that talks to the daemon awaited."""
    import re

    code = code.replace("    def ", "    async def ", 1)
    # the client's calls, the helpers that use the client, the object's own methods
    pattern = re.compile(r"self\._c\.\w+\(|self\.[a-zA-Z]\w*\(|_rt\.(?:"
                         + "|".join(IO_HELPERS) + r")\(")
    out = []
    pos = 0
    while True:
        match = pattern.search(code, pos)
        if match is None:
            out.append(code[pos:])
            break
        end = _call_end(code, match.start())
        inner = asyncify_expression(code[match.start():end])
        inner = re.sub(r"^_rt\.", "_art.", inner)
        out.append(code[pos:match.start()])
        out.append(f"(await {inner})")
        pos = end
    return "".join(out)


def asyncify_expression(call: str) -> str:
    """Await the calls nested in the arguments of ``call``."""
    head, sep, rest = call.partition("(")
    if not rest:
        return call
    inner = asyncify("    def _" + rest[:-1]).removeprefix("    async def _")
    return head + sep + inner + ")"


def emit_aio_classes(methods: list[Method], source: str) -> str:
    docstring = [
        '"""The asyncio twin of virtrpc.libvirt._classes: the same classes and methods,',
        'as coroutines on virtrpc\'s asyncio client (generated from the same plan)."""',
    ]
    return _emit_class_module(methods, source, docstring,
                              ["from virtrpc.libvirt.aio import _aruntime as _art"],
                              "virtrpc.libvirt.aio._objects", asyncify)


def emit_param_types(api: Api, source: str) -> str:
    """``GROUPS``: for each setter group of the shape table, parameter name ->
    VIR_TYPED_PARAM_* type code."""
    from virtrpc.apigen.shapes import PARAM_GROUPS, PARAM_TYPES

    codes = {"INT": 1, "UINT": 2, "LLONG": 3, "ULLONG": 4, "DOUBLE": 5, "BOOLEAN": 6,
             "STRING": 7}
    out = [HEADER.format(source=source),
           '"""Types of the typed parameters that setters without a getter take,',
           'from libvirt-api.xml\'s macros (and virtrpc/apigen/shapes.py PARAM_TYPES)."""',
           "", "GROUPS: dict[str, dict[str, int]] = {"]
    for group, prefix in sorted(PARAM_GROUPS.items()):
        out.append(f"    {group!r}: {{")
        for macro, (name, kind) in sorted(api.typed_params.items()):
            if not macro.startswith(prefix):
                continue
            kind = PARAM_TYPES.get(macro, kind)
            if not kind:
                raise ValueError(f"{macro}: no type in its documentation nor in PARAM_TYPES")
            out.append(f"        {name!r}: {codes[kind]},  # {macro}")
        out.append("    },")
    out.append("}")
    return "\n".join(out) + "\n"
