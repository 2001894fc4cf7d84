"""Benchmark: generated XDR codecs versus the same structures coded by hand
with the standard library's ``xdrlib``.

Run: ``.venv/bin/python bench/bench_xdr.py``.  For each case it times one
encode plus one decode, prints microseconds per round trip for both and the
ratio (how many times faster virtrpc is).  The target is a ratio of at least 3
for every case.  This is a script, not a timed test.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import xdrlib  # deprecated since 3.11, removed in 3.13 (then: pip install standard-xdrlib)

from virtrpc.protocols import remote

UUID = bytes(range(16))


# -- hand-written xdrlib codecs ----------------------------------------------------


def xdrlib_pack_domain(packer: xdrlib.Packer, dom: tuple[str, bytes, int]) -> None:
    packer.pack_string(dom[0].encode())
    packer.pack_fopaque(16, dom[1])
    packer.pack_int(dom[2])


def xdrlib_unpack_domain(unpacker: xdrlib.Unpacker) -> tuple[str, bytes, int]:
    name = unpacker.unpack_string().decode()
    uuid = unpacker.unpack_fopaque(16)
    return name, uuid, unpacker.unpack_int()


def xdrlib_domain(dom: tuple[str, bytes, int]) -> Any:
    packer = xdrlib.Packer()
    xdrlib_pack_domain(packer, dom)
    unpacker = xdrlib.Unpacker(packer.get_buffer())
    value = xdrlib_unpack_domain(unpacker)
    unpacker.done()
    return value


def xdrlib_get_info(info: tuple[int, int, int, int, int]) -> Any:
    packer = xdrlib.Packer()
    packer.pack_uint(info[0])
    packer.pack_uhyper(info[1])
    packer.pack_uhyper(info[2])
    packer.pack_uint(info[3])
    packer.pack_uhyper(info[4])
    unpacker = xdrlib.Unpacker(packer.get_buffer())
    value = (
        unpacker.unpack_uint(),
        unpacker.unpack_uhyper(),
        unpacker.unpack_uhyper(),
        unpacker.unpack_uint(),
        unpacker.unpack_uhyper(),
    )
    unpacker.done()
    return value


def xdrlib_list_all(reply: tuple[list[tuple[str, bytes, int]], int]) -> Any:
    packer = xdrlib.Packer()
    packer.pack_array(reply[0], lambda dom: xdrlib_pack_domain(packer, dom))
    packer.pack_uint(reply[1])
    unpacker = xdrlib.Unpacker(packer.get_buffer())
    domains = unpacker.unpack_array(lambda: xdrlib_unpack_domain(unpacker))
    value = (domains, unpacker.unpack_uint())
    unpacker.done()
    return value


def xdrlib_typed_params(params: list[tuple[str, int, Any]]) -> Any:
    packer = xdrlib.Packer()

    def pack_param(param: tuple[str, int, Any]) -> None:
        field, kind, value = param
        packer.pack_string(field.encode())
        packer.pack_int(kind)
        if kind == 1:
            packer.pack_int(value)
        elif kind == 2:
            packer.pack_uint(value)
        elif kind == 3:
            packer.pack_hyper(value)
        elif kind == 4:
            packer.pack_uhyper(value)
        elif kind == 5:
            packer.pack_double(value)
        elif kind == 6:
            packer.pack_int(value)
        else:
            packer.pack_string(value.encode())

    packer.pack_array(params, pack_param)
    unpacker = xdrlib.Unpacker(packer.get_buffer())

    def unpack_param() -> tuple[str, int, Any]:
        field = unpacker.unpack_string().decode()
        kind = unpacker.unpack_int()
        value: Any
        if kind == 1:
            value = unpacker.unpack_int()
        elif kind == 2:
            value = unpacker.unpack_uint()
        elif kind == 3:
            value = unpacker.unpack_hyper()
        elif kind == 4:
            value = unpacker.unpack_uhyper()
        elif kind == 5:
            value = unpacker.unpack_double()
        elif kind == 6:
            value = unpacker.unpack_int()
        else:
            value = unpacker.unpack_string().decode()
        return field, kind, value

    value = unpacker.unpack_array(unpack_param)
    unpacker.done()
    return value


# -- the same with virtrpc -----------------------------------------------------------


def virtrpc_case(type_name: str) -> Callable[[Any], Any]:
    codec = remote.TYPES[type_name]

    def round_trip(value: Any) -> Any:
        return codec.unpack(codec.pack(value))

    return round_trip


def typed_params() -> tuple[
    list[tuple[str, int, Any]], remote.RemoteDomainGetSchedulerParametersRet
]:
    samples: list[tuple[int, Any]] = [
        (1, -5), (2, 7), (3, -(2**40)), (4, 2**60), (5, 0.5), (6, 1), (7, "a string value"), (4, 12),
    ]  # fmt: skip
    raw = [(f"param.{index}", *samples[index % len(samples)]) for index in range(16)]
    reply = remote.RemoteDomainGetSchedulerParametersRet(
        params=[
            remote.RemoteTypedParam(
                field=field, value=remote.RemoteTypedParamValue(type=kind, value=value)
            )
            for field, kind, value in raw
        ]
    )
    return raw, reply


def measure(function: Callable[[Any], Any], argument: Any, minimum_seconds: float = 0.3) -> float:
    """Best-of-5 microseconds per call."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            function(argument)
        elapsed = time.perf_counter() - start
        if elapsed > minimum_seconds / 5:
            break
        loops *= 2
    best = elapsed
    for _ in range(4):
        start = time.perf_counter()
        for _ in range(loops):
            function(argument)
        best = min(best, time.perf_counter() - start)
    return best / loops * 1e6


def main() -> int:
    domain = ("guest-0001", UUID, 42)
    info = (1, 4194304, 2097152, 4, 123456789012)
    domains = [(f"guest-{index:04}", UUID, index) for index in range(1000)]
    raw_params, params_reply = typed_params()
    cases: list[tuple[str, Callable[[Any], Any], Any, Callable[[Any], Any], Any]] = [
        (
            "remote_nonnull_domain",
            xdrlib_domain, domain,
            virtrpc_case("remote_nonnull_domain"), remote.RemoteNonnullDomain(*domain),
        ),
        (
            "remote_domain_get_info_ret",
            xdrlib_get_info, info,
            virtrpc_case("remote_domain_get_info_ret"), remote.RemoteDomainGetInfoRet(*info),
        ),
        (
            "connect_list_all_domains reply, 1000 domains",
            xdrlib_list_all, (domains, 1000),
            virtrpc_case("remote_connect_list_all_domains_ret"),
            remote.RemoteConnectListAllDomainsRet(
                domains=[remote.RemoteNonnullDomain(*dom) for dom in domains], ret=1000
            ),
        ),
        (
            "16 typed params",
            xdrlib_typed_params, raw_params,
            virtrpc_case("remote_domain_get_scheduler_parameters_ret"), params_reply,
        ),
    ]  # fmt: skip
    print(f"{'case':<46} {'xdrlib us':>10} {'virtrpc us':>11} {'ratio':>7}")
    worst = float("inf")
    for label, hand, hand_value, generated, generated_value in cases:
        hand_time = measure(hand, hand_value)
        generated_time = measure(generated, generated_value)
        ratio = hand_time / generated_time
        worst = min(worst, ratio)
        print(f"{label:<46} {hand_time:>10.2f} {generated_time:>11.2f} {ratio:>6.2f}x")
    print(f"worst ratio {worst:.2f}x (target >= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
