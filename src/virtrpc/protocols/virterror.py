# GENERATED FILE - DO NOT EDIT.
# Source: /usr/include/libvirt/virterror.h (sha256 202b18e477b3186c665bf8849e8c4b10d97f51de0ae5b26ac7d7699838845164)
# Regenerate: python tools/gen_virterror.py --header /usr/include/libvirt/virterror.h --output src/virtrpc/protocols/virterror.py
"""libvirt error codes, domains and levels (from ``virterror.h``).

Values a daemon newer than this header sends are not members; use
:func:`code_name`, :func:`domain_name` and :func:`level_name`, which never fail.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ErrorDomain", "ErrorLevel", "ErrorNumber", "code_name", "domain_name", "level_name"]


class ErrorNumber(IntEnum):
    """Error codes (``virErrorNumber``): the ``code`` field."""

    VIR_ERR_OK = 0
    #: internal error
    VIR_ERR_INTERNAL_ERROR = 1
    #: memory allocation failure
    VIR_ERR_NO_MEMORY = 2
    #: no support for this function
    VIR_ERR_NO_SUPPORT = 3
    #: could not resolve hostname
    VIR_ERR_UNKNOWN_HOST = 4
    #: can't connect to hypervisor
    VIR_ERR_NO_CONNECT = 5
    #: invalid connection object
    VIR_ERR_INVALID_CONN = 6
    #: invalid domain object
    VIR_ERR_INVALID_DOMAIN = 7
    #: invalid function argument
    VIR_ERR_INVALID_ARG = 8
    #: a command to hypervisor failed
    VIR_ERR_OPERATION_FAILED = 9
    #: a HTTP GET command to failed
    VIR_ERR_GET_FAILED = 10
    #: a HTTP POST command to failed
    VIR_ERR_POST_FAILED = 11
    #: unexpected HTTP error code
    VIR_ERR_HTTP_ERROR = 12
    #: failure to serialize an S-Expr
    VIR_ERR_SEXPR_SERIAL = 13
    #: could not open Xen hypervisor control
    VIR_ERR_NO_XEN = 14
    #: failure doing an hypervisor call
    VIR_ERR_XEN_CALL = 15
    #: unknown OS type
    VIR_ERR_OS_TYPE = 16
    #: missing kernel information
    VIR_ERR_NO_KERNEL = 17
    #: missing root device information
    VIR_ERR_NO_ROOT = 18
    #: missing source device information
    VIR_ERR_NO_SOURCE = 19
    #: missing target device information
    VIR_ERR_NO_TARGET = 20
    #: missing domain name information
    VIR_ERR_NO_NAME = 21
    #: missing domain OS information
    VIR_ERR_NO_OS = 22
    #: missing domain devices information
    VIR_ERR_NO_DEVICE = 23
    #: could not open Xen Store control
    VIR_ERR_NO_XENSTORE = 24
    #: too many drivers registered
    VIR_ERR_DRIVER_FULL = 25
    #: not supported by the drivers (DEPRECATED)
    VIR_ERR_CALL_FAILED = 26
    #: an XML description is not well formed or broken
    VIR_ERR_XML_ERROR = 27
    #: the domain already exist
    VIR_ERR_DOM_EXIST = 28
    #: operation forbidden on read-only connections
    VIR_ERR_OPERATION_DENIED = 29
    #: failed to open a conf file
    VIR_ERR_OPEN_FAILED = 30
    #: failed to read a conf file
    VIR_ERR_READ_FAILED = 31
    #: failed to parse a conf file
    VIR_ERR_PARSE_FAILED = 32
    #: failed to parse the syntax of a conf file
    VIR_ERR_CONF_SYNTAX = 33
    #: failed to write a conf file
    VIR_ERR_WRITE_FAILED = 34
    #: detail of an XML error
    VIR_ERR_XML_DETAIL = 35
    #: invalid network object
    VIR_ERR_INVALID_NETWORK = 36
    #: the network already exist
    VIR_ERR_NETWORK_EXIST = 37
    #: general system call failure
    VIR_ERR_SYSTEM_ERROR = 38
    #: some sort of RPC error
    VIR_ERR_RPC = 39
    #: error from a GNUTLS call
    VIR_ERR_GNUTLS_ERROR = 40
    #: failed to start network
    VIR_WAR_NO_NETWORK = 41
    #: domain not found or unexpectedly disappeared
    VIR_ERR_NO_DOMAIN = 42
    #: network not found
    VIR_ERR_NO_NETWORK = 43
    #: invalid MAC address
    VIR_ERR_INVALID_MAC = 44
    #: authentication failed
    VIR_ERR_AUTH_FAILED = 45
    #: invalid storage pool object
    VIR_ERR_INVALID_STORAGE_POOL = 46
    #: invalid storage vol object
    VIR_ERR_INVALID_STORAGE_VOL = 47
    #: failed to start storage
    VIR_WAR_NO_STORAGE = 48
    #: storage pool not found
    VIR_ERR_NO_STORAGE_POOL = 49
    #: storage volume not found
    VIR_ERR_NO_STORAGE_VOL = 50
    #: failed to start node driver
    VIR_WAR_NO_NODE = 51
    #: invalid node device object
    VIR_ERR_INVALID_NODE_DEVICE = 52
    #: node device not found
    VIR_ERR_NO_NODE_DEVICE = 53
    #: security model not found
    VIR_ERR_NO_SECURITY_MODEL = 54
    #: operation is not applicable at this time
    VIR_ERR_OPERATION_INVALID = 55
    #: failed to start interface driver
    VIR_WAR_NO_INTERFACE = 56
    #: interface driver not running
    VIR_ERR_NO_INTERFACE = 57
    #: invalid interface object
    VIR_ERR_INVALID_INTERFACE = 58
    #: more than one matching interface found
    VIR_ERR_MULTIPLE_INTERFACES = 59
    #: failed to start nwfilter driver
    VIR_WAR_NO_NWFILTER = 60
    #: invalid nwfilter object
    VIR_ERR_INVALID_NWFILTER = 61
    #: nw filter pool not found
    VIR_ERR_NO_NWFILTER = 62
    #: nw filter pool not found
    VIR_ERR_BUILD_FIREWALL = 63
    #: failed to start secret storage
    VIR_WAR_NO_SECRET = 64
    #: invalid secret
    VIR_ERR_INVALID_SECRET = 65
    #: secret not found
    VIR_ERR_NO_SECRET = 66
    #: unsupported configuration construct
    VIR_ERR_CONFIG_UNSUPPORTED = 67
    #: timeout occurred during operation
    VIR_ERR_OPERATION_TIMEOUT = 68
    #: a migration worked, but making the VM persist on the dest host failed
    VIR_ERR_MIGRATE_PERSIST_FAILED = 69
    #: a synchronous hook script failed
    VIR_ERR_HOOK_SCRIPT_FAILED = 70
    #: invalid domain snapshot
    VIR_ERR_INVALID_DOMAIN_SNAPSHOT = 71
    #: domain snapshot not found
    VIR_ERR_NO_DOMAIN_SNAPSHOT = 72
    #: stream pointer not valid
    VIR_ERR_INVALID_STREAM = 73
    #: valid API use but unsupported by the given driver
    VIR_ERR_ARGUMENT_UNSUPPORTED = 74
    #: storage pool probe failed
    VIR_ERR_STORAGE_PROBE_FAILED = 75
    #: storage pool already built
    VIR_ERR_STORAGE_POOL_BUILT = 76
    #: force was not requested for a risky domain snapshot revert
    VIR_ERR_SNAPSHOT_REVERT_RISKY = 77
    #: operation on a domain was canceled/aborted by user
    VIR_ERR_OPERATION_ABORTED = 78
    #: authentication cancelled
    VIR_ERR_AUTH_CANCELLED = 79
    #: The metadata is not present
    VIR_ERR_NO_DOMAIN_METADATA = 80
    #: Migration is not safe
    VIR_ERR_MIGRATE_UNSAFE = 81
    #: integer overflow
    VIR_ERR_OVERFLOW = 82
    #: action prevented by block copy job
    VIR_ERR_BLOCK_COPY_ACTIVE = 83
    #: The requested operation is not supported
    VIR_ERR_OPERATION_UNSUPPORTED = 84
    #: error in ssh transport driver
    VIR_ERR_SSH = 85
    #: guest agent is unresponsive, not running or not usable
    VIR_ERR_AGENT_UNRESPONSIVE = 86
    #: resource is already in use
    VIR_ERR_RESOURCE_BUSY = 87
    #: operation on the object/resource was denied
    VIR_ERR_ACCESS_DENIED = 88
    #: error from a dbus service
    VIR_ERR_DBUS_SERVICE = 89
    #: the storage vol already exists
    VIR_ERR_STORAGE_VOL_EXIST = 90
    #: given CPU is incompatible with host CPU
    VIR_ERR_CPU_INCOMPATIBLE = 91
    #: XML document doesn't validate against schema
    VIR_ERR_XML_INVALID_SCHEMA = 92
    #: Finish API succeeded but it is expected to return NULL
    VIR_ERR_MIGRATE_FINISH_OK = 93
    #: authentication unavailable
    VIR_ERR_AUTH_UNAVAILABLE = 94
    #: Server was not found
    VIR_ERR_NO_SERVER = 95
    #: Client was not found
    VIR_ERR_NO_CLIENT = 96
    #: guest agent replies with wrong id to guest-sync command (DEPRECATED)
    VIR_ERR_AGENT_UNSYNCED = 97
    #: error in libssh transport driver
    VIR_ERR_LIBSSH = 98
    #: fail to find the desired device
    VIR_ERR_DEVICE_MISSING = 99
    #: invalid nwfilter binding
    VIR_ERR_INVALID_NWFILTER_BINDING = 100
    #: no nwfilter binding
    VIR_ERR_NO_NWFILTER_BINDING = 101
    #: invalid domain checkpoint
    VIR_ERR_INVALID_DOMAIN_CHECKPOINT = 102
    #: domain checkpoint not found
    VIR_ERR_NO_DOMAIN_CHECKPOINT = 103
    #: domain backup job id not found
    VIR_ERR_NO_DOMAIN_BACKUP = 104
    #: invalid network port object
    VIR_ERR_INVALID_NETWORK_PORT = 105
    #: the network port already exist
    VIR_ERR_NETWORK_PORT_EXIST = 106
    #: network port not found
    VIR_ERR_NO_NETWORK_PORT = 107
    #: no domain's hostname found
    VIR_ERR_NO_HOSTNAME = 108
    #: checkpoint can't be used
    VIR_ERR_CHECKPOINT_INCONSISTENT = 109
    #: more than one matching domain found
    VIR_ERR_MULTIPLE_DOMAINS = 110


class ErrorDomain(IntEnum):
    """Where an error comes from (``virErrorDomain``): the ``domain`` field."""

    VIR_FROM_NONE = 0
    #: Error at Xen hypervisor layer
    VIR_FROM_XEN = 1
    #: Error at connection with xend daemon
    VIR_FROM_XEND = 2
    #: Error at connection with xen store
    VIR_FROM_XENSTORE = 3
    #: Error in the S-Expression code
    VIR_FROM_SEXPR = 4
    #: Error in the XML code
    VIR_FROM_XML = 5
    #: Error when operating on a domain
    VIR_FROM_DOM = 6
    #: Error in the XML-RPC code
    VIR_FROM_RPC = 7
    #: Error in the proxy code; unused since 0.8.6
    VIR_FROM_PROXY = 8
    #: Error in the configuration file handling
    VIR_FROM_CONF = 9
    #: Error at the QEMU daemon
    VIR_FROM_QEMU = 10
    #: Error when operating on a network
    VIR_FROM_NET = 11
    #: Error from test driver
    VIR_FROM_TEST = 12
    #: Error from remote driver
    VIR_FROM_REMOTE = 13
    #: Error from OpenVZ driver
    VIR_FROM_OPENVZ = 14
    #: Error at Xen XM layer
    VIR_FROM_XENXM = 15
    #: Error in the Linux Stats code
    VIR_FROM_STATS_LINUX = 16
    #: Error from Linux Container driver
    VIR_FROM_LXC = 17
    #: Error from storage driver
    VIR_FROM_STORAGE = 18
    #: Error from network config
    VIR_FROM_NETWORK = 19
    #: Error from domain config
    VIR_FROM_DOMAIN = 20
    #: Error at the UML driver; unused since 5.0.0
    VIR_FROM_UML = 21
    #: Error from node device monitor
    VIR_FROM_NODEDEV = 22
    #: Error from xen inotify layer
    VIR_FROM_XEN_INOTIFY = 23
    #: Error from security framework
    VIR_FROM_SECURITY = 24
    #: Error from VirtualBox driver
    VIR_FROM_VBOX = 25
    #: Error when operating on an interface
    VIR_FROM_INTERFACE = 26
    #: The OpenNebula driver no longer exists. Retained for ABI/API compat only
    VIR_FROM_ONE = 27
    #: Error from ESX driver
    VIR_FROM_ESX = 28
    #: Error from the phyp driver, unused since 6.0.0
    VIR_FROM_PHYP = 29
    #: Error from secret storage
    VIR_FROM_SECRET = 30
    #: Error from CPU driver
    VIR_FROM_CPU = 31
    #: Error from XenAPI
    VIR_FROM_XENAPI = 32
    #: Error from network filter driver
    VIR_FROM_NWFILTER = 33
    #: Error from Synchronous hooks
    VIR_FROM_HOOK = 34
    #: Error from domain snapshot
    VIR_FROM_DOMAIN_SNAPSHOT = 35
    #: Error from auditing subsystem
    VIR_FROM_AUDIT = 36
    #: Error from sysinfo/SMBIOS
    VIR_FROM_SYSINFO = 37
    #: Error from I/O streams
    VIR_FROM_STREAMS = 38
    #: Error from VMware driver
    VIR_FROM_VMWARE = 39
    #: Error from event loop impl
    VIR_FROM_EVENT = 40
    #: Error from libxenlight driver
    VIR_FROM_LIBXL = 41
    #: Error from lock manager
    VIR_FROM_LOCKING = 42
    #: Error from Hyper-V driver
    VIR_FROM_HYPERV = 43
    #: Error from capabilities
    VIR_FROM_CAPABILITIES = 44
    #: Error from URI handling
    VIR_FROM_URI = 45
    #: Error from auth handling
    VIR_FROM_AUTH = 46
    #: Error from DBus
    VIR_FROM_DBUS = 47
    #: Error from Parallels
    VIR_FROM_PARALLELS = 48
    #: Error from Device
    VIR_FROM_DEVICE = 49
    #: Error from libssh2 connection transport
    VIR_FROM_SSH = 50
    #: Error from lockspace
    VIR_FROM_LOCKSPACE = 51
    #: Error from initctl device communication
    VIR_FROM_INITCTL = 52
    #: Error from identity code
    VIR_FROM_IDENTITY = 53
    #: Error from cgroups
    VIR_FROM_CGROUP = 54
    #: Error from access control manager
    VIR_FROM_ACCESS = 55
    #: Error from systemd code
    VIR_FROM_SYSTEMD = 56
    #: Error from bhyve driver
    VIR_FROM_BHYVE = 57
    #: Error from crypto code
    VIR_FROM_CRYPTO = 58
    #: Error from firewall
    VIR_FROM_FIREWALL = 59
    #: Error from polkit code
    VIR_FROM_POLKIT = 60
    #: Error from thread utils
    VIR_FROM_THREAD = 61
    #: Error from admin backend
    VIR_FROM_ADMIN = 62
    #: Error from log manager
    VIR_FROM_LOGGING = 63
    #: Error from Xen xl config code
    VIR_FROM_XENXL = 64
    #: Error from perf
    VIR_FROM_PERF = 65
    #: Error from libssh connection transport
    VIR_FROM_LIBSSH = 66
    #: Error from resource control
    VIR_FROM_RESCTRL = 67
    #: Error from firewalld
    VIR_FROM_FIREWALLD = 68
    #: Error from domain checkpoint
    VIR_FROM_DOMAIN_CHECKPOINT = 69
    #: Error from TPM
    VIR_FROM_TPM = 70
    #: Error from BPF code
    VIR_FROM_BPF = 71
    #: Error from Cloud-Hypervisor driver
    VIR_FROM_CH = 72


class ErrorLevel(IntEnum):
    """Severity (``virErrorLevel``): the ``level`` field."""

    VIR_ERR_NONE = 0
    #: A simple warning
    VIR_ERR_WARNING = 1
    #: An error
    VIR_ERR_ERROR = 2


def code_name(code: int) -> str:
    """``VIR_ERR_*`` name of an error code; ``VIR_ERR_UNKNOWN_<n>`` if unknown."""
    try:
        return ErrorNumber(code).name
    except ValueError:
        return f"VIR_ERR_UNKNOWN_{code}"


def domain_name(domain: int) -> str:
    """``VIR_FROM_*`` name of an error domain; ``VIR_FROM_UNKNOWN_<n>`` if unknown."""
    try:
        return ErrorDomain(domain).name
    except ValueError:
        return f"VIR_FROM_UNKNOWN_{domain}"


def level_name(level: int) -> str:
    """``VIR_ERR_NONE`` / ``VIR_ERR_WARNING`` / ``VIR_ERR_ERROR``; ``VIR_ERR_LEVEL_<n>`` if unknown."""
    try:
        return ErrorLevel(level).name
    except ValueError:
        return f"VIR_ERR_LEVEL_{level}"
