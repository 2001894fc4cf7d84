"""The ``*-structs`` files are libvirt's own dump of the C structs and enums its
rpcgen produced from each ``.x``: field order, array sizes, enum values.
Check every struct, union and enum of every program against the generated
descriptors, for the committed 11.3.0 modules and for 9.0.0 compiled to a
temporary package.
"""

from __future__ import annotations

import importlib
import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.inputs import LIBVIRT_STRUCTS_FILES, require_protocol_dir
from tests.support.tmppackage import temporary_package
from virtrpc import xdr
from virtrpc.xdrgen import compile_paths
from virtrpc.xdrgen.libvirt import module_name_for


@dataclass
class CField:
    name: str
    ctype: str
    size: int | None = None  # fixed array size
    variable: bool = False  # struct { u_int x_len; T *x_val; } x;


@dataclass
class CStruct:
    name: str
    fields: list[CField] = field(default_factory=list)
    union_arms: list[CField] | None = None  # set when the struct wraps a union


_FIELD_RE = re.compile(r"^\s*(\w+)\s+(\**)\s*(\w+)(?:\[(\d+)\])?;$")


def parse_structs(text: str) -> tuple[dict[str, CStruct], dict[str, dict[str, int]]]:
    """Parse a ``*-structs`` dump into structs and enums."""
    structs: dict[str, CStruct] = {}
    enums: dict[str, dict[str, int]] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("enum "):
            name = line.split()[1]
            members: dict[str, int] = {}
            for member in lines:
                if member.startswith("}"):
                    break
                member_name, _, value = member.strip().rstrip(",").partition(" = ")
                members[member_name.strip()] = int(value, 0)
            enums[name] = members
        elif line.startswith("struct "):
            struct = CStruct(line.split()[1])
            for member in lines:
                stripped = member.strip()
                if member.startswith("}"):
                    break
                if stripped in ("struct {", "union {"):
                    inner: list[CField] = []
                    for inner_line in lines:
                        inner_stripped = inner_line.strip()
                        if inner_stripped.startswith("}"):
                            outer_name = inner_stripped.strip("}; ")
                            break
                        match = _FIELD_RE.match(inner_stripped.replace("*", " * ", 1))
                        assert match, inner_line
                        inner.append(CField(match.group(3), match.group(1)))
                    if stripped == "union {":
                        struct.union_arms = inner
                    else:
                        assert len(inner) == 2 and inner[0].name.endswith("_len"), inner
                        struct.fields.append(CField(outer_name, inner[1].ctype, variable=True))
                    continue
                match = _FIELD_RE.match(stripped)
                assert match, member
                size = int(match.group(4)) if match.group(4) else None
                struct.fields.append(CField(match.group(3), match.group(1), size))
            structs[struct.name] = struct
    return structs, enums


_SCALARS: dict[str, tuple[xdr.BaseType[Any], ...]] = {
    "int": (xdr.INT,),
    "char": (xdr.INT,),  # libvirt's dialect: 4 bytes on the wire
    "short": (xdr.INT,),
    "u_int": (xdr.UINT,),
    "u_char": (xdr.UINT,),
    "u_short": (xdr.UINT,),
    "int64_t": (xdr.HYPER,),
    "uint64_t": (xdr.UHYPER,),
    "double": (xdr.DOUBLE,),
    "float": (xdr.FLOAT,),
    "bool_t": (xdr.BOOL,),
}


def matches(descriptor: xdr.BaseType[Any], ctype: str) -> bool:
    """Whether a generated descriptor is what the C type names."""
    if ctype in _SCALARS:
        return any(descriptor is scalar for scalar in _SCALARS[ctype])
    return descriptor.name == ctype


def check_field(owner: str, cfield: CField, descriptor: xdr.BaseType[Any]) -> None:
    where = f"{owner}.{cfield.name}"
    if cfield.variable:
        if cfield.ctype == "char" and not isinstance(descriptor, xdr.VarArray):
            # opaque<> / string<>; libvirt's "char x<N>" is an array of 4-byte chars
            assert isinstance(descriptor, (xdr.VarOpaque, xdr.StringType)), where
        else:
            assert isinstance(descriptor, xdr.VarArray), where
            assert matches(descriptor.element, cfield.ctype), (where, descriptor.element)
    elif cfield.size is not None:
        if cfield.ctype == "char" and isinstance(descriptor, xdr.FixedOpaque):
            assert descriptor.size == cfield.size, where
        else:
            assert isinstance(descriptor, xdr.FixedArray), where
            assert descriptor.size == cfield.size, where
            assert matches(descriptor.element, cfield.ctype), where
    else:
        assert matches(descriptor, cfield.ctype), (where, descriptor, cfield.ctype)


