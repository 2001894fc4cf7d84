"""Differential testing: the same workload against a fresh libvirtd and a
fresh ``virtrpc serve``, results compared.

The API is small::

    from differential import run_on_both, virsh_outcome, canonical_xml

    def workload(uri: str) -> list[VirshOutcome]:
        return [virsh_outcome(uri, "dominfo", "test")]

    reference, candidate = run_on_both(workload)
    assert candidate == reference

* :func:`run_on_both` runs ``workload(uri)`` once against a fresh private
  libvirtd (the reference) and once against a fresh server made by
  ``candidate`` (by default :func:`fresh_virtrpc`, ``virtrpc serve`` in its
  own process); pass ``candidate=fresh_libvirtd`` for the control run that
  proves the comparison cannot invent differences.  While the workload runs
  the harness holds one connection open to each server, so libvirtd's rule
  (its test driver resets when the last connection closes) and virtrpc's
  (whatever its default is) give the same state from call to call.
* :func:`virsh_outcome` runs one virsh command and keeps what is compared:
  the exit status, the output with times and counters masked
  (:func:`mask`), and the error text.
* :func:`canonical_xml` writes an XML document in a form where equal
  documents are equal strings (attributes sorted, whitespace between elements
  dropped).
* :func:`python_calls` evaluates libvirt-python expressions on one
  connection and keeps each value's ``repr`` or error (code, domain, message).
* :func:`unittest_outcomes` runs a unittest suite (libvirt-python's own
  tests) with ``test:///default`` pointed at a server; it returns each test's
  outcome (``ok``, ``FAIL``, ``ERROR``, ``skipped``).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from peers import (
    SYSTEM_PYTHON,
    PrivateLibvirtd,
    find_libvirtd,
    find_virsh,
    has_libvirt_python,
    require_peer,
    serve_process,
)

T = TypeVar("T")
ServerFactory = Callable[[], AbstractContextManager[str]]


@contextlib.contextmanager
def fresh_libvirtd() -> Iterator[str]:
    """A private libvirtd of its own; yields its ``test+unix`` URI."""
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        yield daemon.uri


@contextlib.contextmanager
def fresh_virtrpc() -> Iterator[str]:
    """``virtrpc serve`` in a process of its own; yields its URI."""
    with (
        tempfile.TemporaryDirectory(prefix="vrpc-d-", dir="/tmp") as directory,
        serve_process(Path(directory)) as (uri, _process),
    ):
        yield uri


@contextlib.contextmanager
def _held_open(uri: str) -> Iterator[None]:
    """One connection open for the duration (see the module docstring)."""
    from virtrpc.client.sync import connect

    client = connect(uri)
    try:
        yield
    finally:
        client.close()


def run_on_both(
    workload: Callable[[str], T], *, candidate: ServerFactory = fresh_virtrpc,
    reference: bool = False,
) -> tuple[T, T]:
    """``(workload on a fresh libvirtd, workload on a fresh candidate)``;
    ``reference=True`` is short for ``candidate=fresh_libvirtd``."""
    if reference:
        candidate = fresh_libvirtd
    results: list[T] = []
    for factory in (fresh_libvirtd, candidate):
        with factory() as uri, _held_open(uri):
            results.append(workload(uri))
    return results[0], results[1]


# -- virsh --------------------------------------------------------------------


@dataclass(frozen=True)
class VirshOutcome:
    """What a virsh command did, in comparable form."""

    command: tuple[str, ...]
    status: int
    output: str
    error: str


# Times and counters that differ from run to run (and between servers for no
# reason a client could rely on): CPU time, the guest's clock, statistics.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(CPU time:\s+)\S+"), r"\1<time>"),
    (re.compile(r"(cpu\.time=|cpu\.user=|cpu\.system=|vcpu\.\d+\.time=)\d+"), r"\1<n>"),
    (re.compile(r"(Time:\s+)\d+"), r"\1<time>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\b"), "<date>"),
    (re.compile(r"(<creationTime>)\d+"), r"\1<time>"),
    # block and interface counters grow with the time the domain has run
    (re.compile(r"^(\S+ (?:rd|wr|rx|tx|flush)_\w+|\S+ errs) \d+$", re.M), r"\1 <n>"),
    (re.compile(r"((?:block|net)\.\d+\.(?:rd|wr|rx|tx|fl)\.\w+=)\d+"), r"\1<n>"),
)


# The default node's objects have fixed UUIDs; an object defined without one
# gets a random UUID (and a NIC without a MAC a random 52:54:00 address).
DEFAULT_NODE_UUIDS = frozenset({
    "6695eb01-f6a4-8304-79aa-97f2502e193f",  # domain test
    "dd8fe884-6c02-601e-7551-cca97df1c5df",  # network default
    "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566",  # pool default-pool
})
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_RANDOM_MAC = re.compile(r"\b52:54:00(:[0-9a-f]{2}){3}\b")


#: virsh commands that print one block per object in an order libvirtd does
#: not define (its hash tables'): the blocks are compared as a set.
_UNORDERED = frozenset({"domstats"})


def mask(text: str) -> str:
    """``text`` with times, counters and random identifiers replaced by
    placeholders."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    text = _UUID.sub(lambda m: m[0] if m[0] in DEFAULT_NODE_UUIDS else "<uuid>", text)
    return _RANDOM_MAC.sub("52:54:00:<mac>", text)


