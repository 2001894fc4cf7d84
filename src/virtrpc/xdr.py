"""XDR runtime (RFC 4506) used by the generated protocol modules.

Two layers live here:

* *Type descriptors* (:class:`XdrType` implementations such as
  :class:`StructType` or :class:`VarArray`): one object per named ``.x`` type
  and per anonymous compound type.  They describe the type tree (tests derive
  hypothesis strategies and oracle checks from it, tools build values from
  it) and can encode/decode any value by interpreting that tree while
  tracking the field path.
* *Generated fast functions*: for every named type the compiler emits a
  ``pack(value) -> bytes`` and an ``unpack(data, offset)`` function
  specialised to that type (precompiled :class:`struct.Struct` runs,
  :class:`VarStructs` caches for runs with strings, no interpretation).
  Named descriptors use them for the normal path.  When a fast function fails
  the descriptor replays the operation with the interpreter, which raises an
  :class:`~virtrpc.errors.XdrError` naming the exact field path (or, when
  encoding a value the fast function does not take, such as a
  ``memoryview`` opaque, encodes it); the happy path therefore pays nothing
  for path tracking.

Decoding is strict: padding must be zero, ``bool`` must be 0 or 1, lengths
are checked against ``<max>`` before anything is allocated, strings must be
valid UTF-8 and :meth:`XdrType.unpack` rejects trailing bytes.  Unknown enum
values decode as plain ``int`` (daemons newer than the ``.x`` add values);
encoding accepts any 32-bit value for an enum for the same reason.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, NoReturn, Protocol, TypeAlias, TypeVar

from virtrpc.errors import XdrError

__all__ = [
    "BOOL",
    "DOUBLE",
    "FLOAT",
    "HYPER",
    "INT",
    "UHYPER",
    "UINT",
    "VOID",
    "Answer",
    "AsyncCaller",
    "BlockingCaller",
    "BoolType",
    "EnumType",
    "FixedArray",
    "FixedOpaque",
    "OptionalType",
    "Procedure",
    "Program",
    "ScalarType",
    "StringType",
    "StructType",
    "TypedefType",
    "UnionType",
    "VarArray",
    "VarOpaque",
    "VoidType",
    "XdrError",
    "XdrStruct",
    "XdrType",
    "XdrUnion",
]

T = TypeVar("T")

Buffer = bytes | bytearray | memoryview
UnpackFunction = Callable[[bytes, int], tuple[Any, int]]  # fast functions take bytes only

#: Largest length of an unbounded ``<>`` array, opaque or string.
UNBOUNDED = 0xFFFFFFFF

# Precompiled codecs shared by the runtime and the generated modules.
S_INT = struct.Struct(">i")
S_UINT = struct.Struct(">I")
S_HYPER = struct.Struct(">q")
S_UHYPER = struct.Struct(">Q")
S_FLOAT = struct.Struct(">f")
S_DOUBLE = struct.Struct(">d")

#: Padding bytes indexed by the padding length.
PADDING = (b"", b"\0", b"\0\0", b"\0\0\0")
#: Masks of the padding bytes at the low end of a big-endian word, by length.
PAD_MASK = (0, 0xFF, 0xFFFF, 0xFFFFFF)
#: Encoded "present" / "absent" flags of optional data.
PRESENT = b"\0\0\0\1"
ABSENT = b"\0\0\0\0"
#: ``bool`` conversions; a lookup miss is the strictness check.
BOOL_TO_INT: Mapping[object, int] = {False: 0, True: 1}
INT_TO_BOOL: Mapping[int, bool] = {0: False, 1: True}


class XdrType(Protocol[T]):
    """The codec of one XDR type (see docs/architecture.md)."""

    name: str
    #: The generated decoder of a named type (``None`` for the others):
    #: ``fast_unpack(data, offset) -> (value, end)`` on ``bytes`` only.  It
    #: does not name the bad field: on bad input it raises any exception, or
    #: returns an ``end`` past ``data`` (a truncated value: bounds are left to
    #: the caller).  Hot paths call it, check ``end`` and on any failure fall
    #: back to ``unpack``, which names the fault.
    fast_unpack: UnpackFunction | None

    def pack(self, value: T) -> bytes: ...

    def pack_into(self, out: bytearray, value: T) -> None: ...

    def unpack(self, data: Buffer) -> T: ...

    def unpack_from(self, data: Buffer, offset: int = 0) -> tuple[T, int]: ...


def _padding(length: int) -> int:
    return -length & 3


def _join(path: str, child: str) -> str:
    if child.startswith("["):
        return path + child
    return f"{path}.{child}" if path else child


class BaseType(Generic[T]):
    """Shared behaviour of every descriptor.

    Subclasses implement :meth:`_pack` and :meth:`_unpack`, the interpreting
    codec that knows the field path.  Descriptors that have generated fast
    functions set :attr:`fast_unpack` (see :class:`XdrType`) and replace ``pack``.

    ``pack(value) -> bytes`` encodes ``value`` and raises :class:`XdrError`
    naming the bad field.  It is an attribute rather than a method so that a
    named type's ``pack`` *is* its generated encoder, with no wrapper call in
    between (that call costs as much as encoding a small struct); the
    generated encoder hands any failure to :meth:`slow_pack`.  Other
    descriptors use :meth:`slow_pack` itself.

    ``unpack(data) -> value`` is an attribute for the same reason: a small
    named struct's is a generated whole-buffer decoder (``_U_<name>``) that
    hands anything but a clean decode of a ``bytes`` buffer to
    :meth:`checked_unpack`; other descriptors use :meth:`checked_unpack`
    itself.
    """

    __slots__ = ("fast_unpack", "name", "pack", "unpack")

    name: str
    pack: Callable[[T], bytes]
    unpack: Callable[[Buffer], T]
    fast_unpack: UnpackFunction | None

    def __init__(self, name: str) -> None:
        self.name = name
        self.pack = self.slow_pack
        self.unpack = self.checked_unpack
        self.fast_unpack = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- public API ---------------------------------------------------------

    def slow_pack(self, value: T) -> bytes:
        """Encode ``value`` with the interpreting codec.

        It either explains a failure with the field path or, for values the
        generated encoders do not take (a memoryview as an opaque, a tuple as
        an array), encodes them.
        """
        out = bytearray()
        self._pack(out, value, self.name)
        return bytes(out)

    def pack_into(self, out: bytearray, value: T) -> None:
        """Append the encoding of ``value`` to ``out`` (unchanged on error)."""
        out += self.pack(value)

    def checked_unpack(self, data: Buffer) -> T:
        """Decode exactly the whole of ``data`` (trailing bytes are an error).

        This is what ``unpack`` does: through the generated fast function,
        when there is one, with the interpreter explaining any failure.
        """
        if data.__class__ is not bytes:
            # The fast functions slice and decode bytes directly.
            data = bytes(data)
        fast = self.fast_unpack
        if fast is None:
            value, end = self._unpack(data, 0, self.name)
        else:
            try:
                value, end = fast(data, 0)
            except Exception as exc:
                self._explain_unpack(data, 0, exc)
        if end != len(data):
            if end > len(data):
                # The fast functions leave bounds to the next read; a value
                # that ends past the buffer is truncated somewhere.
                self._explain_unpack(data, 0)
            raise XdrError(self.name, f"{len(data) - end} trailing bytes after the value")
        return value  # type: ignore[no-any-return]

    def unpack_from(self, data: Buffer, offset: int = 0) -> tuple[T, int]:
        """Decode one value at ``offset``; return it and the offset after it."""
        if data.__class__ is not bytes:
            data = bytes(data)
        fast = self.fast_unpack
        if fast is None:
            return self._unpack(data, offset, self.name)
        if offset < 0:
            self._explain_unpack(data, offset)
        try:
            value, end = fast(data, offset)
        except Exception as exc:
            self._explain_unpack(data, offset, exc)
        if end > len(data):
            self._explain_unpack(data, offset)
        return value, end

    # -- slow path ----------------------------------------------------------

    def _explain_unpack(
        self, data: Buffer, offset: int, exc: BaseException | None = None
    ) -> NoReturn:
        self._unpack(data, offset, self.name)
        # The interpreter accepted what the fast function rejected: report the
        # original failure rather than hiding it.
        raise XdrError(self.name, f"cannot decode: {exc!r}") from exc

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        raise NotImplementedError

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[Any, int]:
        raise NotImplementedError


def _take(data: Buffer, offset: int, size: int, path: str) -> int:
    """Check that ``size`` bytes are available at ``offset``; return the end."""
    end = offset + size
    if offset < 0 or end > len(data):
        raise XdrError(
            path,
            f"truncated: needs {size} bytes at offset {offset}, has {max(len(data) - offset, 0)}",
        )
    return end


def _check_padding(data: Buffer, offset: int, length: int, path: str) -> int:
    pad = _padding(length)
    end = _take(data, offset, pad, path)
    if pad and bytes(data[offset:end]) != PADDING[pad]:
        raise XdrError(path, "non-zero padding bytes")
    return end


class ScalarType(BaseType[T]):
    """int, unsigned int, hyper, unsigned hyper, float, double."""

    __slots__ = ("codec", "is_float", "maximum", "minimum", "size")

    def __init__(
        self, name: str, codec: struct.Struct, minimum: int, maximum: int, is_float: bool
    ) -> None:
        super().__init__(name)
        self.codec = codec
        self.size = codec.size
        self.minimum = minimum
        self.maximum = maximum
        self.is_float = is_float

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if self.is_float:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise XdrError(path, f"expected a float, got {type(value).__name__}")
            try:
                out += self.codec.pack(value)
            except (OverflowError, struct.error) as exc:
                raise XdrError(path, f"{value!r} does not fit in {self.name}") from exc
            return
        if not isinstance(value, int):  # bool is an int, as in struct.pack
            raise XdrError(path, f"expected an int, got {type(value).__name__}")
        if not self.minimum <= value <= self.maximum:
            raise XdrError(
                path, f"{value} out of range for {self.name} [{self.minimum}, {self.maximum}]"
            )
        out += self.codec.pack(value)

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[Any, int]:
        end = _take(data, offset, self.size, path)
        return self.codec.unpack_from(data, offset)[0], end


class BoolType(BaseType[bool]):
    """bool: 0 or 1 on the wire, nothing else."""

    __slots__ = ()

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if (
            value is not True
            and value is not False
            and not (type(value) is int and value in (0, 1))
        ):
            raise XdrError(path, f"expected a bool, got {value!r}")
        out += S_INT.pack(int(value))

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[bool, int]:
        end = _take(data, offset, 4, path)
        raw = S_INT.unpack_from(data, offset)[0]
        if raw not in (0, 1):
            raise XdrError(path, f"bool must be 0 or 1, got {raw}")
        return bool(raw), end


class VoidType(BaseType[None]):
    """void: no bytes."""

    __slots__ = ()

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if value is not None:
            raise XdrError(path, f"void takes None, got {type(value).__name__}")

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[None, int]:
        return None, offset


INT: ScalarType[int] = ScalarType("int", S_INT, -(2**31), 2**31 - 1, False)
UINT: ScalarType[int] = ScalarType("unsigned int", S_UINT, 0, 2**32 - 1, False)
HYPER: ScalarType[int] = ScalarType("hyper", S_HYPER, -(2**63), 2**63 - 1, False)
UHYPER: ScalarType[int] = ScalarType("unsigned hyper", S_UHYPER, 0, 2**64 - 1, False)
FLOAT: ScalarType[float] = ScalarType("float", S_FLOAT, 0, 0, True)
DOUBLE: ScalarType[float] = ScalarType("double", S_DOUBLE, 0, 0, True)
BOOL = BoolType("bool")
VOID = VoidType("void")


class EnumType(BaseType[int]):
    """An enum: a signed 32-bit int; known values decode as the IntEnum member."""

    __slots__ = ("by_value", "enum_class")

    def __init__(self, name: str, enum_class: Any) -> None:
        super().__init__(name)
        self.enum_class = enum_class
        self.by_value: dict[int, Any] = {int(member): member for member in enum_class}

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        INT._pack(out, value, path)

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[int, int]:
        raw, end = INT._unpack(data, offset, path)
        return self.by_value.get(raw, raw), end


class FixedOpaque(BaseType[bytes]):
    """opaque x[n]."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        super().__init__(f"opaque[{size}]")
        self.size = size

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise XdrError(path, f"expected bytes, got {type(value).__name__}")
        if len(value) != self.size:
            raise XdrError(path, f"fixed opaque needs exactly {self.size} bytes, got {len(value)}")
        out += value
        out += PADDING[_padding(self.size)]

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[bytes, int]:
        end = _take(data, offset, self.size, path)
        value = bytes(data[offset:end])
        return value, _check_padding(data, end, self.size, path)


