"""JSON <-> XDR value conversion driven by the XDR type descriptors.

Used by ``virtrpc call`` / ``virtrpc events``.  The JSON shape of a value is
chosen so that what is printed can be fed back as arguments:

* struct -> object keyed by field name (as in the ``.x`` file);
* union -> object with the discriminant (named as in the ``.x``) and ``value``;
* opaque data (``uuid`` and other bytes) -> lowercase hex string; on input a
  UUID may also be written with dashes;
* enum -> its integer value (input also accepts the member name);
* optional -> ``null`` or the value; arrays -> lists; hyper -> integer.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any

from virtrpc.errors import XdrError
from virtrpc.xdr import (
    BoolType,
    EnumType,
    FixedArray,
    FixedOpaque,
    OptionalType,
    ScalarType,
    StringType,
    StructType,
    TypedefType,
    UnionType,
    VarArray,
    VarOpaque,
    VoidType,
    XdrType,
)

__all__ = ["from_json", "to_json", "value_to_json"]


def _resolve(xdr_type: Any) -> Any:
    while isinstance(xdr_type, TypedefType):
        xdr_type = xdr_type.target
    return xdr_type


def to_json(xdr_type: XdrType[Any] | None, value: Any) -> Any:
    """Convert a decoded value of ``xdr_type`` to JSON-compatible data."""
    kind = _resolve(xdr_type)
    if kind is None or isinstance(kind, VoidType):
        return None
    if isinstance(kind, StructType):
        return {name: to_json(field_type, getattr(value, name)) for name, field_type in kind.fields}
    if isinstance(kind, UnionType):
        discriminant = getattr(value, kind.discriminant)
        arm = kind.arm(discriminant)
        arm_type = arm[1] if arm is not None else None
        return {kind.discriminant: int(discriminant), "value": to_json(arm_type, value.value)}
    if isinstance(kind, OptionalType):
        return None if value is None else to_json(kind.element, value)
    if isinstance(kind, (VarArray, FixedArray)):
        return [to_json(kind.element, item) for item in value]
    if isinstance(kind, (VarOpaque, FixedOpaque)):
        return bytes(value).hex()
    if isinstance(kind, EnumType):
        return int(value)
    if isinstance(kind, ScalarType) and isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no inf/nan: "inf", "-inf", "nan" (from_json reads them)
    return value_to_json(value)


def value_to_json(value: Any) -> Any:
    """Best-effort conversion when no type descriptor is at hand."""
    if isinstance(value, enum.IntEnum):
        return int(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [value_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(k): value_to_json(v) for k, v in value.items()}
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return {name: value_to_json(getattr(value, name)) for name in fields}
    slots = getattr(type(value), "__slots__", None)
    if slots and not isinstance(value, (str, int, float, bool)):
        return {name: value_to_json(getattr(value, name)) for name in slots}
    return value


def from_json(xdr_type: XdrType[Any] | None, data: Any, path: str = "") -> Any:
    """Build a value of ``xdr_type`` from JSON data (raises XdrError with the path)."""
    kind = _resolve(xdr_type)
    here = path or (getattr(xdr_type, "name", "") if xdr_type is not None else "")
    if kind is None or isinstance(kind, VoidType):
        if data not in (None, {}, []):
            raise XdrError(here, "takes no value")
        return None
    if isinstance(kind, StructType):
        if not isinstance(data, Mapping):
            raise XdrError(here, f"expected an object with fields {[n for n, _ in kind.fields]}")
        known = {name for name, _ in kind.fields}
        unknown = set(data) - known
        if unknown:
            raise XdrError(here, f"unknown field(s) {sorted(unknown)}; fields are {sorted(known)}")
        values = {}
        for name, field_type in kind.fields:
            field_path = f"{here}.{name}" if here else name
            if name not in data:
                values[name] = _default(field_type, field_path)
            else:
                values[name] = from_json(field_type, data[name], field_path)
        return kind.cls(**values)
    if isinstance(kind, UnionType):
        if not isinstance(data, Mapping) or kind.discriminant not in data:
            raise XdrError(here, f"expected an object with {kind.discriminant!r} and 'value'")
        discriminant = from_json(
            kind.discriminant_type, data[kind.discriminant], f"{here}.{kind.discriminant}"
        )
        arm = kind.arm(discriminant)
        if arm is None:
            raise XdrError(here, f"no arm for discriminant {discriminant!r}")
        return kind.cls(discriminant, from_json(arm[1], data.get("value"), f"{here}.value"))
    if isinstance(kind, OptionalType):
        return None if data is None else from_json(kind.element, data, here)
    if isinstance(kind, (VarArray, FixedArray)):
        if not isinstance(data, list):
            raise XdrError(here, "expected a list")
        return [from_json(kind.element, item, f"{here}[{i}]") for i, item in enumerate(data)]
    if isinstance(kind, (VarOpaque, FixedOpaque)):
        if not isinstance(data, str):
            raise XdrError(here, "expected a hex string")
        text = data.replace("-", "") if isinstance(kind, FixedOpaque) and kind.size == 16 else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise XdrError(here, f"not a hex string: {data!r}") from None
    if isinstance(kind, EnumType):
        if isinstance(data, str):
            member = getattr(kind.enum_class, data, None)
            if member is None:
                raise XdrError(here, f"unknown {kind.name} member {data!r}")
            return member
        if isinstance(data, bool) or not isinstance(data, int):
            raise XdrError(here, "expected an integer or enum member name")
        return kind.by_value.get(data, data)
    if isinstance(kind, BoolType):
        if not isinstance(data, bool):
            raise XdrError(here, "expected true or false")
        return data
    if isinstance(kind, StringType):
        if not isinstance(data, str):
            raise XdrError(here, "expected a string")
        return data
    if isinstance(kind, ScalarType):
        if kind.is_float:
            if isinstance(data, str) and data in ("inf", "-inf", "nan"):
                return float(data)  # what to_json prints for non-finite values
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise XdrError(here, "expected a number")
            return float(data)
        if isinstance(data, bool) or not isinstance(data, int):
            raise XdrError(here, "expected an integer")
        return data
    return data


def _default(field_type: XdrType[Any], path: str) -> Any:
    """Value of an omitted field: absent optionals, empty arrays, zero flags.
    Required structs and strings must be given."""
    kind = _resolve(field_type)
    if isinstance(kind, OptionalType):
        return None
    if isinstance(kind, VarArray):
        return []
    if isinstance(kind, VarOpaque):
        return b""
    if isinstance(kind, BoolType):
        return False
    if isinstance(kind, EnumType):
        return kind.by_value.get(0, 0)
    if isinstance(kind, ScalarType):
        return 0.0 if kind.is_float else 0
    raise XdrError(path, "missing required field")
