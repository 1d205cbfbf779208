"""Reading YAML safely: libyaml's safe parser, bounded before anything is built.

We build Python values from the parser's *event stream* ourselves instead of
calling ``yaml.load``.  That gives us, in one pass:

- no constructor but scalars, lists and mappings (a ``!!python/...`` tag is an
  error, never an object);
- alias expansion counted as we go, so a 300-byte alias bomb stops at the limit
  instead of being expanded;
- a depth bound that does not rely on Python's recursion limit;
- the line of every key path, for error messages.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from lstmhw.errors import LstmhwError
from lstmhw.limits import MAX_FILE_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES

Path = tuple  # tuple[str | int, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",  # kept as its text
    "tag:yaml.org,2002:merge",  # `<<` is read as an ordinary (unknown) key
    "tag:yaml.org,2002:binary",  # kept as its text, then refused where a number is due
}
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}

_FLOAT_MAX = 1.7976931348623157e308
# The lookahead asks for a digit (in the whole part, or right after the point).
_DECIMAL = re.compile(r"[-+]?(?=\.?\d)(\d[\d_]*)?(\.[\d_]*)?([eE][-+]?\d+)?")
# Plain scalars that YAML 1.1's own resolver reads as a decimal int or a float and
# that parse_number reads the same way: they skip the resolver (a hot path in big matrices).
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,299})")
_PLAIN_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?")


@dataclass
class Document:
    """A parsed YAML file: its data and the line of every key path."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    # With keep_text: the text every number was written with, by key path ("0.220" keeps its
    # three decimals, which the value 0.22 does not); grading reads the precision from it.
    texts: dict[Path, str] | None = None
    # With keep_duplicates: a key written twice in one mapping, by its key path, as
    # [(value, line), ...] in the order written (the mapping keeps the first value).
    duplicates: dict[Path, list[tuple[Any, int | None]]] | None = None

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def error(self, path: Path, message: str) -> LstmhwError:
        return LstmhwError(message, file=self.file, path=path, line=self.line(path))


def parse_number(text: str) -> float | int | None:
    """A decimal number as a person writes it, or None.

    Accepts what YAML 1.1 reads as strings (``1e-8``, ``1E3``) and reads
    ``017`` as seventeen, not as octal, and a Unicode minus (``−0.22``, as pasted from a
    PDF or a slide) as a minus. NaN and infinity are not numbers here.
    """
    text = text.strip().replace("\u2212", "-")
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    clean = text.replace("_", "")
    try:
        if match.group(2) is None and match.group(3) is None:
            whole = int(clean)
            # 400 nines is a whole number Python holds but no float can: refuse it here,
            # not as an OverflowError wherever it is first used as a float.
            return whole if abs(whole) <= _FLOAT_MAX else None
        value = float(clean)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None  # 1e999 overflows to inf
    return value


def _plain_number(text: str) -> int | float | None:
    """A plain (untagged, unquoted) scalar that YAML 1.1 reads as a decimal int or a finite float
    and :func:`parse_number` reads the same way, without the resolver; None for anything else
    (1.0e+999 takes :func:`_scalar`'s long way and is refused there)."""
    if _PLAIN_INT.fullmatch(text):
        return int(text)
    if _PLAIN_FLOAT.fullmatch(text):
        value = float(text)
        if value - value == 0:  # finite
            return value
    return None


def _scalar(loader: Any, event: Any, doc: Document, path: Any) -> Any:
    """The value of a scalar event; ``path()`` gives its key path for an error."""
    tag = event.tag
    text = event.value
    import yaml

    if tag in (None, "!"):
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag not in _PLAIN_TAGS:
        raise doc.error(path(), f"YAML tag {_short(repr(tag))} is not allowed, expected plain numbers, text, lists and mappings")
    if tag == "tag:yaml.org,2002:int":
        number = parse_number(text)
        if number is not None:
            return number
        try:  # 0x1F, 0o17, 1:30 (sexagesimal): YAML's own reading
            return yaml.constructor.SafeConstructor.construct_yaml_int(None, yaml.ScalarNode(tag, text))
        except Exception:
            return text
    if tag == "tag:yaml.org,2002:float":
        number = parse_number(text)
        # .nan / .inf stay text: every numeric field then refuses them by name.
        return float(number) if number is not None else text
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("yes", "true", "on", "y")
    if tag == "tag:yaml.org,2002:null":
        return None
    return text


