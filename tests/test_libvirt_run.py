"""``virtrpc run`` and ``virtrpc shim-path``, and libvirt-python's own tests
(from its 9.0.0 sdist, unchanged) run on virtrpc's ``libvirt`` next to the
real libvirt-python, against the same private libvirtd."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.libvirt_compat import coverage_test_sdist, libvirt_python_sdist, shim_env
from tests.support.peers import PrivateLibvirtd, find_libvirtd, has_libvirt_python, require_peer

VIRTRPC = [sys.executable, "-m", "virtrpc"]
SHIMMED = ("libvirt", "libvirt_qemu", "libvirt_lxc", "libvirtaio")


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload,no-any-return]


def test_shim_path_holds_the_four_modules() -> None:
    out = run([*VIRTRPC, "shim-path"])
    assert out.returncode == 0, out.stderr
    folder = Path(out.stdout.strip())
    assert folder.is_dir()
    for name in SHIMMED:
        assert (folder / f"{name}.py").is_file()


def test_run_gives_the_script_its_argv_folder_and_exit_status(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 'sibling'\n")
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys, helper, libvirt, libvirt_qemu, libvirt_lxc, libvirtaio\n"
        "print(sys.argv, helper.VALUE, libvirt.__name__, libvirt_qemu.__name__,"
        " libvirt_lxc.__name__, libvirtaio.__name__, __name__)\n"
        "sys.exit(7)\n")
    out = run([*VIRTRPC, "run", str(script), "-x", "--flag", "arg"])
    assert out.returncode == 7, out.stderr
    assert out.stdout.split() == [
        f"['{script}',", "'-x',", "'--flag',", "'arg']", "sibling", "virtrpc.libvirt",
        "virtrpc.libvirt.qemu", "virtrpc.libvirt.lxc", "virtrpc.libvirt.libvirtaio", "__main__"]


def test_run_reports_an_uncaught_exception_as_python_does(tmp_path: Path) -> None:
    script = tmp_path / "boom.py"
    script.write_text("raise RuntimeError('boom')\n")
    out = run([*VIRTRPC, "run", str(script)])
    assert out.returncode == 1
    assert "RuntimeError: boom" in out.stderr


def test_run_a_missing_script() -> None:
    out = run([*VIRTRPC, "run", "/nonexistent/script.py"])
    assert out.returncode == 2
    assert "no such file" in out.stderr


def test_child_interpreters_see_the_shims(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'import libvirt; print(libvirt.__name__)'],"
        " check=True)\n")
    out = run([*VIRTRPC, "run", str(script)])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "virtrpc.libvirt"


def test_the_shims_work_on_an_interpreter_without_virtrpc() -> None:
    """Debian's python3 has the real libvirt-python and no virtrpc: with the
    shim directory on PYTHONPATH, ``import libvirt`` is virtrpc's."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    code = ("import libvirt, libvirt_qemu, libvirtaio, libvirtmod; "
            "print(libvirt.__name__, libvirt.virDomain.__module__, libvirtmod.__name__)")
    out = run(["/usr/bin/python3", "-c", code], env=shim_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["virtrpc.libvirt", "virtrpc.libvirt",
                                  "virtrpc.libvirt.libvirtmod"]


# --- libvirt-python's own tests ------------------------------------------------

UNITTEST_RUNNER = r"""
import json, sys, unittest
suite = unittest.defaultTestLoader.discover(sys.argv[1])
outcomes = {}

class Result(unittest.TestResult):
    def addSuccess(self, test): outcomes[test.id()] = "pass"
    def addFailure(self, test, err): outcomes[test.id()] = "fail"
    def addError(self, test, err): outcomes[test.id()] = "error"
    def addSkip(self, test, reason): outcomes[test.id()] = "skip"
    def addExpectedFailure(self, test, err): outcomes[test.id()] = "xfail"
    def addUnexpectedSuccess(self, test): outcomes[test.id()] = "xpass"

suite.run(Result())
with open(sys.argv[2], "w") as out:
    json.dump(outcomes, out)
"""

#: Where virtrpc's results differ from the real libvirt-python's on the same
#: daemon: (libvirt-python's outcome, virtrpc's outcome, why).
KNOWN_DIFFERENCES = {
    # libvirt-python registers the daemon socket with libvirtaio, so is_idle()
    # is never true with a connection open; virtrpc's client has its own loop
    # and watches only while event callbacks are registered
    "test_aio.TestLibvirtAio.testEventsPreInitExplicit": ("fail", "pass", "is_idle()"),
    "test_aio.TestLibvirtAio.testEventsWithAsyncioRun": ("fail", "pass", "is_idle()"),
    "test_aio.TestLibvirtAio.testEventsWithManualLoopSetup": ("fail", "pass", "is_idle()"),
    # opens test:///<its own XML file>: the real libvirt-python serves it with
    # libvirt's in-process test driver; a pure client needs a daemon
    "test_conn.TestLibvirtConnAuth.testOpenAuthGood": ("pass", "error", "in-process driver"),
}


@pytest.fixture(scope="module")
def daemon() -> Iterator[PrivateLibvirtd]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with PrivateLibvirtd() as daemon:
        yield daemon


def run_peer_tests(tests: Path, env: dict[str, str] | None, out: Path) -> dict[str, str]:
    proc = subprocess.run(["/usr/bin/python3", "-c", UNITTEST_RUNNER, str(tests), str(out)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tests)
    assert out.exists(), proc.stderr
    outcomes: dict[str, str] = json.loads(out.read_text())
    return outcomes


def test_libvirt_pythons_own_tests(daemon: PrivateLibvirtd, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    shutil.copytree(libvirt_python_sdist() / "tests", tests)
    for path in tests.glob("*.py"):  # point test:///default at the private daemon
        path.write_text(path.read_text().replace("test:///default", daemon.uri))
    real = run_peer_tests(tests, dict(os.environ), tmp_path / "real.json")
    ours = run_peer_tests(tests, shim_env(), tmp_path / "ours.json")
    assert sorted(real) == sorted(ours)
    assert sum(1 for v in real.values() if v == "pass") >= 13
    differing = {t: (real[t], ours[t]) for t in real if real[t] != ours[t]}
    assert differing == {t: (r, o) for t, (r, o, _why) in KNOWN_DIFFERENCES.items()}
    assert sum(1 for v in ours.values() if v == "pass") == 15


def test_libvirt_pythons_api_coverage_test(tmp_path: Path) -> None:
    """libvirt-python's own API coverage test, unchanged, passes against
    virtrpc's libvirt: every C function and enum of libvirt-api.xml has its
    Python counterpart, by libvirt-python's naming rules."""
    sdist = coverage_test_sdist()
    require_peer(run(["/usr/bin/python3", "-c", "import lxml"]).returncode == 0,
                 "python3-lxml (the coverage test parses with lxml)")
    shutil.copy(sdist / "tests" / "test_api_coverage.py", tmp_path)
    env = shim_env({"LIBVIRT_API_COVERAGE": "1"})
    which = run(["/usr/bin/python3", "-c", "import libvirt; print(libvirt.__name__)"], env=env)
    assert which.stdout.strip() == "virtrpc.libvirt"
    out = run(["/usr/bin/python3", "-m", "unittest", "-v", "test_api_coverage"],
              env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "test_libvirt_api" in out.stderr and "ok" in out.stderr
