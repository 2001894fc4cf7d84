"""Class emitter: the Python classes of enums, structs and unions."""

from __future__ import annotations

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.typeinfo import TypeResolver, attribute_name, class_name


class ClassEmitter(TypeResolver):
    """Emits ``IntEnum``, ``XdrStruct`` and ``XdrUnion`` subclasses (a part of
    :class:`~virtrpc.xdrgen.emitter.ModuleEmitter`)."""

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