def check_module(structs_file: Path, module: ModuleType) -> int:
    """Compare one ``*-structs`` file with a generated module; return checks made."""
    structs, enums = parse_structs(structs_file.read_text())
    # The dump includes the structs of included files (qemu/lxc include remote).
    types: dict[str, Any] = {}
    for value in vars(module).values():
        if isinstance(value, ModuleType) and isinstance(getattr(value, "TYPES", None), dict):
            types.update(value.TYPES)
    types.update(module.TYPES)
    checked = 0
    for name, cstruct in structs.items():
        assert name in types, f"{name} missing from {module.__name__}"
        descriptor = types[name]
        if cstruct.union_arms is not None:
            assert isinstance(descriptor, xdr.UnionType), name
            (disc,) = cstruct.fields
            assert descriptor.discriminant == disc.name
            assert matches(descriptor.discriminant_type, disc.ctype)
            arm_names = [arm_name for arm_name, _ in descriptor.arms.values()]
            assert [arm.name for arm in cstruct.union_arms] == [n for n in arm_names if n]
            for arm, (_, arm_type) in zip(
                cstruct.union_arms, [a for a in descriptor.arms.values() if a[0]], strict=True
            ):
                check_field(name, arm, arm_type)
        else:
            assert isinstance(descriptor, xdr.StructType), name
            expected = [
                c.name + "_" if keyword.iskeyword(c.name) else c.name for c in cstruct.fields
            ]
            assert [f for f, _ in descriptor.fields] == expected, name
            for cfield, (_, field_type) in zip(cstruct.fields, descriptor.fields, strict=True):
                check_field(name, cfield, field_type)
            # the class mirrors the descriptor
            assert descriptor.cls.__match_args__ == tuple(expected)
        checked += 1
    for name, members in enums.items():
        enum_type = types[name]
        assert isinstance(enum_type, xdr.EnumType), name
        assert {m.name: int(m) for m in enum_type.enum_class} == members, name
        checked += 1
    # every generated struct/union/enum is in the dump (nothing invented)
    own = {
        n
        for n, t in module.TYPES.items()
        if isinstance(t, (xdr.StructType, xdr.UnionType, xdr.EnumType))
    }
    assert own <= set(structs) | set(enums), own - set(structs) - set(enums)
    return checked


@pytest.mark.parametrize("structs_name", LIBVIRT_STRUCTS_FILES)
def test_committed_modules_match_libvirt_11(structs_name: str) -> None:
    structs_file = require_protocol_dir("libvirt-11.3.0") / structs_name
    stem = structs_name.removesuffix("-structs")
    module = importlib.import_module(f"virtrpc.protocols.{module_name_for(stem)}")
    assert check_module(structs_file, module) > 0


@pytest.fixture(scope="module")
def libvirt9_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """libvirt 9.0.0 compiled into a temporary package ``virtrpc_oracle9``."""
    root = tmp_path_factory.mktemp("gen9")
    package = root / "virtrpc_oracle9"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in compile_paths([str(require_protocol_dir("libvirt-9.0.0"))]).items():
        (package / f"{name}.py").write_text(text)
    with temporary_package(package) as name:
        yield name


@pytest.mark.parametrize("structs_name", LIBVIRT_STRUCTS_FILES)
def test_libvirt_9_compiles_to_matching_modules(structs_name: str, libvirt9_package: str) -> None:
    structs_file = require_protocol_dir("libvirt-9.0.0") / structs_name
    stem = structs_name.removesuffix("-structs")
    module = importlib.import_module(f"{libvirt9_package}.{module_name_for(stem)}")
    assert check_module(structs_file, module) > 0


def test_oracle_parser_reads_arrays_and_unions() -> None:
    structs, enums = parse_structs(
        (require_protocol_dir("libvirt-11.3.0") / "remote_protocol-structs").read_text()
    )
    model = structs["remote_node_get_info_ret"].fields[0]
    assert (model.name, model.ctype, model.size) == ("model", "char", 32)
    params = structs["remote_node_get_cpu_stats_ret"].fields[0]
    assert params.variable and params.ctype == "remote_node_get_cpu_stats"
    assert structs["remote_typed_param_value"].union_arms is not None
    assert enums["remote_procedure"]["REMOTE_PROC_DOMAIN_FD_ASSOCIATE"] == 443
