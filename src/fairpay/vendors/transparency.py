"""The company transparency report: every project, vendor, pay report and audit in one folder,
summed into the figures a company would publish (the Partnership on AI's Transparency Template asks
a buyer of data-enrichment work to monitor and report its practices).

What the folder may hold (subfolders too; sorted by path, so the report is deterministic):

- project specs (``.toml/.yaml/.json`` with ``tasks``): checked now with ``fairpay check``;
- check results (``fairpay check --format json``), audit results (``AuditResult.to_dict()`` saved as
  JSON) and audit output folders (``fairpay audit --out DIR``: a folder with summary.json and
  workers.csv is read as one audit, and its other files are part of it);
- vendor disclosures (``[vendor]`` + ``[[locations]]``, or the CSV form with a ``vendor`` column);
- vendor pay reports (CSV with ``period`` and ``hours_paid``; a ``vendor`` column names the vendor,
  else the file name does);
- payments of top-ups (CSV with ``worker``, ``currency``, ``amount``: what was actually paid).

Text files (``.md``, ``.txt``, ``.html``) and hidden files are skipped; anything else is an error
naming the file, so nothing is silently left out of a published figure.

Counting rules (stated in the report): workers = each audit's workers + for each pay-report series
the workers of its latest period; hours = every hour reported. A worker in two audits counts twice
(audits carry no shared id across projects); this is a weakness of any count without a shared id.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from fairpay.errors import FairpayError, InvalidInputError
from fairpay.units.money import normalize_currency, round_up, to_decimal

SKIPPED_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".rst"})


@dataclass
class Portfolio:
    """Everything read from a portfolio folder, already checked, vetted and monitored."""

    name: str
    root: str
    checks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # file, CheckResult.to_dict()
    check_sources: list[dict[str, Any]] = field(default_factory=list)
    vendor_checks: list[tuple[str, Any]] = field(default_factory=list)  # file, VendorCheck
    monitorings: list[tuple[str, Any]] = field(default_factory=list)  # file, Monitoring
    audits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # file, AuditResult.to_dict()
    payments: list[tuple[str, dict[str, Decimal]]] = field(default_factory=list)  # file, currency -> paid
    warnings: list[str] = field(default_factory=list)


def load_portfolio(
    folder: str | Path,
    *,
    name: str | None = None,
    policy: Any = None,
    benchmarks: Any = None,
    rates: Any = None,
) -> Portfolio:
    """Read, check and vet every file in ``folder`` (see the module docstring for what it may hold).

    ``policy``: the company's pay policy for vendor files (a :class:`fairpay.Policy` or a dict of its
    fields; default: the default policy); project specs keep their own.
    """
    if policy is not None:  # validated once, so a bad option is not blamed on the first vendor file
        from fairpay.prelaunch.check import merge_policy
        from fairpay.prelaunch.spec import Policy

        policy = merge_policy(Policy(), policy)
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInputError(f"{root}: not a folder; expected a folder of specs, results and vendor files")
    p = Portfolio(name=name or root.resolve().name, root=str(root))
    files = sorted(
        (
            f
            for f in root.rglob("*")
            if f.is_file() and not any(part.startswith(".") for part in f.relative_to(root).parts)
        ),
        key=lambda f: f.relative_to(root).as_posix(),
    )
    audit_dirs = sorted(
        {f.parent for f in files if f.name == "summary.json" and (f.parent / "workers.csv").is_file()},
        key=lambda d: d.relative_to(root).as_posix(),
    )
    for d in audit_dirs:
        try:
            p.audits.append((d.relative_to(root).as_posix() + "/", _audit_folder(d)))
        except (ValueError, csv.Error) as exc:  # JSON, UTF-8 and CSV errors
            if isinstance(exc, FairpayError):
                raise
            raise InvalidInputError(
                f"{d}: cannot read the audit output ({' '.join(str(exc).split())})"
            ) from None
    vet = {"policy": policy, "benchmarks": benchmarks, "rates": rates}
    for f in files:
        suffix = f.suffix.lower()
        if suffix in SKIPPED_SUFFIXES or f.parent in audit_dirs:
            continue
        try:
            if suffix == ".csv":
                _add_csv(p, f, f.relative_to(root).as_posix(), vet)
            elif suffix in (".toml", ".yaml", ".yml", ".json"):
                _add_structured(p, f, f.relative_to(root).as_posix(), vet)
            else:
                raise InvalidInputError(
                    f"{f}: unknown file type {suffix or '(none)'!r} in a portfolio folder"
                )
        except FairpayError as exc:  # name the file (a bare "no living wage for XX" does not)
            if str(f) in str(exc):
                raise
            raise InvalidInputError(f"{f}: {exc}") from exc
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInputError(f"{f}: cannot read as UTF-8 CSV ({exc})") from None
    names = [d.get("project") for _, d in p.checks]
    for dup in sorted({str(n) for n in names if names.count(n) > 1}):
        files_of = [rel for rel, d in p.checks if d.get("project") == dup]
        p.warnings.append(f"project {dup!r} appears in {', '.join(files_of)}; each file is counted")
    if not (p.checks or p.vendor_checks or p.monitorings or p.audits):
        raise InvalidInputError(f"{root}: no project specs, results or vendor files found")
    return p


def _add_csv(p: Portfolio, f: Path, rel: str, vet: dict[str, Any]) -> None:
    """A CSV of the folder, told apart by its header: a vendor disclosure (vetted), a vendor's pay
    report (monitored) or a payments file."""
    from fairpay.vendors.disclosure import load_disclosure
    from fairpay.vendors.monitoring import monitor_vendor
    from fairpay.vendors.vetting import vendor_check

    header = _csv_header(f)
    if "vendor" in header and "country" in header and "period" not in header:
        p.vendor_checks.append((rel, vendor_check(load_disclosure(f), **vet)))
    elif "period" in header and "hours_paid" in header:
        vendor = _single_value(f, "vendor") if "vendor" in header else f.stem
        p.monitorings.append((rel, monitor_vendor(f, vendor=vendor, **vet)))
    elif {"worker", "currency", "amount"} <= set(header) and "top_up" not in header:
        p.payments.append((rel, _payments(f)))
    else:
        raise InvalidInputError(
            f"{f}: a CSV that is neither a vendor disclosure, a pay report (period, hours_paid, ...) "
            f"nor a payments file (worker, currency, amount); columns: {', '.join(header)}"
        )


def _add_structured(p: Portfolio, f: Path, rel: str, vet: dict[str, Any]) -> None:
    """A TOML, YAML or JSON file of the folder, told apart by its keys: a vendor disclosure
    (vetted), a check result, an audit result, or a project spec (checked here, with the folder's
    benchmarks and exchange rates; a spec keeps its own policy)."""
    from fairpay.prelaunch.check import check
    from fairpay.prelaunch.spec import parse_project
    from fairpay.vendors.disclosure import parse_disclosure, read_structured
    from fairpay.vendors.vetting import vendor_check

    data = read_structured(f)
    if isinstance(data, dict) and "vendor" in data and "locations" in data:
        p.vendor_checks.append((rel, vendor_check(parse_disclosure(data, source=str(f)), **vet)))
    elif isinstance(data, dict) and "cells" in data and "budget" in data:
        _require_rows(data, "cells", ("ok",), f)
        p.checks.append((rel, data))
        p.check_sources.extend(_sources_from_cells(data["cells"]))
    elif isinstance(data, dict) and "worker_table" in data and "workers_below" in data:
        _require_rows(data, "worker_table", ("country", "hours", "below", "pay_currency"), f)
        p.audits.append((rel, data))
    elif isinstance(data, dict) and ("tasks" in data or isinstance(data.get("project"), dict)):
        result = check(
            parse_project(data, source=str(f), base_dir=str(f.parent)),
            benchmarks=vet["benchmarks"],
            rates=vet["rates"],
        )
        from fairpay.report.document import source_rows

        p.checks.append((rel, result.to_dict()))
        p.check_sources.extend(source_rows(result.cells_list))
    else:
        raise InvalidInputError(
            f"{f}: not a project spec, a vendor disclosure, a check result or an audit result"
        )


def _require_rows(data: dict[str, Any], key: str, fields: tuple[str, ...], path: Path) -> None:
    """A result file's table must be a list of objects with the fields the report counts."""
    rows = data.get(key)
    if not isinstance(rows, list):
        raise InvalidInputError(f"{path}: {key!r} must be a list of objects")
    for i, row in enumerate(rows):
        missing = [k for k in fields if not isinstance(row, dict) or k not in row]
        if missing:
            raise InvalidInputError(f"{path}: {key}[{i}]: missing {', '.join(missing)}")
    if not isinstance(data.get("ok"), bool):
        raise InvalidInputError(f"{path}: 'ok' must be true or false")


