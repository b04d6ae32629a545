"""Turn the bytes of one ``.md`` file into a :class:`converters.Note`, or say why not.

python-frontmatter splits the fence and parses the YAML but keeps no positions, and every
finding vaultkg reports must point at a line; so the fence is split here (a few lines) and
PyYAML's own composer (libyaml's C loader when present) gives each key and item its line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import yaml

from converters.model import Diagnostic, FrontMatter, KeyPath, Note, Severity
from converters.text import nfc

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FENCE_OPEN = re.compile(r"---[ \t]*\n")
_FENCE_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)

_YAML_11 = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}

#: How many scalar values YAML aliases may expand to in one note (alias bombs).
MAX_YAML_VALUES = 100_000


class _NoteLoader(_Loader):
    """Safe loader that reads plain scalars as Obsidian does: by YAML 1.2's core schema, where
    only ``true``/``false`` are booleans and ``NO``, ``yes``, ``on``, ``12:30``, ``1_000`` and
    ``014`` (PyYAML's YAML 1.1: false, true, true, 750, 1000, 12) are text, text, text, text,
    text and 14. Dates stay dates (``2024-01-05``); invalid ones (``2024-02-30``) stay strings."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_11]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)

    def construct_yaml_int(self, node: yaml.Node) -> int:
        value = str(self.construct_scalar(node))
        if value.startswith(("0o", "0x")):
            return int(value[2:], 8 if value[1] == "o" else 16)
        return int(value)  # "014" is fourteen


_NoteLoader.add_constructor("tag:yaml.org,2002:timestamp", _NoteLoader.construct_yaml_timestamp)
_NoteLoader.add_constructor("tag:yaml.org,2002:int", _NoteLoader.construct_yaml_int)
# the core schema's own, in the order it gives them (an integer before a float)
_NoteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_NoteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_NoteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def decode(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 text with line endings normalized; binary files give ``None`` and an error."""
    if b"\x00" in data[:8192] or b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, [
            Diagnostic(
                path, line, Severity.ERROR, "binary", "binary data (NUL byte) in a .md file; the file is skipped"
            )
        ]
    diagnostics = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diagnostics.append(
            Diagnostic(
                path,
                line,
                Severity.ERROR,
                "encoding",
                f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); undecodable bytes were replaced with U+FFFD",
            )
        )
        text = data.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, diagnostics


def parse_note(path: str, text: str, *, max_yaml: int = MAX_YAML_VALUES) -> tuple[Note, list[Diagnostic]]:
    """Split front matter from body and parse the YAML, keeping every key's line."""
    name = path.rpartition("/")[2]
    name = name[:-3] if name.lower().endswith(".md") else name
    name = nfc(name)  # macOS may store "Café" decomposed; names are compared and shown composed
    # and so may the text (pasted from a PDF, say): composed, as RDF asks of literals and IRIs, a
    # key, tag or name is one IRI whichever way it was typed, and "e" + U+0301 does not end a word
    text = nfc(text)
    m = _FENCE_OPEN.match(text)
    if not m:
        return Note(path, name, FrontMatter(), text, 1), []
    close = _FENCE_CLOSE.search(text, m.end())
    if close is None:
        return Note(path, name, FrontMatter(), text, 1), [
            Diagnostic(
                path,
                1,
                Severity.ERROR,
                "front-matter",
                "front matter opened with '---' is never closed; the note is read without it",
            )
        ]
    yaml_text = text[m.end() : close.start()]
    body_start = close.end() + 1 if close.end() < len(text) else close.end()
    body_line = text.count("\n", 0, body_start) + 1
    body = text[body_start:]
    front, diagnostics = parse_front_matter(path, yaml_text, first_line=2, max_values=max_yaml)
    return Note(path, name, front, body, body_line), diagnostics


def parse_front_matter(
    path: str, yaml_text: str, first_line: int = 2, max_values: int = MAX_YAML_VALUES
) -> tuple[FrontMatter, list[Diagnostic]]:
    """YAML → :class:`FrontMatter`; broken YAML gives an empty one and an error at its line."""
    empty = FrontMatter(start_line=first_line - 1)
    if not yaml_text.strip():
        return empty, []
    loader = _NoteLoader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return empty, []
        if not isinstance(node, yaml.MappingNode):
            kind = {"SequenceNode": "a list", "ScalarNode": "a single value"}.get(type(node).__name__, "not a map")
            return empty, [
                Diagnostic(
                    path,
                    node.start_mark.line + first_line,
                    Severity.ERROR,
                    "front-matter",
                    f"front matter is {kind}, not a mapping of keys; it is ignored",
                )
            ]
        # without aliases (*name) a document stands for fewer values than it has characters
        size = _expanded_size(node, {}) if "*" in yaml_text or len(yaml_text) > max_values else 0
        if size > max_values:
            return empty, [
                Diagnostic(
                    path,
                    first_line,
                    Severity.ERROR,
                    "front-matter",
                    f"front matter expands to over {max_values:,} values (YAML alias bomb?); it is ignored",
                )
            ]
        data = _construct(loader, node, aliased="*" in yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + first_line if mark is not None else first_line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "could not determine a constructor" in str(exc):
            problem = "YAML tag that would build an object is not allowed"
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark.line + first_line != line:
            problem += f" ({context} that began on line {context_mark.line + first_line})"
        last = line - first_line  # 0-based in yaml_text: from the line before, or where the brackets opened
        start = max(0, min(last - 1, context_mark.line) if context_mark is not None else last - 1)
        if slip := _comment_in_brackets(yaml_text, start, last):
            slip_line, comment = slip  # "tags: [a, #b]": the comment swallows the rest of the line
            line = slip_line + first_line
            problem = (
                f"'{comment}' inside brackets starts a YAML comment (a '#' after a space or '[' "
                f"starts one), so they are never closed; quote it (\"{comment}\") or leave out the '#'"
            )
        elif placeholder := _placeholder(yaml_text, last):  # {{date}} of a template: a map as a key
            folder = path.rpartition("/")[0]
            leave_out = f'exclude: ["{folder}/"]' if folder else f'exclude: ["{path}"]'
            problem = (
                f"'{placeholder}' is a template placeholder, which YAML reads as a mapping; if this note is "
                f"a template, leave it out ({leave_out} in vaultkg.yaml), else quote the value"
            )
        return empty, [
            Diagnostic(
                path,
                line,
                Severity.ERROR,
                "yaml",
                f"invalid YAML in front matter: {problem}; the front matter is ignored",
            )
        ]
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    diagnostics: list[Diagnostic] = []
    unquoted: list[tuple[KeyPath, str]] = []
    valueless: list[tuple[KeyPath, yaml.Node]] = []
    _record_lines(node, (), lines, first_line, unquoted, valueless)
    diagnostics.extend(_comments_as_values(path, yaml_text, valueless, first_line))
    for at, target in unquoted:  # what the writer meant: the link, said once where it stands
        if _replace(data, at, f"[[{target}]]"):
            diagnostics.append(
                Diagnostic(
                    path,
                    lines.get(at, first_line),
                    Severity.WARNING,
                    "unquoted-link",
                    f"{at[0]}: [[{target}]] without quotes is a list inside a list to YAML; read as the link "
                    f'"[[{target}]]" (quote it so that other tools read it as a link too)',
                )
            )
    seen: dict[str, int] = {}
    clean: dict[str, Any] = {}
    for key_node, _ in node.value:
        key = _key_text(key_node)
        line = key_node.start_mark.line + first_line
        if key in seen:
            diagnostics.append(
                Diagnostic(
                    path,
                    line,
                    Severity.WARNING,
                    "duplicate-key",
                    f"key '{key}' appears again (first on line {seen[key]}); the last value wins",
                )
            )
        seen[key] = line
    for key, value in data.items():
        clean[_plain_key(key)] = value
    return FrontMatter(clean, lines, first_line - 1), diagnostics


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_NULL = "tag:yaml.org,2002:null"


class _Unusual(Exception):
    """A node the fast constructor leaves to PyYAML's own."""


def _construct(loader: yaml.Loader, node: yaml.Node, *, aliased: bool) -> Any:
    """The front matter's Python value, as ``loader.construct_document(node)`` gives it.

    Plain maps, lists and strings (nearly all front matter) are built directly, other scalars by
    the loader itself (numbers, dates, booleans …): 3–4× faster than PyYAML's constructor, whose
    per-node machinery dominates for small documents. Aliases, merge keys, other collection
    tags, unhashable keys or deep nesting go through PyYAML's constructor, from a clean state."""
    if not aliased:
        try:
            return _fast(loader, node)
        except (_Unusual, RecursionError):
            loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
    return loader.construct_document(node)


def _fast(loader: yaml.Loader, node: yaml.Node) -> Any:
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node)
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        return [_fast(loader, item) for item in node.value]
    if kind is yaml.MappingNode and node.tag == _MAP:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag in _PYYAML_KEYS:
                raise _Unusual
            key = _fast(loader, key_node)
            try:
                hash(key)
            except TypeError:  # PyYAML's constructor says where
                raise _Unusual from None
            mapping[key] = _fast(loader, value_node)
        return mapping
    raise _Unusual


_PYYAML_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "?"


def _plain_key(key: Any) -> str:
    if isinstance(key, dt.date | bool | int | float) or key is None:
        return str(key).lower() if isinstance(key, bool) else str(key)
    return str(key)


def _record_lines(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    first_line: int,
    unquoted: list[tuple[KeyPath, str]],
    valueless: list[tuple[KeyPath, yaml.Node]],
    depth: int = 0,
) -> None:
    """Every key's and item's line; also where a ``[[link]]`` stands unquoted (``unquoted``) and
    where a value is left out (``valueless``)."""
    if depth > 50:
        return
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, _key_text(key_node))
            lines.setdefault(key_path, key_node.start_mark.line + first_line)
            _record_lines(value_node, key_path, lines, first_line, unquoted, valueless, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        if node.flow_style and path and (target := _unquoted_link(node)) is not None:
            unquoted.append((path, target))
            return
        for i, item in enumerate(node.value):
            item_path = (*path, i)
            lines.setdefault(item_path, item.start_mark.line + first_line)
            _record_lines(item, item_path, lines, first_line, unquoted, valueless, depth + 1)
    elif isinstance(node, yaml.ScalarNode) and not node.value and node.tag == _NULL and not node.style:
        valueless.append((path, node))


def _comments_as_values(
    path: str, yaml_text: str, valueless: list[tuple[KeyPath, yaml.Node]], first_line: int
) -> Iterator[Diagnostic]:
    """A warning for each value left out because it began with ``#`` (``tags: #journal``): YAML
    reads a comment there, so the key holds nothing — a common slip in Obsidian front matter.
    ``key: # a remark``, with a space after the ``#``, is taken as the comment it looks like."""
    for at, node in valueless:
        start = node.start_mark.index
        end = yaml_text.find("\n", start)
        comment = yaml_text[start : end if end >= 0 else len(yaml_text)].strip()
        if not at or len(comment) < 2 or comment[0] != "#" or comment[1].isspace():
            continue  # "# a remark" is a comment meant as one
        key = ".".join(str(step) for step in at if isinstance(step, str))
        what = f"{key}: '{comment}'" if isinstance(at[-1], str) else f"an item of {key}, '{comment}',"
        yield Diagnostic(
            path,
            node.start_mark.line + first_line,
            Severity.WARNING,
            "yaml-comment",
            f"{what} is a YAML comment (a '#' after a space starts one), so it holds no value; "
            f"quote it (\"{comment}\") or leave out the '#'",
        )


_BRACKET_COMMENT = re.compile(r"[\[{,]\s*(#[^\s,\]}]+)")
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")


_PLACEHOLDER = re.compile(r"\{\{[^{}\n]*\}\}")


def _placeholder(yaml_text: str, line: int) -> str | None:
    """A ``{{…}}`` placeholder (Obsidian's Templates, Templater) on line ``line`` (0-based)."""
    lines = yaml_text.split("\n")
    m = _PLACEHOLDER.search(_QUOTED.sub("", lines[line])) if 0 <= line < len(lines) else None
    return m.group(0) if m else None


def _comment_in_brackets(yaml_text: str, first: int, last: int) -> tuple[int, str] | None:
    """The last line from ``first`` to ``last`` (0-based) where a flow list or map holds a
    ``#word`` outside quotes, which YAML reads as a comment: the line and the word."""
    lines = yaml_text.split("\n")
    for i in range(min(last, len(lines) - 1), first - 1, -1):
        text = _QUOTED.sub("", lines[i]) if "#" in lines[i] else ""
        if m := _BRACKET_COMMENT.search(text):
            return i, m.group(1)
    return None


def _unquoted_link(node: yaml.SequenceNode) -> str | None:
    """The target of ``[[target]]`` written without quotes (YAML reads a list in a list): two
    flow lists opened and closed together, around one plain string."""
    if len(node.value) != 1 or not isinstance(inner := node.value[0], yaml.SequenceNode) or len(inner.value) != 1:
        return None
    item = inner.value[0]
    if not isinstance(item, yaml.ScalarNode) or item.tag != _STR or item.style:  # plain: None or ""
        return None
    if inner.start_mark.index != node.start_mark.index + 1 or inner.end_mark.index != node.end_mark.index - 1:
        return None
    return str(item.value)


def _replace(data: Any, path: KeyPath, value: str) -> bool:
    """Put ``value`` at ``path`` (keys and list indexes) in the constructed front matter."""
    parent = data
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        if parent[path[-1]] is None:
            return False
        parent[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many scalars the node stands for once aliases are expanded (memoised, so cheap)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive structures
    if isinstance(node, yaml.MappingNode):
        size = sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = sum(_expanded_size(item, memo) for item in node.value)
    else:
        size = 1
    memo[key] = size
    return size
