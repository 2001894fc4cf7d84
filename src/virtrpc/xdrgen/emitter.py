"""Python emitter: turns a :class:`~virtrpc.xdrgen.model.ModuleModel` into source.

The generated module has, in this order: constants, ``IntEnum`` classes
(plus module-level aliases of their members), struct/union classes, one
specialised ``_p_<name>(value) -> bytes`` / ``_u_<name>(data, offset)``
function pair per named type, the type descriptors (``TYPES``) and the
procedure tables (``PROGRAM``).  The functions merge consecutive fields into
as few :mod:`struct` calls as they can (see docs/xdr.md, "How the fast
functions save work"): fixed-size runs use precompiled codecs, runs with
strings use codecs cached by length, padding is checked on the word the next
read fetches anyway, and array loops inline small elements.
"""

from __future__ import annotations

import keyword
import os
from collections.abc import Iterator

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.classes import ClassEmitter
from virtrpc.xdrgen.decoders import WHOLE_DECODER_LINES, DecoderEmitter, whole_decoder
from virtrpc.xdrgen.encoders import EncoderEmitter, pack_function
from virtrpc.xdrgen.lexer import XdrCompileError
from virtrpc.xdrgen.model import ModuleModel, ProcedureModel, ProgramModel
from virtrpc.xdrgen.pysource import concat, indent_lines, literal, literal_ints, wrap_source
from virtrpc.xdrgen.typeinfo import FunctionContext, attribute_name, class_name

GENERATOR = "virtrpc gen"
REGENERATE = "tools/regen  (python -m virtrpc gen ../shared/protocol/libvirt-11.3.0)"


def source_label(path: str) -> str:
    """A stable description of a source path: its folder and file name."""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    return "/".join(parts[-2:])


