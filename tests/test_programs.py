"""The one program registry (virtrpc.programs) the client, the wire decoder
and the command line share."""

from __future__ import annotations

from virtrpc import programs, wire
from virtrpc.cli.call import find_procedure
from virtrpc.protocols import admin, keepalive, lxc, qemu, remote


def test_every_generated_program_by_number_and_name() -> None:
    found = programs.all_programs()
    assert [p.name for p in found] == list(programs.PROGRAM_MODULES)
    for module in (remote, qemu, lxc, admin, keepalive):
        program = module.PROGRAM
        name = program.name
        assert programs.program_by_number(program.number) is program
        assert programs.program_by_name(name) is program
    assert len({p.number for p in found}) == len(found)
    assert programs.program_by_number(0x12345678) is None
    assert programs.program_by_name("nonsense") is None


def test_the_tools_use_the_same_registry() -> None:
    assert wire.known_program(remote.PROGRAM.number) is remote.PROGRAM
    # remote comes first for an unqualified name that admin has too
    assert find_procedure("connect_open") is remote.PROGRAM.by_name["connect_open"]
    assert find_procedure("admin.connect_open") is admin.PROGRAM.by_name["connect_open"]