class VarOpaque(BaseType[bytes]):
    """opaque x<max>."""

    __slots__ = ("maximum",)

    def __init__(self, maximum: int = UNBOUNDED) -> None:
        super().__init__(f"opaque<{maximum}>")
        self.maximum = maximum

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise XdrError(path, f"expected bytes, got {type(value).__name__}")
        if len(value) > self.maximum:
            raise XdrError(path, f"length {len(value)} exceeds maximum {self.maximum}")
        out += S_UINT.pack(len(value))
        out += value
        out += PADDING[_padding(len(value))]

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[bytes, int]:
        length, start = UINT._unpack(data, offset, path)
        if length > self.maximum:
            raise XdrError(path, f"length {length} exceeds maximum {self.maximum}")
        end = _take(data, start, length, path)
        return bytes(data[start:end]), _check_padding(data, end, length, path)


class StringType(BaseType[str]):
    """string x<max>: UTF-8, strictly decoded."""

    __slots__ = ("maximum",)

    def __init__(self, maximum: int = UNBOUNDED) -> None:
        super().__init__(f"string<{maximum}>")
        self.maximum = maximum

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise XdrError(path, f"expected str, got {type(value).__name__}")
        try:
            raw = value.encode()
        except UnicodeEncodeError as exc:
            raise XdrError(path, f"not encodable as UTF-8: {exc.reason}") from exc
        if len(raw) > self.maximum:
            raise XdrError(path, f"length {len(raw)} exceeds maximum {self.maximum}")
        out += S_UINT.pack(len(raw))
        out += raw
        out += PADDING[_padding(len(raw))]

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[str, int]:
        length, start = UINT._unpack(data, offset, path)
        if length > self.maximum:
            raise XdrError(path, f"length {length} exceeds maximum {self.maximum}")
        end = _take(data, start, length, path)
        try:
            value = str(data[start:end], "utf-8")
        except UnicodeDecodeError as exc:
            raise XdrError(path, f"invalid UTF-8 at byte {exc.start}") from exc
        return value, _check_padding(data, end, length, path)


