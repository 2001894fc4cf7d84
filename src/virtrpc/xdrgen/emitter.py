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
import re
from collections.abc import Iterator
from dataclasses import dataclass

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.lexer import XdrCompileError
from virtrpc.xdrgen.model import ModuleModel, ProcedureModel, ProgramModel, TypeDefinition

GENERATOR = "virtrpc gen"
REGENERATE = "tools/regen  (python -m virtrpc gen ../shared/protocol/libvirt-11.3.0)"

_SCALAR_FORMATS = {
    "int": ("i", 4),
    "uint": ("I", 4),
    "hyper": ("q", 8),
    "uhyper": ("Q", 8),
    "float": ("f", 4),
    "double": ("d", 8),
    "bool": ("I", 4),
}
_PRIMITIVE_DESCRIPTORS = {
    "int": "_xdr.INT",
    "uint": "_xdr.UINT",
    "hyper": "_xdr.HYPER",
    "uhyper": "_xdr.UHYPER",
    "float": "_xdr.FLOAT",
    "double": "_xdr.DOUBLE",
    "bool": "_xdr.BOOL",
    "void": "_xdr.VOID",
}
_PRIMITIVE_ANNOTATIONS = {
    "int": "int",
    "uint": "int",
    "hyper": "int",
    "uhyper": "int",
    "float": "float",
    "double": "float",
    "bool": "bool",
    "void": "None",
}
_UNBOUNDED = 0xFFFFFFFF
#: Structs whose decoding takes at most this many statements (and no loop)
#: get a whole-buffer decoder as their ``unpack`` (see :func:`whole_decoder`).
WHOLE_DECODER_LINES = 12


def class_name(xdr_name: str) -> str:
    """``remote_nonnull_domain`` -> ``RemoteNonnullDomain``; ``virNetX`` -> ``VirNetX``."""
    return "".join(part[:1].upper() + part[1:] for part in xdr_name.split("_") if part)


def attribute_name(xdr_name: str) -> str:
    """The Python attribute of a field (keywords get a trailing underscore)."""
    return xdr_name + "_" if keyword.iskeyword(xdr_name) else xdr_name


def source_label(path: str) -> str:
    """A stable description of a source path: its folder and file name."""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    return "/".join(parts[-2:])


@dataclass
class _Scalar:
    """A type that is a fixed-size number on the wire."""

    format: str  # struct format character(s)
    size: int
    convert: str | None  # None | "bool" | "<qualified enum map>"
    fixed_length: int | None = None  # opaque[n] packed as "ns": check the length first


@dataclass
class _Flat:
    """A value that packs inside one ``struct`` call."""

    format: (
        str  # struct format; "{}" stands for a string's or variable opaque's length+data+padding
    )
    is_bool: bool = False
    fixed_length: int | None = None  # opaque[n]: check the length first ("ns" pads silently)
    maximum: int | None = None  # variable length: the <max>
    encode: bool = False  # a string: UTF-8 encode first


class _FunctionContext:
    """Fresh local names within one generated function."""

    def __init__(self) -> None:
        self.used: set[str] = {"data", "off", "out", "v"}

    def fresh(self, hint: str) -> str:
        name = hint
        counter = 1
        while name in self.used:
            counter += 1
            name = f"{hint}{counter}"
        self.used.add(name)
        return name


