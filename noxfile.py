"""The test sessions, on every supported CPython this machine has.

    nox                 # lint once, then the suite on every CPython >= 3.11 found
    nox -s tests-3.12   # the suite on one of them
    nox -s stress       # the full-scale load test, once (tools/test.sh runs it too)

Interpreters are looked for as ``python3.X`` on PATH and in pyenv's versions
(``$PYENV_ROOT``, default ``~/.pyenv``), each one run to check that it really
is that CPython: a pyenv shim for a version that is not active is on PATH but
does not run.  Nothing is ever downloaded.  Virtualenvs live in ``.nox/`` and
are reused between runs.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import nox

# What pyproject.toml's classifiers claim: a missing one is reported.
SUPPORTED = ("3.11", "3.12", "3.13")
# Newer ones are run too when present, but not asked for.
SEARCHED = (*SUPPORTED, "3.14", "3.15")
ROOT = Path(__file__).resolve().parent
# pytest-timeout's per-test bound for the stress run (the main suite keeps
# pyproject's): its one test runs 200 clients x 1000 calls.
STRESS_TEST_TIMEOUT = 300

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True  # only found ones are listed


def _probe(executable: str) -> tuple[str, str] | None:
    """(``"3.12"``, the real executable) if ``executable`` runs and is
    CPython, else None (a shim resolves to what it runs)."""
    probe = (
        "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2], "
        "sys.executable)"
    )
    try:
        result = subprocess.run(
            [executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"cpython (\d+\.\d+) (/.+?)\s*", result.stdout)
    if result.returncode != 0 or match is None:
        return None
    return match.group(1), match.group(2)


def _pyenv_candidates(version: str) -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = []
    for prefix in (root / "versions").glob(f"{version}.*"):
        patch = prefix.name.removeprefix(f"{version}.")
        if patch.isdigit() and (prefix / "bin" / f"python{version}").is_file():
            found.append((int(patch), str(prefix / "bin" / f"python{version}")))
    return [path for _patch, path in sorted(found, reverse=True)]  # newest patch first


def find_interpreters() -> dict[str, str]:
    """Version -> path of a working CPython of that version."""
    found: dict[str, str] = {}
    for version in SEARCHED:
        on_path = shutil.which(f"python{version}")
        for candidate in [*([on_path] if on_path else []), *_pyenv_candidates(version)]:
            probed = _probe(candidate)
            if probed is not None and probed[0] == version:
                found[version] = probed[1]
                break
    return found


def _put_on_path(found: dict[str, str]) -> None:
    """Make ``python3.X`` on PATH mean the interpreter found, for nox's own
    lookup (which would otherwise stop at a pyenv shim that does not run):
    a folder of symlinks named only ``python3.X``, first on PATH, for the
    life of this nox process (the venvs record the real interpreters)."""
    links = Path(tempfile.mkdtemp(prefix="virtrpc-nox-pythons-"))
    atexit.register(shutil.rmtree, links, ignore_errors=True)
    for version, path in found.items():
        (links / f"python{version}").symlink_to(path)
    os.environ["PATH"] = f"{links}{os.pathsep}{os.environ.get('PATH', '')}"


INTERPRETERS = find_interpreters()
MISSING = [version for version in SUPPORTED if version not in INTERPRETERS]
FOUND = list(INTERPRETERS)
# The one Python of the single-run sessions (lint, stress): the oldest found,
# the version mypy checks against (pyproject's python_version).
ONE_PYTHON = FOUND[0] if FOUND else f"{sys.version_info[0]}.{sys.version_info[1]}"
if __name__ != "__main__":  # loaded by nox (the summary prints its own)
    _put_on_path(INTERPRETERS)
    print(
        "nox: CPython found: "
        + (", ".join(f"{v} ({p})" for v, p in INTERPRETERS.items()) or "none")
        + "; not found: "
        + (", ".join(MISSING) or "none"),
        file=sys.stderr,
        flush=True,
    )


def _install(session: nox.Session) -> None:
    """The project (editable) with its test extras, unless this reused venv
    already has them from the same pyproject.toml (saves pip's ~5 s a session)."""
    stamp = Path(session.virtualenv.location) / "virtrpc-installed-from"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not (stamp.is_file() and stamp.read_text() == wanted):
        session.install("-q", "-e", ".[test]")
        stamp.write_text(wanted)
    # Some environments set PYTHONDONTWRITEBYTECODE: without this every
    # subprocess of the suite would recompile the large generated modules.
    session.run("python", "-m", "compileall", "-q", "src", silent=True)


def _junit_path(session: nox.Session) -> Path:
    """Where pytest writes this session's results (read by the summary);
    removed first, so that a session that fails before pytest leaves none."""
    path = ROOT / ".nox" / "junit" / f"{session.name}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    return path


@nox.session(python=ONE_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict, once."""
    _install(session)
    session.run("ruff", "check", "src", "tests", "bench", "tools", "fuzz", "noxfile.py")
    session.run("mypy", "src", "tests", "noxfile.py")


@nox.session(python=FOUND)
def tests(session: nox.Session) -> None:
    """The whole suite but the stress run, on one interpreter (pytest
    arguments after ``--``)."""
    _install(session)
    junit = _junit_path(session)
    session.run("pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *session.posargs)


@nox.session(python=ONE_PYTHON)
def stress(session: nox.Session) -> None:
    """The full-scale load test (pytest marker ``stress``), once."""
    _install(session)
    junit = _junit_path(session)
    session.run(
        "pytest", "-q", "-p", "no:cacheprovider", "-m", "stress", f"--junitxml={junit}",
        f"--timeout={STRESS_TEST_TIMEOUT}", *session.posargs,
    )


def _pytest_counts(name: str) -> str:
    path = ROOT / ".nox" / "junit" / f"{name}.xml"
    if not path.is_file():
        return "pytest did not finish"
    suite = ElementTree.parse(path).getroot()
    if suite.tag == "testsuites":
        suite = suite[0]
    get = suite.attrib.get
    failed = int(get("failures", 0)) + int(get("errors", 0))
    skipped = int(get("skipped", 0))
    passed = int(get("tests", 0)) - failed - skipped
    if passed + failed == 0:
        return f"pytest ran no test ({skipped} skipped)"
    return f"{passed} passed, {failed} failed, {skipped} skipped in {float(get('time', 0)):.0f} s"


def summary(report_path: str) -> int:
    """One line per session of a ``nox --report`` file and one per supported
    CPython not found; 0 if every session succeeded."""
    report = json.loads(Path(report_path).read_text())
    for entry in report["sessions"]:
        # "tests-3.12"; a session with one python has it in no name
        name = entry["signatures"][0] if entry["signatures"] else entry["name"]
        version = name.rpartition("-")[2] if "-" in name else ONE_PYTHON
        where = f"CPython {version} ({INTERPRETERS.get(version, 'not found')})"
        counts = "" if entry["name"] == "lint" else f": {_pytest_counts(name)}"
        took = f" [{entry['duration']:.0f} s]"
        print(f"{name:<12} {entry['result'].upper():<8} {where}{took}{counts}")
    for version in MISSING:
        print(f"{'tests-' + version:<12} {'NOT RUN':<8} CPython {version} not found")
    return 0 if report["result"] == 1 and report["sessions"] else 1


if __name__ == "__main__":
    # tools/test.sh: python noxfile.py summary REPORT.json
    if len(sys.argv) != 3 or sys.argv[1] != "summary":
        sys.exit("usage: python noxfile.py summary REPORT.json")
    sys.exit(summary(sys.argv[2]))
