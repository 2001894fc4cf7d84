"""Differential test of virtrpc.libvirt against the real libvirt-python.

The same calls, grouped by class (tests/support/libvirt_coverage_cases.py), run through
the real libvirt-python and through virtrpc's ``libvirt`` against one private
libvirtd's test driver (the harness: tests/support/libvirt_coverage.py); the results
must be equal, call by call.  Every public method of the 14 ``vir*`` classes
is called at least once, or named in the not-called table with the reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.libvirt_compat import real_libvirt_api, shim_env
from tests.support.libvirt_coverage import (
    KNOWN_MISMATCHES,
    NOT_CALLED,
    Run,
    differences,
    run_worker,
)
from tests.support.libvirt_coverage_cases import GROUPS, VOLATILE
from tests.support.peers import PrivateLibvirtd, find_libvirtd, has_libvirt_python, require_peer

CASES = [case for cases in GROUPS.values() for case in cases]


@pytest.fixture(scope="module")
def daemon() -> Iterator[PrivateLibvirtd]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with PrivateLibvirtd() as daemon:
        yield daemon


@pytest.fixture(scope="module")
def runs(daemon: PrivateLibvirtd, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """Both sides, one worker each, on the same daemon and the same scratch folder."""
    scratch = tmp_path_factory.mktemp("differential") / "scratch"
    real = run_worker(daemon, CASES, scratch, virtrpc=False)
    ours = run_worker(daemon, CASES, scratch, virtrpc=True)
    return real, ours


def _group_differences(runs: tuple[Run, Run], group: str) -> dict[str, Any]:
    first = sum(len(cases) for name, cases in GROUPS.items()
                if list(GROUPS).index(name) < list(GROUPS).index(group))
    cases = GROUPS[group]
    real, ours = runs
    found = differences(cases, VOLATILE, real.results[first:first + len(cases)],
                        ours.results[first:first + len(cases)], first=first)
    return found


@pytest.mark.parametrize("group", list(GROUPS))
def test_same_results_as_libvirt_python(runs: tuple[Run, Run], group: str) -> None:
    found = _group_differences(runs, group)
    known = {key for key in found if key.split(": ", 1)[1] in KNOWN_MISMATCHES}
    unexplained = {key: value for key, value in found.items() if key not in known}
    assert unexplained == {}


def test_known_mismatches_are_still_there(runs: tuple[Run, Run]) -> None:
    """An entry of KNOWN_MISMATCHES leaves the table with its fix."""
    real, ours = runs
    found = {key.split(": ", 1)[1] for key in differences(CASES, VOLATILE, real.results,
                                                            ours.results)}
    assert set(KNOWN_MISMATCHES) - found == set()


def test_the_cases_exercise_errors_and_objects(runs: tuple[Run, Run]) -> None:
    """The comparison above means something: errors and objects are among the results."""
    kinds = {r[0] for r in runs[1].results if isinstance(r, list) and r and isinstance(r[0], str)}
    assert {"libvirtError", "TypeError", "object", "bytes", "tuple"} <= kinds


def public_methods() -> set[str]:
    """``Class.method`` for every public method of the real libvirt-python's 14 vir* classes."""
    classes = real_libvirt_api()["classes"]
    assert isinstance(classes, dict)
    return {f"{cls}.{method}" for cls, methods in classes.items() if cls.startswith("vir")
            for method in methods}


def test_every_method_is_called_or_listed_with_a_reason(runs: tuple[Run, Run]) -> None:
    methods = public_methods()
    real, ours = runs
    assert len(methods) == 461
    assert ours.called == real.called  # both sides traced the same calls
    assert set(NOT_CALLED) - methods == set()  # the table names real methods only
    assert real.called & set(NOT_CALLED) == set()  # called methods leave the table
    assert methods - real.called - set(NOT_CALLED) == set()  # nothing is forgotten
    assert all(reason.strip() for reason in NOT_CALLED.values())
    # docs/compat.md states the counts and lists the table
    doc = (Path(__file__).resolve().parent.parent / "docs" / "compat.md").read_text()
    assert f"**{len(real.called)} of the {len(methods)} methods are called**" in doc
    for method in NOT_CALLED:
        cls, name = method.split(".")
        assert f"`{name}`" in doc.split(f"| {cls} (", 1)[1].split("\n", 1)[0], method