def virsh_outcome(uri: str, *command: str, stdin: str | None = None) -> VirshOutcome:
    """Run ``virsh -q -c URI COMMAND...``; XML output is canonicalised."""
    virsh = find_virsh()
    require_peer(virsh is not None, "virsh")
    assert virsh is not None
    result = subprocess.run(
        [virsh, "-q", "-c", uri, *command], input=stdin, capture_output=True, text=True,
        timeout=30, check=False,
    )
    output = result.stdout.replace(uri, "<uri>")
    if output.lstrip().startswith("<"):
        output = canonical_xml(output)
    if command and command[0] in _UNORDERED:
        # one block per object, in the order of libvirtd's hash table (random)
        output = "\n\n".join(sorted(block.strip() for block in output.split("\n\n")))
    error = result.stderr.replace(uri, "<uri>")
    return VirshOutcome(tuple(command), result.returncode, mask(output).strip(),
                        mask(error).strip())


# -- XML ----------------------------------------------------------------------


def canonical_xml(text: str) -> str:
    """``text`` as canonical XML (C14N 2.0: sorted attributes, no whitespace
    between elements), or ``text`` itself when it does not parse."""
    try:
        return ET.canonicalize(text, strip_text=True)
    except ET.ParseError:
        return text


# -- libvirt-python calls --------------------------------------------------------

_CALLS_SCRIPT = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *args: None, None)
conn = libvirt.open(sys.argv[1])
results = {}
for name, expression in json.loads(sys.stdin.read()):
    try:
        results[name] = ["ok", repr(eval(expression))]
    except libvirt.libvirtError as error:
        results[name] = ["error", error.get_error_code(), error.get_error_domain(),
                         error.get_error_message()]
    except Exception as error:  # the binding's own checks (a TypeError...)
        results[name] = ["exception", type(error).__name__, str(error)]
print(json.dumps(results))
"""


def python_calls(uri: str, calls: list[tuple[str, str]]) -> dict[str, list[object]]:
    """Evaluate each ``(name, expression)`` in order with libvirt-python on one
    connection (``conn``) to ``uri``: ``["ok", repr(value)]`` or ``["error",
    code, domain, message]`` per name (XML in a repr is not canonicalised:
    compare XML through :func:`virsh_outcome` instead)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", _CALLS_SCRIPT, uri], input=json.dumps(calls),
        capture_output=True, text=True, timeout=60, check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"the calls did not run:\n{result.stderr}")
    outcomes: dict[str, list[object]] = json.loads(result.stdout)
    return outcomes


# -- libvirt-python's test suite ------------------------------------------------

_OUTCOME_LINE = re.compile(
    r"^(?P<test>test\w+) \((?P<where>[\w.]+?)(?:\.(?P=test))?\)(?:\n.*?)? \.\.\. "
    r"(?P<outcome>ok|FAIL|ERROR|skipped|expected failure|unexpected success)", re.M)


def unittest_outcomes(suite_dir: Path, uri: str, *, pattern: str = "test_*.py",
                      timeout: float = 120.0) -> dict[str, str]:
    """Each test's outcome when the unittest suite in ``suite_dir`` runs with
    ``/usr/bin/python3`` (libvirt-python) and ``test:///default`` rewritten
    to ``uri``.  Keys are ``module.Class.test``."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    with tempfile.TemporaryDirectory(prefix="vrpc-suite-") as directory:
        copy = Path(directory) / "tests"
        shutil.copytree(suite_dir, copy)
        for source in copy.glob("*.py"):
            text = source.read_text()
            if "test:///default" in text:
                source.write_text(text.replace("test:///default", uri))
        result = subprocess.run(
            [SYSTEM_PYTHON, "-m", "unittest", "discover", "-v", "-s", str(copy), "-p", pattern],
            capture_output=True, text=True, timeout=timeout, check=False, cwd=directory,
        )
    outcomes: dict[str, str] = {}
    for match in _OUTCOME_LINE.finditer(result.stderr):
        outcomes[f"{match['where']}.{match['test']}"] = match["outcome"]
    if not outcomes:
        raise AssertionError(f"no test outcomes in the suite's output:\n{result.stderr}")
    return outcomes