class FixedArray(BaseType[list[T]]):
    """T x[n]."""

    __slots__ = ("element", "size")

    def __init__(self, element: BaseType[T], size: int) -> None:
        super().__init__(f"{element.name}[{size}]")
        self.element = element
        self.size = size

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, (list, tuple)):
            raise XdrError(path, f"expected a list, got {type(value).__name__}")
        if len(value) != self.size:
            raise XdrError(path, f"fixed array needs exactly {self.size} items, got {len(value)}")
        for index, item in enumerate(value):
            self.element._pack(out, item, f"{path}[{index}]")

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[list[T], int]:
        items = []
        for index in range(self.size):
            item, offset = self.element._unpack(data, offset, f"{path}[{index}]")
            items.append(item)
        return items, offset


class VarArray(BaseType[list[T]]):
    """T x<max>."""

    __slots__ = ("element", "maximum")

    def __init__(self, element: BaseType[T], maximum: int = UNBOUNDED) -> None:
        super().__init__(f"{element.name}<{maximum}>")
        self.element = element
        self.maximum = maximum

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, (list, tuple)):
            raise XdrError(path, f"expected a list, got {type(value).__name__}")
        if len(value) > self.maximum:
            raise XdrError(path, f"{len(value)} items exceed maximum {self.maximum}")
        out += S_UINT.pack(len(value))
        for index, item in enumerate(value):
            self.element._pack(out, item, f"{path}[{index}]")

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[list[T], int]:
        count, offset = UINT._unpack(data, offset, path)
        if count > self.maximum:
            raise XdrError(path, f"{count} items exceed maximum {self.maximum}")
        if count * 4 > len(data) - offset and not isinstance(self.element, VoidType):
            raise XdrError(
                path, f"truncated: {count} items cannot fit in {len(data) - offset} bytes"
            )
        items = []
        for index in range(count):
            item, offset = self.element._unpack(data, offset, f"{path}[{index}]")
            items.append(item)
        return items, offset


