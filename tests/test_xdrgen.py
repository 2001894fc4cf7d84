"""The .x compiler: the whole RPC language, libvirt's dialect and rules,
errors with file:line:col, every libvirt .x of both releases."""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.inputs import LIBVIRT_RELEASES, LIBVIRT_X_FILES, require_protocol_dir
from tests.support.tmppackage import temporary_package
from virtrpc import xdr
from virtrpc.xdrgen import XdrCompileError, compile_paths, libvirt
from virtrpc.xdrgen.model import load
from virtrpc.xdrgen.parser import parse

ALL_X = [(release, name) for release in LIBVIRT_RELEASES for name in LIBVIRT_X_FILES]


@pytest.fixture
def compile_x(tmp_path: Path) -> Iterator[object]:
    """Compile .x text into an importable temporary package; return the module."""
    counter = 0
    packages = contextlib.ExitStack()

    def build(text: str, stem: str = "demo_protocol") -> ModuleType:
        nonlocal counter
        counter += 1
        folder = tmp_path / f"xdrgen_case{counter}_{id(tmp_path)}"
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        source = folder / f"{stem}.x"
        source.write_text(text)
        for name, generated in compile_paths([str(source)]).items():
            (folder / f"{name}.py").write_text(generated)
        package = packages.enter_context(temporary_package(folder))
        return importlib.import_module(f"{package}.{libvirt.module_name_for(stem)}")

    with packages:
        yield build


RFC_SPEC = """
/* a generic RPC-language file, RFC 5531 style */
const MAXNAME = 16;
typedef string filename<MAXNAME>;
enum filekind { TEXT = 0, DATA = 1, EXEC = 2 };
union filetype switch (filekind kind) {
 case TEXT:
    void;
 case DATA:
 case EXEC:
    string creator<MAXNAME>;
 default:
    opaque other[3];
};
struct file {
    filename name;
    filetype type;
    bool readonly;
    float ratio;
    double size;
    hyper delta;
    unsigned hyper total;
    opaque data<>;
    int *next;
    int grid[2];
    unsigned int tags<4>;
};
program FILEPROG {
    version FILEVERS {
        file GETFILE(filename) = 1;
        void PUTFILE(file) = 2;
        void NULLPROC(void) = 0;
    } = 3;
} = 0x20000001;
"""


def test_rfc5531_program_and_every_construct(compile_x: object) -> None:
    module = compile_x(RFC_SPEC, "fileprog")  # type: ignore[operator]
    assert module.MAXNAME == 16
    assert module.Filekind.DATA == 1 and module.EXEC == 2
    file_type = module.TYPES["file"]
    value = module.File(
        name="a.txt",
        type=module.Filetype(kind=module.Filekind.DATA, value="me"),
        readonly=True,
        ratio=0.5,
        size=1e300,
        delta=-5,
        total=2**64 - 1,
        data=b"\1\2\3",
        next=None,
        grid=[1, 2],
        tags=[3],
    )
    assert file_type.unpack(file_type.pack(value)) == value
    void_arm = module.Filetype(kind=module.Filekind.TEXT, value=None)
    assert module.TYPES["filetype"].pack(void_arm) == b"\0\0\0\0"
    default_arm = module.Filetype(kind=9, value=b"xyz")
    assert (
        module.TYPES["filetype"].unpack(module.TYPES["filetype"].pack(default_arm)) == default_arm
    )
    program = module.PROGRAM
    assert (program.name, program.number, program.version) == ("fileprog", 0x20000001, 3)
    get = program.procedures[1]
    assert (get.name, get.const_name) == ("getfile", "GETFILE")
    assert get.args is module.TYPES["filename"] and get.ret is file_type
    assert program.by_name["putfile"].ret is None
    assert program.by_name["nullproc"].args is None


def test_recursive_optional_and_bool_union(compile_x: object) -> None:
    module = compile_x(
        """
struct stringentry { string item<>; stringentry *next; };
typedef stringentry *stringlist;
union maybe switch (bool present) { case TRUE: int value; case FALSE: void; };
struct holder { maybe m; stringlist l; };
""",
        "list_protocol",
    )  # type: ignore[operator]
    holder = module.Holder(
        module.Maybe(True, 5), module.Stringentry("a", module.Stringentry("b", None))
    )
    codec = module.TYPES["holder"]
    assert codec.unpack(codec.pack(holder)) == holder
    with pytest.raises(xdr.XdrError) as caught:
        codec.pack(
            module.Holder(
                module.Maybe(True, 5), module.Stringentry("a", module.Stringentry(b"x", None))
            )
        )
    assert caught.value.path == "holder.l.next.item"
    with pytest.raises(xdr.XdrError, match="bool must be 0 or 1"):
        module.TYPES["maybe"].unpack(b"\0\0\0\2")


