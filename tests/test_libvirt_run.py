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
#: daemon: (libvirt-python's outcome, virtrpc's outcome, why).  The cause is
#: pointing the suite's test:///default at a daemon, which libvirt-python's
#: own CI never does (its test:/// URIs are served by the test driver inside
#: libvirt.so); it is pinned by a test below.  (TestLibvirtConnAuth opens
#: test:///<node file with <auth>>: in-process on both, see
#: test_open_auth_of_a_local_node_file_as_libvirt_python.)
KNOWN_DIFFERENCES = {
    # _run() asserts libvirtEvents.is_idle() right after libvirt.open(), before
    # registering anything.  libvirt's remote driver watches its daemon socket
    # through the registered implementation (virEventAddHandle) for as long as
    # the connection is open, so libvirtaio is never idle then; the in-process
    # test driver has no socket (on test:///default the real one passes all
    # three).  virtrpc's client reads its socket itself and watches through the
    # implementation only while event callbacks are registered.  Not a Python
    # 3.11 or libvirt-python 9.0 bug.  (eventmock.py also hands libvirt
    # _remove_timeout as its remove-handle function, hence the "KeyError" and
    # "remove_timeout(): no such timeout" noise on stderr: the socket handle
    # outlives the connection.)
    "test_aio.TestLibvirtAio.testEventsPreInitExplicit": ("fail", "pass", "socket watch"),
    "test_aio.TestLibvirtAio.testEventsWithAsyncioRun": ("fail", "pass", "socket watch"),
    "test_aio.TestLibvirtAio.testEventsWithManualLoopSetup": ("fail", "pass", "socket watch"),
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
    counts = {label: {v: list(outcomes.values()).count(v) for v in set(outcomes.values())}
              for label, outcomes in (("real", real), ("ours", ours))}
    assert counts == {"real": {"pass": 13, "fail": 3, "skip": 3},
                      "ours": {"pass": 16, "skip": 3}}



def test_libvirt_pythons_own_tests_unchanged(tmp_path: Path) -> None:
    """The suite exactly as its sdist ships it: its test:/// URIs served in
    the process by libvirt.so's test driver on one side and by virtrpc's test
    hypervisor on the other, no daemon: the same outcome for every test."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    tests = tmp_path / "tests"  # a copy: running it writes bytecode next to it
    shutil.copytree(libvirt_python_sdist() / "tests", tests)
    real = run_peer_tests(tests, dict(os.environ), tmp_path / "real.json")
    ours = run_peer_tests(tests, shim_env(), tmp_path / "ours.json")
    assert ours == real
    assert list(real.values()).count("pass") == 16

WATCHES = r"""
import asyncio, os, sys, libvirt, libvirtaio

async def main(uri):
    impl = libvirtaio.virEventRegisterAsyncIOImpl()
    conn = libvirt.open(uri)
    watched = sorted(os.readlink(f"/proc/self/fd/{cb.descriptor.fd}").split(":")[0]
                     for cb in impl.callbacks.values() if hasattr(cb, "descriptor"))
    print(impl.is_idle(), watched)
    conn.close()

asyncio.run(main(sys.argv[1]))
"""


def test_why_the_real_one_fails_test_aio(daemon: PrivateLibvirtd, tmp_path: Path) -> None:
    """The cause of the three test_aio differences: right after open(), the
    real libvirt-python's libvirtaio watches the daemon socket (not idle) and
    watches nothing on the in-process test:///default; virtrpc's is idle; and
    test_aio.py, unchanged on test:///default, passes on the real one."""
    assert run(["/usr/bin/python3", "-c", WATCHES, daemon.uri]).stdout.split("\n")[0] == \
        "False ['socket']"
    assert run(["/usr/bin/python3", "-c", WATCHES, "test:///default"]).stdout.strip() == \
        "True []"
    assert run(["/usr/bin/python3", "-c", WATCHES, daemon.uri],
               env=shim_env()).stdout.strip() == "True []"
    tests = tmp_path / "tests"
    shutil.copytree(libvirt_python_sdist() / "tests", tests)
    out = run(["/usr/bin/python3", "-m", "unittest", "-v", "test_aio"], cwd=tests)
    assert out.returncode == 0, out.stderr
    assert out.stderr.count(" ... ok") == 3


OPEN_AUTH = r"""
import os, sys, tempfile, libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
node = ("<node><auth><user password='2147483647'>marin</user>"
        "<user password='87539319'>srinivasa</user></auth></node>")
with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
    f.write(node)
asked = []

def callback(creds, opaque):
    asked.append([(c[0], c[1], c[2]) for c in creds])
    for cred in creds:
        cred[4] = "srinivasa" if cred[0] == libvirt.VIR_CRED_AUTHNAME else "87539319"
    return 0

creds = [libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE]
for uri in ["test://" + f.name, sys.argv[1].replace("/default", f.name)]:
    try:
        conn = libvirt.openAuth(uri, [creds, callback, None], 0)
        print("opened", conn.getURI() == "test://" + f.name, asked)
        conn.close()
    except libvirt.libvirtError as e:
        print("refused", e.get_error_code(), asked)
    asked.clear()
os.unlink(f.name)
"""


def test_open_auth_of_a_local_node_file_as_libvirt_python(daemon: PrivateLibvirtd) -> None:
    """testOpenAuthGood's open: test:///FILE is opened in the process (libvirt's
    test driver in libvirt.so, virtrpc's test hypervisor on a thread), asking
    for the user, then the password; a daemon refuses that file whatever the
    credentials (it cannot ask them).  The same on both."""
    real = run(["/usr/bin/python3", "-c", OPEN_AUTH, daemon.uri])
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines() == [
        "opened True [[(2, 'Enter username for localhost', 'localhost')],"
        " [(5, \"Enter srinivasa's password for localhost\", 'localhost')]]",
        "refused 8 []"]  # VIR_ERR_INVALID_ARG, the callback never asked
    ours = run(["/usr/bin/python3", "-c", OPEN_AUTH, daemon.uri], env=shim_env())
    assert (ours.returncode, ours.stdout) == (0, real.stdout), ours.stderr


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
