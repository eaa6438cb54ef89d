"""Back-pay ledger, bonus-file exports and keyed pseudonyms for audit reports.

Why: a top-up is only useful once paid, and must never be paid twice. The ledger takes the
audit's per-worker top-ups (rounded up, pay currency) and subtracts what was already paid as
back-pay *outside the log* (earlier ledgers), so running the audit and the ledger again after
paying proposes nothing more: it is idempotent. Bonuses that are already in the log's ``bonus``
column are counted as earnings by the audit and must not be passed again as previous payments.

Pseudonyms are HMAC-SHA256(key, worker id), hex, truncated to 16 characters (64 bits): stable
for one key, so reports can be joined, but not reversible or guessable without the key
(a plain hash of an MTurk id can be brute-forced from the id format).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairpay.errors import InvalidDataError, InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from fairpay.auditing.result import AuditResult

#: The bonus reason sent to workers, naming the bar their top-up reaches (``{bar}``).
REASON_TEMPLATE = "Back-pay so that your pay for this work reaches {bar} where you live."
#: How a reason names each kind of bar (the bar actually used for the worker's place).
BAR_NAMES = {"living": "the living wage", "minimum": "the minimum wage"}
DEFAULT_REASON = REASON_TEMPLATE.format(bar=BAR_NAMES["living"])


def default_reason(bar_kind: str | None) -> str:
    """The bonus reason for a worker whose bar is of ``bar_kind`` (living/minimum): a worker paid up
    to the minimum wage must not be told it is a living wage."""
    return REASON_TEMPLATE.format(bar=BAR_NAMES.get(str(bar_kind), "the pay bar"))


LEDGER_COLUMNS = ("worker", "currency", "top_up", "previously_paid", "amount", "task", "reason")


def key_bytes(key: bytes | str) -> bytes:
    """The pseudonymisation key as bytes, refused when shorter than 16 bytes (a short key lets
    anyone recompute the pseudonyms of guessed worker ids)."""
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < 16:
        raise InvalidInputError(
            "pseudonymisation key must be at least 16 bytes (keep it secret, reuse it to join)"
        )
    return raw


def pseudonym(worker: str, key: bytes | str) -> str:
    """Keyed pseudonym of one worker id: first 16 hex characters of HMAC-SHA256(key, id)."""
    return _pseudonym(key_bytes(key), worker)


def pseudonymize(workers: Iterable[Any], key: bytes | str) -> list[str]:
    """Keyed pseudonyms of many worker ids (see :func:`pseudonym`)."""
    k = key_bytes(key)
    return [_pseudonym(k, w) for w in workers]


def _pseudonym(key: bytes, worker: Any) -> str:
    """The one pseudonym scheme (the key already as bytes)."""
    return hmac.new(key, str(worker).encode(), hashlib.sha256).hexdigest()[:16]


def pseudonymize_frame(
    df: pd.DataFrame, key: bytes | str, columns: tuple[str, ...] = ("worker",)
) -> pd.DataFrame:
    """A copy of ``df`` with the given id columns replaced by keyed pseudonyms (``task`` is dropped,
    since assignment ids identify workers on the platform)."""
    out = df.copy()
    for col in columns:
        if col in out:
            out[col] = pseudonymize(out[col], key)
    if "task" in out:
        out = out.drop(columns=["task"])
    return out


def previous_payments_table(previous_payments: Any) -> pd.DataFrame:
    """Earlier back-pay as a DataFrame with worker, currency, amount (a CSV path is read); refused
    when those columns are missing. Each row is checked against the audit by :func:`ledger`."""
    import pandas as pd

    if previous_payments is None:
        return pd.DataFrame(
            {
                "worker": pd.Series([], dtype=object),
                "currency": pd.Series([], dtype=object),
                "amount": pd.Series([], dtype=object),
            }
        )
    if isinstance(previous_payments, (str, Path)):
        from fairpay.tables.read import read_frame

        previous_payments = read_frame(previous_payments, what="previous payments")
    if not isinstance(previous_payments, pd.DataFrame):
        raise InvalidInputError(
            "previous_payments must be a DataFrame or a CSV path with worker, currency, amount"
        )
    missing = {"worker", "currency", "amount"} - set(previous_payments.columns)
    if missing:
        raise InvalidInputError(
            f"previous_payments needs columns worker, currency, amount; missing {sorted(missing)}"
        )
    return previous_payments


def ledger(result: AuditResult, previous_payments: Any = None, *, reason: str | None = None) -> pd.DataFrame:
    """What each worker is still owed: ``amount = max(0, top_up - previously_paid)``, pay currency.

    ``previous_payments``: earlier back-pay (a DataFrame or CSV with worker, currency, amount -
    e.g. the ``amount`` column of an earlier ledger, once paid). Exact Decimal arithmetic; a
    payment in another currency than the worker's pay currency, or for an unknown worker, is an
    error listing every such row. Amounts are Decimal strings rounded to the minor unit.
    """
    import pandas as pd

    from fairpay.units.money import minor_units, normalize_currency, round_up, to_decimal

    prev = previous_payments_table(previous_payments)
    workers = result.workers
    pay_ccy = dict(zip(workers["worker"].astype(str), workers["pay_currency"]))
    paid: dict[str, Decimal] = {}
    failures: list[str] = []
    for i, row in enumerate(prev.itertuples(index=False)):
        w = str(row.worker)
        try:
            amount = to_decimal(row.amount, "amount")
            ccy = normalize_currency(str(row.currency))
        except InvalidInputError as exc:
            failures.append(f"row {i}: {exc}")
            continue
        if w not in pay_ccy:
            failures.append(f"row {i}, column 'worker', value {w!r}: not a worker in this audit")
        elif ccy != pay_ccy[w]:
            failures.append(
                f"row {i}, column 'currency', value {ccy!r}: worker {w!r} is paid in {pay_ccy[w]}"
            )
        elif amount < 0:
            failures.append(f"row {i}, column 'amount', value {str(row.amount)!r}: negative")
        else:
            paid[w] = paid.get(w, Decimal(0)) + amount
    if failures:
        raise InvalidDataError("previous payments", failures)
    kinds = _bar_kinds(result)
    rows = []
    for r in workers.itertuples(index=False):
        ccy = r.pay_currency
        q = Decimal(1).scaleb(-minor_units(ccy))
        top = Decimal(repr(float(r.top_up))).quantize(q)  # top_up is already a whole number of minor units
        before = paid.get(str(r.worker), Decimal(0))
        owed = max(Decimal(0), round_up(top - before, ccy))
        rows.append(
            {
                "worker": str(r.worker),
                "currency": ccy,
                "top_up": str(top),
                "previously_paid": str(before),
                "amount": str(owed.quantize(q)),
                "task": r.task,
                "reason": reason or default_reason(kinds.get(_place_key(r.country, r.subdivision))),
            }
        )
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def _place_key(country: Any, subdivision: Any) -> tuple[str, str]:
    sub = subdivision if isinstance(subdivision, str) else ""
    return (str(country), sub)


def _bar_kinds(result: AuditResult) -> dict[tuple[str, str], str]:
    """(country, subdivision) -> the kind of bar the audit used there (living or minimum)."""
    bars = result.bars
    return {
        _place_key(c, s): str(k)
        for c, s, k in zip(bars["country"].tolist(), bars["subdivision"].tolist(), bars["bar_kind"].tolist())
    }


def _to_pay(ledger_df: pd.DataFrame) -> pd.DataFrame:
    from decimal import Decimal as D

    return ledger_df[[D(a) > 0 for a in ledger_df["amount"]]]


def _one_currency(df: pd.DataFrame, platform: str) -> None:
    ccys = sorted(set(df["currency"]))
    if len(ccys) > 1:
        raise InvalidInputError(
            f"a {platform} bonus file holds one currency; this ledger has {ccys}: split it first"
        )


def export_prolific(ledger_df: pd.DataFrame, path: str | Path) -> int:
    """Prolific bulk-bonus file: one ``participant_id,amount`` line per worker owed (no header,
    amount in the study's currency). Returns the number of lines."""
    rows = _to_pay(ledger_df)
    _one_currency(rows, "Prolific")
    from fairpay.tables.csvsafe import write_safe_csv

    write_safe_csv(zip(rows["worker"], rows["amount"]), path)
    return len(rows)


def export_mturk(ledger_df: pd.DataFrame, path: str | Path) -> int:
    """MTurk bonus list: WorkerId, AssignmentId, BonusAmount (USD), Reason - the fields of SendBonus.
    Each worker's bonus is attached to one of their (approved if any) assignments."""
    rows = _to_pay(ledger_df)
    _one_currency(rows, "Mechanical Turk")
    if len(rows) and (rows["currency"].iloc[0] != "USD"):
        raise InvalidInputError(f"Mechanical Turk pays bonuses in USD, not {rows['currency'].iloc[0]}")
    no_task = rows[rows["task"].isna()]
    if len(no_task):
        raise InvalidInputError(
            f"MTurk bonuses need an AssignmentId; none for workers {list(no_task['worker'][:10])}"
        )
    out = rows.rename(
        columns={"worker": "WorkerId", "task": "AssignmentId", "amount": "BonusAmount", "reason": "Reason"}
    )[["WorkerId", "AssignmentId", "BonusAmount", "Reason"]]
    from fairpay.tables.csvsafe import frame_to_safe_csv

    frame_to_safe_csv(out, path)
    return len(out)


def export_generic(ledger_df: pd.DataFrame, path: str | Path) -> int:
    """Generic CSV: worker, currency, amount, reason (only workers still owed)."""
    from fairpay.tables.csvsafe import frame_to_safe_csv

    rows = _to_pay(ledger_df)[["worker", "currency", "amount", "reason"]]
    frame_to_safe_csv(rows, path)
    return len(rows)


EXPORTERS = {"prolific": export_prolific, "mturk": export_mturk, "generic": export_generic}