ERRORS = r'''
import sys, libvirt
conn = libvirt.open(sys.argv[1])
ro = libvirt.openReadOnly(sys.argv[2])

def attempt(call):
    try:
        call()
    except libvirt.libvirtError as e:
        print("raised", e.get_error_code(), e.get_error_domain(), e.get_error_level(),
              e.get_str1(), e.get_str2(), e.get_str3(), e.get_int1(), e.get_int2(), str(e),
              file=sys.stderr)

# no handler registered: libvirt prints each error on stderr
attempt(lambda: conn.lookupByName("nosuch"))
attempt(lambda: ro.lookupByName("test").destroy())
attempt(lambda: conn.networkLookupByName("nosuch"))
attempt(lambda: conn.lookupByUUIDString("not-a-uuid"))
attempt(lambda: conn.networkLookupByUUIDString("0123"))
attempt(lambda: conn.nodeDeviceLookupByName("nosuch"))
attempt(lambda: conn.defineXML("<domain"))
print(libvirt.virGetLastError(), libvirt.virGetLastErrorCode(), libvirt.virGetLastErrorDomain(),
      libvirt.virGetLastErrorMessage())
libvirt.virResetLastError()
print(libvirt.virGetLastError(), libvirt.virGetLastErrorCode(), libvirt.virGetLastErrorMessage())
seen = []
libvirt.registerErrorHandler(lambda ctx, err: seen.append((ctx, err)), "ctx")
attempt(lambda: conn.lookupByName("nosuch"))
print(seen)
error = libvirt.libvirtError("custom")
print(str(error), error.err == libvirt.virGetLastError(), error.get_error_code())
libvirt.virResetLastError()
error = libvirt.libvirtError("custom")
print(str(error), error.err, error.get_error_code())
'''


def test_errors_print_and_record_as_libvirt_python(daemon: PrivateLibvirtd) -> None:
    """The default handler's stderr lines, every field of the error, the last
    error, a registered handler, libvirtError built by the program."""
    outputs = []
    for env in (None, shim_env()):
        out = subprocess.run(["/usr/bin/python3", "-c", ERRORS, daemon.uri, daemon.readonly_uri],
                             capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        outputs.append((out.stdout, out.stderr))
    assert "libvirt: Test Driver error : Domain not found" in outputs[0][1]
    assert outputs[1] == outputs[0]


QEMU_AND_LXC = r'''
import sys, libvirt, libvirt_qemu, libvirt_lxc
libvirt.registerErrorHandler(lambda *a: None, None)
print(sorted(n for n in dir(libvirt_qemu) if n.startswith(("VIR_", "qemu"))))
print(sorted(n for n in dir(libvirt_lxc) if n.startswith("lxc")))
print({n: getattr(libvirt_qemu, n) for n in dir(libvirt_qemu) if n.startswith("VIR_")})
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
for call in (lambda: libvirt_qemu.qemuMonitorCommand(dom, '{"execute": "query-status"}', 0),
             lambda: libvirt_qemu.qemuAgentCommand(dom, '{"execute": "guest-ping"}', 5, 0),
             lambda: libvirt_qemu.qemuAttach(conn, 1, 0),
             lambda: libvirt_lxc.lxcOpenNamespace(dom, 0)):
    try:
        print(call())
    except libvirt.libvirtError as e:
        print(e.get_error_code(), e.get_error_domain(), str(e))
'''


def test_libvirt_qemu_and_libvirt_lxc_as_libvirt_python(daemon: PrivateLibvirtd) -> None:
    outputs = []
    for env in (None, shim_env()):
        out = subprocess.run(["/usr/bin/python3", "-c", QEMU_AND_LXC, daemon.uri],
                             capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    assert "qemuMonitorCommandWithFiles" in outputs[0]
    assert outputs[1] == outputs[0]
