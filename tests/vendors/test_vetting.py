"""Vetting and the contract annex, against figures computed by hand in the comments."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.vendors.disclosure import parse_disclosure
from fairpay.vendors.vetting import contract_annex, vendor_check


def _disclosure(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "vendor.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_hourly_location_below_the_bar(tmp_path, bench, rates, disclosure_text, policy):
    r = vendor_check(_disclosure(tmp_path, disclosure_text), policy=policy, benchmarks=bench, rates=rates)
    ke = r.locations[0]
    # gross 180 x 40 = 7200; net 7200 - 200 fees = 7000; hours at work 40 + 1 + 0 + 2.5 = 43.5
    assert ke.weekly_gross_pay == 7200 and ke.weekly_net_pay == 7000 and ke.hours_at_work == Decimal("43.5")
    assert abs(ke.implied_hourly_local - Decimal("160.9195402298850574712643678")) < Decimal("1e-20")
    assert ke.ok is False and not ke.upper_bound
    # ratio 160.9195... / 200
    assert abs(ke.ratio - Decimal("0.8045977011494252873563218")) < Decimal("1e-20")
    # per paid hour 7000 / 40 = 175 KES = 1.40 USD at 125 KES/USD; 1.40 / 9.00 = 0.15555...
    assert abs(ke.pass_through - Decimal(14) / 90) < Decimal("1e-20")
    # break-even 9.00 x 200 x 43.5 / 7000 = 11.1857... -> 11.19 USD (rounded up)
    assert ke.break_even_price == Decimal("11.19")
    # required worker rate (200 x 43.5 + 200) / 40 = 222.50 KES per hour
    assert ke.required_rate_pay == Decimal("222.50")
    assert r.ok is False


def test_break_even_price_reaches_the_bar_at_the_stated_pass_through(
    tmp_path, bench, rates, disclosure_text, policy
):
    """Independent check from the definition: with the worker getting p x price per paid hour, the
    break-even price reaches the bar and one cent less does not."""
    ke = vendor_check(
        _disclosure(tmp_path, disclosure_text), policy=policy, benchmarks=bench, rates=rates
    ).locations[0]

    def wage(price: Decimal) -> Decimal:
        net_per_paid_hour_kes = ke.pass_through * price * 125
        return net_per_paid_hour_kes * 40 / Decimal("43.5")

    assert wage(ke.break_even_price) >= 200
    assert wage(ke.break_even_price - Decimal("0.01")) < 200


def test_per_task_location_passes_as_an_upper_bound(tmp_path, bench, rates, disclosure_text, policy):
    ind = vendor_check(
        _disclosure(tmp_path, disclosure_text), policy=policy, benchmarks=bench, rates=rates
    ).locations[1]
    # gross 4.50 x 40 x 45 = 8100; net 8100 x 0.99 = 8019; hours 45 + 1 + 1 = 47
    assert ind.weekly_gross_pay == 8100 and ind.weekly_net_pay == Decimal("8019.00")
    assert abs(ind.implied_hourly_pay - Decimal(8019) / 47) < Decimal("1e-20")
    assert ind.ok is True
    assert ind.upper_bound  # breaks and fees not disclosed
    assert any("unpaid_break_hours_per_week" in n and "upper bound" in n for n in ind.notes)
    # per task 8019 / 1800 = 4.455 INR = 0.0556875 USD; / 0.12 = 0.4640625
    assert ind.pass_through == Decimal("0.4640625")
    # break-even 0.12 x 100 x 47 / 8019 = 0.07033... -> 0.08 USD
    assert ind.break_even_price == Decimal("0.08")
    # required 100 x 47 / 0.99 / 45 / 40 = 2.63748... -> 2.64 INR per task
    assert ind.required_rate_pay == Decimal("2.64")


def test_margin_raises_the_bar(tmp_path, bench, rates, disclosure_text, policy):
    r = vendor_check(
        _disclosure(tmp_path, disclosure_text),
        policy={**policy, "margin": 0.1},
        benchmarks=bench,
        rates=rates,
    )
    assert r.locations[0].bar_hourly == Decimal("220.0")
    # (220 x 43.5 + 200) / 40 = 244.25
    assert r.locations[0].required_rate_pay == Decimal("244.25")


def test_missing_pay_makes_the_wage_unknown_and_not_a_pass(tmp_path, bench, rates, disclosure_text, policy):
    text = disclosure_text.replace("pay_rate = 180\n", "")
    r = vendor_check(_disclosure(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    ke = r.locations[0]
    assert ke.ok is None and ke.implied_hourly_pay is None and ke.break_even_price is None
    assert "pay_rate" in ke.notes[0]
    assert r.ok is False
    assert any(g.field == "pay_rate" and g.phase == "vetting" for g in r.gaps)


def test_typical_hours_above_paid_plus_unpaid_count_as_unpaid(
    tmp_path, bench, rates, disclosure_text, policy
):
    text = disclosure_text.replace(
        "contracted_hours_per_week = 40\n", "contracted_hours_per_week = 40\ntypical_hours_per_week = 50\n", 1
    )
    ke = vendor_check(_disclosure(tmp_path, text), policy=policy, benchmarks=bench, rates=rates).locations[0]
    assert ke.hours_at_work == 50
    assert ke.implied_hourly_pay == Decimal(7000) / 50  # 140 KES/h


def test_fees_above_pay_leave_no_break_even(tmp_path, bench, rates, disclosure_text, policy):
    text = disclosure_text.replace("fees_per_week = 200", "fees_per_week = 8000")
    ke = vendor_check(_disclosure(tmp_path, text), policy=policy, benchmarks=bench, rates=rates).locations[0]
    assert ke.implied_hourly_pay < 0 and ke.ok is False
    assert ke.break_even_price is None and any("break-even price undefined" in n for n in ke.notes)


def test_project_policy_and_overrides_are_used(tmp_path, bench, rates, disclosure_text, policy):
    spec = tmp_path / "p.toml"
    spec.write_text(
        """
