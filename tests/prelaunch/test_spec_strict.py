"""Strict specs and the one pilot reader (issue 16): nothing coerced, nothing given twice, every
message names the file, the task and the field; a pilot is read like every other file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairpay.errors import InvalidDataError, InvalidInputError, SpecError
from fairpay.prelaunch.check import task_time
from fairpay.prelaunch.spec import Task, load_project, parse_project
from fairpay.worktime.estimates import parse_statistic, read_pilot


def spec(**task: object) -> dict:
    t = {"name": "label", "pay_per_task": 1, "seconds": 60, "volume": 10, **task}
    return {"name": "x", "currency": "USD", "tasks": [t], "workforce": [{"country": "US"}]}


@pytest.mark.parametrize("field", ["seconds", "volume", "pay_per_task"])
def test_true_is_not_a_number(tmp_path: Path, field: str) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec(**{field: True})))
    with pytest.raises(SpecError) as exc:
        load_project(path)
    message = str(exc.value)
    assert str(path) in message and f"tasks[0]: {field}:" in message and "task 'label'" in message


def test_yaml_yes_is_not_a_volume(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: x\ncurrency: USD\nworkforce: [{country: US}]\n"
        "tasks:\n  - {name: label, pay_per_task: 1, seconds: 60, volume: yes}\n"
    )
    with pytest.raises(SpecError, match=r"spec\.yaml.*tasks\[0\]: volume: True is true/false"):
        load_project(path)


def test_times_of_true_are_refused() -> None:
    with pytest.raises(SpecError, match=r"times: \[True, 60\] is true/false"):
        parse_project(spec(seconds=None, times=[True, 60]))


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("spec.json", '{"name": "x", "currency": "USD", "name": "y"}', None),
        ("spec.yaml", "name: x\ncurrency: USD\nname: y\n", 3),
    ],
)
def test_a_key_given_twice_is_refused(tmp_path: Path, name: str, text: str, line: int | None) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpecError, match=rf"{name}: key 'name' is given twice") as exc:
        load_project(path)
    if line:
        assert f"(line {line})" in str(exc.value)


def test_nested_yaml_duplicate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: x\ncurrency: USD\nworkforce: [{country: US}]\n"
        "tasks:\n  - name: a\n    pay_per_task: 1\n    seconds: 60\n    seconds: 90\n    volume: 1\n"
    )
    with pytest.raises(SpecError, match=r"key 'seconds' is given twice \(line 8\)"):
        load_project(path)


def test_duplicate_task_names_are_named() -> None:
    data = spec()
    data["tasks"] = [data["tasks"][0], {**data["tasks"][0], "seconds": 90}]
    with pytest.raises(SpecError, match=r"task name 'label' is used twice \(tasks\[0\] and tasks\[1\]\)"):
        parse_project(data)


@pytest.mark.parametrize(
    "statistic", ["p075", "P75", "p75", " median ", "p97.5", "p0", "p100", "p 75", "q75"]
)
def test_spec_and_estimator_share_one_statistic_parser(statistic: str) -> None:
    data = {**spec(), "policy": {"statistic": statistic}}
    try:
        expected = parse_statistic(statistic)[0]
    except InvalidInputError:
        with pytest.raises(SpecError, match="policy.statistic"):
            parse_project(data)
    else:
        assert parse_project(data).policy.statistic == expected


# --------------------------------------------------------------------------- pilots


def _task(pilot: Path, **kw: object) -> Task:
    return Task(name="label", pay_per_task=1, pilot=str(pilot), volume=10, **kw)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_pilot_saved_with_a_bom_is_read_when_named_in_a_spec(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "pilot.csv"
    path.write_text("seconds\n" + "".join(f"{s}\n" for s in (30, 40, 50, 60, 70)), encoding=encoding)
    tt = task_time(_task(path), "median")
    assert float(tt.seconds) == 50.0  # the median of 30..70


def test_pilot_errors_name_task_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "pilot.csv"
    path.write_text("worker,seconds\na,30\nb,abc\nc,\nd,-4\ne,50\n")
    with pytest.raises(InvalidDataError) as exc:
        task_time(_task(path, worker_column="worker"), "median")
    assert "task 'label'" in str(exc.value) and "pilot.csv" in str(exc.value)
    assert [(r.row, r.value) for r in exc.value.records] == [(3, "abc"), (4, None), (5, "-4")]


def test_latin1_pilot_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pilot.csv"
    path.write_bytes("worker,seconds\nWé,30\n".encode("latin-1"))
    with pytest.raises(InvalidDataError, match=r"line 2.*not UTF-8"):
        task_time(_task(path, worker_column="worker"), "median")
    assert read_pilot(path, "seconds", "worker", encoding="latin-1") == ([30.0], ["Wé"])
    path.write_bytes("worker,seconds\nWé,30\nX,40\n".encode("latin-1"))
    tt = task_time(_task(path, worker_column="worker", encoding="latin-1"), "median")
    assert float(tt.seconds) == 35.0  # per-worker medians 30 and 40 -> 35


def test_missing_pilot_column_names_task_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "pilot.csv"
    path.write_text("secs\n30\n40\n")
    with pytest.raises(SpecError, match=r"task 'label'.*no column 'seconds' \(columns: secs\)"):
        task_time(_task(path), "median")


def test_one_time_is_refused_naming_the_task() -> None:
    task = Task(name="label", pay_per_task=1, times=[60], volume=10)
    with pytest.raises(SpecError, match=r"task 'label': times: "):
        task_time(task, "median")


def test_parquet_pilot_with_empty_cells_names_each_row(tmp_path: Path) -> None:
    # a Parquet pilot's null time is a missing time and a null worker an empty id, as in a CSV;
    # rows are named by their position (0-based), every problem at once
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "pilot.parquet"
    pq.write_table(pa.table({"seconds": [30.0, None, 5.0, -1.0], "worker": ["a", "b", None, "d"]}), path)
    with pytest.raises(InvalidDataError) as exc:
        read_pilot(path, "seconds", "worker")
    got = [(r.row, r.column, r.message) for r in exc.value.records]
    assert got == [
        (1, "seconds", "a time is required"),
        (2, "worker", "empty worker id"),
        (3, "seconds", "not a positive number of seconds"),
    ]
