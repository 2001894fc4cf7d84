"""The abstract syntax tree of an XDR / RPC language (RFC 4506, RFC 5531) file.

Sizes and values may still be symbolic (a constant name) here; the model
stage (:mod:`virtrpc.xdrgen.model`) resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Value = int | str  # a literal or the name of a constant / enum member


@dataclass(frozen=True)
class Location:
    """Where something was written: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# -- type expressions ---------------------------------------------------------


@dataclass(frozen=True)
class Primitive:
    """int, unsigned int, hyper, unsigned hyper, float, double, quadruple, bool, void."""

    kind: str  # "int" | "uint" | "hyper" | "uhyper" | "float" | "double" | "quadruple" | "bool" | "void"


@dataclass(frozen=True)
class NamedRef:
    """A reference to a named type (typedef, struct, union or enum)."""

    name: str
    location: Location


@dataclass(frozen=True)
class FixedOpaque:
    size: Value


@dataclass(frozen=True)
class VarOpaque:
    maximum: Value | None  # None: unbounded


@dataclass(frozen=True)
class String:
    maximum: Value | None


@dataclass(frozen=True)
class FixedArray:
    element: TypeExpr
    size: Value


@dataclass(frozen=True)
class VarArray:
    element: TypeExpr
    maximum: Value | None


@dataclass(frozen=True)
class Optional:
    element: TypeExpr


TypeExpr = (
    Primitive | NamedRef | FixedOpaque | VarOpaque | String | FixedArray | VarArray | Optional
)


@dataclass(frozen=True)
class Declaration:
    """``type name`` inside a struct, union arm or typedef (name None for void)."""

    name: str | None
    type: TypeExpr
    location: Location
    marker: int | None = None  # libvirt ``/* insert@N */`` trailing comment


# -- definitions ----------------------------------------------------------------


@dataclass
class ConstDef:
    name: str
    value: Value
    location: Location


@dataclass
class EnumMember:
    name: str
    value: Value | None  # None: the previous member's value plus one (C style)
    location: Location
    doc: str | None = None  # the ``/** ... */`` comment right before the member


@dataclass
class EnumDef:
    name: str
    members: list[EnumMember]
    location: Location


@dataclass
class StructDef:
    name: str
    fields: list[Declaration]
    location: Location
    marker: int | None = None  # ``struct x { /* insert@N */``


@dataclass
class UnionArm:
    cases: list[Value]  # empty for ``default``
    declaration: Declaration


@dataclass
class UnionDef:
    name: str
    discriminant: Declaration
    arms: list[UnionArm]
    default: UnionArm | None
    location: Location


@dataclass
class TypedefDef:
    name: str
    declaration: Declaration
    location: Location


@dataclass
class ProcedureDef:
    name: str
    number: Value
    args: list[TypeExpr]
    result: TypeExpr
    location: Location


@dataclass
class VersionDef:
    name: str
    number: Value
    procedures: list[ProcedureDef]
    location: Location


@dataclass
class ProgramDef:
    name: str
    number: Value
    versions: list[VersionDef]
    location: Location


Definition = ConstDef | EnumDef | StructDef | UnionDef | TypedefDef | ProgramDef


@dataclass
class Specification:
    """One parsed ``.x`` file."""

    path: str
    definitions: list[Definition] = field(default_factory=list)
    #: ``%#include "x.h"`` pass-through lines, used to find dependencies.
    includes: list[str] = field(default_factory=list)
