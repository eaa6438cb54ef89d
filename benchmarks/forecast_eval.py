"""Replay real MTurk batches, leaving one batch out: does the forecast predict what the audit measures?

Protocol (issue 13). Each batch is read with the audit's MTurk preset and sorted by AcceptTime.
The first 5 %, 10 % or 20 % of assignments are the *pilot*, the rest is *production*. The truth
is the share of production workers whose audited effective wage is below the bar: worked time
as ``fairpay audit`` computes it (union of accept->submit intervals per worker) over paid tasks.
Rates: the pilot's pooled p50 and p75 of per-assignment durations (what a requester reading "the
median task time" prices at; the rules claim 50 % and 25 % below), and the rate the forecast
recommends for a 10 % target (where the pooled rule claims the pooled share of slower tasks).

Leave one batch out: the drift that widens the interval (:class:`fairpay.worktime.forecast.Drift`)
is measured on the *other* batches only, so no figure here is in-sample. The monitor is replayed
the same way: after 10/20/30 % of production it re-forecasts the share of all production
workers below the bar, with the monitor drift measured on the other batches.

Run: ``python benchmarks/forecast_eval.py`` (``--drift`` prints the drifts measured on all the
batches, the figures behind ``fairpay.worktime.forecast.DRIFT`` / ``MONITOR_DRIFT``). Reads the
logs in place; prints "skipped: ..." and exits 0 when they are absent.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from fairpay.errors import InvalidInputError
from fairpay.worktime.durations import audited_time, read_log
from fairpay.worktime.forecast import Drift, ForecastWarning, break_even_seconds, forecast_coverage

BAR = 15.0  # money per hour; the shares do not depend on its value
LEVEL = 0.9
TARGET = 0.10
FRACTIONS = (0.05, 0.10, 0.20)
MONITOR_FRACTIONS = (0.10, 0.20, 0.30)
N_BOOT = 1000
RELATIVE = True  # drift in units of the pilot's spread between workers (robust SD of log time)


def find_logs() -> Path | None:
    """The real-logs folder next to the repository, else the shared workspace copy."""
    root = Path(__file__).resolve().parents[1]
    for base in (root.parent / "shared" / "real_logs", Path("/work/shared/real_logs")):
        if (base / "mturk").is_dir():
            return base / "mturk"
    return None


def load(path: Path) -> Any:
    """Rows (worker, s_us, e_us, status) read with the audit's MTurk preset, in AcceptTime order."""
    rows = read_log(path, preset="mturk")
    order = np.argsort(rows["s_us"].to_numpy(), kind="stable")
    return rows.iloc[order].reset_index(drop=True)


