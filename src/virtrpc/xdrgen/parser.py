"""Recursive-descent parser of the RPC language (RFC 5531 section 12) plus
libvirt's dialect: ``char``/``short``/``unsigned char``/``unsigned short`` and
bare ``unsigned`` (all 4 bytes on the wire), doc comments carrying
``@annotations`` before enum members and ``insert@N`` markers."""

from __future__ import annotations

import re

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.lexer import Comment, Token, XdrCompileError, tokenize

_INSERT_RE = re.compile(r"insert@(\d+)")

_KEYWORDS = frozenset(
    {
        "bool", "case", "const", "default", "double", "quadruple", "enum", "float",
        "hyper", "int", "opaque", "string", "struct", "switch", "typedef", "union",
        "unsigned", "void", "program", "version",
    }
)  # fmt: skip


def parse(text: str, path: str) -> ast.Specification:
    """Parse the text of one ``.x`` file; raise :class:`XdrCompileError` on errors."""
    tokens, includes = tokenize(text, path)
    spec = _Parser(tokens, path).specification()
    spec.includes = includes
    return spec


def parse_file(path: str) -> ast.Specification:
    """Parse the ``.x`` file at ``path``."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise XdrCompileError(None, f"{path}: cannot read: {exc}") from exc
    return parse(text, path)


def _marker(comments: tuple[Comment, ...], line: int) -> int | None:
    """The ``insert@N`` of a comment starting on ``line`` (a trailing comment)."""
    for comment in comments:
        if comment.line == line:
            found = _INSERT_RE.search(comment.text)
            if found:
                return int(found.group(1))
    return None


class _Parser:
    def __init__(self, tokens: list[Token], path: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.path = path

    # -- token helpers ----------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    @property
    def previous(self) -> Token:
        return self.tokens[self.position - 1]

    def error(self, message: str, token: Token | None = None) -> XdrCompileError:
        token = token or self.current
        return XdrCompileError(token.location, message)

    def describe(self, token: Token) -> str:
        return "end of file" if token.kind == "eof" else repr(token.value)

    def advance(self) -> Token:
        token = self.current
        if token.kind != "eof":
            self.position += 1
        return token

    def peek_is(self, value: str) -> bool:
        token = self.current
        return token.kind in ("punct", "ident") and token.value == value

    def accept(self, value: str) -> bool:
        if self.peek_is(value):
            self.advance()
            return True
        return False

    def expect(self, value: str) -> Token:
        if not self.peek_is(value):
            raise self.error(f"expected {value!r}, found {self.describe(self.current)}")
        return self.advance()

    def identifier(self, what: str = "identifier") -> Token:
        token = self.current
        if token.kind != "ident" or token.value in _KEYWORDS:
            raise self.error(f"expected {what}, found {self.describe(token)}")
        return self.advance()

    def value(self) -> ast.Value:
        token = self.current
        if token.kind == "number":
            self.advance()
            text = token.value
            negative = text.startswith("-")
            digits = text[1:] if negative else text
            if digits.lower().startswith("0x"):
                number = int(digits, 16)
            elif len(digits) > 1 and digits.startswith("0"):
                number = int(digits, 8)
            else:
                number = int(digits)
            return -number if negative else number
        if token.kind == "ident" and token.value not in _KEYWORDS:
            self.advance()
            return token.value
        raise self.error(f"expected a number or constant name, found {self.describe(token)}")

    # -- grammar ------------------------------------------------------------------

    def specification(self) -> ast.Specification:
        spec = ast.Specification(self.path)
        while self.current.kind != "eof":
            spec.definitions.append(self.definition())
        return spec

    def definition(self) -> ast.Definition:
        token = self.current
        location = token.location
        if self.accept("const"):
            name = self.identifier("constant name").value
            self.expect("=")
            value = self.value()
            self.expect(";")
            return ast.ConstDef(name, value, location)
        if self.accept("typedef"):
            declaration = self.declaration()
            if declaration.name is None:
                raise self.error("typedef of void", token)
            self.expect(";")
            return ast.TypedefDef(declaration.name, declaration, location)
        if self.accept("enum"):
            name = self.identifier("enum name").value
            members = self.enum_body()
            self.expect(";")
            return ast.EnumDef(name, members, location)
        if self.accept("struct"):
            name = self.identifier("struct name").value
            open_brace = self.expect("{")
            marker = _marker(self.current.comments, open_brace.line)
            fields = self.struct_body()
            self.expect(";")
            return ast.StructDef(name, fields, location, marker)
        if self.accept("union"):
            name = self.identifier("union name").value
            union = self.union_body(name, location)
            self.expect(";")
            return union
        if self.accept("program"):
            return self.program(location)
        raise self.error(
            f"expected a definition (const, typedef, enum, struct, union, program), "
            f"found {self.describe(token)}"
        )

    def enum_body(self) -> list[ast.EnumMember]:
        self.expect("{")
        members: list[ast.EnumMember] = []
        while True:
            token = self.identifier("enum member name")
            doc = None
            for comment in token.comments:
                if comment.text.startswith("/**"):
                    doc = comment.text
            # rpcgen (and libvirt) accept C-style members without a value:
            # they take the previous value plus one.
            value = self.value() if self.accept("=") else None
            members.append(ast.EnumMember(token.value, value, token.location, doc))
            if self.accept(","):
                if self.peek_is("}"):  # libvirt-style trailing comma
                    break
                continue
            break
        self.expect("}")
        return members

    def struct_body(self) -> list[ast.Declaration]:
        fields: list[ast.Declaration] = []
        while not self.peek_is("}"):
            declaration = self.declaration()
            if declaration.name is None:
                raise self.error("void is not allowed as a struct field", self.previous)
            semicolon = self.expect(";")
            marker = _marker(self.current.comments, semicolon.line)
            if marker is not None:
                declaration = ast.Declaration(
                    declaration.name, declaration.type, declaration.location, marker
                )
            fields.append(declaration)
        if not fields:
            raise self.error("a struct needs at least one field")
        self.expect("}")
        return fields

    def union_body(self, name: str, location: ast.Location) -> ast.UnionDef:
        self.expect("switch")
        self.expect("(")
        discriminant = self.declaration()
        if discriminant.name is None:
            raise self.error("union discriminant cannot be void")
        self.expect(")")
        self.expect("{")
        arms: list[ast.UnionArm] = []
        default: ast.UnionArm | None = None
        while not self.peek_is("}"):
            if self.accept("default"):
                if default is not None:
                    raise self.error("second default arm", self.previous)
                self.expect(":")
                default = ast.UnionArm([], self.declaration())
                self.expect(";")
                continue
            if not self.peek_is("case"):
                raise self.error(
                    f"expected 'case' or 'default', found {self.describe(self.current)}"
                )
            cases: list[ast.Value] = []
            while self.accept("case"):
                cases.append(self.value())
                self.expect(":")
            arms.append(ast.UnionArm(cases, self.declaration()))
            self.expect(";")
        self.expect("}")
        if not arms and default is None:
            raise self.error("a union needs at least one arm")
        return ast.UnionDef(name, discriminant, arms, default, location)

    def program(self, location: ast.Location) -> ast.ProgramDef:
        name = self.identifier("program name").value
        self.expect("{")
        versions: list[ast.VersionDef] = []
        while not self.peek_is("}"):
            version_location = self.expect("version").location
            version_name = self.identifier("version name").value
            self.expect("{")
            procedures: list[ast.ProcedureDef] = []
            while not self.peek_is("}"):
                proc_location = self.current.location
                result = self.type_specifier()
                proc_name = self.identifier("procedure name").value
                self.expect("(")
                args = [self.type_specifier()]
                while self.accept(","):
                    args.append(self.type_specifier())
                self.expect(")")
                self.expect("=")
                number = self.value()
                self.expect(";")
                if len(args) == 1 and args[0] == ast.Primitive("void"):
                    args = []
                procedures.append(ast.ProcedureDef(proc_name, number, args, result, proc_location))
            self.expect("}")
            self.expect("=")
            version_number = self.value()
            self.expect(";")
            versions.append(
                ast.VersionDef(version_name, version_number, procedures, version_location)
            )
        self.expect("}")
        self.expect("=")
        number = self.value()
        self.expect(";")
        if not versions:
            raise self.error("a program needs at least one version", self.previous)
        return ast.ProgramDef(name, number, versions, location)

    def type_specifier(self) -> ast.TypeExpr:
        token = self.current
        if token.kind != "ident":
            raise self.error(f"expected a type, found {self.describe(token)}")
        word = token.value
        if word == "unsigned":
            self.advance()
            following = self.current.value if self.current.kind == "ident" else ""
            if following in ("int", "char", "short", "long"):
                self.advance()
                return ast.Primitive("uint")
            if following == "hyper":
                self.advance()
                return ast.Primitive("uhyper")
            return ast.Primitive("uint")  # bare "unsigned"
        simple = {
            "int": "int", "char": "int", "short": "int", "long": "int",
            "hyper": "hyper", "float": "float", "double": "double",
            "quadruple": "quadruple", "bool": "bool", "void": "void",
        }  # fmt: skip
        if word in simple:
            self.advance()
            return ast.Primitive(simple[word])
        if word in ("struct", "union", "enum"):
            # "struct foo x;" refers to a named type; inline bodies are not supported.
            self.advance()
            name = self.identifier(f"{word} name")
            if self.peek_is("{") or self.peek_is("switch"):
                raise self.error(
                    f"anonymous inline {word} definitions are not supported; name the type"
                )
            return ast.NamedRef(name.value, name.location)
        if word in ("opaque", "string"):
            raise self.error(
                f"{word} needs a field name and a size: {word} name<max> or {word} name[size]"
            )
        name = self.identifier("type name")
        return ast.NamedRef(name.value, name.location)

    def declaration(self) -> ast.Declaration:
        location = self.current.location
        if self.peek_is("opaque") or self.peek_is("string"):
            kind = self.advance().value
            name = self.identifier("field name").value
            if self.accept("["):
                if kind == "string":
                    raise self.error(
                        "string must be variable length: string name<max>", self.previous
                    )
                size = self.value()
                self.expect("]")
                return ast.Declaration(name, ast.FixedOpaque(size), location)
            self.expect("<")
            maximum = None if self.peek_is(">") else self.value()
            self.expect(">")
            if kind == "string":
                return ast.Declaration(name, ast.String(maximum), location)
            return ast.Declaration(name, ast.VarOpaque(maximum), location)
        base = self.type_specifier()
        if base == ast.Primitive("void"):
            return ast.Declaration(None, base, location)
        if self.accept("*"):
            name = self.identifier("field name").value
            return ast.Declaration(name, ast.Optional(base), location)
        name = self.identifier("field name").value
        if self.accept("["):
            size = self.value()
            self.expect("]")
            return ast.Declaration(name, ast.FixedArray(base, size), location)
        if self.accept("<"):
            maximum = None if self.peek_is(">") else self.value()
            self.expect(">")
            return ast.Declaration(name, ast.VarArray(base, maximum), location)
        return ast.Declaration(name, base, location)
