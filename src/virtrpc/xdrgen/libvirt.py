"""libvirt-specific rules of the compiler.

libvirt's ``.x`` files are compiled with a few conventions that are not part
of the RPC language:

* Some constants come from C headers, not from the ``.x`` files
  (:data:`C_HEADER_CONSTANTS`).
* The remote, qemu, lxc, admin, ... files have no ``program`` block.  Their
  procedures are the members of the ``*_procedure`` enum; the argument and
  reply types follow from the member name (``REMOTE_PROC_DOMAIN_GET_INFO`` ->
  ``remote_domain_get_info_args`` / ``remote_domain_get_info_ret``; an event
  ``REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE`` -> ``remote_domain_event_lifecycle_msg``
  and no reply).  When no such type exists, the procedure must be listed in
  :data:`VOID_ARGS` / :data:`VOID_RET` (a stale or missing entry is a compile error, so nothing
  is ever silently generated without arguments).
* The ``/** ... */`` comment above each member carries ``@generate``,
  ``@acl``, ``@aclfilter``, ``@priority``, ``@readstream``, ``@writestream``
  and ``@sparseflag`` annotations.
* File-descriptor passing is hand-coded in libvirt (:data:`FD_PASSING`), and so
  is the stream of one procedure whose annotation lacks ``@writestream``
  (:data:`HAND_CODED_STREAMS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Constants the ``.x`` files use but libvirt defines in its C headers
#: (``libvirt/libvirt-common.h``, ``libvirt-domain.h``...).  The ``*-structs``
#: dumps confirm them.  Callers of the compiler may pass overrides.
C_HEADER_CONSTANTS: Mapping[str, int] = {
    "VIR_UUID_BUFLEN": 16,
    "VIR_SECURITY_MODEL_BUFLEN": 257,
    "VIR_SECURITY_LABEL_BUFLEN": 4097,
    "VIR_SECURITY_DOI_BUFLEN": 257,
    "VIR_TYPED_PARAM_INT": 1,
    "VIR_TYPED_PARAM_UINT": 2,
    "VIR_TYPED_PARAM_LLONG": 3,
    "VIR_TYPED_PARAM_ULLONG": 4,
    "VIR_TYPED_PARAM_DOUBLE": 5,
    "VIR_TYPED_PARAM_BOOLEAN": 6,
    "VIR_TYPED_PARAM_STRING": 7,
}

# Procedures whose arguments and/or reply are void although the naming
# convention would look for a struct (libvirt's gendispatch treats a missing
# struct as void).  The compiler checks these tables against the .x: a
# procedure without its struct that is not listed is an error, and so is a
# listed procedure whose struct exists.  Entries for procedures that a
# release does not have are ignored, so one table serves every release.

#: Procedures that take no arguments (libvirt 9.0.0 and 11.3.0).
VOID_ARGS: frozenset[str] = frozenset(
    {
        "ADMIN_PROC_CONNECT_CLOSE",
        "ADMIN_PROC_CONNECT_GET_LIB_VERSION",
        "KEEPALIVE_PROC_PING",
        "KEEPALIVE_PROC_PONG",
        "REMOTE_PROC_AUTH_LIST",
        "REMOTE_PROC_AUTH_POLKIT",
        "REMOTE_PROC_AUTH_SASL_INIT",
        "REMOTE_PROC_CONNECT_CLOSE",
        "REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER",
        "REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER",
        "REMOTE_PROC_CONNECT_GET_CAPABILITIES",
        "REMOTE_PROC_CONNECT_GET_HOSTNAME",
        "REMOTE_PROC_CONNECT_GET_LIB_VERSION",
        "REMOTE_PROC_CONNECT_GET_TYPE",
        "REMOTE_PROC_CONNECT_GET_URI",
        "REMOTE_PROC_CONNECT_GET_VERSION",
        "REMOTE_PROC_CONNECT_IS_SECURE",
        "REMOTE_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS",
        "REMOTE_PROC_CONNECT_NUM_OF_DEFINED_INTERFACES",
        "REMOTE_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS",
        "REMOTE_PROC_CONNECT_NUM_OF_DEFINED_STORAGE_POOLS",
        "REMOTE_PROC_CONNECT_NUM_OF_DOMAINS",
        "REMOTE_PROC_CONNECT_NUM_OF_INTERFACES",
        "REMOTE_PROC_CONNECT_NUM_OF_NETWORKS",
        "REMOTE_PROC_CONNECT_NUM_OF_NWFILTERS",
        "REMOTE_PROC_CONNECT_NUM_OF_SECRETS",
        "REMOTE_PROC_CONNECT_NUM_OF_STORAGE_POOLS",
        "REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK",
        "REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK",
        "REMOTE_PROC_NODE_GET_FREE_MEMORY",
        "REMOTE_PROC_NODE_GET_INFO",
        "REMOTE_PROC_NODE_GET_SECURITY_MODEL",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_CREATE_LOCKSPACE",
    }
)

#: Procedures whose reply has no body (libvirt 9.0.0 and 11.3.0).
VOID_RET: frozenset[str] = frozenset(
    {
        "ADMIN_PROC_CLIENT_CLOSE",
        "ADMIN_PROC_CONNECT_CLOSE",
        "ADMIN_PROC_CONNECT_DAEMON_SHUTDOWN",
        "ADMIN_PROC_CONNECT_OPEN",
        "ADMIN_PROC_CONNECT_SET_DAEMON_TIMEOUT",
        "ADMIN_PROC_CONNECT_SET_LOGGING_FILTERS",
        "ADMIN_PROC_CONNECT_SET_LOGGING_OUTPUTS",
        "ADMIN_PROC_SERVER_SET_CLIENT_LIMITS",
        "ADMIN_PROC_SERVER_SET_THREADPOOL_PARAMETERS",
        "ADMIN_PROC_SERVER_UPDATE_TLS_FILES",
        "KEEPALIVE_PROC_PING",
        "KEEPALIVE_PROC_PONG",
        "LXC_PROC_DOMAIN_OPEN_NAMESPACE",
        "QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER",
        "REMOTE_PROC_CONNECT_CLOSE",
        "REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY",
        "REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY",
        "REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY",
        "REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY",
        "REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY",
        "REMOTE_PROC_CONNECT_OPEN",
        "REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK",
        "REMOTE_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY",
        "REMOTE_PROC_CONNECT_SET_IDENTITY",
        "REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY",
        "REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK",
        "REMOTE_PROC_DOMAIN_ABORT_JOB",
        "REMOTE_PROC_DOMAIN_ABORT_JOB_FLAGS",
        "REMOTE_PROC_DOMAIN_ADD_IOTHREAD",
        "REMOTE_PROC_DOMAIN_ATTACH_DEVICE",
        "REMOTE_PROC_DOMAIN_ATTACH_DEVICE_FLAGS",
        "REMOTE_PROC_DOMAIN_AUTHORIZED_SSH_KEYS_SET",
        "REMOTE_PROC_DOMAIN_BACKUP_BEGIN",
        "REMOTE_PROC_DOMAIN_BLOCK_COMMIT",
        "REMOTE_PROC_DOMAIN_BLOCK_COPY",
        "REMOTE_PROC_DOMAIN_BLOCK_JOB_ABORT",
        "REMOTE_PROC_DOMAIN_BLOCK_JOB_SET_SPEED",
        "REMOTE_PROC_DOMAIN_BLOCK_PULL",
        "REMOTE_PROC_DOMAIN_BLOCK_REBASE",
        "REMOTE_PROC_DOMAIN_BLOCK_RESIZE",
        "REMOTE_PROC_DOMAIN_CHECKPOINT_DELETE",
        "REMOTE_PROC_DOMAIN_CORE_DUMP",
        "REMOTE_PROC_DOMAIN_CORE_DUMP_WITH_FORMAT",
        "REMOTE_PROC_DOMAIN_CREATE",
        "REMOTE_PROC_DOMAIN_DEL_IOTHREAD",
        "REMOTE_PROC_DOMAIN_DEL_THROTTLE_GROUP",
        "REMOTE_PROC_DOMAIN_DESTROY",
        "REMOTE_PROC_DOMAIN_DESTROY_FLAGS",
        "REMOTE_PROC_DOMAIN_DETACH_DEVICE",
        "REMOTE_PROC_DOMAIN_DETACH_DEVICE_ALIAS",
        "REMOTE_PROC_DOMAIN_DETACH_DEVICE_FLAGS",
        "REMOTE_PROC_DOMAIN_FD_ASSOCIATE",
        "REMOTE_PROC_DOMAIN_FSTRIM",
        "REMOTE_PROC_DOMAIN_GRAPHICS_RELOAD",
        "REMOTE_PROC_DOMAIN_INJECT_NMI",
        "REMOTE_PROC_DOMAIN_MANAGED_SAVE",
        "REMOTE_PROC_DOMAIN_MANAGED_SAVE_DEFINE_XML",
        "REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE",
        "REMOTE_PROC_DOMAIN_MIGRATE_CONFIRM3",
        "REMOTE_PROC_DOMAIN_MIGRATE_CONFIRM3_PARAMS",
        "REMOTE_PROC_DOMAIN_MIGRATE_PERFORM",
        "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL",
        "REMOTE_PROC_DOMAIN_MIGRATE_SET_COMPRESSION_CACHE",
        "REMOTE_PROC_DOMAIN_MIGRATE_SET_MAX_DOWNTIME",
        "REMOTE_PROC_DOMAIN_MIGRATE_SET_MAX_SPEED",
        "REMOTE_PROC_DOMAIN_MIGRATE_START_POST_COPY",
        "REMOTE_PROC_DOMAIN_OPEN_CHANNEL",
        "REMOTE_PROC_DOMAIN_OPEN_CONSOLE",
        "REMOTE_PROC_DOMAIN_OPEN_GRAPHICS",
        "REMOTE_PROC_DOMAIN_OPEN_GRAPHICS_FD",
        "REMOTE_PROC_DOMAIN_PIN_EMULATOR",
        "REMOTE_PROC_DOMAIN_PIN_IOTHREAD",
        "REMOTE_PROC_DOMAIN_PIN_VCPU",
        "REMOTE_PROC_DOMAIN_PIN_VCPU_FLAGS",
        "REMOTE_PROC_DOMAIN_PM_SUSPEND_FOR_DURATION",
        "REMOTE_PROC_DOMAIN_PM_WAKEUP",
        "REMOTE_PROC_DOMAIN_REBOOT",
        "REMOTE_PROC_DOMAIN_RESET",
        "REMOTE_PROC_DOMAIN_RESTORE",
        "REMOTE_PROC_DOMAIN_RESTORE_FLAGS",
        "REMOTE_PROC_DOMAIN_RESTORE_PARAMS",
        "REMOTE_PROC_DOMAIN_RESUME",
        "REMOTE_PROC_DOMAIN_REVERT_TO_SNAPSHOT",
        "REMOTE_PROC_DOMAIN_SAVE",
        "REMOTE_PROC_DOMAIN_SAVE_FLAGS",
        "REMOTE_PROC_DOMAIN_SAVE_IMAGE_DEFINE_XML",
        "REMOTE_PROC_DOMAIN_SAVE_PARAMS",
        "REMOTE_PROC_DOMAIN_SEND_KEY",
        "REMOTE_PROC_DOMAIN_SEND_PROCESS_SIGNAL",
        "REMOTE_PROC_DOMAIN_SET_AUTOSTART",
        "REMOTE_PROC_DOMAIN_SET_AUTOSTART_ONCE",
        "REMOTE_PROC_DOMAIN_SET_BLKIO_PARAMETERS",
        "REMOTE_PROC_DOMAIN_SET_BLOCK_IO_TUNE",
        "REMOTE_PROC_DOMAIN_SET_BLOCK_THRESHOLD",
        "REMOTE_PROC_DOMAIN_SET_GUEST_VCPUS",
        "REMOTE_PROC_DOMAIN_SET_INTERFACE_PARAMETERS",
        "REMOTE_PROC_DOMAIN_SET_IOTHREAD_PARAMS",
        "REMOTE_PROC_DOMAIN_SET_LAUNCH_SECURITY_STATE",
        "REMOTE_PROC_DOMAIN_SET_LIFECYCLE_ACTION",
        "REMOTE_PROC_DOMAIN_SET_MAX_MEMORY",
        "REMOTE_PROC_DOMAIN_SET_MEMORY",
        "REMOTE_PROC_DOMAIN_SET_MEMORY_FLAGS",
        "REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS",
        "REMOTE_PROC_DOMAIN_SET_MEMORY_STATS_PERIOD",
        "REMOTE_PROC_DOMAIN_SET_METADATA",
        "REMOTE_PROC_DOMAIN_SET_NUMA_PARAMETERS",
        "REMOTE_PROC_DOMAIN_SET_PERF_EVENTS",
        "REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS",
        "REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS",
        "REMOTE_PROC_DOMAIN_SET_THROTTLE_GROUP",
        "REMOTE_PROC_DOMAIN_SET_TIME",
        "REMOTE_PROC_DOMAIN_SET_USER_PASSWORD",
        "REMOTE_PROC_DOMAIN_SET_VCPU",
        "REMOTE_PROC_DOMAIN_SET_VCPUS",
        "REMOTE_PROC_DOMAIN_SET_VCPUS_FLAGS",
        "REMOTE_PROC_DOMAIN_SHUTDOWN",
        "REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS",
        "REMOTE_PROC_DOMAIN_SNAPSHOT_DELETE",
        "REMOTE_PROC_DOMAIN_START_DIRTY_RATE_CALC",
        "REMOTE_PROC_DOMAIN_SUSPEND",
        "REMOTE_PROC_DOMAIN_UNDEFINE",
        "REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS",
        "REMOTE_PROC_DOMAIN_UPDATE_DEVICE_FLAGS",
        "REMOTE_PROC_INTERFACE_CHANGE_BEGIN",
        "REMOTE_PROC_INTERFACE_CHANGE_COMMIT",
        "REMOTE_PROC_INTERFACE_CHANGE_ROLLBACK",
        "REMOTE_PROC_INTERFACE_CREATE",
        "REMOTE_PROC_INTERFACE_DESTROY",
        "REMOTE_PROC_INTERFACE_UNDEFINE",
        "REMOTE_PROC_NETWORK_CREATE",
        "REMOTE_PROC_NETWORK_DESTROY",
        "REMOTE_PROC_NETWORK_PORT_DELETE",
        "REMOTE_PROC_NETWORK_PORT_SET_PARAMETERS",
        "REMOTE_PROC_NETWORK_SET_AUTOSTART",
        "REMOTE_PROC_NETWORK_SET_METADATA",
        "REMOTE_PROC_NETWORK_UNDEFINE",
        "REMOTE_PROC_NETWORK_UPDATE",
        "REMOTE_PROC_NODE_DEVICE_CREATE",
        "REMOTE_PROC_NODE_DEVICE_DESTROY",
        "REMOTE_PROC_NODE_DEVICE_DETACH_FLAGS",
        "REMOTE_PROC_NODE_DEVICE_DETTACH",
        "REMOTE_PROC_NODE_DEVICE_RESET",
        "REMOTE_PROC_NODE_DEVICE_RE_ATTACH",
        "REMOTE_PROC_NODE_DEVICE_SET_AUTOSTART",
        "REMOTE_PROC_NODE_DEVICE_UNDEFINE",
        "REMOTE_PROC_NODE_DEVICE_UPDATE",
        "REMOTE_PROC_NODE_SET_MEMORY_PARAMETERS",
        "REMOTE_PROC_NODE_SUSPEND_FOR_DURATION",
        "REMOTE_PROC_NWFILTER_BINDING_DELETE",
        "REMOTE_PROC_NWFILTER_UNDEFINE",
        "REMOTE_PROC_SECRET_SET_VALUE",
        "REMOTE_PROC_SECRET_UNDEFINE",
        "REMOTE_PROC_STORAGE_POOL_BUILD",
        "REMOTE_PROC_STORAGE_POOL_CREATE",
        "REMOTE_PROC_STORAGE_POOL_DELETE",
        "REMOTE_PROC_STORAGE_POOL_DESTROY",
        "REMOTE_PROC_STORAGE_POOL_REFRESH",
        "REMOTE_PROC_STORAGE_POOL_SET_AUTOSTART",
        "REMOTE_PROC_STORAGE_POOL_UNDEFINE",
        "REMOTE_PROC_STORAGE_VOL_DELETE",
        "REMOTE_PROC_STORAGE_VOL_DOWNLOAD",
        "REMOTE_PROC_STORAGE_VOL_RESIZE",
        "REMOTE_PROC_STORAGE_VOL_UPLOAD",
        "REMOTE_PROC_STORAGE_VOL_WIPE",
        "REMOTE_PROC_STORAGE_VOL_WIPE_PATTERN",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_ACQUIRE_RESOURCE",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_CREATE_LOCKSPACE",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_CREATE_RESOURCE",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_DELETE_RESOURCE",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_NEW",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_REGISTER",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_RELEASE_RESOURCE",
        "VIR_LOCK_SPACE_PROTOCOL_PROC_RESTRICT",
    }
)


def void_sides(const_name: str) -> frozenset[str]:
    """The sides ("args", "ret") that are known to be void for a procedure."""
    return frozenset(
        side for side, table in (("args", VOID_ARGS), ("ret", VOID_RET)) if const_name in table
    )


#: Procedures that pass file descriptors alongside the message
#: (libvirt's remote driver and daemon hand-code these).  "send": the client
#: sends fds with the call; "recv": the reply carries fds; "both".
FD_PASSING: Mapping[str, str] = {
    "REMOTE_PROC_DOMAIN_OPEN_GRAPHICS": "send",
    "REMOTE_PROC_DOMAIN_OPEN_GRAPHICS_FD": "recv",
    "REMOTE_PROC_DOMAIN_CREATE_XML_WITH_FILES": "send",
    "REMOTE_PROC_DOMAIN_CREATE_WITH_FILES": "send",
    "REMOTE_PROC_DOMAIN_FD_ASSOCIATE": "send",
    "LXC_PROC_DOMAIN_OPEN_NAMESPACE": "recv",
    "QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES": "both",
    # virtlogd hands the opened log file back to the caller.
    "VIR_LOG_MANAGER_PROTOCOL_PROC_DOMAIN_OPEN_LOG_FILE": "recv",
}

#: Procedures that open a data stream although their ``.x`` annotation does
#: not say so: libvirt's remote driver hand-codes them (``@generate: none``)
#: and creates the stream itself (``remoteDomainMigratePrepareTunnel3Params``
#: calls ``virNetClientStreamNew`` with the call's serial).
HAND_CODED_STREAMS: Mapping[str, str] = {
    "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3_PARAMS": "write",
}

#: Programs whose procedures are one-way messages (no reply).
ONE_WAY_PROGRAMS = frozenset({"KEEPALIVE_PROGRAM"})

#: Module names of libvirt's files (other files: the stem minus "_protocol").
MODULE_NAMES: Mapping[str, str] = {
    "virnetprotocol": "virnet",
    "virkeepaliveprotocol": "keepalive",
    "remote_protocol": "remote",
    "admin_protocol": "admin",
    "qemu_protocol": "qemu",
    "lxc_protocol": "lxc",
    "lock_protocol": "lock",
    "log_protocol": "log",
    "lxc_monitor_protocol": "lxc_monitor",
}

_ANNOTATION_RE = re.compile(r"@(\w+)\s*:\s*(\S.*?)\s*$", re.MULTILINE)


def module_name_for(stem: str) -> str:
    """The Python module name for a ``.x`` file stem."""
    if stem in MODULE_NAMES:
        return MODULE_NAMES[stem]
    for suffix in ("_protocol", "protocol"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    name = re.sub(r"\W", "_", stem)
    return name if name[:1].isalpha() else "x" + name


def parse_annotations(doc: str | None) -> dict[str, list[str]]:
    """``@key: value`` lines of a doc comment (keys may repeat)."""
    result: dict[str, list[str]] = {}
    if doc:
        for line in doc.splitlines():
            line = line.strip().lstrip("/*").strip()
            match = _ANNOTATION_RE.match(line)
            if match:
                result.setdefault(match.group(1), []).append(match.group(2).rstrip("*/ ").strip())
    return result


def is_procedure_enum(name: str) -> bool:
    """Whether an enum lists a program's procedures (``remote_procedure``...)."""
    return name.endswith("_procedure") or name.endswith("Procedure")


def type_base(enum_name: str, member_suffix: str) -> tuple[str, str]:
    """The type-name stem of a procedure and the style of its suffixes.

    ``("remote_procedure", "DOMAIN_GET_INFO")`` -> ``("remote_domain_get_info", "snake")``;
    ``("virLockSpaceProtocolProcedure", "NEW")`` -> ``("virLockSpaceProtocolNew", "camel")``.
    """
    if enum_name.endswith("_procedure"):
        return enum_name[: -len("procedure")] + member_suffix.lower(), "snake"
    prefix = enum_name[: -len("Procedure")]
    camel = "".join(part.capitalize() for part in member_suffix.lower().split("_"))
    return prefix + camel, "camel"


def suffixed(base: str, style: str, role: str) -> str:
    """``base`` + ``_args``/``_ret``/``_msg`` (snake) or ``Args``/``Ret``/``Msg`` (camel)."""
    return f"{base}_{role}" if style == "snake" else base + role.capitalize()
