"""Platform exports as they really are: fixtures shaped exactly like Prolific's old-style,
new-style and re-saved exports (see ../shared/real_logs/prolific/README.md), and the real files
themselves when ``../shared`` is present. Expected figures are computed here independently
(csv module + datetime), never copied from the audit's output."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest
from test_audit_inputs import AnyBar, write

from fairpay.auditing.engine import audit

SHARED = Path(__file__).resolve().parents[3] / "shared" / "real_logs"
if not SHARED.exists():  # the worktree layout: /work/<branch>/tests/auditing -> /work/shared
    SHARED = Path("/work/shared/real_logs")
USD = {"project": "study", "reward": 1.00, "currency": "USD"}


def prolific(path: Path, **kw):  # noqa: ANN003, ANN201
    return audit(path, preset="prolific", defaults=USD, benchmarks=AnyBar(), **kw)


def cents_up(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_CEILING)


OLD = (
    "session_id,participant_id,status,started_datetime,completed_date_time,time_taken,"
    "reviewed_at_datetime,Current Country of Residence\r\n"
    "S1,P1,APPROVED,2020-12-15 01:17:39.951000,2020-12-15 01:30:50.736000,790.785,2020-12-15 06:12:15.999000,Chile\r\n"
    "S2,P2,RETURNED,2020-12-15 01:20:00.000000,,2337097.5,,CONSENT REVOKED\r\n"
    "S3,P3,APPROVED,2021-01-03 03:00:49.500000,2021-01-03 03:40:49,2399.5,,DATA EXPIRED\r\n"
    "S4,P4,TIMED-OUT,2020-12-15 02:00:00.100000,,900000.1,,CONSENT REVOKED\r\n"
    "S5,P5,RETURNED,2020-12-15 02:00:00.100000,2020-12-15 02:10:00.100000,600,,United States\r\n"
    "S6,P6,SCREENED OUT,2020-12-15 02:00:00.000001,2020-12-15 02:06:31.000001,391,,United Kingdom\r\n"
)


def test_old_style_export(tmp_path: Path) -> None:
    r = prolific(write(tmp_path, OLD))
    w = r.workers.set_index("worker")
    assert sorted(w.index) == ["P1", "P5", "P6"]
    # P1: 790.785 s at 15 USD/h = 3.2949375, paid 1.00 -> 2.2949375 -> 2.30
    assert Decimal(str(w.loc["P1", "top_up"])) == cents_up(Decimal("790.785") * 15 / 3600 - 1)
    # P5 returned after working 600 s (unpaid): 2.50; P6 screened out, 391 s, payment unknown -> 1.63
    assert float(w.loc["P5", "top_up"]) == pytest.approx(2.50)
    assert float(w.loc["P6", "top_up"]) == pytest.approx(1.63)
    aside = r.set_aside[["row", "reason"]].values.tolist()
    assert aside == [[3, "no_completion"], [4, "country_withheld"], [5, "no_completion"]]
    assert any("1 SCREENED OUT row(s)" in x and "screen-out payment" in x for x in r.warnings)


NEW = (
    "Submission id,PROLIFIC_PID,Status,Started at,Completed at,Reviewed at,Time taken,Country of residence\r\n"
    "Sa,Pa,APPROVED,2023-05-01T00:16:52.015000Z,2023-05-01T00:24:25.848000Z,2023-05-01T00:24:26.305000,454,United States\r\n"
    "Sb,Pb,APPROVED,2023-05-01T01:51:26Z,2023-05-01T02:01:26.500000Z,2023-05-01T02:01:27Z,601,United States\r\n"
    "Sc,Pc,APPROVED,2023-05-01T01:00:00.000100Z,2023-05-01T01:10:00.000100Z,,600,CONSENT_REVOKED\r\n"
    "Sd,Pd,RETURNED,2023-05-01T01:00:00.500000Z,,,,CONSENT_REVOKED\r\n"
)


def test_new_style_export_with_renamed_participant_column(tmp_path: Path) -> None:
    r = prolific(write(tmp_path, NEW))
    w = r.workers.set_index("worker")
    # Pa: 453.833 s -> 1.8909708 - 1 = 0.8909708 -> 0.90; Pb: 600.5 s -> 2.5020833 - 1 -> 1.51 (up)
    assert float(w.loc["Pa", "top_up"]) == pytest.approx(0.90)
    assert float(w.loc["Pb", "top_up"]) == pytest.approx(1.51)
    assert r.set_aside[["row", "reason"]].values.tolist() == [[4, "country_withheld"], [5, "no_completion"]]


RESAVED = (
    "id,status,started_datetime,completed_date_time,time_taken,reviewed_at_datetime,Current Country of Residence\n"
    "P8,APPROVED,2022-06-10T19:05:02Z,2022-06-10T19:16:08Z,665.875,2022-06-10T21:16:11Z,United States\n"
    "P9,RETURNED,2022-06-10T19:05:02Z,NA,1114207,NA,CONSENT REVOKED\n"
)


def test_resaved_export_with_na_blanks(tmp_path: Path) -> None:
    r = prolific(write(tmp_path, RESAVED))
    # P8: 666 s -> 2.775 - 1 = 1.775 -> 1.78
    assert float(r.workers.set_index("worker").loc["P8", "top_up"]) == pytest.approx(1.78)
    assert r.set_aside[["row", "reason"]].values.tolist() == [[3, "no_completion"]]


def test_both_header_styles_at_once_is_ambiguous(tmp_path: Path) -> None:
    from fairpay.errors import InvalidInputError

    lines = NEW.splitlines()
    text = "\r\n".join([lines[0] + ",participant_id"] + [x + ",P0" for x in lines[1:]]) + "\r\n"
    with pytest.raises(InvalidInputError, match="could be the worker"):
        prolific(write(tmp_path, text))


def test_missing_reward_says_how_to_supply_it(tmp_path: Path) -> None:
    from fairpay.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"'Reward'.*defaults="):
        audit(write(tmp_path, NEW), preset="prolific", defaults={"project": "s", "currency": "USD"})


# --------------------------------------------------------------------------- the real exports

PROLIFIC_FILES = [
    "investment_alignment",
    "feature_learning_pre",
    "collective_action_e3",
    "uncertainty_effect",
]
OLD_NAMES = {
    "status": ("Status", "status"),
    "started": ("Started at", "started_datetime"),
    "completed": ("Completed at", "completed_date_time"),
    "country": ("Country of residence", "Current Country of Residence"),
    "worker": ("Participant id", "participant_id", "PROLIFIC_PID", "id"),
}


def _get(row: dict[str, str], what: str) -> str:
    return next(row[n] for n in OLD_NAMES[what] if n in row).strip()


def _instant(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize("name", PROLIFIC_FILES)
def test_real_prolific_exports(name: str) -> None:
    path = SHARED / "prolific" / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent (the real exports live in ../shared, outside the repository)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expect_aside: dict[int, str] = {}
    expect_seconds: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        completed, country = _get(row, "completed"), _get(row, "country")
        if completed in ("", "NA") and _get(row, "status").lower() in ("returned", "timed-out"):
            expect_aside[line] = "no_completion"
        elif country in ("", "NA", "CONSENT REVOKED", "CONSENT_REVOKED", "DATA EXPIRED"):
            expect_aside[line] = "country_withheld"
        else:
            span = _instant(completed) - _instant(_get(row, "started"))
            expect_seconds[_get(row, "worker")] = span.total_seconds()
    r = prolific(path)
    assert dict(zip(r.set_aside["row"], r.set_aside["reason"])) == expect_aside
    got = dict(zip(r.workers["worker"].astype(str), r.workers["hours"] * 3600))
    assert got.keys() == expect_seconds.keys()
    assert all(math.isclose(got[k], v, abs_tol=1e-6) for k, v in expect_seconds.items())


MTURK_FILES = ["adjectives_hw7", "bbox_survey", "face_bbox", "mc_survey", "poem_compare", "tweet_audience"]
PACIFIC = {"PST": dt.timezone(dt.timedelta(hours=-8)), "PDT": dt.timezone(dt.timedelta(hours=-7))}


def _mturk_time(text: str) -> dt.datetime:
    day, month, date, clock, zone, year = text.split()
    return dt.datetime.strptime(f"{day} {month} {date} {clock} {year}", "%a %b %d %H:%M:%S %Y").replace(
        tzinfo=PACIFIC[zone]
    )


@pytest.mark.parametrize("name", MTURK_FILES)
def test_real_mturk_exports(name: str) -> None:
    path = SHARED / "mturk" / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent (the real exports live in ../shared, outside the repository)")
    intervals: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            w = row["WorkerId"]
            intervals[w].append((_mturk_time(row["AcceptTime"]), _mturk_time(row["SubmitTime"])))
            if row["AssignmentStatus"] in ("Approved", "Submitted"):  # submitted counts as paid by default
                paid[w] += Decimal(row["Reward"].strip().lstrip("$"))
    seconds = {}
    for w, spans in intervals.items():  # merged time: the union of a worker's intervals
        total, end = 0.0, None
        for s, e in sorted(spans):
            if end is None or s > end:
                total += (e - s).total_seconds()
                end = e
            elif e > end:
                total += (e - end).total_seconds()
                end = e
        seconds[w] = total
    r = audit(path, preset="mturk", country="US", benchmarks=AnyBar())
    w = r.workers.set_index(r.workers["worker"].astype(str))
    assert set(w.index) == set(seconds)
    for k, s in seconds.items():
        assert w.loc[k, "hours"] * 3600 == pytest.approx(s, abs=1e-6)
        assert Decimal(str(w.loc[k, "earnings"])) == paid[k]
        expect = max(Decimal(0), cents_up(Decimal(str(s)) * 15 / 3600 - paid[k]))
        assert Decimal(str(w.loc[k, "top_up"])) == expect
