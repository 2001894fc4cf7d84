"""A sweep of virsh commands over every object kind, against a fresh private
libvirtd and a fresh ``virtrpc serve``: the same exit status, the same output
(times and counters masked), the same XML (canonicalised), the same errors.

Each kind's sweep runs in order on one server (later steps see the state the
earlier ones left).  The control run puts a second libvirtd in place of
virtrpc serve: the comparison itself must find no difference there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.differential import VirshOutcome, fresh_libvirtd, run_on_both, virsh_outcome

# Minimal definitions, as people write them; {dir} is the sweep's folder.
MINIMAL_DOMAIN = ("<domain type='test'><name>mini</name><memory>65536</memory>"
                  "<os><type>hvm</type></os></domain>")
MINIMAL_DOMAIN_DEVICES = (
    "<domain type='test'><name>devs</name><memory unit='MiB'>128</memory><vcpu>2</vcpu>"
    "<os><type>hvm</type></os><devices>"
    "<disk type='file' device='disk'><source file='/tmp/d.img'/><target dev='vda'/></disk>"
    "<interface type='network'><source network='default'/></interface>"
    "</devices></domain>")
MINIMAL_NETWORK = "<network><name>mini</name></network>"
MINIMAL_NETWORK_IP = ("<network><name>routed</name><forward mode='route'/>"
                      "<ip address='10.9.0.1' netmask='255.255.255.0'/></network>")
MINIMAL_POOL = ("<pool type='dir'><name>mini</name><target><path>/mini-pool</path></target>"
                "</pool>")
MINIMAL_VOLUME = "<volume><name>v1.img</name><capacity unit='MiB'>10</capacity></volume>"

FILES = {
    "domain.xml": MINIMAL_DOMAIN,
    "domain-devices.xml": MINIMAL_DOMAIN_DEVICES,
    "network.xml": MINIMAL_NETWORK,
    "network-ip.xml": MINIMAL_NETWORK_IP,
    "pool.xml": MINIMAL_POOL,
    "volume.xml": MINIMAL_VOLUME,
    "bad.xml": "<domain><name>x</name>",
    "network-noname.xml": "<network><forward mode='bridge'/></network>",
    "disk.xml": ("<disk type='file' device='disk'><source file='/tmp/x.img'/>"
                 "<target dev='vdb'/></disk>"),
}

Step = tuple[str, ...]

SWEEPS: dict[str, list[Step]] = {
    "host": [
        ("hostname",), ("nodeinfo",), ("capabilities",), ("sysinfo",), ("freecell",),
        ("freecell", "--all"), ("freecell", "--cellno", "1"), ("nodememstats",),
        ("maxvcpus",), ("node-memory-tune",), ("version",), ("domcapabilities",),
        ("cpu-models", "x86_64"), ("cpu-models", "ppc64le"), ("cpu-models", "aarch64"),
        ("cpu-models", "mips"), ("cpu-models", "nosuch"), ("pool-capabilities",),
        ("nodecpumap",), ("sysinfo",),
    ],
    "domain-info": [
        ("list", "--all"), ("list", "--inactive"), ("list", "--name"), ("list", "--uuid"),
        ("list", "--title", "--all"), ("dominfo", "test"), ("domstate", "test", "--reason"),
        ("domid", "test"), ("domuuid", "test"), ("domname", "1"), ("dumpxml", "test"),
        ("dumpxml", "--inactive", "test"), ("domtime", "test"), ("domblklist", "test"),
        ("domiflist", "test"), ("domblkinfo", "test", "vda"), ("domjobinfo", "test"),
        ("autostart", "test"), ("dominfo", "test"), ("domhostname", "test"),
        ("domifaddr", "test"), ("domdisplay", "test"), ("vncdisplay", "test"),
        ("domfsinfo", "test"), ("domblkinfo", "test", "/guest/diskimage1"),
        ("domblkinfo", "test", "nosuch"), ("domiftune", "test", "nosuch"),
        ("domiflist", "test", "--inactive"), ("domblklist", "test", "--details"),
    ],
    "domain-stats": [
        ("vcpuinfo", "test"), ("vcpupin", "test"), ("vcpucount", "test"), ("emulatorpin", "test"),
        ("memtune", "test"), ("blkiotune", "test"), ("schedinfo", "test"),
        ("domblkstat", "test", "vda"), ("domifstat", "test", "testnet0"), ("dommemstat", "test"),
        ("domcontrol", "test"), ("domstats",), ("domstats", "test", "--state"),
        ("setvcpus", "test", "1"), ("vcpucount", "test"), ("dominfo", "test"),
        ("setvcpus", "test", "1", "--config"), ("vcpucount", "test"),
        ("dumpxml", "test"), ("dumpxml", "--inactive", "test"), ("setvcpus", "test", "3"),
        ("setvcpus", "test", "4", "--config", "--maximum"), ("vcpucount", "test"),
        ("dumpxml", "--inactive", "test"), ("setvcpus", "test", "99"),
        ("setmem", "test", "1048576"), ("dominfo", "test"), ("setmaxmem", "test", "4194304"),
        ("vcpupin", "test", "0", "1"), ("vcpupin", "test"),
        ("schedinfo", "test", "--set", "weight=20"), ("schedinfo", "test"),
        ("numatune", "test"), ("domiftune", "test", "testnet0"), ("iothreadinfo", "test"),
        ("perf", "test"), ("guestvcpus", "test"), ("domblkerror", "test"),
        ("destroy", "test"), ("vcpuinfo", "test"), ("vcpupin", "test"), ("vcpucount", "test"),
        ("dominfo", "test"), ("domblkstat", "test", "vda"), ("dommemstat", "test"),
        ("domcontrol", "test"), ("domstats",), ("memtune", "test"), ("schedinfo", "test"),
        ("start", "test"), ("vcpucount", "test"), ("vcpupin", "test"),
        ("domstats", "--cpu-total"), ("domstats", "--balloon", "--vcpu", "--block"),
        ("domstats", "--enforce", "--cpu-total"), ("domstats", "--list-active", "test"),
        ("domstats", "--list-inactive"), ("define", "{dir}/domain.xml"), ("domstats",),
        ("domstats", "--list-inactive"), ("domstats", "--state", "--list-persistent"),
        ("domstats", "--list-shutoff", "--list-running"), ("domstats", "--raw", "mini"),
    ],
    "domain-lifecycle": [
        ("suspend", "test"), ("domstate", "test", "--reason"), ("resume", "test"),
        ("domstate", "test", "--reason"), ("shutdown", "test"), ("domstate", "test", "--reason"),
        ("list", "--inactive"), ("start", "test"), ("domstate", "test", "--reason"),
        ("destroy", "test"), ("domstate", "test", "--reason"), ("dominfo", "test"),
        ("setmem", "test", "1000"), ("setmem", "test", "1000", "--config"), ("dominfo", "test"),
        ("setmaxmem", "test", "4000000"), ("dumpxml", "test"), ("start", "test"),
        ("setmem", "test", "2000", "--live"), ("setmem", "test", "3000", "--config"),
        ("dumpxml", "test"), ("dumpxml", "test", "--inactive"), ("destroy", "test"),
        ("dominfo", "test"),
        ("start", "test"), ("reboot", "test"), ("reset", "test"),
        ("define", "{dir}/domain.xml"), ("dumpxml", "mini"), ("dominfo", "mini"),
        ("start", "mini"), ("dumpxml", "mini"), ("destroy", "mini"), ("undefine", "mini"),
        ("define", "{dir}/domain-devices.xml"), ("dumpxml", "devs"), ("start", "devs"),
        ("dumpxml", "devs"), ("destroy", "devs"), ("undefine", "devs"),
        ("create", "{dir}/domain.xml"), ("list", "--all"), ("destroy", "mini"),
        ("list", "--all"), ("undefine", "nosuch"), ("start", "test"),
    ],
    "domain-metadata": [
        ("desc", "test"), ("desc", "test", "--title"), ("desc", "test", "--live", "hello"),
        ("desc", "test", "--live"), ("desc", "test", "--config"),
        ("desc", "test", "--config", "--title", "cfgtitle"), ("desc", "test", "--title"),
        ("desc", "test", "--title", "--config"), ("list", "--title"),
        ("dumpxml", "test"), ("dumpxml", "--inactive", "test"),
        ("metadata", "test", "http://example.org/", "--key", "ex", "--set", "<a>1</a>"),
        ("metadata", "test", "http://example.org/"),
        ("metadata", "test", "http://example.org/", "--config"),
        ("metadata", "test", "http://example.org/", "--config", "--key", "ex",
         "--set", "<b>2</b>"),
        ("metadata", "test", "http://example.org/", "--config"),
        ("metadata", "test", "http://example.org/"),
        ("dumpxml", "test"), ("dumpxml", "--inactive", "test"),
        ("metadata", "test", "http://example.org/", "--live", "--config"),
        ("destroy", "test"), ("desc", "test", "--live"), ("desc", "test"),
        ("desc", "test", "--title"), ("start", "test"), ("desc", "test", "--title"),
        ("metadata", "test", "http://example.org/"), ("dumpxml", "test"),
        ("create", "{dir}/domain.xml"), ("desc", "mini", "--config", "x"),
        ("desc", "mini", "--live", "y"), ("desc", "mini"), ("dumpxml", "--inactive", "mini"),
    ],
    "network": [
        ("net-list", "--all"), ("net-info", "default"), ("net-dumpxml", "default"),
        ("net-dumpxml", "--inactive", "default"), ("net-uuid", "default"),
        ("net-name", "dd8fe884-6c02-601e-7551-cca97df1c5df"), ("net-autostart", "default"),
        ("net-dhcp-leases", "default"), ("net-define", "{dir}/network.xml"),
        ("net-dumpxml", "mini"), ("net-info", "mini"), ("net-start", "mini"),
        ("net-dumpxml", "mini"), ("net-list", "--all"), ("net-destroy", "mini"),
        ("net-undefine", "mini"), ("net-create", "{dir}/network-ip.xml"),
        ("net-dumpxml", "routed"), ("net-destroy", "routed"), ("net-list", "--all"),
        ("net-destroy", "default"), ("net-start", "default"), ("net-info", "nosuch"),
        ("net-port-list", "default"),
    ],
    "storage": [
        ("pool-list", "--all", "--details"), ("pool-info", "default-pool"),
        ("pool-dumpxml", "default-pool"), ("vol-list", "default-pool", "--details"),
        ("pool-uuid", "default-pool"), ("pool-autostart", "default-pool"),
        ("vol-create", "default-pool", "{dir}/volume.xml"), ("vol-info", "v1.img", "default-pool"),
        ("vol-dumpxml", "v1.img", "default-pool"), ("vol-path", "v1.img", "default-pool"),
        ("vol-key", "v1.img", "default-pool"), ("pool-info", "default-pool"),
        ("vol-create-as", "default-pool", "v2.img", "1M", "--allocation", "512K"),
        ("vol-info", "v2.img", "default-pool"), ("vol-list", "default-pool", "--details"),
        ("vol-resize", "v1.img", "20M", "--pool", "default-pool"),
        ("vol-info", "v1.img", "default-pool"), ("vol-wipe", "v2.img", "--pool", "default-pool"),
        ("vol-delete", "v1.img", "default-pool"), ("vol-delete", "v2.img", "default-pool"),
        ("pool-refresh", "default-pool"), ("pool-create", "{dir}/pool.xml"),
        ("pool-dumpxml", "mini"), ("pool-info", "mini"), ("pool-create", "{dir}/pool.xml"),
        ("pool-destroy", "mini"),
        ("pool-list", "--all"), ("pool-info", "nosuch"),
    ],
    "refusals": [
        ("secret-list",), ("nwfilter-list",), ("nwfilter-binding-list",),
        ("domjobinfo", "test"), ("domjobabort", "test"), ("secret-dumpxml", "nosuch"),
        ("managedsave-remove", "test"), ("dommemstat", "test", "--period", "2"),
        ("domblkstat", "test", "nosuch"), ("domifstat", "test", "nosuch"),
        ("dumpxml", "test", "--security-info", "--update-cpu"),
        ("send-key", "test", "KEY_A"), ("inject-nmi", "test"), ("domtime", "test", "--sync"),
    ],
    "domain-edges": [
        ("dominfo", "nosuch"), ("domstate", "99"), ("start", "test"), ("suspend", "nosuch"),
        ("resume", "test"), ("domrename", "test", "t2"), ("setmaxmem", "test", "100"),
        ("setmem", "test", "99999999"), ("autostart", "test", "--disable"),
        ("dumpxml", "--migratable", "test"), ("dumpxml", "--security-info", "test"),
        ("define", "{dir}/bad.xml"), ("create", "{dir}/domain.xml"),
        ("create", "{dir}/domain.xml"), ("domid", "mini"), ("domuuid", "nosuch"),
        ("list", "--persistent"), ("list", "--transient"), ("list", "--state-running"),
        ("list", "--autostart", "--all"), ("list", "--no-autostart", "--all"),
        ("list", "--table", "--title", "--all"), ("ttyconsole", "test"),
        ("blkdeviotune", "test", "vda"), ("domif-getlink", "test", "testnet0"),
        ("attach-device", "test", "{dir}/disk.xml"), ("cpu-stats", "test"),
        ("memtune", "test", "--hard-limit", "1000000"), ("memtune", "test"),
        ("blkiotune", "test", "--weight", "100"), ("blkiotune", "test"),
        ("schedinfo", "test", "--config"), ("emulatorpin", "test", "0"), ("emulatorpin", "test"),
        ("iothreadadd", "test", "1"), ("guestinfo", "test"), ("dompmsuspend", "test", "mem"),
        ("dompmwakeup", "test"), ("domlaunchsecinfo", "test"), ("undefine", "test"),
        ("list", "--all"), ("destroy", "test"), ("list", "--all"), ("undefine", "mini"),
        ("destroy", "mini"), ("list", "--all"), ("define", "{dir}/domain.xml"),
        ("domrename", "mini", "renamed"), ("list", "--all"), ("dumpxml", "renamed"),
    ],
    "iothreads": [
        ("iothreadinfo", "test"), ("iothreadadd", "test", "1"), ("iothreadadd", "test", "1"),
        ("iothreadadd", "test", "2", "--live", "--config"), ("dumpxml", "test"),
        ("iothreadinfo", "test"), ("iothreadpin", "test", "1", "1"), ("iothreadinfo", "test"),
        ("iothreadpin", "test", "9", "1"), ("iothreadadd", "test", "3", "--config"),
        ("iothreadinfo", "test", "--config"), ("dumpxml", "--inactive", "test"),
        ("iothreadset", "test", "3", "--poll-max-ns", "10"),
        ("iothreadset", "test", "1", "--poll-max-ns", "10"), ("iothreaddel", "test", "7"),
        ("iothreaddel", "test", "1"), ("iothreadinfo", "test"), ("destroy", "test"),
        ("iothreadinfo", "test"), ("dumpxml", "test"), ("start", "test"),
        ("iothreadinfo", "test"), ("iothreaddel", "test", "3", "--config"),
        ("dumpxml", "--inactive", "test"),
    ],
    "network-edges": [
        ("net-autostart", "default", "--disable"), ("net-define", "{dir}/bad.xml"),
        ("net-define", "{dir}/network-noname.xml"), ("net-create", "{dir}/network.xml"),
        ("net-create", "{dir}/network.xml"), ("net-dumpxml", "nosuch"),
        ("net-list", "--inactive"), ("net-list", "--persistent"), ("net-list", "--autostart"),
        ("net-list", "--transient"), ("net-undefine", "default"), ("net-start", "default"),
        ("net-destroy", "default"), ("net-destroy", "default"), ("net-list", "--all"),
        ("net-undefine", "mini"), ("net-destroy", "mini"), ("net-undefine", "default"),
        ("net-list", "--all"), ("net-event", "--list"),
    ],
    "storage-edges": [
        ("vol-create", "default-pool", "{dir}/volume.xml"),
        ("vol-create", "default-pool", "{dir}/volume.xml"),
        ("vol-clone", "v1.img", "v9.img", "--pool", "default-pool"),
        ("vol-info", "v9.img", "default-pool"), ("vol-info", "--bytes", "v1.img", "default-pool"),
        ("vol-dumpxml", "nosuch", "default-pool"), ("pool-build", "default-pool"),
        ("pool-delete", "default-pool"), ("pool-undefine", "default-pool"),
        ("pool-list", "--type", "dir"), ("pool-list", "--type", "logical"),
        ("pool-list", "--persistent"), ("pool-list", "--transient"),
        ("pool-autostart", "default-pool", "--disable"), ("pool-list", "--no-autostart"),
        ("find-storage-pool-sources", "logical"), ("find-storage-pool-sources", "dir"),
        ("find-storage-pool-sources", "netfs"),
        ("find-storage-pool-sources-as", "netfs", "localhost"),
        ("vol-create-as", "default-pool", "q.qcow2", "1M", "--format", "qcow2"),
        ("vol-dumpxml", "q.qcow2", "default-pool"), ("vol-pool", "/default-pool/v1.img"),
        ("vol-name", "/default-pool/v1.img"), ("vol-list", "default-pool"),
        ("pool-info", "default-pool"), ("pool-dumpxml", "--inactive", "default-pool"),
        ("pool-refresh", "nosuch"), ("pool-destroy", "default-pool"),
        ("pool-build", "default-pool"), ("pool-delete", "default-pool"),
        ("pool-undefine", "default-pool"), ("pool-list", "--all"),
    ],
    "host-edges": [
        ("uri",), ("version", "--daemon"), ("nodesuspend", "mem", "60"),
        ("node-memory-tune", "--shm-pages-to-scan", "10"), ("nodesevinfo",),
        ("domcapabilities", "--virttype", "test"), ("allocpages", "4", "10"),
        ("maxvcpus", "--type", "test"), ("nodememstats", "0"), ("freecell", "0"),
        ("freecell", "5"), ("secret-list",), ("secret-define", "{dir}/bad.xml"),
        ("nwfilter-list",), ("nwfilter-define", "{dir}/bad.xml"), ("nodedev-list",),
        ("freepages", "--all"),
    ],
    # The kinds beyond domains, networks and storage (the kinds branch, issue 15);
    # the state carries between the steps (a checkpoint is refused while a
    # snapshot exists).
    "other-kinds": [
        ("iface-list", "--all"), ("iface-dumpxml", "eth1"), ("nodedev-list",),
        ("nodedev-dumpxml", "computer"), ("snapshot-create-as", "test", "s1"),
        ("snapshot-list", "test"), ("snapshot-current", "test", "--name"),
        ("checkpoint-create-as", "test", "c1"), ("checkpoint-list", "test"),
        ("save", "test", "{dir}/saved"), ("managedsave", "test"),
        ("nodecpustats",), ("pool-define", "{dir}/pool.xml"),
    ],
}

#: Steps whose outcome still differs, with the reason: the test requires this
#: set exactly, so a fix must remove its entry and a regression shows.
_LIBXML2 = "libvirtd words malformed XML as libxml2 does (virtrpc parses with expat)"
EXPECTED_TO_DIFFER: dict[str, dict[Step, str]] = {
    "domain-edges": {
        ("define", "{dir}/bad.xml"): _LIBXML2,
    },
    "network-edges": {("net-define", "{dir}/bad.xml"): _LIBXML2},
    "host-edges": {
        ("freepages", "--all"): ("libvirtd's test driver fails without an error "
                                 "('Library function returned error but did not set "
                                 "virError'); virtrpc answers VIR_ERR_NO_SUPPORT"),
    },
}


def run_sweep(steps: list[Step], folder: Path) -> Callable[[str], list[VirshOutcome]]:
    """The workload: every step in order, ``{dir}`` replaced by ``folder``."""

    def workload(uri: str) -> list[VirshOutcome]:
        return [virsh_outcome(uri, *(arg.format(dir=folder) for arg in step)) for step in steps]

    return workload


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def differing_steps(steps: list[Step], reference: list[VirshOutcome],
                    candidate: list[VirshOutcome]) -> dict[Step, str]:
    """The steps whose outcomes differ, each with both outcomes described."""
    return {
        step: f"\n  libvirtd: {a}\n  virtrpc:  {b}"
        for step, a, b in zip(steps, reference, candidate, strict=True) if a != b
    }


@pytest.mark.parametrize("kind", sorted(SWEEPS))
def test_sweep_same_on_both(kind: str, folder: Path) -> None:
    steps = SWEEPS[kind]
    reference, candidate = run_on_both(run_sweep(steps, folder), hold_open=True)
    differing = differing_steps(steps, reference, candidate)
    expected = EXPECTED_TO_DIFFER.get(kind, {})
    unexpected = {step: how for step, how in differing.items() if step not in expected}
    assert unexpected == {}
    now_equal = [step for step in expected if step not in differing]
    assert now_equal == [], "these now agree: drop them from EXPECTED_TO_DIFFER"


@pytest.mark.parametrize("kind", sorted(SWEEPS))
def test_sweep_control_two_libvirtds(kind: str, folder: Path) -> None:
    """The harness cannot invent differences: two libvirtds agree on every step."""
    steps = SWEEPS[kind]
    reference, candidate = run_on_both(run_sweep(steps, folder), candidate=fresh_libvirtd,
                                       hold_open=True)
    assert differing_steps(steps, reference, candidate) == {}


def test_sweep_counts_what_agrees() -> None:
    """Every expected difference names a step of its sweep."""
    for kind, expected in EXPECTED_TO_DIFFER.items():
        assert set(expected) <= set(SWEEPS[kind]), kind
