"""How libvirtd's test driver refuses: flags it does not know, procedures
it lacks, typed parameters it does not take (worded as libvirt words them).
``check_flags`` (virCheckFlags) is common.py's, re-exported here."""

from __future__ import annotations

from virtrpc.protocols import remote
from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault
from virtrpc.server.program import not_supported
from virtrpc.testdriver.common import check_flags as check_flags  # re-exported: refusals
from virtrpc.testdriver.common import fault

# virTypedParameterType names, by value (virtypedparam.c).
TYPED_PARAM_TYPE_NAMES = (
    "unknown",
    "int",
    "uint",
    "llong",
    "ullong",
    "double",
    "boolean",
    "string",
)


def no_support(procedure_name: str) -> RpcFault:
    """What libvirtd answers for a procedure its test driver lacks."""
    return not_supported(procedure_name)


def daemon_error(message: str) -> RpcFault:
    """A check libvirtd's dispatch code makes before the driver runs
    (``internal error: nparams too large``...)."""
    return RpcFault(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, f"internal error: {message}")


def api_error(message: str) -> RpcFault:
    """An argument check of libvirt's public API (``info in virDomainGetVcpus
    must not be NULL``...), made in libvirtd before the driver runs."""
    return RpcFault(ErrorCode.INVALID_ARG, ErrorDomain.DOMAIN, message)


def check_nparams(nparams: int, bound_name: str) -> None:
    """libvirtd's check of a typed-parameter getter's ``nparams``."""
    if nparams < 0:
        raise daemon_error("nparams must be non-negative")
    if nparams > getattr(remote, bound_name):
        raise daemon_error("nparams too large")


def validate_typed_params(params: list[remote.RemoteTypedParam], allowed: dict[str, int]) -> None:
    """``virTypedParamsValidate``: each allowed field at most once, with its
    type; the first field (in sorted order) that is not allowed is refused."""
    seen: set[str] = set()
    for param in sorted(params, key=lambda p: p.field.encode()):
        expected = allowed.get(param.field)
        if expected is None:
            raise fault(
                ErrorCode.ARGUMENT_UNSUPPORTED,
                ErrorDomain.NONE,
                f"argument unsupported: parameter '{param.field}' not supported",
            )
        if param.field in seen:
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.NONE,
                f"invalid argument: parameter '{param.field}' occurs multiple times",
            )
        kind = param.value.type
        if kind != expected:
            names = TYPED_PARAM_TYPE_NAMES
            given = names[kind] if 0 <= kind < len(names) else names[0]
            raise fault(
                ErrorCode.INVALID_ARG,
                ErrorDomain.NONE,
                f"invalid argument: invalid type '{given}' for parameter "
                f"'{param.field}', expected '{names[expected]}'",
            )
        seen.add(param.field)