class OptionalType(BaseType[T | None]):
    """T *x: a 0/1 flag then the value when present."""

    __slots__ = ("element",)

    def __init__(self, element: BaseType[T]) -> None:
        super().__init__(f"{element.name}*")
        self.element = element

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if value is None:
            out += ABSENT
        else:
            out += PRESENT
            self.element._pack(out, value, path)

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[T | None, int]:
        end = _take(data, offset, 4, path)
        flag = S_INT.unpack_from(data, offset)[0]
        if flag == 0:
            return None, end
        if flag != 1:
            raise XdrError(path, f"optional-data flag must be 0 or 1, got {flag}")
        return self.element._unpack(data, end, path)


class TypedefType(BaseType[T]):
    """A named alias (typedef) of another type."""

    __slots__ = ("target",)

    def __init__(self, name: str, target: BaseType[T] | None = None) -> None:
        super().__init__(name)
        self.target: BaseType[T] | None = target

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        assert self.target is not None
        self.target._pack(out, value, path)

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[T, int]:
        assert self.target is not None
        return self.target._unpack(data, offset, path)


class StructType(BaseType[T]):
    """A struct: its generated class and its ordered fields."""

    __slots__ = ("cls", "fields", "markers")

    def __init__(self, name: str, cls: type[T]) -> None:
        super().__init__(name)
        self.cls = cls
        #: (field name, field type) in wire order; filled in after every
        #: type of the module exists (types may refer to each other).
        self.fields: tuple[tuple[str, BaseType[Any]], ...] = ()
        #: libvirt ``insert@N`` markers: field name (or "" for the struct) -> N.
        self.markers: Mapping[str, int] = {}

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, self.cls):
            raise XdrError(path, f"expected {self.cls.__name__}, got {type(value).__name__}")
        for field_name, field_type in self.fields:
            field_type._pack(out, getattr(value, field_name), _join(path, field_name))

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[T, int]:
        values = []
        for field_name, field_type in self.fields:
            item, offset = field_type._unpack(data, offset, _join(path, field_name))
            values.append(item)
        return self.cls(*values), offset


