"""Calls at the edges of what libvirtd accepts, made through virtrpc's own
client (any value goes on the wire, unlike through libvirt-python) against a
fresh private libvirtd and a fresh ``virtrpc serve``: the same reply or the
same error (code, domain, message), case by case.  The checks are libvirtd's
dispatch code's (``nparams too large``...), libvirt's public API's (``info in
virDomainGetVcpus must not be NULL``...) and the test driver's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.support.differential import fresh_libvirtd, run_on_both
from virtrpc.client.errors import LibvirtError
from virtrpc.client.sync import SyncClient, connect
from virtrpc.errors import XdrError
from virtrpc.protocols import remote

# The test driver's vcpu CPU time follows the clock.
_VOLATILE = re.compile(r"cpu_time=\d+")


def calls(c: SyncClient, dom: remote.RemoteNonnullDomain) -> dict[str, Callable[[], object]]:
    """Each case: one call with an argument at or past the limits libvirtd checks."""
    return {
     "vcpus maxinfo 0": lambda: c.domain_get_vcpus(dom=dom, maxinfo=0, maplen=1),
     "vcpus maxinfo -1": lambda: c.domain_get_vcpus(dom=dom, maxinfo=-1, maplen=1),
     "vcpus maplen -1": lambda: c.domain_get_vcpus(dom=dom, maxinfo=2, maplen=-1),
     "vcpus maplen 0": lambda: c.domain_get_vcpus(dom=dom, maxinfo=2, maplen=0),
     "vcpus huge": lambda: c.domain_get_vcpus(dom=dom, maxinfo=16385, maplen=1),
     "vcpus huge map": lambda: c.domain_get_vcpus(dom=dom, maxinfo=16384, maplen=1000),
     "pin info ncpumaps -1": lambda: c.domain_get_vcpu_pin_info(dom=dom, ncpumaps=-1, maplen=1, flags=0),
     "pin info maplen -1": lambda: c.domain_get_vcpu_pin_info(dom=dom, ncpumaps=2, maplen=-1, flags=0),
     "pin info maplen 0": lambda: c.domain_get_vcpu_pin_info(dom=dom, ncpumaps=2, maplen=0, flags=0),
     "pin info huge": lambda: c.domain_get_vcpu_pin_info(dom=dom, ncpumaps=16385, maplen=1, flags=0),
     "emulator maplen -1": lambda: c.domain_get_emulator_pin_info(dom=dom, maplen=-1, flags=0),
     "emulator maplen 0": lambda: c.domain_get_emulator_pin_info(dom=dom, maplen=0, flags=0),
     "emulator huge": lambda: c.domain_get_emulator_pin_info(dom=dom, maplen=8388609, flags=0),
     "disk errors -1": lambda: c.domain_get_disk_errors(dom=dom, maxerrors=-1, flags=0),
     "disk errors huge": lambda: c.domain_get_disk_errors(dom=dom, maxerrors=257, flags=0),
     "mem stats -1": lambda: c.domain_memory_stats(dom=dom, maxStats=-1, flags=0),
     "mem stats 0": lambda: c.domain_memory_stats(dom=dom, maxStats=0, flags=0),
     "mem stats huge": lambda: c.domain_memory_stats(dom=dom, maxStats=1025, flags=0),
     "mem params -1": lambda: c.domain_get_memory_parameters(dom=dom, nparams=-1, flags=0),
     "mem params huge": lambda: c.domain_get_memory_parameters(dom=dom, nparams=17, flags=0),
     "blkio params -1": lambda: c.domain_get_blkio_parameters(dom=dom, nparams=-1, flags=0),
     "numa params -1": lambda: c.domain_get_numa_parameters(dom=dom, nparams=-1, flags=0),
     "if params -1": lambda: c.domain_get_interface_parameters(dom=dom, device="testnet0", nparams=-1, flags=0),
     "iotune -1": lambda: c.domain_get_block_io_tune(dom=dom, disk="vda", nparams=-1, flags=0),
     "iotune huge": lambda: c.domain_get_block_io_tune(dom=dom, disk="vda", nparams=33, flags=0),
     "cpu stats start -2": lambda: c.domain_get_cpu_stats(dom=dom, nparams=2, start_cpu=-2, ncpus=1, flags=0),
     "cpu stats total ncpus 2": lambda: c.domain_get_cpu_stats(dom=dom, nparams=3, start_cpu=-1, ncpus=2, flags=0),
     "cpu stats nparams -1": lambda: c.domain_get_cpu_stats(dom=dom, nparams=-1, start_cpu=0, ncpus=1, flags=0),
     "cpu stats ncpus -1": lambda: c.domain_get_cpu_stats(dom=dom, nparams=2, start_cpu=0, ncpus=-1, flags=0),
     "cpu stats huge": lambda: c.domain_get_cpu_stats(dom=dom, nparams=17, start_cpu=0, ncpus=1, flags=0),
     "cpu stats many cpus": lambda: c.domain_get_cpu_stats(dom=dom, nparams=2, start_cpu=0, ncpus=129, flags=0),
     "cpu stats no cpus": lambda: c.domain_get_cpu_stats(dom=dom, nparams=2, start_cpu=0, ncpus=0, flags=0),
     "cpu stats count cpus": lambda: c.domain_get_cpu_stats(dom=dom, nparams=0, start_cpu=0, ncpus=0, flags=0),
     "cpu stats start 5": lambda: c.domain_get_cpu_stats(dom=dom, nparams=2, start_cpu=5, ncpus=1, flags=0),
     "cpu stats start 1": lambda: c.domain_get_cpu_stats(dom=dom, nparams=2, start_cpu=1, ncpus=4, flags=0),
     "cpu map flags": lambda: c.node_get_cpu_map(need_map=1, need_online=1, flags=1),
     "set vcpus -1": lambda: c.domain_set_vcpus(dom=dom, nvcpus=-1),
     "set vcpus 0": lambda: c.domain_set_vcpus(dom=dom, nvcpus=0),
     "pin vcpu empty": lambda: c.domain_pin_vcpu(dom=dom, vcpu=0, cpumap=b""),
     "pin vcpu -1": lambda: c.domain_pin_vcpu(dom=dom, vcpu=-1, cpumap=b"\x01"),
     "pin emulator empty": lambda: c.domain_pin_emulator(dom=dom, cpumap=b"\x00", flags=0),
     "all stats": lambda: c.connect_get_all_domain_stats(doms=[], stats=0, flags=0x3),
     "iothread add 0": lambda: c.domain_add_iothread(dom=dom, iothread_id=0, flags=0),
     "iothread add -1": lambda: c.domain_add_iothread(dom=dom, iothread_id=-1, flags=0),
     "set time": lambda: c.domain_set_time(dom=dom, seconds=1, nseconds=2, flags=0),
     "set time bad ns": lambda: c.domain_set_time(dom=dom, seconds=1, nseconds=2_000_000_000, flags=0),
     "send key": lambda: c.domain_send_key(dom=dom, codeset=0, holdtime=0, keycodes=[], flags=0),
    }


Outcome = tuple[object, ...]


def edge_calls(uri: str) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    client = connect(uri)
    try:
        dom = client.domain_lookup_by_name(name="test")
        for name, call in calls(client, dom).items():
            try:
                outcomes[name] = ("ok", _VOLATILE.sub("cpu_time=<n>", repr(call())))
            except LibvirtError as error:
                outcomes[name] = ("error", int(error.code), int(error.domain), error.message)
            except XdrError:  # not even encodable (an unsigned field): never sent
                outcomes[name] = ("not sent",)
    finally:
        client.close()
    return outcomes


def test_edges_answer_as_libvirtd() -> None:
    reference, candidate = run_on_both(edge_calls, hold_open=True)
    assert set(reference) == set(candidate)
    assert {name: (reference[name], candidate[name]) for name in reference
            if reference[name] != candidate[name]} == {}
    assert reference["mem params huge"][0] == "error"  # the cases reach the checks


def test_control_two_libvirtds_agree() -> None:
    reference, candidate = run_on_both(edge_calls, candidate=fresh_libvirtd, hold_open=True)
    assert candidate == reference
