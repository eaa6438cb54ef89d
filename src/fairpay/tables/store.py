"""The user's data folder: refreshed and imported tables, each a series of immutable versions.

Why: wage benchmarks, exchange rates and prices move every year, so fairpay refreshes its bundled
snapshot from the open sources and accepts a user's own licensed living-wage table. A user must
never be left with a half-written, torn or unvalidated table, and a corrupt file must never send
them silently back to an older snapshot. So each table lives in its own folder::

    <data dir>/tables/<name>/            name: a table kind, or user_<kind> for an import
        CURRENT                          the id of the version in use (one line)
        v000007-20261206T041500/         a committed version, never modified afterwards:
            <kind>.csv                   the table, in the bundled column layout
            <kind>.meta.json             provenance + SHA-256 of every file in the folder
        .tmp-.../                        a version being written (cleaned by the next writer)

* a new version is written into a hidden temporary folder, validated *as the file that will be
  loaded*, fsynced, renamed to its version id, and only then made current by replacing
  ``CURRENT`` with ``os.replace`` (atomic on POSIX and Windows). Table and checksum sit in the
  same immutable folder, so a reader sees the old pair or the new pair, never one of each;
* the previous :data:`KEEP` versions stay: when the current one is corrupt (checksum mismatch,
  missing file, unreadable), loading falls back to the newest earlier version that verifies (the
  last good update), not to the bundled snapshot, and :func:`notices` says so for every output;
* writers serialise on one ``filelock`` lock file; whoever takes the lock first removes
  temporary folders a killed writer left behind.

The folder is ``platformdirs.user_data_dir("fairpay")`` unless ``FAIRPAY_DATA_DIR`` names another.
This module is stdlib-only at import (platformdirs and filelock load inside the functions); it
knows nothing of table schemas: callers pass a ``validate`` callable (see ``fairpay.tables.sources``).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

from fairpay.errors import FairpayError

__all__ = [
    "ENV_VAR",
    "KEEP",
    "Provenance",
    "data_dir",
    "table_dir",
    "user_name",
    "meta_path",
    "read_meta",
    "versions",
    "current_version",
    "locate",
    "locate_user",
    "candidates",
    "notices",
    "note",
    "clear_notices",
    "forget_cached",
    "lock",
    "clean_leftovers",
    "tidy",
    "atomic_write_bytes",
    "write_version",
    "remove",
    "rows_to_csv",
    "stored_names",
    "data_version",
    "by_data_version",
]

ENV_VAR = "FAIRPAY_DATA_DIR"
LOCK_NAME = ".fairpay.lock"
LOCK_TIMEOUT_S = 60.0
USER_PREFIX = "user_"
TABLES_DIR = "tables"
CURRENT = "CURRENT"
TMP_PREFIX = ".tmp-"
KEEP = 3  # committed versions kept per table (the current one and the last good ones before it)


@dataclass(frozen=True)
class Provenance:
    """Where a stored table came from: enough to cite it and to judge its age."""

    source: str  # e.g. "worldbank PA.NUS.FCRF", "user import"
    url: str  # the URL fetched, or the imported file's path
    vintage: str  # the publisher's last-updated date (or the retrieval date if it gives none)
    retrieved_at: str  # ISO 8601 UTC timestamp of the fetch/import
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "url": self.url,
            "vintage": self.vintage,
            "retrieved_at": self.retrieved_at,
            **dict(self.extra),
        }


def now_utc() -> str:
    """The current UTC time as ISO 8601 to the second (the retrieved-at stamp)."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- locations