class UnionType(BaseType[T]):
    """A discriminated union: its class, discriminant and arms."""

    __slots__ = ("arms", "cls", "default", "discriminant", "discriminant_type")

    def __init__(self, name: str, cls: type[T], discriminant: str) -> None:
        super().__init__(name)
        self.cls = cls
        self.discriminant = discriminant
        self.discriminant_type: BaseType[Any] = INT
        #: case value -> (arm name or None for void, arm type)
        self.arms: Mapping[int, tuple[str | None, BaseType[Any]]] = {}
        self.default: tuple[str | None, BaseType[Any]] | None = None

    def arm(self, discriminant: int) -> tuple[str | None, BaseType[Any]] | None:
        """The (name, type) of the arm selected by ``discriminant``."""
        found = self.arms.get(int(discriminant))
        return found if found is not None else self.default

    def _pack(self, out: bytearray, value: Any, path: str) -> None:
        if not isinstance(value, self.cls):
            raise XdrError(path, f"expected {self.cls.__name__}, got {type(value).__name__}")
        disc = getattr(value, self.discriminant)
        disc_path = _join(path, self.discriminant)
        self.discriminant_type._pack(out, disc, disc_path)
        arm = self.arm(disc)
        if arm is None:
            raise XdrError(disc_path, f"no arm for discriminant {disc!r}")
        arm_type = arm[1]
        arm_type._pack(out, getattr(value, "value"), _join(path, "value"))  # noqa: B009

    def _unpack(self, data: Buffer, offset: int, path: str) -> tuple[T, int]:
        disc_path = _join(path, self.discriminant)
        disc, offset = self.discriminant_type._unpack(data, offset, disc_path)
        arm = self.arm(disc)
        if arm is None:
            raise XdrError(disc_path, f"no arm for discriminant {disc!r}")
        value, offset = arm[1]._unpack(data, offset, _join(path, "value"))
        build: Callable[[Any, Any], T] = self.cls
        return build(disc, value), offset


# -- helpers called by generated fast functions ------------------------------


class VarStructs(dict[Any, struct.Struct]):
    """Precompiled codecs for a run of fields that includes strings or variable
    opaques, keyed by their lengths (an ``int``, or a tuple for several).

    ``template`` is a :mod:`struct` format with one ``{}`` per variable field;
    each becomes ``I<n>s<pad>x`` (length, data, zero padding), so a whole run
    encodes in one ``pack`` call.  A length above its maximum raises (so a
    cached codec implies good lengths); at most :attr:`LIMIT` codecs are kept.
    """

    __slots__ = ("maxima", "template")

    LIMIT: ClassVar[int] = 512

    def __init__(self, template: str, maxima: tuple[int, ...]) -> None:
        super().__init__()
        self.template = template
        self.maxima = maxima

    def __missing__(self, key: int | tuple[int, ...]) -> struct.Struct:
        sizes = key if isinstance(key, tuple) else (key,)
        pieces = []
        for size, maximum in zip(sizes, self.maxima, strict=True):
            if size > maximum:
                raise XdrError("", f"length {size} exceeds maximum {maximum}")
            pieces.append(f"I{size}s{-size & 3}x")
        codec = struct.Struct(self.template.format(*pieces))
        if len(self) < self.LIMIT:
            self[key] = codec
        return codec


