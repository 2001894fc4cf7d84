"""libvirt-python calls against a fresh private libvirtd and a fresh
``virtrpc serve``: the same values, or the same errors (code, domain and
message), call for call.  The calls cover what virsh does not show exactly:
error codes and domains of refusals, typed parameters, statistics shapes.
"""

from __future__ import annotations

import pytest

from tests.support.differential import python_calls, run_on_both

POOL = "conn.storagePoolLookupByName('default-pool')"
TEST = "conn.lookupByName('test')"

CALLS: dict[str, list[tuple[str, str]]] = {
    "definitions": [
        ("domain without name", "conn.defineXML(\"<domain type='test'><memory>1</memory>"
                                "<os><type>hvm</type></os></domain>\")"),
        ("domain without os", "conn.defineXML(\"<domain type='test'><name>q</name>"
                              "<memory>1</memory></domain>\")"),
        ("network without name", "conn.networkDefineXML(\"<network><forward mode='bridge'/>"
                                 "</network>\")"),
        ("volume without name", f"{POOL}.createXML('<volume><capacity>1</capacity></volume>')"),
        ("volume", f"{POOL}.createXML('<volume><name>a</name><capacity>1</capacity>"
                   "</volume>').name()"),
        ("volume again", f"{POOL}.createXML('<volume><name>a</name><capacity>1</capacity>"
                         "</volume>')"),
        ("volume info", f"{POOL}.storageVolLookupByName('a').info()"),
        ("volume xml flags", f"{POOL}.storageVolLookupByName('a').XMLDesc(1)"),
        ("pool xml flags", f"{POOL}.XMLDesc(1)"),
        ("pool info", f"{POOL}.info()"),
        ("domain xml flags", f"{TEST}.XMLDesc(4)"),
        ("network xml flags", "conn.networkLookupByName('default').XMLDesc(1)"),
    ],
    "lifecycle": [
        ("network start running", "conn.networkLookupByName('default').create()"),
        ("network undefine running", "conn.networkLookupByName('default').undefine()"),
        ("pool build running", f"{POOL}.build(0)"),
        ("pool delete running", f"{POOL}.delete(0)"),
        ("pool undefine running", f"{POOL}.undefine()"),
        ("rename running", f"{TEST}.rename('x', 0)"),
        ("undefine running", f"{TEST}.undefine()"),
        ("persistent", f"{TEST}.isPersistent()"),
        ("destroy", f"{TEST}.destroy()"),
        ("gone", "[d.name() for d in conn.listAllDomains(0)]"),
        ("pool destroy", f"{POOL}.destroy()"),
        ("pool build", f"{POOL}.build(0)"),
        ("pool undefine", f"{POOL}.undefine()"),
        ("pools", "conn.listAllStoragePools(0)"),
        ("network destroy", "conn.networkLookupByName('default').destroy()"),
        ("network destroy again", "conn.networkLookupByName('default').destroy()"),
        ("network undefine", "conn.networkLookupByName('default').undefine()"),
        ("networks", "conn.listAllNetworks(0)"),
    ],
    "statistics": [
        ("vcpus", f"{TEST}.vcpus()[1]"),
        ("vcpu pins", f"{TEST}.vcpuPinInfo(0)"),
        ("emulator pin", f"{TEST}.emulatorPinInfo(0)"),
        ("cpu stats total", f"{TEST}.getCPUStats(True)"),
        ("cpu stats per cpu", f"{TEST}.getCPUStats(False)"),
        ("block io tune", f"{TEST}.blockIoTune('vda', 0)"),
        ("block io tune unknown disk", f"{TEST}.blockIoTune('nosuch', 0)"),
        ("block info", f"{TEST}.blockInfo('vda', 0)"),
        ("block stats unknown disk", f"{TEST}.blockStats('nosuch')"),
        ("memory stats", f"{TEST}.memoryStats()"),
        ("memory parameters", f"{TEST}.memoryParameters(0)"),
        ("set memory parameters", f"{TEST}.setMemoryParameters({{'hard_limit': 1024}}, 0)"),
        ("set memory parameters badly", f"{TEST}.setMemoryParameters({{'hard_limit': 'x'}}, 0)"),
        ("memory parameters after", f"{TEST}.memoryParameters(0)"),
        ("blkio parameters", f"{TEST}.blkioParameters(0)"),
        ("numa parameters", f"{TEST}.numaParameters(0)"),
        ("interface parameters", f"{TEST}.interfaceParameters('testnet0', 0)"),
        ("control info", f"{TEST}.controlInfo()"),
        ("time", f"{TEST}.getTime()"),
        ("hostname", f"{TEST}.hostname()"),
        ("fs info", f"{TEST}.fsInfo()"),
        ("interface addresses", f"{TEST}.interfaceAddresses(0)"),
        ("disk errors", f"{TEST}.diskErrors()"),
        ("launch security", f"{TEST}.launchSecurityInfo(0)"),
        ("all stats", "[(d.name(), s) for d, s in conn.getAllDomainStats(0, 0)]"),
        ("all stats enforced", "conn.getAllDomainStats(2, 0x80000000)"),
        ("set vcpus beyond the host", f"{TEST}.setVcpus(99)"),
        ("pin missing vcpu", f"{TEST}.pinVcpu(5, (True,))"),
    ],
    "host": [
        ("node info", "conn.getInfo()"),
        ("cpu map", "conn.getCPUMap(0)"),
        ("free memory", "conn.getFreeMemory()"),
        ("cells", "conn.getCellsFreeMemory(0, 2)"),
        ("cpu models", "len(conn.getCPUModelNames('x86_64', 0)) > 10"),
        ("cpu models unknown arch", "conn.getCPUModelNames('nosuch', 0)"),
        ("cpu models no driver", "conn.getCPUModelNames('mips', 0)"),
        ("pool sources dir", "conn.findStoragePoolSources('dir', None, 0)"),
        ("pool sources netfs", "conn.findStoragePoolSources('netfs', None, 0)"),
        ("secrets", "conn.listAllSecrets(0)"),
        ("nwfilters", "conn.listAllNWFilters(0)"),
        ("job info", f"{TEST}.jobInfo()"),
        ("max vcpus", "conn.getMaxVcpus('test')"),
        ("security model", "conn.getSecurityModel()"),
    ],
}


@pytest.mark.parametrize("group", sorted(CALLS))
def test_same_answers_as_libvirtd(group: str) -> None:
    calls = CALLS[group]
    reference, candidate = run_on_both(lambda uri: python_calls(uri, calls), hold_open=True)
    assert list(reference) == [name for name, _ in calls]
    differing = {name: (reference[name], candidate[name])
                 for name in reference if candidate[name] != reference[name]}
    assert differing == {}


@pytest.mark.parametrize("group", sorted(CALLS))
def test_control_two_libvirtds_agree(group: str) -> None:
    calls = CALLS[group]
    reference, candidate = run_on_both(lambda uri: python_calls(uri, calls), reference=True,
                                       hold_open=True)
    assert candidate == reference
