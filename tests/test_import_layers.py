"""The layering of docs/architecture.md, checked on the source: a module
imports nothing from a layer above its own (xdr -> protocols -> rpc ->
transport -> endpoint -> client/server -> libvirt (compat API) -> cli).

Imports under ``if TYPE_CHECKING:`` (annotations only, never run) are held
to the same rule except for the few listed in TYPE_ONLY_EXCEPTIONS, which
name what is still to move down; the list may shrink, never grow."""

from __future__ import annotations

import ast
from pathlib import Path

import virtrpc

SRC = Path(virtrpc.__file__).parent

#: Module prefix -> layer; the longest matching prefix wins.
LAYERS: dict[str, int] = {
    "virtrpc.errors": 0,
    "virtrpc.protocols.virterror": 0,  # generated enums, imports nothing
    "virtrpc.xdr": 0,
    "virtrpc.timers": 0,
    "virtrpc.protocols": 1,
    "virtrpc.programs": 1,
    "virtrpc.jsonvalues": 1,
    "virtrpc.xdrgen": 1,
    "virtrpc.rpc": 2,
    "virtrpc.wire": 2,
    "virtrpc.transport": 3,
    "virtrpc.auth": 3,
    # The endpoint base under both ends: rpc core + transport + timers.
    "virtrpc.endpoint": 3,
    "virtrpc.client": 4,
    "virtrpc.server": 4,
    "virtrpc.proxy": 4,
    "virtrpc.sync": 4,
    "virtrpc.testdriver": 5,
    "virtrpc.libvirt": 5,
    "virtrpc.apigen": 5,
    "virtrpc.cli": 6,
    "virtrpc.__main__": 6,
    "virtrpc": 6,  # the package's lazy re-exports of everything
}

#: (importer prefix, imported module) pairs allowed under TYPE_CHECKING only.
TYPE_ONLY_EXCEPTIONS = {
    # XdrCompileError's location is the compiler's Location.
    ("virtrpc.errors", "virtrpc.xdrgen.ast"),
}


def layer_of(module: str) -> int:
    matches = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return LAYERS[max(matches, key=len)]


def module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """``(imported virtrpc module, under TYPE_CHECKING)`` for every import."""
    parts = module_name(path)
    package = parts if path.name == "__init__.py" else parts[:-1]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for statement in node.body:
                visit(statement, True)
            for statement in node.orelse:
                visit(statement, typing_only)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.startswith("virtrpc"):
                # "from virtrpc import xdr" imports virtrpc.xdr, not the package.
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    is_module = (SRC.parent / Path(*sub.split("."))).with_suffix(
                        ".py"
                    ).exists() or (SRC.parent / Path(*sub.split("."))).is_dir()
                    found.append((sub if is_module else target, typing_only))
        elif isinstance(node, ast.Import):
            found.extend((a.name, typing_only) for a in node.names if a.name.startswith("virtrpc"))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    violations: list[str] = []
    type_only_used: set[tuple[str, str]] = set()
    for path in sorted(SRC.rglob("*.py")):
        importer = ".".join(module_name(path))
        own = layer_of(importer)
        for target, typing_only in imports_of(path):
            if layer_of(target) <= own:
                continue
            allowed = [
                (prefix, module)
                for prefix, module in TYPE_ONLY_EXCEPTIONS
                if typing_only
                and module == target
                and (importer == prefix or importer.startswith(prefix + "."))
            ]
            if allowed:
                type_only_used.update(allowed)
                continue
            kind = "annotation import" if typing_only else "import"
            violations.append(
                f"{importer} (layer {own}) {kind} of {target} (layer {layer_of(target)})"
            )
    assert violations == []
    # An exception nobody needs any more is dropped from the list.
    assert type_only_used == TYPE_ONLY_EXCEPTIONS


def test_the_checker_sees_a_real_upward_import(tmp_path: Path) -> None:
    """The walk finds lazy imports inside functions and tells TYPE_CHECKING apart."""
    path = SRC / "wire.py"
    found = imports_of(path)
    assert ("virtrpc.rpc.framing", False) in found
    assert all(layer_of(t) <= layer_of("virtrpc.wire") for t, _ in found)
    errors = imports_of(SRC / "errors.py")
    assert ("virtrpc.xdrgen.ast", True) in errors
    assert ("virtrpc.xdrgen.ast", False) not in errors


def test_generated_call_modules_name_nothing_above_the_protocols() -> None:
    """The call mixins and handler interfaces are generic in the stream and
    context types (the client and the server bind them), so not even an
    annotation-only import leaves layer 1."""
    for path in sorted((SRC / "protocols").glob("*_calls.py")):
        found = imports_of(path)
        assert found, path
        assert all(layer_of(target) <= layer_of("virtrpc.protocols") for target, _ in found), path