class ModuleEmitter:
    """Generate the source of one protocol module."""

    def __init__(self, module: ModuleModel, all_modules: list[ModuleModel]) -> None:
        self.module = module
        self.all_modules = all_modules
        # format -> constant name; "i" decodes discriminants and optional flags
        self.struct_formats: dict[str, str] = {"i": "_S_i"}
        self.enum_maps: dict[str, str] = {}  # qualified enum class -> map constant
        #: union dispatch tables: name -> definition line
        self.arm_tables: dict[str, str] = {}
        #: (template, maxima) -> name of its VarStructs cache
        self.var_structs: dict[tuple[str, tuple[int, ...]], str] = {}
        self.used_dependencies: set[str] = set()
        self._local_classes: set[str] | None = None
        self.disc_pack: tuple[str, str] = ("i", "disc")  # the union being emitted
        #: structs that have a whole-buffer decoder ``_U_<name>`` (their ``unpack``)
        self.whole_decoders: set[str] = set()

    # -- naming ------------------------------------------------------------------

    def qualify(self, owner: ModuleModel, name: str) -> str:
        if owner is self.module:
            return name
        self.used_dependencies.add(owner.name)
        return f"_{owner.name}.{name}"

    def qualify_for_calls(self, annotation: str, module_alias: str) -> str:
        """Prefix this module's class names in ``annotation`` with ``module_alias``."""
        import re

        if self._local_classes is None:
            self._local_classes = {class_name(name) for name in self.module.types}
        local = self._local_classes

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            return f"{module_alias}.{word}" if word in local else word

        return re.sub(r"(?<![\w.])[A-Za-z_]\w*", replace, annotation)

    def lookup(self, ref: ast.NamedRef) -> tuple[ModuleModel, TypeDefinition]:
        return self.module.lookup_type(ref)

    def struct_constant(self, fmt: str) -> str:
        name = self.struct_formats.get(fmt)
        if name is None:
            name = f"_S_{fmt}"
            self.struct_formats[fmt] = name
        return name

    # -- type analysis -------------------------------------------------------------

    def expand(self, expr: ast.TypeExpr, owner: ModuleModel) -> tuple[ast.TypeExpr, ModuleModel]:
        """Follow typedefs (in the module that defines them) to a concrete expression."""
        seen = 0
        while isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            if not isinstance(definition, ast.TypedefDef):
                return expr, found_owner
            expr, owner = definition.declaration.type, found_owner
            seen += 1
            if seen > 100:
                raise XdrCompileError(definition.location, "typedef cycle")
        return expr, owner

    def scalar(self, expr: ast.TypeExpr, owner: ModuleModel) -> _Scalar | None:
        expr, owner = self.expand(expr, owner)
        if isinstance(expr, ast.Primitive) and expr.kind in _SCALAR_FORMATS:
            fmt, size = _SCALAR_FORMATS[expr.kind]
            return _Scalar(fmt, size, "bool" if expr.kind == "bool" else None)
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            if isinstance(definition, ast.EnumDef):
                return _Scalar("i", 4, self.enum_map(found_owner, definition))
        return None

    def compound_typedef(self, expr: ast.TypeExpr, owner: ModuleModel) -> tuple[str, str] | None:
        """The (unpack, pack) functions of a typedef worth calling rather than inlining.

        Typedefs of one-call types (strings, opaques, structs) are inlined;
        typedefs of optionals and arrays are called to keep the code small.
        """
        if not isinstance(expr, ast.NamedRef):
            return None
        found_owner, definition = owner.lookup_type(expr)
        if not isinstance(definition, ast.TypedefDef):
            return None
        expanded, _ = self.expand(expr, owner)
        if isinstance(expanded, (ast.Optional, ast.FixedArray, ast.VarArray)):
            return (
                self.qualify(found_owner, f"_u_{definition.name}"),
                self.qualify(found_owner, f"_p_{definition.name}"),
            )
        return None

    def run_member(self, expr: ast.TypeExpr, owner: ModuleModel) -> _Scalar | None:
        """Like :meth:`scalar`, plus ``opaque[n]`` with ``n % 4 == 0`` (a struct "ns" item)."""
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            return scalar
        expanded, owner = self.expand(expr, owner)
        if isinstance(expanded, ast.FixedOpaque):
            size = owner.value(expanded.size, ast.Location(owner.path, 0, 0))
            if size % 4 == 0 and size > 0:
                return _Scalar(f"{size}s", size, None, size)
        return None

    def enum_map(self, owner: ModuleModel, enum: ast.EnumDef) -> str:
        qualified = self.qualify(owner, class_name(enum.name))
        name = self.enum_maps.get(qualified)
        if name is None:
            name = f"_E_{owner.name}_{enum.name}" if owner is not self.module else f"_E_{enum.name}"
            self.enum_maps[qualified] = name
        return name

    def value(self, value: ast.Value | None, owner: ModuleModel, location: ast.Location) -> int:
        return owner.value(value, location, default=_UNBOUNDED)

    def min_size(self, expr: ast.TypeExpr, owner: ModuleModel, depth: int = 0) -> int:
        """The smallest encoding of a type (used to reject impossible counts early)."""
        expr, owner = self.expand(expr, owner)
        if depth > 20:
            return 0
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            return scalar.size
        if isinstance(expr, ast.Primitive):
            return 0  # void
        if isinstance(expr, (ast.VarOpaque, ast.String, ast.VarArray, ast.Optional)):
            return 4
        location = ast.Location(owner.path, 0, 0)
        if isinstance(expr, ast.FixedOpaque):
            size = owner.value(expr.size, location)
            return size + (-size & 3)
        if isinstance(expr, ast.FixedArray):
            return owner.value(expr.size, location) * self.min_size(expr.element, owner, depth + 1)
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            if isinstance(definition, ast.StructDef):
                return sum(self.min_size(f.type, found_owner, depth + 1) for f in definition.fields)
            if isinstance(definition, ast.UnionDef):
                return 4
        return 0

    def annotation(self, expr: ast.TypeExpr, owner: ModuleModel) -> str:
        if isinstance(expr, ast.Primitive):
            return _PRIMITIVE_ANNOTATIONS[expr.kind]
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            if isinstance(definition, ast.TypedefDef):
                return self.annotation(definition.declaration.type, found_owner)
            qualified = self.qualify(found_owner, class_name(definition.name))
            if isinstance(definition, ast.EnumDef):
                return f"{qualified} | int"
            return qualified
        if isinstance(expr, (ast.FixedOpaque, ast.VarOpaque)):
            return "bytes"
        if isinstance(expr, ast.String):
            return "str"
        if isinstance(expr, (ast.FixedArray, ast.VarArray)):
            return f"list[{self.annotation(expr.element, owner)}]"
        inner = self.annotation(expr.element, owner)
        return inner if inner.endswith("| None") else f"{inner} | None"

    def descriptor(self, expr: ast.TypeExpr, owner: ModuleModel) -> str:
        """Python expression building the descriptor of ``expr``."""
        location = ast.Location(owner.path, 0, 0)
        if isinstance(expr, ast.Primitive):
            return _PRIMITIVE_DESCRIPTORS[expr.kind]
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            return self.qualify(found_owner, f"_T_{definition.name}")
        if isinstance(expr, ast.FixedOpaque):
            return f"_xdr.FixedOpaque({owner.value(expr.size, location)})"
        if isinstance(expr, ast.VarOpaque):
            return f"_xdr.VarOpaque({self.value(expr.maximum, owner, location)})"
        if isinstance(expr, ast.String):
            return f"_xdr.StringType({self.value(expr.maximum, owner, location)})"
        if isinstance(expr, ast.FixedArray):
            element = self.descriptor(expr.element, owner)
            return f"_xdr.FixedArray({element}, {owner.value(expr.size, location)})"
        if isinstance(expr, ast.VarArray):
            element = self.descriptor(expr.element, owner)
            return f"_xdr.VarArray({element}, {self.value(expr.maximum, owner, location)})"
        return f"_xdr.OptionalType({self.descriptor(expr.element, owner)})"

    # -- decoding code -------------------------------------------------------------

    def convert_lines(self, scalar: _Scalar, name: str) -> list[str]:
        if scalar.convert == "bool":
            return [f"{name} = _xdr.INT_TO_BOOL[{name}]"]
        if scalar.convert is not None:
            return [f"{name} = {scalar.convert}.get({name}, {name})"]
        return []

    def unpack_code(
        self, expr: ast.TypeExpr, owner: ModuleModel, ctx: _FunctionContext, hint: str
    ) -> tuple[list[str], str]:
        """Statements decoding ``expr`` at ``off`` (advancing it); return them and the result name."""
        location = ast.Location(owner.path, 0, 0)
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            name = ctx.fresh(hint)
            codec = self.struct_constant(scalar.format)
            statements = [f"{name} = {codec}.unpack_from(data, off)[0]", f"off += {scalar.size}"]
            return statements + self.convert_lines(scalar, name), name
        typedef = self.compound_typedef(expr, owner)
        if typedef is not None:
            name = ctx.fresh(hint)
            return [f"{name}, off = {typedef[0]}(data, off)"], name
        expr, owner = self.expand(expr, owner)
        if isinstance(expr, ast.Primitive):  # void
            name = ctx.fresh(hint)
            return [f"{name} = None"], name
        if isinstance(expr, ast.NamedRef):
            union = self.inlinable_union(expr, owner)
            if union is not None:
                return self.union_unpack_body(union, ctx, hint)
            found_owner, definition = owner.lookup_type(expr)
            name = ctx.fresh(hint)
            function = self.qualify(found_owner, f"_u_{definition.name}")
            return [f"{name}, off = {function}(data, off)"], name
        if isinstance(expr, ast.FixedOpaque):
            name = ctx.fresh(hint)
            size = owner.value(expr.size, location)
            end = ctx.fresh("end")
            padded = size + (-size & 3)
            check = f"if len({name}) != {size}"
            if padded != size:
                check += f" or data[{end}:off] != _PAD[{padded - size}]"
            return [
                f"{end} = off + {size}",
                f"{name} = data[off:{end}]",
                f"off += {padded}",
                check + ":",
                '    raise _xdr.XdrError("", "bad fixed opaque")',
            ], name
        if isinstance(expr, (ast.VarOpaque, ast.String)):
            name = ctx.fresh(hint)
            maximum = self.value(expr.maximum, owner, location)
            length, start, end = ctx.fresh("size"), ctx.fresh("start"), ctx.fresh("end")
            self.struct_constant("I")
            decode = ".decode()" if isinstance(expr, ast.String) else ""
            too_long = f"{length} > {maximum} or " if maximum < _UNBOUNDED else ""
            padding = f"data[{end}:off] != _PAD[off - {end}]"
            # No bounds check: slicing past the end cannot allocate more than
            # the buffer, offsets only grow, and the descriptor refuses an end
            # offset beyond the buffer (the next read fails before that).
            return [
                f"{length} = _S_I.unpack_from(data, off)[0]",
                f"{start} = off + 4",
                f"{end} = {start} + {length}",
                f"off = {end} + (-{length} & 3)",
                f"if {too_long}(off != {end} and {padding}):",
                '    raise _xdr.XdrError("", "bad length or padding")',
                f"{name} = data[{start}:{end}]{decode}",
            ], name
        if isinstance(expr, ast.Optional):
            flag = ctx.fresh("flag")
            name = ctx.fresh(hint)
            inner_lines, inner = self.unpack_code(expr.element, owner, ctx, hint + "_value")
            return [
                f"{name}: {self.annotation(expr, owner)}",
                f"{flag} = _S_i.unpack_from(data, off)[0]",
                "off += 4",
                f"if {flag} == 1:",
                *_indent(inner_lines),
                f"    {name} = {inner}",
                f"elif {flag} == 0:",
                f"    {name} = None",
                "else:",
                f"    raise _xdr.bad_flag({flag})",
            ], name
        assert isinstance(expr, (ast.FixedArray, ast.VarArray))
        lines: list[str] = []
        element_scalar = self.scalar(expr.element, owner)
        name = ctx.fresh(hint)
        if isinstance(expr, ast.FixedArray):
            count = str(owner.value(expr.size, location))
        else:
            count = ctx.fresh("count")
            maximum = self.value(expr.maximum, owner, location)
            minimum = self.min_size(expr.element, owner)
            lines += [f"{count} = _xdr.unpack_count(data, off, {maximum}, {minimum})", "off += 4"]
        if element_scalar is not None:
            size = element_scalar.size
            if isinstance(expr, ast.FixedArray):
                codec = self.struct_constant(f"{count}{element_scalar.format}")
                lines.append(f"{name} = list({codec}.unpack_from(data, off))")
                lines.append(f"off += {int(count) * size}")
            else:
                lines.append(
                    f'{name} = list(_struct.unpack_from(f">{{{count}}}{element_scalar.format}", data, off))'
                )
                lines.append(f"off += {count} * {size}")
            if element_scalar.convert == "bool":
                lines.append(f"{name} = [_xdr.INT_TO_BOOL[item] for item in {name}]")
            elif element_scalar.convert is not None:
                lines.append(
                    f"{name} = [{element_scalar.convert}.get(item, item) for item in {name}]"
                )
            return lines, name
        lines.append(f"{name}: {self.annotation(expr, owner)} = []")
        loop_var = ctx.fresh("_index")
        inline = self.inlinable_struct(expr.element, owner)
        if inline is not None and self.lookahead_struct(inline[0], inline[1]):
            # The loop decodes all elements but the last, each reading the
            # next one's length; the last element reads no further.
            append, next_size = ctx.fresh("append"), ctx.fresh("next_size")
            looped, element = self.struct_unpack_body(
                inline[0], inline[1], ctx, "element", prefetched=next_size, lookahead=next_size
            )
            last, last_element = self.struct_unpack_body(
                inline[0], inline[1], ctx, "element", prefetched=next_size
            )
            self.struct_constant("I")
            lines += [
                f"{append} = {name}.append",
                f"if {count}:",
                f"    {next_size} = _S_I.unpack_from(data, off)[0]",
                "    off += 4",
                f"    for {loop_var} in range({count} - 1):",
                *_indent(looped, 2),
                f"        {append}({element})",
                *_indent(last),
                f"    {append}({last_element})",
            ]
            return lines, name
        if inline is not None:
            element_lines, element = self.struct_unpack_body(inline[0], inline[1], ctx, "element")
        else:
            element_lines, element = self.unpack_code(expr.element, owner, ctx, "item")
        append = ctx.fresh("append")
        lines += [
            f"{append} = {name}.append",
            f"for {loop_var} in range({count}):",
            *_indent(element_lines),
            f"    {append}({element})",
        ]
        return lines, name

    # -- encoding code ---------------------------------------------------------------
    #
    # Pack functions return ``bytes``.  The code encoding one value is a pair
    # (statements, pieces): the statements run first, the pieces are bytes
    # expressions that are concatenated in order.  Consecutive fields that a
    # single ``struct.Struct`` call can encode (numbers, opaques, strings) are
    # one piece; strings and variable opaques make that call's format depend on
    # their lengths, so those formats come from a per-run cache
    # (:class:`virtrpc.xdr.VarStructs`) keyed by the lengths.

    def flat_member(self, expr: ast.TypeExpr, owner: ModuleModel) -> _Flat | None:
        """How ``expr`` packs inside one ``struct`` call, or ``None`` when it cannot."""
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            return _Flat(scalar.format, scalar.convert == "bool")
        expanded, owner = self.expand(expr, owner)
        location = ast.Location(owner.path, 0, 0)
        if isinstance(expanded, ast.FixedOpaque):
            size = owner.value(expanded.size, location)
            padding = -size & 3
            return _Flat(f"{size}s" + (f"{padding}x" if padding else ""), fixed_length=size)
        if isinstance(expanded, (ast.VarOpaque, ast.String)):
            maximum = self.value(expanded.maximum, owner, location)
            return _Flat("{}", maximum=maximum, encode=isinstance(expanded, ast.String))
        return None

    def var_struct(self, template: str, maxima: tuple[int, ...]) -> str:
        """The name of the :class:`~virtrpc.xdr.VarStructs` cache for a run."""
        key = (template, maxima)
        name = self.var_structs.get(key)
        if name is None:
            base = "_V_" + template.lstrip(">").replace("{}", "v")
            name = base
            counter = 1
            while name in self.var_structs.values():
                counter += 1
                name = f"{base}_{counter}"
            self.var_structs[key] = name
        return name

    def run_parts(
        self, members: list[tuple[str, _Flat]], ctx: _FunctionContext
    ) -> tuple[list[str], str, list[str], list[str], tuple[int, ...]]:
        """Encoding consecutive flat values: the statements to run first, the
        ``struct`` template (``{}`` per string or variable opaque), the
        arguments of ``pack``, the length locals and their maxima."""
        statements: list[str] = []
        template = ""
        arguments: list[str] = []
        sizes: list[str] = []
        maxima: list[int] = []
        for expr, flat in members:
            if flat.maximum is None:
                if flat.fixed_length is not None:
                    # struct's "ns" pads or truncates silently: check first.
                    statements += [
                        f"if len({expr}) != {flat.fixed_length}:",
                        f'    raise _xdr.XdrError("", "needs exactly {flat.fixed_length} bytes")',
                    ]
                template += flat.format
                arguments.append(f"_xdr.BOOL_TO_INT[{expr}]" if flat.is_bool else expr)
                continue
            raw, size = ctx.fresh("raw"), ctx.fresh("size")
            statements += [
                f"{raw} = {expr}.encode()" if flat.encode else f"{raw} = {expr}",
                f"{size} = len({raw})",
            ]
            template += "{}"
            arguments += [size, raw]
            sizes.append(size)
            maxima.append(flat.maximum)
        return statements, template, arguments, sizes, tuple(maxima)

    def run_codec(self, template: str, sizes: list[str], maxima: tuple[int, ...]) -> str:
        """The expression of the ``struct.Struct`` for a run's template."""
        if not sizes:
            return self.struct_constant(template)
        # The cache refuses lengths above the maximum (only good lengths
        # are ever cached), so no check is needed here.
        return f"{self.var_struct('>' + template, maxima)}[{', '.join(sizes)}]"

    def run_pack(
        self, members: list[tuple[str, _Flat]], ctx: _FunctionContext
    ) -> tuple[list[str], str]:
        """Statements and the one piece encoding consecutive flat values."""
        statements, template, arguments, sizes, maxima = self.run_parts(members, ctx)
        codec = self.run_codec(template, sizes, maxima)
        return statements, f"{codec}.pack({', '.join(arguments)})"

    def merged_union_pack(
        self,
        members: list[tuple[str, _Flat]],
        union: ast.UnionDef,
        ctx: _FunctionContext,
        expr: str,
        encoded: str,
    ) -> list[str] | None:
        """Statements encoding flat values and the union after them into ``encoded``.

        For the union's plain numeric arms, one ``pack`` call encodes the
        values, the discriminant and the arm (a typed parameter is one call:
        name, type, value), through a ``{case: codec}`` table; the other arms
        concatenate the run with the union's own encoding.  ``None`` when the
        union has fewer than three such arms.
        """
        module = self.module
        disc_scalar = self.scalar(union.discriminant.type, module)
        assert disc_scalar is not None
        if disc_scalar.convert == "bool":
            return None
        arm_formats: list[tuple[int, str]] = []
        for arm in union.arms:
            if arm.declaration.name is None:
                continue
            scalar = self.scalar(arm.declaration.type, module)
            if scalar is None or scalar.convert is not None:
                continue
            arm_formats += [
                (module.value(case, arm.declaration.location), scalar.format) for case in arm.cases
            ]
        if len(arm_formats) < 3:
            return None
        statements, template, arguments, sizes, maxima = self.run_parts(members, ctx)
        entries: list[str] = []
        for case, arm_format in arm_formats:
            full = template + disc_scalar.format + arm_format
            codec = self.var_struct(">" + full, maxima) if sizes else self.struct_constant(full)
            entries.append(f"{case}: {codec}")
        kind = "_xdr.VarStructs" if sizes else "_struct.Struct"
        shown = f"dict[int, {kind}] = {{{', '.join(entries)}}}"
        table = next(
            (name for name, line in self.arm_tables.items() if line == f"{name}: {shown}"), ""
        )
        if not table:
            counter = 1
            table = f"_UPR_{union.name}"
            while table in self.arm_tables:
                counter += 1
                table = f"_UPR_{union.name}_{counter}"
            self.arm_tables[table] = f"{table}: {shown}"
        union_value, disc = ctx.fresh("union"), ctx.fresh("disc")
        arm_codec = ctx.fresh("arm_codec")
        disc_attr = attribute_name(union.discriminant.name or "discriminant")
        key = f"[{', '.join(sizes)}]" if sizes else ""
        all_arguments = ", ".join([*arguments, disc, f"{union_value}.value"])
        run_piece = f"{self.run_codec(template, sizes, maxima)}.pack({', '.join(arguments)})"
        return [
            *statements,
            f"{union_value} = {expr}",
            f"{disc} = {union_value}.{disc_attr}",
            f"{arm_codec} = {table}.get({disc})",
            f"if {arm_codec} is not None:",
            f"    {encoded} = {arm_codec}{key}.pack({all_arguments})",
            *self.union_pack_body(
                union, ctx, union_value, encoded, disc=disc, prefix=f"{run_piece} + "
            ),
        ]

    def pack_code(
        self, expr: ast.TypeExpr, owner: ModuleModel, ctx: _FunctionContext, value: str
    ) -> tuple[list[str], list[str]]:
        """Statements and bytes pieces encoding the Python expression ``value``."""
        location = ast.Location(owner.path, 0, 0)
        flat = self.flat_member(expr, owner)
        if flat is not None:
            statements, piece = self.run_pack([(value, flat)], ctx)
            return statements, [piece]
        typedef = self.compound_typedef(expr, owner)
        if typedef is not None:
            return [], [f"{typedef[1]}({value})"]
        expr, owner = self.expand(expr, owner)
        if isinstance(expr, ast.Primitive):  # void
            return [
                f"if {value} is not None:",
                '    raise _xdr.XdrError("", "void takes None")',
            ], []
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            return [], [f"{self.qualify(found_owner, '_p_' + definition.name)}({value})"]
        if isinstance(expr, ast.Optional):
            optional, encoded = ctx.fresh("optional"), ctx.fresh("encoded")
            inner_statements, inner_pieces = self.pack_code(expr.element, owner, ctx, optional)
            return [
                f"{optional} = {value}",
                f"if {optional} is None:",
                f"    {encoded} = _xdr.ABSENT",
                "else:",
                *_indent(inner_statements),
                f"    {encoded} = {_concat(['_xdr.PRESENT', *inner_pieces])}",
            ], [encoded]
        assert isinstance(expr, (ast.FixedArray, ast.VarArray))
        items = ctx.fresh("items")
        lines = [f"{items} = {value}"]
        if isinstance(expr, ast.FixedArray):
            size = owner.value(expr.size, location)
            lines += [
                f"if len({items}) != {size}:",
                f'    raise _xdr.XdrError("", "needs exactly {size} items")',
            ]
        else:
            maximum = self.value(expr.maximum, owner, location)
            lines += [
                f"if len({items}) > {maximum}:",
                f'    raise _xdr.XdrError("", "more than {maximum} items")',
            ]
        element_scalar = self.scalar(expr.element, owner)
        if element_scalar is not None:
            arguments = items
            if element_scalar.convert == "bool":
                arguments = f"[_xdr.BOOL_TO_INT[item] for item in {items}]"
            if isinstance(expr, ast.FixedArray):
                codec = self.struct_constant(f"{size}{element_scalar.format}")
                return lines, [f"{codec}.pack(*{arguments})"]
            count = f"len({items})"
            piece = f'_struct.pack(f">I{{{count}}}{element_scalar.format}", {count}, *{arguments})'
            return lines, [piece]
        parts, append, item = ctx.fresh("parts"), ctx.fresh("append"), ctx.fresh("item")
        self.struct_constant("I")
        start = "[]" if isinstance(expr, ast.FixedArray) else f"[_S_I.pack(len({items}))]"
        inline = self.inlinable_struct(expr.element, owner)
        if inline is not None:
            element_lines, pieces = self.struct_pack_body(inline[0], inline[1], ctx, item)
        else:
            element_lines, pieces = self.pack_code(expr.element, owner, ctx, item)
        lines += [
            f"{parts} = {start}",
            f"{append} = {parts}.append",
            f"for {item} in {items}:",
            *_indent(element_lines),
            f"    {append}({_concat(pieces)})",
        ]
        return lines, [f'b"".join({parts})']

    # -- per-definition code -----------------------------------------------------------

    def struct_class(self, struct: ast.StructDef) -> list[str]:
        name = class_name(struct.name)
        fields = [
            (attribute_name(f.name or ""), self.annotation(f.type, self.module))
            for f in struct.fields
        ]
        names = ", ".join(f'"{field}"' for field, _ in fields)
        names_tuple = f"({names},)" if len(fields) == 1 else f"({names})"
        lines = [
            f"class {name}(_xdr.XdrStruct):",
            f'    """``{struct.name}`` (struct)."""',
            "",
            f"    __slots__ = {names_tuple}",
            f"    __match_args__ = {names_tuple}",
            "",
        ]
        lines += [f"    {field}: {annotation}" for field, annotation in fields]
        parameters = ", ".join(f"{field}: {annotation}" for field, annotation in fields)
        lines += ["", f"    def __init__(self, {parameters}) -> None:"]
        lines += [f"        self.{field} = {field}" for field, _ in fields]
        own = ", ".join(f"self.{field}" for field, _ in fields)
        other = ", ".join(f"other.{field}" for field, _ in fields)
        trailing = "," if len(fields) == 1 else ""
        lines += [
            "",
            "    def __eq__(self, other: object) -> bool:",
            f"        if not isinstance(other, {name}):",
            "            return NotImplemented",
            f"        return ({own}{trailing}) == ({other}{trailing})",
            "",
            "    def __repr__(self) -> str:",
        ]
        shown = ", ".join(f"{field}={{self.{field}!r}}" for field, _ in fields)
        lines.append(f'        return f"{name}({shown})"')
        return lines

    def union_annotation(self, union: ast.UnionDef) -> str:
        parts: list[str] = []
        arms = [*union.arms, *([union.default] if union.default else [])]
        for arm in arms:
            for piece in self.annotation(arm.declaration.type, self.module).split(" | "):
                if piece not in parts:
                    parts.append(piece)
        if "None" in parts:  # keep None last, like Optional
            parts.remove("None")
            parts.append("None")
        return " | ".join(parts)

    def union_class(self, union: ast.UnionDef) -> list[str]:
        name = class_name(union.name)
        disc = attribute_name(union.discriminant.name or "discriminant")
        disc_annotation = self.annotation(union.discriminant.type, self.module)
        value_annotation = self.union_annotation(union)
        return [
            f"class {name}(_xdr.XdrUnion):",
            f'    """``{union.name}`` (union switch on ``{union.discriminant.name}``)."""',
            "",
            f'    __slots__ = ("{disc}", "value")',
            f'    __match_args__ = ("{disc}", "value")',
            "",
            f"    {disc}: {disc_annotation}",
            f"    value: {value_annotation}",
            "",
            f"    def __init__(self, {disc}: {disc_annotation}, value: {value_annotation}) -> None:",
            f"        self.{disc} = {disc}",
            "        self.value = value",
            "",
            "    def __eq__(self, other: object) -> bool:",
            f"        if not isinstance(other, {name}):",
            "            return NotImplemented",
            f"        return (self.{disc}, self.value) == (other.{disc}, other.value)",
            "",
            "    def __repr__(self) -> str:",
            f'        return f"{name}({disc}={{self.{disc}!r}}, value={{self.value!r}})"',
        ]

    def struct_unpack_body(
        self,
        struct: ast.StructDef,
        owner: ModuleModel,
        ctx: _FunctionContext,
        hint: str,
        *,
        prefetched: str = "",
        lookahead: str = "",
    ) -> tuple[list[str], str]:
        """Statements decoding ``struct`` into a new object; return them and its name.

        The object is allocated with ``_new`` (``object.__new__``) and its slots
        are filled directly: a Python ``__init__`` call per value would cost as
        much as decoding a small struct.

        For array loops (see :meth:`lookahead_struct`): ``prefetched`` names a
        local holding the length of the leading string, already read;
        ``lookahead`` names the local that the last fixed-size read also
        fills with the next element's length.
        """
        target = ctx.fresh(hint)
        cls = self.qualify(owner, class_name(struct.name))
        body: list[str] = [f"{target} = _new({cls})"]
        run: list[tuple[str, _Scalar]] = []
        # The end offset of a string or opaque whose padding is not checked
        # yet.  The next fixed-size read then starts 4 bytes early: the word
        # ending at `off` holds the padding in its low bytes, so one mask test
        # replaces slicing the padding out.
        unchecked: list[str] = []
        bad = '    raise _xdr.XdrError("", "bad length or padding")'

        def check_padding() -> None:
            if unchecked:
                end = unchecked.pop()
                body.extend([f"if off != {end} and data[{end}:off] != _PAD[off - {end}]:", bad])

        def flush(last: bool = False) -> None:
            if not run:
                check_padding()
                return
            items = list(run)
            extra = 0
            if last and lookahead:
                items.append((lookahead, _Scalar("I", 4, None)))
                extra = 4
            read_at = "off"
            word = ""
            if unchecked:
                word = ctx.fresh("word")
                items.insert(0, (word, _Scalar("I", 4, None)))
                read_at = "off - 4"
            codec = self.struct_constant("".join(scalar.format for _, scalar in items))
            targets = ", ".join(name for name, _ in items)
            suffix = "[0]" if len(items) == 1 else ""
            body.append(f"{targets} = {codec}.unpack_from(data, {read_at}){suffix}")
            if word:
                body.extend([f"if {word} & _MASK[off - {unchecked.pop()}]:", bad])
            body.append(f"off += {sum(scalar.size for _, scalar in run) + extra}")
            for name, scalar in run:
                body.extend(self.convert_lines(scalar, name))
            run.clear()

        for field in struct.fields:
            attribute = f"{target}.{attribute_name(field.name or '')}"
            scalar = self.run_member(field.type, owner)
            if scalar is not None:
                run.append((attribute, scalar))
                continue
            flat = self.flat_member(field.type, owner)
            if flat is not None and flat.maximum is not None:
                # The length joins the fixed-size read before it.
                end = ctx.fresh("end")
                if prefetched and field is struct.fields[0]:
                    size = prefetched
                else:
                    size = ctx.fresh("size")
                    run.append((size, _Scalar("I", 4, None)))
                    flush()
                body.append(f"{end} = off + {size}")
                if flat.maximum < _UNBOUNDED:
                    body.extend([f"if {size} > {flat.maximum}:", bad])
                decode = ".decode()" if flat.encode else ""
                body.append(f"{attribute} = data[off:{end}]{decode}")
                body.append(f"off = {end} + (-{size} & 3)")
                unchecked.append(end)
                continue
            union = self.inlinable_union(field.type, owner)
            if union is not None:
                # The discriminant joins the fixed-size read before it.
                disc_scalar = self.scalar(union.discriminant.type, owner)
                assert disc_scalar is not None
                disc = ctx.fresh("disc")
                run.append((disc, disc_scalar))
                union_lookahead = lookahead if field is struct.fields[-1] else ""
                table = self.peek_arm_table(union, owner, run, bool(unchecked), union_lookahead)
                if table is None:
                    flush()
                    lines, result = self.union_unpack_body(
                        union, ctx, "f_" + (field.name or ""), disc, union_lookahead
                    )
                    body.extend([*lines, f"{attribute} = {result}"])
                    continue
                # The discriminant's low byte selects a codec reading the
                # run, the discriminant and a numeric arm in one call (and
                # the next length, in array loops); other arms take the
                # separate reads below.
                peek, arm_codec = ctx.fresh("peek"), ctx.fresh("arm_codec")
                value = ctx.fresh("value")
                word = ctx.fresh("word") if unchecked else ""
                disc_at = sum(scalar.size for _, scalar in run) - 4
                targets = [*([word] if word else []), *(name for name, _ in run), value]
                if union_lookahead:
                    targets.append(union_lookahead)
                check = f"{disc} != {peek}"
                if word:
                    check = f"{word} & _MASK[off - {unchecked[-1]}] or {check}"
                converts = [line for name, s in run for line in self.convert_lines(s, name)]
                body += [
                    f"{peek} = data[off + {disc_at + 3}]",
                    f"{arm_codec} = {table}.get({peek})",
                    f"{value}: {self.union_annotation(union)}",
                    f"if {arm_codec} is not None:",
                    f"    {', '.join(targets)} = {arm_codec}[0](data, {'off - 4' if word else 'off'})",
                    f"    if {check}:",
                    f"    {bad}",
                    f"    off += {arm_codec}[1]",
                    *_indent(converts),
                    "else:",
                ]
                start = len(body)
                flush()
                lines, result = self.union_unpack_body(
                    union, ctx, "f_" + (field.name or ""), disc, union_lookahead, value
                )
                # the else branch: the separate reads and the other arms;
                # the object is built after both branches
                body[start:] = _indent([*body[start:], *lines[:-3]])
                body.extend([*lines[-3:], f"{attribute} = {result}"])
                continue
            flush()
            lines, result = self.unpack_code(field.type, owner, ctx, "f_" + (field.name or ""))
            last = lines[-1]
            used_before = any(re.search(rf"\b{result}\b", line) for line in lines[:-1])
            if not used_before and last.startswith((f"{result} = ", f"{result}, off = ")):
                # decode straight into the attribute
                lines = [*lines[:-1], attribute + last[len(result) :]]
            else:
                lines = [*lines, f"{attribute} = {result}"]
            body.extend(lines)
        flush(last=True)
        return body, target

    def lookahead_struct(self, struct: ast.StructDef, owner: ModuleModel) -> bool:
        """Whether arrays of ``struct`` read each element's leading string
        length together with the previous element's trailing numbers (one
        ``unpack_from`` call less per element)."""
        fields = struct.fields
        if not fields:
            return False
        if (
            self.run_member(fields[-1].type, owner) is None
            and self.inlinable_union(fields[-1].type, owner) is None
        ):
            return False
        flat = self.flat_member(fields[0].type, owner)
        return flat is not None and flat.maximum is not None

    def struct_pack_body(
        self, struct: ast.StructDef, owner: ModuleModel, ctx: _FunctionContext, value: str
    ) -> tuple[list[str], list[str]]:
        """Statements and bytes pieces encoding the struct held in ``value``."""
        statements: list[str] = []
        pieces: list[str] = []
        run: list[tuple[str, _Flat]] = []

        def flush() -> None:
            if run:
                run_statements, piece = self.run_pack(run, ctx)
                statements.extend(run_statements)
                pieces.append(piece)
                run.clear()

        for field in struct.fields:
            expr = f"{value}.{attribute_name(field.name or '')}"
            flat = self.flat_member(field.type, owner)
            if flat is not None:
                run.append((expr, flat))
                continue
            union = self.inlinable_union(field.type, owner)
            if union is not None and run:
                encoded = ctx.fresh("encoded")
                merged = self.merged_union_pack(run, union, ctx, expr, encoded)
                if merged is not None:
                    run.clear()
                    statements.extend(merged)
                    pieces.append(encoded)
                    continue
            flush()
            if union is not None:
                union_value, encoded = ctx.fresh("union"), ctx.fresh("encoded")
                statements.append(f"{union_value} = {expr}")
                statements.extend(self.union_pack_body(union, ctx, union_value, encoded))
                pieces.append(encoded)
                continue
            field_statements, field_pieces = self.pack_code(field.type, owner, ctx, expr)
            statements.extend(field_statements)
            pieces.extend(field_pieces)
        flush()
        return statements, pieces

    def inlinable_struct(
        self, expr: ast.TypeExpr, owner: ModuleModel
    ) -> tuple[ast.StructDef, ModuleModel] | None:
        """The struct an array element is, when its code can go inside the loop.

        Inlining saves a call per element; only small structs whose fields
        need no loops of their own qualify, to keep the code readable.
        """
        expanded, owner = self.expand(expr, owner)
        if not isinstance(expanded, ast.NamedRef):
            return None
        found_owner, definition = owner.lookup_type(expanded)
        if not isinstance(definition, ast.StructDef) or len(definition.fields) > 6:
            return None
        for field in definition.fields:
            if self.run_member(field.type, found_owner) is not None:
                continue
            inner, inner_owner = self.expand(field.type, found_owner)
            if isinstance(inner, (ast.String, ast.VarOpaque, ast.FixedOpaque)):
                continue
            if isinstance(inner, ast.NamedRef) and isinstance(
                inner_owner.lookup_type(inner)[1], (ast.StructDef, ast.UnionDef)
            ):
                continue  # one call
            return None
        return definition, found_owner

    def struct_functions(self, struct: ast.StructDef) -> list[str]:
        cls = class_name(struct.name)
        ctx = _FunctionContext()
        ctx.used.update({"data", "off", "out", "v"})
        body, construct = self.struct_unpack_body(struct, self.module, ctx, "result")
        pack_ctx = _FunctionContext()
        pack_ctx.used.update({"data", "off", "out", "v"})
        pack_body, pieces = self.struct_pack_body(struct, self.module, pack_ctx, "v")
        lines = [
            f"def _u_{struct.name}(data: bytes, off: int) -> tuple[{cls}, int]:",
            *_indent(body),
            f"    return {construct}, off",
            "",
            "",
            *pack_function(struct.name, cls, [*pack_body, f"return {_concat(pieces)}"]),
        ]
        if len(body) <= WHOLE_DECODER_LINES and not any(
            line.lstrip().startswith("for ") for line in body
        ):
            self.whole_decoders.add(struct.name)
            lines += ["", "", *whole_decoder(struct.name, cls, body, construct)]
        return lines

    def scalar_arm_table(
        self, union: ast.UnionDef, owner: ModuleModel, *, packing: bool, lookahead: bool = False
    ) -> str | None:
        """A ``{case: struct.Struct}`` table for the union's plain numeric arms.

        Decoding looks the arm's codec up instead of walking an ``if`` chain
        (typed parameters have six such arms); encoding packs the
        discriminant and the value with one codec.  ``None`` when fewer than
        three arms qualify.  With ``lookahead`` the decoding codecs also read
        the 4-byte length that follows (see :meth:`lookahead_struct`).
        """
        disc_scalar = self.scalar(union.discriminant.type, owner)
        assert disc_scalar is not None
        if packing and disc_scalar.convert == "bool":
            return None
        entries: list[tuple[int, str]] = []
        for case, scalar in self.numeric_arms(union, owner):
            if packing:
                entry = self.struct_constant(disc_scalar.format + scalar.format)
            else:
                # (bound unpack_from, size): cheaper than two attribute lookups
                fmt, size = (
                    (scalar.format + "I", scalar.size + 4)
                    if lookahead
                    else (scalar.format, scalar.size)
                )
                entry = f"({self.struct_constant(fmt)}.unpack_from, {size})"
            entries.append((case, entry))
        if len(entries) < 3:
            return None
        name = f"_{'UP' if packing else 'UUL' if lookahead else 'UU'}_{union.name}"
        shown = ", ".join(f"{case}: {entry}" for case, entry in entries)
        kind = "_struct.Struct" if packing else "tuple[_Any, int]"
        self.arm_tables[name] = f"{name}: dict[int, {kind}] = {{{shown}}}"
        return name

    def peek_arm_table(
        self,
        union: ast.UnionDef,
        owner: ModuleModel,
        run: list[tuple[str, _Scalar]],
        word: bool,
        lookahead: str,
    ) -> str | None:
        """A ``{case: (unpack_from, size)}`` table reading, in one call, the
        fields before an inlined union (``run``, ending with the
        discriminant; after the padding ``word`` of a string when there is
        one), one numeric arm and, with ``lookahead``, the next 4-byte
        length; ``size`` is what the read advances ``off`` by (the padding
        word sits before ``off``).

        The decoder selects the codec by the discriminant's low byte, read
        before the call, and then checks that the whole discriminant equals
        it, so this needs every numeric case in 0..255 (typed parameters:
        1..6).  ``None`` when the union does not qualify: fewer than three
        numeric arms, as for :meth:`scalar_arm_table`.
        """
        disc_scalar = self.scalar(union.discriminant.type, owner)
        assert disc_scalar is not None
        if disc_scalar.convert == "bool" or disc_scalar.size != 4:
            return None
        arms = self.numeric_arms(union, owner)
        if len(arms) < 3 or not all(0 <= case <= 255 for case, _ in arms):
            return None
        prefix = ("I" if word else "") + "".join(scalar.format for _, scalar in run)
        tail = "I" if lookahead else ""
        entries: list[tuple[int, str]] = []
        for case, scalar in arms:
            codec = self.struct_constant(prefix + scalar.format + tail)
            size = sum(item.size for _, item in run) + scalar.size + len(tail) * 4
            entries.append((case, f"({codec}.unpack_from, {size})"))
        shown = ", ".join(f"{case}: {entry}" for case, entry in entries)
        line = f"dict[int, tuple[_Any, int]] = {{{shown}}}"
        existing = [name for name, text in self.arm_tables.items() if text == f"{name}: {line}"]
        if existing:
            return existing[0]
        name = f"_UPK_{union.name}"
        counter = 1
        while name in self.arm_tables:
            counter += 1
            name = f"_UPK_{union.name}_{counter}"
        self.arm_tables[name] = f"{name}: {line}"
        return name

    def numeric_arms(self, union: ast.UnionDef, owner: ModuleModel) -> list[tuple[int, _Scalar]]:
        """``(case, scalar)`` of the union's plain numeric arms (named, a
        scalar without conversion), one per case, in declaration order: what
        the arm tables are made of."""
        arms: list[tuple[int, _Scalar]] = []
        for arm in union.arms:
            if arm.declaration.name is None:
                continue
            scalar = self.scalar(arm.declaration.type, owner)
            if scalar is None or scalar.convert is not None:
                continue
            arms += [(owner.value(case, arm.declaration.location), scalar) for case in arm.cases]
        return arms

    def scalar_arm_cases(self, union: ast.UnionDef, owner: ModuleModel) -> set[int]:
        return {case for case, _ in self.numeric_arms(union, owner)}

    def union_unpack_body(
        self,
        union: ast.UnionDef,
        ctx: _FunctionContext,
        hint: str,
        disc: str = "",
        lookahead: str = "",
        peeked_value: str = "",
    ) -> tuple[list[str], str]:
        """Statements decoding ``union`` (of this module) into a new object.

        ``disc`` names a local holding the discriminant when the caller has
        decoded it already; ``lookahead`` a local to fill with the 4-byte
        length that follows the union (read along with the arm when it can).
        ``peeked_value`` names the (declared) value local when the caller
        decodes the numeric arms itself (see :meth:`peek_arm_table`): only
        the other arms are decoded here.  The last three statements build
        the object.
        """
        module = self.module
        disc_scalar = self.scalar(union.discriminant.type, module)
        assert disc_scalar is not None
        body: list[str] = []
        if not disc:
            disc = ctx.fresh("disc")
            codec = self.struct_constant(disc_scalar.format)
            body = [f"{disc} = {codec}.unpack_from(data, off)[0]", "off += 4"]
            body += self.convert_lines(disc_scalar, disc)
        if peeked_value:
            value, target = peeked_value, ctx.fresh(hint)
        else:
            value, target = ctx.fresh("value"), ctx.fresh(hint)
            body.append(f"{value}: {self.union_annotation(union)}")
        keyword = "if"
        table = (
            None
            if peeked_value
            else self.scalar_arm_table(union, module, packing=False, lookahead=bool(lookahead))
        )
        handled = self.scalar_arm_cases(union, module) if peeked_value else set()
        read_next = (
            [f"{lookahead} = _S_I.unpack_from(data, off)[0]", "off += 4"] if lookahead else []
        )
        if lookahead:
            self.struct_constant("I")
        if table is not None:
            arm_codec = ctx.fresh("arm_codec")
            read = (
                f"    {value}, {lookahead} = {arm_codec}[0](data, off)"
                if lookahead
                else f"    {value} = {arm_codec}[0](data, off)[0]"
            )
            body += [
                f"{arm_codec} = {table}.get({disc})",
                f"if {arm_codec} is not None:",
                read,
                f"    off += {arm_codec}[1]",
            ]
            keyword = "elif"
            handled = self.scalar_arm_cases(union, module)
        for arm, condition in _arm_conditions(union, module, disc, handled):
            body.append(f"{keyword} {condition}:")
            body += _indent([*self.arm_unpack(arm, ctx, value), *read_next])
            keyword = "elif"
        if union.default is not None:
            default = [*self.arm_unpack(union.default, ctx, value), *read_next]
            if keyword == "if":
                body += default
            else:
                body.append("else:")
                body += _indent(default)
        elif keyword == "if":
            body.append(f"raise _xdr.bad_discriminant({disc})")
        else:
            body += ["else:", f"    raise _xdr.bad_discriminant({disc})"]
        disc_attr = attribute_name(union.discriminant.name or "discriminant")
        body += [
            f"{target} = _new({class_name(union.name)})",
            f"{target}.{disc_attr} = {disc}",
            f"{target}.value = {value}",
        ]
        return body, target

    def inlinable_union(self, expr: ast.TypeExpr, owner: ModuleModel) -> ast.UnionDef | None:
        """A union of this module whose arms are all one-call values (inlined when decoding)."""
        if owner is not self.module or not isinstance(expr, ast.NamedRef):
            return None
        definition = owner.lookup_type(expr)[1]
        if not isinstance(definition, ast.UnionDef):
            return None
        arms = [*definition.arms, *([definition.default] if definition.default else [])]
        for arm in arms:
            if (
                arm.declaration.name is not None
                and self.flat_member(arm.declaration.type, owner) is None
            ):
                return None
        return definition

    def union_pack_body(
        self,
        union: ast.UnionDef,
        ctx: _FunctionContext,
        value: str,
        result: str = "",
        *,
        disc: str = "",
        prefix: str = "",
    ) -> list[str]:
        """Statements encoding the union object ``value`` (of this module).

        Each arm ends with ``return <bytes>``, or assigns the bytes to
        ``result`` when given (the union inlined in a struct).  ``disc``
        names a local already holding the discriminant of a value whose
        plain numeric arms the caller has encoded (see
        :meth:`merged_union_pack`): those arms are left out and the
        statements continue the caller's ``if`` (they start with ``elif``
        or ``else``).  ``prefix`` is a
        bytes expression put before each arm's encoding.
        """
        module = self.module
        disc_scalar = self.scalar(union.discriminant.type, module)
        assert disc_scalar is not None
        value_annotation = self.union_annotation(union)
        body: list[str] = []
        handled: set[int] = set()
        table: str | None = None
        # The caller's `if` tested the numeric arms: the chain continues it.
        keyword = "elif" if disc else "if"
        if disc:
            handled = self.scalar_arm_cases(union, module)
        else:
            disc = ctx.fresh("disc")
            disc_attr = attribute_name(union.discriminant.name or "discriminant")
            body.append(f"{disc} = {value}.{disc_attr}")
            table = self.scalar_arm_table(union, module, packing=True)
        disc_value = f"_xdr.BOOL_TO_INT[{disc}]" if disc_scalar.convert == "bool" else disc
        finish = (f"{result} = " if result else "return ") + prefix
        self.disc_pack = (disc_scalar.format, disc_value)
        if table is not None:
            arm_codec = ctx.fresh("arm_codec")
            body += [
                f"{arm_codec} = {table}.get({disc})",
                f"if {arm_codec} is not None:",
                f"    {finish}{arm_codec}.pack({disc}, {value}.value)",
            ]
            keyword = "elif"
            handled = self.scalar_arm_cases(union, module)
        for arm, condition in _arm_conditions(union, module, disc, handled):
            body.append(f"{keyword} {condition}:")
            body += _indent(self.arm_pack(arm, ctx, value_annotation, value, disc, finish))
            keyword = "elif"
        if union.default is not None:
            default = self.arm_pack(union.default, ctx, value_annotation, value, disc, finish)
            if keyword == "if":
                body += default
            else:
                body += ["else:", *_indent(default)]
        else:
            body += ["else:", f"    raise _xdr.bad_discriminant({disc})"]
        return body

    def union_functions(self, union: ast.UnionDef) -> list[str]:
        cls = class_name(union.name)
        ctx = _FunctionContext()
        ctx.used.update({"data", "off", "out", "v"})
        body, result = self.union_unpack_body(union, ctx, "result")
        pack_ctx = _FunctionContext()
        pack_ctx.used.update({"data", "off", "out", "v"})
        return [
            f"def _u_{union.name}(data: bytes, off: int) -> tuple[{cls}, int]:",
            *_indent(body),
            f"    return {result}, off",
            "",
            "",
            *pack_function(union.name, cls, self.union_pack_body(union, pack_ctx, "v")),
        ]

    def arm_unpack(self, arm: ast.UnionArm, ctx: _FunctionContext, value: str) -> list[str]:
        if arm.declaration.name is None:
            return [f"{value} = None"]
        lines, result = self.unpack_code(arm.declaration.type, self.module, ctx, "arm")
        return [*lines, f"{value} = {result}"]

    def arm_pack(
        self,
        arm: ast.UnionArm,
        ctx: _FunctionContext,
        union_annotation: str,
        union_value: str,
        disc: str,
        finish: str,
    ) -> list[str]:
        """Encode the discriminant (set up in ``self.disc_pack``) and one arm;
        the last line is ``finish`` (``return `` or an assignment) and the bytes."""
        disc_format, disc_value = self.disc_pack
        disc_flat = _Flat(disc_format, disc_value != disc)
        arm_value = f"{union_value}.value"
        if arm.declaration.name is None:
            return [
                f"if {arm_value} is not None:",
                '    raise _xdr.XdrError("", "void arm takes None")',
                f"{finish}{self.struct_constant(disc_format)}.pack({disc_value})",
            ]
        arm_type = arm.declaration.type
        if self.scalar(arm_type, self.module) is not None:
            # struct.pack checks the value; no narrowing needed.
            flat = self.flat_member(arm_type, self.module)
            assert flat is not None
            statements, piece = self.run_pack([(disc, disc_flat), (arm_value, flat)], ctx)
            return [*statements, f"{finish}{piece}"]
        local = ctx.fresh("arm")
        annotation = self.annotation(arm_type, self.module)
        # Narrow the union-typed attribute for mypy without a runtime call;
        # a wrong type fails in the code below and the slow path explains it.
        ignore = "" if annotation == union_annotation else "  # type: ignore[assignment]"
        lines = [f"{local}: {annotation} = {arm_value}{ignore}"]
        flat = self.flat_member(arm_type, self.module)
        if flat is not None:
            statements, piece = self.run_pack([(disc, disc_flat), (local, flat)], ctx)
            return [*lines, *statements, f"{finish}{piece}"]
        statements, pieces = self.pack_code(arm_type, self.module, ctx, local)
        disc_piece = f"{self.struct_constant(disc_format)}.pack({disc_value})"
        return [*lines, *statements, f"{finish}{_concat([disc_piece, *pieces])}"]

    def typedef_functions(self, typedef: ast.TypedefDef) -> list[str]:
        expr = typedef.declaration.type  # the target, so a typedef never calls itself
        annotation = self.annotation(expr, self.module)
        ctx = _FunctionContext()
        ctx.used.update({"data", "off", "out", "v"})
        lines, result = self.unpack_code(expr, self.module, ctx, "result")
        pack_ctx = _FunctionContext()
        pack_ctx.used.update({"data", "off", "out", "v"})
        pack_statements, pieces = self.pack_code(expr, self.module, pack_ctx, "v")
        return [
            f"def _u_{typedef.name}(data: bytes, off: int) -> tuple[{annotation}, int]:",
            *_indent(lines),
            f"    return {result}, off",
            "",
            "",
            *pack_function(
                typedef.name, annotation, [*pack_statements, f"return {_concat(pieces)}"]
            ),
        ]

    def enum_class(self, enum: ast.EnumDef) -> list[str]:
        lines = [
            f"class {class_name(enum.name)}(_enum.IntEnum):",
            f'    """``{enum.name}`` (enum)."""',
            "",
        ]
        lines += [
            f"    {member.name} = {self.module.constants[member.name]}" for member in enum.members
        ]
        return lines

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
            lines.append(f'{name} = _xdr.VarStructs("{template}", {_literal_ints(maxima)})')
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
                        f"{_literal(key)}: {number}" for key, number in markers.items()
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
            lines += _indent(self.procedure_entry(program, proc))
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
                options.append(f"{key}={_literal(value)}")
        if proc.priority != "low":
            options.append(f"priority={_literal(proc.priority)}")
        if proc.acl:
            options.append(f"acl={_literal(proc.acl)}")
        if proc.aclfilter:
            options.append(f"aclfilter={_literal(proc.aclfilter)}")
        return [
            f"{proc.number}: _xdr.Procedure(",
            f"    {program.number:#x}, {program.version}, {proc.number}, "
            f'"{proc.name}", "{proc.const_name}",',
            f"    {args}, {ret}, {args_class}, {ret_class},",
            *([f"    {', '.join(options)},"] if options else []),
            "),",
        ]


