"""Every notebook under notebooks/ runs top to bottom, uses only bundled examples, and is stored clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"01_prelaunch_planning.ipynb", "02_pilot_time.ipynb", "03_audit_backpay.ipynb"}


def test_the_three_notebooks_exist():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: outputs stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_uses_only_bundled_examples(path: Path):
    source = "\n".join(
        "".join(c["source"])
        for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if c["cell_type"] == "code"
    )
    assert "http://" not in source and "https://" not in source and "httpx" not in source
    for name in re.findall(r'EXAMPLES / "([^"]+)"', source):
        assert (ROOT / "examples" / name).is_file(), (
            f"{path.name} reads examples/{name}, which does not exist"
        )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    if path.name.startswith("03_"):
        try:
            import fairpay.auditing.engine  # noqa: F401
            import fairpay.auditing.ledger  # noqa: F401
        except ImportError as exc:  # the audit is issue #5; the notebook needs it
            pytest.skip(f"fairpay.audit is not importable: {exc}")
    # no user data folder: the notebook must run on the bundled snapshot alone
    monkeypatch.setenv("FAIRPAY_DATA_DIR", str(tmp_path / "data"))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # the notebook printed real results, not just ran
    text = "\n".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream"
    )
    assert "HTML report:" in text