def log_per_paid(times: Any) -> np.ndarray:
    """Log worked seconds per paid task per worker (+inf: paid for nothing)."""
    paid = times["paid_tasks"].to_numpy(dtype=float)
    worked = times["worked_seconds"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(paid > 0, np.log(np.where(paid > 0, worked, 1.0) / np.maximum(paid, 1.0)), np.inf)


def share_below(times: Any, rate: float) -> float:
    """Share of workers whose audited wage rate * paid * 3600 / worked is below the bar."""
    threshold = break_even_seconds(rate, BAR)
    return float(np.mean(log_per_paid(times) > np.log(threshold * (1.0 + 1e-9))))


def spread(x: np.ndarray) -> float:
    """Robust spread between workers in log time, as the forecast's smoother measures it."""
    x = x[np.isfinite(x)]
    q75, q25 = np.percentile(x, [75, 25])
    robust = min(float(np.std(x)), float(q75 - q25) / 1.349)
    return robust if robust > 0 else float(np.std(x))


def split(rows: Any, frac: float) -> tuple[Any, Any]:
    cut = max(1, int(round(frac * len(rows))))
    return rows.iloc[:cut], rows.iloc[cut:]


def drifts(batches: dict[str, Any]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per batch: pilot->production drifts (one per pilot fraction) and monitor drifts (one per fraction)."""
    pilot: dict[str, list[float]] = {}
    monitor: dict[str, list[float]] = {}
    for name, rows in batches.items():
        pilot[name] = []
        for frac in FRACTIONS:
            p, q = split(rows, frac)
            xp = log_per_paid(audited_time(p))
            delta = float(np.median(log_per_paid(audited_time(q))) - np.median(xp))
            pilot[name].append(delta / spread(xp) if RELATIVE else delta)
        monitor[name] = []
        _, prod = split(rows, 0.10)
        final = np.median(log_per_paid(audited_time(prod)))
        for g in MONITOR_FRACTIONS:
            part, _ = split(prod, g)
            xp = log_per_paid(audited_time(part))
            delta = float(final - np.median(xp))
            monitor[name].append(delta / spread(xp) if RELATIVE else delta)
    return pilot, monitor


def drift_from(values: dict[str, list[float]], names: list[str], what: str) -> Drift:
    """RMS drift over the named batches; t with one degree of freedom per batch."""
    d = np.array([v for n in names for v in values[n]])
    return Drift(
        scale=float(np.sqrt(np.mean(d**2))),
        df=len(names),
        source=f"{what}: batches {', '.join(names)}",
        relative=RELATIVE,
    )


def forecast(times: Any, rate: float, drift: Drift) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        return forecast_coverage(times, rate, BAR, level=LEVEL, n_boot=N_BOOT, drift=drift)


def main(argv: list[str]) -> int:
    logs = find_logs()
    if logs is None:
        print("skipped: ../shared/real_logs/mturk not found")
        return 0
    started = time.perf_counter()
    batches = {p.stem: load(p) for p in sorted(logs.glob("*.csv"))}
    names = list(batches)
    pilot_d, monitor_d = drifts(batches)
    if "--drift" in argv:
        for n in names:
            print(f"{n:<16} pilot drift {pilot_d[n]}  monitor drift {monitor_d[n]}")
        print(drift_from(pilot_d, names, "pilot"), drift_from(monitor_d, names, "monitor"), sep="\n")
        return 0

    recs: list[dict[str, Any]] = []
    mons: list[dict[str, Any]] = []
    header = (
        f"{'batch':<15}{'pilot':>6}{'wkrs':>5}{'rate':>6}{'actual':>8}{'forecast':>9}{'90% interval':>16}"
        f"{'err':>7}{'rule':>6}{'err':>7}"
    )
    print("Forecast (leave-one-batch-out drift), truth = audited worked time of production workers")
    print(header)
    print("-" * len(header))
    for name, rows in batches.items():
        others = [n for n in names if n != name]  # the batch's own drift is left out
        drift = drift_from(pilot_d, others, "pilot")
        for frac in FRACTIONS:
            recs += pilot_records(name, rows, frac, drift)
        mons += monitor_records(name, rows, drift, drift_from(monitor_d, others, "monitor"))
    forecast_summary(recs, names)
    monitor_summary(mons)
    print(f"elapsed {time.perf_counter() - started:.1f} s")
    return 0


def pilot_records(name: str, rows: Any, frac: float, drift: Drift) -> list[dict[str, Any]]:
    """The forecast from a pilot of ``frac`` of a batch against the rest of it, at the rates a
    requester would pick (the pilot's median and p75 task time, the recommended rate); printed."""
    recs = []
    p_rows, q_rows = split(rows, frac)
    p_times, q_times = audited_time(p_rows), audited_time(q_rows)
    durations = (p_rows["e_us"] - p_rows["s_us"]).to_numpy() / 1e6
    cases: list[tuple[str, float | None, float | None]] = [
        ("p50", BAR * float(np.quantile(durations, 0.5)) / 3600, 0.50),
        ("p75", BAR * float(np.quantile(durations, 0.75)) / 3600, 0.25),
    ]
    try:
        base = forecast(p_times, cases[0][1] or 1.0, drift)
        cases.append(("r10", float(base.rate_for_share(TARGET, step="0.0001")), None))
    except InvalidInputError as exc:
        print(f"{name:<15}{frac:>6.0%}  no recommended rate: {exc}")
    for case, rate, rule in cases:
        assert rate is not None
        if rate <= 0:
            continue
        fc = forecast(p_times, rate, drift)
        actual = share_below(q_times, rate)
        if rule is None:  # pooled rule at the recommended rate: share of slower pilot tasks
            rule = float(np.mean(durations > break_even_seconds(rate, BAR)))
        lo, hi = fc.interval
        point = fc.share_below
        recs.append(
            {
                "batch": name,
                "frac": frac,
                "case": case,
                "actual": actual,
                "forecast": point,
                "lo": lo,
                "hi": hi,
                "rule": rule,
                "covered": lo <= actual <= hi,
            }
        )
        shown = f"{point:>9.1%}" if point is not None else f"{'none':>9}"
        err = f"{100 * (point - actual):>+7.1f}" if point is not None else f"{'':>7}"
        print(
            f"{name:<15}{frac:>6.0%}{fc.n_workers:>5}{case:>6}{actual:>8.1%}{shown}"
            f"   [{lo:5.1%},{hi:6.1%}]{err}{rule:>6.0%}{100 * (rule - actual):>+7.1f}"
        )
    return recs


def monitor_records(name: str, rows: Any, drift: Drift, mdrift: Drift) -> list[dict[str, Any]]:
    """After a 10 % pilot and then ``g`` of production: the monitor's forecast of the share of all
    production workers below the bar, at the pilot's rates."""
    mons = []
    _, prod = split(rows, 0.10)
    prod_times = audited_time(prod)
    p_rows, _ = split(rows, 0.10)
    durations = (p_rows["e_us"] - p_rows["s_us"]).to_numpy() / 1e6
    rates = {
        "p50": BAR * float(np.quantile(durations, 0.5)) / 3600,
        "p75": BAR * float(np.quantile(durations, 0.75)) / 3600,
    }
    try:  # the rate the 10 % pilot's forecast recommended
        rates["r10"] = float(
            forecast(audited_time(p_rows), rates["p50"], drift).rate_for_share(TARGET, step="0.0001")
        )
    except InvalidInputError:
        pass
    for g in MONITOR_FRACTIONS:
        part, _ = split(prod, g)
        part_times = audited_time(part)
        for case, rate in rates.items():
            fc = forecast(part_times, rate, mdrift)
            actual = share_below(prod_times, rate)
            lo, hi = fc.interval
            mons.append(
                {
                    "batch": name,
                    "g": g,
                    "case": case,
                    "actual": actual,
                    "forecast": fc.share_below,
                    "so_far": share_below(part_times, rate),
                    "covered": lo <= actual <= hi,
                    "width": hi - lo,
                }
            )
    return mons


def mae(sub: list[dict[str, Any]], key: str) -> float:
    vals = [abs(r[key] - r["actual"]) for r in sub if r[key] is not None]
    return 100 * float(np.mean(vals)) if vals else float("nan")


def width(sub: list[dict[str, Any]]) -> float:
    return 100 * float(np.mean([r["hi"] - r["lo"] for r in sub])) if sub else float("nan")


def cov(sub: list[dict[str, Any]]) -> float:
    return 100 * float(np.mean([r["covered"] for r in sub])) if sub else float("nan")


def summary_line(label: str, sub: list[dict[str, Any]]) -> None:
    p50 = [r for r in sub if r["case"] == "p50"]
    p75 = [r for r in sub if r["case"] == "p75"]
    none = sum(r["forecast"] is None for r in sub)

    def f(x: float, w: int) -> str:  # a dash where the subset has no such case
        return f"{x:>{w}.1f}" if x == x else f"{'-':>{w}}"

    print(
        f"{label:<22}{len(sub):>4}{none:>6}{mae(sub, 'forecast'):>8.1f}{mae(sub, 'rule'):>9.1f}"
        f"{f(mae(p50, 'forecast'), 8)}{f(mae(p50, 'rule'), 12)}{f(mae(p75, 'forecast'), 8)}"
        f"{f(mae(p75, 'rule'), 9)}{cov(sub):>8.0f}%{width(sub):>7.1f}"
    )


def forecast_summary(recs: list[dict[str, Any]], names: list[str]) -> None:
    print()
    print(
        "Summary (percentage points; coverage and mean width of the nominal 90 % interval; "
        "no pt = degenerate pilot)"
    )
    print(
        f"{'subset':<22}{'n':>4}{'no pt':>6}{'MAE fc':>8}{'MAE rule':>9}{'fc p50':>8}{'median rule':>12}"
        f"{'fc p75':>8}{'p75 rule':>9}{'coverage':>9}{'width':>7}"
    )
    for name in names:
        summary_line(name, [r for r in recs if r["batch"] == name])
    for frac in FRACTIONS:
        summary_line(f"pilot {frac:.0%}", [r for r in recs if r["frac"] == frac])
    r10 = [r for r in recs if r["case"] == "r10"]
    summary_line("recommended (10 %)", r10)
    summary_line("ALL", recs)
    if r10:
        print(
            f"at the recommended rate for a {TARGET:.0%} target: actual share below "
            f"mean {100 * np.mean([r['actual'] for r in r10]):.1f} %, "
            f"max {100 * max(r['actual'] for r in r10):.1f} %, "
            f"above {TARGET:.0%} in {sum(r['actual'] > TARGET for r in r10)} of {len(r10)}"
        )


def monitor_summary(mons: list[dict[str, Any]]) -> None:
    print()
    print("Monitor (10 % pilot, then after g of production; truth = all production workers)")
    print(
        f"{'after':<8}{'n':>4}{'MAE monitor':>12}{'MAE so-far':>11}{'median rule':>12}{'p75 rule':>9}{'coverage':>9}"
    )
    for g in MONITOR_FRACTIONS:
        sub = [m for m in mons if m["g"] == g]
        p50 = [m for m in sub if m["case"] == "p50"]
        p75 = [m for m in sub if m["case"] == "p75"]
        rule50 = 100 * float(np.mean([abs(0.5 - m["actual"]) for m in p50]))
        rule75 = 100 * float(np.mean([abs(0.25 - m["actual"]) for m in p75]))
        print(
            f"{g:<8.0%}{len(sub):>4}{mae(sub, 'forecast'):>12.1f}{mae(sub, 'so_far'):>11.1f}{rule50:>12.1f}"
            f"{rule75:>9.1f}{cov(sub):>8.0f}%"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
