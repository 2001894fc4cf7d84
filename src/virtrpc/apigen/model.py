"""Read libvirt's API description (``libvirt-api.xml`` and friends).

libvirt publishes every public C function, enum value and macro of its API
in XML files (``/usr/share/libvirt/api/`` on Debian, from ``libvirt-dev``);
libvirt-python's bindings are generated from the same files.  This module
turns one of them into plain data for the generator.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Api", "Arg", "Constant", "Function", "load_api"]


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    ctype: str
    info: str


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    args: tuple[Arg, ...]
    ret: str
    info: str
    #: libvirt's source file (``libvirt-domain``...): its errors' domain
    file: str = ""


@dataclass(frozen=True, slots=True)
class Constant:
    name: str
    value: int | str
    #: the C enum type (``virDomainState``), ``""`` for a string macro
    ctype: str


@dataclass(frozen=True, slots=True)
class Api:
    functions: dict[str, Function]
    #: constants in libvirt-python's module namespace, in name order
    constants: tuple[Constant, ...]
    #: string macros naming typed parameters: macro name -> (parameter name, its
    #: VIR_TYPED_PARAM_* type as the macro's documentation states it, or "")
    typed_params: dict[str, tuple[str, str]] = field(default_factory=dict)


def _text(node: ET.Element | None) -> str:
    if node is None or node.text is None:
        return ""
    return " ".join(node.text.split())


def load_api(path: Path, base: Api | None = None) -> Api:
    """Parse one ``libvirt*-api.xml`` file; enum values of ``base`` (the main
    API, which the qemu and lxc files refer to) resolve references."""
    root = ET.parse(path).getroot()
    symbols = root.find("symbols")
    if symbols is None:
        raise ValueError(f"{path}: no <symbols> element")
    functions: dict[str, Function] = {}
    for node in symbols.iter("function"):
        ret = node.find("return")
        functions[node.get("name", "")] = Function(
            name=node.get("name", ""),
            args=tuple(
                Arg(a.get("name", ""), a.get("type", ""), a.get("info", ""))
                for a in node.iter("arg")
            ),
            ret=ret.get("type", "void") if ret is not None else "void",
            info=_text(node.find("info")),
            file=node.get("file", ""),
        )
    known = {c.name: c.value for c in base.constants if isinstance(c.value, int)} if base else {}
    return Api(functions, _constants(symbols, known), _typed_params(symbols))


# "as VIR_TYPED_PARAM_STRING", "with a type of ullong", "as a uint"...
_TYPE_IN_DOC = re.compile(
    r"VIR_TYPED_PARAM_(INT|UINT|LLONG|ULLONG|DOUBLE|BOOLEAN|STRING)\b"
    r"|\b(?:as|type of|is|of type) (?:an? )?(int|uint|llong|ullong|double|boolean|string)\b",
    re.IGNORECASE)


def _typed_params(symbols: ET.Element) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for node in symbols.iter("macro"):
        string = node.get("string")
        if string is None:
            continue
        found = _TYPE_IN_DOC.search(_text(node.find("info")))
        out[node.get("name", "")] = (string, (found.group(1) or found.group(2)).upper()
                                     if found else "")
    return out


def _constants(symbols: ET.Element, known: dict[str, int]) -> tuple[Constant, ...]:
    """Enum values (references to other enum values resolved, sentinels
    dropped) and string macros, the constants libvirt-python exports."""
    raw: dict[str, tuple[str, str]] = {}
    for node in symbols.iter("enum"):
        raw[node.get("name", "")] = (node.get("value", ""), node.get("type", ""))
    values: dict[str, int] = dict(known)

    def resolve(name: str, depth: int = 0) -> int:
        if name in values:
            return values[name]
        text = raw[name][0]
        try:
            value = int(text, 0)
        except ValueError:
            if text in values:
                value = values[text]
            elif depth > 20 or text not in raw:
                raise ValueError(f"enum {name}: cannot resolve value {text!r}") from None
            else:
                value = resolve(text, depth + 1)
        values[name] = value
        return value

    by_type: dict[str, dict[str, int]] = {}
    for name, (_text_value, ctype) in raw.items():
        by_type.setdefault(ctype, {})[name] = resolve(name)
    result: list[Constant] = []
    for name, (_text_value, ctype) in raw.items():
        value = values[name]
        if name.endswith("_LAST"):
            # A *_LAST that is larger than every other member is a C array
            # sentinel that changes between releases; libvirt-python leaves
            # those out and keeps the *_LAST values that are real members.
            others = [v for n, v in by_type[ctype].items() if n != name]
            if not others or value > max(others):
                continue
        result.append(Constant(name, value, ctype))
    for node in symbols.iter("macro"):
        string = node.get("string")
        if string is not None:
            result.append(Constant(node.get("name", ""), string, ""))
    result.sort(key=lambda c: c.name)
    return tuple(result)
