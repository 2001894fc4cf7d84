"""Shared pytest fixtures.  Helpers live in ``tests/support/`` (peers, fd accounting,
in-process servers, ...), imported as ``tests.support.NAME``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Re-exported: a fixture every test module may use.
from tests.support.fdcount import fd_leak_check as fd_leak_check
from tests.support.peers import (
    PrivateLibvirtd,
    find_libvirtd,
    find_virsh,
    has_libvirt_python,
    require_peer,
)
from tests.support.served import SERVE_OPTIONS, ServedHypervisor, serve_test_hypervisor

# Hypothesis checks what the code does, not how fast: on a loaded 2-core machine
# (CI, several suites at once) its default 200 ms deadline and too-slow health
# check fail tests for nothing but load.
settings.register_profile(
    "virtrpc", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("virtrpc")


def _private_libvirtd() -> Iterator[PrivateLibvirtd]:
    require_peer(find_libvirtd() is not None, "libvirtd")
    with PrivateLibvirtd() as daemon:
        yield daemon


@pytest.fixture
def libvirtd() -> Iterator[PrivateLibvirtd]:
    """A private libvirtd (default config) for one test; its test driver starts
    fresh for every test because the state lives only while connections are open."""
    yield from _private_libvirtd()


@pytest.fixture(scope="module")
def module_libvirtd() -> Iterator[PrivateLibvirtd]:
    """The same private libvirtd shared by the tests of one module (a daemon
    start costs ~0.5 s): for modules whose tests each open their own
    connections, so that the test driver's state does not outlive a test."""
    yield from _private_libvirtd()


@pytest.fixture
def virsh() -> str:
    """Path of virsh (skips / fails under CI=true when missing)."""
    path = find_virsh()
    require_peer(path is not None, "virsh")
    assert path is not None
    return path


@pytest.fixture
def libvirt_python() -> str:
    """Path of the python that has libvirt-python (skips / fails under CI=true)."""
    require_peer(has_libvirt_python(), "/usr/bin/python3 with libvirt-python")
    return "/usr/bin/python3"


@pytest.fixture
async def served_hypervisor(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ServedHypervisor]:
    """The built-in test hypervisor served in-process on this test's loop
    (tests/support/served.py), on ``tmp_path/sock`` and ``tmp_path/sock-ro``;
    options from the closest ``served`` marker, e.g.
    ``@pytest.mark.served(extras=True, limits=short_limits(keepalive_interval=0.2))``."""
    options: dict[str, object] = {}
    for marker in reversed(list(request.node.iter_markers("served"))):
        options.update(marker.kwargs)  # the closest marker (the test's) wins
    unknown = set(options) - SERVE_OPTIONS
    if unknown:
        raise pytest.UsageError(f"unknown served() options: {sorted(unknown)}")
    async with serve_test_hypervisor(tmp_path, **options) as served:  # type: ignore[arg-type]
        yield served
