"""Where libvirt-python puts each C function: its class and method name.

libvirt-python's naming is regular with a handful of historical exceptions;
this module states the rules (checked against the real libvirt-python by
tests/test_libvirt_apigen.py):

* the method belongs to the class of the C function's first argument
  (``virDomainSnapshotNum(virDomainPtr, ...)`` is ``virDomain.snapshotNum``);
  functions without an object argument are module functions;
* the name is the C name without its object prefix, first letter lowered,
  a leading ``Get`` dropped except on virConnect, virDomainSnapshot and
  virDomainCheckpoint;
* a function whose prefix names another object than its class (a lookup or a
  creation, ``virNetworkLookupByName(virConnectPtr, ...)``) keeps that object
  in the name (``networkLookupByName``), except domains on virConnect;
* names starting with an acronym keep it upper case (``UUIDString``).
"""

from __future__ import annotations

__all__ = ["CLASSES", "MODULE", "OBJECT_TYPES", "PARAM_DEFAULTS", "PARAM_RENAMES", "python_name"]

MODULE = "libvirt"

#: C object type -> Python class, longest C prefixes first.
OBJECT_TYPES: dict[str, str] = {
    "virDomainCheckpointPtr": "virDomainCheckpoint",
    "virDomainSnapshotPtr": "virDomainSnapshot",
    "virDomainPtr": "virDomain",
    "virNetworkPortPtr": "virNetworkPort",
    "virNetworkPtr": "virNetwork",
    "virInterfacePtr": "virInterface",
    "virStoragePoolPtr": "virStoragePool",
    "virStorageVolPtr": "virStorageVol",
    "virNodeDevicePtr": "virNodeDevice",
    "virSecretPtr": "virSecret",
    "virNWFilterBindingPtr": "virNWFilterBinding",
    "virNWFilterPtr": "virNWFilter",
    "virStreamPtr": "virStream",
    "virConnectPtr": "virConnect",
}

CLASSES = tuple(OBJECT_TYPES.values())

#: C name prefixes, longest first: the object a function's name talks about.
_PREFIXES = tuple(sorted([c for c in CLASSES] + ["virNode", "virConn"], key=len, reverse=True))

#: C functions libvirt-python does not expose: memory management, error
#: plumbing replaced by exceptions, typed-parameter helpers, free functions
#: of C structs.
SKIPPED_PREFIXES = ("virTypedParam",)
SKIPPED = frozenset(
    {
        "virCopyLastError", "virDefaultErrorFunc", "virFreeError", "virSaveLastError",
        "virResetError", "virConnCopyLastError", "virConnSetErrorFunc",
        "virNetworkDHCPLeaseFree", "virDomainStatsRecordListFree", "virDomainFSInfoFree",
        "virDomainIOThreadInfoFree", "virDomainInterfaceFree", "virConnectRef",
    }
)

#: Functions whose Python home or name the rules cannot derive.
SPECIAL: dict[str, tuple[str, str]] = {
    "virConnectOpen": (MODULE, "open"),
    "virConnectOpenReadOnly": (MODULE, "openReadOnly"),
    "virConnectOpenAuth": (MODULE, "openAuth"),
    "virGetVersion": (MODULE, "getVersion"),
    "virSetErrorFunc": (MODULE, "registerErrorHandler"),
    "virConnGetLastError": ("virConnect", "virConnGetLastError"),
    "virConnResetLastError": ("virConnect", "virConnResetLastError"),
    "virConnectListDomains": ("virConnect", "listDomainsID"),
    "virConnectListAllNodeDevices": ("virConnect", "listAllDevices"),
    "virDomainListGetStats": ("virConnect", "domainListGetStats"),
    "virStorageVolCreateXML": ("virStoragePool", "createXML"),
    "virStorageVolCreateXMLFrom": ("virStoragePool", "createXMLFrom"),
    "virDomainSnapshotCreateXML": ("virDomain", "snapshotCreateXML"),
    "virDomainCheckpointCreateXML": ("virDomain", "checkpointCreateXML"),
    "virNetworkPortCreateXML": ("virNetwork", "portCreateXML"),
    "virDomainRevertToSnapshot": ("virDomain", "revertToSnapshot"),
    "virStreamNew": ("virConnect", "newStream"),
}