def pack_function(type_name: str, annotation: str, body: list[str]) -> list[str]:
    """The generated encoder of a named type, which is also its descriptor's
    ``pack``: any failure hands the value to the interpreting codec, which
    explains it with the field path (or encodes a value the straight-line
    code does not take).  Calling it directly saves the wrapper's call."""
    return [
        f"def _p_{type_name}(v: {annotation}) -> bytes:",
        "    try:",
        *_indent(body, 2),
        "    except Exception:  # the interpreter explains or encodes",
        f"        return _T_{type_name}.slow_pack(v)",
    ]


def whole_decoder(type_name: str, annotation: str, body: list[str], result: str) -> list[str]:
    """The whole-buffer decoder of a small struct, which is its descriptor's
    ``unpack``: the fast decoding statements inlined, then the end check.
    Anything else (another buffer type, any failure, trailing bytes) goes to
    ``checked_unpack``, which decodes or explains exactly as before.  Saves
    the call of the fast function from a wrapper, which costs about as much
    as decoding such a struct."""
    return [
        f"def _U_{type_name}(data: _xdr.Buffer) -> {annotation}:",
        "    if type(data) is bytes:",
        "        try:",
        "            off = 0",
        *_indent(body, 3),
        "            if off == len(data):",
        f"                return {result}",
        "        except Exception:  # checked_unpack explains",
        "            pass",
        f"    return _T_{type_name}.checked_unpack(data)",
    ]


