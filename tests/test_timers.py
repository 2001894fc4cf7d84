"""virtrpc.timers: coarse timers served by one thread, run in their loop."""

from __future__ import annotations

import asyncio
import threading
import time

import virtrpc
from tests.support.peek import keepalive_timer
from tests.support.served import ServedHypervisor
from virtrpc import timers


async def test_fires_in_the_loop_thread_after_the_delay() -> None:
    loop = asyncio.get_running_loop()
    fired = asyncio.Event()
    seen: list[threading.Thread] = []
    start = time.monotonic()

    def callback() -> None:
        seen.append(threading.current_thread())
        fired.set()

    timer = timers.call_later(loop, 0.05, callback)
    await asyncio.wait_for(fired.wait(), 10)
    assert time.monotonic() - start >= 0.05
    assert seen == [threading.current_thread()]
    assert timer.cancelled()  # spent


async def test_a_cancelled_timer_never_runs() -> None:
    loop = asyncio.get_running_loop()
    order: list[str] = []
    later = asyncio.Event()
    cancelled = timers.call_later(loop, 0.02, lambda: order.append("cancelled"))

    def run_later() -> None:
        order.append("later")
        later.set()

    timers.call_later(loop, 0.06, run_later)
    cancelled.cancel()
    await asyncio.wait_for(later.wait(), 10)
    # Timers are handed to the loop in deadline order, so had the first one
    # run it would be listed before the second.
    assert order == ["later"]


async def test_a_new_earliest_deadline_wakes_the_thread() -> None:
    loop = asyncio.get_running_loop()
    far = timers.call_later(loop, 3600, lambda: None)
    soon = asyncio.Event()
    start = time.monotonic()
    timers.call_later(loop, 0.01, soon.set)
    await asyncio.wait_for(soon.wait(), 10)
    assert time.monotonic() - start < 5  # not held up behind the hour-long one
    far.cancel()


async def test_a_timer_whose_loop_closed_is_dropped() -> None:
    other = asyncio.new_event_loop()
    orphan = timers.call_later(other, 0.01, lambda: None)
    other.close()
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    timers.call_later(loop, 0.05, done.set)
    await asyncio.wait_for(done.wait(), 10)
    assert orphan.cancelled()  # handed over to a closed loop: dropped, no error


async def test_nothing_is_added_to_the_loop_timer_heap() -> None:
    loop = asyncio.get_running_loop()
    scheduled = getattr(loop, "_scheduled", None)
    if scheduled is None:  # not asyncio's own loop implementation
        return
    before = len(scheduled)
    timer = timers.call_later(loop, 3600, lambda: None)
    assert len(scheduled) == before
    timer.cancel()


async def test_client_keepalive_stays_out_of_the_loop_timer_heap(
    served_hypervisor: ServedHypervisor,
) -> None:
    """A pending loop timer makes every loop iteration dearer; the client's
    keepalive must run on a coarse timer and still ping."""
    loop = asyncio.get_running_loop()
    async with virtrpc.connect(served_hypervisor.uri, keepalive=(0.05, 5)) as client:
        assert client.server_keepalive
        assert isinstance(keepalive_timer(client), timers.CoarseTimer)
        scheduled = getattr(loop, "_scheduled", [])
        # (the server in this loop keeps loop timers for its clients)
        mine = [h for h in scheduled if "keepalive" in repr(h) and "ServerConnection" not in repr(h)]
        assert not mine
        # Silence: the coarse timer fires and the client pings (the server
        # answers with a pong, so the connection stays up).
        deadline = time.monotonic() + 10
        while client.keepalive_pongs_received == 0:
            assert time.monotonic() < deadline, "no keepalive pong"
            await asyncio.sleep(0.01)  # polling a counter with a deadline
        assert client.keepalive_pings_sent >= 1 and client.is_open
