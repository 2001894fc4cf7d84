"""Semantic stage: resolve names, constants and procedure tables.

A :class:`ModuleModel` is one ``.x`` file ready for the emitter: every type
reference can be looked up (in the file or in a file it includes), every
size is an ``int`` and the programs are explicit procedure tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from virtrpc.xdrgen import ast, libvirt
from virtrpc.xdrgen.lexer import XdrCompileError
from virtrpc.xdrgen.parser import parse_file

TypeDefinition = ast.EnumDef | ast.StructDef | ast.UnionDef | ast.TypedefDef


@dataclass
class ProcedureModel:
    number: int
    name: str  # snake case without the program prefix
    const_name: str
    args: ast.TypeExpr | None  # None: void
    ret: ast.TypeExpr | None
    is_event: bool
    stream: str | None
    sparseflag: str | None
    priority: str
    fds: str | None
    generate: str | None
    acl: tuple[str, ...]
    aclfilter: tuple[str, ...]
    location: ast.Location


@dataclass
class ProgramModel:
    name: str
    number: int
    version: int
    procedures: list[ProcedureModel]
    #: the enum listing the procedures (libvirt style), if any
    procedure_enum: str | None = None


@dataclass
class ModuleModel:
    """One compiled ``.x`` file."""

    name: str  # Python module name, e.g. "remote"
    path: str
    spec: ast.Specification
    dependencies: list[ModuleModel]
    constants: dict[str, int] = field(default_factory=dict)  # own consts + enum members
    types: dict[str, TypeDefinition] = field(default_factory=dict)
    programs: list[ProgramModel] = field(default_factory=list)
    extra_constants: Mapping[str, int] = field(default_factory=dict)

    # -- lookups -------------------------------------------------------------

    def all_dependencies(self) -> list[ModuleModel]:
        seen: list[ModuleModel] = []
        stack = list(self.dependencies)
        while stack:
            module = stack.pop(0)
            if module not in seen:
                seen.append(module)
                stack.extend(module.dependencies)
        return seen

    def find_type(self, name: str) -> tuple[ModuleModel, TypeDefinition] | None:
        if name in self.types:
            return self, self.types[name]
        for module in self.all_dependencies():
            if name in module.types:
                return module, module.types[name]
        return None

    def lookup_type(self, ref: ast.NamedRef) -> tuple[ModuleModel, TypeDefinition]:
        found = self.find_type(ref.name)
        if found is None:
            raise XdrCompileError(ref.location, f"unknown type {ref.name!r}")
        return found

    def find_constant(self, name: str) -> int | None:
        if name in self.constants:
            return self.constants[name]
        for module in self.all_dependencies():
            if name in module.constants:
                return module.constants[name]
        return self.extra_constants.get(name)

    def value(
        self, value: ast.Value | None, location: ast.Location, default: int | None = None
    ) -> int:
        if value is None:
            if default is None:
                raise XdrCompileError(location, "a value is required")
            return default
        if isinstance(value, int):
            return value
        found = self.find_constant(value)
        if found is None:
            raise XdrCompileError(location, f"unknown constant {value!r}")
        return found

    def resolve(self, expr: ast.TypeExpr) -> ast.TypeExpr:
        """Follow typedefs until a non-typedef expression."""
        seen: set[str] = set()
        scope = self  # typedefs resolve in the module that defines them
        while isinstance(expr, ast.NamedRef):
            scope, definition = scope.lookup_type(expr)
            if not isinstance(definition, ast.TypedefDef):
                return expr
            if expr.name in seen:
                raise XdrCompileError(expr.location, f"typedef cycle through {expr.name!r}")
            seen.add(expr.name)
            expr = definition.declaration.type
        return expr


def _is_self_typedef(definition: ast.Definition) -> bool:
    if not isinstance(definition, ast.TypedefDef):
        return False
    target = definition.declaration.type
    return isinstance(target, ast.NamedRef) and target.name == definition.name


def build_module(
    spec: ast.Specification,
    name: str,
    dependencies: list[ModuleModel],
    extra_constants: Mapping[str, int],
) -> ModuleModel:
    """Resolve one parsed file against its (already built) dependencies."""
    module = ModuleModel(name, spec.path, spec, dependencies, extra_constants=extra_constants)
    defined: dict[str, ast.Location] = {}

    def define(symbol: str, location: ast.Location) -> None:
        if symbol in defined:
            raise XdrCompileError(location, f"{symbol!r} already defined at {defined[symbol]}")
        defined[symbol] = location

    # Constants and enum values first: sizes may use constants defined later.
    pending_consts: list[ast.ConstDef] = []
    for definition in spec.definitions:
        if isinstance(definition, ast.ConstDef):
            define(definition.name, definition.location)
            pending_consts.append(definition)
        elif isinstance(definition, ast.EnumDef):
            define(definition.name, definition.location)
            module.types[definition.name] = definition
        elif _is_self_typedef(definition):
            # C-style "typedef struct foo foo;" (libvirt's log protocol): a no-op.
            continue
        elif isinstance(definition, (ast.StructDef, ast.UnionDef, ast.TypedefDef)):
            define(definition.name, definition.location)
            module.types[definition.name] = definition
    for const in pending_consts:
        if isinstance(const.value, int):
            module.constants[const.name] = const.value
    for const in pending_consts:  # constants defined by other constants
        module.constants[const.name] = module.value(const.value, const.location)
    for definition in spec.definitions:
        if isinstance(definition, ast.EnumDef):
            next_value = 0
            seen_values: dict[int, str] = {}
            for member in definition.members:
                define(member.name, member.location)
                number = module.value(member.value, member.location, default=next_value)
                if not -(2**31) <= number < 2**31:
                    raise XdrCompileError(
                        member.location, f"enum value {number} does not fit in 32 bits"
                    )
                module.constants[member.name] = number
                seen_values.setdefault(number, member.name)
                next_value = number + 1
    _check_types(module)
    module.programs = _programs(module)
    return module


def _check_types(module: ModuleModel) -> None:
    """Resolve every reference and size now, so errors point at the .x."""

    def check(expr: ast.TypeExpr, location: ast.Location) -> None:
        if isinstance(expr, ast.NamedRef):
            module.lookup_type(expr)
        elif isinstance(expr, ast.Primitive):
            if expr.kind == "quadruple":
                raise XdrCompileError(location, "quadruple (128-bit float) is not supported")
        elif isinstance(expr, ast.FixedOpaque):
            _size(module.value(expr.size, location), location)
        elif isinstance(expr, (ast.VarOpaque, ast.String)):
            if expr.maximum is not None:
                _size(module.value(expr.maximum, location), location)
        elif isinstance(expr, ast.FixedArray):
            _size(module.value(expr.size, location), location)
            check(expr.element, location)
        elif isinstance(expr, ast.VarArray):
            if expr.maximum is not None:
                _size(module.value(expr.maximum, location), location)
            check(expr.element, location)
        elif isinstance(expr, ast.Optional):
            check(expr.element, location)

    for definition in module.types.values():
        if isinstance(definition, ast.StructDef):
            names: set[str] = set()
            for decl in definition.fields:
                assert decl.name is not None
                if decl.name in names:
                    raise XdrCompileError(decl.location, f"duplicate field {decl.name!r}")
                names.add(decl.name)
                check(decl.type, decl.location)
                if decl.type == ast.Primitive("void"):
                    raise XdrCompileError(decl.location, "void field")
        elif isinstance(definition, ast.TypedefDef):
            check(definition.declaration.type, definition.location)
            module.resolve(ast.NamedRef(definition.name, definition.location))
        elif isinstance(definition, ast.UnionDef):
            disc = module.resolve(definition.discriminant.type)
            ok = isinstance(disc, ast.Primitive) and disc.kind in ("int", "uint", "bool")
            if isinstance(disc, ast.NamedRef):
                ok = isinstance(module.lookup_type(disc)[1], ast.EnumDef)
            if not ok:
                raise XdrCompileError(
                    definition.discriminant.location,
                    "union discriminant must be int, unsigned int, bool or an enum",
                )
            seen: dict[int, ast.Location] = {}
            for arm in definition.arms:
                check(arm.declaration.type, arm.declaration.location)
                for case in arm.cases:
                    number = module.value(case, arm.declaration.location)
                    if number in seen:
                        raise XdrCompileError(arm.declaration.location, f"duplicate case {case!r}")
                    seen[number] = arm.declaration.location
            if definition.default is not None:
                check(definition.default.declaration.type, definition.default.declaration.location)


def _size(value: int, location: ast.Location) -> int:
    if not 0 <= value <= 0xFFFFFFFF:
        raise XdrCompileError(location, f"size {value} out of range")
    return value


def _programs(module: ModuleModel) -> list[ProgramModel]:
    programs: list[ProgramModel] = []
    for definition in module.spec.definitions:
        if isinstance(definition, ast.ProgramDef):
            programs.extend(_rpc_program(module, definition))
    for definition in module.spec.definitions:
        if isinstance(definition, ast.EnumDef) and libvirt.is_procedure_enum(definition.name):
            programs.append(_libvirt_program(module, definition))
    names = [program.name for program in programs]
    if len(set(names)) != len(names):
        raise XdrCompileError(None, f"{module.path}: duplicate program names {names}")
    return programs


def _rpc_program(module: ModuleModel, definition: ast.ProgramDef) -> Iterable[ProgramModel]:
    number = module.value(definition.number, definition.location)
    for version in definition.versions:
        procedures = []
        seen: dict[int, str] = {}
        for proc in version.procedures:
            if len(proc.args) > 1:
                raise XdrCompileError(
                    proc.location,
                    "procedures with several arguments are not supported; use a struct",
                )
            proc_number = module.value(proc.number, proc.location)
            if proc_number in seen:
                raise XdrCompileError(
                    proc.location,
                    f"procedure number {proc_number} already used by {seen[proc_number]}",
                )
            seen[proc_number] = proc.name
            args = proc.args[0] if proc.args else None
            ret = None if proc.result == ast.Primitive("void") else proc.result
            for expr in (args, ret):
                if isinstance(expr, ast.NamedRef):
                    module.lookup_type(expr)
            procedures.append(
                ProcedureModel(
                    proc_number,
                    proc.name.lower(),
                    proc.name,
                    args,
                    ret,
                    False,
                    None,
                    None,
                    "low",
                    None,
                    None,
                    (),
                    (),
                    proc.location,
                )
            )
        name = definition.name.lower()
        if len(definition.versions) > 1:
            name = f"{name}_{version.name.lower()}"
        yield ProgramModel(name, number, module.value(version.number, version.location), procedures)


def _libvirt_program(module: ModuleModel, enum: ast.EnumDef) -> ProgramModel:
    if not enum.members:
        raise XdrCompileError(enum.location, "empty procedure enum")
    first = enum.members[0].name
    marker = first.find("PROC_")
    if marker < 0:
        raise XdrCompileError(
            enum.members[0].location, f"procedure {first!r} does not contain 'PROC_'"
        )
    prefix = first[:marker]
    program_const = prefix + "PROGRAM"
    number = module.find_constant(program_const)
    version = module.find_constant(prefix + "PROTOCOL_VERSION")
    if version is None:
        version = module.find_constant(prefix + "PROGRAM_VERSION")
    if number is None or version is None:
        raise XdrCompileError(
            enum.location,
            f"procedure enum {enum.name!r} needs constants {program_const} and "
            f"{prefix}PROTOCOL_VERSION (or {prefix}PROGRAM_VERSION)",
        )
    one_way = program_const in libvirt.ONE_WAY_PROGRAMS
    procedures = []
    for member in enum.members:
        if not member.name.startswith(prefix + "PROC_"):
            raise XdrCompileError(
                member.location, f"procedure {member.name!r} does not start with {prefix}PROC_"
            )
        suffix = member.name[len(prefix) + len("PROC_") :]
        base, style = libvirt.type_base(enum.name, suffix)
        void_sides = libvirt.void_sides(member.name)

        def struct_named(role: str) -> ast.NamedRef | None:
            name = libvirt.suffixed(base, style, role)  # noqa: B023 - used immediately
            return ast.NamedRef(name, member.location) if name in module.types else None  # noqa: B023

        message = struct_named("msg")
        args = struct_named("args")
        ret = struct_named("ret")
        is_event = message is not None or one_way
        if message is not None:
            if args is not None:
                raise XdrCompileError(
                    member.location, f"{member.name}: both {message.name} and {args.name} exist"
                )
            args = message
        for side, found in (("args", args), ("ret", ret)):
            expected = libvirt.suffixed(base, style, "msg" if is_event and side == "args" else side)
            if is_event and side == "ret":
                if found is not None:
                    raise XdrCompileError(
                        member.location, f"{member.name} is an event but {found.name} exists"
                    )
                continue
            if found is None and side not in void_sides:
                raise XdrCompileError(
                    member.location,
                    f"{member.name}: no type {expected!r}; if the procedure really has no "
                    f"{side}, add it to virtrpc.xdrgen.libvirt.VOID_{side.upper()}",
                )
            if found is not None and side in void_sides:
                raise XdrCompileError(
                    member.location,
                    f"{member.name} is listed in VOID_{side.upper()} but {found.name} exists",
                )
        annotations = libvirt.parse_annotations(member.doc)
        stream = libvirt.HAND_CODED_STREAMS.get(member.name)
        if "readstream" in annotations:
            stream = "read"
        if "writestream" in annotations:
            if stream is not None:
                raise XdrCompileError(
                    member.location, f"{member.name}: both @readstream and @writestream"
                )
            stream = "write"
        priority = annotations.get("priority", ["low"])[-1]
        if priority not in ("low", "high"):
            raise XdrCompileError(member.location, f"{member.name}: bad @priority {priority!r}")
        procedures.append(
            ProcedureModel(
                number=module.constants[member.name],
                name=suffix.lower(),
                const_name=member.name,
                args=args,
                ret=ret,
                is_event=is_event,
                stream=stream,
                sparseflag=annotations.get("sparseflag", [None])[-1],
                priority=priority,
                fds=libvirt.FD_PASSING.get(member.name),
                generate=annotations.get("generate", [None])[-1],
                acl=tuple(annotations.get("acl", [])),
                aclfilter=tuple(annotations.get("aclfilter", [])),
                location=member.location,
            )
        )
    name = module.name
    return ProgramModel(name, number, version, procedures, enum.name)


# -- loading a set of files -----------------------------------------------------


def collect_sources(paths: Iterable[str]) -> list[str]:
    """Expand folders to their ``.x`` files (sorted); keep files as given."""
    result: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            entries = sorted(entry for entry in os.listdir(path) if entry.endswith(".x"))
            if not entries:
                raise XdrCompileError(None, f"{path}: no .x files")
            result.extend(os.path.join(path, entry) for entry in entries)
        elif os.path.exists(path):
            result.append(path)
        else:
            raise XdrCompileError(None, f"{path}: no such file or directory")
    return result


def load(
    paths: Iterable[str], extra_constants: Mapping[str, int] | None = None
) -> list[ModuleModel]:
    """Parse and resolve ``paths`` plus the files they include.

    ``%#include "foo_protocol.h"`` makes ``foo_protocol.x`` from the same
    folder a dependency.  Returns the modules in dependency order.
    """
    # TRUE and FALSE are part of the XDR language (bool is an enum of them).
    constants = {"TRUE": 1, "FALSE": 0, **libvirt.C_HEADER_CONSTANTS}
    constants.update(extra_constants or {})
    requested = [os.path.normpath(path) for path in collect_sources(paths)]
    specs: dict[str, ast.Specification] = {}
    queue = list(requested)
    while queue:
        path = queue.pop(0)
        if path in specs:
            continue
        spec = parse_file(path)
        specs[path] = spec
        for include in spec.includes:
            candidate = os.path.join(os.path.dirname(path), os.path.splitext(include)[0] + ".x")
            candidate = os.path.normpath(candidate)
            if os.path.exists(candidate) and candidate != path:
                queue.append(candidate)
    built: dict[str, ModuleModel] = {}
    names: dict[str, str] = {}

    def build(path: str, chain: tuple[str, ...]) -> ModuleModel:
        if path in built:
            return built[path]
        if path in chain:
            raise XdrCompileError(None, f"include cycle: {' -> '.join((*chain, path))}")
        spec = specs[path]
        deps = []
        for include in spec.includes:
            candidate = os.path.normpath(
                os.path.join(os.path.dirname(path), os.path.splitext(include)[0] + ".x")
            )
            if candidate in specs and candidate != path:
                deps.append(build(candidate, (*chain, path)))
        stem = os.path.splitext(os.path.basename(path))[0]
        name = libvirt.module_name_for(stem)
        if name in names and names[name] != path:
            raise XdrCompileError(
                None, f"{path} and {names[name]} would both generate module {name!r}"
            )
        names[name] = path
        module = build_module(spec, name, deps, constants)
        built[path] = module
        return module

    for path in sorted(specs):
        build(path, ())
    ordered: list[ModuleModel] = []
    for module in built.values():
        if module not in ordered:
            ordered.append(module)
    return ordered