def test_libvirt_dialect(compile_x: object) -> None:
    module = compile_x(
        """
%#include "whatever.h"
%/* pass-through lines are ignored */
const VIR_X_MAX = 4;
enum c_style { FIRST, SECOND, THIRD = 7, FOURTH, };
struct dialect {
    char model[VIR_X_MAX];
    unsigned char small;
    short medium;
    unsigned short umedium;
    unsigned bare;
    opaque uuid[VIR_UUID_BUFLEN];
    char label<VIR_X_MAX>;
};
typedef struct dialect dialect;
"""
    )  # type: ignore[operator]
    assert [int(m) for m in module.CStyle] == [0, 1, 7, 8]
    codec = module.TYPES["dialect"]
    value = module.Dialect([65, 66, 67, 68], 255, -3, 65535, 2**32 - 1, bytes(16), [1, 2])
    encoded = codec.pack(value)
    assert len(encoded) == 4 * 4 + 4 * 4 + 16 + 4 + 2 * 4
    assert codec.unpack(encoded) == value


def test_procedures_come_from_the_procedure_enum(compile_x: object) -> None:
    module = compile_x(
        """
struct demo_thing_get_args { int id; };
struct demo_thing_get_ret { string name<10>; };
struct demo_thing_event_changed_msg { int id; };
const DEMO_PROGRAM = 0x1234;
const DEMO_PROTOCOL_VERSION = 2;
enum demo_procedure {
    /**
     * @generate: both
     * @priority: high
     * @acl: thing:read
     * @acl: thing:write
     * @readstream: 1
     * @sparseflag: VIR_THING_SPARSE
     */
    DEMO_PROC_THING_GET = 1,
    /** @generate: none */
    DEMO_PROC_THING_EVENT_CHANGED = 2
};
"""
    )  # type: ignore[operator]
    get = module.PROGRAM.procedures[1]
    assert (get.name, get.priority, get.acl, get.stream) == (
        "thing_get", "high", ("thing:read", "thing:write"), "read",
    )  # fmt: skip
    assert get.sparseflag == "VIR_THING_SPARSE" and get.generate == "both"
    assert get.args_class is module.DemoThingGetArgs and get.ret_class is module.DemoThingGetRet
    event = module.PROGRAM.procedures[2]
    assert event.is_event and event.ret is None and event.priority == "low"
    assert (module.PROGRAM.number, module.PROGRAM.version) == (0x1234, 2)


def test_missing_struct_is_an_error_not_a_void_procedure(tmp_path: Path) -> None:
    source = tmp_path / "demo_protocol.x"
    source.write_text(
        "struct demo_a_args { int x; };\n"
        "const DEMO_PROGRAM = 1;\nconst DEMO_PROTOCOL_VERSION = 1;\n"
        "enum demo_procedure {\n    DEMO_PROC_A = 1\n};\n"
    )
    with pytest.raises(XdrCompileError) as caught:
        compile_paths([str(source)])
    assert str(caught.value).startswith(f"{source}:5:5: DEMO_PROC_A: no type 'demo_a_ret'")
    assert "VOID_RET" in str(caught.value)


def test_void_table_is_checked_against_the_x(tmp_path: Path) -> None:
    source = tmp_path / "remote_protocol.x"
    source.write_text(
        "struct remote_connect_close_args { int x; };\n"
        "const REMOTE_PROGRAM = 1;\nconst REMOTE_PROTOCOL_VERSION = 1;\n"
        "enum remote_procedure {\n    REMOTE_PROC_CONNECT_CLOSE = 2\n};\n"
    )
    with pytest.raises(XdrCompileError, match="listed in VOID_ARGS but remote_connect_close_args"):
        compile_paths([str(source)])