def _short(text: str, most: int = 60) -> str:
    """``text`` cut to ``most`` characters for an error message."""
    return text if len(text) <= most else text[: most - 3] + "..."


def _key_text(value: Any, doc: Document, path: Path, line: int | None) -> str:
    if isinstance(value, (list, dict)):
        # The key's own line: the mapping's may not be known yet (the root's is set at its end).
        raise LstmhwError("a list or mapping used as a key, expected a plain key", file=doc.file, path=path, line=line)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_yaml(text: str, file: str, keep_text: bool = False, keep_duplicates: bool = False) -> Document:
    """Parse one YAML document from text, with every bound of ``limits`` enforced.

    ``keep_text``: also record the text of every number (:attr:`Document.texts`).
    ``keep_duplicates``: a key written twice is recorded (:attr:`Document.duplicates`)
    instead of refusing the file: a submission's quantity answered twice is invalid alone.
    """
    import yaml

    Loader = _libyaml_parser() or yaml.SafeLoader
    try:
        return _parse_with(Loader, text, file, keep_text, keep_duplicates)
    except yaml.MarkedYAMLError:  # only libyaml's own depth refusal gets here
        pass
    # libyaml 0.2.6 (PyYAML >= 6.0.4) refuses nesting deeper than 1,000 levels in its
    # scanner, before our own bound of MAX_YAML_DEPTH sees the collection events.  Its
    # message has no key path, so the file is read again with PyYAML's pure-Python parser,
    # which has no such limit: the same events, so our bound refuses it with the key path.
    # Only a file that is refused anyway takes this path; the Python scanner looks at most
    # 1,024 characters ahead, so a deep file is still refused in milliseconds.
    return _parse_with(yaml.SafeLoader, text, file, keep_text, keep_duplicates)


_LIBYAML_PARSER: list[Any] = []  # made on first use (importing lstmhw.yamlio imports no yaml)


def _libyaml_parser() -> Any:
    """libyaml's parser with PyYAML's safe resolver: all that :func:`_build` asks of a loader
    (``CSafeLoader`` also makes a constructor, never used here); None without libyaml."""
    if not _LIBYAML_PARSER:
        import yaml
        from yaml.resolver import Resolver

        found = None
        if getattr(yaml, "__with_libyaml__", False):
            from yaml.cyaml import CParser

            class SafeCParser(CParser, Resolver):
                def __init__(self, stream: str) -> None:
                    CParser.__init__(self, stream)
                    Resolver.__init__(self)

            found = SafeCParser
        _LIBYAML_PARSER.append(found)
    return _LIBYAML_PARSER[0]


def _parse_with(Loader: Any, text: str, file: str, keep_text: bool = False, keep_duplicates: bool = False) -> Document:
    """:func:`parse_yaml` with one loader class; libyaml's own depth refusal is re-raised as is."""
    import yaml

    doc = Document(file=file, data=None, texts={} if keep_text else None, duplicates={} if keep_duplicates else None)
    loader = Loader(text)
    try:
        return _build(loader, doc)
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem) and Loader is not yaml.SafeLoader:
            raise
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "expected ','" in problem and "[" in text:
            # {h[1]: 0.2} is the classic: brackets end a plain key inside {...}.
            problem += ' (inside {...} or [...], quote keys with brackets: "h[1]")'
        elif mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            problem += " (a tab: YAML indents with spaces)"
        raise LstmhwError(
            f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        # A ReaderError (a control character) knows its position, not its line.
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) and position >= 0 else None
        raise LstmhwError(f"invalid YAML: {str(exc).splitlines()[0]}", file=file, line=line) from None
    finally:
        loader.dispose()