[project]
name = "p"
currency = "USD"
[policy]
benchmark = "living"
inflate = false
margin = 0.5
[[tasks]]
name = "clip"
pay_per_task = 0.5
seconds = 72
volume = 100
[[workforce]]
country = "KE"
[[benchmark_overrides]]
country = "KE"
amount = 100
currency = "KES"
period = "hour"
source = "our own study"
reference_year = 2024
""",
        encoding="utf-8",
    )
    r = vendor_check(_disclosure(tmp_path, disclosure_text), spec, benchmarks=bench, rates=rates)
    # override 100 KES/h x 1.5 = 150 < 160.92: KE passes now
    assert r.locations[0].bar_hourly == Decimal("150.0") and r.locations[0].ok is True
    assert r.locations[0].benchmark.source == "our own study"


def test_annex_minimums(tmp_path, bench, rates, disclosure_text, policy):
    spec = tmp_path / "p.toml"
    spec.write_text(
        """
[project]
name = "p"
currency = "USD"
[policy]
benchmark = "living"
inflate = false
[unpaid]
per_task_seconds = 18
[[tasks]]
name = "clip"
pay_per_task = 0.5
seconds = 72
volume = 100
[[workforce]]
country = "KE"
""",
        encoding="utf-8",
    )
    a = contract_annex(_disclosure(tmp_path, disclosure_text), spec, benchmarks=bench, rates=rates)
    rows = {(x.location, x.basis): x for x in a.rows}
    assert rows[("KE", "per hour at work")].minimum == Decimal("200.00")
    # KE: 200 KES/h x (72 + 18) s / 3600 = 5.00 KES per task (payout fee 0)
    assert rows[("KE", "per task: clip")].minimum == Decimal("5.00")
    assert rows[("KE", "per task: clip")].currency == "KES"
    # IN: 100 x 90 / 3600 / 0.99 = 2.5252... -> 2.53 INR
    assert rows[("IN", "per task: clip")].minimum == Decimal("2.53")
    assert a.indexation == "CPI, yearly"
    assert a.year == 2024


def test_gaps_listed_by_phase():
    d = parse_disclosure({"vendor": {"name": "V", "currency": "USD"}, "locations": [{"country": "KE"}]})
    from fairpay.vendors.disclosure import completeness, disclosure_gaps as gaps

    g = gaps(d)
    phases = [x.phase for x in g]
    assert phases == sorted(phases, key=["vetting", "contract", "monitoring", "post_project"].index)
    by = {
        ph: [x.field for x in g if x.phase == ph]
        for ph in ("vetting", "contract", "monitoring", "post_project")
    }
    assert by["vetting"] == [
        "pay_basis",
        "pay_rate",
        "pay_currency",
        "gross_net",
        "paid_hours_per_week",
        "unpaid_training_hours_per_week",
        "unpaid_break_hours_per_week",
        "unpaid_idle_hours_per_week",
        "fees_per_week",
        "payout_fee",
        "headcount",
    ]  # tasks_per_hour is not asked: neither pay nor price is per task
    assert by["contract"] == [
        "wage_indexation",
        "contracted_hours_per_week",
        "payment_frequency",
        "payment_method",
        "client_price",
    ]
    assert by["monitoring"] == ["pay_reports", "grievance_channel", "typical_hours_per_week"]
    assert by["post_project"] == ["notice_period_days", "post_project_support"]
    assert completeness(d) == (0, 21)
    d2 = parse_disclosure(
        {
            "vendor": {"name": "V", "currency": "USD"},
            "locations": [{"country": "KE", "pay_basis": "per_task"}],
        }
    )
    assert "tasks_per_hour" in [x.field for x in gaps(d2)]
    assert completeness(d2) == (1, 22)


def test_full_disclosure_has_no_gaps_but_per_task_questions(tmp_path, bench, rates, disclosure_text, policy):
    r = vendor_check(_disclosure(tmp_path, disclosure_text), policy=policy, benchmarks=bench, rates=rates)
    assert [(g.location, g.field) for g in r.gaps] == [
        ("IN", "unpaid_break_hours_per_week"),
        ("IN", "fees_per_week"),
        ("IN", "contracted_hours_per_week"),
        ("KE", "typical_hours_per_week"),
        ("IN", "typical_hours_per_week"),
    ]
    assert (r.answered, r.asked) == (5 + 16 + 17 - 5, 5 + 16 + 17)


def test_csv_form_gives_the_same_disclosure(tmp_path, disclosure_text):
    from fairpay.vendors.disclosure import load_disclosure

    csv_text = (
        "vendor,vendor_currency,vendor_wage_indexation,country,pay_basis,pay_rate,pay_currency,paid_hours_per_week\n"
        "V,USD,CPI,KE,hourly,180,KES,40\n"
        "V,USD,,IN,per_task,4.5,INR,\n"
    )
    p = tmp_path / "v.csv"
    p.write_text(csv_text, encoding="utf-8")
    d = load_disclosure(p)
    assert d.vendor.name == "V" and d.vendor.wage_indexation == "CPI"
    assert d.locations[0].pay_rate == Decimal("180") and d.locations[1].paid_hours_per_week is None
    assert d.locations[1].pay_rate == Decimal("4.5")


BAD = [
    ("[[locations]]\ncountry='KE'\n", "vendor: required field is missing"),
    ("[vendor]\nname='V'\n[[locations]]\ncountry='KE'\n", "vendor.currency: required field is missing"),
    ("[vendor]\nname='V'\ncurrency='USD'\nlocations=[]\n", "locations: "),
    ("[vendor]\nname='V'\ncurrency='XYZ'\n[[locations]]\ncountry='KE'\n", "vendor.currency"),
    ("[vendor]\nname=''\ncurrency='USD'\n[[locations]]\ncountry='KE'\n", "vendor.name"),
    (
        "[vendor]\nname='V'\ncurrency='USD'\nnotice_period_days=-1\n[[locations]]\ncountry='KE'\n",
        "vendor.notice_period_days",
    ),
    ("[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='Atlantis'\n", "unknown country 'Atlantis'"),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate=-5\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate=0\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate='lots'\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate=true\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate='1e400'\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate='nan'\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate=1e13\n",
        "locations[0].pay_rate",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_currency='KSH'\n",
        "locations[0].pay_currency",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_basis='monthly'\n",
        "locations[0].pay_basis",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npayrate=5\n",
        "locations[0].payrate: unknown field",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npayout_fee=1\n",
        "locations[0].payout_fee",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\nheadcount=2.5\n",
        "locations[0].headcount",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npaid_hours_per_week=200\n",
        "locations[0].paid_hours_per_week",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\nfees_per_week=-1\n",
        "locations[0].fees_per_week",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\nclient_price=3\n",
        "client_price_basis",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npaid_hours_per_week=40\n"
        "unpaid_idle_hours_per_week=5\ntypical_hours_per_week=42\n",
        "typical_hours_per_week",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npaid_hours_per_week=100\n"
        "unpaid_idle_hours_per_week=100\n",
        "168",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\n[[locations]]\ncountry='Kenya'\n",
        "KE twice",
    ),
    (
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\n[extra]\nx=1\n",
        "extra: unknown field",
    ),
    ("[vendor\nname='V'\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=range(len(BAD)))
def test_every_bad_disclosure_names_the_file_and_field(tmp_path, text, expected):
    from fairpay.errors import SpecError
    from fairpay.vendors.disclosure import load_disclosure

    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_disclosure(p)
    assert str(p) in str(exc.value)
    assert expected in str(exc.value)


def test_bad_csv_disclosures(tmp_path):
    from fairpay.errors import SpecError
    from fairpay.vendors.disclosure import load_disclosure

    cases = {
        "vendor,vendor_currency,country\nV,USD,KE\nW,USD,IN\n": "line 3, column 'vendor'",
        "vendor,vendor_currency,country,wage\nV,USD,KE,3\n": "unknown column(s) 'wage'",
        "vendor_currency,country\nUSD,KE\n": "'vendor' and 'country' are required",
        "vendor,vendor_currency,country\n": "no rows",
        "vendor,vendor_currency,country,pay_rate\nV,USD,KE,abc\n": "locations[0].pay_rate",
    }
    for i, (text, expected) in enumerate(cases.items()):
        p = tmp_path / f"bad{i}.csv"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError) as exc:
            load_disclosure(p)
        assert expected in str(exc.value), text
        assert str(p) in str(exc.value)


def test_missing_file_and_unknown_format(tmp_path):
    from fairpay.errors import SpecError
    from fairpay.vendors.disclosure import load_disclosure

    with pytest.raises(SpecError, match="no such file"):
        load_disclosure(tmp_path / "nope.toml")
    p = tmp_path / "v.xlsx"
    p.write_bytes(b"x")
    with pytest.raises(SpecError, match="unknown format"):
        load_disclosure(p)


def test_document_counts_workers_in_locations_below(tmp_path, bench, rates, policy, disclosure_text):
    from fairpay.vendors.documents import vendor_check_document

    r = vendor_check(_disclosure(tmp_path, disclosure_text), policy=policy, benchmarks=bench, rates=rates)
    doc = vendor_check_document(r, data_vintage=False)
    assert doc["verdict"]["headline"] == "FAIL: 1 of 2 locations pay below the bar"
    assert doc["verdict"]["detail"][0] == "10 of 14 disclosed workers work in locations below the bar."
    row = doc["tables"][0]["rows"][0]
    # implied wage 160.919... shown rounded down, bar 200 up, ratio floored (80.4 % -> 80 %)
    assert row[3] == "160.91 KES" and row[4] == "200.00 KES" and row[5] == "80%" and row[6] == "BELOW"
    assert row[7] == "222.50 KES/h" and row[9] == "15%" and row[10] == "11.19 USD"


@pytest.mark.parametrize(
    ("country", "subdivision"), [("KE", None), ("IN", "IN-KA"), ("UG", None), ("US", "US-CA"), ("GB", None)]
)
def test_same_bar_and_verdict_as_check(tmp_path, country, subdivision):
    """Independent method: a per-task vendor with no unpaid time or fees earns pay x 3600 / seconds an
    hour, exactly what ``fairpay check`` computes for the same pay and time; the bar (bundled data,
    policy with a margin) and the verdict must agree, at a pay just below and just above the bar."""
    import fairpay

    sub = f'\nsubdivision = "{subdivision}"' if subdivision else ""
    spec = {
        "project": {"name": "p", "currency": "USD"},
        "policy": {"margin": 0.05},
        "tasks": [{"name": "t", "pay_per_task": 1, "seconds": 90, "volume": 10}],
        "workforce": [{"country": country, **({"subdivision": subdivision} if subdivision else {})}],
    }
    probe = fairpay.check(spec)
    required = probe.cells_list[0].required_pay_per_task
    verdicts = []
    for pay in (required - Decimal("0.01"), required):
        spec["tasks"][0]["pay_per_task"] = pay
        cell = fairpay.check(spec).cells_list[0]
        text = (
            '[vendor]\nname = "V"\ncurrency = "USD"\n[[locations]]\n'
            f'country = "{country}"{sub}\npay_basis = "per_task"\npay_rate = {pay}\npay_currency = "USD"\n'
            "tasks_per_hour = 40\npaid_hours_per_week = 40\n"
        )
        p = tmp_path / "v.toml"
        p.write_text(text, encoding="utf-8")
        v = vendor_check(p, policy={"margin": 0.05}).locations[0]
        assert v.bar_hourly == cell.bar_hourly
        assert abs(v.implied_hourly_local - cell.effective_hourly) < Decimal("1e-20")
        assert v.ok is cell.ok
        verdicts.append(v.ok)
    assert verdicts == [False, True]  # one cent below the required pay fails, the required pay passes


def test_answers_that_are_red_flags_are_warned_about(tmp_path, bench, rates, policy, disclosure_text):
    text = disclosure_text.replace('pay_reports = "monthly"', 'pay_reports = "none"').replace(
        "notice_period_days = 30", "notice_period_days = 0"
    )
    r = vendor_check(_disclosure(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    assert "the vendor will not report hours and pay per period: pay cannot be monitored" in r.warnings
    assert "workers get no notice when the project ends" in r.warnings
    assert not any(g.field in ("pay_reports", "notice_period_days") for g in r.gaps)  # answered, not gaps
