"""What an audit returns: the workers, worker x project and projects tables, the bars with their
provenance, warnings, and the ways out (ledger, pseudonymised copy, JSON-ready dict).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fairpay.auditing.settings import AuditSettings

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass
class AuditResult:
    """Per worker, per worker x project and per project results, plus how they were made.

    Money columns: ``earnings``/``top_up`` in the worker's pay currency, ``*_local`` in the
    currency of the bar where the worker lives; ``hours`` are merged worked hours; ``wage_local``
    is local currency per hour. ``top_up`` is rounded up to the pay currency's minor unit.

    ``workers``: one row per worker with everything that belongs to the worker (place, bar, local
    currency, exchange rate, pay currency, and ``task``: the task id for a bonus, that of the
    worker's last approved row in the log that has one, else of the last row that has one).
    ``worker_projects``: narrow, one
    row per (worker, project) with the pair's own measures only; join ``workers`` on ``worker``
    for place, bar or rates. ``bars``: one row per raw place spelling, with the bar's provenance;
    ``benchmarks``: place (:class:`fairpay.units.places.Place`) -> the benchmark object used.
    """

    workers: pd.DataFrame
    worker_projects: pd.DataFrame
    projects: pd.DataFrame
    bars: pd.DataFrame
    settings: AuditSettings
    warnings: list[str] = field(default_factory=list)
    source: str = "log"
    benchmarks: dict[Any, Any] = field(default_factory=dict)
    #: The audited period: (first task accepted, last task submitted), ISO 8601 UTC; None if unknown.
    period: tuple[str, str] | None = None
    #: Rows left out of the audit, each with its reason (row, column, value, reason, message).
    set_aside: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """True when nobody is below the bar."""
        return not bool(self.workers["below"].any())

    def ledger(self, previous_payments: Any = None, *, reason: str | None = None) -> pd.DataFrame:
        """Back-pay still owed per worker, net of earlier payments (see :func:`fairpay.auditing.ledger.ledger`)."""
        from fairpay.auditing.ledger import ledger

        return ledger(self, previous_payments, reason=reason)

    def pseudonymized(self, key: bytes | str) -> AuditResult:
        """A copy whose worker ids are keyed HMAC-SHA256 pseudonyms (same key -> same pseudonym)."""
        from fairpay.auditing.ledger import pseudonymize_frame

        return AuditResult(
            workers=pseudonymize_frame(self.workers, key),
            worker_projects=pseudonymize_frame(self.worker_projects, key),
            projects=self.projects.copy(),
            bars=self.bars.copy(),
            settings=self.settings,
            warnings=list(self.warnings),
            source=self.source,
            benchmarks=dict(self.benchmarks),
            period=self.period,
            set_aside=self.set_aside,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary plus every table as records.

        Money leaves exact, as decimal strings (``"48.02"``), never binary floats: top-ups and
        earnings exactly, wages rounded down and bars up to the minor unit (the one display rule,
        :mod:`fairpay.units.figures`); ``total_top_up`` is the exact sum per pay currency.
        """
        from fairpay.units.figures import exact_money_frame, json_records, text

        below = self.workers[self.workers["below"]]
        totals: dict[str, Any] = {}
        exact = exact_money_frame(below[["pay_currency", "top_up"]])
        for ccy, amount in zip(exact["pay_currency"].tolist(), exact["top_up"].tolist(), strict=True):
            totals[str(ccy)] = totals.get(str(ccy), 0) + amount
        return {
            "source": self.source,
            "period": None if self.period is None else {"from": self.period[0], "to": self.period[1]},
            "ok": self.ok,
            "workers": int(len(self.workers)),
            "workers_below": int(len(below)),
            "total_top_up": {k: text(v) for k, v in sorted(totals.items())},
            "settings": self.settings.record(),
            "warnings": list(self.warnings),
            "bars": json_records(self.bars),
            "projects": json_records(self.projects),
            "worker_table": json_records(self.workers),
        }