def _build(loader: Any, doc: Document) -> Document:
    import yaml

    # A frame per open collection: [container, path, pending key or None, expanded size, anchor,
    # start line, the line doc.line(path) gives (a mapping value's is its key's), is it a list]
    stack: list[list[Any]] = []
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: set[str] = set()
    total = 0
    documents = 0
    root: Any = None
    texts = doc.texts

    def place(value: Any, size: int, line: int) -> None:
        """Attach a finished value to the open collection (or make it the root)."""
        nonlocal root
        if not stack:
            root = value
            doc.lines[()] = line
            return
        frame = stack[-1]
        container, path = frame[0], frame[1]
        frame[3] += size
        if frame[7]:  # a list
            if line != frame[6]:  # else doc.line() finds this item's line from the list's (saves memory)
                doc.lines.setdefault(path + (len(container),), line)
            container.append(value)
        elif frame[2] is None:  # this value is a key
            key = value if type(value) is str else _key_text(value, doc, path, line)
            if key in container and doc.duplicates is not None:
                doc.duplicates.setdefault(path + (key,), [(container[key], doc.lines.get(path + (key,)))])
                frame[2] = _Again(key, line)
                return
            if key in container:
                first = doc.lines.get(path + (key,))
                raise LstmhwError(
                    f"key {key!r} appears twice (first on line {first}), expected each key once",
                    file=doc.file, path=path + (key,), line=line,
                )
            frame[2] = key
            doc.lines[path + (key,)] = line
        elif type(frame[2]) is _Again:  # the value of a key written twice: recorded, the first one kept
            assert doc.duplicates is not None
            if frame[2].merged:  # a mapping written twice under `answers`: its keys went into the first
                doc.duplicates.pop(path + (frame[2].key,), None)
            else:
                doc.duplicates[path + (frame[2].key,)].append((value, frame[2].line))
            frame[2] = None
        else:
            container[frame[2]] = value
            frame[2] = None

    def child_path() -> Path:
        if not stack:
            return ()
        frame = stack[-1]
        container, path, key = frame[0], frame[1], frame[2]
        if type(key) is _Again:
            key = key.key  # the texts and lines of a value written again are kept under its real path
        if frame[7]:  # a list
            return path + (len(container),)
        return path + (key,) if key is not None else path

    get_event, kinds = loader.get_event, _event_kinds()
    # The resolver reads a plain scalar by its first character (a digit, a sign, y/n/t/f/o, ~,
    # ...): one that starts with any other is text, and so is every quoted scalar (keys and
    # names, most of a submission's scalars), without the resolver's Python call.
    claimed = loader.yaml_implicit_resolvers
    text_unless_claimed = None not in claimed and not loader.yaml_path_resolvers
    while True:
        event = get_event()
        if event is None:
            break
        kind = kinds.get(type(event)) or _kind_of(event)
        if kind is _STREAM_END:
            break
        if kind is _SKIPPED:
            continue
        mark = event.start_mark
        line = mark.line + 1 if mark else None
        if kind is _SCALAR:  # the commonest event: first
            total += 1
            if total > MAX_YAML_NODES:
                raise _too_big(doc, child_path(), line)
            text = event.value
            if event.tag is not None:
                value = _scalar(loader, event, doc, child_path)
            elif not event.implicit[0] or (text_unless_claimed and text and text[0] not in claimed):
                value = text
            else:
                value = _plain_number(text)
                if value is None:
                    value = _scalar(loader, event, doc, child_path)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            frame = stack[-1] if stack else None
            if frame is not None and frame[7] and line == frame[6]:
                # An item of a list on the list's own line (a matrix row, a flow list): place()
                # and child_path() written out, since a big matrix is thousands of these.
                container = frame[0]
                if texts is not None and type(value) in (int, float):
                    texts[frame[1] + (len(container),)] = text
                frame[3] += 1
                container.append(value)
                continue
            if frame is not None and not frame[7]:
                # In a mapping (every key and answer of a submission): place() and child_path()
                # written out too, for a new key and for the value of one (a key is always text;
                # _Again, a key written twice, and a key that is not text take place()).
                key = frame[2]
                if key is None and type(value) is str and value not in frame[0]:
                    frame[2] = value
                    doc.lines[frame[1] + (value,)] = line
                    frame[3] += 1
                    continue
                if type(key) is str:
                    if texts is not None and type(value) in (int, float):
                        texts[frame[1] + (key,)] = text
                    frame[3] += 1
                    frame[0][key] = value
                    frame[2] = None
                    continue
            if texts is not None and type(value) in (int, float):
                texts[child_path()] = text
            place(value, 1, line)
            continue
        if kind is _DOCUMENT_START:
            documents += 1
            if documents > 1:
                raise LstmhwError(
                    "a second YAML document (---), expected one document per file",
                    file=doc.file,
                    line=line,
                )
            continue
        if kind is _ALIAS:
            if event.anchor in open_anchors:
                raise doc.error(child_path(), f"alias *{event.anchor} refers to itself, expected a finite document")
            if event.anchor not in anchors:
                raise doc.error(child_path(), f"unknown alias *{event.anchor}")
            value, size = anchors[event.anchor]
            total += size
            if total > MAX_YAML_NODES:
                raise _too_big(doc, child_path(), line)
            place(_copy(value), size, line)
            continue
        total += 1
        if total > MAX_YAML_NODES:
            raise _too_big(doc, child_path(), line)
        if kind is _COLLECTION_START:
            if event.tag not in _COLLECTION_TAGS:
                raise doc.error(
                    child_path(),
                    f"YAML tag {_short(repr(event.tag))} is not allowed, expected plain numbers, text, lists and mappings",
                )
            if len(stack) >= MAX_YAML_DEPTH:
                raise doc.error(child_path(), f"nesting deeper than {MAX_YAML_DEPTH} levels, expected at most {MAX_YAML_DEPTH}")
            is_list = isinstance(event, yaml.SequenceStartEvent)
            container: Any = [] if is_list else {}
            again = stack[-1][2] if stack else None
            if (
                type(again) is _Again and isinstance(event, yaml.MappingStartEvent) and stack[-1][1] == ("answers",)
                and isinstance(stack[-1][0].get(again.key), dict)
            ):
                # A problem's answers written in two blocks (p4: ... and later p4: again) are one
                # problem: the second block's keys go into the first, so a quantity in both is a
                # key written twice there, with its real path (its digits and line are kept).
                container = stack[-1][0][again.key]
                again.merged = True
            if event.anchor:
                open_anchors.add(event.anchor)
            path = child_path()
            in_mapping = bool(stack) and not stack[-1][7]
            shown_line = doc.lines.get(path, line) if in_mapping else line
            stack.append([container, path, None, 1, event.anchor, line, shown_line, is_list])
        elif kind is _COLLECTION_END:
            container, _path, _key, size, anchor, start_line, _line, _is_list = stack.pop()
            if anchor:
                open_anchors.discard(anchor)
                anchors[anchor] = (container, size)
            place(container, size, start_line)
    doc.data = root
    return doc


