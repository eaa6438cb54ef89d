"""The public API: every export resolves, and `import fairpay` stays light."""

from __future__ import annotations

import subprocess
import sys

import fairpay


def test_every_export_resolves():
    for name in fairpay.__all__:
        assert getattr(fairpay, name) is not None, name


def test_function_exports_are_not_shadowed_by_modules():
    import fairpay.prelaunch.check  # noqa: F401
    import fairpay.wages  # noqa: F401

    assert callable(fairpay.check) and callable(fairpay.benchmarks)


def test_import_is_light():
    code = "import sys, fairpay; print(sorted(m for m in ('pandas', 'numpy', 'httpx', 'duckdb', 'pydantic', 'matplotlib') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