def _concat(pieces: list[str]) -> str:
    """An expression concatenating bytes pieces (each produced by generated code)."""
    if not pieces:
        return 'b""'
    if len(pieces) == 1:
        return pieces[0]
    if len(pieces) == 2:
        return f"{pieces[0]} + {pieces[1]}"
    return f'b"".join(({", ".join(pieces)}))'


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    prefix = "    " * depth
    return [prefix + line if line else line for line in lines]


def _literal(value: str | tuple[str, ...]) -> str:
    """A Python literal with double quotes, like hand-formatted code."""
    if isinstance(value, tuple):
        inner = ", ".join(_literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal_ints(values: tuple[int, ...]) -> str:
    inner = ", ".join(str(value) for value in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"


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


# -- line wrapping ---------------------------------------------------------------------

LINE_LIMIT = 100


def wrap_source(text: str, limit: int = LINE_LIMIT) -> str:
    """Wrap long generated lines at their widest call or tuple, one item per line.

    Lines that are too long and have a top-level ``(...)`` spanning most of
    them are split the way a formatter would.  ``if`` conditions and
    f-strings are left alone (splitting them is not always safe).
    """
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_wrap_line(line, limit))
    return "\n".join(out)


def _wrap_line(line: str, limit: int) -> list[str]:
    stripped = line.lstrip()
    if (
        len(line) <= limit
        or stripped.startswith(("if ", "elif ", "#", '"'))
        or 'f"' in line
        or "'" in line
    ):
        return [line]
    pair = _widest_parentheses(line)
    if pair is None:
        return [line]
    start, end = pair
    if end - start < 30:  # splitting a short argument list gains nothing
        return [line]
    items = _split_top_level(line[start + 1 : end])
    is_call = start > 0 and (line[start - 1].isalnum() or line[start - 1] in "_])")
    if len(items) < 2 and not is_call:
        return [line]
    indent = line[: len(line) - len(stripped)] + "    "
    head = line[: start + 1]
    tail = line[end:]
    body = [indent + item + "," for item in items]
    if items and items[-1].startswith("*") and not items[-1].startswith("**"):
        body[-1] = body[-1][:-1]  # no trailing comma after a bare "*args" in a call
    result = [head]
    for item_line in body:
        result.extend(_wrap_line(item_line, limit))
    result.append(line[: len(line) - len(stripped)] + tail)
    return result


def _widest_parentheses(line: str) -> tuple[int, int] | None:
    """The top-level ``(`` ``)`` pair with the most text inside, if any."""
    depth = 0
    opened = -1
    best: tuple[int, int] | None = None
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
            continue
        if char == '"':
            quote = char
        elif char in "([{":
            if depth == 0 and char == "(":
                opened = index
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0 and char == ")" and opened >= 0:
                if best is None or index - opened > best[1] - best[0]:
                    best = (opened, index)
                opened = -1
    return best


def _split_top_level(inner: str) -> list[str]:
    items: list[str] = []
    depth = 0
    current = ""
    quote = ""
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = ""
            continue
        if char == '"':
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return items


def _arm_conditions(
    union: ast.UnionDef, module: ModuleModel, disc: str, handled: set[int]
) -> Iterator[tuple[ast.UnionArm, str]]:
    """Each arm with cases not ``handled`` (by a lookup table), and the Python
    condition on the discriminant variable ``disc`` that selects it."""
    for arm in union.arms:
        cases = [
            case
            for case in (module.value(c, arm.declaration.location) for c in arm.cases)
            if case not in handled
        ]
        if not cases:
            continue
        if len(cases) == 1:
            yield arm, f"{disc} == {cases[0]}"
        else:
            yield arm, f"{disc} in ({', '.join(map(str, cases))})"