# Their errors carry no path: the descriptor's slow path explains them.


def unpack_count(data: Buffer, offset: int, maximum: int, minimum_item_size: int) -> int:
    """Decode an array count and check it before anything is allocated."""
    count: int = S_UINT.unpack_from(data, offset)[0]
    if count > maximum or count * minimum_item_size > len(data) - offset - 4:
        raise XdrError("", "bad array length")
    return count


def bad_discriminant(value: object) -> XdrError:
    """The error of a union discriminant that selects no arm."""
    return XdrError("", f"no arm for discriminant {value!r}")


def bad_flag(value: object) -> XdrError:
    """The error of an optional-data flag that is neither 0 nor 1."""
    return XdrError("", f"optional-data flag must be 0 or 1, got {value!r}")


# -- generated classes ---------------------------------------------------------


class _LazyDataclassFields:
    """``__dataclass_fields__`` computed on first use.

    Building real dataclasses for ~900 generated classes at import time is
    too slow, so the generated classes are plain slotted classes and
    :func:`dataclasses.fields` support is provided lazily.
    """

    def __get__(self, instance: object, owner: type) -> dict[str, dataclasses.Field[Any]]:
        if not owner.__dict__.get("__match_args__"):
            # A base class (XdrStruct itself): no fields, and nothing cached
            # that subclasses could inherit instead of this descriptor.
            return {}
        import inspect

        annotations: dict[str, Any] = {}
        for klass in reversed(owner.__mro__):
            annotations.update(inspect.get_annotations(klass))
        result: dict[str, dataclasses.Field[Any]] = {}
        for name in owner.__match_args__:  # type: ignore[attr-defined]
            field: dataclasses.Field[Any] = dataclasses.field()
            field.name = name
            field.type = annotations.get(name, Any)
            # dataclasses.fields() keeps only entries marked as regular fields.
            field._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            result[name] = field
        owner.__dataclass_fields__ = result  # type: ignore[attr-defined]
        return result


class XdrStruct:
    """Base of the generated struct classes."""

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()
    __dataclass_fields__: ClassVar[dict[str, Any]] = _LazyDataclassFields()  # type: ignore[assignment]


class XdrUnion:
    """Base of the generated union classes (discriminant attribute + ``value``)."""

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()
    __dataclass_fields__: ClassVar[dict[str, Any]] = _LazyDataclassFields()  # type: ignore[assignment]


# -- procedure tables -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Procedure:
    """One procedure of an RPC program (see docs/architecture.md)."""

    program: int
    version: int
    number: int
    name: str
    const_name: str
    args: BaseType[Any] | None
    ret: BaseType[Any] | None
    args_class: type | None
    ret_class: type | None
    is_event: bool = False
    stream: str | None = None  # "read" | "write" (@readstream / @writestream)
    sparseflag: str | None = None
    priority: str = "low"  # "high" | "low"
    fds: str | None = None  # "send" | "recv" | "both"
    generate: str | None = None
    acl: tuple[str, ...] = ()
    aclfilter: tuple[str, ...] = ()


@dataclass(frozen=True)
class Program:
    """An RPC program: number, version and its procedures."""

    name: str
    number: int
    version: int
    procedures: Mapping[int, Procedure]
    by_name: Mapping[str, Procedure]


# -- call mixin bases -------------------------------------------------------------

_Reply = TypeVar("_Reply")
#: What a server's handler returns (the generated handler interfaces'
#: annotations): the reply, or an awaitable of it (``async def``).
Answer: TypeAlias = _Reply | Awaitable[_Reply]


class AsyncCaller:
    """What the generated async call mixins need from the class using them."""

    __slots__ = ()

    def _call_procedure(
        self, proc: Procedure, args: Any, fds: Sequence[int] = ()
    ) -> Awaitable[Any]:
        """Start the call; awaiting what it returns gives the result.  (Any
        awaitable: a coroutine, or a future-like object that spares one.)"""
        raise NotImplementedError


class BlockingCaller:
    """What the generated blocking call mixins need from the class using them."""

    __slots__ = ()

    def _call_procedure(self, proc: Procedure, args: Any, fds: Sequence[int] = ()) -> Any:
        raise NotImplementedError
