"""One way to read a user's CSV or Parquet file: audit logs, pilots and user tables.

Why: files come from spreadsheets and platform downloads - a UTF-8 byte-order mark ("CSV UTF-8"
in Excel), UTF-16, Latin-1, semicolons, a header written twice - and every reader used to treat
them differently. Here: a UTF-8 BOM is accepted, a UTF-16/32 BOM is decoded as such, any other
non-UTF-8 byte is an error naming the line (or decoded with an explicit ``encoding``); the
delimiter is sniffed from the header among ``, ; TAB |`` (or named); an empty or duplicated header
is refused; every cell is read as text (parsing is the caller's, so nothing is guessed); and
each row carries ``__line``, its line number in the file (header = line 1), so messages point
where a user looks. Parquet rows carry their 0-based position (``row`` in messages). Errors from
pyarrow, DuckDB or the file system become :class:`~fairpay.errors.InvalidDataError` naming the file.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairpay.errors import Failure, InvalidDataError, InvalidInputError

#: Delimiters that are sniffed from the header line.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")
#: The column that carries each row's place in the file.
LINE = "__line"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class TextTable:
    """A file read as text: the Arrow table (every column a string, plus ``__line``), and how."""

    table: Any  # pyarrow.Table
    columns: list[str]
    path: str
    encoding: str
    delimiter: str
    row_label: str = "line"


def check_path(path: Any, what: str) -> Path:
    """``path`` as a Path that exists and is a file, or an error naming ``what`` and the path."""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(f"{what} must be a path to a file, not {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"{what} {str(p)!r}: file not found")
    if not p.is_file():
        raise InvalidInputError(f"{what} {str(p)!r} is not a file")
    return p


def _fail(
    path: Path,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    reason: str = "unreadable_file",
    value: Any = None,
) -> InvalidDataError:
    return InvalidDataError(str(path), [Failure(row, column, value, reason, message, "line")])


def detect_encoding(head: bytes, encoding: str | None) -> str:
    """The codec to read with: the one named, else from the byte-order mark, else UTF-8."""
    if encoding:
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise InvalidInputError(f"encoding {encoding!r} is not a known text encoding") from None
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return "utf-8"


def _first_bad_utf8_line(path: Path) -> tuple[int, int, int]:
    """(line number, byte, column) of the first byte that is not UTF-8 (error path only)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, raw[exc.start], exc.start + 1
    return 0, 0, 0


def sniff_delimiter(header: str, suffix: str) -> str:
    """The delimiter that splits the header most often (tab for .tsv); ',' for a one-column header."""
    if suffix == ".tsv":
        return "\t"
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(path: Path, text: str, delimiter: str) -> list[str]:
    import csv

    row = next(csv.reader([text], delimiter=delimiter), [])
    names = [c.strip() for c in row]
    empty = [i + 1 for i, c in enumerate(names) if not c]
    if empty:
        raise _fail(
            path,
            f"the header has an empty column name at position(s) {empty}; every column needs a name",
            row=1,
            reason="empty_header",
        )
    seen: dict[str, int] = {}
    dups: list[str] = []
    for c in names:
        seen[c] = seen.get(c, 0) + 1
        if seen[c] == 2:
            dups.append(c)
    if dups:
        raise _fail(
            path,
            f"the header names column(s) {dups} more than once; rename or drop the copies "
            "(fairpay will not pick one)",
            row=1,
            reason="duplicate_header",
        )
    return names