def data_dir() -> Path:
    """The folder holding cached and user tables (not created here: reading must not write)."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("fairpay", appauthor=False))


def data_version() -> tuple[Any, ...]:
    """What the stored tables are now, read cheaply: the data folder, and each stored table's
    folder with its change time (nanoseconds). A write makes a version folder and replaces
    ``CURRENT`` in the table's folder, an import or a removal adds or drops a folder: each
    changes this value.

    Why: the caches of loaded tables (and of what is built from them: the benchmark collection,
    the exchange rates, the fitted estimate) are keyed on it (:func:`by_data_version`), so a
    process sees an update at its next lookup, whether this process or another one made it, and
    nothing below has to be told to forget.
    """
    root = data_dir() / TABLES_DIR
    try:
        with os.scandir(root) as entries:
            found = sorted((e.name, e.stat().st_mtime_ns) for e in entries if e.is_dir())
    except OSError:
        found = []
    return (str(root), tuple(found))


_P = ParamSpec("_P")
_R = TypeVar("_R")


class by_data_version(Generic[_P, _R]):  # noqa: N801 - used as a decorator, like functools.cache
    """Cache a function of hashable positional arguments per :func:`data_version` (the last
    ``maxsize`` results); ``cache_clear()`` forgets them all (to free memory; never needed for
    correctness)."""

    def __init__(self, fn: Callable[_P, _R], maxsize: int = 64) -> None:
        import functools

        self.__wrapped__ = fn
        functools.update_wrapper(self, fn)
        self._cached = functools.lru_cache(maxsize=maxsize)(self._call)
        _CACHES.add(self)

    def _call(self, _version: tuple[Any, ...], *args: Any) -> _R:
        return self.__wrapped__(*args)  # type: ignore[call-arg]

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if kwargs:
            raise TypeError(f"{self.__wrapped__.__name__}: positional arguments only")
        return self._cached(data_version(), *args)

    def cache_clear(self) -> None:
        """Forget every cached result."""
        self._cached.cache_clear()


#: Every :class:`by_data_version` cache, wherever it is defined (see :func:`forget_cached`); weak,
#: so a cache made for a while (a test's) goes when its function does.
_CACHES: weakref.WeakSet[by_data_version[Any, Any]] = weakref.WeakSet()


def forget_cached() -> None:
    """Forget what every :class:`by_data_version` cache holds (tables, the benchmark collection,
    rates, the estimate), and the notices already given.

    Why: a process that has just written the data forgets at once instead of relying on a folder's
    change time alone (two writes within the file system's clock tick look the same); and this
    layer needs no import of the layers whose caches these are.
    """
    for cached in list(_CACHES):
        cached.cache_clear()
    clear_notices()


def table_dir(name: str) -> Path:
    """The folder of one stored table's versions (``name``: a kind, or :func:`user_name`)."""
    return data_dir() / TABLES_DIR / name


def user_name(kind: str) -> str:
    """The stored name of a user's imported ``kind`` table (e.g. ``user_living_wages``)."""
    return f"{USER_PREFIX}{kind}"


def meta_path(csv_path: Path) -> Path:
    """The provenance sidecar of a stored CSV (same folder, ``<stem>.meta.json``)."""
    return csv_path.with_name(csv_path.stem + ".meta.json")


def read_meta(csv_path: Path) -> dict[str, Any] | None:
    """The sidecar of ``csv_path`` if it exists and parses as a JSON object, else None."""
    try:
        meta = json.loads(meta_path(csv_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions(name: str) -> list[Path]:
    """Committed version folders of ``name``, oldest first (ids sort by their sequence number)."""
    folder = table_dir(name)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.is_dir() and p.name.startswith("v") and p.name[1:7].isdigit())


def current_version(name: str) -> Path | None:
    """The version folder ``CURRENT`` names, if the pointer is readable and well formed."""
    try:
        ident = (table_dir(name) / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not ident.startswith("v") or "/" in ident or "\\" in ident or ident.startswith("."):
        return None
    return table_dir(name) / ident


def _problem(version: Path) -> tuple[Path | None, str]:
    """(the table CSV, '') if every file of ``version`` matches its recorded checksum, else (None, why)."""
    try:
        metas = sorted(version.glob("*.meta.json"))
    except OSError:
        return None, "its folder is missing"
    if len(metas) != 1:
        return None, "its provenance file is missing"
    try:
        meta = json.loads(metas[0].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, "its provenance file is unreadable"
    files = meta.get("files") if isinstance(meta, dict) else None
    table = metas[0].with_name(metas[0].name.removesuffix(".meta.json") + ".csv")
    if not isinstance(files, dict) or table.name not in files:
        return None, "its provenance file lists no checksums"
    sizes = meta.get("sizes") if isinstance(meta.get("sizes"), dict) else {}
    later = set(meta.get("verify_on_read") or ())
    for file_name, digest in files.items():
        path = version / str(file_name)
        try:
            if file_name in later:  # large: its size now, its checksum by whoever reads it in full
                if path.stat().st_size != sizes.get(file_name):
                    return None, f"{file_name} does not have its recorded size"
            elif _sha256_file(path) != digest:
                return None, f"{file_name} does not match its checksum"
        except OSError:
            return None, f"{file_name} is missing"
    return table, ""


# --------------------------------------------------------------------------- notices
_NOTICES: dict[str, str] = {}


def note(name: str, message: str) -> None:
    """Record (once per table) that loading ``name`` did not use its current version, and warn."""
    if _NOTICES.get(name) == message:
        return
    _NOTICES[name] = message
    import warnings

    warnings.warn(message, stacklevel=3)


def notices() -> list[str]:
    """What this process had to work around in the data folder (corrupt versions, fallbacks).

    Why a function and not only ``warnings``: JSON and report outputs list these with their
    other warnings, so a fallback is stated in every output format, not only on stderr.
    """
    return [_NOTICES[k] for k in sorted(_NOTICES)]


def clear_notices() -> None:
    """Forget recorded notices (after the data folder changed)."""
    _NOTICES.clear()


def candidates(name: str) -> list[Path]:
    """Verified table CSVs of ``name`` to try in order: the current version, then the last good ones.

    Why not fall straight back to the bundled table: a user who refreshed their data relies on
    that refresh; a corrupt newest version must cost them one update, not all of them.
    Each skipped version is recorded with :func:`note`.
    """
    for _attempt in range(5):  # a writer may switch and prune while we read: look again
        current = current_version(name)
        committed = versions(name)
        if current is None and not committed:
            legacy = data_dir() / f"{name}.csv"
            if legacy.is_file():
                note(
                    name,
                    f"{legacy}: a table stored by an older fairpay is no longer read; run "
                    "'fairpay data update' (or 'fairpay data import' again) to store it the new way",
                )
            return []
        ordered = ([current] if current is not None else []) + [
            v for v in reversed(committed) if v != current
        ]
        good: list[Path] = []
        skipped: list[str] = []
        for version in ordered:
            table, why = _problem(version)
            if table is None:
                skipped.append(f"{version.name}: {why}")
            else:
                good.append(table)
        if current is not None and good and good[0].parent == current:
            return good  # the current version verifies: older damaged ones only drop out of line
        if current is None:
            skipped.insert(0, f"its {CURRENT} pointer is missing or unreadable")
        if current_version(name) != current:
            continue  # the table was replaced meanwhile: what we read was not damaged, only retired
        if skipped:
            where = table_dir(name)
            if good:
                meta = read_meta(good[0]) or {}
                note(
                    name,
                    f"{where}: the current stored {name} table is damaged ({'; '.join(skipped)}); using "
                    f"the last good update {good[0].parent.name} (retrieved {meta.get('retrieved_at', '?')}, "
                    f"vintage {meta.get('vintage', '?')}) instead; run 'fairpay data update' to repair it",
                )
            else:
                note(
                    name,
                    f"{where}: every stored version of the {name} table is damaged ({'; '.join(skipped)}); "
                    "using the bundled table; run 'fairpay data update' or 'fairpay data reset'",
                )
        return good
    return []


def locate(kind: str) -> tuple[Path, str] | None:
    """The refreshed copy of ``kind`` to load and its origin label ``"cache"``, if one verifies."""
    found = candidates(kind)
    return (found[0], "cache") if found else None


def locate_user(kind: str) -> tuple[Path, str] | None:
    """The user's imported ``kind`` table and its origin label ``"user"``, if one verifies."""
    found = candidates(user_name(kind))
    return (found[0], "user") if found else None


# --------------------------------------------------------------------------- writing
def clean_leftovers() -> list[Path]:
    """Remove temporary folders and files a killed writer left; the caller holds :func:`lock`."""
    root = data_dir() / TABLES_DIR
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for entry in [*root.iterdir(), *(p for d in root.iterdir() if d.is_dir() for p in d.iterdir())]:
        if entry.name.startswith((TMP_PREFIX, f".{CURRENT}.")):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


@contextmanager
def lock(timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the data folder's lock (one updater/importer/reset at a time, across processes).

    The holder first removes what a killed writer left behind: no one else can be writing.
    """
    import filelock

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    try:
        with filelock.FileLock(str(path), timeout=timeout):
            clean_leftovers()
            yield
    except filelock.Timeout as exc:
        raise FairpayError(
            f"{path}: another fairpay process has held the data lock for over {timeout:g} s; "
            "try again when it has finished"
        ) from exc


def tidy() -> list[Path]:
    """Remove a killed writer's leftovers now if no writer is running (never waits, never creates).

    Why: ``fairpay data status`` should not show (or keep) debris; the lock proves no write is
    in progress, and a busy lock just means the next writer cleans up instead.
    """
    if not (data_dir() / TABLES_DIR).is_dir():
        return []
    import filelock

    try:
        with filelock.FileLock(str(data_dir() / LOCK_NAME), timeout=0):
            return clean_leftovers()
    except (filelock.Timeout, OSError):
        return []


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, check: Callable[[Path], None] | None = None) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a mix.

    The bytes go to a hidden temporary file in the same folder (same filesystem, so
    ``os.replace`` is atomic), are flushed to disk, optionally checked (``check(tmp_path)``
    raises to abort), and only then replace ``path``. On any failure the temporary file is
    removed and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def rows_to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    """Rows as UTF-8 CSV bytes with exactly ``columns`` (the bundled layout), None -> empty."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def _next_id(name: str) -> str:
    existing = [int(v.name[1:7]) for v in versions(name)]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    return f"v{max(existing, default=0) + 1:06d}-{stamp}"


def write_version(
    name: str,
    kind: str,
    data: bytes | Path,
    provenance: Provenance,
    validate: Callable[[Path], Any],
    extra_files: Mapping[str, bytes] | None = None,
    verify_on_read: Sequence[str] = (),
) -> dict[str, Any]:
    """Store a new version of ``name`` (the ``kind`` table), only if ``validate(csv_path)`` accepts it.

    Why validate the written *file*: the check then covers exactly the bytes that will be
    loaded later (CSV quoting included). ``validate`` raises to refuse; the stored table is then
    exactly as before and the temporary folder is gone. The caller holds :func:`lock`.
    ``extra_files`` (e.g. an index for fast loading; names may contain one folder) are
    checksummed with the table. Files named in ``verify_on_read`` (a large import's CSV) are
    checked by size when the version is located and by checksum only when read in full, so
    locating a table never reads hundreds of megabytes. ``data`` may be a file to copy as the
    table (an import keeps the user's own bytes). Returns the provenance written.
    """
    folder = table_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=folder))
    try:
        table = f"{kind}.csv"
        files = {table: data, **dict(extra_files or {})}
        for file_name, payload in files.items():
            (tmp / file_name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(payload, Path):
                shutil.copyfile(payload, tmp / file_name)
            with open(tmp / file_name, "ab" if isinstance(payload, Path) else "wb") as fh:
                if not isinstance(payload, Path):
                    fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        result = validate(tmp / table)
        ident = _next_id(name)
        meta = provenance.as_dict()
        meta["files"] = {
            n: _sha256_file(tmp / n) if isinstance(p, Path) else hashlib.sha256(p).hexdigest()
            for n, p in sorted(files.items())
        }
        meta["sha256"] = meta["files"][table]
        meta["file"] = table
        meta["version"] = ident
        if verify_on_read:
            meta["verify_on_read"] = sorted(verify_on_read)
            meta["sizes"] = {n: (tmp / n).stat().st_size for n in sorted(verify_on_read)}
        if result is not None and hasattr(result, "rows"):
            meta["rows"] = len(result.rows)
        with open(tmp / f"{kind}.meta.json", "wb") as fh:
            fh.write((json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        os.rename(tmp, folder / ident)
        _fsync_dir(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_bytes(folder / CURRENT, (ident + "\n").encode())
    _prune(name)
    _NOTICES.pop(name, None)
    return meta


def _prune(name: str) -> None:
    """Keep the newest :data:`KEEP` versions (the current one always among them)."""
    current = current_version(name)
    for old in versions(name)[:-KEEP]:
        if old != current:
            _discard(old)


def _discard(path: Path) -> None:
    """Remove a folder so it vanishes at once: renamed to a temporary name, then deleted."""
    doomed = path.parent / f"{TMP_PREFIX}gone-{path.name}"
    try:
        os.rename(path, doomed)
    except OSError:
        return
    shutil.rmtree(doomed, ignore_errors=True)


def remove(names: Iterable[str]) -> list[str]:
    """Delete every version of the named stored tables; returns the names actually removed.

    The caller holds :func:`lock`. Each table folder is renamed away first, so a reader sees the
    table or nothing (and a crash leaves only a temporary folder the next writer cleans).
    """
    removed: list[str] = []
    root = data_dir() / TABLES_DIR
    for name in names:
        folder = table_dir(name)
        if folder.is_dir():
            doomed = root / f"{TMP_PREFIX}gone-{name}"
            os.rename(folder, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(name)
            _NOTICES.pop(name, None)
    return removed


def stored_names() -> list[str]:
    """Every stored table (cached kinds and ``user_`` imports), sorted."""
    root = data_dir() / TABLES_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
