"""Encoder emitter: the statements of the ``_p_<name>(value) -> bytes`` functions.

Pack functions return ``bytes``.  The code encoding one value is a pair
(statements, pieces): the statements run first, the pieces are bytes
expressions that are concatenated in order.  Consecutive fields that a
single ``struct.Struct`` call can encode (numbers, opaques, strings) are
one piece; strings and variable opaques make that call's format depend on
their lengths, so those formats come from a per-run cache
(:class:`virtrpc.xdr.VarStructs`) keyed by the lengths.
"""

from __future__ import annotations

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.model import ModuleModel
from virtrpc.xdrgen.pysource import concat, indent_lines
from virtrpc.xdrgen.typeinfo import (
    Flat,
    FunctionContext,
    TypeResolver,
    arm_conditions,
    attribute_name,
)


class EncoderEmitter(TypeResolver):
    """Emits encoding statements (a part of :class:`~virtrpc.xdrgen.emitter.ModuleEmitter`)."""

    def var_struct(self, template: str, maxima: tuple[int, ...]) -> str:
        """The name of the :class:`~virtrpc.xdr.VarStructs` cache for a run."""
        key = (template, maxima)
        name = self.var_structs.get(key)
        if name is None:
            base = "_V_" + template.lstrip(">").replace("{}", "v")
            name = base
            counter = 1
            while name in self.var_structs.values():
                counter += 1
                name = f"{base}_{counter}"
            self.var_structs[key] = name
        return name

    def run_parts(
        self, members: list[tuple[str, Flat]], ctx: FunctionContext
    ) -> tuple[list[str], str, list[str], list[str], tuple[int, ...]]:
        """Encoding consecutive flat values: the statements to run first, the
        ``struct`` template (``{}`` per string or variable opaque), the
        arguments of ``pack``, the length locals and their maxima."""
        statements: list[str] = []
        template = ""
        arguments: list[str] = []
        sizes: list[str] = []
        maxima: list[int] = []
        for expr, flat in members:
            if flat.maximum is None:
                if flat.fixed_length is not None:
                    # struct's "ns" pads or truncates silently: check first.
                    statements += [
                        f"if len({expr}) != {flat.fixed_length}:",
                        f'    raise _xdr.XdrError("", "needs exactly {flat.fixed_length} bytes")',
                    ]
                template += flat.format
                arguments.append(f"_xdr.BOOL_TO_INT[{expr}]" if flat.is_bool else expr)
                continue
            raw, size = ctx.fresh("raw"), ctx.fresh("size")
            statements += [
                f"{raw} = {expr}.encode()" if flat.encode else f"{raw} = {expr}",
                f"{size} = len({raw})",
            ]
            template += "{}"
            arguments += [size, raw]
            sizes.append(size)
            maxima.append(flat.maximum)
        return statements, template, arguments, sizes, tuple(maxima)

    def run_codec(self, template: str, sizes: list[str], maxima: tuple[int, ...]) -> str:
        """The expression of the ``struct.Struct`` for a run's template."""
        if not sizes:
            return self.struct_constant(template)
        # The cache refuses lengths above the maximum (only good lengths
        # are ever cached), so no check is needed here.
        return f"{self.var_struct('>' + template, maxima)}[{', '.join(sizes)}]"

    def run_pack(
        self, members: list[tuple[str, Flat]], ctx: FunctionContext
    ) -> tuple[list[str], str]:
        """Statements and the one piece encoding consecutive flat values."""
        statements, template, arguments, sizes, maxima = self.run_parts(members, ctx)
        codec = self.run_codec(template, sizes, maxima)
        return statements, f"{codec}.pack({', '.join(arguments)})"

    def merged_union_pack(
        self,
        members: list[tuple[str, Flat]],
        union: ast.UnionDef,
        ctx: FunctionContext,
        expr: str,
        encoded: str,
    ) -> list[str] | None:
        """Statements encoding flat values and the union after them into ``encoded``.

        For the union's plain numeric arms, one ``pack`` call encodes the
        values, the discriminant and the arm (a typed parameter is one call:
        name, type, value), through a ``{case: codec}`` table; the other arms
        concatenate the run with the union's own encoding.  ``None`` when the
        union has fewer than three such arms.
        """
        module = self.module
        disc_scalar = self.scalar(union.discriminant.type, module)
        assert disc_scalar is not None
        if disc_scalar.convert == "bool":
            return None
        arm_formats: list[tuple[int, str]] = []
        for arm in union.arms:
            if arm.declaration.name is None:
                continue
            scalar = self.scalar(arm.declaration.type, module)
            if scalar is None or scalar.convert is not None:
                continue
            arm_formats += [
                (module.value(case, arm.declaration.location), scalar.format) for case in arm.cases
            ]
        if len(arm_formats) < 3:
            return None
        statements, template, arguments, sizes, maxima = self.run_parts(members, ctx)
        entries: list[str] = []
        for case, arm_format in arm_formats:
            full = template + disc_scalar.format + arm_format
            codec = self.var_struct(">" + full, maxima) if sizes else self.struct_constant(full)
            entries.append(f"{case}: {codec}")
        kind = "_xdr.VarStructs" if sizes else "_struct.Struct"
        shown = f"dict[int, {kind}] = {{{', '.join(entries)}}}"
        table = next(
            (name for name, line in self.arm_tables.items() if line == f"{name}: {shown}"), ""
        )
        if not table:
            counter = 1
            table = f"_UPR_{union.name}"
            while table in self.arm_tables:
                counter += 1
                table = f"_UPR_{union.name}_{counter}"
            self.arm_tables[table] = f"{table}: {shown}"
        union_value, disc = ctx.fresh("union"), ctx.fresh("disc")
        arm_codec = ctx.fresh("arm_codec")
        disc_attr = attribute_name(union.discriminant.name or "discriminant")
        key = f"[{', '.join(sizes)}]" if sizes else ""
        all_arguments = ", ".join([*arguments, disc, f"{union_value}.value"])
        run_piece = f"{self.run_codec(template, sizes, maxima)}.pack({', '.join(arguments)})"
        return [
            *statements,
            f"{union_value} = {expr}",
            f"{disc} = {union_value}.{disc_attr}",
            f"{arm_codec} = {table}.get({disc})",
            f"if {arm_codec} is not None:",
            f"    {encoded} = {arm_codec}{key}.pack({all_arguments})",
            *self.union_pack_body(
                union, ctx, union_value, encoded, disc=disc, prefix=f"{run_piece} + "
            ),
        ]

    def pack_code(
        self, expr: ast.TypeExpr, owner: ModuleModel, ctx: FunctionContext, value: str
    ) -> tuple[list[str], list[str]]:
        """Statements and bytes pieces encoding the Python expression ``value``."""
        location = ast.Location(owner.path, 0, 0)
        flat = self.flat_member(expr, owner)
        if flat is not None:
            statements, piece = self.run_pack([(value, flat)], ctx)
            return statements, [piece]
        typedef = self.compound_typedef(expr, owner)
        if typedef is not None:
            return [], [f"{typedef[1]}({value})"]
        expr, owner = self.expand(expr, owner)
        if isinstance(expr, ast.Primitive):  # void
            return [
                f"if {value} is not None:",
                '    raise _xdr.XdrError("", "void takes None")',
            ], []
        if isinstance(expr, ast.NamedRef):
            found_owner, definition = owner.lookup_type(expr)
            return [], [f"{self.qualify(found_owner, '_p_' + definition.name)}({value})"]
        if isinstance(expr, ast.Optional):
            optional, encoded = ctx.fresh("optional"), ctx.fresh("encoded")
            inner_statements, inner_pieces = self.pack_code(expr.element, owner, ctx, optional)
            return [
                f"{optional} = {value}",
                f"if {optional} is None:",
                f"    {encoded} = _xdr.ABSENT",
                "else:",
                *indent_lines(inner_statements),
                f"    {encoded} = {concat(['_xdr.PRESENT', *inner_pieces])}",
            ], [encoded]
        assert isinstance(expr, (ast.FixedArray, ast.VarArray))
        items = ctx.fresh("items")
        lines = [f"{items} = {value}"]
        if isinstance(expr, ast.FixedArray):
            size = owner.value(expr.size, location)
            lines += [
                f"if len({items}) != {size}:",
                f'    raise _xdr.XdrError("", "needs exactly {size} items")',
            ]
        else:
            maximum = self.value(expr.maximum, owner, location)
            lines += [
                f"if len({items}) > {self.bound(expr.maximum, owner, location)}:",
                f'    raise _xdr.XdrError("", "more than {maximum} items")',
            ]
        element_scalar = self.scalar(expr.element, owner)
        if element_scalar is not None:
            arguments = items
            if element_scalar.convert == "bool":
                arguments = f"[_xdr.BOOL_TO_INT[item] for item in {items}]"
            if isinstance(expr, ast.FixedArray):
                codec = self.struct_constant(f"{size}{element_scalar.format}")
                return lines, [f"{codec}.pack(*{arguments})"]
            count = f"len({items})"
            piece = f'_struct.pack(f">I{{{count}}}{element_scalar.format}", {count}, *{arguments})'
            return lines, [piece]
        parts, append, item = ctx.fresh("parts"), ctx.fresh("append"), ctx.fresh("item")
        self.struct_constant("I")
        start = "[]" if isinstance(expr, ast.FixedArray) else f"[_S_I.pack(len({items}))]"
        inline = self.inlinable_struct(expr.element, owner)
        if inline is not None:
            element_lines, pieces = self.struct_pack_body(inline[0], inline[1], ctx, item)
        else:
            element_lines, pieces = self.pack_code(expr.element, owner, ctx, item)
        lines += [
            f"{parts} = {start}",
            f"{append} = {parts}.append",
            f"for {item} in {items}:",
            *indent_lines(element_lines),
            f"    {append}({concat(pieces)})",
        ]
        return lines, [f'b"".join({parts})']

    def struct_pack_body(
        self, struct: ast.StructDef, owner: ModuleModel, ctx: FunctionContext, value: str
    ) -> tuple[list[str], list[str]]:
        """Statements and bytes pieces encoding the struct held in ``value``."""
        statements: list[str] = []
        pieces: list[str] = []
        run: list[tuple[str, Flat]] = []

        def flush() -> None:
            if run:
                run_statements, piece = self.run_pack(run, ctx)
                statements.extend(run_statements)
                pieces.append(piece)
                run.clear()

        for field in struct.fields:
            expr = f"{value}.{attribute_name(field.name or '')}"
            flat = self.flat_member(field.type, owner)
            if flat is not None:
                run.append((expr, flat))
                continue
            union = self.inlinable_union(field.type, owner)
            if union is not None and run:
                encoded = ctx.fresh("encoded")
                merged = self.merged_union_pack(run, union, ctx, expr, encoded)
                if merged is not None:
                    run.clear()
                    statements.extend(merged)
                    pieces.append(encoded)
                    continue
            flush()
            if union is not None:
                union_value, encoded = ctx.fresh("union"), ctx.fresh("encoded")
                statements.append(f"{union_value} = {expr}")
                statements.extend(self.union_pack_body(union, ctx, union_value, encoded))
                pieces.append(encoded)
                continue
            field_statements, field_pieces = self.pack_code(field.type, owner, ctx, expr)
            statements.extend(field_statements)
            pieces.extend(field_pieces)
        flush()
        return statements, pieces

    def union_pack_body(
        self,
        union: ast.UnionDef,
        ctx: FunctionContext,
        value: str,
        result: str = "",
        *,
        disc: str = "",
        prefix: str = "",
    ) -> list[str]:
        """Statements encoding the union object ``value`` (of this module).

        Each arm ends with ``return <bytes>``, or assigns the bytes to
        ``result`` when given (the union inlined in a struct).  ``disc``
        names a local already holding the discriminant of a value whose
        plain numeric arms the caller has encoded (see
        :meth:`merged_union_pack`): those arms are left out and the
        statements continue the caller's ``if`` (they start with ``elif``
        or ``else``).  ``prefix`` is a
        bytes expression put before each arm's encoding.
        """
        module = self.module
        disc_scalar = self.scalar(union.discriminant.type, module)
        assert disc_scalar is not None
        value_annotation = self.union_annotation(union)
        body: list[str] = []
        handled: set[int] = set()
        table: str | None = None
        # The caller's `if` tested the numeric arms: the chain continues it.
        keyword = "elif" if disc else "if"
        if disc:
            handled = self.scalar_arm_cases(union, module)
        else:
            disc = ctx.fresh("disc")
            disc_attr = attribute_name(union.discriminant.name or "discriminant")
            body.append(f"{disc} = {value}.{disc_attr}")
            table = self.scalar_arm_table(union, module, packing=True)
        disc_value = f"_xdr.BOOL_TO_INT[{disc}]" if disc_scalar.convert == "bool" else disc
        finish = (f"{result} = " if result else "return ") + prefix
        self.disc_pack = (disc_scalar.format, disc_value)
        if table is not None:
            arm_codec = ctx.fresh("arm_codec")
            body += [
                f"{arm_codec} = {table}.get({disc})",
                f"if {arm_codec} is not None:",
                f"    {finish}{arm_codec}.pack({disc}, {value}.value)",
            ]
            keyword = "elif"
            handled = self.scalar_arm_cases(union, module)
        for arm, condition in arm_conditions(union, module, disc, handled):
            body.append(f"{keyword} {condition}:")
            body += indent_lines(self.arm_pack(arm, ctx, value_annotation, value, disc, finish))
            keyword = "elif"
        if union.default is not None:
            default = self.arm_pack(union.default, ctx, value_annotation, value, disc, finish)
            if keyword == "if":
                body += default
            else:
                body += ["else:", *indent_lines(default)]
        else:
            body += ["else:", f"    raise _xdr.bad_discriminant({disc})"]
        return body

    def arm_pack(
        self,
        arm: ast.UnionArm,
        ctx: FunctionContext,
        union_annotation: str,
        union_value: str,
        disc: str,
        finish: str,
    ) -> list[str]:
        """Encode the discriminant (set up in ``self.disc_pack``) and one arm;
        the last line is ``finish`` (``return `` or an assignment) and the bytes."""
        disc_format, disc_value = self.disc_pack
        disc_flat = Flat(disc_format, disc_value != disc)
        arm_value = f"{union_value}.value"
        if arm.declaration.name is None:
            return [
                f"if {arm_value} is not None:",
                '    raise _xdr.XdrError("", "void arm takes None")',
                f"{finish}{self.struct_constant(disc_format)}.pack({disc_value})",
            ]
        arm_type = arm.declaration.type
        if self.scalar(arm_type, self.module) is not None:
            # struct.pack checks the value; no narrowing needed.
            flat = self.flat_member(arm_type, self.module)
            assert flat is not None
            statements, piece = self.run_pack([(disc, disc_flat), (arm_value, flat)], ctx)
            return [*statements, f"{finish}{piece}"]
        local = ctx.fresh("arm")
        annotation = self.annotation(arm_type, self.module)
        # Narrow the union-typed attribute for mypy without a runtime call;
        # a wrong type fails in the code below and the slow path explains it.
        ignore = "" if annotation == union_annotation else "  # type: ignore[assignment]"
        lines = [f"{local}: {annotation} = {arm_value}{ignore}"]
        flat = self.flat_member(arm_type, self.module)
        if flat is not None:
            statements, piece = self.run_pack([(disc, disc_flat), (local, flat)], ctx)
            return [*lines, *statements, f"{finish}{piece}"]
        statements, pieces = self.pack_code(arm_type, self.module, ctx, local)
        disc_piece = f"{self.struct_constant(disc_format)}.pack({disc_value})"
        return [*lines, *statements, f"{finish}{concat([disc_piece, *pieces])}"]


def pack_function(type_name: str, annotation: str, body: list[str]) -> list[str]:
    """The generated encoder of a named type, which is also its descriptor's
    ``pack``: any failure hands the value to the interpreting codec, which
    explains it with the field path (or encodes a value the straight-line
    code does not take).  Calling it directly saves the wrapper's call."""
    return [
        f"def _p_{type_name}(v: {annotation}) -> bytes:",
        "    try:",
        *indent_lines(body, 2),
        "    except Exception:  # the interpreter explains or encodes",
        f"        return _T_{type_name}.slow_pack(v)",
    ]
