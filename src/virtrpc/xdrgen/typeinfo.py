"""What the emitter knows about types: names, annotations, descriptors, sizes.

:class:`TypeResolver` follows typedefs across modules, classifies types by
how the fast functions can handle them (a :class:`Scalar` is one fixed-size
``struct`` item, a :class:`Flat` value packs inside one ``struct`` call),
and collects the module-level constants the generated code refers to
(``struct`` codecs, enum maps, union arm tables, length-keyed codec
caches); the prelude declares them.  The decoders, encoders and class
emitters build on it.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.lexer import XdrCompileError
from virtrpc.xdrgen.model import ModuleModel, TypeDefinition

SCALAR_FORMATS = {
    "int": ("i", 4),
    "uint": ("I", 4),
    "hyper": ("q", 8),
    "uhyper": ("Q", 8),
    "float": ("f", 4),
    "double": ("d", 8),
    "bool": ("I", 4),
}
PRIMITIVE_DESCRIPTORS = {
    "int": "_xdr.INT",
    "uint": "_xdr.UINT",
    "hyper": "_xdr.HYPER",
    "uhyper": "_xdr.UHYPER",
    "float": "_xdr.FLOAT",
    "double": "_xdr.DOUBLE",
    "bool": "_xdr.BOOL",
    "void": "_xdr.VOID",
}
PRIMITIVE_ANNOTATIONS = {
    "int": "int",
    "uint": "int",
    "hyper": "int",
    "uhyper": "int",
    "float": "float",
    "double": "float",
    "bool": "bool",
    "void": "None",
}
UNBOUNDED = 0xFFFFFFFF  # the <max> of an unbounded string, opaque or array


def class_name(xdr_name: str) -> str:
    """``remote_nonnull_domain`` -> ``RemoteNonnullDomain``; ``virNetX`` -> ``VirNetX``."""
    return "".join(part[:1].upper() + part[1:] for part in xdr_name.split("_") if part)


def attribute_name(xdr_name: str) -> str:
    """The Python attribute of a field (keywords get a trailing underscore)."""
    return xdr_name + "_" if keyword.iskeyword(xdr_name) else xdr_name


@dataclass
class Scalar:
    """A type that is a fixed-size number on the wire."""

    format: str  # struct format character(s)
    size: int
    convert: str | None  # None | "bool" | "<qualified enum map>"
    fixed_length: int | None = None  # opaque[n] packed as "ns": check the length first


@dataclass
class Flat:
    """A value that packs inside one ``struct`` call."""

    format: (
        str  # struct format; "{}" stands for a string's or variable opaque's length+data+padding
    )
    is_bool: bool = False
    fixed_length: int | None = None  # opaque[n]: check the length first ("ns" pads silently)
    maximum: int | None = None  # variable length: the <max>
    bound: str = ""  # the <max> as the code writes it (see TypeResolver.bound)
    encode: bool = False  # a string: UTF-8 encode first


class FunctionContext:
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


class TypeResolver:
    """Type analysis and the shared constant tables of one generated module."""

    def __init__(self, module: ModuleModel, all_modules: list[ModuleModel]) -> None:
        self.module = module
        self.all_modules = all_modules
        #: the constants this module defines (``const``), which its code may name
        self.module_constants = {
            d.name for d in module.spec.definitions if isinstance(d, ast.ConstDef)
        }
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

    def scalar(self, expr: ast.TypeExpr, owner: ModuleModel) -> Scalar | None:
        expr, owner = self.expand(expr, owner)
        if isinstance(expr, ast.Primitive) and expr.kind in SCALAR_FORMATS:
            fmt, size = SCALAR_FORMATS[expr.kind]
            return Scalar(fmt, size, "bool" if expr.kind == "bool" else None)
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            if isinstance(definition, ast.EnumDef):
                return Scalar("i", 4, self.enum_map(found_owner, definition))
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

    def run_member(self, expr: ast.TypeExpr, owner: ModuleModel) -> Scalar | None:
        """Like :meth:`scalar`, plus ``opaque[n]`` with ``n % 4 == 0`` (a struct "ns" item)."""
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            return scalar
        expanded, owner = self.expand(expr, owner)
        if isinstance(expanded, ast.FixedOpaque):
            size = owner.value(expanded.size, ast.Location(owner.path, 0, 0))
            if size % 4 == 0 and size > 0:
                return Scalar(f"{size}s", size, None, size)
        return None

    def enum_map(self, owner: ModuleModel, enum: ast.EnumDef) -> str:
        qualified = self.qualify(owner, class_name(enum.name))
        name = self.enum_maps.get(qualified)
        if name is None:
            name = f"_E_{owner.name}_{enum.name}" if owner is not self.module else f"_E_{enum.name}"
            self.enum_maps[qualified] = name
        return name

    def value(self, value: ast.Value | None, owner: ModuleModel, location: ast.Location) -> int:
        return owner.value(value, location, default=UNBOUNDED)

    def bound(self, value: ast.Value | None, owner: ModuleModel, location: ast.Location) -> str:
        """A ``<max>`` or size as the generated code writes it: the constant's
        name when this module defines it (``REMOTE_STRING_MAX``, so the code
        reads like the ``.x``; a module global costs about what a literal
        does), else the number.  Only upper-case names: the generated locals
        are all lower case, so a name can never be shadowed."""
        number = self.value(value, owner, location)
        if (
            isinstance(value, str)
            and value.isupper()
            and owner is self.module
            and value in self.module_constants
        ):
            return value
        return str(number)

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
            return PRIMITIVE_ANNOTATIONS[expr.kind]
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
            return PRIMITIVE_DESCRIPTORS[expr.kind]
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            return self.qualify(found_owner, f"_T_{definition.name}")
        if isinstance(expr, ast.FixedOpaque):
            return f"_xdr.FixedOpaque({owner.value(expr.size, location)})"
        if isinstance(expr, ast.VarOpaque):
            return f"_xdr.VarOpaque({self.bound(expr.maximum, owner, location)})"
        if isinstance(expr, ast.String):
            return f"_xdr.StringType({self.bound(expr.maximum, owner, location)})"
        if isinstance(expr, ast.FixedArray):
            element = self.descriptor(expr.element, owner)
            return f"_xdr.FixedArray({element}, {owner.value(expr.size, location)})"
        if isinstance(expr, ast.VarArray):
            element = self.descriptor(expr.element, owner)
            return f"_xdr.VarArray({element}, {self.bound(expr.maximum, owner, location)})"
        return f"_xdr.OptionalType({self.descriptor(expr.element, owner)})"

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

    def flat_member(self, expr: ast.TypeExpr, owner: ModuleModel) -> Flat | None:
        """How ``expr`` packs inside one ``struct`` call, or ``None`` when it cannot."""
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            return Flat(scalar.format, scalar.convert == "bool")
        expanded, owner = self.expand(expr, owner)
        location = ast.Location(owner.path, 0, 0)
        if isinstance(expanded, ast.FixedOpaque):
            size = owner.value(expanded.size, location)
            padding = -size & 3
            return Flat(f"{size}s" + (f"{padding}x" if padding else ""), fixed_length=size)
        if isinstance(expanded, (ast.VarOpaque, ast.String)):
            maximum = self.value(expanded.maximum, owner, location)
            return Flat(
                "{}",
                maximum=maximum,
                bound=self.bound(expanded.maximum, owner, location),
                encode=isinstance(expanded, ast.String),
            )
        return None

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

    # -- union arm tables -----------------------------------------------------------

    def numeric_arms(self, union: ast.UnionDef, owner: ModuleModel) -> list[tuple[int, Scalar]]:
        """``(case, scalar)`` of the union's plain numeric arms (named, a
        scalar without conversion), one per case, in declaration order: what
        the arm tables are made of."""
        arms: list[tuple[int, Scalar]] = []
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


def arm_conditions(
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