def _audit_folder(folder: Path) -> dict[str, Any]:
    """An audit written by ``fairpay audit --out DIR``, in the shape of ``AuditResult.to_dict()``:
    the verdict from summary.json, the workers from workers.csv, project names from projects.csv."""
    from fairpay.errors import InvalidDataError

    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    if not isinstance(summary, dict) or "ok" not in summary:
        raise InvalidInputError(f"{folder / 'summary.json'}: not the summary of a fairpay audit (no 'ok')")
    need = ("worker", "country", "hours", "below", "top_up", "pay_currency")
    with (folder / "workers.csv").open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in need if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInputError(f"{folder / 'workers.csv'}: missing column(s) {', '.join(missing)}")
        table: list[dict[str, Any]] = []
        problems: list[str] = []
        for line, row in enumerate(reader, start=2):
            flag = (row["below"] or "").strip().lower()
            if flag not in ("true", "false"):
                problems.append(f"line {line}, column 'below': {row['below']!r} is not True or False")
                continue
            table.append(
                {**{k: row[k] for k in need}, "below": flag == "true", "top_up": row["top_up"] or "0"}
            )
    if problems:
        raise InvalidDataError(str(folder / "workers.csv"), problems)
    projects: list[dict[str, Any]] = []
    if (folder / "projects.csv").is_file():
        with (folder / "projects.csv").open(newline="", encoding="utf-8-sig") as fh:
            projects = [{"project": r.get("project")} for r in csv.DictReader(fh)]
    return {"ok": bool(summary["ok"]), "worker_table": table, "projects": projects}


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [c.strip() for c in next(csv.reader(fh), [])]


