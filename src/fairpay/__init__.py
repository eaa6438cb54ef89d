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
    "check": "fairpay.prelaunch:check",
    "CheckResult": "fairpay.prelaunch:CheckResult",
    "Cell": "fairpay.prelaunch:Cell",
    "required_pay_per_task": "fairpay.prelaunch:required_pay_per_task",
    "what_if": "fairpay.whatif:what_if",
    "Project": "fairpay.spec:Project",
    "Task": "fairpay.spec:Task",
    "Workforce": "fairpay.spec:Workforce",
    "Deductions": "fairpay.spec:Deductions",
    "Unpaid": "fairpay.spec:Unpaid",
    "Policy": "fairpay.spec:Policy",
    "BenchmarkOverride": "fairpay.spec:BenchmarkOverride",
    "load_project": "fairpay.spec:load_project",
    "parse_project": "fairpay.spec:parse_project",
    # benchmarks, places, money
    "benchmarks": "fairpay.benchmark:benchmarks",
    "Benchmarks": "fairpay.benchmark:Benchmarks",
    "Benchmark": "fairpay.benchmark:Benchmark",
    "Place": "fairpay.places:Place",
    "place": "fairpay.places:place",
    "normalize_country": "fairpay.places:normalize_country",
    "normalize_subdivision": "fairpay.places:normalize_subdivision",
    "Money": "fairpay.money:Money",
    "normalize_currency": "fairpay.money:normalize_currency",
    "minor_units": "fairpay.money:minor_units",
    "round_up": "fairpay.money:round_up",
    "ExchangeRates": "fairpay.fx:ExchangeRates",
    "Conversion": "fairpay.fx:Conversion",
    "hours_basis": "fairpay.periods:hours_basis",
    "to_hourly": "fairpay.periods:to_hourly",
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
    "audit": "fairpay.auditing:audit", "AuditResult": "fairpay.auditing:AuditResult", "ledger": "fairpay.ledger:ledger", "pseudonymize": "fairpay.ledger:pseudonymize", "audit_dask": "fairpay.distributed:audit_dask",
    # timing / durations
    "estimate_task_time": "fairpay.timing:estimate_task_time",
    "TimeEstimate": "fairpay.timing:TimeEstimate",
    "coverage": "fairpay.timing:coverage",
    "pay_for_coverage": "fairpay.timing:pay_for_coverage",
    "pilot_size_needed": "fairpay.timing:pilot_size_needed",
    "PilotSizeAdvice": "fairpay.timing:PilotSizeAdvice",
    "worked_time": "fairpay.durations:worked_time",
    "WorkedTime": "fairpay.durations:WorkedTime",
    "union_seconds": "fairpay.durations:union_seconds",
    "compare_reports": "fairpay.durations:compare_reports",
    "ReportComparison": "fairpay.durations:ReportComparison",
    "forecast_coverage": "fairpay.forecast:forecast_coverage", "CoverageForecast": "fairpay.forecast:CoverageForecast", "ForecastWarning": "fairpay.forecast:ForecastWarning",
    "report_markdown": "fairpay.report:report_markdown", "report_html": "fairpay.report:report_html", "report_json": "fairpay.report:report_json", "write_report": "fairpay.report:write_report", "plot_effective_vs_bar": "fairpay.plots:plot_effective_vs_bar", "plot_wage_ecdf": "fairpay.plots:plot_wage_ecdf", "plot_coverage_curve": "fairpay.plots:plot_coverage_curve", "safe_csv_cell": "fairpay.csvsafe:safe_csv_cell", "register_accessor": "fairpay.accessor:register_accessor",
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
