"""The blocking facade ``virtrpc.sync`` against a real libvirtd."""

from __future__ import annotations

import threading

import pytest

import virtrpc.sync
from tests.support.peers import PrivateLibvirtd
from virtrpc.client.errors import LibvirtError
from virtrpc.client.sync import SyncStream
from virtrpc.errors import ConnectError, ConnectionLost
from virtrpc.protocols.virterror import ErrorNumber

pytestmark = pytest.mark.libvirtd


def test_blocking_calls(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as client:
        assert client.connect_get_lib_version() == 9000000
        dom = client.domain_lookup_by_name(name="test")
        assert client.domain_get_info(dom=dom).state == 1
        with pytest.raises(LibvirtError) as info:
            client.domain_lookup_by_name(name="missing")
        assert info.value.code == ErrorNumber.VIR_ERR_NO_DOMAIN
        result = client.call("remote", 1, "connect_get_lib_version")
        assert result.value.lib_ver == 9000000 and result.fds == []
    assert not client.is_open
    with pytest.raises(ConnectionLost):
        client.connect_get_lib_version()
    client.close()  # idempotent


def test_blocking_stream(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as client:
        dom = client.domain_lookup_by_name(name="test")
        # The generated blocking mixin annotates stream methods with the async
        # Stream type; at runtime the facade returns a SyncStream.
        opened: object = client.domain_screenshot(dom=dom, screen=0, flags=0)
        assert isinstance(opened, SyncStream)
        with opened as stream:
            assert stream.reply == "image/png"
            data = b"".join(stream)
        assert data[:4] == b"\x89PNG"


def test_blocking_events_from_another_thread(libvirtd: PrivateLibvirtd) -> None:
    with virtrpc.sync.connect(libvirtd.uri) as watcher, virtrpc.sync.connect(libvirtd.uri) as actor:
        seen = threading.Event()
        sub = watcher.subscribe("domain", "lifecycle", callback=lambda event: seen.set())
        dom = actor.domain_lookup_by_name(name="test")
        actor.domain_suspend(dom=dom)
        event = sub.get(timeout=10)
        assert event.name == "lifecycle" and event.fields["dom"].name == "test"
        assert seen.wait(timeout=10)
        sub.close()


def test_blocking_connect_error_names_socket(tmp_path: object) -> None:
    with pytest.raises(ConnectError, match="nowhere"):
        virtrpc.sync.connect(f"test+unix:///default?socket={tmp_path}/nowhere")


def test_many_threads_share_one_connection(libvirtd: PrivateLibvirtd) -> None:
    results: list[int] = []
    lock = threading.Lock()
    with virtrpc.sync.connect(libvirtd.uri) as client:

        def work() -> None:
            for _ in range(50):
                value = client.connect_get_lib_version()
                with lock:
                    results.append(value)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert results == [9000000] * 400
