"""fairpay: check that data-enrichment work pays at least a local living wage.

The public API is exported here. Names load lazily (PEP 562) so ``import fairpay`` stays light:
pandas, httpx and other heavy dependencies load only when a function that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> "module:attribute". Add one line per export.
_EXPORTS: dict[str, str] = {
    # pre-launch check
    "check": "fairpay.prelaunch.check:check",
    "CheckResult": "fairpay.prelaunch.check:CheckResult",
    "Cell": "fairpay.prelaunch.check:Cell",
    "required_pay_per_task": "fairpay.prelaunch.check:required_pay_per_task",
    "required_rate": "fairpay.prelaunch.check:required_rate",
    "RequiredRate": "fairpay.prelaunch.check:RequiredRate",
    "RateRequest": "fairpay.prelaunch.spec:RateRequest",
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
    "FixedBar": "fairpay.wages:FixedBar",
    "fit_living_wage_model": "fairpay.estimate:fit_living_wage_model",
    "LivingWageModel": "fairpay.estimate:LivingWageModel",
    "ExchangeRateOverride": "fairpay.prelaunch.spec:ExchangeRateOverride",
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
    "Failure": "fairpay.errors:Failure",
    "SpecError": "fairpay.errors:SpecError",
    "SourceError": "fairpay.errors:SourceError",
    "audit": "fairpay.auditing.engine:audit",
    "AuditResult": "fairpay.auditing.result:AuditResult",
    "AuditSettings": "fairpay.auditing.settings:AuditSettings",
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
    "read_log": "fairpay.worktime.durations:read_log",
    "audited_time": "fairpay.worktime.durations:audited_time",
    "forecast_coverage": "fairpay.worktime.forecast:forecast_coverage",
    "break_even_seconds": "fairpay.worktime.forecast:break_even_seconds",
    "Drift": "fairpay.worktime.forecast:Drift",
    "monitor": "fairpay.worktime.monitor:monitor",
    "MonitorReport": "fairpay.worktime.monitor:MonitorReport",
    "CoverageForecast": "fairpay.worktime.forecast:CoverageForecast",
    "ForecastWarning": "fairpay.worktime.forecast:ForecastWarning",
    "report_markdown": "fairpay.report.document:report_markdown",
    "report_html": "fairpay.report.document:report_html",
    "report_json": "fairpay.report.document:report_json",
    "write_report": "fairpay.report.document:write_report",
    "plot_effective_vs_bar": "fairpay.report.plots:plot_effective_vs_bar",
    "plot_wage_ecdf": "fairpay.report.plots:plot_wage_ecdf",
    "plot_coverage_curve": "fairpay.report.plots:plot_coverage_curve",
    "safe_csv_cell": "fairpay.tables.csvsafe:safe_csv_cell",
    "register_accessor": "fairpay.accessor:register_accessor",
    # vendors and the company view
    "Disclosure": "fairpay.vendors.disclosure:Disclosure",
    "load_disclosure": "fairpay.vendors.disclosure:load_disclosure",
    "parse_disclosure": "fairpay.vendors.disclosure:parse_disclosure",
    "disclosure_gaps": "fairpay.vendors.disclosure:disclosure_gaps",
    "vendor_check": "fairpay.vendors.vetting:vendor_check",
    "VendorCheck": "fairpay.vendors.vetting:VendorCheck",
    "contract_annex": "fairpay.vendors.vetting:contract_annex",
    "Annex": "fairpay.vendors.vetting:Annex",
    "monitor_vendor": "fairpay.vendors.monitoring:monitor_vendor",
    "Monitoring": "fairpay.vendors.monitoring:Monitoring",
    "load_portfolio": "fairpay.vendors.transparency:load_portfolio",
    "Portfolio": "fairpay.vendors.transparency:Portfolio",
    "vendor_check_document": "fairpay.vendors.documents:vendor_check_document",
    "annex_document": "fairpay.vendors.documents:annex_document",
    "annex_csv": "fairpay.vendors.documents:annex_csv",
    "monitoring_document": "fairpay.vendors.documents:monitoring_document",
    "closeout_document": "fairpay.vendors.documents:closeout_document",
    "transparency_document": "fairpay.vendors.documents:transparency_document",
    "render_document": "fairpay.vendors.documents:render_document",
    "write_document": "fairpay.vendors.documents:write_document",
}


if TYPE_CHECKING:  # what a type checker sees; at run time the names load lazily (below)
    from fairpay.accessor import register_accessor as register_accessor
    from fairpay.auditing.dask import audit_dask as audit_dask
    from fairpay.auditing.engine import audit as audit
    from fairpay.auditing.ledger import ledger as ledger, pseudonymize as pseudonymize
    from fairpay.auditing.result import AuditResult as AuditResult
    from fairpay.auditing.settings import AuditSettings as AuditSettings
    from fairpay.errors import (
        Failure as Failure,
        FairpayError as FairpayError,
        InvalidDataError as InvalidDataError,
        InvalidInputError as InvalidInputError,
        MissingExchangeRateError as MissingExchangeRateError,
        NoBenchmarkError as NoBenchmarkError,
        SourceError as SourceError,
        SpecError as SpecError,
        UnknownCountryError as UnknownCountryError,
        UnknownCurrencyError as UnknownCurrencyError,
    )
    from fairpay.estimate import (
        LivingWageModel as LivingWageModel,
        fit_living_wage_model as fit_living_wage_model,
    )
    from fairpay.prelaunch.check import (
        Cell as Cell,
        CheckResult as CheckResult,
        RequiredRate as RequiredRate,
        check as check,
        required_pay_per_task as required_pay_per_task,
        required_rate as required_rate,
    )
    from fairpay.prelaunch.spec import (
        BenchmarkOverride as BenchmarkOverride,
        Deductions as Deductions,
        ExchangeRateOverride as ExchangeRateOverride,
        Policy as Policy,
        Project as Project,
        RateRequest as RateRequest,
        Task as Task,
        Unpaid as Unpaid,
        Workforce as Workforce,
        load_project as load_project,
        parse_project as parse_project,
    )
    from fairpay.prelaunch.whatif import what_if as what_if
    from fairpay.report.document import (
        report_html as report_html,
        report_json as report_json,
        report_markdown as report_markdown,
        write_report as write_report,
    )
    from fairpay.report.plots import (
        plot_coverage_curve as plot_coverage_curve,
        plot_effective_vs_bar as plot_effective_vs_bar,
        plot_wage_ecdf as plot_wage_ecdf,
    )
    from fairpay.tables.csvsafe import safe_csv_cell as safe_csv_cell
    from fairpay.units.fx import Conversion as Conversion, ExchangeRates as ExchangeRates
    from fairpay.units.money import (
        Money as Money,
        minor_units as minor_units,
        normalize_currency as normalize_currency,
        round_up as round_up,
    )
    from fairpay.units.periods import hours_basis as hours_basis, to_hourly as to_hourly
    from fairpay.units.places import (
        Place as Place,
        normalize_country as normalize_country,
        normalize_subdivision as normalize_subdivision,
        place as place,
    )
    from fairpay.vendors.disclosure import (
        Disclosure as Disclosure,
        disclosure_gaps as disclosure_gaps,
        load_disclosure as load_disclosure,
        parse_disclosure as parse_disclosure,
    )
    from fairpay.vendors.documents import (
        annex_csv as annex_csv,
        annex_document as annex_document,
        closeout_document as closeout_document,
        monitoring_document as monitoring_document,
        render_document as render_document,
        transparency_document as transparency_document,
        vendor_check_document as vendor_check_document,
        write_document as write_document,
    )
    from fairpay.vendors.monitoring import Monitoring as Monitoring, monitor_vendor as monitor_vendor
    from fairpay.vendors.transparency import Portfolio as Portfolio, load_portfolio as load_portfolio
    from fairpay.vendors.vetting import (
        Annex as Annex,
        VendorCheck as VendorCheck,
        contract_annex as contract_annex,
        vendor_check as vendor_check,
    )
    from fairpay.wages import (
        Benchmark as Benchmark,
        Benchmarks as Benchmarks,
        FixedBar as FixedBar,
        benchmarks as benchmarks,
    )
    from fairpay.worktime.durations import (
        ReportComparison as ReportComparison,
        WorkedTime as WorkedTime,
        audited_time as audited_time,
        compare_reports as compare_reports,
        read_log as read_log,
        union_seconds as union_seconds,
        worked_time as worked_time,
    )
    from fairpay.worktime.estimates import (
        PilotSizeAdvice as PilotSizeAdvice,
        TimeEstimate as TimeEstimate,
        coverage as coverage,
        estimate_task_time as estimate_task_time,
        pay_for_coverage as pay_for_coverage,
        pilot_size_needed as pilot_size_needed,
    )
    from fairpay.worktime.forecast import (
        CoverageForecast as CoverageForecast,
        Drift as Drift,
        ForecastWarning as ForecastWarning,
        break_even_seconds as break_even_seconds,
        forecast_coverage as forecast_coverage,
    )
    from fairpay.worktime.monitor import MonitorReport as MonitorReport, monitor as monitor


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
