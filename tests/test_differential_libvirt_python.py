"""libvirt-python's own test suite (its sdist's tests/, run by the real
libvirt-python on /usr/bin/python3) against a fresh private libvirtd and a
fresh ``virtrpc serve``: every test must have the same outcome on both.

The suite's ``test:///default`` is pointed at each server's ``test+unix``
URI.  Its ``TestLibvirtConnAuth`` tests open ``test://FILE`` node files,
which the client's own test driver serves (no server involved): they agree
trivially.  The harness holds one connection open to each server while the
suite runs (``hold_open``), so both keep their state from test to test.
"""

from __future__ import annotations

from tests.support.differential import fresh_libvirtd, run_on_both, unittest_outcomes
from tests.support.inputs import require_input

#: Tests whose outcome differs between the servers, with the reason (none
#: since the kinds branch landed: every test has the same outcome on both).
EXPECTED_TO_DIFFER: dict[str, str] = {}


def test_same_outcomes_as_libvirtd() -> None:
    suite = require_input("libvirt-python-9.0.0") / "tests"
    reference, candidate = run_on_both(lambda uri: unittest_outcomes(suite, uri), hold_open=True)
    assert set(candidate) == set(reference)
    assert "test_conn.TestLibvirtConn.testConnDomainList" in reference
    differing = {name: (reference[name], candidate[name])
                 for name in reference if reference[name] != candidate[name]}
    assert {name: how for name, how in differing.items() if name not in EXPECTED_TO_DIFFER} == {}
    assert set(differing) == set(EXPECTED_TO_DIFFER), "these now agree: drop them"
    # the servers pass the same tests, and most of the suite passes on both
    assert sum(outcome == "ok" for outcome in candidate.values()) >= 12


def test_control_two_libvirtds_agree() -> None:
    """The harness cannot invent differences."""
    suite = require_input("libvirt-python-9.0.0") / "tests"
    reference, candidate = run_on_both(lambda uri: unittest_outcomes(suite, uri),
                                       candidate=fresh_libvirtd, hold_open=True)
    assert candidate == reference
    assert sum(outcome == "ok" for outcome in reference.values()) >= 12
