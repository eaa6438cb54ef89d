"""Every test of the tables gets its own empty data folder (never the user's) and forgets the
tables loaded before it; no source address from the environment sends an update elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fairpay.tables import sources, store


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "fairpay-data"
    monkeypatch.setenv(store.ENV_VAR, str(folder))
    for name in sources.SOURCES:
        monkeypatch.delenv(f"FAIRPAY_{name.upper()}_URL", raising=False)
    sources._forget_loaded()
    yield folder
    sources._forget_loaded()