def _refuse_binary(path: Path, data: bytes) -> None:
    """Refuse a gzip or ZIP file (an Excel .xlsx is one) by its magic bytes.

    Why: decoded as text it fails with a meaningless encoding error; the user needs to hear
    that the file must be exported or decompressed to CSV first.
    """
    for magic, kind in ((b"\x1f\x8b", "gzip-compressed"), (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx?)")):
        if data.startswith(magic):
            raise _fail(path, f"is {kind}, not text: export or decompress it to CSV first", reason="not_text")


def _utf8_head(path: Path, data: bytes) -> str:
    """The first 64 KiB of a file read as UTF-8 (a character cut at the chunk's end dropped).

    Why here, before pyarrow: a UTF-16 file without a byte-order mark or a Latin-1 byte gets an
    error naming its line and the ``--encoding`` to use, not a parser's message.
    """
    if b"\0" in data[:4096]:
        raise _fail(
            path,
            "holds NUL bytes: it looks like UTF-16 without a byte-order mark; save it as UTF-8 or name "
            "its encoding (e.g. --encoding utf-16-le)",
            reason="not_utf8",
        )
    text_head = data[: 1 << 16]
    try:
        return text_head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(text_head) - 4:  # just a character cut at the chunk's end
            return text_head[: exc.start].decode("utf-8")
    line, byte, col = _first_bad_utf8_line(path)
    raise _fail(
        path,
        f"is not UTF-8 text: byte 0x{byte:02X} at character {col}; save it as UTF-8 "
        "or name its encoding (e.g. --encoding latin-1)",
        row=line,
        reason="not_utf8",
    )


def _text_head(path: Path, data: bytes, codec: str) -> str:
    """The start of the file as text in ``codec``, enough for the header line.

    Why only UTF-8 is strict here: a named or BOM-declared codec is trusted, and pyarrow reports
    any byte it cannot decode when it reads the whole file.
    """
    if codec == "utf-8":
        return _utf8_head(path, data)
    try:
        return data[: 1 << 16].decode(codec, errors="ignore")
    except LookupError:  # pragma: no cover - checked above
        raise InvalidInputError(f"encoding {codec!r} is not known") from None


def _header_line(path: Path, head: str) -> str:
    """The file's first line; refuses an empty file or a blank first line.

    Why: the header must be the first line (nothing is guessed about where it starts).
    """
    head = head.lstrip("\ufeff")
    if not head.strip():
        raise _fail(path, "is empty: expected a header line and rows", reason="empty_file")
    first = head.splitlines()[0] if head.splitlines() else head
    if not first.strip():
        raise _fail(path, "is blank: the header must be the first line", row=1, reason="blank_header")
    return first


def _unreadable_csv(
    path: Path,
    exc: Exception,
    data: bytes,
    codec: str,
    delim: str,
    sniffed: bool,
    names: list[str],
) -> InvalidDataError:
    """The error for a CSV pyarrow could not read: a bad byte or a wrong field count, named by line.

    Why: pyarrow's own message gives a byte offset or row number of its own; the user needs the
    file's line (and the sniffed delimiter, the usual cause of a ragged row).
    """
    message = " ".join(str(exc).split())
    if "UTF8" in message or "utf-8" in message.lower():
        line, byte, col = _first_bad_utf8_line(path)
        return _fail(
            path,
            f"is not {'UTF-8' if codec.startswith('utf-8') else codec} text: byte 0x{byte:02X} "
            f"at character {col}; "
            "name its encoding (e.g. --encoding latin-1)",
            row=line or None,
            reason="not_utf8",
        )
    hint = f" (read with delimiter {delim!r}, sniffed from the header)" if sniffed else ""
    ragged = _first_ragged_line(data, codec, delim, len(names))
    if ragged is not None:
        row, got = ragged
        return _fail(
            path,
            f"has {got} field(s) where the header has {len(names)}{hint}",
            row=row,
            reason="wrong_field_count",
        )
    return _fail(path, f"is not a readable CSV: {message}{hint}")


def read_text_table(
    path: Any, *, what: str = "file", encoding: str | None = None, delimiter: str | None = None
) -> TextTable:
    """Read a CSV/TSV file as text columns plus ``__line`` (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    p = check_path(path, what)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise _fail(p, f"cannot be read: {exc.strerror or exc}") from None
    _refuse_binary(p, data)
    codec = detect_encoding(data[:4], encoding)
    first = _header_line(p, _text_head(p, data, codec))
    delim = delimiter or sniff_delimiter(first, p.suffix.lower())
    if len(delim) != 1:
        raise InvalidInputError(f"delimiter {delimiter!r} must be one character")
    names = _header(p, first, delim)
    read = pacsv.ReadOptions(
        column_names=names, skip_rows=1, encoding="utf8" if codec in ("utf-8", "utf-8-sig") else codec
    )
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pacsv.read_csv(p, read_options=read, parse_options=parse, convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, OSError) as exc:
        raise _unreadable_csv(p, exc, data, codec, delim, not delimiter, names) from None
    lines = _line_numbers(p, data, codec, delim, table.num_rows)
    table = table.append_column(LINE, _int64_array(lines))
    return TextTable(table, names, str(p), codec, delim)


def _int64_array(values: Any) -> Any:
    """An Arrow int64 array over ``values``' memory.

    Why not ``pa.array``: it imports pandas to ask whether its input is a pandas object (~0.25 s),
    and the pre-launch check reads its pilot file through here without pandas.
    """
    import numpy as np
    import pyarrow as pa

    a = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(a), [None, pa.py_buffer(a)])


def _first_ragged_line(data: bytes, codec: str, delimiter: str, width: int) -> tuple[int, int] | None:
    """(line, fields) of the first record whose field count differs from the header's (error path)."""
    import csv
    import io

    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    start = 1
    for i, record in enumerate(reader):
        if i > 0 and record and len(record) != width:
            return start, len(record)
        start = reader.line_num + 1
    return None


def _line_numbers(path: Path, data: bytes, codec: str, delimiter: str, rows: int) -> Any:
    """Each record's first line in the file: 2, 3, ... when one record is one line (the common,
    fast case), else counted with the csv module (quoted newlines, blank lines)."""
    import numpy as np

    if codec in ("utf-8", "utf-8-sig"):
        newlines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        blank = b"\n\n" in data or b"\n\r\n" in data
        if newlines == rows + 1 and not blank:
            return np.arange(2, rows + 2, dtype=np.int64)
    import csv
    import io

    text = data.decode(codec)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    out: list[int] = []
    start = 1
    for i, record in enumerate(reader):
        if i > 0 and record:
            out.append(start)
        start = reader.line_num + 1
    if len(out) != rows:  # the two parsers disagree: say so rather than misplace rows
        raise _fail(path, f"rows could not be numbered ({len(out)} vs {rows}); check quoting")
    return np.asarray(out, dtype=np.int64)


def parquet_columns(path: Any, *, what: str = "file") -> list[str]:
    """A Parquet file's column names, refusing a file that is not Parquet or names a column twice."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = check_path(path, what)
    try:
        schema = pq.read_schema(p)
    except (pa.ArrowException, OSError) as exc:
        raise _fail(p, f"is not a readable Parquet file: {' '.join(str(exc).split())}") from None
    names = list(schema.names)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise _fail(p, f"names column(s) {dups} more than once", reason="duplicate_header")
    return names


def read_table(path: Any, *, what: str = "file", encoding: str | None = None, lines: bool = False) -> Any:
    """A user's CSV (or Parquet) table as an Arrow table, through the one reader: a CSV's columns
    are text (blank cells are ""); ``lines``: keep the ``__line`` column (file line numbers; a
    Parquet file's row positions) for messages.

    Why Arrow, not pandas: a pre-launch check reads its pilot with it, and importing pandas
    (~0.25 s) would be most of the command's time.
    """
    p = check_path(path, what)
    if p.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow as pa
        import pyarrow.parquet as pq

        parquet_columns(p, what=what)
        try:
            with pq.ParquetFile(p) as fh:  # not pq.read_table: its dataset layer imports pandas
                table = fh.read()
        except (pa.ArrowException, OSError) as exc:
            raise _fail(p, f"is not a readable Parquet file: {' '.join(str(exc).split())}") from None
        if lines:
            table = table.append_column(LINE, _int64_array(range(table.num_rows)))
        return table
    table = read_text_table(p, what=what, encoding=encoding).table
    return table if lines else table.drop_columns([LINE])


def read_frame(path: Any, *, what: str = "file", encoding: str | None = None, lines: bool = False) -> Any:
    """A user's CSV (or Parquet) table as a pandas DataFrame (:func:`read_table`, converted)."""
    return read_table(path, what=what, encoding=encoding, lines=lines).to_pandas()