class ModuleEmitter(ClassEmitter, DecoderEmitter, EncoderEmitter):
    """Generate the source of one protocol module."""

    def struct_functions(self, struct: ast.StructDef) -> list[str]:
        cls = class_name(struct.name)
        ctx = FunctionContext()
        ctx.used.update({"data", "off", "out", "v"})
        body, construct = self.struct_unpack_body(struct, self.module, ctx, "result")
        pack_ctx = FunctionContext()
        pack_ctx.used.update({"data", "off", "out", "v"})
        pack_body, pieces = self.struct_pack_body(struct, self.module, pack_ctx, "v")
        lines = [
            f"def _u_{struct.name}(data: bytes, off: int) -> tuple[{cls}, int]:",
            *indent_lines(body),
            f"    return {construct}, off",
            "",
            "",
            *pack_function(struct.name, cls, [*pack_body, f"return {concat(pieces)}"]),
        ]
        if len(body) <= WHOLE_DECODER_LINES and not any(
            line.lstrip().startswith("for ") for line in body
        ):
            self.whole_decoders.add(struct.name)
            lines += ["", "", *whole_decoder(struct.name, cls, body, construct)]
        return lines

    def union_functions(self, union: ast.UnionDef) -> list[str]:
        cls = class_name(union.name)
        ctx = FunctionContext()
        ctx.used.update({"data", "off", "out", "v"})
        body, result = self.union_unpack_body(union, ctx, "result")
        pack_ctx = FunctionContext()
        pack_ctx.used.update({"data", "off", "out", "v"})
        return [
            f"def _u_{union.name}(data: bytes, off: int) -> tuple[{cls}, int]:",
            *indent_lines(body),
            f"    return {result}, off",
            "",
            "",
            *pack_function(union.name, cls, self.union_pack_body(union, pack_ctx, "v")),
        ]

    def typedef_functions(self, typedef: ast.TypedefDef) -> list[str]:
        expr = typedef.declaration.type  # the target, so a typedef never calls itself
        annotation = self.annotation(expr, self.module)
        ctx = FunctionContext()
        ctx.used.update({"data", "off", "out", "v"})
        lines, result = self.unpack_code(expr, self.module, ctx, "result")
        pack_ctx = FunctionContext()
        pack_ctx.used.update({"data", "off", "out", "v"})
        pack_statements, pieces = self.pack_code(expr, self.module, pack_ctx, "v")
        return [
            f"def _u_{typedef.name}(data: bytes, off: int) -> tuple[{annotation}, int]:",
            *indent_lines(lines),
            f"    return {result}, off",
            "",
            "",
            *pack_function(
                typedef.name, annotation, [*pack_statements, f"return {concat(pieces)}"]
            ),
        ]

    # -- whole module ----------------------------------------------------------------------

    def emit(self) -> str:
        module = self.module
        definitions: list[ast.Definition] = [
            d for d in module.spec.definitions if d is module.types.get(getattr(d, "name", ""))
        ]
        enums = [d for d in definitions if isinstance(d, ast.EnumDef)]
        structs = [d for d in definitions if isinstance(d, ast.StructDef)]
        unions = [d for d in definitions if isinstance(d, ast.UnionDef)]
        typedefs = [d for d in definitions if isinstance(d, ast.TypedefDef)]
        self.check_names(definitions)

        sections: list[list[str]] = []
        consts = [d for d in module.spec.definitions if isinstance(d, ast.ConstDef)]
        if consts:
            sections.append(
                ["# -- constants " + "-" * 66, ""]
                + [f"{const.name} = {_number(module.constants[const.name])}" for const in consts]
            )
        for enum in enums:
            sections.append(self.enum_class(enum))
        if enums:
            aliases = ["# Enum members are also module-level constants, as in C."]
            for enum in enums:
                cls = class_name(enum.name)
                aliases += [f"{member.name} = {cls}.{member.name}" for member in enum.members]
            sections.append(aliases)
        for definition in definitions:
            if isinstance(definition, ast.StructDef):
                sections.append(self.struct_class(definition))
            elif isinstance(definition, ast.UnionDef):
                sections.append(self.union_class(definition))
        function_sections: list[list[str]] = []
        for definition in definitions:
            if isinstance(definition, ast.StructDef):
                function_sections.append(self.struct_functions(definition))
            elif isinstance(definition, ast.UnionDef):
                function_sections.append(self.union_functions(definition))
            elif isinstance(definition, ast.TypedefDef):
                function_sections.append(self.typedef_functions(definition))
        descriptors = self.descriptor_section(definitions, enums, structs, unions, typedefs)
        programs = [self.program_section(program) for program in module.programs]

        header = self.header()
        prelude = self.prelude()
        body: list[list[str]] = [prelude, *sections]
        if function_sections:
            body.append(["# -- codecs " + "-" * 69, "", *self.enum_map_section()])
            body.extend(function_sections)
        body.append(descriptors)
        body.extend(programs)
        text = "\n".join(header) + "\n"
        for section in body:
            text += "\n\n" + "\n".join(section) + "\n"
        return text

    def check_names(self, definitions: list[ast.Definition]) -> None:
        seen: dict[str, str] = {}
        for definition in definitions:
            if isinstance(definition, ast.TypedefDef):
                continue
            python = class_name(definition.name)
            if python in seen:
                raise XdrCompileError(
                    definition.location,
                    f"{definition.name!r} and {seen[python]!r} both map to Python class {python!r}",
                )
            seen[python] = definition.name
            if keyword.iskeyword(python):
                raise XdrCompileError(
                    definition.location, f"type name {definition.name!r} is a Python keyword"
                )
            if isinstance(definition, ast.UnionDef) and definition.discriminant.name == "value":
                raise XdrCompileError(
                    definition.discriminant.location,
                    "a union discriminant cannot be called 'value' (the arm's attribute)",
                )
        for const in self.module.spec.definitions:
            names: list[tuple[str, ast.Location]] = []
            if isinstance(const, ast.ConstDef):
                names.append((const.name, const.location))
            elif isinstance(const, ast.EnumDef):
                names += [(member.name, member.location) for member in const.members]
            for name, location in names:
                if keyword.iskeyword(name) or name.startswith("_"):
                    raise XdrCompileError(
                        location, f"constant name {name!r} cannot be a Python name"
                    )

    def header(self) -> list[str]:
        source = source_label(self.module.path)
        return [
            f"# Generated by {GENERATOR} from {source}.  DO NOT EDIT.",
            f"# Regenerate with: {REGENERATE}",
            "#",
            "# Derived from libvirt's protocol definition (LGPL-2.1-or-later);",
            "# distributed under the same licence.",
            f'"""Codecs and tables of ``{os.path.basename(self.module.path)}`` (generated)."""',
        ]

    def prelude(self) -> list[str]:
        lines = [
            "from __future__ import annotations",
            "",
            "import enum as _enum",
            "import struct as _struct",
            "from typing import Any as _Any",
            "",
            "from virtrpc import xdr as _xdr",
        ]
        for dependency in sorted(
            self.used_dependencies | {d.name for d in self.module.dependencies}
        ):
            lines.append(f"from . import {dependency} as _{dependency}")
        lines += [
            "",
            "_PAD = _xdr.PADDING",
            "_MASK = _xdr.PAD_MASK",
            "_new = object.__new__  # allocate without __init__",
        ]
        for fmt, name in sorted(self.struct_formats.items(), key=lambda item: item[1]):
            lines.append(f'{name} = _struct.Struct(">{fmt}")')
        for (template, maxima), name in sorted(self.var_structs.items(), key=lambda item: item[1]):
            lines.append(f'{name} = _xdr.VarStructs("{template}", {literal_ints(maxima)})')
        # after the codecs: a table may hold VarStructs
        lines += [line for _, line in sorted(self.arm_tables.items())]
        return lines

    def enum_map_section(self) -> list[str]:
        return [
            f"{name}: dict[int, {qualified}] = {{int(m): m for m in {qualified}}}"
            for qualified, name in sorted(self.enum_maps.items(), key=lambda item: item[1])
        ]

    def descriptor_section(
        self,
        definitions: list[ast.Definition],
        enums: list[ast.EnumDef],
        structs: list[ast.StructDef],
        unions: list[ast.UnionDef],
        typedefs: list[ast.TypedefDef],
    ) -> list[str]:
        module = self.module
        lines = ["# -- type descriptors " + "-" * 59, ""]
        for enum in enums:
            cls = class_name(enum.name)
            lines.append(f'_T_{enum.name}: _xdr.EnumType = _xdr.EnumType("{enum.name}", {cls})')
        for definition in definitions:
            if isinstance(definition, ast.StructDef):
                cls = class_name(definition.name)
                lines.append(
                    f"_T_{definition.name}: _xdr.StructType[{cls}] = "
                    f'_xdr.StructType("{definition.name}", {cls})'
                )
            elif isinstance(definition, ast.UnionDef):
                cls = class_name(definition.name)
                disc = attribute_name(definition.discriminant.name or "discriminant")
                lines.append(
                    f"_T_{definition.name}: _xdr.UnionType[{cls}] = "
                    f'_xdr.UnionType("{definition.name}", {cls}, "{disc}")'
                )
            elif isinstance(definition, ast.TypedefDef):
                annotation = self.annotation(definition.declaration.type, module)
                lines.append(
                    f"_T_{definition.name}: _xdr.TypedefType[{annotation}] = "
                    f'_xdr.TypedefType("{definition.name}")'
                )
        lines.append("")
        for definition in definitions:
            if isinstance(definition, ast.StructDef):
                lines.append(f"_T_{definition.name}.fields = (")
                for field in definition.fields:
                    descriptor = self.descriptor(field.type, module)
                    lines.append(f'    ("{attribute_name(field.name or "")}", {descriptor}),')
                lines.append(")")
                markers = {
                    attribute_name(f.name or ""): f.marker
                    for f in definition.fields
                    if f.marker is not None
                }
                if definition.marker is not None:
                    markers = {"": definition.marker, **markers}
                if markers:
                    shown = ", ".join(
                        f"{literal(key)}: {number}" for key, number in markers.items()
                    )
                    lines.append(f"_T_{definition.name}.markers = {{{shown}}}")
            elif isinstance(definition, ast.UnionDef):
                name = definition.name
                lines.append(
                    f"_T_{name}.discriminant_type = {self.descriptor(definition.discriminant.type, module)}"
                )
                lines.append(f"_T_{name}.arms = {{")
                for arm in definition.arms:
                    arm_name = f'"{arm.declaration.name}"' if arm.declaration.name else "None"
                    descriptor = self.descriptor(arm.declaration.type, module)
                    for case in arm.cases:
                        number = module.value(case, arm.declaration.location)
                        lines.append(f"    {number}: ({arm_name}, {descriptor}),")
                lines.append("}")
                if definition.default is not None:
                    arm = definition.default
                    arm_name = f'"{arm.declaration.name}"' if arm.declaration.name else "None"
                    lines.append(
                        f"_T_{name}.default = ({arm_name}, {self.descriptor(arm.declaration.type, module)})"
                    )
            elif isinstance(definition, ast.TypedefDef):
                descriptor = self.descriptor(definition.declaration.type, module)
                lines.append(f"_T_{definition.name}.target = {descriptor}")
        named = [*structs, *unions, *typedefs]
        if named:
            lines.append("")
            for definition in definitions:
                if isinstance(definition, (ast.StructDef, ast.UnionDef, ast.TypedefDef)):
                    name = definition.name
                    lines.append(f"_T_{name}.pack = _p_{name}")
                    lines.append(f"_T_{name}._fast_unpack = _u_{name}")
                    if name in self.whole_decoders:
                        lines.append(f"_T_{name}.unpack = _U_{name}")
        lines += ["", "TYPES: dict[str, _xdr.XdrType[_Any]] = {"]
        for definition in definitions:
            lines.append(f'    "{definition.name}": _T_{definition.name},')
        lines.append("}")
        return lines

    def program_section(self, program: ProgramModel) -> list[str]:
        module = self.module
        suffix = "" if len(module.programs) == 1 else "_" + program.name.upper()
        lines = [
            f"# -- program {program.name} " + "-" * max(4, 66 - len(program.name)),
            "",
            f"_PROCEDURES{suffix}: dict[int, _xdr.Procedure] = {{",
        ]
        for proc in program.procedures:
            lines += indent_lines(self.procedure_entry(program, proc))
        lines += [
            "}",
            "",
            f"PROGRAM{suffix} = _xdr.Program(",
            f'    name="{program.name}",',
            f"    number={program.number:#x},",
            f"    version={program.version},",
            f"    procedures=_PROCEDURES{suffix},",
            f"    by_name={{proc.name: proc for proc in _PROCEDURES{suffix}.values()}},",
            ")",
        ]
        return lines

    def procedure_entry(self, program: ProgramModel, proc: ProcedureModel) -> list[str]:
        module = self.module

        def side(expr: ast.TypeExpr | None) -> tuple[str, str]:
            if expr is None:
                return "None", "None"
            descriptor = self.descriptor(expr, module)
            expanded, owner = self.expand(expr, module)
            cls = "None"
            if isinstance(expanded, ast.NamedRef):
                found_owner, definition = owner.lookup_type(expanded)
                if isinstance(definition, (ast.StructDef, ast.UnionDef)):
                    cls = self.qualify(found_owner, class_name(definition.name))
            return descriptor, cls

        args, args_class = side(proc.args)
        ret, ret_class = side(proc.ret)
        options: list[str] = []
        if proc.is_event:
            options.append("is_event=True")
        for key in ("stream", "sparseflag", "fds", "generate"):
            value = getattr(proc, key)
            if value is not None:
                options.append(f"{key}={literal(value)}")
        if proc.priority != "low":
            options.append(f"priority={literal(proc.priority)}")
        if proc.acl:
            options.append(f"acl={literal(proc.acl)}")
        if proc.aclfilter:
            options.append(f"aclfilter={literal(proc.aclfilter)}")
        return [
            f"{proc.number}: _xdr.Procedure(",
            f"    {program.number:#x}, {program.version}, {proc.number}, "
            f'"{proc.name}", "{proc.const_name}",',
            f"    {args}, {ret}, {args_class}, {ret_class},",
            *([f"    {', '.join(options)},"] if options else []),
            "),",
        ]


def _number(value: int) -> str:
    return str(value)


def emit_module(module: ModuleModel, all_modules: list[ModuleModel]) -> str:
    """The source text of the generated module for ``module``."""
    emitter = ModuleEmitter(module, all_modules)
    # Emitting the body first collects the struct formats and enum maps that the
    # prelude declares; the final text puts the prelude first.
    return wrap_source(emitter.emit())


def iter_output_names(modules: list[ModuleModel]) -> Iterator[str]:
    for module in modules:
        yield module.name