# What _build does with each kind of parser event (the classes libyaml's and PyYAML's parsers make).
_SCALAR, _COLLECTION_START, _COLLECTION_END, _ALIAS, _DOCUMENT_START, _SKIPPED, _STREAM_END = (
    "scalar", "start", "end", "alias", "document", "skipped", "stream end"
)


_EVENT_KINDS: dict[type, str] = {}  # filled on first use (importing lstmhw.yamlio imports no yaml)


def _event_kinds() -> dict[type, str]:
    if not _EVENT_KINDS:
        from yaml import events

        _EVENT_KINDS.update({
            events.ScalarEvent: _SCALAR,
            events.SequenceStartEvent: _COLLECTION_START, events.MappingStartEvent: _COLLECTION_START,
            events.SequenceEndEvent: _COLLECTION_END, events.MappingEndEvent: _COLLECTION_END,
            events.AliasEvent: _ALIAS,
            events.DocumentStartEvent: _DOCUMENT_START,
            events.StreamStartEvent: _SKIPPED, events.DocumentEndEvent: _SKIPPED,
            events.StreamEndEvent: _STREAM_END,
        })
    return _EVENT_KINDS


def _kind_of(event: Any) -> str:
    """The kind of an event whose class is not one of _event_kinds' own (a subclass)."""
    for cls, kind in _event_kinds().items():
        if isinstance(event, cls):
            return kind
    raise TypeError(f"unexpected YAML event {event!r}")


