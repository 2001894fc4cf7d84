"""Decoder emitter: the statements of the ``_u_<name>(data, off)`` functions.

Decoding code reads at ``off`` and advances it; each helper returns the
statements and the name of the local holding the value.  Consecutive
fixed-size fields are one ``unpack_from`` call, string padding is checked on
the word the next read fetches anyway, small structs are inlined in array
loops and small unions in structs (see docs/xdr.md, "How the fast functions
save work").
"""

from __future__ import annotations

import re

from virtrpc.xdrgen import ast
from virtrpc.xdrgen.model import ModuleModel
from virtrpc.xdrgen.pysource import indent_lines
from virtrpc.xdrgen.typeinfo import (
    UNBOUNDED,
    FunctionContext,
    Scalar,
    TypeResolver,
    arm_conditions,
    attribute_name,
    class_name,
)

#: Structs whose decoding takes at most this many statements (and no loop)
#: get a whole-buffer decoder as their ``unpack`` (see :func:`whole_decoder`).
WHOLE_DECODER_LINES = 12


class DecoderEmitter(TypeResolver):
    """Emits decoding statements (a part of :class:`~virtrpc.xdrgen.emitter.ModuleEmitter`)."""

    def convert_lines(self, scalar: Scalar, name: str) -> list[str]:
        if scalar.convert == "bool":
            return [f"{name} = _xdr.INT_TO_BOOL[{name}]"]
        if scalar.convert is not None:
            return [f"{name} = {scalar.convert}.get({name}, {name})"]
        return []

    def unpack_code(
        self, expr: ast.TypeExpr, owner: ModuleModel, ctx: FunctionContext, hint: str
    ) -> tuple[list[str], str]:
        """Statements decoding ``expr`` at ``off`` (advancing it); return them and the result name."""
        location = ast.Location(owner.path, 0, 0)
        scalar = self.scalar(expr, owner)
        if scalar is not None:
            name = ctx.fresh(hint)
            codec = self.struct_constant(scalar.format)
            statements = [f"{name} = {codec}.unpack_from(data, off)[0]", f"off += {scalar.size}"]
            return statements + self.convert_lines(scalar, name), name
        typedef = self.compound_typedef(expr, owner)
        if typedef is not None:
            name = ctx.fresh(hint)
            return [f"{name}, off = {typedef[0]}(data, off)"], name
        expr, owner = self.expand(expr, owner)
        if isinstance(expr, ast.Primitive):  # void
            name = ctx.fresh(hint)
            return [f"{name} = None"], name
        if isinstance(expr, ast.NamedRef):
            union = self.inlinable_union(expr, owner)
            if union is not None:
                return self.union_unpack_body(union, ctx, hint)
            found_owner, definition = owner.lookup_type(expr)
            name = ctx.fresh(hint)
            function = self.qualify(found_owner, f"_u_{definition.name}")
            return [f"{name}, off = {function}(data, off)"], name
        if isinstance(expr, ast.FixedOpaque):
            name = ctx.fresh(hint)
            size = owner.value(expr.size, location)
            end = ctx.fresh("end")
            padded = size + (-size & 3)
            check = f"if len({name}) != {size}"
            if padded != size:
                check += f" or data[{end}:off] != _PAD[{padded - size}]"
            return [
                f"{end} = off + {size}",
                f"{name} = data[off:{end}]",
                f"off += {padded}",
                check + ":",
                '    raise _xdr.XdrError("", "bad fixed opaque")',
            ], name
        if isinstance(expr, (ast.VarOpaque, ast.String)):
            name = ctx.fresh(hint)
            maximum = self.value(expr.maximum, owner, location)
            length, start, end = ctx.fresh("size"), ctx.fresh("start"), ctx.fresh("end")
            self.struct_constant("I")
            decode = ".decode()" if isinstance(expr, ast.String) else ""
            bound = self.bound(expr.maximum, owner, location)
            too_long = f"{length} > {bound} or " if maximum < UNBOUNDED else ""
            padding = f"data[{end}:off] != _PAD[off - {end}]"
            # No bounds check: slicing past the end cannot allocate more than
            # the buffer, offsets only grow, and the descriptor refuses an end
            # offset beyond the buffer (the next read fails before that).
            return [
                f"{length} = _S_I.unpack_from(data, off)[0]",
                f"{start} = off + 4",
                f"{end} = {start} + {length}",
                f"off = {end} + (-{length} & 3)",
                f"if {too_long}(off != {end} and {padding}):",
                '    raise _xdr.XdrError("", "bad length or padding")',
                f"{name} = data[{start}:{end}]{decode}",
            ], name
        if isinstance(expr, ast.Optional):
            flag = ctx.fresh("flag")
            name = ctx.fresh(hint)
            inner_lines, inner = self.unpack_code(expr.element, owner, ctx, hint + "_value")
            return [
                f"{name}: {self.annotation(expr, owner)}",
                f"{flag} = _S_i.unpack_from(data, off)[0]",
                "off += 4",
                f"if {flag} == 1:",
                *indent_lines(inner_lines),
                f"    {name} = {inner}",
                f"elif {flag} == 0:",
                f"    {name} = None",
                "else:",
                f"    raise _xdr.bad_flag({flag})",
            ], name
        assert isinstance(expr, (ast.FixedArray, ast.VarArray))
        lines: list[str] = []
        element_scalar = self.scalar(expr.element, owner)
        name = ctx.fresh(hint)
        if isinstance(expr, ast.FixedArray):
            count = str(owner.value(expr.size, location))
        else:
            count = ctx.fresh("count")
            maximum = self.value(expr.maximum, owner, location)
            minimum = self.min_size(expr.element, owner)
            bound = self.bound(expr.maximum, owner, location)
            lines += [f"{count} = _xdr.unpack_count(data, off, {bound}, {minimum})", "off += 4"]
        if element_scalar is not None:
            size = element_scalar.size
            if isinstance(expr, ast.FixedArray):
                codec = self.struct_constant(f"{count}{element_scalar.format}")
                lines.append(f"{name} = list({codec}.unpack_from(data, off))")
                lines.append(f"off += {int(count) * size}")
            else:
                lines.append(
                    f'{name} = list(_struct.unpack_from(f">{{{count}}}{element_scalar.format}", data, off))'
                )
                lines.append(f"off += {count} * {size}")
            if element_scalar.convert == "bool":
                lines.append(f"{name} = [_xdr.INT_TO_BOOL[item] for item in {name}]")
            elif element_scalar.convert is not None:
                lines.append(
                    f"{name} = [{element_scalar.convert}.get(item, item) for item in {name}]"
                )
            return lines, name
        lines.append(f"{name}: {self.annotation(expr, owner)} = []")
        loop_var = ctx.fresh("_index")
        inline = self.inlinable_struct(expr.element, owner)
        if inline is not None and self.lookahead_struct(inline[0], inline[1]):
            # The loop decodes all elements but the last, each reading the
            # next one's length; the last element reads no further.
            append, next_size = ctx.fresh("append"), ctx.fresh("next_size")
            looped, element = self.struct_unpack_body(
                inline[0], inline[1], ctx, "element", prefetched=next_size, lookahead=next_size
            )
            last, last_element = self.struct_unpack_body(
                inline[0], inline[1], ctx, "element", prefetched=next_size
            )
            self.struct_constant("I")
            lines += [
                f"{append} = {name}.append",
                f"if {count}:",
                f"    {next_size} = _S_I.unpack_from(data, off)[0]",
                "    off += 4",
                f"    for {loop_var} in range({count} - 1):",
                *indent_lines(looped, 2),
                f"        {append}({element})",
                *indent_lines(last),
                f"    {append}({last_element})",
            ]
            return lines, name
        if inline is not None:
            element_lines, element = self.struct_unpack_body(inline[0], inline[1], ctx, "element")
        else:
            element_lines, element = self.unpack_code(expr.element, owner, ctx, "item")
        append = ctx.fresh("append")
        lines += [
            f"{append} = {name}.append",
            f"for {loop_var} in range({count}):",
            *indent_lines(element_lines),
            f"    {append}({element})",
        ]
        return lines, name

    def struct_unpack_body(
        self,
        struct: ast.StructDef,
        owner: ModuleModel,
        ctx: FunctionContext,
        hint: str,
        *,
        prefetched: str = "",
        lookahead: str = "",
    ) -> tuple[list[str], str]:
        """Statements decoding ``struct`` into a new object; return them and its name.

        The object is allocated with ``_new`` (``object.__new__``) and its slots
        are filled directly: a Python ``__init__`` call per value would cost as
        much as decoding a small struct.

        For array loops (see :meth:`lookahead_struct`): ``prefetched`` names a
        local holding the length of the leading string, already read;
        ``lookahead`` names the local that the last fixed-size read also
        fills with the next element's length.
        """
        target = ctx.fresh(hint)
        cls = self.qualify(owner, class_name(struct.name))
        body: list[str] = [f"{target} = _new({cls})"]
        run: list[tuple[str, Scalar]] = []
        # The end offset of a string or opaque whose padding is not checked
        # yet.  The next fixed-size read then starts 4 bytes early: the word
        # ending at `off` holds the padding in its low bytes, so one mask test
        # replaces slicing the padding out.
        unchecked: list[str] = []
        bad = '    raise _xdr.XdrError("", "bad length or padding")'

        def check_padding() -> None:
            if unchecked:
                end = unchecked.pop()
                body.extend([f"if off != {end} and data[{end}:off] != _PAD[off - {end}]:", bad])

        def flush(last: bool = False) -> None:
            if not run:
                check_padding()
                return
            items = list(run)
            extra = 0
            if last and lookahead:
                items.append((lookahead, Scalar("I", 4, None)))
                extra = 4
            read_at = "off"
            word = ""
            if unchecked:
                word = ctx.fresh("word")
                items.insert(0, (word, Scalar("I", 4, None)))
                read_at = "off - 4"
            codec = self.struct_constant("".join(scalar.format for _, scalar in items))
            targets = ", ".join(name for name, _ in items)
            suffix = "[0]" if len(items) == 1 else ""
            body.append(f"{targets} = {codec}.unpack_from(data, {read_at}){suffix}")
            if word:
                body.extend([f"if {word} & _MASK[off - {unchecked.pop()}]:", bad])
            body.append(f"off += {sum(scalar.size for _, scalar in run) + extra}")
            for name, scalar in run:
                body.extend(self.convert_lines(scalar, name))
            run.clear()

        for field in struct.fields:
            attribute = f"{target}.{attribute_name(field.name or '')}"
            scalar = self.run_member(field.type, owner)
            if scalar is not None:
                run.append((attribute, scalar))
                continue
            flat = self.flat_member(field.type, owner)
            if flat is not None and flat.maximum is not None:
                # The length joins the fixed-size read before it.
                end = ctx.fresh("end")
                if prefetched and field is struct.fields[0]:
                    size = prefetched
                else:
                    size = ctx.fresh("size")
                    run.append((size, Scalar("I", 4, None)))
                    flush()
                body.append(f"{end} = off + {size}")
                if flat.maximum < UNBOUNDED:
                    body.extend([f"if {size} > {flat.bound}:", bad])
                decode = ".decode()" if flat.encode else ""
                body.append(f"{attribute} = data[off:{end}]{decode}")
                body.append(f"off = {end} + (-{size} & 3)")
                unchecked.append(end)
                continue
            union = self.inlinable_union(field.type, owner)
            if union is not None:
                # The discriminant joins the fixed-size read before it.
                disc_scalar = self.scalar(union.discriminant.type, owner)
                assert disc_scalar is not None
                disc = ctx.fresh("disc")
                run.append((disc, disc_scalar))
                union_lookahead = lookahead if field is struct.fields[-1] else ""
                table = self.peek_arm_table(union, owner, run, bool(unchecked), union_lookahead)
                if table is None:
                    flush()
                    lines, result = self.union_unpack_body(
                        union, ctx, "f_" + (field.name or ""), disc, union_lookahead
                    )
                    body.extend([*lines, f"{attribute} = {result}"])
                    continue
                # The discriminant's low byte selects a codec reading the
                # run, the discriminant and a numeric arm in one call (and
                # the next length, in array loops); other arms take the
                # separate reads below.
                peek, arm_codec = ctx.fresh("peek"), ctx.fresh("arm_codec")
                value = ctx.fresh("value")
                word = ctx.fresh("word") if unchecked else ""
                disc_at = sum(scalar.size for _, scalar in run) - 4
                targets = [*([word] if word else []), *(name for name, _ in run), value]
                if union_lookahead:
                    targets.append(union_lookahead)
                check = f"{disc} != {peek}"
                if word:
                    check = f"{word} & _MASK[off - {unchecked[-1]}] or {check}"
                converts = [line for name, s in run for line in self.convert_lines(s, name)]
                body += [
                    f"{peek} = data[off + {disc_at + 3}]",
                    f"{arm_codec} = {table}.get({peek})",
                    f"{value}: {self.union_annotation(union)}",
                    f"if {arm_codec} is not None:",
                    f"    {', '.join(targets)} = {arm_codec}[0](data, {'off - 4' if word else 'off'})",
                    f"    if {check}:",
                    f"    {bad}",
                    f"    off += {arm_codec}[1]",
                    *indent_lines(converts),
                    "else:",
                ]
                start = len(body)
                flush()
                lines, result = self.union_unpack_body(
                    union, ctx, "f_" + (field.name or ""), disc, union_lookahead, value
                )
                # the else branch: the separate reads and the other arms;
                # the object is built after both branches
                body[start:] = indent_lines([*body[start:], *lines[:-3]])
                body.extend([*lines[-3:], f"{attribute} = {result}"])
                continue
            flush()
            lines, result = self.unpack_code(field.type, owner, ctx, "f_" + (field.name or ""))
            last = lines[-1]
            used_before = any(re.search(rf"\b{result}\b", line) for line in lines[:-1])
            if not used_before and last.startswith((f"{result} = ", f"{result}, off = ")):
                # decode straight into the attribute
                lines = [*lines[:-1], attribute + last[len(result) :]]
            else:
                lines = [*lines, f"{attribute} = {result}"]
            body.extend(lines)
        flush(last=True)
        return body, target

    def peek_arm_table(
        self,
        union: ast.UnionDef,
        owner: ModuleModel,
        run: list[tuple[str, Scalar]],
        word: bool,
        lookahead: str,
    ) -> str | None:
        """A ``{case: (unpack_from, size)}`` table reading, in one call, the
        fields before an inlined union (``run``, ending with the
        discriminant; after the padding ``word`` of a string when there is
        one), one numeric arm and, with ``lookahead``, the next 4-byte
        length; ``size`` is what the read advances ``off`` by (the padding
        word sits before ``off``).

        The decoder selects the codec by the discriminant's low byte, read
        before the call, and then checks that the whole discriminant equals
        it, so this needs every numeric case in 0..255 (typed parameters:
        1..6).  ``None`` when the union does not qualify: fewer than three
        numeric arms, as for :meth:`scalar_arm_table`.
        """
        disc_scalar = self.scalar(union.discriminant.type, owner)
        assert disc_scalar is not None
        if disc_scalar.convert == "bool" or disc_scalar.size != 4:
            return None
        arms = self.numeric_arms(union, owner)
        if len(arms) < 3 or not all(0 <= case <= 255 for case, _ in arms):
            return None
        prefix = ("I" if word else "") + "".join(scalar.format for _, scalar in run)
        tail = "I" if lookahead else ""
        entries: list[tuple[int, str]] = []
        for case, scalar in arms:
            codec = self.struct_constant(prefix + scalar.format + tail)
            size = sum(item.size for _, item in run) + scalar.size + len(tail) * 4
            entries.append((case, f"({codec}.unpack_from, {size})"))
        shown = ", ".join(f"{case}: {entry}" for case, entry in entries)
        line = f"dict[int, tuple[_Any, int]] = {{{shown}}}"
        existing = [name for name, text in self.arm_tables.items() if text == f"{name}: {line}"]
        if existing:
            return existing[0]
        name = f"_UPK_{union.name}"
        counter = 1
        while name in self.arm_tables:
            counter += 1
            name = f"_UPK_{union.name}_{counter}"
        self.arm_tables[name] = f"{name}: {line}"
        return name

    def union_unpack_body(
        self,
        union: ast.UnionDef,
        ctx: FunctionContext,
        hint: str,
        disc: str = "",
        lookahead: str = "",
        peeked_value: str = "",
    ) -> tuple[list[str], str]:
        """Statements decoding ``union`` (of this module) into a new object.

        ``disc`` names a local holding the discriminant when the caller has
        decoded it already; ``lookahead`` a local to fill with the 4-byte
        length that follows the union (read along with the arm when it can).
        ``peeked_value`` names the (declared) value local when the caller
        decodes the numeric arms itself (see :meth:`peek_arm_table`): only
        the other arms are decoded here.  The last three statements build
        the object.
        """
        module = self.module
        disc_scalar = self.scalar(union.discriminant.type, module)
        assert disc_scalar is not None
        body: list[str] = []
        if not disc:
            disc = ctx.fresh("disc")
            codec = self.struct_constant(disc_scalar.format)
            body = [f"{disc} = {codec}.unpack_from(data, off)[0]", "off += 4"]
            body += self.convert_lines(disc_scalar, disc)
        if peeked_value:
            value, target = peeked_value, ctx.fresh(hint)
        else:
            value, target = ctx.fresh("value"), ctx.fresh(hint)
            body.append(f"{value}: {self.union_annotation(union)}")
        keyword = "if"
        table = (
            None
            if peeked_value
            else self.scalar_arm_table(union, module, packing=False, lookahead=bool(lookahead))
        )
        handled = self.scalar_arm_cases(union, module) if peeked_value else set()
        read_next = (
            [f"{lookahead} = _S_I.unpack_from(data, off)[0]", "off += 4"] if lookahead else []
        )
        if lookahead:
            self.struct_constant("I")
        if table is not None:
            arm_codec = ctx.fresh("arm_codec")
            read = (
                f"    {value}, {lookahead} = {arm_codec}[0](data, off)"
                if lookahead
                else f"    {value} = {arm_codec}[0](data, off)[0]"
            )
            body += [
                f"{arm_codec} = {table}.get({disc})",
                f"if {arm_codec} is not None:",
                read,
                f"    off += {arm_codec}[1]",
            ]
            keyword = "elif"
            handled = self.scalar_arm_cases(union, module)
        for arm, condition in arm_conditions(union, module, disc, handled):
            body.append(f"{keyword} {condition}:")
            body += indent_lines([*self.arm_unpack(arm, ctx, value), *read_next])
            keyword = "elif"
        if union.default is not None:
            default = [*self.arm_unpack(union.default, ctx, value), *read_next]
            if keyword == "if":
                body += default
            else:
                body.append("else:")
                body += indent_lines(default)
        elif keyword == "if":
            body.append(f"raise _xdr.bad_discriminant({disc})")
        else:
            body += ["else:", f"    raise _xdr.bad_discriminant({disc})"]
        disc_attr = attribute_name(union.discriminant.name or "discriminant")
        body += [
            f"{target} = _new({class_name(union.name)})",
            f"{target}.{disc_attr} = {disc}",
            f"{target}.value = {value}",
        ]
        return body, target

    def arm_unpack(self, arm: ast.UnionArm, ctx: FunctionContext, value: str) -> list[str]:
        if arm.declaration.name is None:
            return [f"{value} = None"]
        lines, result = self.unpack_code(arm.declaration.type, self.module, ctx, "arm")
        return [*lines, f"{value} = {result}"]


def whole_decoder(type_name: str, annotation: str, body: list[str], result: str) -> list[str]:
    """The whole-buffer decoder of a small struct, which is its descriptor's
    ``unpack``: the fast decoding statements inlined, then the end check.
    Anything else (another buffer type, any failure, trailing bytes) goes to
    ``checked_unpack``, which decodes or explains exactly as before.  Saves
    the call of the fast function from a wrapper, which costs about as much
    as decoding such a struct."""
    return [
        f"def _U_{type_name}(data: _xdr.Buffer) -> {annotation}:",
        "    if type(data) is bytes:",
        "        try:",
        "            off = 0",
        *indent_lines(body, 3),
        "            if off == len(data):",
        f"                return {result}",
        "        except Exception:  # checked_unpack explains",
        "            pass",
        f"    return _T_{type_name}.checked_unpack(data)",
    ]