def _single_value(path: Path, column: str) -> str:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        values = sorted({(r.get(column) or "").strip() for r in csv.DictReader(fh)} - {""})
    if len(values) != 1:
        raise InvalidInputError(
            f"{path}: column {column!r} must name one vendor (found {len(values)}: {', '.join(values)})"
        )
    return values[0]


def _payments(path: Path) -> dict[str, Decimal]:
    """Top-ups paid, summed exactly per currency; every bad row named."""
    from fairpay.errors import InvalidDataError

    totals: dict[str, Decimal] = defaultdict(Decimal)
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                cur = normalize_currency((row.get("currency") or "").strip())
            except InvalidInputError as exc:
                problems.append(f"line {line}, column 'currency': {exc}")
                continue
            raw = (row.get("amount") or "").strip()
            try:
                amount = to_decimal(raw, "amount")
                if amount < 0:
                    raise InvalidInputError("negative")
            except InvalidInputError:
                problems.append(f"line {line}, column 'amount': {raw!r} is not an amount of at least 0")
                continue
            totals[cur] += amount
    if problems:
        raise InvalidDataError(str(path), problems)
    return dict(totals)


def _sources_from_cells(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Source entries from the benchmark blocks of a check's JSON (as ``fairpay check`` wrote them)."""
    out = []
    for c in cells:
        b = c.get("benchmark") or {}
        where = c.get("subdivision") or c.get("country") or "?"
        out.append(
            {
                "places": [where],
                "kind": b.get("kind"),
                "method": b.get("method"),
                "household": b.get("household"),
                "source": b.get("source", "(not given)"),
                "url": b.get("url", ""),
                "reference_year": b.get("reference_year"),
                "price_year": b.get("price_year"),
                "hourly": f"{c.get('benchmark_hourly')} {c.get('local_currency')}/h",
                "gross_net": b.get("gross_net"),
                "adjustments": list(b.get("adjustments") or []),
                "fallbacks": list(b.get("fallbacks") or []),
            }
        )
    return out


def _share_floor(part: Decimal | int, whole: Decimal | int) -> str | None:
    """A published share *at or above* the bar, rounded down to 4 places (never flattering); None
    when there is nothing to share."""
    from decimal import ROUND_FLOOR

    if not whole:
        return None
    return format((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR), "f")


def _dec(x: Any) -> Decimal:
    return Decimal(repr(float(x))) if isinstance(x, float) else to_decimal(x)


def _add_audit(
    countries: dict[str, dict[str, Any]], topups: dict[str, dict[str, Decimal]], a: dict[str, Any]
) -> None:
    """An audit result's workers and hours by country, and its proposed top-ups (each currency's
    sum rounded up once)."""
    proposed: dict[str, Decimal] = defaultdict(Decimal)
    for w in a["worker_table"]:
        c = countries[str(w["country"])]
        hours = _dec(w.get("hours") or 0)
        c["workers"] += 1
        c["hours"] += hours
        if not w.get("below"):
            c["workers_at_or_above"] += 1
            c["hours_at_or_above"] += hours
        elif w.get("top_up"):
            proposed[str(w["pay_currency"])] += _dec(w["top_up"])
    for cur, amount in proposed.items():
        topups[cur]["proposed"] += round_up(amount, cur)


def _add_monitoring(
    countries: dict[str, dict[str, Any]], topups: dict[str, dict[str, Decimal]], m: Any
) -> None:
    """A vendor's pay reports: hours of every period, workers of the latest one, and shortfalls."""
    latest = m.periods[-1].period
    for v in m.rows:
        c = countries[v.row.country]
        c["hours"] += v.hours
        if not v.below:
            c["hours_at_or_above"] += v.hours
        if v.row.period == latest:
            c["workers"] += v.row.workers
            if not v.below:
                c["workers_at_or_above"] += v.row.workers
        if v.below:
            topups[v.row.currency]["vendor_shortfall"] += v.shortfall


def _vendor_rows(p: Portfolio) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """One row per vetted vendor file, and the disclosure gaps by phase."""
    from fairpay.vendors.disclosure import PHASES

    gaps_by_phase: dict[str, list[str]] = {ph: [] for ph in PHASES}
    rows = []
    for rel, vc in p.vendor_checks:
        for g in vc.gaps:
            gaps_by_phase[g.phase].append(f"{vc.vendor}{' / ' + g.location if g.location else ''}: {g.field}")
        rows.append(
            {
                "vendor": vc.vendor,
                "file": rel,
                "locations": len(vc.locations),
                "locations_not_ok": sum(1 for v in vc.locations if v.ok is not True),
                "answered": vc.answered,
                "asked": vc.asked,
                "gaps": len(vc.gaps),
            }
        )
    return rows, gaps_by_phase


def _policy_text(d: dict[str, Any]) -> str:
    """A project check's pay policy in words (bar, margin, task time statistic)."""
    from fairpay.report.document import KIND_TEXT

    pol = d.get("policy") or {}
    text = f"{d.get('project')}: {KIND_TEXT.get(str(pol.get('benchmark')), pol.get('benchmark'))}"
    if pol.get("margin"):
        text += f" + {pol['margin']:g} margin"
    return text + f", task time statistic {pol.get('statistic')}"


def portfolio_figures(p: Portfolio) -> dict[str, Any]:
    """The published figures, as plain JSON-ready values (counts as ints, amounts as decimal strings)."""
    from fairpay.report.document import benchmark_sources

    countries: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"workers": 0, "workers_at_or_above": 0, "hours": Decimal(0), "hours_at_or_above": Decimal(0)}
    )
    topups: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"proposed": Decimal(0), "vendor_shortfall": Decimal(0), "paid": Decimal(0)}
    )
    projects: set[str] = set()
    ok = True
    for _, d in p.checks:
        projects.add(str(d.get("project")))
        ok = ok and bool(d.get("ok"))
    for _, a in p.audits:
        ok = ok and bool(a.get("ok"))
        projects.update(str(x.get("project")) for x in a.get("projects", []) if x.get("project") is not None)
        _add_audit(countries, topups, a)
    for _, m in p.monitorings:
        ok = ok and m.ok
        _add_monitoring(countries, topups, m)
    for _, pay in p.payments:
        for cur, amount in pay.items():
            topups[cur]["paid"] += amount
    ok = ok and all(vc.ok for _, vc in p.vendor_checks)
    vendor_rows, gaps_by_phase = _vendor_rows(p)
    vendor_names = {vc.vendor for _, vc in p.vendor_checks}
    vendor_names.update(m.vendor for _, m in p.monitorings if m.vendor)
    policies = [_policy_text(d) for _, d in p.checks]
    sources = list(p.check_sources)
    for _, vc in p.vendor_checks:
        sources += benchmark_sources([(v.location, v.benchmark) for v in vc.locations])
    for _, m in p.monitorings:
        sources += benchmark_sources([(b.subdivision or b.country, b) for b in m.benchmarks])
    workers = sum(c["workers"] for c in countries.values())
    hours = sum((c["hours"] for c in countries.values()), Decimal(0))
    workers_ok = sum(c["workers_at_or_above"] for c in countries.values())
    hours_ok = sum((c["hours_at_or_above"] for c in countries.values()), Decimal(0))
    checks_passed = sum(1 for _, d in p.checks if d.get("ok"))
    return {
        "ok": ok,
        "name": p.name,
        "projects": len(projects),
        "project_names": sorted(projects),
        "vendors": len(vendor_names),
        "vendor_names": sorted(vendor_names),
        "checks": len(p.checks),
        "checks_passed": checks_passed,
        "share_checks_passed": _share_floor(checks_passed, len(p.checks)),
        "project_checks": [
            {
                "file": rel,
                "project": d.get("project"),
                "ok": bool(d.get("ok")),
                "cells_below": sum(1 for c in d.get("cells", []) if not c.get("ok")),
            }
            for rel, d in p.checks
        ],
        "vendor_checks": vendor_rows,
        "disclosure_completeness": {
            "answered": sum(v["answered"] for v in vendor_rows),
            "asked": sum(v["asked"] for v in vendor_rows),
            "share": _share_floor(
                sum(v["answered"] for v in vendor_rows), sum(v["asked"] for v in vendor_rows)
            ),
        },
        "workers": workers,
        "workers_at_or_above": workers_ok,
        "share_workers_at_or_above": _share_floor(workers_ok, workers),
        "hours": format(hours, "f"),
        "hours_at_or_above": format(hours_ok, "f"),
        "share_hours_at_or_above": _share_floor(hours_ok, hours),
        "by_country": [
            {"country": k, **{n: (format(v, "f") if isinstance(v, Decimal) else v) for n, v in c.items()}}
            for k, c in sorted(countries.items())
        ],
        "top_ups": {cur: {k: format(v, "f") for k, v in t.items()} for cur, t in sorted(topups.items())},
        "gaps_by_phase": gaps_by_phase,
        "policies": sorted(set(policies)),
        "files": {
            "checks": [rel for rel, _ in p.checks],
            "vendor_disclosures": [rel for rel, _ in p.vendor_checks],
            "pay_reports": [rel for rel, _ in p.monitorings],
            "audits": [rel for rel, _ in p.audits],
            "payments": [rel for rel, _ in p.payments],
        },
        "sources": sources,
    }
