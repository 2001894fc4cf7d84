"""The ``.x`` compiler: lexer, parser, AST, libvirt rules and Python emitter.

Entry point: :func:`compile_paths` returns the generated modules' sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from virtrpc.xdrgen.lexer import XdrCompileError

__all__ = ["XdrCompileError", "compile_paths"]

#: Programs that get typed call mixins (``<name>_calls`` modules).
CALL_MIXIN_PROGRAMS = ("remote", "qemu", "lxc", "admin")


def compile_paths(
    paths: Iterable[str], constants: Mapping[str, int] | None = None
) -> dict[str, str]:
    """Compile ``.x`` files / folders; return ``{module name: source text}``.

    Files included by the given ones (``%#include "x_protocol.h"``) are
    compiled too.  ``constants`` adds or overrides C-header constants
    (see :data:`virtrpc.xdrgen.libvirt.C_HEADER_CONSTANTS`).
    """
    from virtrpc.xdrgen.calls import emit_calls_module
    from virtrpc.xdrgen.emitter import emit_module
    from virtrpc.xdrgen.model import load

    modules = load(paths, constants)
    result: dict[str, str] = {}
    for module in modules:
        result[module.name] = emit_module(module, modules)
        for program in module.programs:
            if program.name in CALL_MIXIN_PROGRAMS and len(module.programs) == 1:
                result[f"{program.name}_calls"] = emit_calls_module(module, program)
    return dict(sorted(result.items()))
