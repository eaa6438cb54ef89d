"""fairpay: check that data-enrichment work pays at least a local living wage.

The public API is exported here. Names load lazily (PEP 562) so ``import fairpay`` stays light:
pandas, httpx and other heavy dependencies load only when a function that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> "module:attribute". Add one line per export.
_EXPORTS: dict[str, str] = {
    # pre-launch check
    "check": "fairpay.prelaunch.check:check",
    "CheckResult": "fairpay.prelaunch.check:CheckResult",
    "Cell": "fairpay.prelaunch.check:Cell",
    "required_pay_per_task": "fairpay.prelaunch.check:required_pay_per_task",
    "what_if": "fairpay.prelaunch.whatif:what_if",
    "Project": "fairpay.prelaunch.spec:Project",
    "Task": "fairpay.prelaunch.spec:Task",
    "Workforce": "fairpay.prelaunch.spec:Workforce",
    "Deductions": "fairpay.prelaunch.spec:Deductions",
    "Unpaid": "fairpay.prelaunch.spec:Unpaid",
    "Policy": "fairpay.prelaunch.spec:Policy",
    "BenchmarkOverride": "fairpay.prelaunch.spec:BenchmarkOverride",
    "load_project": "fairpay.prelaunch.spec:load_project",
    "parse_project": "fairpay.prelaunch.spec:parse_project",
    # benchmarks, places, money
    "benchmarks": "fairpay.wages:benchmarks",
    "Benchmarks": "fairpay.wages:Benchmarks",
    "Benchmark": "fairpay.wages:Benchmark",
    "Place": "fairpay.units.places:Place",
    "place": "fairpay.units.places:place",
    "normalize_country": "fairpay.units.places:normalize_country",
    "normalize_subdivision": "fairpay.units.places:normalize_subdivision",
    "Money": "fairpay.units.money:Money",
    "normalize_currency": "fairpay.units.money:normalize_currency",
    "minor_units": "fairpay.units.money:minor_units",
    "round_up": "fairpay.units.money:round_up",
    "ExchangeRates": "fairpay.units.fx:ExchangeRates",
    "Conversion": "fairpay.units.fx:Conversion",
    "hours_basis": "fairpay.units.periods:hours_basis",
    "to_hourly": "fairpay.units.periods:to_hourly",
    # errors
    "FairpayError": "fairpay.errors:FairpayError",
    "InvalidInputError": "fairpay.errors:InvalidInputError",
    "UnknownCountryError": "fairpay.errors:UnknownCountryError",
    "UnknownCurrencyError": "fairpay.errors:UnknownCurrencyError",
    "NoBenchmarkError": "fairpay.errors:NoBenchmarkError",
    "MissingExchangeRateError": "fairpay.errors:MissingExchangeRateError",
    "InvalidDataError": "fairpay.errors:InvalidDataError",
    "SpecError": "fairpay.errors:SpecError",
    "SourceError": "fairpay.errors:SourceError",
    "audit": "fairpay.auditing.engine:audit",
    "AuditResult": "fairpay.auditing.engine:AuditResult",
    "AuditSettings": "fairpay.auditing.engine:AuditSettings",
    "ledger": "fairpay.auditing.ledger:ledger",
    "pseudonymize": "fairpay.auditing.ledger:pseudonymize",
    "audit_dask": "fairpay.auditing.dask:audit_dask",
    # timing / durations
    "estimate_task_time": "fairpay.worktime.estimates:estimate_task_time",
    "TimeEstimate": "fairpay.worktime.estimates:TimeEstimate",
    "coverage": "fairpay.worktime.estimates:coverage",
    "pay_for_coverage": "fairpay.worktime.estimates:pay_for_coverage",
    "pilot_size_needed": "fairpay.worktime.estimates:pilot_size_needed",
    "PilotSizeAdvice": "fairpay.worktime.estimates:PilotSizeAdvice",
    "worked_time": "fairpay.worktime.durations:worked_time",
    "WorkedTime": "fairpay.worktime.durations:WorkedTime",
    "union_seconds": "fairpay.worktime.durations:union_seconds",
    "compare_reports": "fairpay.worktime.durations:compare_reports",
    "ReportComparison": "fairpay.worktime.durations:ReportComparison",
    "forecast_coverage": "fairpay.worktime.forecast:forecast_coverage",
    "CoverageForecast": "fairpay.worktime.forecast:CoverageForecast",
    "ForecastWarning": "fairpay.worktime.forecast:ForecastWarning",
    "report_markdown": "fairpay.report.document:report_markdown",
    "report_html": "fairpay.report.document:report_html",
    "report_json": "fairpay.report.document:report_json",
    "write_report": "fairpay.report.document:write_report",
    "plot_effective_vs_bar": "fairpay.report.plots:plot_effective_vs_bar",
    "plot_wage_ecdf": "fairpay.report.plots:plot_wage_ecdf",
    "plot_coverage_curve": "fairpay.report.plots:plot_coverage_curve",
    "safe_csv_cell": "fairpay.report.csvsafe:safe_csv_cell",
    "register_accessor": "fairpay.accessor:register_accessor",
}


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'fairpay' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = sorted(_EXPORTS)
