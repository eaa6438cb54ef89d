"""The user's data folder: refreshed and imported tables, written atomically under a file lock.

Why: wage benchmarks, exchange rates and prices move every year, so fairpay refreshes its bundled
snapshot from the open sources and accepts a user's own licensed living-wage table. A user must
never be left with a half-written or unvalidated table, so:

* every write goes to a temporary file in the same folder, is validated *as the file that will be
  loaded*, then moved over the old one with ``os.replace`` (atomic on POSIX and Windows);
* concurrent updaters serialise on one ``filelock`` lock file in the folder;
* each table has a JSON sidecar with its provenance (source, URL, vintage, retrieved-at, rows,
  SHA-256 of the CSV), so ``fairpay data status`` can say where every table comes from, and a
  table whose bytes no longer match its sidecar is ignored rather than trusted.

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
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairpay.errors import FairpayError

__all__ = [
    "ENV_VAR",
    "Provenance",
    "data_dir",
    "table_path",
    "user_table_path",
    "meta_path",
    "read_meta",
    "locate",
    "locate_user",
    "lock",
    "atomic_write_bytes",
    "write_table",
    "remove",
    "rows_to_csv",
    "stored_files",
]

ENV_VAR = "FAIRPAY_DATA_DIR"
LOCK_NAME = ".fairpay.lock"
LOCK_TIMEOUT_S = 60.0
USER_PREFIX = "user_"


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


def table_path(kind: str) -> Path:
    """The refreshed (cached) copy of a bundled table."""
    return data_dir() / f"{kind}.csv"


def user_table_path(kind: str) -> Path:
    """A user's imported table (e.g. ``user_living_wages.csv``), used ahead of bundled rows."""
    return data_dir() / f"{USER_PREFIX}{kind}.csv"


def meta_path(csv_path: Path) -> Path:
    """The provenance sidecar of a stored CSV."""
    return csv_path.with_name(csv_path.stem + ".meta.json")


def read_meta(csv_path: Path) -> dict[str, Any] | None:
    """The sidecar of ``csv_path`` if it exists and parses as a JSON object, else None."""
    try:
        meta = json.loads(meta_path(csv_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _verified(path: Path) -> Path | None:
    """``path`` if it exists with a sidecar whose SHA-256 matches its bytes.

    Why: a file edited by hand, or left by an older fairpay, has no trustworthy provenance;
    loading then falls back to the next source in line instead of citing it wrongly.
    """
    if not path.is_file():
        return None
    meta = read_meta(path)
    if meta is None or meta.get("sha256") != _sha256(path):
        import warnings

        warnings.warn(
            f"ignoring {path}: its provenance file {meta_path(path).name} is missing or does not "
            "match it (run 'fairpay data reset' or update again)",
            stacklevel=3,
        )
        return None
    return path


def locate(kind: str) -> tuple[Path, str] | None:
    """The refreshed copy of ``kind`` and its origin label ``"cache"``, if one is stored."""
    path = _verified(data_dir() / f"{kind}.csv")
    return (path, "cache") if path else None


def locate_user(kind: str) -> tuple[Path, str] | None:
    """The user's imported ``kind`` table and its origin label ``"user"``, if one is stored."""
    path = _verified(data_dir() / f"{USER_PREFIX}{kind}.csv")
    return (path, "user") if path else None


# --------------------------------------------------------------------------- writing
@contextmanager
def lock(timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the data folder's lock: one updater/importer/reset at a time, across processes."""
    import filelock

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    try:
        with filelock.FileLock(str(path), timeout=timeout):
            yield
    except filelock.Timeout as exc:
        raise FairpayError(
            f"{path}: another fairpay process has held the data lock for over {timeout:g} s; "
            "try again when it has finished"
        ) from exc


def atomic_write_bytes(path: Path, data: bytes, *, check: Callable[[Path], None] | None = None) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a mix.

    The bytes go to a temporary file in the same folder (same filesystem, so ``os.replace`` is
    atomic), are flushed to disk, optionally checked (``check(tmp_path)`` raises to abort), and
    only then replace ``path``. On any failure the temporary file is removed and ``path`` is
    untouched.
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


def write_table(
    path: Path,
    data: bytes,
    provenance: Provenance,
    validate: Callable[[Path], Any],
) -> dict[str, Any]:
    """Store a table at ``path`` with its sidecar, only if ``validate(tmp_path)`` accepts it.

    Why validate the temporary *file*: the check then covers exactly the bytes that will be
    loaded later (CSV quoting included), not an in-memory version of them. ``validate`` raises
    :class:`InvalidDataError` to refuse; the stored table is then exactly as before.
    The caller holds :func:`lock`. The CSV is replaced before the sidecar; a crash between the
    two leaves a SHA mismatch, so the pair is ignored (never trusted half-updated).
    """
    results: list[Any] = []

    def check(tmp: Path) -> None:
        results.append(validate(tmp))

    meta = provenance.as_dict()
    meta["sha256"] = hashlib.sha256(data).hexdigest()
    meta["file"] = path.name
    atomic_write_bytes(path, data, check=check)
    table = results[0] if results else None
    if table is not None and hasattr(table, "rows"):
        meta["rows"] = len(table.rows)
    atomic_write_bytes(meta_path(path), (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())
    return meta


def remove(paths: Iterable[Path]) -> list[Path]:
    """Delete stored tables and their sidecars; returns the files actually removed."""
    removed: list[Path] = []
    for path in paths:
        for target in (path, meta_path(path)):
            if target.exists():
                target.unlink()
                removed.append(target)
    return removed


def stored_files() -> list[Path]:
    """Every table CSV in the data folder (cached and user), sorted by name."""
    folder = data_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.csv") if not p.name.startswith("."))