#: Names whose leading acronym stays upper case, and odd spellings kept.
_CASE_FIXES = {
    "iD": "ID", "uUID": "UUID", "uUIDString": "UUIDString", "oSType": "OSType",
    "xMLDesc": "XMLDesc", "mACString": "MACString", "fDAssociate": "FDAssociate",
    "dHCPLeases": "DHCPLeases", "fSFreeze": "fsFreeze", "fSThaw": "fsThaw",
    "fSInfo": "fsInfo", "iOThreadInfo": "ioThreadInfo",
}

#: Object prefixes as they appear inside a method name.
_INNER_PREFIX = {
    "virNWFilter": "nwfilter", "virNWFilterBinding": "nwfilterBinding",
    "virDomainSnapshot": "snapshot", "virDomainCheckpoint": "checkpoint",
    "virNetworkPort": "port", "virDomain": "",
}


def _owner(function_args: tuple[str, ...]) -> str | None:
    return OBJECT_TYPES.get(function_args[0]) if function_args else None


def python_name(cname: str, arg_types: tuple[str, ...]) -> tuple[str, str] | None:
    """``(class or "libvirt", method)`` for C function ``cname``, or None
    when libvirt-python does not expose it."""
    if cname in SKIPPED or cname.startswith(SKIPPED_PREFIXES):
        return None
    if cname in SPECIAL:
        return SPECIAL[cname]
    if cname.startswith("virEvent"):
        return (MODULE, cname)
    if cname in {"virGetLastError", "virGetLastErrorMessage", "virGetLastErrorCode",
                 "virGetLastErrorDomain", "virResetLastError", "virInitialize"}:
        return (MODULE, cname)
    prefix = next((p for p in _PREFIXES if cname.startswith(p)), None)
    owner = _owner(arg_types)
    if prefix is None or owner is None:
        return (MODULE, cname[3:4].lower() + cname[4:])
    rest = cname[len(prefix):]
    if prefix in ("virNode", "virConn"):
        prefix = "virConnect"
    if rest in ("Free", "Ref"):
        return None
    if rest in ("GetConnect", "GetDomain", "GetNetwork") and prefix == owner:
        return None
    keeps_get = owner in ("virConnect", "virDomainSnapshot", "virDomainCheckpoint")
    if rest.startswith("Get") and not keeps_get and rest not in ("GetCPUStats", "GetTime"):
        rest = rest[3:]
    if rest.startswith("Change") and prefix == "virInterface":
        return ("virConnect", rest[0].lower() + rest[1:])
    if prefix != owner:
        inner = _INNER_PREFIX.get(prefix, prefix[3:4].lower() + prefix[4:])
        name = inner + rest if inner else rest
    else:
        name = rest
    name = name.replace("ListNodeDevices", "ListDevices")
    name = name[:1].lower() + name[1:]
    name = _CASE_FIXES.get(name, name)
    if owner == "virNetwork":
        name = name.replace("dHCP", "DHCP")
    return (owner, name)


#: Default values libvirt-python gives parameters, by name; a default is
#: given only when every later parameter has one too.
PARAM_DEFAULTS = {"flags": "0"}
#: ...and per function, for the ones whose every argument is optional.
FUNCTION_DEFAULTS = {
    "virConnectGetDomainCapabilities": {"emulatorbin": "None", "arch": "None",
                                        "machine": "None", "virttype": "None"},
    "virDomainSaveFlags": {"dxml": "None"},
    "virDomainRestoreFlags": {"dxml": "None"},
    "virDomainBlockCommit": {"bandwidth": "0"},
    "virDomainBlockPull": {"bandwidth": "0"},
    "virDomainBlockRebase": {"bandwidth": "0"},
}
#: Parameters libvirt-python names differently from the C argument.
PARAM_RENAMES = {"virDomainRevertToSnapshot": {"snapshot": "snap"}}
