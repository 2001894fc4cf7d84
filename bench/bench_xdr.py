"""Benchmark: generated XDR codecs versus the same structures coded by hand
with the standard library's ``xdrlib``.

Run: ``.venv/bin/python bench/bench_xdr.py``.  For each case it times one
encode plus one decode and prints microseconds per round trip and the ratio
(how many times faster virtrpc is), then the ratios of encoding and decoding
alone.  The target is a round-trip ratio of at least 3 for every case.  This
is a script, not a timed test.

Two hand-written baselines are timed:

* ``xdrlib`` (the ratio that counts): a ``Packer``/``Unpacker`` subclass with
  one method per type, written the way xdrlib is meant to be used (methods
  passed straight to ``pack_array``/``unpack_array``, ``unpack_string()``
  then ``.decode()``), encoding the same generated objects and decoding into
  the same generated classes, so both sides do the same work and produce the
  same values (the bench asserts equal bytes and equal values);
* ``xdrlib->tuples`` (for information): hand code decoding into plain
  tuples, which skips building objects (a Python ``__init__`` call costs
  about as much as decoding a small struct).

Measurements alternate between the two sides so load from other processes
hits both alike; each number is the best of several rounds of thread CPU
time (``time.thread_time``: time spent descheduled on a shared machine
counts for neither side).
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


# -- hand-written xdrlib codecs producing the generated classes ---------------------
# Written the way xdrlib is meant to be used (the stdlib documentation and
# rpcgen-style Python code): one Packer/Unpacker subclass with a method per
# type, methods passed straight to pack_array/unpack_array (no lambdas).


class RemotePacker(xdrlib.Packer):
    """Hand-written encoders for the benchmarked types."""

    def pack_nonnull_domain(self, dom: remote.RemoteNonnullDomain) -> None:
        self.pack_string(dom.name.encode())
        self.pack_fopaque(16, dom.uuid)
        self.pack_int(dom.id)

    def pack_get_info_ret(self, info: remote.RemoteDomainGetInfoRet) -> None:
        self.pack_uint(info.state)
        self.pack_uhyper(info.maxMem)
        self.pack_uhyper(info.memory)
        self.pack_uint(info.nrVirtCpu)
        self.pack_uhyper(info.cpuTime)

    def pack_list_all_ret(self, reply: remote.RemoteConnectListAllDomainsRet) -> None:
        self.pack_array(reply.domains, self.pack_nonnull_domain)
        self.pack_uint(reply.ret)

    def pack_typed_param(self, param: remote.RemoteTypedParam) -> None:
        self.pack_string(param.field.encode())
        kind = param.value.type
        value: Any = param.value.value  # the arm's type depends on kind
        self.pack_int(kind)
        if kind == 1:
            self.pack_int(value)
        elif kind == 2:
            self.pack_uint(value)
        elif kind == 3:
            self.pack_hyper(value)
        elif kind == 4:
            self.pack_uhyper(value)
        elif kind == 5:
            self.pack_double(value)
        elif kind == 6:
            self.pack_int(value)
        else:
            self.pack_string(value.encode())

    def pack_params_ret(self, reply: remote.RemoteDomainGetSchedulerParametersRet) -> None:
        self.pack_array(reply.params, self.pack_typed_param)


class RemoteUnpacker(xdrlib.Unpacker):
    """Hand-written decoders building the generated classes."""

    def unpack_nonnull_domain(self) -> remote.RemoteNonnullDomain:
        return remote.RemoteNonnullDomain(
            self.unpack_string().decode(), self.unpack_fopaque(16), self.unpack_int()
        )

    def unpack_get_info_ret(self) -> remote.RemoteDomainGetInfoRet:
        return remote.RemoteDomainGetInfoRet(
            self.unpack_uint(),
            self.unpack_uhyper(),
            self.unpack_uhyper(),
            self.unpack_uint(),
            self.unpack_uhyper(),
        )

    def unpack_list_all_ret(self) -> remote.RemoteConnectListAllDomainsRet:
        domains = self.unpack_array(self.unpack_nonnull_domain)
        return remote.RemoteConnectListAllDomainsRet(domains, self.unpack_uint())

    def unpack_typed_param(self) -> remote.RemoteTypedParam:
        field = self.unpack_string().decode()
        kind = self.unpack_int()
        value: Any
        if kind == 1:
            value = self.unpack_int()
        elif kind == 2:
            value = self.unpack_uint()
        elif kind == 3:
            value = self.unpack_hyper()
        elif kind == 4:
            value = self.unpack_uhyper()
        elif kind == 5:
            value = self.unpack_double()
        elif kind == 6:
            value = self.unpack_int()
        else:
            value = self.unpack_string().decode()
        return remote.RemoteTypedParam(field, remote.RemoteTypedParamValue(kind, value))

    def unpack_params_ret(self) -> remote.RemoteDomainGetSchedulerParametersRet:
        return remote.RemoteDomainGetSchedulerParametersRet(
            self.unpack_array(self.unpack_typed_param)
        )


#: bench case -> (RemotePacker method, RemoteUnpacker method)
XDRLIB_METHODS = {
    "remote_nonnull_domain": ("pack_nonnull_domain", "unpack_nonnull_domain"),
    "remote_domain_get_info_ret": ("pack_get_info_ret", "unpack_get_info_ret"),
    "remote_connect_list_all_domains_ret": ("pack_list_all_ret", "unpack_list_all_ret"),
    "remote_domain_get_scheduler_parameters_ret": ("pack_params_ret", "unpack_params_ret"),
}


def xdrlib_codec(type_name: str) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """Encode and decode functions doing by hand with xdrlib what virtrpc does."""
    pack_name, unpack_name = XDRLIB_METHODS[type_name]
    pack_method = getattr(RemotePacker, pack_name)
    unpack_method = getattr(RemoteUnpacker, unpack_name)

    def encode(value: Any) -> bytes:
        packer = RemotePacker()
        pack_method(packer, value)
        return packer.get_buffer()

    def decode(data: bytes) -> Any:
        unpacker = RemoteUnpacker(data)
        value = unpack_method(unpacker)
        unpacker.done()
        return value

    return encode, decode


# -- the same with virtrpc -----------------------------------------------------------


def virtrpc_codec(type_name: str) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    codec = remote.TYPES[type_name]
    return codec.pack, codec.unpack


def round_trip(
    codec: tuple[Callable[[Any], bytes], Callable[[bytes], Any]],
) -> Callable[[Any], Any]:
    encode, decode = codec

    def run(value: Any) -> Any:
        return decode(encode(value))

    return run


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


def _batch(function: Callable[[Any], Any], argument: Any, loops: int) -> float:
    # CPU time of this thread: time spent descheduled (the machine is shared)
    # counts for neither side.
    start = time.thread_time()
    for _ in range(loops):
        function(argument)
    return time.thread_time() - start


def _loops_for(function: Callable[[Any], Any], argument: Any, seconds: float) -> int:
    loops = 1
    while _batch(function, argument, loops) < seconds:
        loops *= 2
    return loops


def compare(
    hand: Callable[[Any], Any],
    hand_value: Any,
    generated: Callable[[Any], Any],
    generated_value: Any,
    rounds: int = 11,
) -> tuple[float, float]:
    """Best-of-``rounds`` microseconds per call of each, measured alternately
    so that load from other processes hits both sides alike."""
    hand_loops = _loops_for(hand, hand_value, 0.02)
    generated_loops = _loops_for(generated, generated_value, 0.02)
    hand_best = generated_best = float("inf")
    for _ in range(rounds):
        hand_best = min(hand_best, _batch(hand, hand_value, hand_loops) / hand_loops)
        generated_best = min(
            generated_best, _batch(generated, generated_value, generated_loops) / generated_loops
        )
    return hand_best * 1e6, generated_best * 1e6


def main() -> int:
    domain = ("guest-0001", UUID, 42)
    info = (1, 4194304, 2097152, 4, 123456789012)
    domains = [(f"guest-{index:04}", UUID, index) for index in range(1000)]
    raw_params, params_reply = typed_params()
    list_reply = remote.RemoteConnectListAllDomainsRet(
        domains=[remote.RemoteNonnullDomain(*dom) for dom in domains], ret=1000
    )
    cases: list[tuple[str, Callable[[Any], Any], Any, Any, str]] = [
        ("remote_nonnull_domain", xdrlib_domain, domain,
         remote.RemoteNonnullDomain(*domain), "remote_nonnull_domain"),
        ("remote_domain_get_info_ret", xdrlib_get_info, info,
         remote.RemoteDomainGetInfoRet(*info), "remote_domain_get_info_ret"),
        ("connect_list_all_domains reply, 1000 domains",
         xdrlib_list_all, (domains, 1000), list_reply, "remote_connect_list_all_domains_ret"),
        ("16 typed params", xdrlib_typed_params, raw_params,
         params_reply, "remote_domain_get_scheduler_parameters_ret"),
    ]  # fmt: skip
    print(
        f"{'case':<46} {'xdrlib us':>10} {'virtrpc us':>11} {'ratio':>7}"
        f" {'encode':>7} {'decode':>7}   {'xdrlib->tuples us':>17} {'ratio':>7}"
    )
    worst = float("inf")
    for label, hand_tuples, raw_value, value, type_name in cases:
        hand_codec = xdrlib_codec(type_name)
        generated_codec = virtrpc_codec(type_name)
        hand, generated = round_trip(hand_codec), round_trip(generated_codec)
        encoded = generated_codec[0](value)
        assert hand_codec[0](value) == encoded
        assert hand(value) == generated(value) == value
        hand_time, generated_time = compare(hand, value, generated, value)
        tuples_time, generated_again = compare(hand_tuples, raw_value, generated, value)
        hand_encode, generated_encode = compare(hand_codec[0], value, generated_codec[0], value)
        hand_decode, generated_decode = compare(hand_codec[1], encoded, generated_codec[1], encoded)
        best_generated = min(generated_time, generated_again)
        ratio = hand_time / best_generated
        worst = min(worst, ratio)
        print(
            f"{label:<46} {hand_time:>10.2f} {best_generated:>11.2f} {ratio:>6.2f}x"
            f" {hand_encode / generated_encode:>6.2f}x {hand_decode / generated_decode:>6.2f}x"
            f"   {tuples_time:>17.2f} {tuples_time / best_generated:>6.2f}x"
        )
    print(f"worst ratio {worst:.2f}x (target >= 3x, same objects on both sides)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