def test_void_tables_only_name_real_procedures() -> None:
    names: set[str] = set()
    for release in LIBVIRT_RELEASES:
        for module in load([str(require_protocol_dir(release))]):
            for program in module.programs:
                names.update(proc.const_name for proc in program.procedures)
    assert names >= libvirt.VOID_ARGS and names >= libvirt.VOID_RET
    assert set(libvirt.FD_PASSING) <= names


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("struct a { int x; }", "1:20", "expected ';', found end of file"),
        ("struct a {\n  int x;\n  foo y;\n};", "3:3", "unknown type 'foo'"),
        ("const A = B;", "1:1", "unknown constant 'B'"),
        ("struct a { int x; };\nstruct a { int y; };", "2:1", "'a' already defined at"),
        ("struct a { int x; int x; };", "1:19", "duplicate field 'x'"),
        (
            "enum e { A = 1, B = 1 };\nunion u switch (e d) { case A: void; case B: int x; };",
            "2:46",
            "duplicate case",
        ),
        ("union u switch (string s<>) { case 1: void; };", "1:17", "discriminant"),
        ("struct a { int x[N]; };", "1:12", "unknown constant 'N'"),
        ("typedef void;", "1:1", "typedef of void"),
        ("struct a { int x; } ; $", "1:23", "unexpected character '$'"),
        ("struct a { quadruple q; };", "1:12", "quadruple"),
        (
            "program P { version V { void F(int, int) = 1; } = 1; } = 1;",
            "1:25",
            "several arguments",
        ),
        ("struct a { string s[3]; };", "1:20", "string must be variable length"),
        ("struct a { int x; };\n/* never closed", "2:1", "unterminated comment"),
        ("const None = 1;", "1:1", "cannot be a Python name"),
        ("enum e { lambda = 1 };", "1:10", "cannot be a Python name"),
        ("union u switch (int value) { case 1: void; };", "1:17", "cannot be called 'value'"),
    ],
)
def test_malformed_x_errors(tmp_path: Path, text: str, where: str, message: str) -> None:
    source = tmp_path / "bad.x"
    source.write_text(text)
    with pytest.raises(XdrCompileError) as caught:
        compile_paths([str(source)])
    assert str(caught.value).startswith(f"{source}:{where}: "), str(caught.value)
    assert message in str(caught.value)


