"""The generated RPC programs, by number and by name: the one registry the
client, the wire decoder and the command line look programs up in.

The generated modules are imported on first use, so a tool that only needs
one program does not pay for the others at start-up.
"""

from __future__ import annotations

import functools
import importlib

from virtrpc.xdr import Program

__all__ = ["PROGRAM_MODULES", "all_programs", "program_by_name", "program_by_number"]

#: Generated modules that define a program, in lookup order: an unqualified
#: procedure name is looked up in ``remote`` first.
PROGRAM_MODULES = ("remote", "qemu", "lxc", "admin", "keepalive", "lock", "log", "lxc_monitor")


@functools.cache
def all_programs() -> tuple[Program, ...]:
    """Every generated program, in :data:`PROGRAM_MODULES` order."""
    programs: list[Program] = []
    for module_name in PROGRAM_MODULES:
        module = importlib.import_module(f"virtrpc.protocols.{module_name}")
        program: Program = module.PROGRAM
        programs.append(program)
    return tuple(programs)


@functools.cache
def _by_number() -> dict[int, Program]:
    return {program.number: program for program in all_programs()}


@functools.cache
def _by_name() -> dict[str, Program]:
    return {program.name: program for program in all_programs()}


def program_by_number(number: int) -> Program | None:
    """The program with this number, or None."""
    return _by_number().get(number)


def program_by_name(name: str) -> Program | None:
    """The program with this name (``remote``, ``qemu``, ...), or None."""
    return _by_name().get(name)
