"""File-descriptor accounting for tests: prove a block of code leaks no fds.

``/proc/self/fd`` lists the process's open descriptors.  Counting it before
and after a block is a blunt but reliable leak detector as long as the block
closes what it opened (sockets, pipes, received fds) before the second count.
Asyncio loops and hypothesis may open descriptors lazily the first time, so
callers should warm those up (or create them) before the first count.

Use the :func:`fd_leak_check` fixture (tests/conftest.py makes it available
to every test)::

    def test_x(fd_leak_check: FdLeakCheck) -> None:
        with fd_leak_check():
            ...  # must end with as many open fds as it started with
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator

import pytest

__all__ = [
    "FdLeakCheck",
    "FdLeakError",
    "assert_no_fd_leak",
    "fd_is_open",
    "fd_leak_check",
    "open_fd_count",
    "open_fds",
]


class FdLeakError(AssertionError):
    """A block ended with more (or fewer) open fds than it started with."""


def open_fd_count() -> int:
    """How many fds the process has open (the blunt count; :func:`open_fds`
    says which)."""
    return len(os.listdir("/proc/self/fd"))


def open_fds() -> dict[int, str]:
    """The process's open fds, each with what it points to (for messages)."""
    result: dict[int, str] = {}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        with contextlib.suppress(OSError):  # the listdir fd itself is gone by now
            result[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return result


@contextlib.contextmanager
def assert_no_fd_leak(what: str = "block", *, settle: float = 0.0) -> Iterator[None]:
    """Fail with :class:`FdLeakError` if the block changes the set of open fds.

    Comparing sets, not only counts, names the leaked descriptors; an fd number
    that was closed and reused for something else shows up too.  ``settle``:
    for fds closed by another thread (a server on its own loop), poll up to
    that many seconds for the set to come back before failing.
    """
    before = open_fds()
    yield
    after = open_fds()
    deadline = time.monotonic() + settle
    while before.keys() != after.keys() and time.monotonic() < deadline:
        time.sleep(0.005)  # polling another thread's progress, bounded by settle
        after = open_fds()
    if before.keys() != after.keys():
        leaked = {fd: target for fd, target in after.items() if fd not in before}
        lost = {fd: target for fd, target in before.items() if fd not in after}
        raise FdLeakError(
            f"{what}: {len(before)} fds before, {len(after)} after; "
            f"left open: {leaked}; closed behind the owner's back: {lost}"
        )


FdLeakCheck = Callable[..., contextlib.AbstractContextManager[None]]


@pytest.fixture
def fd_leak_check() -> FdLeakCheck:
    """A factory of :func:`assert_no_fd_leak` context managers."""
    return assert_no_fd_leak


def fd_is_open(fd: int) -> bool:
    """Whether ``fd`` is an open descriptor of this process."""
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