@dataclass
class _Again:
    """The pending key of a mapping when that key was written before (see keep_duplicates)."""

    key: str
    line: int | None
    merged: bool = False  # its value, a mapping, was read into the first one


def _copy(value: Any) -> Any:
    """Aliases are expanded into independent copies (bounded by the node count)."""
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _too_big(doc: Document, path: Path, line: int | None) -> LstmhwError:
    return LstmhwError(
        f"more than {MAX_YAML_NODES:,} values once aliases are expanded, "
        f"expected at most {MAX_YAML_NODES:,}",
        file=doc.file,
        path=path,
        line=line,
    )


def read_text(file: str) -> str:
    """The file's text, refusing what is too big, not a file, or not UTF-8."""
    try:
        # O_NONBLOCK: opening a FIFO (a *.yaml in a submissions folder, or a link to /dev/stdin)
        # must not wait for a writer forever; fstat then refuses anything but a regular file.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise LstmhwError("no such file", file=file) from None
    except OSError as exc:
        if os.path.isdir(file):  # where a folder cannot be opened at all (Windows)
            raise LstmhwError("is a folder, expected a YAML file", file=file) from None
        raise LstmhwError(f"cannot read: {exc.strerror}", file=file) from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise LstmhwError("is a folder, expected a YAML file", file=file)
        if not stat.S_ISREG(status.st_mode):
            raise LstmhwError("not a regular file (a pipe, device or socket), expected a YAML file", file=file)
        if status.st_size > MAX_FILE_BYTES:
            raise LstmhwError(f"file of {status.st_size:,} bytes, expected at most {MAX_FILE_BYTES:,}", file=file)
        # Ask for the size fstat gave (+1 to see a file that grew), not for the limit: a read
        # of MAX_FILE_BYTES allocates that much (~20 µs a file). One that grew, or a /proc
        # file of size 0, is read on up to the limit, as before. A read that returns st_size
        # bytes is the file as fstat saw it: no second read just to find its end.
        raw = os.read(fd, status.st_size + 1)
        if 0 < len(raw) < status.st_size:  # a short read all the same: read on to the size
            raw += _read_up_to(fd, status.st_size + 1 - len(raw))
        if len(raw) > status.st_size:
            raw += _read_up_to(fd, MAX_FILE_BYTES + 1 - len(raw))
    except OSError as exc:
        raise LstmhwError(f"cannot read: {exc.strerror}", file=file) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise LstmhwError(f"file larger than {MAX_FILE_BYTES:,} bytes", file=file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LstmhwError(
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8, expected UTF-8 text",
            file=file,
            line=line,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise LstmhwError("a NUL byte, expected text (is this a binary file?)", file=file, line=line)
    return text


def _read_up_to(fd: int, count: int) -> bytes:
    """Up to ``count`` bytes from ``fd``, fewer only at the end of the file (a read may return less)."""
    chunks, left = [], count
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def load_yaml(file: str, keep_text: bool = False, keep_duplicates: bool = False) -> Document:
    """Read and parse ``file``; the document must be a non-empty mapping (see :func:`parse_yaml`)."""
    doc = parse_yaml(read_text(file), file, keep_text, keep_duplicates)
    if doc.data is None:
        raise LstmhwError("empty file, expected a YAML mapping of keys", file=file)
    if not isinstance(doc.data, dict):
        # Cut short: a submission linked to a secret file must not get it echoed into the report.
        kind = "a list" if isinstance(doc.data, list) else f"the value {_short(repr(doc.data), 40)}"
        raise LstmhwError(f"{kind}, expected a YAML mapping of keys", file=file, line=doc.line(()))
    return doc