def test_parse_keeps_doc_comments_and_markers() -> None:
    spec = parse(
        "struct s { /* insert@1 */\n  int x; /* insert@2 */\n  int y;\n};\n"
        "enum p {\n  /** @acl: a:b */\n  P_PROC_X = 1\n};",
        "t.x",
    )
    struct, enum = spec.definitions
    assert struct.marker == 1 and [f.marker for f in struct.fields] == [2, None]  # type: ignore[union-attr]
    assert "@acl: a:b" in (enum.members[0].doc or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(("release", "x_name"), ALL_X, ids=[f"{r}/{n}" for r, n in ALL_X])
def test_every_libvirt_x_compiles(release: str, x_name: str) -> None:
    path = require_protocol_dir(release) / x_name
    sources = compile_paths([str(path)])
    name = libvirt.module_name_for(path.stem)
    assert name in sources
    compile(sources[name], f"{name}.py", "exec")  # valid Python


def test_remote_compiles_fast_and_deterministically() -> None:
    remote_x = str(require_protocol_dir("libvirt-11.3.0") / "remote_protocol.x")
    start = time.perf_counter()
    first = compile_paths([remote_x])
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"compiling remote_protocol.x took {elapsed:.2f}s"
    assert compile_paths([remote_x]) == first
    header = first["remote"].splitlines()[:6]
    assert "Generated by virtrpc gen from libvirt-11.3.0/remote_protocol.x" in header[0]
    assert "Regenerate with: tools/regen" in header[1]
    assert any("LGPL-2.1-or-later" in line for line in header)


def test_c_header_constants_can_be_overridden(tmp_path: Path) -> None:
    source = tmp_path / "demo_protocol.x"
    source.write_text("struct a { opaque u[VIR_UUID_BUFLEN]; };")
    default = compile_paths([str(source)])["demo"]
    assert "_xdr.FixedOpaque(16)" in default
    wide = compile_paths([str(source)], {"VIR_UUID_BUFLEN": 32})["demo"]
    assert "_xdr.FixedOpaque(32)" in wide


def test_union_of_generated_module_has_descriptors() -> None:
    from virtrpc.protocols import remote

    union = remote.TYPES["remote_typed_param_value"]
    assert isinstance(union, xdr.UnionType)
    assert union.discriminant == "type" and union.arms[7][0] == "s"
    assert union.default is None


WHOLE_DECODER_SPEC = """
struct point { int x; unsigned hyper y; string label<8>; };
struct path { point points<4>; };
"""


def test_small_loop_free_structs_get_a_whole_buffer_decoder(compile_x: object) -> None:
    module = compile_x(WHOLE_DECODER_SPEC, "shapes")  # type: ignore[operator]
    point_codec = module.TYPES["point"]
    path_codec = module.TYPES["path"]
    # the small struct's unpack is its generated whole-buffer decoder ...
    assert point_codec.unpack is module._U_point
    # ... a struct whose decoding loops keeps the checking wrapper
    assert not hasattr(module, "_U_path")
    assert path_codec.unpack == path_codec.checked_unpack
    point = module.Point(-1, 2**64 - 1, "é")
    encoded = point_codec.pack(point)
    for buffer in (encoded, bytearray(encoded), memoryview(encoded)):
        assert point_codec.unpack(buffer) == point
    assert path_codec.unpack(path_codec.pack(module.Path([point, point]))) == module.Path(
        [point, point]
    )
    # failures are explained by the same code as before, with the field path
    for bad, reason in (
        (encoded + b"\0" * 4, "4 trailing bytes"),
        (encoded[:-4], "truncated"),
        (encoded[:-1] + b"\1", "non-zero padding"),
    ):
        with pytest.raises(xdr.XdrError) as whole:
            point_codec.unpack(bad)
        with pytest.raises(xdr.XdrError) as checked:
            point_codec.checked_unpack(bad)
        assert str(whole.value) == str(checked.value)
        assert reason in whole.value.reason


PEEK_SPEC = """
union small_value switch (int kind) {
 case 1: int i; case 2: hyper h; case 3: double d; case 4: string s<8>;
};
union big_value switch (int kind) {
 case 1: int i; case 2: hyper h; case 256: double d;
};
struct small_param { string name<8>; small_value value; };
struct big_param { string name<8>; big_value value; };
struct reply { small_param small<4>; big_param big<4>; };
"""


def test_union_arms_selected_by_the_discriminant_low_byte(compile_x: object) -> None:
    module = compile_x(PEEK_SPEC, "peek")  # type: ignore[operator]
    # cases 0..255: one read for the discriminant and the numeric arm
    assert hasattr(module, "_UPK_small_value")
    # a case beyond a byte: the discriminant is read first, as before
    assert not hasattr(module, "_UPK_big_value")
    codec = module.TYPES["reply"]
    small = [
        module.SmallParam("a", module.SmallValue(k, v))
        for k, v in ((1, -3), (2, 2**40), (3, 0.5), (4, "é"))
    ]
    big = [module.BigParam("b", module.BigValue(k, v)) for k, v in ((1, 7), (256, 1.5), (2, -1))]
    reply = module.Reply(small, big)
    encoded = codec.pack(reply)
    assert codec.unpack(encoded) == reply == codec._unpack(encoded, 0, "reply")[0]
    # a discriminant whose low byte names an arm is still checked whole
    corrupt = bytearray(encoded)
    corrupt[4 + 8 + 2] = 1  # the first parameter's kind: 1 -> 0x101
    with pytest.raises(xdr.XdrError) as caught:
        codec.unpack(bytes(corrupt))
    assert caught.value.path == "reply.small[0].value.kind"


def test_header_says_how_to_regenerate_and_bounds_are_named(compile_x: object) -> None:
    build = compile_x
    assert callable(build)
    module = build(
        "const DEMO_MAX = 8;\nconst small = 4;\n"
        "struct named { string s<DEMO_MAX>; int v<DEMO_MAX>; };\n"
        "struct lower { string t<small>; };\n"
    )
    text = Path(module.__file__).read_text()
    header = text.splitlines()[:3]
    assert "Regenerate with: tools/regen" in header[1]
    assert "virtrpc gen -o OUTDIR FILE.x" in header[2]
    # The module's own upper-case constants are named in the code; a lower-case
    # one (which a generated local could shadow) stays a number.
    assert "> DEMO_MAX" in text and "unpack_count(data, off, DEMO_MAX" in text
    assert "StringType(DEMO_MAX)" in text and "> small" not in text
    value = module.Named(s="x" * 8, v=[1] * 8)
    assert module.TYPES["named"].unpack(module.TYPES["named"].pack(value)) == value
    with pytest.raises(xdr.XdrError):
        module.TYPES["named"].pack(module.Named(s="x" * 9, v=[]))
