"""Suite-wide setup: keep the user's own fairpay data folder out of every test.

A developer who ran `fairpay data import` or `data update` has tables in their data folder that
would change benchmark lookups; tests (and the subprocesses they start) use an empty folder instead.
Tests that exercise the cache point FAIRPAY_DATA_DIR elsewhere themselves (monkeypatch).
"""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    os.environ["FAIRPAY_DATA_DIR"] = tempfile.mkdtemp(prefix="fairpay-test-data-")
