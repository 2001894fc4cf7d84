"""The blocking engine's wake-ups with many threads on one connection:
replies for other threads wait in a ready queue and are woken one at a
time (``ClientProtocol._wake_ready``); these tests check that no reply is
stranded there when the threads that would pass the wake-up on stop
calling, and that the queue and the waiters are empty afterwards."""

from __future__ import annotations

import threading

import virtrpc.sync
from tests.support.peers import PrivateLibvirtd
from virtrpc.client.sync import SyncClient

#: Bound of a join: far above a round's time, so a stranded thread fails the test.
JOIN_TIMEOUT = 15.0


def _rounds(client: SyncClient, threads: int, rounds: int, calls: int) -> None:
    """``rounds`` times: ``threads`` threads released together, each makes
    ``calls`` calls and ends (its last reply may be read by another thread,
    and nobody calls after it)."""
    failures: list[BaseException] = []
    for _ in range(rounds):
        barrier = threading.Barrier(threads)

        def work(barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait(timeout=JOIN_TIMEOUT)
                for _ in range(calls):
                    assert client.connect_get_lib_version() == 9000000
            except BaseException as exc:
                failures.append(exc)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=JOIN_TIMEOUT)
        assert not any(worker.is_alive() for worker in workers), "a caller was never woken"
        assert not failures, failures[:3]
        assert not client._ready and not client._waiters


def test_threads_that_stop_calling_strand_no_reply(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri, keepalive=None) as client:
        assert isinstance(client, SyncClient)
        _rounds(client, threads=16, rounds=40, calls=1)
        _rounds(client, threads=16, rounds=10, calls=20)
        assert client.connect_get_lib_version() == 9000000


def test_replies_of_one_read_are_woken_one_at_a_time(libvirtd: PrivateLibvirtd) -> None:
    """Replies read together for other threads are queued, not all woken
    as they are read: after a read, several of them wait in the queue."""
    with virtrpc.sync.connect(libvirtd.uri, keepalive=None) as client:
        assert isinstance(client, SyncClient)
        most_queued = 0
        feed_replies = client._feed_replies

        def recording(data: bytes, serial: int) -> object:
            nonlocal most_queued
            mine = feed_replies(data, serial)
            most_queued = max(most_queued, len(client._ready))
            return mine

        client._feed_replies = recording  # type: ignore[method-assign]
        _rounds(client, threads=16, rounds=5, calls=50)
        # (a read of several replies for several threads happened, and they waited in the queue)
        assert most_queued >= 2
